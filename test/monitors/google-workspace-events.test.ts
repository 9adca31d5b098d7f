/**
 * Google Workspace events: the Reports API login audit (2sv_disable, 2sv_enroll) and admin audit
 * (ASSIGN_ROLE, its own source and cursor) polled with a
 * startTime cursor and an overlap window against the Google fake (the scope it needs, paging,
 * dedupe ids), faults (malformed bodies, 429 rateLimitExceeded, 5xx, a missing scope), and
 * readAccount giving what a scan gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { googleWorkspaceConfigSchema } from '../../monitors/google-workspace/config.js';
import { parseGoogleCursor } from '../../monitors/google-workspace/events.js';
import { createGoogleWorkspaceMonitor } from '../../monitors/google-workspace/index.js';
import { DIRECTORY_READONLY, FakeGoogle, REPORTS_READONLY, makeServiceAccount } from '../fakes/google.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const sa = makeServiceAccount();
const KEY = JSON.stringify(sa.keyJson);
const ADMIN = 'admin@acme.example';
const never = new AbortController().signal;
const scope = { id: '', label: 'acme.example' };
const bob = { email: 'bob@acme.example', profileId: '1002' };

let google: FakeGoogle;
let clock: PinnedClock;
beforeEach(async () => {
  google = new FakeGoogle();
  google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, REPORTS_READONLY] });
  google.addUser({ id: '1001', primaryEmail: ADMIN, fullName: 'Ada Admin', isAdmin: true, isEnrolledIn2Sv: true, isEnforcedIn2Sv: true });
  google.addUser({ id: '1002', primaryEmail: 'bob@acme.example', fullName: 'Bob B', isEnrolledIn2Sv: true });
  google.addUser({ id: '1004', primaryEmail: 'sus@acme.example', suspended: true, isEnrolledIn2Sv: false });
  await google.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await google.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = {}) {
  const config = googleWorkspaceConfigSchema.parse({ id: 'gws', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY, apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0, ...(events ? { events } : {}), ...over });
  const deps = testDeps({ clock });
  return { monitor: createGoogleWorkspaceMonitor(config, deps), deps };
}

function reports(over: Record<string, unknown> = {}, events: Record<string, unknown> = {}, name = 'reports'): PulledEventSource {
  const s = monitorFor(over, events).monitor.eventSources?.().find((x) => x.name === name);
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

const adminRoles = (over: Record<string, unknown> = {}) => reports(over, {}, 'admin-roles');
const ADMIN_ACTOR = { email: ADMIN, profileId: '1001' };
/** An ASSIGN_ROLE activity as the admin audit documents it: the actor assigned ROLE_NAME to USER_EMAIL. */
function assignRole(userEmail: string | null, time: string, uniqueQualifier: string, role = '_HELP_DESK_ADMIN_ROLE') {
  return google.addActivity({
    applicationName: 'admin', eventName: 'ASSIGN_ROLE', actor: ADMIN_ACTOR, time, uniqueQualifier,
    parameters: [{ name: 'ORG_UNIT_NAME', value: '/' }, { name: 'ROLE_NAME', value: role }, ...(userEmail === null ? [] : [{ name: 'USER_EMAIL', value: userEmail }])],
  });
}

describe('configuration', () => {
  it('offers the reports source only with an events block; interval and overlap are bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    const s = reports();
    expect([s.kind, s.name, s.intervalMs]).toEqual(['pull', 'reports', 60_000]);
    // The admin audit is a source of its own (its own cursor), on by default, at the same interval.
    expect(monitorFor({}, { reports: '2m' }).monitor.eventSources?.().map((x) => [x.name, x.kind === 'pull' ? x.intervalMs : 0])).toEqual([['reports', 120_000], ['admin-roles', 120_000]]);
    expect(monitorFor({}, { roleGrants: false }).monitor.eventSources?.().map((x) => x.name)).toEqual(['reports']);
    const base = { id: 'g', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY };
    expect(googleWorkspaceConfigSchema.safeParse({ ...base, events: { reports: '5s' } }).success).toBe(false);
    expect(googleWorkspaceConfigSchema.safeParse({ ...base, events: { overlap: '1m' } }).success).toBe(false);
    expect(googleWorkspaceConfigSchema.safeParse({ ...base, events: { roleGrants: 'yes' } }).success).toBe(false);
  });
});

describe('polling', () => {
  it('asks for 2sv_disable and 2sv_enroll of the login application since the watermark minus the overlap, with the reports scope', async () => {
    const s = reports();
    const first = await s.poll(undefined, never);
    expect(first.events).toEqual([]);
    const [q1, q2] = google.activityRequests().map((r) => [r.path, r.query.get('eventName'), r.query.get('startTime'), r.query.get('maxResults')]);
    expect(q1).toEqual(['/admin/reports/v1/activity/users/all/applications/login', '2sv_disable', '2026-11-22T09:00:00.000Z', '1000']);
    expect(q2?.[1]).toBe('2sv_enroll');
    expect(first.requests).toBeGreaterThanOrEqual(2);
    expect(google.assertions.at(-1)?.scope).toBe(REPORTS_READONLY);

    google.addActivity({ eventName: '2sv_disable', actor: bob, time: '2026-11-22T10:02:00.000Z', uniqueQualifier: '-111' });
    google.addActivity({ eventName: '2sv_enroll', actor: { email: ADMIN, profileId: '1001' }, time: '2026-11-22T10:03:00.000Z', uniqueQualifier: '-222' });
    google.addActivity({ eventName: 'login_success', eventType: 'login', actor: bob, time: '2026-11-22T10:04:00.000Z' });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => [e.id, e.name, e.hint?.account, e.hint?.topic])).toEqual([
      ['-111:2026-11-22T10:02:00.000Z:2sv_disable', 'login.2sv_disable', { accountId: '1002', login: 'bob@acme.example' }, 'mfa'],
      ['-222:2026-11-22T10:03:00.000Z:2sv_enroll', 'login.2sv_enroll', { accountId: '1001', login: ADMIN }, 'factor'],
    ]);
    expect(b.events[0]!.occurredAt.toISOString()).toBe('2026-11-22T10:02:00.000Z');
    expect(parseGoogleCursor(b.cursor)!.watermark).toBe('2026-11-22T10:03:00.000Z');
    // The overlap re-reads them (same ids: the core drops the duplicates) and an activity reported late.
    google.addActivity({ eventName: '2sv_disable', actor: bob, time: '2026-11-22T09:30:00.000Z', uniqueQualifier: '-333' });
    const c = await s.poll(b.cursor, never);
    expect(google.activityRequests().at(-1)!.query.get('startTime')).toBe('2026-11-22T09:03:00.000Z');
    expect(c.events.map((e) => e.id).sort()).toEqual(['-111:2026-11-22T10:02:00.000Z:2sv_disable', '-222:2026-11-22T10:03:00.000Z:2sv_enroll', '-333:2026-11-22T09:30:00.000Z:2sv_disable']);
  });

  it('follows nextPageToken; activities without the documented fields are set aside', async () => {
    const s = reports();
    const first = await s.poll(undefined, never);
    for (let i = 0; i < 1005; i++) google.addActivity({ eventName: '2sv_disable', actor: bob, time: new Date(Date.UTC(2026, 10, 22, 10, 1, 0) + i).toISOString(), uniqueQualifier: String(-i - 1) });
    google.activities.push({ application: 'login', item: { kind: 'admin#reports#activity', id: { time: '2026-11-22T10:05:00.000Z' }, events: [{ name: '2sv_disable' }] } });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toHaveLength(1005);
    expect(b.ignored.map((i) => i.reason)).toEqual(['malformed']);
    expect(google.activityRequests().filter((r) => r.query.get('eventName') === '2sv_disable').at(-1)!.query.get('pageToken')).toBeTruthy();
  });
});

describe('faults', () => {
  const quota = { error: { code: 429, message: 'Quota exceeded for quota metric', errors: [{ message: 'Quota exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }], status: 'RESOURCE_EXHAUSTED' } };
  it('429 rateLimitExceeded is retried; a persistent one fails as rate_limited', async () => {
    google.inject({ kind: 'status', status: 429, body: quota }, 1, (r) => r.path.includes('/reports/'));
    expect((await reports({ retries: 2 }).poll(undefined, never)).cursor).toBe(JSON.stringify({ v: 1, watermark: '2026-11-22T10:00:00.000Z' }));
    google.inject({ kind: 'status', status: 429, body: quota }, 5, (r) => r.path.includes('/reports/'));
    await expect(reports().poll(undefined, never)).rejects.toMatchObject({ reason: 'rate_limited', message: expect.stringMatching(/Google rate limit reached for activities\.list/) });
  });

  it('5xx, malformed bodies and a delegation without the reports scope fail the poll with what to do', async () => {
    google.inject({ kind: 'status', status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } }, 1, (r) => r.path.includes('/reports/'));
    await expect(reports().poll(undefined, never)).rejects.toMatchObject({ reason: 'server' });
    google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', users: [] } }, 1, (r) => r.path.includes('/reports/'));
    await expect(reports().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    google.inject({ kind: 'truncate', status: 200, body: '{"kind":"admin#reports#activities","items":[' }, 1, (r) => r.path.includes('/reports/'));
    await expect(reports().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY] });
    const err = await reports().poll(undefined, never).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'permission' });
    expect(String((err as Error).message)).toMatch(/unauthorized_client.*admin\.reports\.audit\.readonly/);
    // The scan, with the directory scope only, still works.
    const { monitor, deps } = monitorFor();
    expect((await collectScan(monitor, deps.logger)).error).toBeUndefined();
  });
});

describe('admin role grants', () => {
  it('asks the admin application for ASSIGN_ROLE; the user is USER_EMAIL (not the admin who acted), re-read for admin rights', async () => {
    const s = adminRoles();
    const first = await s.poll(undefined, never);
    expect(first.events).toEqual([]);
    const asked = google.activityRequests().map((r) => [r.path, r.query.get('eventName'), r.query.get('startTime'), r.query.get('maxResults')]);
    expect(asked).toEqual([['/admin/reports/v1/activity/users/all/applications/admin', 'ASSIGN_ROLE', '2026-11-22T09:00:00.000Z', '1000']]);
    expect(first.requests).toBeGreaterThanOrEqual(1);
    expect(google.assertions.at(-1)?.scope).toBe(REPORTS_READONLY);

    assignRole('bob@acme.example', '2026-11-22T10:02:00.000Z', '-501', '_SEED_ADMIN_ROLE');
    // Login-audit activities and other admin events are not this source's business.
    google.addActivity({ eventName: '2sv_disable', actor: bob, time: '2026-11-22T10:03:00.000Z', uniqueQualifier: '-502' });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => [e.id, e.name, e.hint?.account, e.hint?.topic, e.occurredAt.toISOString()])).toEqual([
      ['-501:2026-11-22T10:02:00.000Z:ASSIGN_ROLE:bob@acme.example', 'admin.ASSIGN_ROLE', { login: 'bob@acme.example' }, 'admin', '2026-11-22T10:02:00.000Z'],
    ]);
    expect(b.ignored).toEqual([]);
    expect(parseGoogleCursor(b.cursor)!.watermark).toBe('2026-11-22T10:02:00.000Z');
    // The overlap re-reads it with the same id (the core drops it as a duplicate).
    const c = await s.poll(b.cursor, never);
    expect(c.events.map((e) => e.id)).toEqual(['-501:2026-11-22T10:02:00.000Z:ASSIGN_ROLE:bob@acme.example']);
  });

  it('sets aside an ASSIGN_ROLE without a usable USER_EMAIL, with what tells it apart on a re-read; parameters of another shape are skipped, not the activity', async () => {
    const s = adminRoles();
    const first = await s.poll(undefined, never);
    assignRole(null, '2026-11-22T10:01:00.000Z', '-601');
    assignRole('not an email <script>', '2026-11-22T10:02:00.000Z', '-602');
    const odd = assignRole('carol@acme.example', '2026-11-22T10:03:00.000Z', '-603');
    (odd.events as Array<{ parameters: unknown[] }>)[0]!.parameters.unshift({ name: 'USER_EMAIL', multiValue: ['x'] }, 42, null);
    google.activities.push({ application: 'admin', item: { kind: 'admin#reports#activity', id: { time: '2026-11-22T10:04:00.000Z' }, events: [{ name: 'ASSIGN_ROLE' }] } });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => e.hint?.account)).toEqual([{ login: 'carol@acme.example' }]);
    // Google answers newest first.
    expect(b.ignored.map((i) => [i.reason, i.message])).toEqual([
      ['malformed', 'a Reports API activity without the documented fields (id.time, id.uniqueQualifier)'],
      ['malformed', 'ASSIGN_ROLE: USER_EMAIL is not an email address (id -602:2026-11-22T10:02:00.000Z:ASSIGN_ROLE)'],
      ['malformed', 'ASSIGN_ROLE: the activity has no USER_EMAIL parameter (id -601:2026-11-22T10:01:00.000Z:ASSIGN_ROLE)'],
    ]);
    // Re-read by the overlap with the same ids (and, for the activity without one, the same digest
    // of its body): the runner counts each once (test/events/provider-event-messages.test.ts).
    const c = await s.poll(b.cursor, never);
    const keys = (batch: typeof b) => batch.ignored.map((i) => i.id ?? i.key);
    expect(keys(c)).toEqual(keys(b));
    expect(b.ignored[0]!.key).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(keys(b).slice(1)).toEqual(['-602:2026-11-22T10:02:00.000Z:ASSIGN_ROLE', '-601:2026-11-22T10:01:00.000Z:ASSIGN_ROLE']);
  });

  it('a failing admin application fails only its own poll: the login audit still polls and moves its own cursor', async () => {
    const login = reports();
    const admin = adminRoles();
    const loginCursor = (await login.poll(undefined, never)).cursor;
    const adminCursor = (await admin.poll(undefined, never)).cursor;
    const adminPath = (r: { path: string }) => r.path.endsWith('/applications/admin');
    google.inject({ kind: 'status', status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } }, 1, adminPath);
    google.addActivity({ eventName: '2sv_disable', actor: bob, time: '2026-11-22T10:05:00.000Z', uniqueQualifier: '-701' });
    assignRole('bob@acme.example', '2026-11-22T10:06:00.000Z', '-702');
    await expect(admin.poll(adminCursor, never)).rejects.toMatchObject({ reason: 'server', message: expect.stringMatching(/activities\.list \(admin\)/) });
    const l = await login.poll(loginCursor, never);
    expect(l.events.map((e) => e.name)).toEqual(['login.2sv_disable']);
    expect(parseGoogleCursor(l.cursor)!.watermark).toBe('2026-11-22T10:05:00.000Z');
    // The admin source, retried from its unmoved cursor, finds the grant.
    const a = await admin.poll(adminCursor, never);
    expect(a.events.map((e) => e.name)).toEqual(['admin.ASSIGN_ROLE']);
    // A body that is not an activities page, a truncated one and a persistent 429 fail it with what happened.
    google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', users: [] } }, 1, adminPath);
    await expect(admin.poll(adminCursor, never)).rejects.toMatchObject({ reason: 'malformed' });
    google.inject({ kind: 'truncate', status: 200, body: '{"kind":"admin#reports#activities","items":[{"id":' }, 1, adminPath);
    await expect(admin.poll(adminCursor, never)).rejects.toMatchObject({ reason: 'malformed' });
    google.inject({ kind: 'status', status: 429, body: { error: { code: 429, message: 'Quota exceeded', errors: [{ reason: 'rateLimitExceeded' }], status: 'RESOURCE_EXHAUSTED' } } }, 1, adminPath);
    await expect(admin.poll(adminCursor, never)).rejects.toMatchObject({ reason: 'rate_limited' });
    google.inject({ kind: 'status', status: 400, body: { error: { code: 400, message: 'Bad Request', errors: [{ reason: 'badRequest' }], status: 'INVALID_ARGUMENT' } } }, 1, adminPath);
    await expect(admin.poll(adminCursor, never)).rejects.toMatchObject({ reason: 'client' });
  });

  it('readAccount of the granted user shows the admin flag the scan shows', async () => {
    const { monitor } = monitorFor();
    google.users.get('1002')!.isDelegatedAdmin = true;
    expect(await monitor.readAccount?.(scope, { login: 'BOB@acme.example' }, never)).toMatchObject({ status: 'present', observation: { accountId: '1002', admin: true, mfa: 'enabled' } });
  });
});

describe('readAccount', () => {
  it('reads a user by id or email as the scan reports them; suspended users and 404s are gone', async () => {
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(await monitor.readAccount?.(scope, { accountId: '1002' }, never)).toEqual({ status: 'present', observation: scan.observations.find((o) => o.accountId === '1002') });
    google.users.get('1002')!.isEnrolledIn2Sv = false;
    expect(await monitor.readAccount?.(scope, { login: 'bob@acme.example' }, never)).toMatchObject({ status: 'present', observation: { accountId: '1002', mfa: 'disabled' } });
    expect(await monitor.readAccount?.(scope, { accountId: '1004' }, never)).toMatchObject({ status: 'gone' });
    expect(await monitor.readAccount?.(scope, { accountId: '9999' }, never)).toEqual({ status: 'gone', account: { accountId: '9999' } });
    google.inject({ kind: 'status', status: 502, body: { error: { code: 502, message: 'Bad Gateway' } } }, 1, (r) => r.path.startsWith('/admin/directory/v1/users/'));
    await expect(monitor.readAccount?.(scope, { accountId: '1002' }, never)).rejects.toMatchObject({ reason: 'server' });
  });
});
