/**
 * Progress on long scans: on a terminal `run` redraws one line per running scan (accounts,
 * requests, rate-limit waits, elapsed); every scan logs a progress line every 100 requests (the
 * daemon's view); `status` shows a running scan's progress, read from its row.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatProgress, ProgressLines } from '../../src/cli/progress-line.js';
import type { ScanProgress } from '../../src/scan/progress.js';
import { recordScanProgress } from '../../storage/progress.js';
import { Store } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { memoryLogger, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const p = (over: Partial<ScanProgress> = {}): ScanProgress => ({ monitorId: 'gh-acme', scope: '', scanId: 1, startedAt: 0, accounts: 12_300, requests: 124, rateLimitWaits: 0, waitedMs: 0, finished: false, ...over });

describe('formatProgress', () => {
  it('names the scan, its counts, its waits and the elapsed time', () => {
    expect(formatProgress(p(), 125_000)).toBe('gh-acme: 12,300 accounts, 124 requests, 2m');
    expect(formatProgress(p({ scope: '111122223333', rateLimitWaits: 1, waitedMs: 60_000 }), 5_000)).toBe('gh-acme/111122223333: 12,300 accounts, 124 requests, 1 rate-limit wait (1m), 5s');
    expect(formatProgress(p({ rateLimitWaits: 2, waitedMs: 2_000 }), 5_000)).toContain('2 rate-limit waits (2s)');
  });
});

describe('ProgressLines', () => {
  it('redraws one line per running scan in place, at most every interval, and clears them', () => {
    let out = '';
    const stream = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
    let now = 1_000;
    const lines = new ProgressLines(stream, { now: () => now, minIntervalMs: 100, columns: () => 80 });
    lines.update(p({ accounts: 100 }));
    expect(out).toBe('\r\x1b[Jgh-acme: 100 accounts, 124 requests, 1s\n');
    out = '';
    now += 50;
    lines.update(p({ accounts: 200 })); // too soon: not drawn
    expect(out).toBe('');
    now += 60;
    lines.update(p({ monitorId: 'aws-org', scope: '1111', accounts: 5 }));
    // Back up over the one line drawn, then both scans, one line each.
    expect(out).toBe('\x1b[1A\r\x1b[Jgh-acme: 200 accounts, 124 requests, 1s\naws-org/1111: 5 accounts, 124 requests, 1s\n');
    out = '';
    lines.update(p({ accounts: 300, finished: true })); // an ended scan leaves at once
    expect(out).toBe('\x1b[2A\r\x1b[Jaws-org/1111: 5 accounts, 124 requests, 1s\n');
    out = '';
    lines.clear();
    expect(out).toBe('\x1b[1A\r\x1b[J');
  });

  it('cuts a line to the terminal width', () => {
    let out = '';
    const stream = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
    new ProgressLines(stream, { now: () => 0, columns: () => 30 }).update(p());
    expect(out.split('\n')[0]?.replace('\r\x1b[J', '')).toHaveLength(29);
  });
});

const GH_TOKEN = 'ghp_progress_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.generateMembers(2_500); // 25 pages of 100
  await gh.start();
  dir = tempDir();
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});
const config = () => writeConfig(dir.path, { database: './state.db', monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }], notifiers: [] });

describe('run on a terminal', () => {
  it('shows the scan progress on standard error, then clears it before the summary', async () => {
    const path = config();
    let out = '';
    let err = '';
    const code = await main(['node', 'mfawatch', 'run', '--config', path], {
      stdout: new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) }),
      stderr: new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString('utf8')), cb()) }),
      env: { GH_TOKEN }, overrides: { logger: memoryLogger().logger }, stderrIsTerminal: true,
    });
    expect(code).toBe(0);
    const ESC = String.fromCharCode(27);
    const frames = err.split(`\r${ESC}[J`).map((f) => f.replace(new RegExp(`${ESC}\\[\\d+A$`), '')).filter(Boolean);
    expect(frames.some((f) => /^gh-acme: [\d,]+ accounts, \d+ requests, \d+(ms|s)\n$/.test(f))).toBe(true);
    // The last frame is the one that cleared the lines; the summary follows.
    expect(err.endsWith(`${ESC}[1A\r${ESC}[Jgh-acme: baseline ok, 2500 accounts, 0 change(s)\n`)).toBe(true);
    expect(out).toBe('');
  });

  it('off a terminal, no progress line, but the log says it every 100 requests', async () => {
    gh.generateMembers(10_100, 200_000); // 126 pages
    const path = config();
    const logs = memoryLogger('info');
    const out = await runCli(['run', '--config', path], { env: { GH_TOKEN }, overrides: { logger: logs.logger } });
    expect(out.code).toBe(0);
    expect(out.stderr).not.toContain('\x1b[');
    const progress = logs.lines().filter((l) => l.msg === 'scan progress');
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ monitor: 'gh-acme', requests: 100, accounts: expect.any(Number), rateLimitWaits: 0, elapsedMs: expect.any(Number) });
  });
});

describe('status while a scan runs', () => {
  it('shows the running scan and its progress, and keeps the last finished scan as the health', async () => {
    const path = config();
    const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
    await runCli(['run', '--config', path], { env: { GH_TOKEN }, overrides: { clock } });
    // Another process (the daemon) is scanning now.
    const store = Store.open(join(dir.path, 'state.db'));
    const scanId = store.beginScan({ monitorId: 'gh-acme', scope: '', scopeLabel: 'acme', provider: 'GitHub', startedAt: new Date('2026-11-22T10:58:00.000Z') });
    recordScanProgress(store, scanId, 1_500, 15);
    store.close();
    clock.advance(3_600_000);
    const text = await runCli(['status', '--config', path], { env: { GH_TOKEN }, overrides: { clock } });
    expect(text.stdout).toMatch(/scanning now {3}started 2m ago: 1500 accounts read, 15 requests so far/);
    expect(text.stdout).toMatch(/last scan {6}succeeded, 1h ago/);
    const json = JSON.parse((await runCli(['status', '--json', '--config', path], { env: { GH_TOKEN }, overrides: { clock } })).stdout) as { monitors: Array<{ health: string; running: unknown }> };
    expect(json.monitors[0]).toMatchObject({ health: 'ok', running: { scanId, startedAt: '2026-11-22T10:58:00.000Z', accounts: 1_500, requests: 15 } });
    expect((await runCli(['status', '--fail-on', 'unhealthy', '--config', path], { env: { GH_TOKEN }, overrides: { clock } })).code).toBe(0);
  });
});
