/**
 * Terminal manners: NO_COLOR / FORCE_COLOR; a closed pipe ends quietly with exit 0; off a
 * terminal, standard error carries only JSON log lines; times for people in displayTimezone with
 * the zone named (JSON stays UTC); `status --fail-on unhealthy` for scripts.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { colorEnabled } from '../../src/cli/terminal.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import { Store } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { memoryLogger, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

describe('colorEnabled', () => {
  const table: Array<[Record<string, string>, boolean, boolean]> = [
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true], // empty NO_COLOR is unset (no-color.org)
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true], // forcing wins
  ];
  it.each(table)('%j on a terminal=%s → %s', (env, tty, expected) => {
    expect(colorEnabled(env, tty)).toBe(expected);
  });
});

describe('displayTimeFormatter', () => {
  const table: Array<[string | undefined, string]> = [
    ['UTC', '2026-11-22 10:00 UTC'],
    ['Europe/Berlin', '2026-11-22 11:00 GMT+1'],
    ['America/New_York', '2026-11-22 05:00 EST'],
    ['Asia/Kolkata', '2026-11-22 15:30 GMT+5:30'],
  ];
  it.each(table)('%s', (zone, expected) => {
    expect(displayTimeFormatter(zone)('2026-11-22T10:00:00.000Z')).toBe(expected);
  });
});

const GH_TOKEN = 'ghp_terminal_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const configWith = (extra: Record<string, unknown> = {}) =>
  writeConfig(dir.path, { database: './state.db', monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }], notifiers: [], ...extra });

describe('displayTimezone', () => {
  it('terminal output names the zone; JSON stays UTC ISO; a wrong zone is a config error', async () => {
    const path = configWith({ displayTimezone: 'Europe/Berlin' });
    const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
    await runCli(['run', '--config', path], { env: { GH_TOKEN }, overrides: { clock } });
    expect((await runCli(['events', '--config', path], { env: { GH_TOKEN }, overrides: { clock } })).stdout).toMatch(/^info {5}2026-11-22 11:00 GMT\+1 {2}baseline/);
    expect((await runCli(['history', 'alice', '--config', path], { env: { GH_TOKEN }, overrides: { clock } })).stdout).toMatch(/^2026-11-22 11:00 GMT\+1 {2}gh-acme {2}added/);
    const json = JSON.parse((await runCli(['events', '--json', '--config', path], { env: { GH_TOKEN }, overrides: { clock } })).stdout) as { events: Array<{ at: string }> };
    expect(json.events[0]?.at).toBe('2026-11-22T10:00:00.000Z');
    const bad = await runCli(['config', 'check', '--config', configWith({ displayTimezone: 'Mars/Olympus' })], { env: { GH_TOKEN } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/displayTimezone.*must be an IANA time zone/);
  });
});

describe('standard error off a terminal', () => {
  it('carries only JSON log lines: summaries go to standard output, errors are JSON too', async () => {
    const path = configWith();
    let out = '';
    let err = '';
    const io = () => ({
      stdout: new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) }),
      stderr: new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString('utf8')), cb()) }),
      env: { GH_TOKEN }, overrides: { logger: memoryLogger().logger }, stderrIsTerminal: false,
    });
    expect(await main(['node', 'mfawatch', 'run', '--config', path], io())).toBe(0);
    expect(out).toMatch(/^gh-acme: baseline ok, 1 accounts, 0 change\(s\)$/m);
    expect(err).toBe('');
    expect(await main(['node', 'mfawatch', 'report', '--format', 'xml', '--config', path], io())).toBe(2);
    expect(await main(['node', 'mfawatch', 'no-such-command'], io())).toBe(2);
    const lines = err.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: 50, app: 'mfawatch', msg: expect.any(String) });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: '--format "xml": use one of table, csv, json, html' });
  });
});

describe('status --fail-on unhealthy', () => {
  it('exits 1 when a monitor is failing, 0 when all is well', async () => {
    const path = configWith();
    expect((await runCli(['run', '--config', path], { env: { GH_TOKEN } })).code).toBe(0);
    expect((await runCli(['status', '--fail-on', 'unhealthy', '--config', path], { env: { GH_TOKEN } })).code).toBe(0);
    await runCli(['run', '--config', path], { env: { GH_TOKEN: 'ghp_revoked' } });
    const failing = await runCli(['status', '--fail-on', 'unhealthy', '--config', path], { env: { GH_TOKEN } });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/unhealthy: monitor gh-acme failing/);
    expect((await runCli(['status', '--fail-on', 'sometimes', '--config', path], { env: { GH_TOKEN } })).code).toBe(2);
  });
});

describe('a closed pipe', () => {
  it('`mfawatch audit export | head -1` ends quietly with exit 0', async () => {
    const path = configWith();
    const store = Store.open(join(dir.path, 'state.db'));
    store.transaction(() => {
      for (let i = 0; i < 20_000; i++) store.audit({ at: new Date('2026-11-22T10:00:00.000Z'), actor: 'test', action: 'test.row', subject: `row-${i}`, detail: { i, padding: 'x'.repeat(200) } });
    });
    store.close();
    const child = spawn(process.execPath, [join(ROOT, 'bin/mfawatch.js'), 'audit', 'export', '--config', path], { env: { PATH: process.env.PATH ?? '', GH_TOKEN, MFAWATCH_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let first = '';
    await new Promise<void>((done) => {
      child.stdout.once('data', (c: Buffer) => {
        first = c.toString('utf8').split('\n')[0] ?? '';
        child.stdout.destroy(); // what `head -1` does after its line
        done();
      });
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(JSON.parse(first)).toMatchObject({ schema: 'mfawatch.audit/v1', action: 'test.row' });
    expect(code).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);
});
