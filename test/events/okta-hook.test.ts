/**
 * The Okta event hook on the inbound receiver (src/events/inbound.ts), over real HTTP on
 * 127.0.0.1 with the real Okta monitor and the Okta fake: the one-time verification GET
 * (x-okta-verification-challenge, answered only with the right Authorization value), deliveries
 * in Okta's documented body (com.okta.event_hook, data.events of LogEvents) committed before the
 * 204 and deduplicated by each LogEvent's uuid, and refusals that store nothing.
 * https://developer.okta.com/docs/concepts/event-hooks/
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { FakeOkta, oktaLogEvent } from '../fakes/okta.js';
import { PinnedClock, memoryLogger } from '../helpers.js';

const TOKEN = '00okta-hook-api-token';
const HOOK_SECRET = 'okta-hook-shared-secret-5c1d';
const never = new AbortController().signal;
let okta: FakeOkta;
let app: App;
let runner: EventRunner;
let server: InboundServer;

const bob = { id: '00ub2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' };
const carol = { id: '00uc3', type: 'User', alternateId: 'carol@example.com', displayName: 'Carol' };
const admin = { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' };

beforeEach(async () => {
  okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true } } });
  okta.addUser({ id: '00ua1', login: 'alice@example.com', factors: [{ factorType: 'webauthn' }] });
  okta.addUser({ id: '00ub2', login: 'bob@example.com', factors: [{ factorType: 'push' }] });
  okta.addUser({ id: '00uc3', login: 'carol@example.com', factors: [{ factorType: 'token:software:totp' }] });
  await okta.start();
  const clock = new PinnedClock('2026-11-22T10:05:00.000Z');
  const config = resolveConfig({
    database: ':memory:',
    inbound: { listen: '127.0.0.1:0' },
    monitors: [
      { id: 'okta-acme', type: 'okta', baseUrl: okta.url, token: '${T}', retries: 0, events: { hook: { authorization: '${H}' } } },
      { id: 'okta-poll-only', type: 'okta', baseUrl: okta.url, token: '${T}', retries: 0, events: {} },
    ],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { T: TOKEN, H: HOOK_SECRET });
  app = createApp(config, { clock, logger: memoryLogger().logger });
  await scanMonitors(app, app.monitors.slice(0, 1), never);
  clock.advance(60_000);
  runner = new EventRunner(app);
  server = await startInboundServer(app, runner, '127.0.0.1:0', config.inbound?.bodyLimit);
});
afterEach(async () => {
  await server.close();
  app.close();
  await okta.stop();
});

/** An event hook delivery as Okta sends it (the documented request body). */
function hookBody(events: Array<Record<string, unknown>>, eventId = 'b5a188b9-5ece-4636-b041-482ffda96311'): string {
  return JSON.stringify({
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source: `${okta.url}/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3`,
    eventId,
    data: { events },
    eventTime: '2026-11-22T10:05:01.032Z',
    contentType: 'application/json',
  });
}

const verify = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'GET', headers: { accept: 'application/json', 'user-agent': 'Okta-Integrations', ...headers } });
const deliver = (body: string, headers: Record<string, string> = { authorization: HOOK_SECRET }) =>
  fetch(`${server.url}/hooks/okta-acme`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Okta-Integrations', ...headers }, body });
const seen = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM seen_events`).get() as { n: number }).n;
const pendingHints = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM event_hints WHERE status = 'pending'`).get() as { n: number }).n;
const changes = () => app.store.db.prepare(`SELECT type, login FROM events WHERE type != 'baseline' ORDER BY id`).all();

describe('GET /hooks/<monitor-id>: Okta\'s one-time verification', () => {
  const challenge = 'Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg';

  it('answers {"verification": <challenge>} with the right Authorization value', async () => {
    const res = await verify('/hooks/okta-acme', { authorization: HOOK_SECRET, 'x-okta-verification-challenge': challenge });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ verification: challenge });
  });

  it('refuses a wrong or missing Authorization value (401) without echoing the challenge', async () => {
    for (const headers of [{ authorization: `${HOOK_SECRET}x` }, { authorization: HOOK_SECRET.slice(0, -1) }, {}]) {
      const res = await verify('/hooks/okta-acme', { ...headers, 'x-okta-verification-challenge': challenge });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(challenge);
    }
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toContain('mfawatch_events_received_total{monitor="okta-acme",source="event-hook",result="unauthorized"} 3');
    expect(seen()).toBe(0);
    // `status` names the header and the config key: the hook's secret is a static token, not a signature.
    const last = app.store.db.prepare(`SELECT last_refused FROM event_sources WHERE monitor_id = 'okta-acme' AND source = 'event-hook'`).get() as { last_refused: string };
    expect(last.last_refused).toBe('401: verification request with a bad or missing token in Authorization (check that the value the provider sends in Authorization is the one in the config, events.hook.authorization)');
  });

  it('400 without the challenge header; 404 for monitors whose push source has no verification, or none at all', async () => {
    expect((await verify('/hooks/okta-acme', { authorization: HOOK_SECRET })).status).toBe(400);
    expect((await verify('/hooks/okta-poll-only', { authorization: HOOK_SECRET, 'x-okta-verification-challenge': challenge })).status).toBe(404);
    expect((await verify('/hooks/nobody', { authorization: HOOK_SECRET, 'x-okta-verification-challenge': challenge })).status).toBe(404);
  });
});

describe('POST /hooks/<monitor-id>: event deliveries', () => {
  it('commits the hints of a delivery with two LogEvents before answering 204, and dedupes a redelivery by uuid', async () => {
    okta.users.get('00ub2')!.factors = [];
    const events = [
      oktaLogEvent({ eventType: 'user.mfa.factor.deactivate', actor: admin, target: [bob] }, 1),
      oktaLogEvent({ eventType: 'user.mfa.factor.reset_all', actor: admin, target: [carol] }, 2),
    ];
    const res = await deliver(hookBody(events));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    // Stored before the answer: both uuids and both hints.
    expect(seen()).toBe(2);
    expect(pendingHints()).toBe(2);

    // At-least-once: Okta redelivers (a new eventId, the same LogEvents); nothing new is stored.
    const again = await deliver(hookBody(events, 'c0ffee00-5ece-4636-b041-482ffda96311'));
    expect(again.status).toBe(204);
    expect(seen()).toBe(2);
    expect(pendingHints()).toBe(2);

    // Verified at Okta: only bob's factor is really gone.
    await runner.verifyPending(never, { all: true });
    expect(changes()).toEqual([{ type: 'mfa_disabled', login: 'bob@example.com' }]);
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toContain('mfawatch_events_received_total{monitor="okta-acme",source="event-hook",result="accepted"} 2');
  });

  it('sign-in events are left to the System Log poller (set aside, not judged from the hook)', async () => {
    const res = await deliver(hookBody([oktaLogEvent({ eventType: 'user.session.start', actor: bob }, 3)]));
    expect(res.status).toBe(204);
    expect(pendingHints()).toBe(0);
    expect(changes()).toEqual([]);
  });

  it('a wrong or missing Authorization value is 401 and stores nothing', async () => {
    const body = hookBody([oktaLogEvent({ eventType: 'user.mfa.factor.deactivate', actor: admin, target: [bob] }, 4)]);
    expect((await deliver(body, { authorization: 'not-the-secret' })).status).toBe(401);
    expect((await deliver(body, {})).status).toBe(401);
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
  });

  it('a malformed body is 400 (not JSON, not an event hook), a non-JSON content type 415; nothing stored', async () => {
    expect((await deliver('{"eventType": "com.okta.event_hook", "data": ')).status).toBe(400);
    expect((await deliver(JSON.stringify({ eventType: 'com.okta.oauth2.tokens.transform', eventId: 'x', data: { events: [] } }))).status).toBe(400);
    expect((await deliver(JSON.stringify({ eventType: 'com.okta.event_hook', eventId: 'x', data: {} }))).status).toBe(400);
    const res = await fetch(`${server.url}/hooks/okta-acme`, { method: 'POST', headers: { authorization: HOOK_SECRET, 'content-type': 'text/plain' }, body: hookBody([]) });
    expect(res.status).toBe(415);
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
  });
});
