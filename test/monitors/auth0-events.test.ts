/**
 * Auth0 events: the tenant logs polled with checkpoint pagination (from=<log_id>&take=100) against
 * the Auth0 fake, the guardian codes as hints, faults (malformed bodies, 429 with x-ratelimit-reset,
 * 5xx, a missing read:logs scope, a refused secret), and readAccount giving what a scan gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { auth0ConfigSchema } from '../../monitors/auth0/config.js';
import { createAuth0Monitor, LOG_START } from '../../monitors/auth0/index.js';
import { FakeAuth0 } from '../fakes/auth0.js';
import { testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const never = new AbortController().signal;
const scope = { id: '', label: 'acme' };
let fake: FakeAuth0;

beforeEach(async () => {
  fake = new FakeAuth0();
  fake.scopes = ['read:users', 'read:authentication_methods', 'read:logs'];
  fake.add({ user_id: 'auth0|alice', email: 'alice@example.com', methods: [{ type: 'guardian' }] });
  fake.add({ user_id: 'auth0|bob', email: 'bob@example.com', methods: [{ type: 'totp' }] });
  fake.add({ user_id: 'auth0|blocked', email: 'b@example.com', blocked: true, methods: [] });
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = {}) {
  const config = auth0ConfigSchema.parse({ id: 'auth0', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: fake.clientSecret, baseUrl: fake.url, retries: 0, ...(events ? { events } : {}), ...over });
  const deps = testDeps();
  return { monitor: createAuth0Monitor(config, deps, { backoffMs: 5 }), deps };
}

function logs(over: Record<string, unknown> = {}): PulledEventSource {
  const s = monitorFor(over).monitor.eventSources?.()[0];
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

describe('configuration', () => {
  it('offers the logs source only with an events block; the interval is bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    const s = logs();
    expect([s.kind, s.name, s.intervalMs]).toEqual(['pull', 'logs', 30_000]);
    expect(auth0ConfigSchema.safeParse({ id: 'a', type: 'auth0', domain: 'x.auth0.com', clientId: 'c', clientSecret: 's', events: { logs: '1s' } }).success).toBe(false);
  });
});

describe('checkpoint polling', () => {
  it('starts at the newest log_id, then reads from=<log_id>&take=100 and moves the checkpoint', async () => {
    fake.addLog({ type: 's', user_id: 'auth0|alice' });
    const head = fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|bob' });
    const s = logs();
    const first = await s.poll(undefined, never);
    expect(first).toMatchObject({ events: [], cursor: head.log_id });
    expect(fake.logRequests()[0]!.query.get('sort')).toBe('date:-1');

    fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|bob', user_name: 'bob@example.com' });
    fake.addLog({ type: 's', user_id: 'auth0|alice' });
    fake.addLog({ type: 'gd_enrollment_complete', user_id: 'auth0|alice' });
    const last = fake.addLog({ type: 'gd_update_device_account', user_id: 'auth0|alice' });
    const b = await s.poll(first.cursor, never);
    const q = fake.logRequests().at(-1)!.query;
    expect([q.get('from'), q.get('take')]).toEqual([head.log_id, '100']);
    expect(b.events.map((e) => [e.name, e.hint?.account, e.hint?.topic])).toEqual([
      ['gd_unenroll', { accountId: 'auth0|bob', login: 'bob@example.com' }, 'mfa'],
      ['gd_enrollment_complete', { accountId: 'auth0|alice' }, 'factor'],
      ['gd_update_device_account', { accountId: 'auth0|alice' }, 'mfa'],
    ]);
    expect(b.cursor).toBe(last.log_id);
    expect((await s.poll(b.cursor, never)).events).toEqual([]);
  });

  it('an empty log at the first poll: the next poll reads the log from its start, so nothing logged in between is skipped', async () => {
    const s = logs();
    const first = await s.poll(undefined, never);
    expect(first).toMatchObject({ events: [], cursor: LOG_START });
    const unenroll = fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|bob', user_name: 'bob@example.com' });
    const enrolled = fake.addLog({ type: 'gd_enrollment_complete', user_id: 'auth0|alice' });
    const second = await s.poll(first.cursor, never);
    expect(second.events.map((e) => [e.id, e.name])).toEqual([[unenroll.log_id, 'gd_unenroll'], [enrolled.log_id, 'gd_enrollment_complete']]);
    expect(second.cursor).toBe(enrolled.log_id);
    const q = fake.logRequests().at(-1)!.query;
    expect([q.get('sort'), q.get('per_page'), q.get('page')]).toEqual(['date:1', '100', '0']);
    // Then checkpoints as usual.
    const later = fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|alice' });
    const third = await s.poll(second.cursor, never);
    expect(third.events.map((e) => e.id)).toEqual([later.log_id]);
    expect(fake.logRequests().at(-1)!.query.get('from')).toBe(enrolled.log_id);
  });

  it('an empty log at the first poll, then more than a page: the first page by date, the rest by checkpoint, none skipped; still empty keeps LOG_START', async () => {
    const s = logs();
    const first = await s.poll(undefined, never);
    expect((await s.poll(first.cursor, never)).cursor).toBe(LOG_START);
    for (let i = 0; i < 230; i++) fake.addLog({ type: 'gd_unenroll', user_id: `auth0|u${i}` });
    const b = await s.poll(first.cursor, never);
    expect(new Set(b.events.map((e) => e.hint?.account.accountId)).size).toBe(230);
    expect(b.cursor).toBe(fake.logs.at(-1)!.log_id);
  });

  it('follows full pages in one poll; entries without the documented fields are set aside', async () => {
    const s = logs();
    fake.addLog({ type: 's' });
    const start = await s.poll(undefined, never);
    for (let i = 0; i < 150; i++) fake.addLog({ type: 'gd_unenroll', user_id: `auth0|u${i}` });
    fake.addLog({ type: 'gd_unenroll' });
    fake.logs.push({ log_id: '900299', type: 'gd_unenroll' });
    const b = await s.poll(start.cursor, never);
    expect(b.events).toHaveLength(150);
    expect(b.ignored.map((i) => i.reason)).toEqual(['malformed', 'malformed']);
    expect(b.requests).toBeGreaterThanOrEqual(2);
  });
});

describe('successful logins (s)', () => {
  it('a password login without an mfa stage is signin_without_mfa; one with the mfa stage (performed_amr ["mfa"]), a federated one or an SSO reuse is not', async () => {
    const s = logs();
    fake.addLog({ type: 'seacft' });
    const first = await s.poll(undefined, never);
    const alice = { user_id: 'auth0|alice', user_name: 'alice@example.com' };
    const without = fake.addLog({ type: 's', ...alice, ip: '203.0.113.7', connection: 'Username-Password-Authentication', details: FakeAuth0.loginDetails(alice, { first: 'prompt-authenticate-password' }) });
    fake.addLog({ type: 's', ...alice, details: FakeAuth0.loginDetails(alice, { mfa: true }) });
    // An mfa stage recognised by its performed_amr alone.
    const details = FakeAuth0.loginDetails(alice) as { prompts: Array<Record<string, unknown>> };
    fake.addLog({ type: 's', ...alice, details: { ...details, prompts: [...details.prompts, { name: 'guardian-step', performed_amr: ['mfa'] }] } });
    fake.addLog({ type: 's', ...alice, details: FakeAuth0.loginDetails(alice, { first: 'federated-authenticate' }) });
    fake.addLog({ type: 's', ...alice, details: { prompts: [] } });
    fake.addLog({ type: 's', details: FakeAuth0.loginDetails(alice) });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toEqual([
      {
        id: without.log_id, occurredAt: new Date(String(without.date)), scope: '', name: 's',
        fact: { type: 'signin_without_mfa', account: { accountId: 'auth0|alice', login: 'alice@example.com' }, sourceIp: '203.0.113.7', userAgent: 'Firefox 132.0.0 / Linux 0.0.0', detail: { firstFactor: 'prompt-authenticate-password', connection: 'Username-Password-Authentication' } },
      },
    ]);
    // A login without user_id cannot be attributed: set aside.
    expect(b.ignored.map((i) => [i.reason, i.message])).toEqual([['malformed', expect.stringMatching(/^s \(successful login\) names no user_id/)]]);
  });
});

describe('faults', () => {
  it('429 with x-ratelimit-reset is retried; a persistent one fails as rate_limited', async () => {
    fake.addLog({ type: 's' });
    const reset = String(Math.floor(Date.now() / 1000));
    const tooMany = { statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' };
    fake.inject({ kind: 'status', status: 429, body: tooMany, headers: { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }, 1, (r) => r.path === '/api/v2/logs');
    expect((await logs({ retries: 2 }).poll(undefined, never)).cursor).toBe(fake.logs.at(-1)!.log_id);
    fake.inject({ kind: 'status', status: 429, body: tooMany, headers: { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Number(reset) + 30) } }, 3, (r) => r.path === '/api/v2/logs');
    const err = await logs().poll(undefined, never).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'rate_limited' });
    // An event poll runs one call at a time: the remedy is the poll interval, not "concurrency".
    expect((err as { hint?: string }).hint).toMatch(/raise "events\.logs"/);
    expect((err as { hint?: string }).hint).not.toMatch(/concurrency/);
  });

  it('5xx, malformed bodies, a missing read:logs scope and a wrong secret fail the poll with what to do', async () => {
    fake.inject({ kind: 'status', status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: 'x' } }, 1, (r) => r.path === '/api/v2/logs');
    await expect(logs().poll('900201', never)).rejects.toMatchObject({ reason: 'server' });
    fake.inject({ kind: 'status', status: 200, body: { logs: [] } }, 1, (r) => r.path === '/api/v2/logs');
    await expect(logs().poll('900201', never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'truncate', status: 200, body: '[{"log_id":' }, 1, (r) => r.path === '/api/v2/logs');
    await expect(logs().poll('900201', never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'status', status: 200, body: [{ type: 'gd_unenroll' }] }, 1, (r) => r.path === '/api/v2/logs');
    await expect(logs().poll('900201', never)).rejects.toMatchObject({ reason: 'malformed', message: expect.stringMatching(/without log_id/) });
    await expect(logs({ clientSecret: 'wrong' }).poll(undefined, never)).rejects.toMatchObject({ reason: 'auth' });
    fake.scopes = ['read:users', 'read:authentication_methods'];
    const denied = await logs().poll(undefined, never).catch((e: unknown) => e);
    expect(denied).toMatchObject({ reason: 'permission' });
    expect(String((denied as Error).message)).toMatch(/insufficient_scope/);
    expect(String((denied as { hint?: string }).hint)).toMatch(/read:logs/);
  });
});

describe('readAccount', () => {
  it('reads a user as the scan reports them; blocked users and 404s are gone; errors are thrown', async () => {
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(await monitor.readAccount?.(scope, { accountId: 'auth0|alice' }, never)).toEqual({ status: 'present', observation: scan.observations.find((o) => o.accountId === 'auth0|alice') });
    fake.users.get('auth0|bob')!.methods = [];
    expect(await monitor.readAccount?.(scope, { accountId: 'auth0|bob' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'disabled' } });
    expect(await monitor.readAccount?.(scope, { accountId: 'auth0|blocked' }, never)).toMatchObject({ status: 'gone' });
    expect(await monitor.readAccount?.(scope, { accountId: 'auth0|nobody' }, never)).toEqual({ status: 'gone', account: { accountId: 'auth0|nobody' } });
    fake.inject({ kind: 'status', status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'x' } }, 1, (r) => r.path.startsWith('/api/v2/users/'));
    await expect(monitor.readAccount?.(scope, { accountId: 'auth0|alice' }, never)).rejects.toMatchObject({ reason: 'server' });
  });
});
