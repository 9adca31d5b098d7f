/**
 * One instance at a time: `mfawatch run` and `mfawatch start` take the database's worker lease
 * before scanning or delivering, renew it while they work, and give it up when they stop. A second
 * process on the same database refuses with a message naming the holder. A holder that crashed
 * blocks nobody for long: on the same host its dead pid frees the lease at once; elsewhere the
 * lease expires LEASE_TTL_MS after its last renewal.
 */
import { hostname } from 'node:os';
import { acquireLease, releaseLease, renewLease, WORKER_LEASE, type LeaseRow } from '../storage/lease.js';
import type { App } from './app.js';

/** How long a lease lasts without renewal. */
export const LEASE_TTL_MS = 120_000;
/** How often the holder renews it. */
const RENEW_EVERY_MS = 30_000;

/** Raised when another live process holds the lease; the CLI exits 1 with this message. */
export class LeaseHeldError extends Error {
  readonly holder: LeaseRow;
  constructor(holder: LeaseRow, database: string) {
    super(
      `another mfawatch (\`${holder.command}\`, pid ${holder.holder}) is working on ${database} since ${holder.acquired_at}; ` +
        `only one may scan and deliver at a time. Wait for it to finish or stop it; if it died on another host, its lease expires at ${holder.expires_at}`,
    );
    this.name = 'LeaseHeldError';
    this.holder = holder;
  }
}

export interface LeaseHandle {
  release(): void;
}

/** True when the lease row names a process on this host that no longer exists. */
function isDeadHere(row: LeaseRow): boolean {
  if (row.host !== hostname()) return false;
  try {
    process.kill(row.pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}

/**
 * Takes the worker lease for `command` ("run", "start", "accept"), renewing it until released;
 * throws LeaseHeldError. `onLost` runs once if another process takes the lease over (this one
 * was stalled past the expiry): the caller must stop working.
 */
export function takeWorkerLease(app: App, command: string, onLost?: () => void): LeaseHandle {
  const host = hostname();
  const pid = process.pid;
  const result = acquireLease(app.store, WORKER_LEASE, { pid, host, command: `mfawatch ${command}`, now: app.clock.now(), ttlMs: LEASE_TTL_MS, isDead: isDeadHere });
  if (!result.acquired) throw new LeaseHeldError(result.current, app.config.database);
  if (result.tookOver) {
    const previous = result.tookOver;
    app.logger.warn({ previous: previous.holder, expiresAt: previous.expires_at }, `took over the lease of ${previous.holder} (\`${previous.command}\`), which is gone or expired`);
    app.store.audit({ at: app.clock.now(), actor: app.actor, action: 'lease.taken_over', subject: WORKER_LEASE, detail: { previous: previous.holder, command: previous.command, expiresAt: previous.expires_at } });
  }
  const timer = setInterval(() => {
    try {
      if (!renewLease(app.store, WORKER_LEASE, pid, host, app.clock.now(), LEASE_TTL_MS)) {
        clearInterval(timer);
        app.logger.error('the worker lease was taken over by another mfawatch (this one was stalled past its expiry); stopping so that only one works on the database');
        onLost?.();
      }
    } catch (err) {
      app.logger.error({ err }, 'could not renew the worker lease');
    }
  }, RENEW_EVERY_MS);
  timer.unref();
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      releaseLease(app.store, WORKER_LEASE, pid, host);
    },
  };
}
