import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One Microsoft Entra ID tenant, read through Microsoft Graph's authentication-methods
 * registration report with an app registration's client credentials.
 * See monitors/entra/README.md for the permission and licence it needs.
 */
export const entraConfigSchema = monitorConfig('entra', {
  /** Directory (tenant) id, a GUID, or a verified domain such as acme.onmicrosoft.com. */
  tenantId: z.string({ error: expect('the directory (tenant) id, e.g. "72f988bf-86f1-41af-91ab-2d7cd011db47"') }).regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant GUID or domain name'),
  /** Application (client) id of the app registration. */
  clientId: z.string({ error: expect('the application (client) id of the app registration') }).min(1, 'must not be empty'),
  /** A client secret of the app registration. */
  clientSecret: secret(),
  /** Token endpoint host; national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn. */
  loginBaseUrl: httpUrl().default('https://login.microsoftonline.com'),
  /** Graph root; national clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn. */
  graphBaseUrl: httpUrl().default('https://graph.microsoft.com'),
  /** Also watch guest (B2B) users (default true). */
  includeGuests: z.boolean().default(true),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, 429 or timeout (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the directory audit log polled every
   * `directoryAudits`, and with `signIns` the sign-in log every `signInsInterval`.
   */
  events: z
    .strictObject({
      /** How often to poll GET /v1.0/auditLogs/directoryAudits. */
      directoryAudits: duration()
        .refine((v) => v >= 30_000, 'must be at least "30s" (Graph throttles the reporting APIs per app and tenant)')
        .default(60_000),
      /** How far back each poll re-reads before the newest entry seen (entries arrive late and out of order). */
      overlap: duration()
        .refine((v) => v >= 60_000 && v <= 6 * 3_600_000, 'must be from "1m" to "6h"')
        .default(15 * 60_000),
      /**
       * Also read the sign-in log for successful interactive single-factor sign-ins (default false:
       * it needs an Entra ID P1/P2 licence and Directory.Read.All besides AuditLog.Read.All).
       */
      signIns: z.boolean({ error: expect('true or false') }).default(false),
      /** How often to poll GET /beta/auditLogs/signIns when `signIns` is true. */
      signInsInterval: duration()
        .refine((v) => v >= 30_000, 'must be at least "30s" (Graph allows 5 requests per 10 seconds per app and tenant on the reporting APIs)')
        .default(60_000),
    })
    .optional(),
});

export type EntraConfig = z.output<typeof entraConfigSchema>;
