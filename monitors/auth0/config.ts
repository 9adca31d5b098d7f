import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One Auth0 tenant, read through the Management API with a machine-to-machine application's
 * client credentials. See monitors/auth0/README.md for the scopes it needs.
 */
export const auth0ConfigSchema = monitorConfig('auth0', {
  /** The tenant's canonical domain, e.g. "acme.eu.auth0.com" (not a custom domain). */
  domain: z
    .string({ error: expect('the tenant domain, e.g. "acme.eu.auth0.com"') })
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name such as "acme.eu.auth0.com", without https:// or a path'),
  /** Client id of the machine-to-machine application. */
  clientId: z.string({ error: expect('the client id of the machine-to-machine application') }).min(1, 'must not be empty'),
  /** Its client secret. */
  clientSecret: secret(),
  /** Where requests go (default https://{domain}); a proxy or a test fake. */
  baseUrl: httpUrl().optional(),
  /** Management API audience (default https://{domain}/api/v2/). */
  audience: httpUrl().optional(),
  /** Authentication-method look-ups in flight at once (default 4); the rate-limit headers still pace them. */
  concurrency: z.number().int().min(1).max(32).default(4),
  /** How often a users-export job is polled (tenants of 1,000+ users; default 5s). */
  exportPollInterval: duration().default(5_000),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, 429 (after its reset) or timeout (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the tenant logs polled every `logs` (needs
   * read:logs), and optionally pushed by a Log Stream (`logStream`).
   */
  events: z
    .strictObject({
      /** How often to poll GET /api/v2/logs from the last checkpoint. */
      logs: duration()
        .refine((v) => v >= 10_000, 'must be at least "10s" (each poll costs a Management API request)')
        .default(30_000),
      /**
       * Optional Log Stream (Custom Webhook) received on `inbound` at /hooks/<monitor-id>:
       * `authorization` is the stream's Authorization Token (a secret), sent as its Authorization header.
       */
      logStream: z.strictObject({ authorization: secret() }).optional(),
    })
    .optional(),
});

export type Auth0Config = z.output<typeof auth0ConfigSchema>;
