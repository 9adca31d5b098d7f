/** Monitoring the monitor: /healthz, /metrics, the stale-data alert and the heartbeat. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { runCycle } from '../../src/cycle.js';
import { checkStaleData } from '../../src/observability/health.js';
import { startObservabilityServer } from '../../src/observability/server.js';
import { responseRunnerFor } from '../../src/response/wiring.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { memoryLogger, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_observability_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let beat: { server: Server; hits: string[]; status: number; url: string };
let app: App;
let clock: PinnedClock;
let stdout: string;
let logs: ReturnType<typeof memoryLogger>;

function build(extraHealth: Record<string, unknown> = {}): App {
  const cfg = resolveConfig(
    {
      database: `${dir.path}/o.db`,
      health: { failureThreshold: 1, staleAfter: '2h', heartbeatUrl: '${HB}', ...extraHealth },
      delivery: { runDeadline: '1s', initialBackoff: '100ms' },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    },
    { T: TOKEN, HB: beat.url },
    `${dir.path}/mfawatch.json`,
  );
  const out = new PassThrough();
  out.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  return createApp(cfg, { clock, logger: logs.logger, stdout: out });
}
const cycle = () => runCycle(app, { signal: new AbortController().signal });

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', twoFactor: 'disabled' });
  await gh.start();
  dir = tempDir();
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(beat.status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  beat = { server, hits, status: 200, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/check-key-123` };
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  stdout = '';
  logs = memoryLogger();
  app = build();
});
afterEach(async () => {
  app.close();
  await gh.stop();
  await new Promise<void>((r) => beat.server.close(() => r()));
  dir.cleanup();
});

describe('/healthz and /metrics', () => {
  it('healthz is 200 while every monitor is fresh and 503 once stale; metrics has the figures', async () => {
    const server = await startObservabilityServer(app, '127.0.0.1:0');
    try {
      const before = await fetch(`${server.url}/healthz`);
      expect(before.status).toBe(503); // never scanned
      expect((await cycle()).exitCode).toBe(0);
      const fresh = await fetch(`${server.url}/healthz`);
      expect(fresh.status).toBe(200);
      expect(await fresh.json()).toMatchObject({ status: 'ok', monitors: [{ id: 'gh', fresh: true, ageSeconds: 0 }] });

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/mfawatch_scans_total\{monitor="gh",result="succeeded"\} 1/);
      expect(metrics).toMatch(/mfawatch_scan_duration_seconds_count\{monitor="gh"\} 1/);
      expect(metrics).toMatch(/mfawatch_accounts\{monitor="gh",scope=""\} 2/);
      expect(metrics).toMatch(/mfawatch_accounts_without_mfa\{monitor="gh",scope=""\} 1/);
      expect(metrics).toMatch(/mfawatch_events_total\{monitor="gh",type="baseline",severity="info"\} 1/);
      expect(metrics).toMatch(/mfawatch_deliveries_total\{result="sent"\} 1/);
      expect(metrics).toMatch(new RegExp(`mfawatch_provider_rate_limit_remaining\\{monitor="gh"\\} ${gh.rateRemaining}`));

      gh.inject({ kind: 'status', status: 500, body: { message: 'boom' } }, 100);
      expect((await cycle()).exitCode).toBe(1);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/mfawatch_scans_total\{monitor="gh",result="failed"\} 1/);

      clock.advance(2 * 3_600_000 + 1_000);
      const stale = await fetch(`${server.url}/healthz`);
      expect(stale.status).toBe(503);
      expect(await stale.json()).toMatchObject({ status: 'stale', monitors: [{ id: 'gh', fresh: false }] });
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('metrics count session kills by origin and result, each service\'s outcome, and the kills a guard held back', async () => {
    const okta = new FakeOkta('00okta-metrics-token');
    okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
    await okta.start();
    gh.addMember({ id: 3, login: 'carol', twoFactor: 'enabled' });
    const cfg = resolveConfig(
      {
        database: `${dir.path}/kills.db`,
        delivery: { runDeadline: '1s', initialBackoff: '100ms' },
        monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
        notifiers: [{ id: 'out', type: 'stdout' }],
        responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA}', requestTimeout: '200ms' }],
        autoResponse: { enabled: true, dryRun: false, exempt: ['github:carol'] },
        identities: { map: { 'github:alice': 'alice@example.com', 'github:carol': 'carol@example.com' } },
      },
      { T: TOKEN, OKTA: '00okta-metrics-token' },
      `${dir.path}/mfawatch.json`,
    );
    const killer = createApp(cfg, { clock, logger: logs.logger, stdout: new PassThrough() });
    try {
      await runCycle(killer, { signal: new AbortController().signal }); // baseline: no kill
      const alice = gh.members.get(1);
      const carol = gh.members.get(3);
      if (alice) alice.twoFactor = 'disabled';
      if (carol) carol.twoFactor = 'disabled';
      clock.advance(3_600_000);
      await runCycle(killer, { signal: new AbortController().signal });
      okta.inject({ kind: 'status', status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action', errorCauses: [] } }, 10);
      const manual = await responseRunnerFor(killer).kill({ identity: 'alice@example.com', dryRun: false, timeoutMs: 2000 });
      expect(manual.ok).toBe(false);
      const text = await killer.metrics.registry.metrics();
      expect(text).toMatch(/mfawatch_kills_total\{origin="auto",result="complete"\} 1/);
      expect(text).toMatch(/mfawatch_kills_total\{origin="manual",result="incomplete"\} 1/);
      expect(text).toMatch(/mfawatch_kill_service_results_total\{responder="okta",outcome="succeeded"\} 1/);
      expect(text).toMatch(/mfawatch_kill_service_results_total\{responder="okta",outcome="failed"\} 1/);
      expect(text).toMatch(/mfawatch_kills_blocked_total\{guard="exempt"\} 1/);
    } finally {
      killer.close();
      await okta.stop();
    }
  });

  it('mfawatch start serves them on observability.listen', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const configPath = writeConfig(dir.path, {
      database: './d.db',
      schedule: '0 0 1 1 *',
      observability: { listen: `127.0.0.1:${port}` },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
    }, 'daemon.json');
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal });
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
    }
    expect(status).toBe(200);
    stop();
    expect((await running).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('stale data', () => {
  it('alerts once per stale period, through the outbox, and again after a new success goes stale', async () => {
    expect((await cycle()).exitCode).toBe(0);
    clock.advance(3_600_000);
    expect(checkStaleData(app)).toEqual([]);
    gh.inject({ kind: 'status', status: 401, body: { message: 'Bad credentials' } }, 1000);
    clock.advance(3_600_000 + 1);
    await cycle();
    expect(stdout).toMatch(/"type":"stale_data"/);
    expect(stdout.match(/"type":"stale_data"/g)).toHaveLength(1);
    expect(stdout).toMatch(/no successful scan for 2h/);
    clock.advance(3_600_000);
    await cycle();
    expect(checkStaleData(app)).toEqual([]);
    expect(stdout.match(/"type":"stale_data"/g)).toHaveLength(1);

    gh.clearFaults();
    await cycle();
    clock.advance(2 * 3_600_000 + 1);
    const again = checkStaleData(app);
    expect(again.map((e) => [e.type, e.severity])).toEqual([['stale_data', 'high']]);
  });
});

describe('heartbeat', () => {
  it('GETs the URL after a healthy cycle only; a failing heartbeat is logged without the URL', async () => {
    expect((await cycle()).exitCode).toBe(0);
    expect(beat.hits).toEqual(['/ping/check-key-123']);
    gh.inject({ kind: 'status', status: 500, body: { message: 'boom' } }, 1000);
    expect((await cycle()).exitCode).toBe(1);
    expect(beat.hits).toHaveLength(1);
    gh.clearFaults();
    beat.status = 503;
    expect((await cycle()).exitCode).toBe(0);
    expect(beat.hits).toHaveLength(2);
    expect(logs.text()).toMatch(/heartbeat \(health.heartbeatUrl\) failed: answered HTTP 503/);
    expect(logs.text()).not.toContain('check-key-123');
  });
});
