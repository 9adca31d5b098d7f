/**
 * The mass-change guard end to end: a scan that would remove or downgrade too many accounts is
 * held (one anomaly alert, nothing committed), then confirmed by the next scan or accepted by an
 * operator, and its change events are emitted exactly once.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_mass_change_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN } });
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { GH_TOKEN: TOKEN } });
const events = (out: CliResult) => eventLines<{ type: string; login: string | null; summary: string; detail?: Record<string, unknown> }>(out.stdout);
const query = <T>(sql: string): T => {
  const db = new Database(join(dir.path, 'm.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T;
  } finally {
    db.close();
  }
};

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.generateMembers(100);
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './m.db',
    delivery: { runDeadline: '1s' },
    health: { massChange: { share: 0.2, minAccounts: 5 } },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, outsideCollaborators: false }],
    notifiers: [{ id: 'out', type: 'stdout' }],
  });
  expect((await run()).code).toBe(0);
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const removeMembers = (n: number) => {
  for (const id of [...gh.members.keys()].slice(0, n)) gh.members.delete(id);
};

describe('mass-change guard', () => {
  it('holds a scan removing 30% with one anomaly alert, then commits it once when the next scan confirms it', async () => {
    removeMembers(30);
    const held = await run();
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(/gh: scan HELD: .*remove 30 and downgrade 0 of 100 accounts \(30%, at or above the 20% guard\).*mfawatch accept gh/);
    expect(events(held).map((e) => e.type)).toEqual(['anomaly']);
    expect(query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n).toBe(100);
    expect(query<Array<{ status: string; error_reason: string }>>('SELECT status, error_reason FROM scans ORDER BY id DESC LIMIT 1')[0]).toEqual({ status: 'held', error_reason: 'mass_change' });
    const status = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<{ lastScan: { status: string } }> };
    expect(status.monitors[0]?.lastScan.status).toBe('held');
    expect(status.monitors[0]).toMatchObject({ health: 'held' });

    const confirmed = await run();
    expect(confirmed.code).toBe(0);
    const removed = events(confirmed).filter((e) => e.type === 'account_removed');
    expect(removed).toHaveLength(30);
    expect(events(confirmed).filter((e) => e.type === 'anomaly')).toEqual([]);
    expect(query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n).toBe(70);
    expect(query<Array<{ status: string }>>('SELECT status FROM held_scans')).toEqual([{ status: 'committed' }]);

    const quiet = await run();
    expect(events(quiet)).toEqual([]);
  });

  it('discards the hold when the provider recovers: no change event at all', async () => {
    const saved = [...gh.members.values()];
    gh.members.clear();
    const held = await run();
    expect(events(held).map((e) => e.type)).toEqual(['anomaly']);
    expect(events(held)[0]?.summary).toMatch(/listed no accounts where 100 were stored/);
    for (const u of saved) gh.members.set(u.id, u);
    const back = await run();
    expect(back.code).toBe(0);
    expect(events(back)).toEqual([]);
    expect(query<Array<{ status: string }>>('SELECT status FROM held_scans')).toEqual([{ status: 'discarded' }]);
  });

  it('a different mass picture replaces the hold and alerts again; it is not confirmed by accident', async () => {
    removeMembers(30);
    await run();
    removeMembers(10);
    const second = await run();
    expect(events(second).map((e) => e.type)).toEqual(['anomaly']);
    expect(query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n).toBe(100);
    expect(query<Array<{ status: string }>>('SELECT status FROM held_scans ORDER BY scan_id')).toEqual([{ status: 'discarded' }, { status: 'held' }]);
  });

  it('a following scan with nearly the same picture (one more person left) confirms it; every change is reported once', async () => {
    removeMembers(30);
    await run();
    removeMembers(1);
    const confirmed = await run();
    expect(confirmed.code).toBe(0);
    expect(events(confirmed).filter((e) => e.type === 'account_removed')).toHaveLength(31);
    expect(query<Array<{ status: string }>>('SELECT status FROM held_scans')).toEqual([{ status: 'committed' }]);
  });

  it('mfawatch accept commits the held scan, emits and delivers its events once, and audits the operator', async () => {
    removeMembers(25);
    await run();
    const accepted = await cli('accept', 'gh');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toMatch(/gh: held scan \d+ accepted and committed: 75 accounts, 25 change\(s\)/);
    expect(events(accepted).filter((e) => e.type === 'account_removed')).toHaveLength(25);
    expect(query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n).toBe(75);
    expect(query<Array<{ action: string }>>(`SELECT action FROM audit WHERE action = 'scan.accepted'`)).toHaveLength(1);
    // The next scan sees the same org: nothing more.
    expect(events(await run())).toEqual([]);
    // Nothing left to accept.
    const again = await cli('accept', 'gh');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/monitor "gh" has no held scan/);
    expect((await cli('accept', 'nope')).code).toBe(2);
  });

  it('massChange: false commits a mass change at once', async () => {
    configPath = writeConfig(dir.path, {
      database: './m.db',
      health: { massChange: false },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, outsideCollaborators: false }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    });
    removeMembers(50);
    const out = await run();
    expect(out.code).toBe(0);
    expect(events(out).filter((e) => e.type === 'account_removed')).toHaveLength(50);
  });
});

describe('accept beside a running daemon', () => {
  it('commits the hold and leaves delivery to the lease holder', async () => {
    removeMembers(30);
    await run();
    const db = new Database(join(dir.path, 'm.db'));
    db.prepare(`INSERT INTO leases (name, holder, pid, host, command, acquired_at, expires_at) VALUES ('worker', '777@elsewhere', 777, 'elsewhere', 'mfawatch start', ?, ?)`).run(new Date().toISOString(), new Date(Date.now() + 3_600_000).toISOString());
    db.close();
    const out = await cli('accept', 'gh');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/the events are queued; the running mfawatch \(pid 777@elsewhere\) delivers them/);
    expect(events(out)).toEqual([]);
    expect(query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`)[0]?.n).toBe(1);
    expect(query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n).toBe(70);
  });
});
