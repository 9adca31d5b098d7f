/**
 * Auth0's tenant logs, translated for the core (monitors/events.ts).
 *
 * Polled with checkpoint pagination, `GET /api/v2/logs?from=<log_id>&take=100`: the entries after
 * that log_id, oldest first. The cursor is the last log_id read (committed with what the entries
 * produced); the core deduplicates by log_id.
 * https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
 * Codes: https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes
 */
import { z } from 'zod';
import type { EventBatch, HintTopic, IgnoredEvent, ProviderEvent } from '../events.js';

/** Entries per checkpoint request (Auth0's maximum for `take`). */
export const LOG_TAKE = 100;
/** Most checkpoint requests in one poll (a backlog is drained over the next polls). */
export const MAX_LOG_PAGES = 10;

/** Log codes used → what to re-read. */
export const AUTH0_CODES: Readonly<Record<string, { topic: HintTopic; name: string }>> = {
  gd_enrollment_complete: { topic: 'factor', name: 'MFA enrollment complete' },
  gd_unenroll: { topic: 'mfa', name: 'MFA unenrolled' },
  gd_update_device_account: { topic: 'mfa', name: 'MFA device account updated' },
};

export const logPage = z.array(z.unknown());
export const logEntryId = z.object({ log_id: z.string().min(1) });
const logEntry = z.object({
  log_id: z.string().min(1),
  date: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  type: z.string(),
  user_id: z.string().nullish(),
  user_name: z.string().nullish(),
});

/** Translates the entries of one poll; `cursor` is the last log_id read. */
export function translateAuth0Logs(raw: readonly unknown[], cursor: string, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  for (const item of raw) {
    const parsed = logEntry.safeParse(item);
    if (!parsed.success) {
      const id = typeof (item as { log_id?: unknown } | null)?.log_id === 'string' ? (item as { log_id: string }).log_id : undefined;
      ignored.push({ reason: 'malformed', message: `an Auth0 log entry without the documented fields (log_id, date, type)${id ? ` (log_id ${id})` : ''}`, ...(id ? { id } : {}) });
      continue;
    }
    const e = parsed.data;
    const code = AUTH0_CODES[e.type];
    // Other codes (logins, API calls, …) are not read further.
    if (!code) continue;
    if (!e.user_id) {
      ignored.push({ reason: 'malformed', message: `${e.type} (${code.name}) names no user_id (log_id ${e.log_id})`, id: e.log_id });
      continue;
    }
    events.push({ id: e.log_id, occurredAt: new Date(e.date), scope: '', name: e.type, hint: { account: { accountId: e.user_id, ...(e.user_name ? { login: e.user_name } : {}) }, topic: code.topic } });
  }
  return { events, ignored, cursor, requests };
}
