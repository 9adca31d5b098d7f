/**
 * The inbound receiver (src/events/inbound.ts) over real HTTP, with the real GitHub monitor and the
 * GitHub fake: a signed delivery is committed before the 2xx and verified into an alert; a bad
 * signature, a replay, a 5 MB body, a wrong content type and unknown hooks change nothing and
 * answer without saying why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { FakeGitHub } from '../fakes/github.js';
import { delivery, organizationEvent, signatureOf } from '../fakes/github-webhooks.js';
import { PinnedClock, memoryLogger } from '../helpers.js';

const TOKEN = 'ghp_inbound_owner';
const SECRET = 'inbound-webhook-secret';
const never = new AbortController().signal;
let gh: FakeGitHub;
let app: App;
let runner: EventRunner;
let server: InboundServer;
let clock: PinnedClock;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  await gh.start();
  clock = new PinnedClock();
  const config = resolveConfig({
    database: ':memory:',
    inbound: { listen: '127.0.0.1:0' },
    monitors: [
      { id: 'gh-acme', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0, events: { webhookSecret: '${S}', probe: false } },
      { id: 'gh-probe-only', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0, events: {} },
    ],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { T: TOKEN, S: SECRET });
  app = createApp(config, { clock, logger: memoryLogger().logger });
  await scanMonitors(app, app.monitors.slice(0, 1), never);
  clock.advance(60_000);
  runner = new EventRunner(app);
  server = await startInboundServer(app, runner, '127.0.0.1:0', config.inbound?.bodyLimit);
});
afterEach(async () => {
  await server.close();
  app.close();
  await gh.stop();
});

const post = (path: string, d: { headers: Record<string, string>; body: string | Buffer }) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: d.headers, body: d.body });
const seen = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM seen_events`).get() as { n: number }).n;
const pendingHints = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM event_hints WHERE status = 'pending'`).get() as { n: number }).n;
const changes = () => app.store.db.prepare(`SELECT type, login, severity FROM events WHERE type != 'baseline' ORDER BY id`).all();

describe('POST /hooks/<monitor-id>', () => {
  it('commits a signed delivery before answering 202, and its verification alerts', async () => {
    gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
    const res = await post('/hooks/gh-acme', delivery(SECRET, 'organization', organizationEvent('acme', 'member_added', { id: 7, login: 'mallory' }), { id: 'delivery-1' }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted' });
    // Stored durably before the answer: the dedupe row and the pending hint are committed.
    expect(seen()).toBe(1);
    expect(pendingHints()).toBe(1);
    await runner.verifyPending(never, { all: true });
    expect(changes()).toEqual([{ type: 'account_added', login: 'mallory', severity: 'critical' }]);
    // /metrics: events by source and result, and the detection lag of the alert queued.
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toContain('mfawatch_events_received_total{monitor="gh-acme",source="webhook",result="accepted"} 1');
    expect(metrics).toContain('mfawatch_events_received_total{monitor="gh-acme",source="webhook",result="verified"} 1');
    expect(metrics).toMatch(/mfawatch_detection_lag_seconds_count\{monitor="gh-acme",source="webhook"\} 1/);
  });

  it('a replayed delivery (same X-GitHub-Delivery) is answered 202 and changes nothing', async () => {
    gh.members.delete(2);
    const d = delivery(SECRET, 'organization', organizationEvent('acme', 'member_removed', { id: 2, login: 'bob' }), { id: 'delivery-2' });
    expect((await post('/hooks/gh-acme', d)).status).toBe(202);
    await runner.verifyPending(never, { all: true });
    expect((await post('/hooks/gh-acme', d)).status).toBe(202);
    expect(pendingHints()).toBe(0);
    await runner.verifyPending(never, { all: true });
    expect(changes()).toEqual([{ type: 'account_removed', login: 'bob', severity: 'info' }]);
    expect(app.store.db.prepare(`SELECT received, duplicates FROM event_sources WHERE monitor_id = 'gh-acme' AND source = 'webhook'`).get()).toEqual({ received: 1, duplicates: 1 });
  });

  it('a bad or missing signature is 401 with a body that reveals nothing, and nothing is stored', async () => {
    const payload = organizationEvent('acme', 'member_added', { id: 7, login: 'mallory' });
    for (const d of [delivery('wrong-secret', 'organization', payload), delivery(SECRET, 'organization', payload, { signature: null })]) {
      const res = await post('/hooks/gh-acme', d);
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('{"error":"unauthorized"}');
    }
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
    // Counted and shown in status, so a wrong secret in the config does not go unnoticed.
    const { buildEventsStatus, renderEventsStatus } = await import('../../src/cli/status-events.js');
    const text = renderEventsStatus(buildEventsStatus(app.config, app.store, clock.now(), (id) => app.monitors.find((m) => m.config.id === id)?.monitor.eventSources?.() ?? []), clock.now());
    expect(text).toMatch(/refused {8}2 request\(s\); last 0ms ago: 401: bad or missing signature \(check that the webhook's secret is the one in the config, events\.webhookSecret\)/);
  });

  it('a 5 MB body is 413 before anything is read into the monitor', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const res = await post('/hooks/gh-acme', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, body: big });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"error":"payload too large"}');
    expect(seen()).toBe(0);
  });

  it('unknown hooks, monitors without a pushed source and other methods are 404; a signed form body is 415', async () => {
    const d = delivery(SECRET, 'organization', organizationEvent('acme', 'member_added', { id: 7, login: 'mallory' }));
    for (const path of ['/hooks/nope', '/hooks/gh-probe-only', '/hooks/', '/']) {
      const res = await post(path, d);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('{"error":"not found"}');
    }
    expect((await fetch(`${server.url}/hooks/gh-acme`)).status).toBe(404);
    const form = delivery(SECRET, 'organization', {}, { contentType: 'application/x-www-form-urlencoded' });
    expect((await post('/hooks/gh-acme', form)).status).toBe(415);
    expect(seen()).toBe(0);
  });

  it('a signed body that is not JSON is 400; a ping is answered and stores nothing', async () => {
    const ping = delivery(SECRET, 'ping', { zen: 'Keep it logically awesome.', hook_id: 123456 });
    const res = await post('/hooks/gh-acme', ping);
    expect(res.status).toBe(200);
    const body = '{"action": "member_added", "organization": ';
    const broken = await post('/hooks/gh-acme', { headers: { ...ping.headers, 'x-github-event': 'organization', 'x-hub-signature-256': signatureOf(SECRET, body) }, body });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toBe('{"error":"bad request"}');
    expect(seen()).toBe(0);
  });
});
