import { z } from 'zod';
import { duration, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * GitLab users and their two-factor state. Without `group`: every user of a self-managed (or
 * Dedicated) instance, read with an administrator's token. With `group`: the enterprise users of
 * a GitLab.com top-level group, read with a group Owner's token.
 * See monitors/gitlab/README.md for the tokens and scopes.
 */
export const gitlabConfigSchema = monitorConfig('gitlab', {
  /** Instance URL (https://gitlab.example.com); the API root /api/v4 is appended. */
  baseUrl: httpUrl().default('https://gitlab.com'),
  /** Personal, group or service-account access token (sent as PRIVATE-TOKEN). */
  token: secret(),
  /** GitLab.com: the top-level group (numeric id or full path) whose enterprise users to watch. */
  group: z.union([z.string().min(1, 'must not be empty'), z.number().int().positive()], { error: 'must be the top-level group id (a number) or its path (a string)' }).optional(),
  /** Also watch blocked and banned users, who cannot sign in (default false). */
  includeBlocked: z.boolean().default(false),
  /** Also list bot users (project/group access tokens, service accounts) as not_applicable (default false). */
  includeBots: z.boolean().default(false),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx, 429 (after its Retry-After) or timeout (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the audit events polled every `auditEvents`,
   * and optionally streamed to a destination (`streaming`).
   */
  events: z
    .strictObject({
      /** How often to poll the audit events API. */
      auditEvents: duration()
        .refine((v) => v >= 15_000, 'must be at least "15s" (each poll costs a request of the authenticated API rate limit)')
        .default(60_000),
      /** How far back before the newest event seen each poll re-reads. */
      overlap: duration()
        .refine((v) => v >= 60_000 && v <= 6 * 3_600_000, 'must be from "1m" to "6h"')
        .default(5 * 60_000),
      /**
       * Optional streaming audit event destination (HTTP, Ultimate) received on `inbound` at
       * /hooks/<monitor-id>: the destination's verification token (a secret), sent by GitLab as
       * X-Gitlab-Event-Streaming-Token.
       */
      streaming: z.strictObject({ verificationToken: secret() }).optional(),
    })
    .optional(),
});

export type GitlabConfig = z.output<typeof gitlabConfigSchema>;
