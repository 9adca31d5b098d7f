/**
 * `mfawatch start` serves the console on console.listen, and a one-time link made by
 * `mfawatch console link` while the daemon runs (it holds the lease) signs in at once.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_console_daemon_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let port: number;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'disabled' });
  await gh.start();
  dir = tempDir();
  port = await freePort();
  configPath = writeConfig(dir.path, {
    database: './d.db',
    schedule: '0 0 1 1 *',
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'out', type: 'stdout' }],
    console: { listen: `127.0.0.1:${port}`, viewers: ['*@example.com'] },
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const scanned = () => {
  const db = new Database(join(dir.path, 'd.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM scans WHERE status = 'succeeded'`).get() as { n: number }).n > 0;
  } catch {
    return false;
  } finally {
    db.close();
  }
};

describe('mfawatch start with a console', () => {
  it('serves the console; a link made while the daemon runs signs in', async () => {
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal });
    try {
      for (let i = 0; i < 400 && !scanned(); i++) await new Promise((r) => setTimeout(r, 25));
      const base = `http://127.0.0.1:${port}`;
      const link = await runCli(['console', 'link', '--config', configPath], { env: { T: TOKEN } });
      expect(link.code).toBe(0);
      expect(link.stdout).toMatch(new RegExp(`^${base}/link\\?token=[\\w-]{43}\\n$`));
      expect(link.stderr).toMatch(/one-time viewer sign-in link #1, valid for 15m \(until \d{4}-\d\d-\d\d \d\d:\d\d [A-Z][A-Za-z+\-\d:]*\)/);
      const token = new URL(link.stdout.trim()).searchParams.get('token') ?? '';
      const signIn = await fetch(`${base}/link`, { method: 'POST', redirect: 'manual', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
      expect(signIn.status).toBe(303);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const overview = await fetch(`${base}/`, { headers: { cookie } });
      expect(overview.status).toBe(200);
      expect(await overview.text()).toMatch(/<div class="big" id="without-mfa-total">1<\/div>/);
    } finally {
      stop();
    }
    const out = await running;
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(new RegExp(`"url":"http://127.0.0.1:${port}".*serving the web console`));
    // Stopped with the daemon.
    await expect(fetch(`http://127.0.0.1:${port}/signin`)).rejects.toThrow();
  });

  it('console link says what to do when the console is not configured, and refuses a long link', async () => {
    const bare = writeConfig(dir.path, { database: './d.db', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x-token', baseUrl: gh.url }] }, 'bare.json');
    const out = await runCli(['console', 'link', '--config', bare]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/the web console is not configured: add a "console" block/);
    const long = await runCli(['console', 'link', '--for', '3d', '--config', configPath], { env: { T: TOKEN } });
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/longer than 24h/);
  });
});
