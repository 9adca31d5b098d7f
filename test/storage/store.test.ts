import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../storage/db.js';
import { MIGRATIONS } from '../../storage/migrations.js';
import { Store, auditHash } from '../../storage/store.js';
import type { AccountState } from '../../src/core/types.js';
import { ProviderError } from '../../src/core/errors.js';
import { tempDir } from '../helpers.js';

const acct = (id: string, over: Partial<AccountState> = {}): AccountState => ({
  accountId: id, login: `u${id}`, email: null, displayName: null, kind: 'member', admin: false, mfa: 'enabled', factors: [], url: null, ...over,
});

let dir: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  dir = tempDir();
  store = Store.open(join(dir.path, 'm.db'));
});
afterEach(() => {
  store.close();
  dir.cleanup();
});

describe('database file', () => {
  it('is created 0600, in WAL mode, at the latest schema version; reopening migrates nothing twice', () => {
    const path = join(dir.path, 'm.db');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
    const again = openDatabase(path);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    again.close();
    store = Store.open(path);
  });

  it('refuses a database from a newer mfawatch', () => {
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    expect(() => openDatabase(join(dir.path, 'm.db'))).toThrow(/newer than this mfawatch/);
    const db = openDatabase(':memory:');
    db.close();
    store = Store.open(join(dir.path, 'other.db'));
  });
});

describe('staging and the set-based diff queries', () => {
  const begin = () => store.beginScan({ monitorId: 'm', scope: '', scopeLabel: 'x', provider: 'P', startedAt: new Date() });

  it('an account listed twice in one scan fails the scan as malformed', () => {
    const scan = begin();
    expect(() => store.stage(scan, [acct('1'), acct('1')])).toThrow(ProviderError);
    expect(() => store.stage(scan, [acct('1')])).not.toThrow();
    expect(() => store.stage(scan, [acct('1')])).toThrow(/listed the same account twice/);
  });

  it('finds new, changed and removed accounts; unknown readings are not changes', () => {
    const s1 = begin();
    store.stage(s1, [acct('1'), acct('2'), acct('3', { mfa: 'disabled' })]);
    store.commitBaselineFromStaging(s1, 'm', '', new Date());
    store.finishScan(s1, { status: 'succeeded', endedAt: new Date(), requests: 1 });
    store.dropStaging(s1);

    const s2 = begin();
    store.stage(s2, [acct('1'), acct('2', { mfa: 'unknown' }), acct('3', { mfa: 'enabled' }), acct('4')]);
    const changed = store.changedAccounts(s2, 'm', '');
    expect(changed.map((c) => [c.after.accountId, c.before?.mfa ?? null, c.after.mfa])).toEqual([
      ['3', 'disabled', 'enabled'],
      ['4', null, 'enabled'],
    ]);
    const s3 = begin();
    store.stage(s3, [acct('2')]);
    expect(store.removedAccounts(s3, 'm', '').map((a) => a.accountId).sort()).toEqual(['1', '3']);
  });

  it('staging is per scan: two scans streaming at once do not mix', () => {
    const a = begin();
    const b = begin();
    store.stage(a, [acct('1')]);
    store.stage(b, [acct('1'), acct('2')]);
    expect(store.stagedCounts(a).accounts).toBe(1);
    expect(store.stagedCounts(b).accounts).toBe(2);
  });
});

describe('audit log', () => {
  it('chains each row to the previous one and refuses updates and deletes', () => {
    store.audit({ at: new Date('2026-01-01T00:00:00Z'), actor: 'alice', action: 'kill', subject: 'bob@example.com', detail: { dryRun: true } });
    store.audit({ at: new Date('2026-01-01T00:01:00Z'), actor: 'system', action: 'scan.committed', subject: 'gh' });
    const rows = store.auditRows();
    expect(rows[0]?.prev_hash).toBe('0'.repeat(64));
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    for (const r of rows) expect(r.hash).toBe(auditHash(r.prev_hash, r));
    expect(() => store.db.prepare(`UPDATE audit SET actor = 'mallory'`).run()).toThrow(/append-only/);
    expect(() => store.db.prepare(`DELETE FROM audit`).run()).toThrow(/append-only/);
  });
});

describe('outbox', () => {
  it('queues a batch once per notifier and batch id', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(store.enqueue('slack', 'scan-1', 'changes', { x: 1 }, [], at)).toBeTypeOf('number');
    expect(store.enqueue('slack', 'scan-1', 'changes', { x: 1 }, [], at)).toBeNull();
    expect(store.enqueue('mail', 'scan-1', 'changes', { x: 1 }, [], at)).toBeTypeOf('number');
    expect(store.dueDeliveries(at, 10)).toHaveLength(2);
    expect(store.dueDeliveries(new Date(at.getTime() - 1), 10)).toHaveLength(0);
  });
});
