import { z } from 'zod';
import { expect, secret } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';

const address = () => z.string({ error: expect('an email address') }).regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an email address such as security@example.com');

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

/**
 * `{ "id": "mail-sec", "type": "email", "smtp": { "host": "smtp.example.com", "port": 587,
 *    "auth": { "user": "mfawatch", "pass": "${SMTP_PASSWORD}" } }, "from": "mfawatch@example.com",
 *    "to": ["security@example.com"] }`: one mail per batch over SMTP.
 */
export const emailConfigSchema = notifierConfig('email', {
  smtp: z
    .strictObject({
      host: z.string({ error: expect('the SMTP server host name') }).min(1),
      /** 587 (submission, STARTTLS) by default; 465 with `secure: true`. */
      port: z.number().int().min(1).max(65535).default(587),
      /** TLS from the first byte (SMTPS, usually port 465). */
      secure: z.boolean().default(false),
      /** When `secure` is false: `required` (default) refuses to send without STARTTLS; `opportunistic` upgrades when offered; `never` stays in plain text (loopback relays only). */
      starttls: z.enum(['required', 'opportunistic', 'never']).default('required'),
      /** Check the server certificate (default true); turn off only for a relay with a private CA you cannot install. */
      rejectUnauthorized: z.boolean().default(true),
      auth: z.strictObject({ user: z.string().min(1), pass: secret() }).optional(),
    })
    .refine((s) => !(s.auth && !s.secure && s.starttls === 'never' && !LOOPBACK.test(s.host)), {
      message: 'refusing to send the SMTP password in plain text: use "starttls": "required" or "secure": true (plain text is allowed only to a loopback relay)',
    }),
  from: address(),
  to: z.array(address(), { error: expect('a list of email addresses') }).min(1, 'list at least one recipient'),
  cc: z.array(address()).optional(),
});

export type EmailConfig = z.output<typeof emailConfigSchema>;
