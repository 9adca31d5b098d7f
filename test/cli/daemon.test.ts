import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_daemon_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './d.db',
    schedule: '0 0 1 1 *',
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'out', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const scans = () => {
  const db = new Database(join(dir.path, 'd.db'), { readonly: true });
  try {
    return db.prepare('SELECT status, error_reason FROM scans ORDER BY id').all() as Array<{ status: string; error_reason: string | null }>;
  } finally {
    db.close();
  }
};

describe('mfawatch start', () => {
  it('scans every monitor at start, delivers, and stops cleanly when asked', async () => {
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal });
    for (let i = 0; i < 200 && !(scans()[0]?.status === 'succeeded'); i++) await new Promise((r) => setTimeout(r, 25));
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    expect(scans()).toEqual([{ status: 'succeeded', error_reason: null }]);
    expect(out.stdout).toMatch(/"type":"baseline"/);
    expect(out.stderr).toMatch(/"monitor":"gh","schedule":"0 0 1 1 \*".*scheduled/);
  });

  it('abandons a running scan on stop without committing anything', async () => {
    gh.inject({ kind: 'hang' }, 100);
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal });
    for (let i = 0; i < 200 && gh.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    expect(scans()).toEqual([{ status: 'abandoned', error_reason: 'aborted' }]);
    const db = new Database(join(dir.path, 'd.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM accounts').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
    db.close();
  });
});
