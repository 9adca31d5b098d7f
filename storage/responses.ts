/**
 * Queries of the `responses` table: one row per decided session kill (automatic or manual), its
 * guard verdict, its claim and its per-service results. A row moves
 *   scheduled → running → done            (a responder run; `running` is the claim)
 *   scheduled → cancelled                 (`mfawatch cancel-kill` during the grace period)
 *   running   → interrupted               (the process died mid-kill: never re-run blindly)
 *   blocked                               (a guard said no; kept so the team is told and caps count right)
 */
import { hostname } from 'node:os';
import type { Store } from './store.js';

export type ResponseStatus = 'scheduled' | 'running' | 'done' | 'blocked' | 'cancelled' | 'interrupted';

export interface ResponseRow {
  id: number;
  identity: string;
  origin: 'auto' | 'manual';
  status: ResponseStatus;
  dry_run: number;
  event_id: number | null;
  scan_id: number | null;
  monitor_id: string | null;
  account: string | null;
  reason: string | null;
  created_at: string;
  due_at: string;
  claimed_at: string | null;
  finished_at: string | null;
  only: string | null;
  results: string | null;
  ok: number | null;
  actor: string;
  /** The process that claimed it ("pid@host"); null for rows from before it was recorded. */
  owner: string | null;
}

/** This process, as recorded in a kill's claim. */
export function thisProcess(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * True when `owner` names a process on this host that no longer exists: the kill it claimed will
 * never finish. (Another host's process cannot be checked: its kill waits for the time rule.)
 */
export function ownerIsGone(owner: string | null): boolean {
  const m = owner ? /^(\d+)@(.+)$/.exec(owner) : null;
  if (!m || m[2] !== hostname()) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface NewResponse {
  identity: string;
  origin: 'auto' | 'manual';
  status: 'scheduled' | 'running' | 'blocked';
  dryRun: boolean;
  eventId?: number | null | undefined;
  scanId?: number | null | undefined;
  monitorId?: string | null | undefined;
  account?: string | null | undefined;
  reason?: string | null | undefined;
  createdAt: Date;
  dueAt: Date;
  only?: readonly string[] | undefined;
  actor: string;
}

/** Rows that count against caps and cooldowns: decided kills, whatever became of them, except blocked and cancelled ones. */
const COUNTED = `status IN ('scheduled', 'running', 'done', 'interrupted')`;

export class ResponseStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  insert(r: NewResponse): number {
    const result = this.#store.db
      .prepare(
        `INSERT INTO responses (identity, origin, status, dry_run, event_id, scan_id, monitor_id, account, reason, created_at, due_at, claimed_at, only, actor, owner)
         VALUES (@identity, @origin, @status, @dry_run, @event_id, @scan_id, @monitor_id, @account, @reason, @created_at, @due_at, @claimed_at, @only, @actor, @owner)`,
      )
      .run({
        identity: r.identity,
        origin: r.origin,
        status: r.status,
        dry_run: r.dryRun ? 1 : 0,
        event_id: r.eventId ?? null,
        scan_id: r.scanId ?? null,
        monitor_id: r.monitorId ?? null,
        account: r.account ?? null,
        reason: r.reason ?? null,
        created_at: r.createdAt.toISOString(),
        due_at: r.dueAt.toISOString(),
        claimed_at: r.status === 'running' ? r.createdAt.toISOString() : null,
        only: r.only ? JSON.stringify(r.only) : null,
        actor: r.actor,
        owner: r.status === 'running' ? thisProcess() : null,
      });
    return Number(result.lastInsertRowid);
  }

  get(id: number): ResponseRow | undefined {
    return this.#store.db.prepare(`SELECT * FROM responses WHERE id = ?`).get(id) as ResponseRow | undefined;
  }

  /** Automatic kills decided since `since` (for maxPerDay). */
  autoCountSince(since: Date): number {
    return (this.#store.db.prepare(`SELECT COUNT(*) AS n FROM responses WHERE origin = 'auto' AND ${COUNTED} AND created_at >= ?`).get(since.toISOString()) as { n: number }).n;
  }

  /** When the identity's sessions were last killed or scheduled to be (for cooldown); null if never. */
  lastKillAt(identity: string): Date | null {
    const row = this.#store.db.prepare(`SELECT MAX(created_at) AS at FROM responses WHERE identity = ? COLLATE NOCASE AND ${COUNTED}`).get(identity) as { at: string | null };
    return row.at ? new Date(row.at) : null;
  }

  /** Scheduled rows due at `now`, oldest first. */
  due(now: Date): ResponseRow[] {
    return this.#store.db.prepare(`SELECT * FROM responses WHERE status = 'scheduled' AND due_at <= ? ORDER BY id`).all(now.toISOString()) as ResponseRow[];
  }

  /** Scheduled rows (due or in their grace period). */
  scheduled(): ResponseRow[] {
    return this.#store.db.prepare(`SELECT * FROM responses WHERE status = 'scheduled' ORDER BY due_at, id`).all() as ResponseRow[];
  }

  /**
   * Claims a scheduled row: true only for the one caller that moved it to `running`. The claim is
   * committed before any responder is called, so a crash after it can never run the kill again.
   */
  claim(id: number, at: Date): boolean {
    return this.#store.db.prepare(`UPDATE responses SET status = 'running', claimed_at = ?, owner = ? WHERE id = ? AND status = 'scheduled'`).run(at.toISOString(), thisProcess(), id).changes === 1;
  }

  finish(id: number, at: Date, ok: boolean, results: unknown): void {
    this.#store.db.prepare(`UPDATE responses SET status = 'done', finished_at = ?, ok = ?, results = ? WHERE id = ? AND status = 'running'`).run(at.toISOString(), ok ? 1 : 0, JSON.stringify(results), id);
  }

  /** Cancels the identity's scheduled kills; returns the rows cancelled. */
  cancel(identity: string, at: Date, why: string): ResponseRow[] {
    return this.#store.transaction(() => {
      const rows = this.#store.db.prepare(`SELECT * FROM responses WHERE status = 'scheduled' AND identity = ? COLLATE NOCASE`).all(identity) as ResponseRow[];
      const update = this.#store.db.prepare(`UPDATE responses SET status = 'cancelled', finished_at = ?, reason = ? WHERE id = ? AND status = 'scheduled'`);
      for (const r of rows) update.run(at.toISOString(), why, r.id);
      return rows;
    });
  }

  /**
   * Rows left `running` by a process that is gone (on this host), or since before `claimedBefore`
   * (longer than any kill may take, so their process died): marked `interrupted` and returned,
   * never re-run.
   */
  interruptRunning(at: Date, claimedBefore: Date): ResponseRow[] {
    return this.#store.transaction(() => {
      const running = this.#store.db.prepare(`SELECT * FROM responses WHERE status = 'running'`).all() as ResponseRow[];
      const rows = running.filter((r) => ownerIsGone(r.owner) || (r.claimed_at !== null && r.claimed_at <= claimedBefore.toISOString()));
      const update = this.#store.db.prepare(
        `UPDATE responses SET status = 'interrupted', finished_at = ?, reason = 'mfawatch stopped while this kill was running; which services were reached is unknown' WHERE id = ? AND status = 'running'`,
      );
      for (const r of rows) update.run(at.toISOString(), r.id);
      return rows;
    });
  }

  /**
   * Kills that want the team's eye, newest first: waiting or running (whatever their age), and
   * interrupted, blocked or failed at a service since `since`.
   */
  needingAttention(since: Date, limit = 50): ResponseRow[] {
    return this.#store.db
      .prepare(
        `SELECT * FROM responses
         WHERE status IN ('scheduled', 'running')
            OR (created_at >= ? AND (status IN ('interrupted', 'blocked') OR (status = 'done' AND ok = 0)))
         ORDER BY id DESC LIMIT ?`,
      )
      .all(since.toISOString(), limit) as ResponseRow[];
  }

  /** The identity's responses, newest first. */
  forIdentity(identity: string, limit = 20): ResponseRow[] {
    return this.#store.db.prepare(`SELECT * FROM responses WHERE identity = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?`).all(identity, limit) as ResponseRow[];
  }
}
