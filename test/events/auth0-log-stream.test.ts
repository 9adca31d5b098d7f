/**
 * The Auth0 Log Stream (Custom Webhook) on the inbound receiver (src/events/inbound.ts), over real
 * HTTP on 127.0.0.1 with the real Auth0 monitor and the Auth0 fake: deliveries in Auth0's
 * documented body (items `{log_id, data}` as JSON lines, a JSON array or one JSON object) with the
 * stream's static Authorization Token, committed before the 202; guardian codes verified at the
 * Management API; successful logins without an `mfa` stage as signin_without_mfa; dedupe by log_id
 * across redeliveries and the pulled /api/v2/logs; refusals that store nothing; the token never
 * written anywhere.
 * https://auth0.com/docs/customize/log-streams/custom-log-streams
 * https://auth0.com/docs/deploy-monitor/logs/prompt-details-in-tenant-logs
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { createApp, type App } from '../../src/app.js';
import { buildStatus } from '../../src/cli/status.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { FakeAuth0 } from '../fakes/auth0.js';
import { PinnedClock, memoryLogger } from '../helpers.js';

const STREAM_TOKEN = 'Bearer SECRETHYGIENE-auth0-log-stream-4e9a';
const never = new AbortController().signal;
let fake: FakeAuth0;
let app: App;
let runner: EventRunner;
let server: InboundServer;
let log: ReturnType<typeof memoryLogger>;

const alice = { user_id: 'auth0|alice', user_name: 'alice@example.com' };
const bob = { user_id: 'auth0|bob', user_name: 'bob@example.com' };

beforeEach(async () => {
  fake = new FakeAuth0();
  fake.scopes = ['read:users', 'read:authentication_methods', 'read:logs'];
  fake.add({ user_id: 'auth0|alice', email: 'alice@example.com', methods: [{ type: 'guardian' }] });
  fake.add({ user_id: 'auth0|bob', email: 'bob@example.com', methods: [{ type: 'totp' }] });
  await fake.start();
  const clock = new PinnedClock('2026-11-22T10:05:00.000Z');
  const config = resolveConfig({
    database: ':memory:',
    inbound: { listen: '127.0.0.1:0' },
    monitors: [
      { id: 'auth0', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${S}', baseUrl: fake.url, retries: 0, events: { logStream: { authorization: '${T}' } } },
      { id: 'auth0-poll-only', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${S}', baseUrl: fake.url, retries: 0, events: {} },
    ],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { S: fake.clientSecret, T: STREAM_TOKEN });
  log = memoryLogger();
  app = createApp(config, { clock, logger: log.logger });
  await scanMonitors(app, app.monitors.slice(0, 1), never);
  clock.advance(60_000);
  runner = new EventRunner(app);
  server = await startInboundServer(app, runner, '127.0.0.1:0', config.inbound?.bodyLimit);
});
afterEach(async () => {
  await server.close();
  app.close();
  await fake.stop();
});

const deliver = (body: string, headers: Record<string, string> = { authorization: STREAM_TOKEN }, path = '/hooks/auth0') =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Auth0-Log-Streams', ...headers }, body });
const seen = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM seen_events`).get() as { n: number }).n;
const pendingHints = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM event_hints WHERE status = 'pending'`).get() as { n: number }).n;
const changes = () => app.store.db.prepare(`SELECT type, login FROM events WHERE type != 'baseline' ORDER BY id`).all();
const metric = async (source: string, result: string) => {
  const line = (await app.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`mfawatch_events_received_total{monitor="auth0",source="${source}",result="${result}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('POST /hooks/<monitor-id>: Log Stream deliveries', () => {
  it('a JSON-lines batch: gd_unenroll verified at Auth0 as mfa_disabled, a password login without an mfa stage as signin_without_mfa', async () => {
    fake.users.get('auth0|bob')!.methods = [];
    const entries = [
      fake.addLog({ type: 'gd_unenroll', ...bob, description: 'Guardian - Unenroll device' }),
      fake.addLog({ type: 's', ...alice, connection: 'Username-Password-Authentication', ip: '203.0.113.9', details: FakeAuth0.loginDetails(alice) }),
      fake.addLog({ type: 's', ...bob, connection: 'Username-Password-Authentication', details: FakeAuth0.loginDetails(bob, { mfa: true }) }),
    ];
    const res = await deliver(FakeAuth0.logStreamBody(entries));
    expect(res.status).toBe(202);
    // Committed before the answer: the two log_ids that said something, one hint, the sign-in fact
    // (a login that did MFA produces nothing).
    expect(seen()).toBe(2);
    expect(pendingHints()).toBe(1);
    expect(changes()).toEqual([{ type: 'signin_without_mfa', login: 'alice@example.com' }]);
    const fact = app.store.db.prepare(`SELECT detail FROM events WHERE type = 'signin_without_mfa'`).get() as { detail: string };
    expect(JSON.parse(fact.detail)).toMatchObject({ source: 'log-stream', providerEventId: entries[1]!.log_id, eventName: 's', sourceIp: '203.0.113.9', firstFactor: 'prompt-authenticate', connection: 'Username-Password-Authentication' });

    // Verified at the Management API: bob has no method left.
    await runner.verifyPending(never, { all: true });
    expect(changes()).toEqual([
      { type: 'signin_without_mfa', login: 'alice@example.com' },
      { type: 'mfa_disabled', login: 'bob@example.com' },
    ]);
    expect(await metric('log-stream', 'accepted')).toBe(2);
  });

  it('takes the JSON array and JSON object content formats too', async () => {
    fake.users.get('auth0|bob')!.methods = [];
    const one = fake.addLog({ type: 'gd_unenroll', ...bob });
    const two = fake.addLog({ type: 'gd_update_device_account', ...alice });
    expect((await deliver(FakeAuth0.logStreamBody([one], 'JSONOBJECT'))).status).toBe(202);
    expect((await deliver(FakeAuth0.logStreamBody([two], 'JSONARRAY'), { authorization: STREAM_TOKEN, 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect(seen()).toBe(2);
    expect(pendingHints()).toBe(2);
  });

  it('a redelivery, and the same entries read later from /api/v2/logs, are deduplicated by log_id', async () => {
    const pulled = runner.bindings.find((b) => b.instance.config.id === 'auth0' && b.source.kind === 'pull');
    expect(pulled?.source.name).toBe('logs');
    fake.addLog({ type: 'seacft', user_id: 'auth0|alice' });
    // The first poll only finds the newest log_id.
    await runner.pollOnce(pulled!.instance, pulled!.source as PulledEventSource, never);
    const entries = [fake.addLog({ type: 'gd_unenroll', ...bob }), fake.addLog({ type: 's', ...alice, details: FakeAuth0.loginDetails(alice) })];
    const body = FakeAuth0.logStreamBody(entries);
    expect((await deliver(body)).status).toBe(202);
    expect((await deliver(body)).status).toBe(202);
    expect(seen()).toBe(2);
    expect(await metric('log-stream', 'duplicate')).toBe(2);
    await runner.pollOnce(pulled!.instance, pulled!.source as PulledEventSource, never);
    expect(await metric('logs', 'duplicate')).toBe(2);
    expect(seen()).toBe(2);
    expect(pendingHints()).toBe(1);
    expect(changes()).toEqual([{ type: 'signin_without_mfa', login: 'alice@example.com' }]);
  });

  it('logins that did MFA, or had no password stage (federated, SSO session), are not sign-ins without MFA; other codes are set aside and counted', async () => {
    const entries = [
      fake.addLog({ type: 's', ...alice, details: FakeAuth0.loginDetails(alice, { mfa: true }) }),
      fake.addLog({ type: 's', ...alice, connection: 'google-oauth2', details: FakeAuth0.loginDetails(alice, { first: 'federated-authenticate' }) }),
      fake.addLog({ type: 's', ...alice, details: { prompts: [], session_id: 'm5SgtzMKxmeNBxj_kCfUUJhzrSdfvLFu' } }),
      fake.addLog({ type: 'sapi', description: 'Update a user' }),
    ];
    expect((await deliver(FakeAuth0.logStreamBody(entries))).status).toBe(202);
    expect(changes()).toEqual([]);
    expect(pendingHints()).toBe(0);
    expect(await metric('log-stream', 'ignored_irrelevant')).toBe(1);
    expect(log.text()).toContain('sapi: not a log code mfawatch acts on');
  });

  it('a wrong or missing Authorization value is 401 and stores nothing', async () => {
    const body = FakeAuth0.logStreamBody([fake.addLog({ type: 'gd_unenroll', ...bob })]);
    expect((await deliver(body, { authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await deliver(body, { authorization: STREAM_TOKEN.slice(0, -1) })).status).toBe(401);
    expect((await deliver(body, {})).status).toBe(401);
    // A monitor without a log stream has no route.
    expect((await deliver(body, { authorization: STREAM_TOKEN }, '/hooks/auth0-poll-only')).status).toBe(404);
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
    expect(await metric('log-stream', 'unauthorized')).toBe(3);
  });

  it('a malformed body is 400, a non-JSON content type 415, a body over the limit 413; nothing stored', async () => {
    const good = fake.addLog({ type: 'gd_unenroll', ...bob });
    expect((await deliver('{"log_id": "9002", "data": ')).status).toBe(400);
    expect((await deliver('')).status).toBe(400);
    expect((await deliver(JSON.stringify([{ log_id: good.log_id }]))).status).toBe(400);
    expect((await deliver(`${FakeAuth0.logStreamBody([good])}\n{"data": {"type": "s"}}`)).status).toBe(400);
    expect((await deliver(FakeAuth0.logStreamBody([good]), { authorization: STREAM_TOKEN, 'content-type': 'text/plain' })).status).toBe(415);
    const huge = JSON.stringify([{ log_id: good.log_id, data: { ...good, description: 'x'.repeat(5 * 1024 * 1024) } }]);
    expect((await deliver(huge)).status).toBe(413);
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
    expect(await metric('log-stream', 'bad_request')).toBe(3 + 1);
  });

  it('the stream token never reaches the logs, the database or status', async () => {
    const body = FakeAuth0.logStreamBody([fake.addLog({ type: 's', ...alice, details: FakeAuth0.loginDetails(alice) })]);
    await deliver(body, { authorization: `${STREAM_TOKEN}x` });
    await deliver('not json');
    await deliver(body);
    const tables = (app.store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((t) => t.name);
    const dump = tables.map((t) => JSON.stringify(app.store.db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
    const status = buildStatus(app.config, app.store, app.clock.now(), (id) => [...(app.monitors.find((m) => m.config.id === id)?.monitor.scopes() ?? [])], (id) => app.monitors.find((m) => m.config.id === id)?.monitor.eventSources?.() ?? []);
    const secret = STREAM_TOKEN.split(' ')[1]!;
    expect(dump).toContain('signin_without_mfa');
    for (const text of [log.text(), dump, JSON.stringify(status), JSON.stringify(app.config)]) expect(text).not.toContain(secret);
  });
});
