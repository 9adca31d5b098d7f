import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One Google Workspace (or Cloud Identity) account, read by a service account with domain-wide
 * delegation impersonating an administrator. See monitors/google-workspace/README.md.
 */
export const googleWorkspaceConfigSchema = monitorConfig('google-workspace', {
  /** The administrator the service account acts as (domain-wide delegation `sub`). */
  subject: z.string({ error: expect('the email address of a Google Workspace administrator to impersonate') }).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address of a Google Workspace administrator'),
  /** The service account's JSON key itself, usually "${GOOGLE_SA_KEY}". */
  serviceAccountKey: secret().optional(),
  /** Or a path to the JSON key file (absolute, or relative to the working directory). */
  serviceAccountKeyFile: z.string({ error: expect('a path to the service account JSON key file') }).min(1, 'must not be empty').optional(),
  /** Which account to list: "my_customer" (the subject's own) or a customer id such as "C01abc234". */
  customer: z.string({ error: expect('"my_customer" or a customer id such as "C01abc234"') }).min(1).default('my_customer'),
  /** Admin SDK root (tests, proxies). */
  apiRoot: httpUrl().default('https://admin.googleapis.com'),
  /** OAuth 2.0 token endpoint (default: the key's token_uri, else https://oauth2.googleapis.com/token). */
  tokenUri: httpUrl().optional(),
  /** Users per page of users.list (Google allows up to 500). */
  pageSize: z.number({ error: expect('a whole number from 1 to 500') }).int().min(1).max(500).default(500),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, a timeout or a rate-limit answer (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the Reports API login audit (and, with
   * `roleGrants`, the admin audit) polled every `reports`; needs the admin.reports.audit.readonly
   * scope in the domain-wide delegation.
   */
  events: z
    .strictObject({
      /** How often to poll activities.list (each application: login, and admin with `roleGrants`). */
      reports: duration()
        .refine((v) => v >= 30_000, 'must be at least "30s" (each poll costs two or three requests of the Reports API quota)')
        .default(60_000),
      /**
       * Also poll the admin audit for role assignments (ASSIGN_ROLE), each a hint to re-read the
       * user; one more request per poll, same scope and privilege.
       */
      roleGrants: z.boolean({ error: expect('true or false') }).default(true),
      /** How far back before the newest activity seen each poll re-reads (Google reports activities late). */
      overlap: duration()
        .refine((v) => v >= 5 * 60_000 && v <= 24 * 3_600_000, 'must be from "5m" to "24h"')
        .default(3_600_000),
    })
    .optional(),
}).superRefine((c, ctx) => {
  if ((c.serviceAccountKey === undefined) === (c.serviceAccountKeyFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['serviceAccountKey'], message: 'set exactly one of serviceAccountKey (the JSON key, e.g. "${GOOGLE_SA_KEY}") or serviceAccountKeyFile (a path to it)' });
  }
});

export type GoogleWorkspaceConfig = z.output<typeof googleWorkspaceConfigSchema>;
