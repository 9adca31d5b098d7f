/**
 * A GitLab streaming audit event destination on the inbound receiver (src/events/inbound.ts), over
 * real HTTP on 127.0.0.1 with the real GitLab monitor and the GitLab fake: one audit event per POST
 * in GitLab's documented streaming schema, with the destination's verification token in
 * X-Gitlab-Event-Streaming-Token (and Content-Type application/x-www-form-urlencoded, as GitLab
 * documents it), committed before the 202; user_disable_two_factor verified at the users API;
 * dedupe by the event id across re-streams and the pulled audit events; refusals that store
 * nothing; the token never written anywhere.
 * https://docs.gitlab.com/user/compliance/audit_event_streaming/
 * https://docs.gitlab.com/user/compliance/audit_event_schema/
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { createApp, type App } from '../../src/app.js';
import { buildStatus } from '../../src/cli/status.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { PinnedClock, memoryLogger } from '../helpers.js';

const TOKEN = 'glpat-admin-test-token-0001';
const STREAM_TOKEN = 'SECRETHYGIENE-gitlab-stream-8c2d0f61';
const never = new AbortController().signal;
let fake: FakeGitlab;
let app: App;
let runner: EventRunner;
let server: InboundServer;
let log: ReturnType<typeof memoryLogger>;
let clock: PinnedClock;

beforeEach(async () => {
  fake = new FakeGitlab();
  fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
  fake.add({ id: 2, username: 'bob', twoFactor: true });
  fake.add({ id: 3, username: 'carol', twoFactor: true });
  await fake.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  const config = resolveConfig({
    database: ':memory:',
    inbound: { listen: '127.0.0.1:0' },
    monitors: [
      { id: 'gitlab', type: 'gitlab', baseUrl: fake.url, token: '${G}', retries: 0, events: { streaming: { verificationToken: '${V}' } } },
      { id: 'gitlab-poll-only', type: 'gitlab', baseUrl: fake.url, token: '${G}', retries: 0, events: {} },
    ],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { G: TOKEN, V: STREAM_TOKEN });
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

const post = (body: string, headers: Record<string, string>, path = '/hooks/gitlab') => fetch(`${server.url}${path}`, { method: 'POST', headers, body });
const stream = (entry: Record<string, unknown>, token = STREAM_TOKEN, path?: string) => {
  const { headers, body } = FakeGitlab.streamed(entry, token);
  return post(body, headers, path);
};
const seen = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM seen_events`).get() as { n: number }).n;
const pendingHints = () => (app.store.db.prepare(`SELECT COUNT(*) AS n FROM event_hints WHERE status = 'pending'`).get() as { n: number }).n;
const changes = () => app.store.db.prepare(`SELECT type, login FROM events WHERE type != 'baseline' ORDER BY id`).all();
const metric = async (source: string, result: string) => {
  const line = (await app.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`mfawatch_events_received_total{monitor="gitlab",source="${source}",result="${result}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};
const disabled = (userId: number, username: string) => fake.addAudit({ eventName: 'user_disable_two_factor', userId, username, createdAt: new Date(clock.now().getTime() - 5_000).toISOString() });

describe('POST /hooks/<monitor-id>: streamed audit events', () => {
  it('user_disable_two_factor is committed as a hint before the 202 and verified at GitLab as mfa_disabled', async () => {
    fake.users.get(2)!.twoFactor = false;
    const res = await stream(disabled(2, 'bob'));
    expect(res.status).toBe(202);
    expect(seen()).toBe(1);
    expect(pendingHints()).toBe(1);
    await runner.verifyPending(never, { all: true });
    expect(changes()).toEqual([{ type: 'mfa_disabled', login: 'bob' }]);
    expect(await metric('audit-stream', 'accepted')).toBe(1);
  });

  it('an integer id (older GitLab) and the event type from X-Gitlab-Audit-Event-Type alone are read the same way', async () => {
    const entry = disabled(3, 'carol');
    const { headers, body } = FakeGitlab.streamed(entry, STREAM_TOKEN);
    const older: Record<string, unknown> = { ...(JSON.parse(body) as Record<string, unknown>), id: entry.id };
    delete older.event_type;
    expect((await post(JSON.stringify(older), { ...headers, 'content-type': 'application/json' })).status).toBe(202);
    expect(pendingHints()).toBe(1);
  });

  it('a re-streamed event, and the same event read later from the audit events API, are deduplicated by id', async () => {
    const pulled = runner.bindings.find((b) => b.instance.config.id === 'gitlab' && b.source.kind === 'pull');
    expect(pulled?.source.name).toBe('audit-events');
    await runner.pollOnce(pulled!.instance, pulled!.source as PulledEventSource, never);
    const entry = disabled(2, 'bob');
    expect((await stream(entry)).status).toBe(202);
    expect((await stream(entry)).status).toBe(202);
    expect(await metric('audit-stream', 'duplicate')).toBe(1);
    await runner.pollOnce(pulled!.instance, pulled!.source as PulledEventSource, never);
    expect(await metric('audit-events', 'duplicate')).toBe(1);
    expect(seen()).toBe(1);
    expect(pendingHints()).toBe(1);
  });

  it('another audit event type is set aside and counted; a user_disable_two_factor naming no user is set aside as malformed', async () => {
    const other = fake.addAudit({ eventName: 'group_created', userId: 1, username: 'root' });
    expect((await stream(other)).status).toBe(202);
    const noUser = disabled(2, 'bob');
    const { headers, body } = FakeGitlab.streamed(noUser, STREAM_TOKEN);
    const stripped = JSON.parse(body) as Record<string, unknown>;
    delete stripped.target_id;
    stripped.details = {};
    stripped.entity_type = 'Group';
    expect((await post(JSON.stringify(stripped), headers)).status).toBe(202);
    expect(pendingHints()).toBe(0);
    expect(await metric('audit-stream', 'ignored_irrelevant')).toBe(1);
    expect(await metric('audit-stream', 'ignored_malformed')).toBe(1);
    expect(log.text()).toContain('group_created: not an audit event type mfawatch acts on');
  });

  it('a wrong or missing verification token is 401 and stores nothing', async () => {
    const entry = disabled(2, 'bob');
    expect((await stream(entry, 'not-the-token')).status).toBe(401);
    expect((await stream(entry, STREAM_TOKEN.slice(0, -1))).status).toBe(401);
    const { body } = FakeGitlab.streamed(entry, STREAM_TOKEN);
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    // The token in another header is not the token.
    expect((await post(body, { 'content-type': 'application/json', authorization: STREAM_TOKEN })).status).toBe(401);
    // A monitor without a streaming destination has no route.
    expect((await stream(entry, STREAM_TOKEN, '/hooks/gitlab-poll-only')).status).toBe(404);
    expect(seen()).toBe(0);
    expect(pendingHints()).toBe(0);
    expect(await metric('audit-stream', 'unauthorized')).toBe(4);
  });

  it('a malformed body is 400, a body over the limit 413; nothing stored', async () => {
    const headers = { 'content-type': 'application/json', 'x-gitlab-event-streaming-token': STREAM_TOKEN };
    expect((await post('{"id": "7", "created_at": ', headers)).status).toBe(400);
    expect((await post(JSON.stringify([{ id: '7', created_at: '2026-11-22T10:00:00Z' }]), headers)).status).toBe(400);
    expect((await post(JSON.stringify({ id: 'seven', created_at: '2026-11-22T10:00:00Z', event_type: 'user_disable_two_factor' }), headers)).status).toBe(400);
    expect((await post(JSON.stringify({ id: '7', event_type: 'user_disable_two_factor' }), headers)).status).toBe(400);
    const huge = JSON.stringify({ id: '8', created_at: '2026-11-22T10:00:00Z', event_type: 'user_disable_two_factor', details: { custom_message: 'x'.repeat(5 * 1024 * 1024) } });
    expect((await post(huge, headers)).status).toBe(413);
    expect(seen()).toBe(0);
    expect(await metric('audit-stream', 'bad_request')).toBe(4);
  });

  it('the verification token never reaches the logs, the database or status', async () => {
    fake.users.get(2)!.twoFactor = false;
    const entry = disabled(2, 'bob');
    await stream(entry, `${STREAM_TOKEN}x`);
    await post('not json', { 'x-gitlab-event-streaming-token': STREAM_TOKEN });
    await stream(entry);
    await runner.verifyPending(never, { all: true });
    const tables = (app.store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((t) => t.name);
    const dump = tables.map((t) => JSON.stringify(app.store.db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
    const status = buildStatus(app.config, app.store, app.clock.now(), (id) => [...(app.monitors.find((m) => m.config.id === id)?.monitor.scopes() ?? [])], (id) => app.monitors.find((m) => m.config.id === id)?.monitor.eventSources?.() ?? []);
    expect(dump).toContain('mfa_disabled');
    for (const text of [log.text(), dump, JSON.stringify(status), JSON.stringify(app.config)]) expect(text).not.toContain(STREAM_TOKEN);
  });
});
