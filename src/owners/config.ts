/**
 * The `owners` config block (DESIGN.md "Wave-2 keys"): tell the person behind an account what
 * happened to it and by when to fix it; past the deadline, escalate to `escalateTo`.
 */
import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../config/fields.js';

/** The change events an owner can be told about (account_added only when the account lacks MFA); all by default. */
export const OWNER_EVENT_TYPES = ['mfa_disabled', 'mfa_weakened', 'factor_added', 'credential_added', 'signin_without_mfa', 'account_added'] as const;
export type OwnerEventType = (typeof OWNER_EVENT_TYPES)[number];

const E164 = /^\+[1-9]\d{6,14}$/;

export const ownersSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Events that open an owner case. */
  on: z.array(z.enum(OWNER_EVENT_TYPES)).min(1).default([...OWNER_EVENT_TYPES]),
  /** Time the owner has to restore MFA before the case is escalated (a reminder goes out at half). */
  deadline: duration().default(24 * 3_600_000),
  /** How the notice tells the owner to reach the team: "security@example.com or #security on Slack". */
  contact: z.string({ error: expect('one line saying how to reach the security team') }).min(1).max(300).default('your security team'),
  /** Public base URL of the answer links ("was this you?"), served on `inbound.listen` behind your proxy; without it notices carry no links. */
  publicUrl: httpUrl().optional(),
  /** How long an answer link works. */
  linkTtl: duration().default(7 * 86_400_000),
  /** Identities (emails) or accounts ("provider:login") never nudged nor escalated (autoResponse.exempt counts too). */
  exempt: z.array(z.string().min(1)).default([]),
  /** Mail through an existing `email` notifier's SMTP settings and `from`; the recipient is the identity. */
  email: z.strictObject({ via: z.string({ error: expect('the id of an email notifier') }).min(1) }).optional(),
  /** Slack direct messages from a bot: users.lookupByEmail + chat.postMessage (scopes users:read.email, chat:write). */
  slack: z
    .strictObject({
      token: secret(),
      /** Slack Web API base (default https://slack.com/api/). */
      apiUrl: httpUrl().optional(),
    })
    .optional(),
  /** SMS for critical events to identities with a number in identities.phones, through Twilio's Messages API. */
  sms: z
    .strictObject({
      accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID (AC followed by 32 hex digits)'),
      authToken: secret(),
      from: z.string().regex(E164, 'must be a phone number in E.164 form, e.g. "+15005550006"'),
      /** Twilio REST API base (default https://api.twilio.com). */
      baseUrl: httpUrl().default('https://api.twilio.com'),
    })
    .optional(),
  /** Notifier ids told when the deadline passes (once) and when an owner cannot be reached. */
  escalateTo: z.array(z.string()).default([]),
});

export type OwnersConfig = z.output<typeof ownersSchema>;

/** `identities.phones`: identity (email) → mobile number in E.164 form, for owner SMS. */
export const phonesSchema = z
  .record(z.string().regex(/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/, 'keys are identities (emails)'), z.string().regex(E164, 'must be a phone number in E.164 form, e.g. "+15551234567"'))
  .default({});
