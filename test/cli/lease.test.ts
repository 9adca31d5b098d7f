/** One instance at a time: the worker lease taken by `run` (and `start`, `accept`). */
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_lease_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const run = () => runCli(['run', '--config', configPath], { env: { T: TOKEN } });

const withDb = <T>(fn: (db: Database.Database) => T): T => {
  const db = new Database(join(dir.path, 'l.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
};
const setLease = (pid: number, host: string, expiresAt: string) =>
  withDb((db) =>
    db.prepare(`INSERT OR REPLACE INTO leases (name, holder, pid, host, command, acquired_at, expires_at) VALUES ('worker', ?, ?, ?, 'mfawatch start', '2026-11-22T09:00:00.000Z', ?)`).run(`${pid}@${host}`, pid, host, expiresAt),
  );

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, { database: './l.db', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }] });
  expect((await run()).code).toBe(0); // creates the database; leaves no lease behind
  expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM leases').get())).toEqual({ n: 0 });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

describe('worker lease', () => {
  it('a second run refuses while a live holder has an unexpired lease, naming it and its expiry', async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    setLease(4242, 'other-host.example', expires);
    const scansBefore = withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM scans').get());
    const out = await run();
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/another mfawatch \(`mfawatch start`, pid 4242@other-host.example\) is working on .*l\.db since 2026-11-22T09:00:00.000Z.*its lease expires at /);
    expect(out.stderr).toContain(expires);
    expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM scans').get())).toEqual(scansBefore);
    expect((await runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal: Promise.resolve() })).code).toBe(1);
  });

  it('an expired lease is taken over, and the takeover is audited', async () => {
    setLease(4242, 'other-host.example', new Date(Date.now() - 60_000).toISOString());
    const out = await run();
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/took over the lease of 4242@other-host.example/);
    expect(withDb((db) => db.prepare(`SELECT detail FROM audit WHERE action = 'lease.taken_over'`).all())).toHaveLength(1);
  });

  it('on the same host, a dead holder frees the lease at once', async () => {
    setLease(2 ** 22 + 12_345, hostname(), new Date(Date.now() + 3_600_000).toISOString()); // above pid_max: no such process
    expect((await run()).code).toBe(0);
  });
});
