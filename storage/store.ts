/**
 * Every query mfawatch makes. The scan pipeline streams observations into a per-connection staging
 * table, then finds what changed with set-based SQL, so a scan of a million unchanged accounts
 * moves no per-account data through JavaScript and writes no per-account rows.
 */
import { createHash } from 'node:crypto';
import { ProviderError } from '../src/core/errors.js';
import type { AccountState, ChangeEvent, MfaState } from '../src/core/types.js';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type DatabaseAccess, type Db } from './db.js';
import { accountFromRow, accountParams, eventFromRow, type AccountRow, type EventRow } from './rows.js';

export type ScanStatus = 'running' | 'succeeded' | 'failed' | 'abandoned' | 'held';

export interface ScanRow {
  id: number;
  monitor_id: string;
  scope: string;
  scope_label: string;
  provider: string;
  started_at: string;
  ended_at: string | null;
  status: ScanStatus;
  baseline: number;
  accounts: number | null;
  without_mfa: number | null;
  changes: number | null;
  requests: number;
  data_as_of: string | null;
  error_reason: string | null;
  error_message: string | null;
  warnings: string;
}

export interface ScanStart {
  monitorId: string;
  scope: string;
  scopeLabel: string;
  provider: string;
  startedAt: Date;
}

export interface ScanEnd {
  status: ScanStatus;
  endedAt: Date;
  scopeLabel?: string | undefined;
  baseline?: boolean | undefined;
  accounts?: number | undefined;
  withoutMfa?: number | undefined;
  changes?: number | undefined;
  requests: number;
  dataAsOf?: Date | undefined;
  errorReason?: string | undefined;
  errorMessage?: string | undefined;
  warnings?: readonly string[] | undefined;
}

/** Counts of one scope's staged (or stored) accounts. */
export interface StateCounts {
  accounts: number;
  admins: number;
  byState: Record<MfaState, number>;
}

export interface OutboxRow {
  id: number;
  notifier_id: string;
  batch_id: string;
  kind: string;
  payload: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
}

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  subject?: string | null | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);
/** Columns of one staged row: scan_id and ACCOUNT_COLUMNS. */
const STAGE_COLUMNS = 11;
/** Rows per staging INSERT: 1,000 bound values, far below SQLite's limit of 32,766. */
const STAGE_ROWS_PER_INSERT = 100;
const ACCOUNT_COLUMNS = 'account_id, login, email, display_name, kind, admin, mfa, factors, url, credentials';

function emptyByState(): Record<MfaState, number> {
  return { enabled: 0, weak: 0, disabled: 0, not_applicable: 0, unknown: 0 };
}

/** The hash of one audit row, chained to the previous row's hash. */
export function auditHash(prevHash: string, row: Omit<AuditRow, 'id' | 'prev_hash' | 'hash'>): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(JSON.stringify([row.at, row.actor, row.action, row.subject, row.detail]))
    .digest('hex');
}

/** The data access object of one database. */
export class Store {
  readonly db: Db;
  /** Prepared staging INSERTs by row count (see #stageInsert). */
  readonly #stageInserts = new Map<number, Statement<unknown[]>>();
  /** Statements run once per changed account or event, prepared once per connection. */
  readonly #prepared = new Map<string, Statement>();

  constructor(db: Db) {
    this.db = db;
    // Staging lives in the connection's temp schema: never in the main file, gone on crash.
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS staging (
      scan_id INTEGER NOT NULL, account_id TEXT NOT NULL, login TEXT NOT NULL, email TEXT, display_name TEXT,
      kind TEXT NOT NULL, admin INTEGER NOT NULL, mfa TEXT NOT NULL, factors TEXT NOT NULL, url TEXT, credentials TEXT,
      PRIMARY KEY (scan_id, account_id)) WITHOUT ROWID`);
  }

  /** `sql` prepared once per connection: for statements run once per account or event, where compiling cost more than running. */
  #cached(sql: string): Statement {
    let statement = this.#prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#prepared.set(sql, statement);
    }
    return statement;
  }

  /** Opens the database file and wraps it (`read`: it must exist, and is opened read-only). */
  static open(path: string, access: DatabaseAccess = 'write'): Store {
    return new Store(openDatabase(path, access));
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ── scans ────────────────────────────────────────────────────────────────

  beginScan(s: ScanStart): number {
    const r = this.db
      .prepare(`INSERT INTO scans (monitor_id, scope, scope_label, provider, started_at, status) VALUES (?, ?, ?, ?, ?, 'running')`)
      .run(s.monitorId, s.scope, s.scopeLabel, s.provider, s.startedAt.toISOString());
    return Number(r.lastInsertRowid);
  }

  finishScan(scanId: number, e: ScanEnd): void {
    this.db
      .prepare(
        `UPDATE scans SET status = @status, ended_at = @ended_at, scope_label = COALESCE(@scope_label, scope_label),
           baseline = @baseline, accounts = @accounts, without_mfa = @without_mfa, changes = @changes, requests = @requests,
           data_as_of = @data_as_of, error_reason = @error_reason, error_message = @error_message, warnings = @warnings
         WHERE id = @id`,
      )
      .run({
        id: scanId,
        status: e.status,
        ended_at: e.endedAt.toISOString(),
        scope_label: e.scopeLabel ?? null,
        baseline: e.baseline ? 1 : 0,
        accounts: e.accounts ?? null,
        without_mfa: e.withoutMfa ?? null,
        changes: e.changes ?? null,
        requests: e.requests,
        data_as_of: e.dataAsOf?.toISOString() ?? null,
        error_reason: e.errorReason ?? null,
        error_message: e.errorMessage ?? null,
        warnings: JSON.stringify(e.warnings ?? []),
      });
  }

  /** Marks scans left `running` by a process that died as `abandoned`; returns how many. */
  abandonRunningScans(at: Date): number {
    return this.db
      .prepare(`UPDATE scans SET status = 'abandoned', ended_at = ?, error_reason = 'aborted', error_message = 'the process stopped before the scan finished; nothing was committed' WHERE status = 'running'`)
      .run(at.toISOString()).changes;
  }

  /** True once the scope has a committed (baseline) scan. */
  hasBaseline(monitorId: string, scope: string): boolean {
    return this.db.prepare(`SELECT 1 FROM scans WHERE monitor_id = ? AND scope = ? AND status = 'succeeded' LIMIT 1`).get(monitorId, scope) !== undefined;
  }

  lastScan(monitorId: string, scope: string, status?: ScanStatus): ScanRow | undefined {
    if (status) {
      return this.db.prepare(`SELECT * FROM scans WHERE monitor_id = ? AND scope = ? AND status = ? ORDER BY id DESC LIMIT 1`).get(monitorId, scope, status) as ScanRow | undefined;
    }
    return this.db.prepare(`SELECT * FROM scans WHERE monitor_id = ? AND scope = ? AND status != 'running' ORDER BY id DESC LIMIT 1`).get(monitorId, scope) as ScanRow | undefined;
  }

  /** Failed scans since the last success (abandoned ones do not count: they say nothing of the provider). */
  consecutiveFailures(monitorId: string, scope: string): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM scans WHERE monitor_id = @m AND scope = @s AND status = 'failed'
           AND id > COALESCE((SELECT MAX(id) FROM scans WHERE monitor_id = @m AND scope = @s AND status = 'succeeded'), 0)`,
      )
      .get({ m: monitorId, s: scope }) as { n: number };
    return row.n;
  }

  /** Every (monitor, scope) that has scans, for `status`. */
  knownScopes(): Array<{ monitor_id: string; scope: string }> {
    return this.db.prepare(`SELECT DISTINCT monitor_id, scope FROM scans ORDER BY monitor_id, scope`).all() as Array<{ monitor_id: string; scope: string }>;
  }

  // ── staging ──────────────────────────────────────────────────────────────

  /**
   * The INSERT of `rows` staged accounts in one statement, prepared once per row count. One
   * statement per account cost more than the rest of the scan's SQLite work together.
   */
  #stageInsert(rows: number): Statement<unknown[]> {
    let insert = this.#stageInserts.get(rows);
    if (!insert) {
      const tuple = `(${new Array<string>(STAGE_COLUMNS).fill('?').join(', ')})`;
      insert = this.db.prepare<unknown[]>(`INSERT INTO temp.staging (scan_id, ${ACCOUNT_COLUMNS}) VALUES ${new Array<string>(rows).fill(tuple).join(', ')}`);
      this.#stageInserts.set(rows, insert);
    }
    return insert;
  }

  /** Adds observations of a running scan; an account seen twice fails the scan (the list shifted while paging). */
  stage(scanId: number, accounts: readonly AccountState[]): void {
    try {
      this.transaction(() => {
        const values: unknown[] = [];
        for (let start = 0; start < accounts.length; start += STAGE_ROWS_PER_INSERT) {
          const rows = accounts.slice(start, start + STAGE_ROWS_PER_INSERT);
          values.length = 0;
          for (const a of rows) {
            values.push(scanId, a.accountId, a.login, a.email, a.displayName, a.kind, a.admin ? 1 : 0, a.mfa, a.factors.length === 0 ? '[]' : JSON.stringify(a.factors), a.url, a.credentials ? JSON.stringify(a.credentials) : null);
          }
          this.#stageInsert(rows.length).run(values);
        }
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new ProviderError('the provider listed the same account twice in one scan', {
          reason: 'malformed',
          provider: 'mfawatch',
          hint: 'the list probably changed while it was being paged through; nothing was committed and the next scan will retry',
          cause: err,
        });
      }
      throw err;
    }
  }

  dropStaging(scanId: number): void {
    // Alone in staging (the usual case), the whole table is emptied with SQLite's truncate
    // optimisation instead of a million single-row deletes.
    const others = this.db.prepare(`SELECT 1 FROM temp.staging WHERE scan_id != ? LIMIT 1`).get(scanId);
    if (others === undefined) this.db.prepare(`DELETE FROM temp.staging`).run();
    else this.db.prepare(`DELETE FROM temp.staging WHERE scan_id = ?`).run(scanId);
  }

  /** Counts of the staged accounts. */
  stagedCounts(scanId: number): StateCounts {
    return this.counts(`FROM temp.staging WHERE scan_id = ?`, [scanId]);
  }

  /** Counts of the stored accounts of one scope. */
  storedCounts(monitorId: string, scope: string): StateCounts {
    return this.counts(`FROM accounts WHERE monitor_id = ? AND scope = ?`, [monitorId, scope]);
  }

  private counts(from: string, params: unknown[]): StateCounts {
    const rows = this.db.prepare(`SELECT mfa, COUNT(*) AS n, SUM(admin) AS admins ${from} GROUP BY mfa`).all(...params) as Array<{ mfa: MfaState; n: number; admins: number }>;
    const byState = emptyByState();
    let accounts = 0;
    let admins = 0;
    for (const r of rows) {
      byState[r.mfa] = r.n;
      accounts += r.n;
      admins += r.admins;
    }
    return { accounts, admins, byState };
  }

  /** Staged accounts without MFA (disabled or weak), privileged first. */
  stagedWithoutMfa(scanId: number, limit: number): AccountState[] {
    const rows = this.db
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM temp.staging WHERE scan_id = ? AND mfa IN ('disabled', 'weak') ORDER BY admin DESC, kind = 'root' DESC, login LIMIT ?`)
      .all(scanId, limit) as AccountRow[];
    return rows.map(accountFromRow);
  }

  /**
   * Staged accounts that are new or differ from the stored state, with their stored state. An
   * `unknown` staged MFA state does not count as a difference from a known stored one.
   */
  changedAccounts(scanId: number, monitorId: string, scope: string): Array<{ before: AccountState | null; after: AccountState }> {
    const rows = this.db
      .prepare(
        `SELECT s.account_id, s.login, s.email, s.display_name, s.kind, s.admin, s.mfa, s.factors, s.url, s.credentials,
                a.account_id AS b_account_id, a.login AS b_login, a.email AS b_email, a.display_name AS b_display_name,
                a.kind AS b_kind, a.admin AS b_admin, a.mfa AS b_mfa, a.factors AS b_factors, a.url AS b_url, a.credentials AS b_credentials
           FROM temp.staging s
           LEFT JOIN accounts a ON a.monitor_id = @m AND a.scope = @s AND a.account_id = s.account_id
          WHERE s.scan_id = @scan
            AND (a.account_id IS NULL OR a.login IS NOT s.login OR a.email IS NOT s.email OR a.display_name IS NOT s.display_name
                 OR a.kind IS NOT s.kind OR a.admin IS NOT s.admin OR a.url IS NOT s.url
                 OR (s.credentials IS NOT NULL AND a.credentials IS NOT s.credentials)
                 OR (s.mfa != 'unknown' AND (a.mfa IS NOT s.mfa OR a.factors IS NOT s.factors))
                 OR (s.mfa = 'unknown' AND a.mfa = 'unknown' AND a.factors IS NOT s.factors))`,
      )
      .all({ scan: scanId, m: monitorId, s: scope }) as Array<AccountRow & Record<`b_${keyof AccountRow}`, unknown>>;
    return rows.map((r) => ({
      after: accountFromRow(r),
      before:
        r.b_account_id === null
          ? null
          : accountFromRow({
              account_id: r.b_account_id as string,
              login: r.b_login as string,
              email: r.b_email as string | null,
              display_name: r.b_display_name as string | null,
              kind: r.b_kind as string,
              admin: r.b_admin as number,
              mfa: r.b_mfa as string,
              factors: r.b_factors as string,
              url: r.b_url as string | null,
              credentials: r.b_credentials as string | null,
            }),
    }));
  }

  /** Stored accounts of the scope that the staged scan did not list. */
  removedAccounts(scanId: number, monitorId: string, scope: string): AccountState[] {
    const rows = this.db
      .prepare(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.monitor_id = @m AND a.scope = @s
           AND NOT EXISTS (SELECT 1 FROM temp.staging s WHERE s.scan_id = @scan AND s.account_id = a.account_id)`,
      )
      .all({ scan: scanId, m: monitorId, s: scope }) as AccountRow[];
    return rows.map(accountFromRow);
  }

  /** Stores a baseline straight from staging, with one history row per account (set-based). */
  commitBaselineFromStaging(scanId: number, monitorId: string, scope: string, at: Date): void {
    const p = { scan: scanId, m: monitorId, s: scope, at: at.toISOString() };
    this.db
      .prepare(
        `INSERT INTO accounts (monitor_id, scope, ${ACCOUNT_COLUMNS}, first_seen, changed_at)
         SELECT @m, @s, ${ACCOUNT_COLUMNS}, @at, @at FROM temp.staging WHERE scan_id = @scan
         ON CONFLICT (monitor_id, scope, account_id) DO UPDATE SET login = excluded.login, email = excluded.email,
           display_name = excluded.display_name, kind = excluded.kind, admin = excluded.admin, mfa = excluded.mfa,
           factors = excluded.factors, url = excluded.url, credentials = excluded.credentials, changed_at = excluded.changed_at`,
      )
      .run(p);
    this.db
      .prepare(
        `INSERT INTO account_history (monitor_id, scope, account_id, scan_id, at, change, login, email, kind, admin, mfa, factors)
         SELECT @m, @s, account_id, @scan, @at, 'added', login, email, kind, admin, mfa, factors FROM temp.staging WHERE scan_id = @scan`,
      )
      .run(p);
  }

  upsertAccount(monitorId: string, scope: string, a: AccountState, at: Date): void {
    this
      .#cached(
        `INSERT INTO accounts (monitor_id, scope, ${ACCOUNT_COLUMNS}, first_seen, changed_at)
         VALUES (@m, @s, @account_id, @login, @email, @display_name, @kind, @admin, @mfa, @factors, @url, @credentials, @at, @at)
         ON CONFLICT (monitor_id, scope, account_id) DO UPDATE SET login = excluded.login, email = excluded.email,
           display_name = excluded.display_name, kind = excluded.kind, admin = excluded.admin, mfa = excluded.mfa,
           factors = excluded.factors, url = excluded.url, credentials = excluded.credentials, changed_at = excluded.changed_at`,
      )
      .run({ m: monitorId, s: scope, at: at.toISOString(), ...accountParams(a) });
  }

  /** The stored state of one account, or null. */
  storedAccount(monitorId: string, scope: string, accountId: string): AccountState | null {
    const row = this.#cached(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?`).get(monitorId, scope, accountId) as AccountRow | undefined;
    return row ? accountFromRow(row) : null;
  }

  deleteAccount(monitorId: string, scope: string, accountId: string): void {
    this.#cached(`DELETE FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?`).run(monitorId, scope, accountId);
  }

  addHistory(monitorId: string, scope: string, scanId: number, at: Date, change: 'added' | 'changed' | 'removed', a: AccountState): void {
    const p = accountParams(a);
    this
      .#cached(
        `INSERT INTO account_history (monitor_id, scope, account_id, scan_id, at, change, login, email, kind, admin, mfa, factors)
         VALUES (@m, @s, @account_id, @scan, @at, @change, @login, @email, @kind, @admin, @mfa, @factors)`,
      )
      .run({ m: monitorId, s: scope, scan: scanId, at: at.toISOString(), change, account_id: p.account_id, login: p.login, email: p.email, kind: p.kind, admin: p.admin, mfa: p.mfa, factors: p.factors });
  }

  // ── accounts (read side) ─────────────────────────────────────────────────

  accountsWithoutMfa(monitorId: string, scope: string, limit: number): AccountState[] {
    const rows = this.db
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE monitor_id = ? AND scope = ? AND mfa IN ('disabled', 'weak') ORDER BY admin DESC, kind = 'root' DESC, login LIMIT ?`)
      .all(monitorId, scope, limit) as AccountRow[];
    return rows.map(accountFromRow);
  }

  /** Accounts whose id, login or email equals `key` (for `history`). */
  findAccounts(key: string): Array<AccountState & { monitorId: string; scope: string }> {
    const rows = this.db
      .prepare(`SELECT monitor_id, scope, ${ACCOUNT_COLUMNS} FROM accounts WHERE account_id = @k OR login = @k COLLATE NOCASE OR email = @k COLLATE NOCASE`)
      .all({ k: key }) as Array<AccountRow & { monitor_id: string; scope: string }>;
    return rows.map((r) => ({ ...accountFromRow(r), monitorId: r.monitor_id, scope: r.scope }));
  }

  /** History rows of accounts whose id, login or email equals `key`, including removed ones. */
  history(key: string): Array<{ monitor_id: string; scope: string; account_id: string; at: string; change: string; login: string; email: string | null; kind: string; admin: number; mfa: string; factors: string }> {
    return this.db
      .prepare(
        `SELECT monitor_id, scope, account_id, at, change, login, email, kind, admin, mfa, factors FROM account_history
          WHERE (monitor_id, scope, account_id) IN (SELECT monitor_id, scope, account_id FROM account_history WHERE account_id = @k OR login = @k COLLATE NOCASE OR email = @k COLLATE NOCASE)
          ORDER BY id`,
      )
      .all({ k: key }) as ReturnType<Store['history']>;
  }

  // ── events ───────────────────────────────────────────────────────────────

  insertEvent(e: Omit<ChangeEvent, 'id'>, scanId: number | null): number {
    const r = this
      .#cached(
        `INSERT INTO events (scan_id, monitor_id, scope, provider, type, severity, at, account_id, login, summary, before, after, detail)
         VALUES (@scan_id, @monitor_id, @scope, @provider, @type, @severity, @at, @account_id, @login, @summary, @before, @after, @detail)`,
      )
      .run({
        scan_id: scanId,
        monitor_id: e.monitorId,
        scope: e.scope,
        provider: e.provider,
        type: e.type,
        severity: e.severity,
        at: e.at,
        account_id: e.accountId,
        login: e.login,
        summary: e.summary,
        before: e.before ? JSON.stringify(e.before) : null,
        after: e.after ? JSON.stringify(e.after) : null,
        detail: e.detail ? JSON.stringify(e.detail) : null,
      });
    return Number(r.lastInsertRowid);
  }

  /** Events at or after `since`, newest last, each with its deliveries. */
  eventsSince(since: Date, limit: number): Array<ChangeEvent & { deliveries: Array<{ notifier: string; status: string; attempts: number; lastError: string | null }> }> {
    const rows = this.db.prepare(`SELECT * FROM (SELECT * FROM events WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id`).all(since.toISOString(), limit) as EventRow[];
    const deliveries = this.db.prepare(
      `SELECT o.notifier_id AS notifier, o.status, o.attempts, o.last_error AS lastError FROM outbox_events oe JOIN outbox o ON o.id = oe.outbox_id WHERE oe.event_id = ? ORDER BY o.notifier_id`,
    );
    return rows.map((r) => ({ ...eventFromRow(r), deliveries: deliveries.all(r.id) as Array<{ notifier: string; status: string; attempts: number; lastError: string | null }> }));
  }

  // ── outbox ───────────────────────────────────────────────────────────────

  /** Queues one batch for one notifier (idempotent per notifier and batch id). */
  enqueue(notifierId: string, batchId: string, kind: string, payload: unknown, eventIds: readonly number[], at: Date): number | null {
    const r = this.db
      .prepare(
        `INSERT INTO outbox (notifier_id, batch_id, kind, payload, status, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (notifier_id, batch_id) DO NOTHING`,
      )
      .run(notifierId, batchId, kind, JSON.stringify(payload), at.toISOString(), at.toISOString());
    if (r.changes === 0) return null;
    const outboxId = Number(r.lastInsertRowid);
    const link = this.db.prepare(`INSERT INTO outbox_events (outbox_id, event_id) VALUES (?, ?)`);
    for (const id of eventIds) link.run(outboxId, id);
    return outboxId;
  }

  /** Pending deliveries due at `now`, oldest first. */
  dueDeliveries(now: Date, limit: number): OutboxRow[] {
    return this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`).all(now.toISOString(), limit) as OutboxRow[];
  }

  pendingDeliveries(): OutboxRow[] {
    return this.db.prepare(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY next_attempt_at, id`).all() as OutboxRow[];
  }

  /** Records one attempt and the row's new state, in one transaction. */
  recordAttempt(
    outboxId: number,
    attempt: { at: Date; ok: boolean; reason?: string | undefined; error?: string | undefined; durationMs: number },
    next: { status: 'pending' | 'sent' | 'failed'; nextAttemptAt?: Date | undefined },
  ): void {
    this.transaction(() => {
      this.db
        .prepare(`INSERT INTO delivery_attempts (outbox_id, at, ok, reason, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(outboxId, attempt.at.toISOString(), attempt.ok ? 1 : 0, attempt.reason ?? null, attempt.error ?? null, Math.round(attempt.durationMs));
      this.db
        .prepare(
          `UPDATE outbox SET status = @status, attempts = attempts + 1, last_error = @error,
             sent_at = CASE WHEN @status = 'sent' THEN @at ELSE sent_at END,
             next_attempt_at = COALESCE(@next, next_attempt_at) WHERE id = @id`,
        )
        .run({ id: outboxId, status: next.status, error: attempt.ok ? null : (attempt.error ?? null), at: attempt.at.toISOString(), next: next.nextAttemptAt?.toISOString() ?? null });
    });
  }

  outboxRow(id: number): OutboxRow | undefined {
    return this.db.prepare(`SELECT * FROM outbox WHERE id = ?`).get(id) as OutboxRow | undefined;
  }

  // ── audit ────────────────────────────────────────────────────────────────

  /** Appends one audit row, chained to the previous row's hash. */
  audit(entry: AuditEntry): void {
    this.transaction(() => {
      const last = this.db.prepare(`SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).get() as { hash: string } | undefined;
      const prev = last?.hash ?? GENESIS;
      const row = { at: entry.at.toISOString(), actor: entry.actor, action: entry.action, subject: entry.subject ?? null, detail: JSON.stringify(entry.detail ?? {}) };
      this.db
        .prepare(`INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash) VALUES (@at, @actor, @action, @subject, @detail, @prev_hash, @hash)`)
        .run({ ...row, prev_hash: prev, hash: auditHash(prev, row) });
    });
  }

  auditRows(sinceId = 0): AuditRow[] {
    return this.db.prepare(`SELECT * FROM audit WHERE id > ? ORDER BY id`).all(sinceId) as AuditRow[];
  }
}
