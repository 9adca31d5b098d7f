/**
 * Queries of the delivery side (notifiers issue): notifier health,
 * acknowledgements and reminder digests. Kept out of store.ts so the core store stays small.
 */
import type { AccountState } from '../src/core/types.js';
import { accountFromRow, type AccountRow } from './rows.js';
import type { OutboxRow, Store } from './store.js';

/** One account still without MFA, for a reminder digest. */
export interface UnprotectedAccount extends AccountState {
  monitorId: string;
  scope: string;
  provider: string;
  /** When the account was first seen in its current stretch without MFA. */
  withoutMfaSince: string;
}

/** A notifier's delivery health, as the dispatcher tracks it. */
export interface NotifierHealth {
  notifierId: string;
  consecutiveFailures: number;
  failingSince: string | null;
  lastError: string | null;
  alertedAt: string | null;
}

/** An acknowledgement of one account's missing MFA. */
export interface AckInput {
  monitorId: string;
  scope: string;
  accountId: string;
  login: string;
  at: Date;
  until: Date;
  reason: string;
  actor: string;
}

const LACKING = `('disabled', 'weak')`;

/** Delivery-side queries over one store. */
export class DeliveryStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() {
    return this.#store.db;
  }

  // ── notifier health ──────────────────────────────────────────────────────

  health(notifierId: string): NotifierHealth {
    const row = this.#db.prepare(`SELECT * FROM notifier_health WHERE notifier_id = ?`).get(notifierId) as
      | { notifier_id: string; consecutive_failures: number; failing_since: string | null; last_error: string | null; alerted_at: string | null }
      | undefined;
    return {
      notifierId,
      consecutiveFailures: row?.consecutive_failures ?? 0,
      failingSince: row?.failing_since ?? null,
      lastError: row?.last_error ?? null,
      alertedAt: row?.alerted_at ?? null,
    };
  }

  /** Counts one more failed attempt; returns the new health. */
  recordFailure(notifierId: string, at: Date, error: string): NotifierHealth {
    this.#db
      .prepare(
        `INSERT INTO notifier_health (notifier_id, consecutive_failures, failing_since, last_error) VALUES (@id, 1, @at, @error)
         ON CONFLICT (notifier_id) DO UPDATE SET consecutive_failures = consecutive_failures + 1,
           failing_since = COALESCE(failing_since, @at), last_error = @error`,
      )
      .run({ id: notifierId, at: at.toISOString(), error });
    return this.health(notifierId);
  }

  /** Resets the health after a success; returns what it was before. */
  recordSuccess(notifierId: string): NotifierHealth {
    const before = this.health(notifierId);
    if (before.consecutiveFailures > 0 || before.alertedAt) {
      this.#db.prepare(`UPDATE notifier_health SET consecutive_failures = 0, failing_since = NULL, last_error = NULL, alerted_at = NULL WHERE notifier_id = ?`).run(notifierId);
    }
    return before;
  }

  markAlerted(notifierId: string, at: Date): void {
    this.#db.prepare(`UPDATE notifier_health SET alerted_at = ? WHERE notifier_id = ?`).run(at.toISOString(), notifierId);
  }

  /** Outbox counts of one notifier: pending rows (and the oldest), rows failed since `since`. */
  outboxCounts(notifierId: string, since: Date): { pending: number; oldestPending: string | null; failedSince: number } {
    const p = this.#db.prepare(`SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE notifier_id = ? AND status = 'pending'`).get(notifierId) as { n: number; oldest: string | null };
    const f = this.#db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE notifier_id = ? AND status = 'failed' AND created_at >= ?`).get(notifierId, since.toISOString()) as { n: number };
    return { pending: p.n, oldestPending: p.oldest, failedSince: f.n };
  }

  /**
   * Puts failed rows of these notifiers created since `since` back in the queue, due now, with a
   * fresh maximum age (created_at = now); returns how many. Attempts and the last error stay.
   */
  requeueFailed(notifierIds: readonly string[], since: Date, now: Date): number {
    const update = this.#db.prepare(`UPDATE outbox SET status = 'pending', next_attempt_at = @now, created_at = @now WHERE status = 'failed' AND notifier_id = @id AND created_at >= @since`);
    let n = 0;
    for (const id of notifierIds) n += update.run({ id, now: now.toISOString(), since: since.toISOString() }).changes;
    return n;
  }

  // ── queues ───────────────────────────────────────────────────────────────

  /**
   * The head of one notifier's queue: its oldest pending row (by id, the order rows were queued
   * in), due or not. Rows behind it wait for it: deliveries to one notifier are first in, first out.
   */
  queueHead(notifierId: string): OutboxRow | undefined {
    return this.#db.prepare(`SELECT * FROM outbox WHERE notifier_id = ? AND status = 'pending' ORDER BY id LIMIT 1`).get(notifierId) as OutboxRow | undefined;
  }

  /** The notifiers with at least one pending row, in the order of their oldest one. */
  notifiersWithPending(): string[] {
    return (this.#db.prepare(`SELECT notifier_id FROM outbox WHERE status = 'pending' GROUP BY notifier_id ORDER BY MIN(id)`).all() as Array<{ notifier_id: string }>).map((r) => r.notifier_id);
  }

  // ── acknowledgements ─────────────────────────────────────────────────────

  /** Acknowledgements in force at `now`, soonest to expire first. */
  activeAckList(now: Date): Array<{ monitorId: string; scope: string; accountId: string; login: string; at: string; until: string; reason: string; actor: string }> {
    return this.#db
      .prepare(`SELECT monitor_id AS monitorId, scope, account_id AS accountId, login, at, until, reason, actor FROM acks WHERE until > ? ORDER BY until, id`)
      .all(now.toISOString()) as ReturnType<DeliveryStore['activeAckList']>;
  }

  addAck(ack: AckInput): number {
    const r = this.#db
      .prepare(`INSERT INTO acks (monitor_id, scope, account_id, login, at, until, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(ack.monitorId, ack.scope, ack.accountId, ack.login, ack.at.toISOString(), ack.until.toISOString(), ack.reason, ack.actor);
    return Number(r.lastInsertRowid);
  }

  /** Ends, at `now`, the acknowledgements of one account still in force; returns how many. */
  endAcks(account: { monitorId: string; scope: string; accountId: string }, now: Date): number {
    return this.#db
      .prepare(`UPDATE acks SET until = ? WHERE monitor_id = ? AND scope = ? AND account_id = ? AND until > ?`)
      .run(now.toISOString(), account.monitorId, account.scope, account.accountId, now.toISOString()).changes;
  }

  /** The latest expiry of each account's acknowledgements that are still in force at `now`. */
  activeAcks(now: Date): Map<string, { until: string; reason: string; actor: string }> {
    const rows = this.#db
      .prepare(`SELECT monitor_id, scope, account_id, until, reason, actor FROM acks WHERE until > ? ORDER BY until`)
      .all(now.toISOString()) as Array<{ monitor_id: string; scope: string; account_id: string; until: string; reason: string; actor: string }>;
    const out = new Map<string, { until: string; reason: string; actor: string }>();
    for (const r of rows) out.set(accountKey(r.monitor_id, r.scope, r.account_id), { until: r.until, reason: r.reason, actor: r.actor });
    return out;
  }

  // ── reminder digests ─────────────────────────────────────────────────────

  /** When the last digest was queued, or null. */
  lastDigestAt(): Date | null {
    const row = this.#db.prepare(`SELECT at FROM reminder_digests ORDER BY id DESC LIMIT 1`).get() as { at: string } | undefined;
    return row ? new Date(row.at) : null;
  }

  /** When the first complete scan ended, or null: the interval of the first digest counts from it. */
  firstSuccessAt(): Date | null {
    const row = this.#db.prepare(`SELECT MIN(ended_at) AS at FROM scans WHERE status = 'succeeded'`).get() as { at: string | null };
    return row.at ? new Date(row.at) : null;
  }

  recordDigest(at: Date, accounts: number, acknowledged: number): void {
    this.#db.prepare(`INSERT INTO reminder_digests (at, accounts, acknowledged) VALUES (?, ?, ?)`).run(at.toISOString(), accounts, acknowledged);
  }

  /**
   * Every stored account without MFA (disabled or weak), privileged first, with the time its
   * current stretch without MFA began (from the history: the first row after the last row with
   * MFA; the account's first sighting when it never had MFA).
   */
  unprotectedAccounts(): UnprotectedAccount[] {
    const rows = this.#db
      .prepare(
        `SELECT a.monitor_id, a.scope, a.account_id, a.login, a.email, a.display_name, a.kind, a.admin, a.mfa, a.factors, a.url, a.first_seen,
                (SELECT provider FROM scans s WHERE s.monitor_id = a.monitor_id AND s.scope = a.scope ORDER BY s.id DESC LIMIT 1) AS provider,
                (SELECT MIN(h.at) FROM account_history h
                  WHERE h.monitor_id = a.monitor_id AND h.scope = a.scope AND h.account_id = a.account_id
                    AND h.id > COALESCE((SELECT MAX(p.id) FROM account_history p
                                          WHERE p.monitor_id = a.monitor_id AND p.scope = a.scope AND p.account_id = a.account_id
                                            AND p.mfa NOT IN ${LACKING}), 0)) AS since
           FROM accounts a WHERE a.mfa IN ${LACKING}
          ORDER BY a.admin DESC, a.kind = 'root' DESC, a.monitor_id, a.scope, a.login`,
      )
      .all() as Array<AccountRow & { monitor_id: string; scope: string; first_seen: string; provider: string | null; since: string | null }>;
    return rows.map((r) => ({
      ...accountFromRow(r),
      monitorId: r.monitor_id,
      scope: r.scope,
      provider: r.provider ?? r.monitor_id,
      withoutMfaSince: r.since ?? r.first_seen,
    }));
  }
}

/** The key of one account across monitors and scopes. */
export function accountKey(monitorId: string, scope: string, accountId: string): string {
  return `${monitorId}\u0000${scope}\u0000${accountId}`;
}
