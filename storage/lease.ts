/**
 * The single-instance lease: one row per database naming the process that may scan and deliver.
 * A lease has an expiry and is renewed while its holder lives, so a holder that crashed blocks
 * the next one at most until the expiry (at once on the same host, where a dead pid is
 * detectable).
 */
import type { Store } from './store.js';

/** The lease guarding scans and deliveries of one database. */
export const WORKER_LEASE = 'worker';

export interface LeaseRow {
  name: string;
  holder: string;
  pid: number;
  host: string;
  command: string;
  acquired_at: string;
  expires_at: string;
}

export interface LeaseClaim {
  pid: number;
  host: string;
  command: string;
  now: Date;
  ttlMs: number;
  /** True when `pid` on this host is known to be gone (its lease may be taken over at once). */
  isDead: (row: LeaseRow) => boolean;
}

export type LeaseResult = { acquired: true; tookOver: LeaseRow | null } | { acquired: false; current: LeaseRow };

/** Takes the lease when it is free, expired, held by a dead process, or already ours. Atomic. */
export function acquireLease(store: Store, name: string, claim: LeaseClaim): LeaseResult {
  return store.db.transaction((): LeaseResult => {
    const current = store.db.prepare(`SELECT * FROM leases WHERE name = ?`).get(name) as LeaseRow | undefined;
    const mine = current !== undefined && current.pid === claim.pid && current.host === claim.host;
    const free = current === undefined || mine || Date.parse(current.expires_at) <= claim.now.getTime() || claim.isDead(current);
    if (!free) return { acquired: false, current };
    store.db
      .prepare(
        `INSERT INTO leases (name, holder, pid, host, command, acquired_at, expires_at) VALUES (@name, @holder, @pid, @host, @command, @at, @expires)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, command = excluded.command,
           acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
      )
      .run({ name, holder: `${claim.pid}@${claim.host}`, pid: claim.pid, host: claim.host, command: claim.command, at: claim.now.toISOString(), expires: new Date(claim.now.getTime() + claim.ttlMs).toISOString() });
    return { acquired: true, tookOver: current && !mine ? current : null };
  }).immediate();
}

/** Extends our lease; false when it is no longer ours (another process took it over). */
export function renewLease(store: Store, name: string, pid: number, host: string, now: Date, ttlMs: number): boolean {
  return store.db.prepare(`UPDATE leases SET expires_at = ? WHERE name = ? AND pid = ? AND host = ?`).run(new Date(now.getTime() + ttlMs).toISOString(), name, pid, host).changes === 1;
}

/** Gives the lease up (only when it is ours). */
export function releaseLease(store: Store, name: string, pid: number, host: string): void {
  store.db.prepare(`DELETE FROM leases WHERE name = ? AND pid = ? AND host = ?`).run(name, pid, host);
}
