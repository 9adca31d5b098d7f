/**
 * Auth0's tenant logs, translated for the core (monitors/events.ts), from two sources that share
 * one translation and one dedupe key (the entry's `log_id`), so both can be on:
 *
 * - **Pulled**: `GET /api/v2/logs?from=<log_id>&take=100`, checkpoint pagination: the entries after
 *   that log_id, oldest first. The cursor is the last log_id read (committed with what the entries
 *   produced). https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
 * - **Pushed**: a Log Stream of type Custom Webhook (HTTP) posting to `/hooks/<monitor-id>`, with
 *   the static Authorization Token set on the stream as its `Authorization` header. The body is in
 *   the stream's Content Format: JSON lines (Auth0's documented default), a JSON array, or one JSON
 *   object; each item is `{ "log_id": …, "data": <the log event> }`, `data` having the fields of
 *   a Management API log entry. Auth0 delivers at least once (up to three attempts, then again
 *   until the stream is healthy). https://auth0.com/docs/customize/log-streams/custom-log-streams,
 *   https://auth0.com/docs/customize/log-streams ("Delivery attempts").
 *
 * Codes used (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes):
 * - `gd_unenroll`, `gd_update_device_account` → re-read the user (mfa); `gd_enrollment_complete` →
 *   re-read the user (factor).
 * - `s` (successful login) whose `details.prompts` has a password stage (`prompt-authenticate`,
 *   `prompt-authenticate-password`, `lock-password-authenticate`) and no `mfa` stage (no prompt named
 *   `mfa`, none whose `performed_amr` holds `mfa`) → the fact signin_without_mfa. Auth0 documents the
 *   `mfa` stage and its `performed_amr` ("amr that will be included in the id_token") in
 *   https://auth0.com/docs/deploy-monitor/logs/prompt-details-in-tenant-logs. A login with no password
 *   stage (a federated connection, which may do MFA upstream; a session reused by SSO, whose prompts
 *   are empty) is not judged.
 */
import { z } from 'zod';
import { sameSecret, type Secret } from '../../src/core/secret.js';
import type { EventBatch, HintTopic, IgnoredEvent, InboundRequest, InboundVerdict, ProviderEvent, PushedEventSource } from '../events.js';

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

/** The code of a successful login. */
export const SUCCESSFUL_LOGIN = 's';

/**
 * Login stages in which the user proved a password ("User authenticated with a username and
 * password", Prompt Details in Tenant Logs): Universal Login, its identifier-first flow, Classic Lock.
 */
export const PASSWORD_PROMPTS: ReadonlySet<string> = new Set(['prompt-authenticate', 'prompt-authenticate-password', 'lock-password-authenticate']);

export const logPage = z.array(z.unknown());
export const logEntryId = z.object({ log_id: z.string().min(1) });
const logEntry = z.object({
  log_id: z.string().min(1),
  date: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  type: z.string(),
  user_id: z.string().nullish(),
  user_name: z.string().nullish(),
  ip: z.string().nullish(),
  user_agent: z.string().nullish(),
  connection: z.string().nullish(),
  // Its shape depends on the code; read only where it is used.
  details: z.unknown(),
});
type LogEntry = z.infer<typeof logEntry>;
const prompt = z.object({ name: z.string(), performed_amr: z.array(z.unknown()).nullish() });

/** What the prompts of a successful login show: a password stage without an mfa stage, or not. */
export function loginWithoutMfa(details: unknown): { firstFactor: string } | null {
  const prompts = (details as { prompts?: unknown } | null | undefined)?.prompts;
  if (!Array.isArray(prompts)) return null;
  let firstFactor: string | null = null;
  for (const item of prompts) {
    const p = prompt.safeParse(item);
    if (!p.success) continue;
    if (p.data.name === 'mfa' || p.data.performed_amr?.includes('mfa')) return null;
    if (!firstFactor && PASSWORD_PROMPTS.has(p.data.name)) firstFactor = p.data.name;
  }
  return firstFactor ? { firstFactor } : null;
}

/**
 * Translates log entries (the Management API's, or a Log Stream item's `data`). `reportOthers`:
 * codes mfawatch does not act on are set aside and counted (the push: the stream's filter could be
 * narrower) rather than passed over in silence (the poll, which reads every code).
 */
export function translateAuth0Entries(raw: readonly unknown[], options: { reportOthers: boolean }): { events: ProviderEvent[]; ignored: IgnoredEvent[] } {
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
    const translated = translateOne(e);
    if (translated === 'other') {
      if (options.reportOthers) ignored.push({ reason: 'irrelevant', message: `${e.type}: not a log code mfawatch acts on (narrow the log stream's event categories; log_id ${e.log_id})`, id: e.log_id });
    } else if ('reason' in translated) ignored.push(translated);
    else if (translated.event) events.push(translated.event);
  }
  return { events, ignored };
}

function translateOne(e: LogEntry): { event?: ProviderEvent } | IgnoredEvent | 'other' {
  const base = { id: e.log_id, occurredAt: new Date(e.date), scope: '', name: e.type };
  const account = e.user_id ? { accountId: e.user_id, ...(e.user_name ? { login: e.user_name } : {}) } : null;
  const code = AUTH0_CODES[e.type];
  if (code) {
    if (!account) return { reason: 'malformed', message: `${e.type} (${code.name}) names no user_id (log_id ${e.log_id})`, id: e.log_id };
    return { event: { ...base, hint: { account, topic: code.topic } } };
  }
  if (e.type !== SUCCESSFUL_LOGIN) return 'other';
  const without = loginWithoutMfa(e.details);
  // A login that did MFA, or that mfawatch cannot judge (no password stage), has nothing to say.
  if (!without) return {};
  if (!account) return { reason: 'malformed', message: `s (successful login) names no user_id (log_id ${e.log_id})`, id: e.log_id };
  return {
    event: {
      ...base,
      fact: { type: 'signin_without_mfa', account, sourceIp: e.ip ?? null, userAgent: e.user_agent ?? null, detail: { firstFactor: without.firstFactor, connection: e.connection ?? null } },
    },
  };
}

/** Translates the entries of one poll; `cursor` is the last log_id read. */
export function translateAuth0Logs(raw: readonly unknown[], cursor: string, requests: number): EventBatch {
  return { ...translateAuth0Entries(raw, { reportOthers: false }), cursor, requests };
}

// ── Log Stream (push) ─────────────────────────────────────────────────────

/** One item of a Log Stream delivery. */
const streamItem = z.object({ log_id: z.string().min(1), data: z.record(z.string(), z.unknown()) });

/**
 * The items of a Log Stream body in any of its content formats: a JSON array, one JSON object, or
 * JSON lines (one object per line). A message when the body is none of them, or an item is not
 * `{log_id, data}`.
 */
export function logStreamItems(rawBody: Buffer): { items: Array<z.infer<typeof streamItem>> } | { error: string } {
  const text = rawBody.toString('utf8').trim();
  if (text === '') return { error: 'an empty log stream body' };
  let values: unknown[];
  try {
    const whole: unknown = JSON.parse(text);
    values = Array.isArray(whole) ? whole : [whole];
  } catch {
    values = [];
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        return { error: 'a log stream body that is not JSON lines, a JSON array or a JSON object' };
      }
    }
  }
  const items: Array<z.infer<typeof streamItem>> = [];
  for (const v of values) {
    const item = streamItem.safeParse(v);
    if (!item.success) return { error: 'a log stream item without log_id and data (set the stream to deliver Auth0 log events unchanged)' };
    items.push(item.data);
  }
  return { items };
}

/** Content types a Log Stream may be set to send its JSON as. */
function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^application\/([a-z0-9.+-]*[+.-])?(json|jsonl|jsonlines|ndjson|x-ndjson|x-jsonlines)$/.test(type);
}

/**
 * An Auth0 Log Stream (Custom Webhook) at `/hooks/<monitor-id>`: the static `Authorization` header
 * must equal `events.logStream.authorization` (compared in constant time; 401 otherwise, nothing
 * stored). Each item's `data` goes through the translation of the poll, with the item's `log_id`
 * as its id, so an entry that arrives both ways is acted on once. Answered 202 once committed.
 */
export function auth0LogStream(authorization: Secret): PushedEventSource {
  return {
    kind: 'push',
    name: 'log-stream',
    credential: { kind: 'token', header: 'Authorization', configKey: 'events.logStream.authorization' },
    receive(request: InboundRequest): InboundVerdict {
      if (!sameSecret(request.headers.authorization, authorization)) return { status: 'unauthorized' };
      if (!isJsonType(request.headers['content-type'])) return { status: 'unsupported_media_type' };
      const parsed = logStreamItems(request.rawBody);
      if ('error' in parsed) return { status: 'bad_request', message: parsed.error };
      // The item's log_id is the dedupe key (the same as the Management API's for that entry).
      const entries = parsed.items.map((item) => ({ ...item.data, log_id: item.log_id }));
      const translated = translateAuth0Entries(entries, { reportOthers: true });
      return { status: 'accepted', batch: translated };
    },
  };
}
