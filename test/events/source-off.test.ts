/**
 * An event source the provider refuses for good (EventBatch.disabled, monitors/events.ts): the
 * runner records it as off and polls it no more in this process; `status` (text and JSON), `run`
 * (text and JSON, exit code unchanged) and `/metrics` say so while it lasts; the next process tries
 * once again, and a batch that is not refused turns it back on. End to end with the Entra sign-in
 * log refused for want of the P1/P2 licence (Graph's 403
 * Authentication_RequestFromNonPremiumTenantOrB2CTenant, on the sign-in log only, so the scan and
 * the directory audits go on) through the real CLI.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildEventsStatus, renderEventsStatus } from '../../src/cli/status-events.js';
import { EventRunner } from '../../src/events/runner.js';
import { startObservabilityServer } from '../../src/observability/server.js';
import { NO_SIGNIN_LICENCE_WARNING } from '../../monitors/entra/index.js';
import { FakeEntra } from '../fakes/entra.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';
import { FakeDirectory, fakeApp } from './fake-monitor.js';

const never = new AbortController().signal;
const OFF = { reason: 'the tenant has no licence for this log', hint: 'buy the licence and restart mfawatch' };

describe('the runner and a source that is off', () => {
  let dir: FakeDirectory;
  let clock: PinnedClock;
  let app: App;
  beforeEach(() => {
    dir = new FakeDirectory();
    dir.acknowledges = false;
    clock = new PinnedClock('2026-11-22T10:00:00.000Z');
    app = fakeApp(dir, clock, undefined);
  });
  afterEach(() => app.close());

  const status = () => buildEventsStatus(app.config, app.store, clock.now(), () => app.monitors[0]?.monitor.eventSources?.() ?? []);

  it('is recorded as off once, polled no more by this runner, shown in status and /metrics; a new runner tries again and a batch not refused turns it on', async () => {
    dir.queue.push({ events: [], ignored: [], requests: 1, disabled: OFF });
    const runner = new EventRunner(app);
    const first = await runner.drain(never);
    expect(first.pollFailures).toEqual([]);
    expect(first.sourcesOff).toEqual([{ monitorId: 'fake', source: 'queue', ...OFF }]);
    expect(runner.isOff('fake', 'queue')).toBe(true);
    const s = status().eventSources[0]!;
    expect(s).toMatchObject({ health: 'off', disabled: { ...OFF, since: '2026-11-22T10:00:00.000Z' }, consecutiveFailures: 0, ignored: 0 });
    clock.advance(120_000);
    const text = renderEventsStatus(status(), clock.now());
    expect(text).toContain('  fake queue (pulled): OFF\n      off since      2m ago: the tenant has no licence for this log\n      what to do     buy the licence and restart mfawatch');

    // Off for this runner: neither `run`'s drain nor the daemon's poll loop asks the provider again.
    const second = await runner.drain(never);
    expect([second.polls, second.sourcesOff]).toEqual([0, []]);
    const stop = new AbortController();
    const daemon = runner.start(stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 100)); // ten poll intervals of the fake source
    stop.abort();
    await daemon;
    expect(dir.polledWith).toHaveLength(1);

    const server = await startObservabilityServer(app, '127.0.0.1:0');
    try {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('mfawatch_event_source_disabled{monitor="fake",source="queue"} 1');
      expect(metrics).toContain('mfawatch_events_received_total{monitor="fake",source="queue",result="source_off"} 1');

      // The next process tries once; still refused, "off since" keeps its first time.
      dir.queue.push({ events: [], ignored: [], requests: 1, disabled: OFF });
      clock.advance(60_000);
      expect((await new EventRunner(app).drain(never)).sourcesOff).toHaveLength(1);
      expect(status().eventSources[0]!.disabled?.since).toBe('2026-11-22T10:00:00.000Z');
      // Licensed at last: a batch not refused turns the source back on.
      dir.queue.push({ events: [], ignored: [], cursor: 'c1' });
      clock.advance(60_000);
      expect((await new EventRunner(app).drain(never)).sourcesOff).toEqual([]);
      expect(status().eventSources[0]).toMatchObject({ health: 'ok', disabled: null, cursor: 'c1' });
      expect(renderEventsStatus(status(), clock.now())).not.toMatch(/OFF|off since/);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('mfawatch_event_source_disabled{monitor="fake",source="queue"} 0');
    } finally {
      await server.close();
    }
  });

  it('a poll failing after the source was off shows the failure, and still why it was off', async () => {
    dir.queue.push({ events: [], ignored: [], disabled: OFF });
    await new EventRunner(app).drain(never);
    dir.queue.push(new Error('connect ECONNREFUSED'));
    await new EventRunner(app).drain(never);
    expect(status().eventSources[0]).toMatchObject({ health: 'failing', disabled: { reason: OFF.reason } });
  });
});

describe('Entra sign-ins without the P1/P2 licence, through the CLI', () => {
  let fake: FakeEntra;
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  beforeEach(async () => {
    fake = new FakeEntra();
    fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
    fake.add({ id: 'b2', userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
    await fake.start();
    refuseSignIns();
    tmp = tempDir();
    path = writeConfig(tmp.path, {
      database: './state.db',
      monitors: [{ id: 'entra-contoso', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${ENTRA_SECRET}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: { signIns: true } }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
  });
  afterEach(async () => {
    await fake.stop();
    tmp.cleanup();
  });
  /** Graph's licence refusal, as the fake answers it without the licence, on the sign-in log only. */
  const refuseSignIns = () =>
    fake.inject({ kind: 'status', status: 403, body: { error: { code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', message: "Neither tenant is B2C or tenant doesn't have premium license", innerError: {} } } }, 1000, (r) => r.path === '/beta/auditLogs/signIns');
  const cli = (...args: string[]) => runCli([...args, '--config', path], { env: { ENTRA_SECRET: fake.clientSecret }, overrides: { clock } });

  it('every run says the source is OFF once and exits 0; status says it every time; the directory audits still alert', async () => {
    const first = await cli('run');
    expect(first.code, first.stderr).toBe(0);
    // Human lines (the JSON log line of the warning aside).
    const said = first.stderr.split('\n').filter((l) => l.includes('OFF') && !l.startsWith('{'));
    expect(said).toEqual([`entra-contoso: event source sign-ins is OFF: ${NO_SIGNIN_LICENCE_WARNING} (Microsoft Graph answered 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant); license the tenant (Entra ID P1 or P2) and restart mfawatch, or set events.signIns to false; see monitors/entra/README.md`]);
    expect(fake.signInRequests()).toHaveLength(1);

    // The directory audits are their own source: Bob's security info deleted is still caught.
    fake.users.get('b2')!.methodsRegistered = [];
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: new Date(clock.now().getTime() + 30_000).toISOString(), target: { id: 'b2', userPrincipalName: 'bob@contoso.com' }, id: 'Directory_off_1' });
    clock.advance(60_000);
    const second = await cli('run', '--json');
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout.split('\n').find((l) => l.startsWith('{"schema":"mfawatch.run/')) ?? '{}') as { exitCode: number; eventSourcesOff: unknown[] };
    expect(report.exitCode).toBe(0);
    expect(report.eventSourcesOff).toEqual([{ monitorId: 'entra-contoso', source: 'sign-ins', reason: expect.stringContaining(NO_SIGNIN_LICENCE_WARNING), hint: expect.stringMatching(/^license the tenant/) }]);
    expect(second.stdout).toMatch(/"type":"mfa_disabled".*"login":"bob@contoso\.com"/);
    // One request per run: each new process tries once.
    expect(fake.signInRequests()).toHaveLength(2);

    const text = await cli('status');
    expect(text.stdout).toMatch(/entra-contoso sign-ins \(pulled\): OFF\n\s+off since\s+1m ago: the tenant has no Entra ID P1\/P2 licence/);
    expect(text.stdout).toMatch(/what to do\s+license the tenant \(Entra ID P1 or P2\) and restart mfawatch, or set events\.signIns to false/);
    expect(text.stdout).toMatch(/entra-contoso directory-audits \(pulled\): ok/);
    const json = JSON.parse((await cli('status', '--json')).stdout) as { events: { eventSources: Array<{ source: string; health: string; disabled: unknown; ignored: number }> } };
    const signIns = json.events.eventSources.find((e) => e.source === 'sign-ins');
    expect(signIns).toMatchObject({ health: 'off', disabled: { reason: expect.stringContaining(NO_SIGNIN_LICENCE_WARNING), since: '2026-11-22T10:00:00.000Z' }, ignored: 0 });
    expect(json.events.eventSources.find((e) => e.source === 'directory-audits')).toMatchObject({ health: 'ok', disabled: null });

    // The licence bought: the next run reads sign-ins again and the source is on.
    fake.clearFaults();
    clock.advance(60_000);
    const licensed = await cli('run');
    expect(licensed.stderr).not.toContain('is OFF');
    expect((await cli('status')).stdout).toMatch(/entra-contoso sign-ins \(pulled\): ok/);
  });
});
