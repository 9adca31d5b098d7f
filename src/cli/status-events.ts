/**
 * `mfawatch status`: the event sources of each monitor instance (issue 13): the last event and its
 * age, the cursor, failures with their error and the next try, a source that is off (the provider
 * refuses it for good: why, since when and what to do), events set aside, pending verifications
 * (with the last verification error), and what a probe costs per hour.
 */
import type { EventSource } from '../../monitors/events.js';
import { EventStore, type HintRow } from '../../storage/events.js';
import type { Store } from '../../storage/store.js';
import type { ResolvedConfig } from '../config/load.js';
import { formatDuration } from '../core/duration.js';

/** Characters of a cursor shown (a probe's cursor is a list of ids). */
const CURSOR_SHOWN = 60;
/** Pending verifications listed by name per monitor. */
const HINTS_LISTED = 10;

export interface EventSourceStatus {
  monitorId: string;
  source: string;
  kind: 'pull' | 'push';
  /**
   * ok: last poll succeeded (or a push source); failing: polls fail in a row; idle: never polled;
   * off: the provider refuses the source for good (a licence the tenant lacks): see `disabled`.
   */
  health: 'ok' | 'failing' | 'idle' | 'off';
  /** Set while the source is off: what the provider said, what to do, and since when (kept while a later poll fails). */
  disabled: { reason: string; hint: string; since: string } | null;
  /** Provider time of the newest event received, and its age. */
  lastEventAt: string | null;
  lastEventAgeSeconds: number | null;
  lastReceivedAt: string | null;
  /** How far behind the provider the source was at its last receipt: receipt time − the newest event's provider time. */
  lagSeconds: number | null;
  cursor: string | null;
  received: number;
  duplicates: number;
  ignored: number;
  lastIgnored: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** Pushed requests refused (bad signature, content type, body), and the last one. */
  refused: number;
  lastRefused: string | null;
  lastRefusedAt: string | null;
  nextPollAt: string | null;
  /** Pulled sources: provider requests per poll (average) and per hour at the configured interval. */
  requestsPerPoll: number | null;
  requestsPerHour: number | null;
}

export interface PendingVerification {
  monitorId: string;
  scope: string;
  account: string;
  events: number;
  since: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
}

export interface EventsStatus {
  eventSources: EventSourceStatus[];
  pendingVerifications: PendingVerification[];
  pendingVerificationsTotal: number;
}

function shorten(cursor: string | null): string | null {
  if (cursor === null || cursor.length <= CURSOR_SHOWN) return cursor;
  return `${cursor.slice(0, CURSOR_SHOWN)}… (${cursor.length} chars)`;
}

function pending(h: HintRow): PendingVerification {
  return {
    monitorId: h.monitor_id, scope: h.scope, account: h.login ?? h.account_id ?? h.account_key, events: h.events, since: h.received_at,
    attempts: h.attempts, lastError: h.last_error, nextAttemptAt: h.due_at,
  };
}

/** The event side of `status` for the configured monitors. */
export function buildEventsStatus(config: ResolvedConfig, store: Store, now: Date, sourcesOf: (id: string) => readonly EventSource[]): EventsStatus {
  const events = new EventStore(store);
  const configured = new Set(config.monitors.map((m) => m.config.id));
  const eventSources: EventSourceStatus[] = [];
  for (const row of events.sources()) {
    if (!configured.has(row.monitor_id)) continue;
    const live = sourcesOf(row.monitor_id).find((s) => s.name === row.source);
    if (!live) continue;
    const perPoll = row.kind === 'pull' && row.polls > 0 ? row.requests / row.polls : null;
    const interval = live.kind === 'pull' ? live.intervalMs : 0;
    eventSources.push({
      monitorId: row.monitor_id, source: row.source, kind: row.kind,
      health: row.consecutive_failures > 0 ? 'failing' : row.disabled_reason !== null ? 'off' : row.kind === 'pull' && row.polls === 0 ? 'idle' : 'ok',
      disabled: row.disabled_reason !== null ? { reason: row.disabled_reason, hint: row.disabled_hint ?? '', since: row.disabled_at ?? row.last_poll_at ?? now.toISOString() } : null,
      lastEventAt: row.last_event_at, lastEventAgeSeconds: row.last_event_at ? Math.round((now.getTime() - Date.parse(row.last_event_at)) / 1000) : null,
      lastReceivedAt: row.last_received_at,
      lagSeconds: row.last_received_at && row.last_event_at ? Math.max(0, Math.round((Date.parse(row.last_received_at) - Date.parse(row.last_event_at)) / 1000)) : null,
      cursor: shorten(row.cursor), received: row.received, duplicates: row.duplicates, ignored: row.ignored, lastIgnored: row.last_ignored,
      consecutiveFailures: row.consecutive_failures, lastError: row.last_error, refused: row.refused, lastRefused: row.last_refused, lastRefusedAt: row.last_refused_at, nextPollAt: row.consecutive_failures > 0 ? row.next_poll_at : null,
      requestsPerPoll: perPoll === null ? null : Math.round(perPoll * 10) / 10,
      // An off source is not polled at its interval (one try per process start).
      requestsPerHour: perPoll !== null && interval > 0 && row.disabled_reason === null ? Math.round((perPoll * 3_600_000) / interval) : null,
    });
  }
  const hints = events.pendingHints().filter((h) => configured.has(h.monitor_id));
  return { eventSources, pendingVerifications: hints.slice(0, HINTS_LISTED * Math.max(1, configured.size)).map(pending), pendingVerificationsTotal: hints.length };
}

/** Renders the event side of `status`; '' when no monitor has event sources. */
export function renderEventsStatus(s: EventsStatus, now: Date): string {
  if (s.eventSources.length === 0 && s.pendingVerificationsTotal === 0) return '';
  const ago = (iso: string) => `${formatDuration(Math.max(0, now.getTime() - Date.parse(iso)))} ago`;
  const lines = ['event sources'];
  for (const e of s.eventSources) {
    const head = `  ${e.monitorId} ${e.source} (${e.kind === 'pull' ? 'pulled' : 'pushed'})`;
    // The next try is in the future (the backoff, or the wait a rate limit asked for): "in 31s", "now" once due.
    const nextTry = e.nextPollAt ? Date.parse(e.nextPollAt) - now.getTime() : null;
    const state = e.health === 'failing' ? `FAILING (${e.consecutiveFailures} in a row; next try ${nextTry === null ? 'soon' : nextTry > 0 ? `in ${formatDuration(nextTry)}` : 'now'})` : e.health === 'idle' ? 'not polled yet' : e.health === 'off' ? 'OFF' : 'ok';
    lines.push(`${head}: ${state}`);
    if (e.lastError && e.health === 'failing') lines.push(`      error          ${e.lastError}`);
    // Every `status` says it while it lasts: nothing is read from this source (not a failure to retry).
    if (e.disabled) {
      lines.push(`      off since      ${ago(e.disabled.since)}: ${e.disabled.reason}`);
      lines.push(`      what to do     ${e.disabled.hint}`);
    }
    lines.push(`      last event     ${e.lastEventAt ? `${ago(e.lastEventAt)} (provider time)` : 'none yet'}${e.lastReceivedAt ? `, last received ${ago(e.lastReceivedAt)}` : ''}${e.lagSeconds !== null ? `, lag ${e.lagSeconds}s` : ''}`);
    lines.push(`      events         ${e.received} received, ${e.duplicates} duplicate(s) skipped, ${e.ignored} set aside${e.lastIgnored ? ` (last: ${e.lastIgnored})` : ''}`);
    if (e.refused > 0) lines.push(`      refused        ${e.refused} request(s); last ${e.lastRefusedAt ? ago(e.lastRefusedAt) : ''}: ${e.lastRefused ?? ''}`);
    if (e.cursor) lines.push(`      cursor         ${e.cursor}`);
    if (e.requestsPerPoll !== null) lines.push(`      cost           ${e.requestsPerPoll} request(s) per poll${e.requestsPerHour !== null ? `, about ${e.requestsPerHour} per hour` : ''}`);
  }
  if (s.pendingVerificationsTotal > 0) {
    lines.push(`  pending verifications (${s.pendingVerificationsTotal}): the account is re-read at the provider; the next scan reconciles too`);
    for (const p of s.pendingVerifications) {
      lines.push(`    ${p.monitorId}${p.scope ? `/${p.scope}` : ''} ${p.account}: ${p.events} event(s) since ${ago(p.since)}${p.attempts ? `, ${p.attempts} failed attempt(s), last: ${p.lastError ?? ''}` : ''}`);
    }
    if (s.pendingVerificationsTotal > s.pendingVerifications.length) lines.push(`    … and ${s.pendingVerificationsTotal - s.pendingVerifications.length} more`);
  }
  return lines.join('\n');
}
