/** The core's last line of defence: a module error quoting its own credential is redacted before it is stored or logged. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Monitor } from '../../monitors/types.js';
import { migrate } from '../../storage/db.js';
import { Store } from '../../storage/store.js';
import { Secret } from '../../src/core/secret.js';
import { scanScope, secretsIn } from '../../src/scan/run-scan.js';
import { memoryLogger, PinnedClock } from '../helpers.js';

describe('scanScope secret redaction', () => {
  it('finds secrets at any depth of a config', () => {
    const a = new Secret('one-secret');
    const b = new Secret('two-secret');
    expect(secretsIn({ id: 'x', token: a, nested: { list: [{ key: b }] } })).toEqual([a, b]);
  });

  it('redacts every configured secret from a failed scan error', async () => {
    const token = new Secret('sk_live_VERYSECRET_42');
    const monitor: Monitor = {
      scopes: () => [{ id: '', label: 'x' }],
      // eslint-disable-next-line require-yield
      async *scan() {
        throw new Error(`request with Authorization: Bearer ${token.reveal()} was refused`);
      },
    };
    const db = new Database(':memory:');
    migrate(db);
    const store = new Store(db);
    const logs = memoryLogger();
    const outcome = await scanScope({ id: 'm', type: 'custom', ...({ nested: { token } } as object) }, 'Custom', monitor, { id: '', label: 'x' }, {
      store, clock: new PinnedClock(), logger: logs.logger, notifiers: [], severity: {}, failureThreshold: 1, scanDeadline: 10_000, signal: new AbortController().signal, actor: 'test',
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(/Bearer \[redacted\] was refused/);
    const stored = JSON.stringify(store.db.prepare('SELECT * FROM scans').all()) + JSON.stringify(store.db.prepare('SELECT * FROM audit').all()) + JSON.stringify(store.db.prepare('SELECT * FROM events').all());
    expect(stored).not.toContain(token.reveal());
    expect(logs.text()).not.toContain(token.reveal());
    store.close();
  });
});
