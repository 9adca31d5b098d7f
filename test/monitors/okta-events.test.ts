/**
 * Okta events: the System Log polling pattern against the Okta fake (first query, then always the
 * rel="next" link, an empty array when nothing is new), the translation of LogEvents into hints and
 * signin_without_mfa facts, faults (malformed bodies, 429 with X-Rate-Limit-*, 5xx, 401/403, a
 * refused link), and readAccount giving what a scan gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { oktaConfigSchema } from '../../monitors/okta/config.js';
import { parseOktaCursor } from '../../monitors/okta/events.js';
import { createOktaMonitor } from '../../monitors/okta/index.js';
import { FakeOkta } from '../fakes/okta.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = '00okta-events-token';
const never = new AbortController().signal;
const scope = { id: '', label: 'okta' };

let okta: FakeOkta;
let clock: PinnedClock;
beforeEach(async () => {
  okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true }, 'SSWS 00no-logs': { factors: false } } });
  okta.addUser({ id: '00ua1', login: 'alice@example.com', firstName: 'Alice', lastName: 'A', factors: [{ factorType: 'webauthn' }], roles: ['SUPER_ADMIN'] });
  okta.addUser({ id: '00ub2', login: 'bob@example.com', factors: [{ factorType: 'push' }] });
  okta.addUser({ id: '00ue5', login: 'erin@example.com', status: 'SUSPENDED', factors: [] });
  await okta.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await okta.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = { adminGroups: ['Okta Admins'] }) {
  const config = oktaConfigSchema.parse({ id: 'okta', type: 'okta', baseUrl: okta.url, token: TOKEN, retries: 0, ...(events ? { events } : {}), ...over });
  const deps = testDeps({ clock });
  return { monitor: createOktaMonitor(config, deps, { rateLimitSkewMs: 5 }), deps };
}

function systemLog(over: Record<string, unknown> = {}, events?: Record<string, unknown>): PulledEventSource {
  const source = monitorFor(over, events).monitor.eventSources?.()[0];
  if (source?.kind !== 'pull') throw new Error('no pulled source');
  return source;
}

const bob = { id: '00ub2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' };
const admin = { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' };

describe('configuration', () => {
  it('offers the System Log source only with an events block; the interval is bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    const s = systemLog({}, {});
    expect([s.kind, s.name, s.intervalMs]).toEqual(['pull', 'system-log', 30_000]);
    expect(systemLog({}, { systemLog: '15s' }).intervalMs).toBe(15_000);
    expect(oktaConfigSchema.safeParse({ id: 'o', type: 'okta', baseUrl: okta.url, token: 't', events: { systemLog: '2s' } }).success).toBe(false);
    expect(oktaConfigSchema.safeParse({ id: 'o', type: 'okta', baseUrl: okta.url, token: 't', events: { polling: '30s' } }).success).toBe(false);
  });
});

describe('the polling pattern', () => {
  it('asks with since, sortOrder=ASCENDING and the filter once, then polls exactly the next link, also when nothing is new', async () => {
    const s = systemLog();
    const first = await s.poll(undefined, never);
    expect(first.events).toEqual([]);
    const q1 = okta.logRequests()[0]!.query;
    expect(q1.get('sortOrder')).toBe('ASCENDING');
    expect(q1.get('until')).toBeNull();
    expect(q1.get('since')).toBe('2026-11-22T09:55:00.000Z');
    expect(q1.get('filter')).toMatch(/^eventType eq "user\.mfa\.factor\.activate" or .*eventType eq "user\.session\.start"/);
    const c1 = parseOktaCursor(first.cursor)!;
    expect(c1.next).toMatch(/\/api\/v1\/logs\?.*after=/);

    // Nothing new: an empty array and the same link, polled again.
    const second = await s.poll(first.cursor, never);
    expect(second.events).toEqual([]);
    const r2 = okta.logRequests()[1]!;
    expect(`${okta.url}${r2.path}?${r2.query.toString()}`).toBe(c1.next);
    expect(r2.query.get('since')).toBeNull();
    expect(parseOktaCursor(second.cursor)!.next).toBe(c1.next);

    okta.addLog({ eventType: 'user.mfa.factor.deactivate', actor: admin, target: [bob] });
    const third = await s.poll(second.cursor, never);
    expect(third.events.map((e) => [e.name, e.hint?.account, e.hint?.topic])).toEqual([['user.mfa.factor.deactivate', { accountId: '00ub2', login: 'bob@example.com' }, 'mfa']]);
    expect(third.requests).toBe(1);
    // The event is behind the cursor now.
    expect((await s.poll(third.cursor, never)).events).toEqual([]);
  });

  it('follows next links while pages are full, within one poll', async () => {
    const s = systemLog({}, { pageSize: 2 });
    const first = await s.poll(undefined, never);
    for (let i = 0; i < 5; i++) okta.addLog({ eventType: 'user.mfa.factor.activate', actor: admin, target: [{ ...bob, id: `00u${i}` }] });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => e.hint?.account.accountId)).toEqual(['00u0', '00u1', '00u2', '00u3', '00u4']);
    expect(b.events.every((e) => e.hint?.topic === 'factor')).toBe(true);
    expect(b.requests).toBe(3);
  });
});

describe('translation', () => {
  it('factor, lifecycle and privilege events and admin-group additions are hints; other groups, failures and malformed entries are set aside', async () => {
    const s = systemLog();
    const start = await s.poll(undefined, never);
    okta.addLog({ eventType: 'user.mfa.factor.reset_all', actor: admin, target: [bob] });
    okta.addLog({ eventType: 'user.lifecycle.create', actor: admin, target: [{ id: '00unew', type: 'User', alternateId: 'new@example.com' }] });
    okta.addLog({ eventType: 'user.account.privilege.grant', actor: admin, target: [bob] });
    okta.addLog({ eventType: 'group.user_membership.add', actor: admin, target: [bob, { id: '00gadm', type: 'UserGroup', displayName: 'Okta Admins' }] });
    okta.addLog({ eventType: 'group.user_membership.add', actor: admin, target: [bob, { id: '00gsales', type: 'UserGroup', displayName: 'Sales' }] });
    // A user removing their own factor: named as actor only.
    okta.addLog({ eventType: 'user.mfa.factor.deactivate', actor: bob, target: [] });
    okta.logs.push({ uuid: 'broken-1', eventType: 'user.mfa.factor.deactivate' });
    okta.logs.push({ published: '2026-11-22T10:00:00.000Z', eventType: 'user.mfa.factor.deactivate' });
    const b = await s.poll(start.cursor, never);
    expect(b.events.map((e) => [e.name, e.hint?.account.accountId, e.hint?.topic])).toEqual([
      ['user.mfa.factor.reset_all', '00ub2', 'mfa'],
      ['user.lifecycle.create', '00unew', 'membership'],
      ['user.account.privilege.grant', '00ub2', 'admin'],
      ['group.user_membership.add', '00ub2', 'admin'],
      ['user.mfa.factor.deactivate', '00ub2', 'mfa'],
    ]);
    expect(b.events[0]!.id).toMatch(/^dc9fd3c0-/);
    expect(b.events[0]!.occurredAt.toISOString()).toMatch(/^2026-11-22T10:00:0\d/);
    expect(b.ignored.map((i) => [i.reason, i.id])).toEqual([['irrelevant', expect.any(String)], ['malformed', 'broken-1'], ['malformed', undefined]]);
    expect(b.ignored[0]!.message).toMatch(/events\.adminGroups/);
  });

  it('a sign-in without an MFA event of the same session within the grace window is a signin_without_mfa fact; with one it is not', async () => {
    const s = systemLog();
    let cursor = (await s.poll(undefined, never)).cursor;
    okta.addLog({ eventType: 'user.session.start', actor: bob, externalSessionId: 'idxWITH', credentialType: 'PASSWORD', uuid: 'u-with' });
    okta.addLog({ eventType: 'user.session.start', actor: bob, externalSessionId: 'idxWITHOUT', credentialType: 'PASSWORD', uuid: 'u-without', ipAddress: '203.0.113.9' });
    okta.addLog({ eventType: 'user.session.start', actor: bob, outcome: 'FAILURE', externalSessionId: 'idxFAIL' });
    okta.addLog({ eventType: 'user.session.start', actor: bob, authenticationProvider: 'FEDERATION', credentialType: 'ASSERTION', externalSessionId: 'idxFED' });
    let b = await s.poll(cursor, never);
    expect(b.events).toEqual([]);
    expect(b.ignored.map((i) => i.reason)).toEqual(['irrelevant', 'irrelevant']);
    expect(b.ignored[1]!.message).toMatch(/FEDERATION/);
    cursor = b.cursor;
    expect(parseOktaCursor(cursor)!.pending.map((p) => p.uuid)).toEqual(['u-with', 'u-without']);

    // The MFA event of the first session arrives a poll later, still inside the window.
    okta.addLog({ eventType: 'user.authentication.auth_via_mfa', actor: bob, externalSessionId: 'idxWITH', credentialType: 'OTP' });
    clock.advance(60_000);
    b = await s.poll(cursor, never);
    expect(b.events).toEqual([]);
    cursor = b.cursor;

    clock.advance(5 * 60_000);
    b = await s.poll(cursor, never);
    expect(b.events).toEqual([
      {
        id: 'u-without', occurredAt: expect.any(Date), scope: '', name: 'user.session.start',
        fact: { type: 'signin_without_mfa', account: { accountId: '00ub2', login: 'bob@example.com' }, sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', detail: { credentialType: 'PASSWORD', externalSessionId: 'idxWITHOUT' } },
      },
    ]);
    expect(parseOktaCursor(b.cursor)!.pending).toEqual([]);
  });
});

describe('faults', () => {
  it('429 with X-Rate-Limit-Reset is waited out and retried', async () => {
    const s = systemLog({ retries: 2 });
    const reset = String(Math.floor(Date.now() / 1000));
    okta.inject({ kind: 'status', status: 429, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }, headers: { 'x-rate-limit-limit': '120', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 1);
    const b = await s.poll(undefined, never);
    expect(b.cursor).toBeDefined();
    expect(okta.logRequests()).toHaveLength(2);
  });

  it('a persistent 429 fails the poll as rate_limited with the wait Okta asked for', async () => {
    const s = systemLog();
    const reset = String(Math.floor(Date.now() / 1000) + 30);
    okta.inject({ kind: 'status', status: 429, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }, headers: { 'x-rate-limit-limit': '120', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 5);
    const err = await s.poll(undefined, never).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'rate_limited', message: expect.stringMatching(/Okta rate limit reached \(E0000047\) for GET \/api\/v1\/logs/) });
    expect((err as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(20_000);
  });

  it('5xx, 401, 403 and bodies that are not LogEvent lists fail the poll with what to do; nothing is returned to commit', async () => {
    const s = systemLog();
    const first = await s.poll(undefined, never);
    okta.inject({ kind: 'status', status: 503, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } }, 1);
    await expect(s.poll(first.cursor, never)).rejects.toMatchObject({ reason: 'server', message: expect.stringMatching(/Okta returned 503/) });
    okta.inject({ kind: 'status', status: 200, body: { not: 'a list' } }, 1);
    await expect(s.poll(first.cursor, never)).rejects.toMatchObject({ reason: 'malformed', message: expect.stringMatching(/not a list of LogEvents/) });
    okta.inject({ kind: 'truncate', status: 200, body: '[{"uuid":"x",' }, 1);
    await expect(s.poll(first.cursor, never)).rejects.toMatchObject({ reason: 'malformed' });
    await expect(systemLog({ token: 'wrong' }).poll(undefined, never)).rejects.toMatchObject({ reason: 'auth', message: expect.stringMatching(/401 \(E0000011\).*token is invalid/) });
    okta.inject({ kind: 'status', status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' } }, 1);
    const denied = await s.poll(first.cursor, never).catch((e: unknown) => e);
    expect(denied).toMatchObject({ reason: 'permission', message: expect.stringMatching(/okta\.logs\.read/) });
    // Recovered: the same cursor still works.
    expect((await s.poll(first.cursor, never)).events).toEqual([]);
  });

  it('an answer without a next link, or with one to another host, is refused; a saved link Okta refuses starts again from now, saying so', async () => {
    const s = systemLog();
    okta.inject({ kind: 'status', status: 200, body: [] }, 1);
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed', message: expect.stringMatching(/without a rel="next" link/) });
    okta.inject({ kind: 'status', status: 200, body: [], headers: { link: '<https://evil.example/api/v1/logs?after=1_0>; rel="next"' } }, 1);
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ message: expect.stringMatching(/will not send the token there/) });
    const stale = JSON.stringify({ v: 1, next: `${okta.url}/api/v1/logs?after=garbage&sortOrder=ASCENDING`, pending: [], mfa: {} });
    const b = await s.poll(stale, never);
    expect(b.ignored[0]).toMatchObject({ reason: 'malformed', message: expect.stringMatching(/refused the saved System Log link.*starts again from now/) });
    expect(parseOktaCursor(b.cursor)!.next).toMatch(/after=\d+_\d+/);
    expect(okta.logRequests().at(-1)!.query.get('since')).toBe('2026-11-22T09:55:00.000Z');
  });
});

describe('readAccount', () => {
  it('reads a user by id or login exactly as the scan sees them', async () => {
    const { monitor, deps } = monitorFor({ detectAdmins: true });
    const scan = await collectScan(monitor, deps.logger);
    const fromScan = scan.observations.find((o) => o.accountId === '00ua1');
    const byId = await monitor.readAccount?.(scope, { accountId: '00ua1' }, never);
    expect(byId).toEqual({ status: 'present', observation: fromScan });
    expect(await monitor.readAccount?.(scope, { login: 'bob@example.com' }, never)).toMatchObject({ status: 'present', observation: { accountId: '00ub2', mfa: 'enabled', factors: ['push'] } });
    okta.users.get('00ub2')!.factors = [];
    expect(await monitor.readAccount?.(scope, { accountId: '00ub2' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'disabled', factors: [] } });
  });

  it('gone on Okta’s 404 and for users the scan does not list; an error is thrown, never read as gone', async () => {
    const { monitor } = monitorFor();
    expect(await monitor.readAccount?.(scope, { accountId: '00unope' }, never)).toEqual({ status: 'gone', account: { accountId: '00unope' } });
    expect(await monitor.readAccount?.(scope, { accountId: '00ue5' }, never)).toMatchObject({ status: 'gone' });
    okta.inject({ kind: 'status', status: 502, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } }, 1);
    await expect(monitor.readAccount?.(scope, { accountId: '00ua1' }, never)).rejects.toMatchObject({ reason: 'server' });
  });
});
