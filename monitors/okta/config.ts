import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One Okta org. See monitors/okta/README.md for the token and role it needs.
 */
export const oktaConfigSchema = monitorConfig('okta', {
  /** The org URL: https://acme.okta.com, https://acme.oktapreview.com or a custom domain. */
  baseUrl: httpUrl(),
  /** An API token (SSWS) of a read-only administrator, or an OAuth 2.0 access token (authScheme "Bearer"). */
  token: secret(),
  /** "SSWS" for an API token (default), "Bearer" for an OAuth 2.0 access token with okta.users.read. */
  authScheme: z.enum(['SSWS', 'Bearer'], { error: expect('must be "SSWS" (API token) or "Bearer" (OAuth 2.0 access token)') }).default('SSWS'),
  /** Users per page of GET /api/v1/users (Okta allows up to 200). */
  pageSize: z.number({ error: expect('a whole number from 1 to 200') }).int().min(1).max(200).default(200),
  /** Per-user factor (and role) requests in flight at once. */
  concurrency: z.number({ error: expect('a whole number from 1 to 16') }).int().min(1).max(16).default(6),
  /** Share of each rate-limit window left for everyone else (0.1 = 10%). */
  rateLimitReserve: z.number({ error: expect('a fraction from 0 to 0.9') }).min(0).max(0.9).default(0.1),
  /** Also read each user's admin roles (one more request per user; needs okta.roles.read). */
  detectAdmins: z.boolean().default(false),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, timeout or 429 answer (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the System Log polled every `systemLog`
   * (default 30s) with Okta's polling pattern.
   */
  events: z
    .strictObject({
      /** How often to poll GET /api/v1/logs. */
      systemLog: duration()
        .refine((v) => v >= 10_000, 'must be at least "10s" (each poll costs a request of the System Log rate limit)')
        .default(30_000),
      /** Groups (ids such as 00g1abc or names) whose new members are re-read as possible administrators. */
      adminGroups: z.array(z.string().min(1)).default([]),
      /** How long a sign-in waits for its MFA event before it counts as a sign-in without MFA. */
      mfaGrace: duration()
        .refine((v) => v >= 60_000 && v <= 3_600_000, 'must be from "1m" to "1h"')
        .default(300_000),
      /** Events per System Log page (Okta allows up to 1000). */
      pageSize: z.number({ error: expect('a whole number from 1 to 1000') }).int().min(1).max(1000).default(1000),
      /**
       * Optional Okta event hook received on `inbound` at /hooks/<monitor-id>: `authorization` is the
       * static Authorization header value set on the hook in Okta (a secret).
       */
      hook: z.strictObject({ authorization: secret() }).optional(),
    })
    .optional(),
});

export type OktaConfig = z.output<typeof oktaConfigSchema>;
