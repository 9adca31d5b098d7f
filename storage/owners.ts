/**
 * Owner cases, the owner outbox, answer links and owner state (migration 7; src/owners/README.md).
 * Callers wrap related writes in one Store transaction.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './store.js';

export type OwnerChannel = 'email' | 'slack' | 'sms';
export type OwnerNoticeKind = 'notice' | 'reminder' | 'thanks';

export interface OwnerCaseRow {
  id: number;
  monitor_id: string;
  scope: string;
  account_id: string;
  login: string;
  provider: string;
  event_type: string;
  event_id: number;
  identity: string | null;
  unreachable: string | null;
  opened_at: string;
  deadline_at: string;
  reminded_at: string | null;
  escalated_at: string | null;
  answer: 'yes' | 'no' | null;
  answered_at: string | null;
  status: 'open' | 'closed';
  closed_at: string | null;
  close_reason: string | null;
}

export interface OwnerNoticeRow {
  id: number;
  case_id: number;
  kind: OwnerNoticeKind;
  channel: OwnerChannel;
  recipient: string;
  payload: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
}

export interface NewOwnerCase {
  monitorId: string;
  scope: string;
  accountId: string;
  login: string;
  provider: string;
  eventType: string;
  eventId: number;
  identity: string | null;
  unreachable: string | null;
  openedAt: Date;
  deadlineAt: Date;
}

/** SQL access for src/owners. */
export class OwnerStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() {
    return this.#store.db;
  }

  /** A value of owner_state, or undefined. */
  state(key: string): string | undefined {
    return (this.#db.prepare('SELECT value FROM owner_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setState(key: string, value: string): void {
    this.#db.prepare('INSERT INTO owner_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The link-signing key: 32 random bytes made on first use and kept in the database (never in the config). */
  linkKey(): Buffer {
    return this.#store.transaction(() => {
      const stored = this.state('link_key');
      if (stored) return Buffer.from(stored, 'base64');
      const key = randomBytes(32);
      this.setState('link_key', key.toString('base64'));
      return key;
    });
  }

  /** The highest event id in the database (0 for none). */
  lastEventId(): number {
    return (this.#db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
  }

  /** The open case of an account and event type, if any. */
  openCase(monitorId: string, scope: string, accountId: string, eventType: string): OwnerCaseRow | undefined {
    return this.#db.prepare(`SELECT * FROM owner_cases WHERE monitor_id = ? AND scope = ? AND account_id = ? AND event_type = ? AND status = 'open'`).get(monitorId, scope, accountId, eventType) as OwnerCaseRow | undefined;
  }

  /** Opens a case; returns its id. */
  addCase(c: NewOwnerCase): number {
    const r = this.#db
      .prepare(
        `INSERT INTO owner_cases (monitor_id, scope, account_id, login, provider, event_type, event_id, identity, unreachable, opened_at, deadline_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')`,
      )
      .run(c.monitorId, c.scope, c.accountId, c.login, c.provider, c.eventType, c.eventId, c.identity, c.unreachable, c.openedAt.toISOString(), c.deadlineAt.toISOString());
    return Number(r.lastInsertRowid);
  }

  caseById(id: number): OwnerCaseRow | undefined {
    return this.#db.prepare('SELECT * FROM owner_cases WHERE id = ?').get(id) as OwnerCaseRow | undefined;
  }

  openCases(): OwnerCaseRow[] {
    return this.#db.prepare(`SELECT * FROM owner_cases WHERE status = 'open' ORDER BY deadline_at, id`).all() as OwnerCaseRow[];
  }

  /** Every case (open and closed) of one account, newest first (the console's person page). */
  casesOfAccount(monitorId: string, scope: string, accountId: string, limit: number): OwnerCaseRow[] {
    return this.#db.prepare('SELECT * FROM owner_cases WHERE monitor_id = ? AND scope = ? AND account_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?').all(monitorId, scope, accountId, limit) as OwnerCaseRow[];
  }

  markReminded(id: number, at: Date): void {
    this.#db.prepare('UPDATE owner_cases SET reminded_at = ? WHERE id = ?').run(at.toISOString(), id);
  }

  /** Marks the case escalated; false when it already was (escalation happens once). */
  markEscalated(id: number, at: Date): boolean {
    return this.#db.prepare('UPDATE owner_cases SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL').run(at.toISOString(), id).changes === 1;
  }

  closeCase(id: number, at: Date, reason: string): boolean {
    return this.#db.prepare(`UPDATE owner_cases SET status = 'closed', closed_at = ?, close_reason = ? WHERE id = ? AND status = 'open'`).run(at.toISOString(), reason, id).changes === 1;
  }

  recordAnswer(id: number, answer: 'yes' | 'no', at: Date): void {
    this.#db.prepare('UPDATE owner_cases SET answer = ?, answered_at = ? WHERE id = ?').run(answer, at.toISOString(), id);
  }

  /** Queues one owner notice (once per case, kind and channel); false when it was already queued. */
  queueNotice(caseId: number, kind: OwnerNoticeKind, channel: OwnerChannel, recipient: string, payload: unknown, at: Date): boolean {
    const r = this.#db
      .prepare(
        `INSERT INTO owner_notices (case_id, kind, channel, recipient, payload, status, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (case_id, kind, channel) DO NOTHING`,
      )
      .run(caseId, kind, channel, recipient, JSON.stringify(payload), at.toISOString(), at.toISOString());
    return r.changes === 1;
  }

  dueNotices(now: Date, limit: number): OwnerNoticeRow[] {
    return this.#db.prepare(`SELECT * FROM owner_notices WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`).all(now.toISOString(), limit) as OwnerNoticeRow[];
  }

  pendingNotices(): OwnerNoticeRow[] {
    return this.#db.prepare(`SELECT * FROM owner_notices WHERE status = 'pending' ORDER BY next_attempt_at, id`).all() as OwnerNoticeRow[];
  }

  noticesOf(caseId: number): OwnerNoticeRow[] {
    return this.#db.prepare('SELECT * FROM owner_notices WHERE case_id = ? ORDER BY id').all(caseId) as OwnerNoticeRow[];
  }

  recordNoticeAttempt(id: number, at: Date, outcome: { status: 'sent' } | { status: 'pending'; nextAttemptAt: Date; error: string } | { status: 'failed'; error: string }): void {
    if (outcome.status === 'sent') {
      this.#db.prepare(`UPDATE owner_notices SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`).run(at.toISOString(), id);
    } else if (outcome.status === 'pending') {
      this.#db.prepare(`UPDATE owner_notices SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`).run(outcome.nextAttemptAt.toISOString(), outcome.error, id);
    } else {
      this.#db.prepare(`UPDATE owner_notices SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`).run(outcome.error, id);
    }
  }

  addLink(nonce: string, caseId: number, expiresAt: Date): void {
    this.#db.prepare('INSERT INTO owner_links (nonce, case_id, expires_at) VALUES (?, ?, ?)').run(nonce, caseId, expiresAt.toISOString());
  }

  link(nonce: string): { nonce: string; case_id: number; expires_at: string; used_at: string | null } | undefined {
    return this.#db.prepare('SELECT * FROM owner_links WHERE nonce = ?').get(nonce) as ReturnType<OwnerStore['link']>;
  }

  /** Uses the link once; false when it was used already (by either answer). */
  useLink(nonce: string, at: Date): boolean {
    return this.#db.prepare('UPDATE owner_links SET used_at = ? WHERE nonce = ? AND used_at IS NULL').run(at.toISOString(), nonce).changes === 1;
  }
}
