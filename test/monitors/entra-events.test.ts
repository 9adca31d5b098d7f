/**
 * Entra ID events: the directory audit log polled with `$filter=activityDateTime ge …` and
 * @odata.nextLink against the Entra fake (overlap window, dedupe ids, watermark cursor), the
 * translation of "security info" activities into hints, faults (malformed bodies, 429 with
 * Retry-After, 5xx, a refused token, a missing permission), and readAccount giving what a scan gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { entraConfigSchema } from '../../monitors/entra/config.js';
import { parseEntraCursor } from '../../monitors/entra/events.js';
import { createEntraMonitor, LOG_PAGES_PER_POLL, NO_SIGNIN_LICENCE_WARNING } from '../../monitors/entra/index.js';
import { FakeEntra } from '../fakes/entra.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const never = new AbortController().signal;
const scope = { id: '', label: 'contoso' };
let fake: FakeEntra;
let clock: PinnedClock;

beforeEach(async () => {
  fake = new FakeEntra();
  fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
  fake.add({ id: 'b2', userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
  fake.add({ id: 'g3', userPrincipalName: 'gus_partner.com#EXT#@contoso.onmicrosoft.com', userType: 'guest', methodsRegistered: [] });
  await fake.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = {}) {
  const config = entraConfigSchema.parse({
    id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret,
    loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, ...(events ? { events } : {}), ...over,
  });
  const deps = testDeps({ clock });
  return { monitor: createEntraMonitor(config, deps, { backoffMs: 5 }), deps };
}

function audits(over: Record<string, unknown> = {}, events: Record<string, unknown> = {}): PulledEventSource {
  const s = monitorFor(over, events).monitor.eventSources?.()[0];
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

const bob = { id: 'b2', userPrincipalName: 'bob@contoso.com' };

function signIns(over: Record<string, unknown> = {}, events: Record<string, unknown> = {}): { signIns: PulledEventSource; audits: PulledEventSource } {
  const sources = monitorFor(over, { signIns: true, ...events }).monitor.eventSources?.() ?? [];
  const [a, s] = sources;
  if (a?.kind !== 'pull' || s?.kind !== 'pull' || s.name !== 'sign-ins') throw new Error('no sign-ins source');
  return { signIns: s, audits: a };
}

describe('configuration', () => {
  it('offers the directory-audits source only with an events block; interval and overlap are bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    const s = audits();
    expect([s.kind, s.name, s.intervalMs]).toEqual(['pull', 'directory-audits', 60_000]);
    const base = { id: 'e', type: 'entra', tenantId: 't', clientId: 'c', clientSecret: 's' };
    expect(entraConfigSchema.safeParse({ ...base, events: { directoryAudits: '5s' } }).success).toBe(false);
    expect(entraConfigSchema.safeParse({ ...base, events: { overlap: '10s' } }).success).toBe(false);
    expect(entraConfigSchema.safeParse({ ...base, events: { signIns: 'yes' } }).success).toBe(false);
    expect(entraConfigSchema.safeParse({ ...base, events: { signIns: true, signInsInterval: '10s' } }).success).toBe(false);
  });

  it('adds the sign-ins source only with events.signIns (default false), at its own interval', () => {
    expect(monitorFor().monitor.eventSources?.().map((x) => x.name)).toEqual(['directory-audits']);
    const both = monitorFor({}, { signIns: true, signInsInterval: '2m' }).monitor.eventSources?.() ?? [];
    expect(both.map((x) => [x.name, x.kind === 'pull' ? x.intervalMs : null])).toEqual([['directory-audits', 60_000], ['sign-ins', 120_000]]);
    expect(monitorFor({}, { signIns: true }).monitor.eventSources?.()[1]).toMatchObject({ name: 'sign-ins', intervalMs: 60_000 });
  });
});

describe('polling', () => {
  it('filters on activityDateTime from the watermark minus the overlap, follows nextLink, and moves the watermark', async () => {
    fake.auditPageSize = 2;
    const s = audits();
    const first = await s.poll(undefined, never);
    expect(first.events).toEqual([]);
    expect(fake.auditRequests()[0]!.query.get('$filter')).toBe('activityDateTime ge 2026-11-22T09:45:00Z');
    expect(parseEntraCursor(first.cursor)!.watermark).toBe('2026-11-22T10:00:00.000Z');

    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: '2026-11-22T10:01:00Z', target: bob, id: 'Directory_1' });
    fake.addAudit({ activityDisplayName: 'User registered security info', activityDateTime: '2026-11-22T10:02:00Z', target: { id: 'a1', userPrincipalName: 'alice@contoso.com' }, id: 'Directory_2' });
    fake.addAudit({ activityDisplayName: 'Update application', loggedByService: 'Core Directory', category: 'ApplicationManagement', activityDateTime: '2026-11-22T10:02:30Z', id: 'Directory_3' });
    fake.addAudit({ activityDisplayName: 'Add member to role', loggedByService: 'Core Directory', category: 'RoleManagement', activityDateTime: '2026-11-22T10:03:00Z', target: bob, id: 'Directory_4' });
    // A user deleting their own security info, named only as the initiator.
    fake.addAudit({ activityDisplayName: 'User deleted security info', activityDateTime: '2026-11-22T09:58:00Z', initiatedBy: { id: 'a1', userPrincipalName: 'alice@contoso.com' }, id: 'Directory_5' });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => [e.id, e.name, e.hint?.account.accountId, e.hint?.topic]).sort()).toEqual([
      ['Directory_1', 'Admin deleted security info', 'b2', 'mfa'],
      ['Directory_2', 'User registered security info', 'a1', 'factor'],
      ['Directory_4', 'Add member to role', 'b2', 'admin'],
      ['Directory_5', 'User deleted security info', 'a1', 'mfa'],
    ]);
    expect(b.events.find((e) => e.id === 'Directory_1')!.occurredAt.toISOString()).toBe('2026-11-22T10:01:00.000Z');
    expect(b.requests).toBe(3);
    expect(b.ignored).toEqual([]);
    expect(parseEntraCursor(b.cursor)!.watermark).toBe('2026-11-22T10:03:00.000Z');
    expect(fake.auditRequests().at(-3)!.query.get('$filter')).toBe('activityDateTime ge 2026-11-22T09:45:00Z');

    // The next poll re-reads the overlap window (the core drops the duplicates by id) and an entry that arrived late.
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: '2026-11-22T09:59:00Z', target: { id: 'a1' }, id: 'Directory_late' });
    const c = await s.poll(b.cursor, never);
    expect(fake.auditRequests().at(-1)!.query.get('$filter')).toBe('activityDateTime ge 2026-11-22T09:48:00Z');
    expect(c.events.map((e) => e.id)).toContain('Directory_late');
    expect(c.events.map((e) => e.id)).toContain('Directory_1');
  });

  it('failed activities, entries without a user and malformed entries are set aside with their ids, late ones too; the core counts each once', async () => {
    const s = audits();
    const first = await s.poll(undefined, never);
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', result: 'failure', activityDateTime: '2026-11-22T10:01:00Z', target: bob, id: 'Directory_f' });
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: '2026-11-22T10:01:30Z', id: 'Directory_nouser' });
    fake.audits.push({ id: 'Directory_bad', activityDateTime: '2026-11-22T10:01:40Z' });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toEqual([]);
    expect(b.ignored.map((i) => [i.reason, i.id]).sort()).toEqual([['irrelevant', 'Directory_f'], ['malformed', 'Directory_bad'], ['malformed', 'Directory_nouser']]);
    // The overlap re-reads all three, with the same ids: the runner counts each once by its id
    // (test/events/provider-event-messages.test.ts). An entry that arrives late, older than the
    // watermark (10:01:40), is set aside too: it was never seen before.
    fake.addAudit({ activityDisplayName: 'User deleted security info', result: 'failure', activityDateTime: '2026-11-22T10:00:30Z', target: bob, id: 'Directory_late' });
    const again = await s.poll(b.cursor, never);
    expect(again.ignored.map((i) => i.id).sort()).toEqual(['Directory_bad', 'Directory_f', 'Directory_late', 'Directory_nouser']);
  });
});

describe('faults', () => {
  it('429 with Retry-After is retried; a persistent one fails as rate_limited with the wait', async () => {
    const s = audits({ retries: 2 });
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests', innerError: {} } } }, 1, (r) => r.path.endsWith('/directoryAudits'));
    expect((await s.poll(undefined, never)).cursor).toBe(JSON.stringify({ v: 1, watermark: '2026-11-22T10:00:00.000Z' }));
    const strict = audits();
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '40' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests', innerError: {} } } }, 3, (r) => r.path.endsWith('/directoryAudits'));
    const err = await strict.poll(undefined, never).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'rate_limited' });
    expect((err as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThanOrEqual(40_000);
  });

  it('5xx, malformed pages, a refused secret and a missing permission fail the poll with what to do', async () => {
    const s = audits();
    fake.inject({ kind: 'status', status: 503, body: { error: { code: 'ServiceUnavailable', message: 'x', innerError: {} } } }, 1, (r) => r.path.endsWith('/directoryAudits'));
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ reason: 'server', message: expect.stringMatching(/Microsoft Graph returned 503/) });
    fake.inject({ kind: 'status', status: 200, body: { value: 'nope' } }, 1, (r) => r.path.endsWith('/directoryAudits'));
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'truncate', status: 200, body: '{"value":[{"id":' }, 1, (r) => r.path.endsWith('/directoryAudits'));
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'status', status: 200, body: { value: [], '@odata.nextLink': 'https://evil.example/v1.0/auditLogs/directoryAudits?$skiptoken=x' } }, 1, (r) => r.path.endsWith('/directoryAudits'));
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ message: expect.stringMatching(/does not send the token elsewhere/) });
    const refused = await audits({ clientSecret: 'a-wrong-secret' }).poll(undefined, never).catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'auth' });
    expect(String((refused as Error).message)).toMatch(/invalid_client AADSTS7000215.*secret is wrong/);
    fake.consented = false;
    await expect(s.poll(undefined, never)).rejects.toMatchObject({ reason: 'permission', message: expect.stringMatching(/AuditLog\.Read\.All/) });
  });
});

describe('readAccount', () => {
  it('reads one row of the registration report exactly as the scan reports it', async () => {
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(await monitor.readAccount?.(scope, { accountId: 'a1' }, never)).toEqual({ status: 'present', observation: scan.observations.find((o) => o.accountId === 'a1') });
    fake.users.get('b2')!.methodsRegistered = [];
    expect(await monitor.readAccount?.(scope, { accountId: 'b2', login: 'bob@contoso.com' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'disabled' } });
  });

  it('gone on Graph’s 404 and for guests when guests are not watched; errors are thrown', async () => {
    expect(await monitorFor().monitor.readAccount?.(scope, { accountId: 'zz' }, never)).toEqual({ status: 'gone', account: { accountId: 'zz' } });
    expect(await monitorFor({ includeGuests: false }).monitor.readAccount?.(scope, { accountId: 'g3' }, never)).toMatchObject({ status: 'gone' });
    expect(await monitorFor().monitor.readAccount?.(scope, { accountId: 'g3' }, never)).toMatchObject({ status: 'present', observation: { kind: 'guest' } });
    fake.inject({ kind: 'status', status: 502, body: { error: { code: 'BadGateway', message: 'x', innerError: {} } } }, 1, (r) => r.path.includes('/userRegistrationDetails/'));
    await expect(monitorFor().monitor.readAccount?.(scope, { accountId: 'a1' }, never)).rejects.toMatchObject({ reason: 'server' });
    await expect(monitorFor().monitor.readAccount?.(scope, { login: 'bob@contoso.com' }, never)).rejects.toMatchObject({ reason: 'malformed' });
  });
});

describe('sign-ins without MFA (beta auditLogs/signIns)', () => {
  it('filters on createdDateTime and single-factor, follows nextLink, and turns successful interactive single-factor sign-ins into facts', async () => {
    fake.signInPageSize = 2;
    const { signIns: s } = signIns();
    const first = await s.poll(undefined, never);
    expect(first.events).toEqual([]);
    expect(fake.signInRequests()[0]!.query.get('$filter')).toBe("createdDateTime ge 2026-11-22T09:45:00Z and authenticationRequirement eq 'singleFactorAuthentication'");
    expect(parseEntraCursor(first.cursor)!.watermark).toBe('2026-11-22T10:00:00.000Z');

    fake.addSignIn({ id: 'si-bob', createdDateTime: '2026-11-22T10:01:00.1234567Z', userId: 'b2', userPrincipalName: 'bob@contoso.com', errorCode: 0, appDisplayName: 'Azure Portal', ipAddress: '203.0.113.7' });
    fake.addSignIn({ id: 'si-mfa', createdDateTime: '2026-11-22T10:01:10Z', userId: 'a1', authenticationRequirement: 'multiFactorAuthentication', errorCode: 0 });
    fake.addSignIn({ id: 'si-failed', createdDateTime: '2026-11-22T10:01:20Z', userId: 'a1', errorCode: 50126 });
    fake.addSignIn({ id: 'si-noninteractive', createdDateTime: '2026-11-22T10:01:30Z', userId: 'a1', isInteractive: false, errorCode: 0 });
    fake.addSignIn({ id: 'si-alice', createdDateTime: '2026-11-22T10:02:00Z', userId: 'a1', userPrincipalName: 'alice@contoso.com', errorCode: 0 });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => [e.id, e.fact?.type, e.fact?.account?.accountId]).sort()).toEqual([
      ['si-alice', 'signin_without_mfa', 'a1'],
      ['si-bob', 'signin_without_mfa', 'b2'],
    ]);
    const bobFact = b.events.find((e) => e.id === 'si-bob')!;
    expect(bobFact.occurredAt.toISOString()).toBe('2026-11-22T10:01:00.123Z');
    expect(bobFact.fact).toMatchObject({
      account: { accountId: 'b2', login: 'bob@contoso.com' }, sourceIp: '203.0.113.7', userAgent: expect.stringMatching(/^Mozilla/),
      detail: { signInId: 'si-bob', authenticationRequirement: 'singleFactorAuthentication', application: 'Azure Portal', authenticationMethodsUsed: 'Password' },
    });
    // 3 single-factor sign-ins match the filter at 2 a page: 2 pages.
    expect(b.requests).toBe(2);
    expect(b.ignored).toEqual([]);
    expect(parseEntraCursor(b.cursor)!.watermark).toBe('2026-11-22T10:02:00.000Z');

    // The overlap window is re-read (the core drops what it has seen by id), catching a late arrival.
    fake.addSignIn({ id: 'si-late', createdDateTime: '2026-11-22T09:59:00Z', userId: 'b2', errorCode: 0 });
    const c = await s.poll(b.cursor, never);
    expect(fake.signInRequests().at(-1)!.query.get('$filter')).toBe("createdDateTime ge 2026-11-22T09:47:00Z and authenticationRequirement eq 'singleFactorAuthentication'");
    expect(c.events.map((e) => e.id).sort()).toEqual(['si-alice', 'si-bob', 'si-late']);
  });

  it('a backlog longer than the page cap is read oldest first over two polls: the first commits what it read, the second continues from there; nothing lost', async () => {
    fake.signInPageSize = 2;
    const { signIns: s } = signIns();
    const at = (i: number) => `2026-11-22T10:00:${String(i).padStart(2, '0')}Z`;
    // 45 sign-ins at 2 a page: 23 pages, more than LOG_PAGES_PER_POLL (20).
    for (let i = 1; i <= 45; i++) fake.addSignIn({ id: `si-${i}`, createdDateTime: at(i), userId: i % 2 ? 'a1' : 'b2', errorCode: 0 });
    expect(LOG_PAGES_PER_POLL).toBe(20);
    const first = await s.poll(undefined, never);
    // 20 pages (and the first token, counted too).
    expect(fake.signInRequests()).toHaveLength(20);
    expect(fake.signInRequests()[0]!.query.get('$orderby')).toBe('createdDateTime asc');
    expect(first.events.map((e) => e.id)).toEqual(Array.from({ length: 40 }, (_, i) => `si-${i + 1}`));
    // The watermark is the newest sign-in read; the next poll resumes from it, not from the overlap.
    expect(parseEntraCursor(first.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:00:40.000Z', resumeFrom: '2026-11-22T10:00:40.000Z' });

    const second = await s.poll(first.cursor, never);
    expect(fake.signInRequests().at(-second.requests!)!.query.get('$filter')).toBe("createdDateTime ge 2026-11-22T10:00:40Z and authenticationRequirement eq 'singleFactorAuthentication'");
    // si-40 is re-read (same second; the core skips it by id), the rest is new.
    expect(second.events.map((e) => e.id)).toEqual(['si-40', 'si-41', 'si-42', 'si-43', 'si-44', 'si-45']);
    expect(second.requests).toBe(3);
    expect(parseEntraCursor(second.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:00:45.000Z' });
    expect(new Set([...first.events, ...second.events].map((e) => e.id)).size).toBe(45);

    // Caught up: the overlap applies again.
    await s.poll(second.cursor, never);
    expect(fake.signInRequests().at(-1)!.query.get('$filter')).toBe("createdDateTime ge 2026-11-22T09:45:45Z and authenticationRequirement eq 'singleFactorAuthentication'");
  });

  it('an overlap window longer than the page cap is read through: the next poll resumes from the newest entry read, not from the watermark', async () => {
    fake.auditPageSize = 1;
    const s = audits();
    // 25 entries that arrived late, all older than the watermark (10:30) and inside the overlap (15m).
    for (let i = 0; i < 25; i++) fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: `2026-11-22T10:${String(15 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}Z`, target: bob, id: `Late_${i}` });
    const first = await s.poll(JSON.stringify({ v: 1, watermark: '2026-11-22T10:30:00.000Z' }), never);
    expect(first.events).toHaveLength(20);
    // The watermark stays; the next poll resumes at Late_19 (10:24:30).
    expect(parseEntraCursor(first.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:30:00.000Z', resumeFrom: '2026-11-22T10:24:30.000Z' });
    const second = await s.poll(first.cursor, never);
    expect(second.events.map((e) => e.id)).toEqual(['Late_19', 'Late_20', 'Late_21', 'Late_22', 'Late_23', 'Late_24']);
    expect(parseEntraCursor(second.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:30:00.000Z' });
  });

  it('the directory audits share the page cap: a long backlog is read over two polls, oldest first', async () => {
    fake.auditPageSize = 1;
    const s = audits();
    for (let i = 1; i <= 22; i++) fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: `2026-11-22T10:01:${String(i).padStart(2, '0')}Z`, target: bob, id: `Directory_${i}` });
    const first = await s.poll(JSON.stringify({ v: 1, watermark: '2026-11-22T10:00:00.000Z' }), never);
    expect(fake.auditRequests()).toHaveLength(20);
    expect(fake.auditRequests()[0]!.query.get('$orderby')).toBe('activityDateTime asc');
    expect(parseEntraCursor(first.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:01:20.000Z', resumeFrom: '2026-11-22T10:01:20.000Z' });
    const second = await s.poll(first.cursor, never);
    expect(fake.auditRequests().at(-second.requests!)!.query.get('$filter')).toBe('activityDateTime ge 2026-11-22T10:01:20Z');
    expect(second.events.map((e) => e.id)).toEqual(['Directory_20', 'Directory_21', 'Directory_22']);
    expect(parseEntraCursor(second.cursor)).toEqual({ v: 1, watermark: '2026-11-22T10:01:22.000Z' });
    expect(new Set([...first.events, ...second.events].map((e) => e.id)).size).toBe(22);
  });

  it('sets aside a passwordless FIDO sign-in, one without status.errorCode and one without a user id, each with what tells it apart on a re-read; guests follow includeGuests', async () => {
    const { signIns: s } = signIns({ includeGuests: false });
    const first = await s.poll(undefined, never);
    fake.addSignIn({ id: 'si-fido', createdDateTime: '2026-11-22T10:01:00Z', userId: 'a1', errorCode: 0, authenticationMethodsUsed: ['FIDO'] });
    fake.addSignIn({ id: 'si-nostatus', createdDateTime: '2026-11-22T10:01:10Z', userId: 'a1', errorCode: null });
    fake.addSignIn({ id: 'si-nouser', createdDateTime: '2026-11-22T10:01:20Z', userId: null, errorCode: 0 });
    fake.addSignIn({ id: 'si-guest', createdDateTime: '2026-11-22T10:01:30Z', userId: 'g3', userType: 'guest', errorCode: 0 });
    fake.signIns.push({ createdDateTime: '2026-11-22T10:01:40Z', authenticationRequirement: 'singleFactorAuthentication' });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toEqual([]);
    expect(b.ignored.map((i) => [i.reason, i.id ?? '-']).sort()).toEqual([['irrelevant', 'si-fido'], ['malformed', '-'], ['malformed', 'si-nostatus'], ['malformed', 'si-nouser']]);
    expect(b.ignored.find((i) => i.id === 'si-nostatus')!.message).toMatch(/whether it succeeded cannot be told/);
    expect(b.ignored.find((i) => i.id === undefined)!.message).toMatch(/without the documented fields/);
    // The next poll re-reads them in the overlap window with the same ids (a digest of the body for
    // the one without): the runner counts each once (test/events/provider-event-messages.test.ts).
    const keys = (batch: typeof b) => batch.ignored.map((i) => i.id ?? i.key).sort();
    expect(keys(await s.poll(b.cursor, never))).toEqual(keys(b));
    expect(b.ignored.find((i) => i.id === undefined)!.key).toMatch(/^sha256:/);
    // Watched guests are reported like members.
    const watched = signIns({ includeGuests: true }).signIns;
    expect((await watched.poll(first.cursor, never)).events.map((e) => e.id)).toEqual(['si-guest']);
  });

  it('without the P1/P2 licence: the sign-ins source says it is off, with what to do, and asks no more; the directory audits keep working', async () => {
    fake.premium = false;
    const { signIns: s, audits: a } = signIns();
    const off = await s.poll(undefined, never);
    expect(off.events).toEqual([]);
    expect(off.cursor).toBeUndefined();
    expect(off.ignored).toEqual([]);
    expect(off.disabled?.reason).toContain(NO_SIGNIN_LICENCE_WARNING);
    expect(off.disabled?.reason).toMatch(/Authentication_RequestFromNonPremiumTenantOrB2CTenant/);
    expect(off.disabled?.hint).toMatch(/license the tenant .*restart mfawatch, or set events\.signIns to false/);
    const asked = fake.signInRequests().length;
    expect(asked).toBe(1);
    // Off: no more requests to the sign-in log, no failure; still off when asked.
    expect(await s.poll(undefined, never)).toEqual({ events: [], ignored: [], requests: 0, disabled: off.disabled });
    expect(fake.signInRequests()).toHaveLength(asked);
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: '2026-11-22T09:58:00Z', target: bob, id: 'Directory_1' });
    expect((await a.poll(undefined, never)).events.map((e) => e.id)).toEqual(['Directory_1']);
  });

  it('a missing permission, 429 with Retry-After, 5xx and malformed pages fail the poll with what to do', async () => {
    const { signIns: s } = signIns({ retries: 2 });
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests', innerError: {} } } }, 1, (r) => r.path.endsWith('/signIns'));
    expect((await s.poll(undefined, never)).cursor).toBe(JSON.stringify({ v: 1, watermark: '2026-11-22T10:00:00.000Z' }));
    const strict = signIns().signIns;
    fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '40' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests', innerError: {} } } }, 1, (r) => r.path.endsWith('/signIns'));
    const limited = await strict.poll(undefined, never).catch((e: unknown) => e);
    expect(limited).toMatchObject({ reason: 'rate_limited' });
    expect((limited as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThanOrEqual(40_000);
    fake.inject({ kind: 'status', status: 503, body: { error: { code: 'ServiceUnavailable', message: 'x', innerError: {} } } }, 1, (r) => r.path.endsWith('/signIns'));
    await expect(strict.poll(undefined, never)).rejects.toMatchObject({ reason: 'server', message: expect.stringMatching(/Microsoft Graph returned 503/) });
    fake.inject({ kind: 'status', status: 200, body: { value: 'nope' } }, 1, (r) => r.path.endsWith('/signIns'));
    await expect(strict.poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed', message: expect.stringMatching(/not a page of sign-ins/) });
    fake.inject({ kind: 'truncate', status: 200, body: '{"value":[{"id":' }, 1, (r) => r.path.endsWith('/signIns'));
    await expect(strict.poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'status', status: 200, body: { value: [], '@odata.nextLink': 'https://evil.example/beta/auditLogs/signIns?$skiptoken=x' } }, 1, (r) => r.path.endsWith('/signIns'));
    await expect(strict.poll(undefined, never)).rejects.toMatchObject({ message: expect.stringMatching(/does not send the token elsewhere/) });
    fake.consented = false;
    const denied = await strict.poll(undefined, never).catch((e: unknown) => e);
    expect(denied).toMatchObject({ reason: 'permission' });
    expect(String((denied as Error).message)).toMatch(/Authorization_RequestDenied.*AuditLog\.Read\.All and Directory\.Read\.All/);
    // A permission refusal is a failure to fix, not a licence gap: the source stays on.
    fake.consented = true;
    expect((await strict.poll(undefined, never)).cursor).toBe(JSON.stringify({ v: 1, watermark: '2026-11-22T10:00:00.000Z' }));
  });
});
