/**
 * Queries of the event side (issue 13): each event source's cursor and health, the provider event
 * ids already seen (dedupe), pending verification hints (one per account, coalesced), the time of
 * each account's last verified reading, and one row per event-driven commit. Every write here is
 * meant to run inside the caller's transaction, together with what the events produced.
 */
import type { Store } from './store.js';

/** Provider event ids are remembered this long: longer than SQS's longest retention (14 days). */
export const SEEN_EVENT_RETENTION_MS = 15 * 86_400_000;
/** Verified hints are kept this long for `status` and investigation, then pruned. */
export const DONE_HINT_RETENTION_MS = 15 * 86_400_000;

export interface EventSourceRow {
  monitor_id: string;
  source: string;
  kind: 'pull' | 'push';
  cursor: string | null;
  last_poll_at: string | null;
  last_ok_at: string | null;
  last_event_at: string | null;
  last_received_at: string | null;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: string | null;
  next_poll_at: string | null;
  received: number;
  duplicates: number;
  ignored: number;
  last_ignored: string | null;
  requests: number;
  polls: number;
  /** Pushed requests refused (bad signature, wrong content type, unreadable body), the last one's reason and time. */
  refused: number;
  last_refused: string | null;
  last_refused_at: string | null;
  /** Set while the provider refuses the source for good (monitors/events.ts SourceOff): off since disabled_at. */
  disabled_reason: string | null;
  disabled_hint: string | null;
  disabled_at: string | null;
}

export interface HintRow {
  id: number;
  monitor_id: string;
  scope: string;
  account_key: string;
  account_id: string | null;
  login: string | null;
  topics: string;
  source: string;
  event_ids: string;
  events: number;
  occurred_at: string;
  received_at: string;
  due_at: string;
  attempts: number;
  last_attempt_at: string | null;
  last_error: string | null;
  status: 'pending' | 'done';
  outcome: string | null;
  done_at: string | null;
}

export interface NewHint {
  monitorId: string;
  scope: string;
  accountId: string | null;
  login: string | null;
  topic: string;
  source: string;
  eventId: string;
  occurredAt: Date;
  receivedAt: Date;
  dueAt: Date;
}

/** Event ids listed on one hint (the count in `events` is exact). */
const HINT_EVENT_IDS = 20;

/** Event-side queries over one store. */
export class EventStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() {
    return this.#store.db;
  }

  // ── sources ──────────────────────────────────────────────────────────────

  /** Makes sure the source has a row (status lists configured sources before their first event). */
  ensureSource(monitorId: string, source: string, kind: 'pull' | 'push'): void {
    this.#db.prepare(`INSERT INTO event_sources (monitor_id, source, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`).run(monitorId, source, kind);
  }

  source(monitorId: string, source: string): EventSourceRow | undefined {
    return this.#db.prepare(`SELECT * FROM event_sources WHERE monitor_id = ? AND source = ?`).get(monitorId, source) as EventSourceRow | undefined;
  }

  sources(): EventSourceRow[] {
    return this.#db.prepare(`SELECT * FROM event_sources ORDER BY monitor_id, source`).all() as EventSourceRow[];
  }

  /**
   * Records what one batch brought: counts, the newest event time, the cursor (when given), and
   * whether the source is off (kept since its first refusal; a batch not refused clears it).
   */
  recordBatch(
    monitorId: string,
    source: string,
    b: { at: Date; cursor?: string | undefined; received: number; duplicates: number; ignored: number; lastIgnored: string | null; lastEventAt: Date | null; requests: number; poll: boolean; disabled?: { reason: string; hint: string } | undefined },
  ): void {
    this.#db
      .prepare(
        `UPDATE event_sources SET cursor = COALESCE(@cursor, cursor), received = received + @received, duplicates = duplicates + @duplicates,
           ignored = ignored + @ignored, last_ignored = COALESCE(@last_ignored, last_ignored), requests = requests + @requests,
           last_received_at = CASE WHEN @received + @duplicates + @ignored > 0 THEN @at ELSE last_received_at END,
           last_event_at = CASE WHEN @last_event_at IS NOT NULL AND (last_event_at IS NULL OR @last_event_at > last_event_at) THEN @last_event_at ELSE last_event_at END,
           polls = polls + @poll, last_poll_at = CASE WHEN @poll = 1 THEN @at ELSE last_poll_at END,
           last_ok_at = @at, consecutive_failures = 0, last_error = NULL,
           disabled_reason = @disabled_reason, disabled_hint = @disabled_hint,
           disabled_at = CASE WHEN @disabled_reason IS NULL THEN NULL ELSE COALESCE(disabled_at, @at) END
         WHERE monitor_id = @monitor_id AND source = @source`,
      )
      .run({
        monitor_id: monitorId, source, at: b.at.toISOString(), cursor: b.cursor ?? null, received: b.received, duplicates: b.duplicates, ignored: b.ignored,
        last_ignored: b.lastIgnored, last_event_at: b.lastEventAt?.toISOString() ?? null, requests: b.requests, poll: b.poll ? 1 : 0,
        disabled_reason: b.disabled?.reason ?? null, disabled_hint: b.disabled?.hint ?? null,
      });
  }

  /** Records a failed poll: the error shown in `status`, and when the next poll is due (backoff). */
  recordPollFailure(monitorId: string, source: string, at: Date, error: string, nextPollAt: Date): number {
    this.#db
      .prepare(
        `UPDATE event_sources SET consecutive_failures = consecutive_failures + 1, last_error = @error, last_error_at = @at, last_poll_at = @at,
           polls = polls + 1, next_poll_at = @next WHERE monitor_id = @monitor_id AND source = @source`,
      )
      .run({ monitor_id: monitorId, source, at: at.toISOString(), error, next: nextPollAt.toISOString() });
    return this.source(monitorId, source)?.consecutive_failures ?? 0;
  }

  /** Counts a pushed request the source refused (nothing of it is stored but this count and reason). */
  recordRefused(monitorId: string, source: string, at: Date, reason: string): void {
    this.#db
      .prepare(`UPDATE event_sources SET refused = refused + 1, last_refused = ?, last_refused_at = ? WHERE monitor_id = ? AND source = ?`)
      .run(reason, at.toISOString(), monitorId, source);
  }

  setNextPoll(monitorId: string, source: string, at: Date): void {
    this.#db.prepare(`UPDATE event_sources SET next_poll_at = ? WHERE monitor_id = ? AND source = ?`).run(at.toISOString(), monitorId, source);
  }

  // ── dedupe ───────────────────────────────────────────────────────────────

  /** Remembers a provider event id; false when it was seen before (a replay or a redelivery). */
  markSeen(monitorId: string, eventId: string, at: Date): boolean {
    return this.#db.prepare(`INSERT INTO seen_events (monitor_id, event_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`).run(monitorId, eventId, at.toISOString()).changes === 1;
  }

  // ── hints ────────────────────────────────────────────────────────────────

  /**
   * Adds a hint, or folds it into the account's pending one (coalescing): the earliest provider
   * time and the earliest due time win, the topics and event ids are merged.
   */
  addHint(h: NewHint): { id: number; coalesced: boolean } {
    const key = h.accountId !== null ? `id:${h.accountId}` : `login:${(h.login ?? '').toLowerCase()}`;
    const pending = this.#db.prepare(`SELECT * FROM event_hints WHERE monitor_id = ? AND scope = ? AND account_key = ? AND status = 'pending'`).get(h.monitorId, h.scope, key) as HintRow | undefined;
    if (pending) {
      const topics = [...new Set([...(JSON.parse(pending.topics) as string[]), h.topic])].sort();
      const ids = JSON.parse(pending.event_ids) as string[];
      if (ids.length < HINT_EVENT_IDS) ids.push(h.eventId);
      this.#db
        .prepare(
          `UPDATE event_hints SET topics = @topics, event_ids = @ids, events = events + 1, login = COALESCE(login, @login),
             occurred_at = MIN(occurred_at, @occurred), due_at = MIN(due_at, @due) WHERE id = @id`,
        )
        .run({ id: pending.id, topics: JSON.stringify(topics), ids: JSON.stringify(ids), login: h.login, occurred: h.occurredAt.toISOString(), due: h.dueAt.toISOString() });
      return { id: pending.id, coalesced: true };
    }
    const r = this.#db
      .prepare(
        `INSERT INTO event_hints (monitor_id, scope, account_key, account_id, login, topics, source, event_ids, occurred_at, received_at, due_at, status)
         VALUES (@m, @s, @key, @account_id, @login, @topics, @source, @ids, @occurred, @received, @due, 'pending')`,
      )
      .run({
        m: h.monitorId, s: h.scope, key, account_id: h.accountId, login: h.login, topics: JSON.stringify([h.topic]), source: h.source,
        ids: JSON.stringify([h.eventId]), occurred: h.occurredAt.toISOString(), received: h.receivedAt.toISOString(), due: h.dueAt.toISOString(),
      });
    return { id: Number(r.lastInsertRowid), coalesced: false };
  }

  /** Pending hints due at `now` (every pending one when `now` is null), by id after `afterId`. */
  dueHints(now: Date | null, limit: number, afterId = 0): HintRow[] {
    return this.#db
      .prepare(`SELECT * FROM event_hints WHERE status = 'pending' AND due_at <= ? AND id > ? ORDER BY id LIMIT ?`)
      .all(now ? now.toISOString() : '9999-12-31T23:59:59.999Z', afterId, limit) as HintRow[];
  }

  /** Every pending hint (for `status`), oldest first. */
  pendingHints(monitorId?: string): HintRow[] {
    return monitorId
      ? (this.#db.prepare(`SELECT * FROM event_hints WHERE status = 'pending' AND monitor_id = ? ORDER BY id`).all(monitorId) as HintRow[])
      : (this.#db.prepare(`SELECT * FROM event_hints WHERE status = 'pending' ORDER BY id`).all() as HintRow[]);
  }

  hint(id: number): HintRow | undefined {
    return this.#db.prepare(`SELECT * FROM event_hints WHERE id = ?`).get(id) as HintRow | undefined;
  }

  /** Closes a hint with what its verification found. */
  finishHint(id: number, outcome: string, at: Date): void {
    this.#db.prepare(`UPDATE event_hints SET status = 'done', outcome = ?, done_at = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id = ?`).run(outcome, at.toISOString(), at.toISOString(), id);
  }

  /** Keeps a hint whose verification failed, due again at `nextDue`. */
  failHint(id: number, error: string, at: Date, nextDue: Date): void {
    this.#db.prepare(`UPDATE event_hints SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?, due_at = ? WHERE id = ?`).run(at.toISOString(), error, nextDue.toISOString(), id);
  }

  // ── verified readings ────────────────────────────────────────────────────

  /** Records that the account's state was last set by a verified reading at `at`. */
  recordVerified(monitorId: string, scope: string, accountId: string, at: Date, present: boolean): void {
    this.#db
      .prepare(
        `INSERT INTO verified_accounts (monitor_id, scope, account_id, verified_at, present) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (monitor_id, scope, account_id) DO UPDATE SET verified_at = excluded.verified_at, present = excluded.present`,
      )
      .run(monitorId, scope, accountId, at.toISOString(), present ? 1 : 0);
  }

  /** Accounts of the scope whose verified reading is later than `since` (a scan's start). */
  verifiedSince(monitorId: string, scope: string, since: Date): Set<string> {
    const rows = this.#db.prepare(`SELECT account_id FROM verified_accounts WHERE monitor_id = ? AND scope = ? AND verified_at > ?`).all(monitorId, scope, since.toISOString()) as Array<{ account_id: string }>;
    return new Set(rows.map((r) => r.account_id));
  }

  // ── commits ──────────────────────────────────────────────────────────────

  /** A new event-driven commit's id: unique for ever (outbox batch ids are built from it). */
  newCommit(monitorId: string, scope: string, kind: 'facts' | 'verification', at: Date): number {
    return Number(this.#db.prepare(`INSERT INTO event_commits (monitor_id, scope, kind, at) VALUES (?, ?, ?, ?)`).run(monitorId, scope, kind, at.toISOString()).lastInsertRowid);
  }

  /** The stored account of a scope with this id, or with this login (case-insensitive). */
  findAccountId(monitorId: string, scope: string, ref: { accountId?: string | undefined; login?: string | undefined }): string | null {
    if (ref.accountId) return ref.accountId;
    if (!ref.login) return null;
    const row = this.#db.prepare(`SELECT account_id FROM accounts WHERE monitor_id = ? AND scope = ? AND login = ? COLLATE NOCASE LIMIT 1`).get(monitorId, scope, ref.login) as { account_id: string } | undefined;
    return row?.account_id ?? null;
  }

  /** Drops seen ids and finished hints past their retention; returns how many rows went. */
  prune(now: Date): number {
    const seen = this.#db.prepare(`DELETE FROM seen_events WHERE seen_at < ?`).run(new Date(now.getTime() - SEEN_EVENT_RETENTION_MS).toISOString()).changes;
    const hints = this.#db.prepare(`DELETE FROM event_hints WHERE status = 'done' AND done_at < ?`).run(new Date(now.getTime() - DONE_HINT_RETENTION_MS).toISOString()).changes;
    return seen + hints;
  }
}
