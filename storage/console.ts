/**
 * The web console's own tables (src/console): server-side sessions and one-time sign-in links.
 * Tokens are random and only their SHA-256 is stored: a copy of the database signs nobody in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HeldScanRow } from './held.js';
import type { ResponseRow } from './responses.js';
import type { EventRow } from './rows.js';
import type { AuditRow, OutboxRow, Store } from './store.js';

export type ConsoleRole = 'viewer' | 'responder';

/** A 256-bit random token, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface ConsoleSessionRow {
  token_hash: string;
  identity: string;
  role: ConsoleRole;
  via: 'oidc' | 'link';
  csrf_token: string;
  created_at: string;
  auth_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface ConsoleLinkRow {
  id: number;
  token_hash: string;
  role: ConsoleRole;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Queries of console_sessions and console_links. */
export class ConsoleStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Creates a session; returns its token (the cookie value before signing) and CSRF token. */
  createSession(s: { identity: string; role: ConsoleRole; via: 'oidc' | 'link'; at: Date; expiresAt: Date }): { token: string; csrf: string } {
    const token = randomToken();
    const csrf = randomToken();
    const at = s.at.toISOString();
    this.#store.db
      .prepare(`INSERT INTO console_sessions (token_hash, identity, role, via, csrf_token, created_at, auth_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(tokenHash(token), s.identity, s.role, s.via, csrf, at, at, at, s.expiresAt.toISOString());
    return { token, csrf };
  }

  /** The live session of `token` at `now` (not revoked, not expired), or undefined. */
  liveSession(token: string, now: Date): ConsoleSessionRow | undefined {
    return this.#store.db
      .prepare(`SELECT * FROM console_sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`)
      .get(tokenHash(token), now.toISOString()) as ConsoleSessionRow | undefined;
  }

  /** When the person last authenticated (the IdP's auth_time can be earlier than the session). */
  setAuthAt(token: string, at: Date): void {
    this.#store.db.prepare(`UPDATE console_sessions SET auth_at = ? WHERE token_hash = ?`).run(at.toISOString(), tokenHash(token));
  }

  /** Records activity (for the idle timeout). */
  touch(token: string, now: Date): void {
    this.#store.db.prepare(`UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?`).run(now.toISOString(), tokenHash(token));
  }

  /** Ends one session (sign-out). */
  revoke(token: string, now: Date): boolean {
    return this.#store.db.prepare(`UPDATE console_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`).run(now.toISOString(), tokenHash(token)).changes > 0;
  }

  /** Ends every session of `identity` (compared case-insensitively); returns how many. */
  revokeIdentity(identity: string, now: Date): number {
    return this.#store.db.prepare(`UPDATE console_sessions SET revoked_at = ? WHERE identity = ? COLLATE NOCASE AND revoked_at IS NULL`).run(now.toISOString(), identity).changes;
  }

  /** Sessions not revoked and not expired at `now`, newest first. */
  liveSessions(now: Date): Array<Omit<ConsoleSessionRow, 'token_hash' | 'csrf_token'>> {
    return this.#store.db
      .prepare(`SELECT identity, role, via, created_at, auth_at, last_seen_at, expires_at, revoked_at FROM console_sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC`)
      .all(now.toISOString()) as Array<Omit<ConsoleSessionRow, 'token_hash' | 'csrf_token'>>;
  }

  /** Ends every live session; returns how many. */
  revokeAll(now: Date): number {
    return this.#store.db.prepare(`UPDATE console_sessions SET revoked_at = ? WHERE revoked_at IS NULL AND expires_at > ?`).run(now.toISOString(), now.toISOString()).changes;
  }

  /** Creates a one-time link token; returns the token (shown once) and the row id. */
  createLink(l: { role: ConsoleRole; createdBy: string; at: Date; expiresAt: Date }): { id: number; token: string } {
    const token = randomToken();
    const r = this.#store.db
      .prepare(`INSERT INTO console_links (token_hash, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`)
      .run(tokenHash(token), l.role, l.createdBy, l.at.toISOString(), l.expiresAt.toISOString());
    return { id: Number(r.lastInsertRowid), token };
  }

  /** The link of `token`, whatever its state (to tell used from expired from unknown). */
  link(token: string): ConsoleLinkRow | undefined {
    return this.#store.db.prepare(`SELECT * FROM console_links WHERE token_hash = ?`).get(tokenHash(token)) as ConsoleLinkRow | undefined;
  }

  /** Marks the link used, once: true only for the one call that used an unused, unexpired link. */
  useLink(token: string, now: Date): boolean {
    return this.#store.db
      .prepare(`UPDATE console_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`)
      .run(now.toISOString(), tokenHash(token), now.toISOString()).changes === 1;
  }
}

// ── read side of the console's pages ───────────────────────────────────────

/** Filters and order of the Accounts page (and its CSV). */
export interface AccountQuery {
  monitor?: string | undefined;
  scope?: string | undefined;
  mfa?: string | undefined;
  /** true: admins only; false: non-admins only. */
  admin?: boolean | undefined;
  /** true: acknowledged now; false: not acknowledged. */
  acked?: boolean | undefined;
  /** Substring of login, email or display name (case-insensitive). */
  q?: string | undefined;
  sort?: AccountSort | undefined;
  desc?: boolean | undefined;
}

export const ACCOUNT_SORTS = ['login', 'monitor', 'mfa', 'admin', 'changed'] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

const SORT_SQL: Record<AccountSort, string> = {
  login: 'a.login COLLATE NOCASE',
  monitor: 'a.monitor_id, a.scope, a.login COLLATE NOCASE',
  mfa: `CASE a.mfa WHEN 'disabled' THEN 0 WHEN 'weak' THEN 1 WHEN 'unknown' THEN 2 WHEN 'not_applicable' THEN 3 ELSE 4 END, a.admin DESC, a.login COLLATE NOCASE`,
  admin: 'a.admin, a.login COLLATE NOCASE',
  changed: 'a.changed_at',
};

export interface ConsoleAccountRow {
  monitor_id: string;
  scope: string;
  account_id: string;
  login: string;
  email: string | null;
  display_name: string | null;
  kind: string;
  admin: number;
  mfa: string;
  factors: string;
  url: string | null;
  first_seen: string;
  changed_at: string;
  ack_until: string | null;
  ack_reason: string | null;
}

const ACKS_IN_FORCE = `LEFT JOIN (SELECT monitor_id, scope, account_id, MAX(until) AS until, reason FROM acks WHERE until > @now GROUP BY monitor_id, scope, account_id) k
           ON k.monitor_id = a.monitor_id AND k.scope = a.scope AND k.account_id = a.account_id`;

/** The WHERE clause and parameters of an account query. */
function accountFilter(q: AccountQuery, now: Date): { where: string; p: Record<string, string | number> } {
  const where: string[] = [];
  const p: Record<string, string | number> = { now: now.toISOString() };
  if (q.monitor) {
    where.push('a.monitor_id = @monitor');
    p.monitor = q.monitor;
  }
  if (q.scope !== undefined && q.scope !== '') {
    where.push('a.scope = @scope');
    p.scope = q.scope;
  }
  if (q.mfa) {
    where.push('a.mfa = @mfa');
    p.mfa = q.mfa;
  }
  if (q.admin !== undefined) {
    where.push('a.admin = @admin');
    p.admin = q.admin ? 1 : 0;
  }
  if (q.acked !== undefined) where.push(`k.until IS ${q.acked ? 'NOT ' : ''}NULL`);
  if (q.q) {
    // LIKE with its wildcards escaped: the search text is matched literally.
    where.push(`(a.login LIKE @q ESCAPE '\\' OR a.email LIKE @q ESCAPE '\\' OR a.display_name LIKE @q ESCAPE '\\' OR a.account_id = @exact)`);
    p.q = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    p.exact = q.q;
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', p };
}

/** How many accounts match `q`. */
export function countAccounts(store: Store, q: AccountQuery, now: Date): number {
  const { where, p } = accountFilter(q, now);
  return (store.db.prepare(`SELECT COUNT(*) AS n FROM accounts a ${ACKS_IN_FORCE} ${where}`).get(p) as { n: number }).n;
}

/**
 * The accounts matching `q` in its order, as an iterator so a CSV of a million rows streams; all
 * of them, or one page (`limit` from `offset`).
 */
export function iterateAccounts(store: Store, q: AccountQuery, now: Date, page?: { limit: number; offset: number }): IterableIterator<ConsoleAccountRow> {
  const { where, p } = accountFilter(q, now);
  const order = `${SORT_SQL[q.sort ?? 'mfa']}${q.desc ? ' DESC' : ''}`;
  return store.db
    .prepare(
      `SELECT a.monitor_id, a.scope, a.account_id, a.login, a.email, a.display_name, a.kind, a.admin, a.mfa, a.factors, a.url, a.first_seen, a.changed_at,
              k.until AS ack_until, k.reason AS ack_reason
         FROM accounts a ${ACKS_IN_FORCE}
        ${where}
        ORDER BY ${order}${page ? ' LIMIT @limit OFFSET @offset' : ''}`,
    )
    .iterate(page ? { ...p, limit: page.limit, offset: page.offset } : p) as IterableIterator<ConsoleAccountRow>;
}

/** How many accounts of one monitor entered (+) or left (-) one MFA state at one moment. */
export interface CoverageDelta {
  monitor_id: string;
  mfa: 'enabled' | 'weak' | 'disabled';
  at: string;
  n: number;
}

/**
 * The coverage chart's input, set-based: each history row holds its MFA state from its time until
 * the account's next history row (or for good). So every row but a removal counts +1 at its time,
 * and every change or removal counts -1, at its time, for the state of the row before it. An
 * `added` row never ends an earlier state: the scan writes one only for an account it did not
 * hold (src/scan/run-scan.ts), so any row before it is a removal. Grouped by time in SQLite (a
 * scan writes all its rows at one time): no per-account data reaches JavaScript, and the row
 * before is looked up (by index) only for changes and removals, never for a baseline's rows.
 * Only rows after `sinceId`: the deltas of older rows do not change when rows are added.
 */
export function coverageDeltas(store: Store, sinceId: number): CoverageDelta[] {
  return store.db
    .prepare(
      `SELECT monitor_id, mfa, at, COUNT(*) AS n FROM account_history
         WHERE id > @since AND change != 'removed' AND mfa IN ('enabled', 'weak', 'disabled')
         GROUP BY monitor_id, mfa, at
       UNION ALL
       SELECT r.monitor_id, p.mfa, r.at, -COUNT(*) AS n
         FROM account_history r
         JOIN account_history p ON p.id = (SELECT MAX(id) FROM account_history x
                                            WHERE x.monitor_id = r.monitor_id AND x.scope = r.scope AND x.account_id = r.account_id AND x.id < r.id)
        WHERE r.id > @since AND r.change IN ('changed', 'removed') AND p.change != 'removed' AND p.mfa IN ('enabled', 'weak', 'disabled')
        GROUP BY r.monitor_id, p.mfa, r.at`,
    )
    .all({ since: sinceId }) as CoverageDelta[];
}

/** The newest history row id and the number of rows: what the chart's cache is valid for. */
export function historyMark(store: Store): { maxId: number; rows: number } {
  return store.db.prepare(`SELECT COALESCE(MAX(id), 0) AS maxId, COUNT(*) AS rows FROM account_history`).get() as { maxId: number; rows: number };
}

/** Recent audit rows, newest first. */
export function recentAuditRows(store: Store, limit: number, actor?: string): AuditRow[] {
  return (actor
    ? store.db.prepare(`SELECT * FROM audit WHERE actor = ? ORDER BY id DESC LIMIT ?`).all(actor, limit)
    : store.db.prepare(`SELECT * FROM audit ORDER BY id DESC LIMIT ?`).all(limit)) as AuditRow[];
}

/** Recent responses (kills), newest first. */
export function recentResponses(store: Store, limit: number): ResponseRow[] {
  return store.db.prepare(`SELECT * FROM responses ORDER BY id DESC LIMIT ?`).all(limit) as ResponseRow[];
}

/** Every open held scan. */
export function openHolds(store: Store): HeldScanRow[] {
  return store.db.prepare(`SELECT * FROM held_scans WHERE status = 'held' ORDER BY scan_id`).all() as HeldScanRow[];
}

/** Failed deliveries (for good), newest first. */
export function failedDeliveries(store: Store, limit: number): OutboxRow[] {
  return store.db.prepare(`SELECT * FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?`).all(limit) as OutboxRow[];
}

/** Acknowledgements of one account, newest first (in force or not). */
export function acksOf(store: Store, monitorId: string, scope: string, accountId: string): Array<{ at: string; until: string; reason: string; actor: string }> {
  return store.db.prepare(`SELECT at, until, reason, actor FROM acks WHERE monitor_id = ? AND scope = ? AND account_id = ? ORDER BY id DESC`).all(monitorId, scope, accountId) as Array<{ at: string; until: string; reason: string; actor: string }>;
}

/** Events of one account, newest first. */
export function eventsOfAccount(store: Store, monitorId: string, scope: string, accountId: string, limit: number): EventRow[] {
  return store.db.prepare(`SELECT * FROM events WHERE monitor_id = ? AND scope = ? AND account_id = ? ORDER BY id DESC LIMIT ?`).all(monitorId, scope, accountId, limit) as EventRow[];
}

/** Filters of the Events page. */
export interface EventQuery {
  since: Date;
  /** Only these severities (at or above the wanted one: the caller lists them). */
  severities?: readonly string[] | undefined;
  type?: string | undefined;
  monitor?: string | undefined;
}

/** Events matching `q`, newest first, at most `limit`. */
export function filteredEvents(store: Store, q: EventQuery, limit: number): EventRow[] {
  const where = ['at >= @since'];
  const p: Record<string, string | number> = { since: q.since.toISOString(), limit };
  if (q.type) {
    where.push('type = @type');
    p.type = q.type;
  }
  if (q.monitor) {
    where.push('monitor_id = @monitor');
    p.monitor = q.monitor;
  }
  if (q.severities) {
    const names = q.severities.map((s, i) => ((p[`sev${i}`] = s), `@sev${i}`));
    where.push(names.length ? `severity IN (${names.join(', ')})` : '0');
  }
  return store.db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`).all(p) as EventRow[];
}
