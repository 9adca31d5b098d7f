import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One Slack workspace (or one workspace of an Enterprise Grid org, with `teamId`).
 * See monitors/slack/README.md for the token it needs.
 */
export const slackConfigSchema = monitorConfig('slack', {
  /** A user token (xoxp-…) of a workspace admin or owner with users:read and users:read.email. */
  token: secret(),
  /** Web API root (tests, proxies). */
  baseUrl: httpUrl().default('https://slack.com/api'),
  /** Enterprise Grid: the workspace to list, required with an org-level token. */
  teamId: z.string({ error: expect('a workspace id such as "T0123ABCD"') }).regex(/^[TE][A-Z0-9]+$/, 'must be a Slack team id such as "T0123ABCD"').optional(),
  /** Members per page of users.list (Slack recommends at most 200). */
  pageSize: z.number({ error: expect('a whole number from 1 to 1000') }).int().min(1).max(1000).default(200),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, a timeout or a 429 (after Retry-After) (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"), Enterprise Grid only: the Audit Logs API polled
   * every `auditLogs`; the token also needs auditlogs:read (an org owner's).
   */
  events: z
    .strictObject({
      /** How often to poll GET /audit/v1/logs. */
      auditLogs: duration()
        .refine((v) => v >= 30_000, 'must be at least "30s" (the Audit Logs API is Tier 3, shared by the whole org)')
        .default(60_000),
      /** How far back before the newest entry seen each poll re-reads. */
      overlap: duration()
        .refine((v) => v >= 60_000 && v <= 6 * 3_600_000, 'must be from "1m" to "6h"')
        .default(5 * 60_000),
      /** Audit Logs API root (tests, proxies). */
      auditBaseUrl: httpUrl().default('https://api.slack.com/audit/v1'),
    })
    .optional(),
});

export type SlackConfig = z.output<typeof slackConfigSchema>;
