/**
 * A scan that finds nothing changed writes no per-account row: the diff runs inside SQLite and
 * only accounts that differ reach an INSERT, UPDATE or DELETE. Proved with temp triggers that
 * count every write to accounts and account_history on the CLI's own connection.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_unchanged_scan_owner_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let store: Store;
let configPath: string;
const clock = new PinnedClock();

const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN }, overrides: { store, clock } });

function writes(): Record<string, number> {
  const rows = store.db.prepare(`SELECT tbl || ' ' || op AS k, COUNT(*) AS n FROM temp.account_writes GROUP BY k`).all() as Array<{ k: string; n: number }>;
  store.db.exec(`DELETE FROM temp.account_writes`);
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.generateMembers(450);
  gh.addOutsideCollaborator({ id: 50, login: 'victor', twoFactor: 'disabled' });
  await gh.start();
  dir = tempDir();
  store = Store.open(join(dir.path, 'state.db'));
  store.db.exec(`CREATE TEMP TABLE account_writes (tbl TEXT NOT NULL, op TEXT NOT NULL)`);
  for (const table of ['accounts', 'account_history']) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      store.db.exec(`CREATE TEMP TRIGGER count_${table}_${op} AFTER ${op} ON main.${table} BEGIN INSERT INTO temp.account_writes VALUES ('${table}', '${op.toLowerCase()}'); END`);
    }
  }
  configPath = writeConfig(dir.path, {
    database: './state.db',
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  store.close();
  dir.cleanup();
});

describe('a scan with no changes', () => {
  it('writes no account or history row; one change writes exactly its own rows', async () => {
    expect((await run()).code).toBe(0);
    expect(writes()).toEqual({ 'accounts insert': 451, 'account_history insert': 451 });

    clock.advance(3_600_000);
    const unchanged = await run();
    expect(unchanged.code).toBe(0);
    expect(unchanged.stderr).toMatch(/scan ok, 451 accounts, 0 change\(s\)/);
    expect(writes()).toEqual({});

    clock.advance(3_600_000);
    const user = gh.members.get(100_001);
    if (!user) throw new Error('the fake has no member 100001');
    user.twoFactor = 'disabled';
    expect((await run()).code).toBe(0);
    // The upsert of the one changed account, and its history row.
    expect(writes()).toEqual({ 'accounts update': 1, 'account_history insert': 1 });
  });
});
