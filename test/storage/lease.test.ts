import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { takeWorkerLease } from '../../src/lease.js';
import { migrate } from '../../storage/db.js';
import { acquireLease, releaseLease, renewLease, WORKER_LEASE } from '../../storage/lease.js';
import { Store } from '../../storage/store.js';
import { memoryLogger, PinnedClock } from '../helpers.js';

const at = (iso: string) => new Date(iso);
const claim = (pid: number, now: string, isDead = false) => ({ pid, host: 'h1', command: 'mfawatch start', now: at(now), ttlMs: 120_000, isDead: () => isDead });

describe('lease rows', () => {
  it('one holder at a time; renewals extend it; expiry or death frees it; release gives it up', () => {
    const db = new Database(':memory:');
    migrate(db);
    const store = new Store(db);
    expect(acquireLease(store, WORKER_LEASE, claim(1, '2026-11-22T10:00:00Z'))).toEqual({ acquired: true, tookOver: null });
    expect(acquireLease(store, WORKER_LEASE, claim(2, '2026-11-22T10:01:00Z'))).toMatchObject({ acquired: false, current: { holder: '1@h1', expires_at: '2026-11-22T10:02:00.000Z' } });
    expect(renewLease(store, WORKER_LEASE, 1, 'h1', at('2026-11-22T10:01:30Z'), 120_000)).toBe(true);
    expect(acquireLease(store, WORKER_LEASE, claim(2, '2026-11-22T10:03:00Z')).acquired).toBe(false); // renewed until 10:03:30
    expect(acquireLease(store, WORKER_LEASE, claim(2, '2026-11-22T10:03:00Z', true))).toMatchObject({ acquired: true, tookOver: { holder: '1@h1' } });
    expect(renewLease(store, WORKER_LEASE, 1, 'h1', at('2026-11-22T10:03:10Z'), 120_000)).toBe(false); // no longer ours
    releaseLease(store, WORKER_LEASE, 1, 'h1'); // not ours: no effect
    expect(acquireLease(store, WORKER_LEASE, claim(3, '2026-11-22T10:04:00Z')).acquired).toBe(false);
    releaseLease(store, WORKER_LEASE, 2, 'h1');
    expect(acquireLease(store, WORKER_LEASE, claim(3, '2026-11-22T10:04:00Z'))).toEqual({ acquired: true, tookOver: null });
    expect(acquireLease(store, WORKER_LEASE, claim(3, '2026-11-22T10:04:10Z')).acquired).toBe(true); // re-entrant
    store.close();
  });
});

describe('takeWorkerLease', () => {
  it('renews while held and calls onLost once when another process took the lease over', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
    const logs = memoryLogger();
    const app = createApp(resolveConfig({ database: ':memory:', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x' }] }, {}), { clock, logger: logs.logger });
    try {
      const lost = vi.fn();
      const lease = takeWorkerLease(app, 'start', lost);
      const expires = () => (app.store.db.prepare(`SELECT expires_at FROM leases`).get() as { expires_at: string }).expires_at;
      expect(expires()).toBe('2026-11-22T10:02:00.000Z');
      clock.advance(30_000);
      vi.advanceTimersByTime(30_000);
      expect(expires()).toBe('2026-11-22T10:02:30.000Z');
      app.store.db.prepare(`UPDATE leases SET pid = 1, holder = '1@other', host = 'other'`).run();
      vi.advanceTimersByTime(60_000);
      expect(lost).toHaveBeenCalledTimes(1);
      expect(logs.text()).toMatch(/the worker lease was taken over by another mfawatch/);
      lease.release();
      expect(app.store.db.prepare(`SELECT holder FROM leases`).get()).toEqual({ holder: '1@other' }); // not ours to release
    } finally {
      vi.useRealTimers();
      app.close();
    }
  });
});
