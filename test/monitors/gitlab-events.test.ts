/**
 * GitLab events: the audit events API (instance or group) polled with created_after and an overlap
 * window against the GitLab fake, user_disable_two_factor as a hint, faults (malformed bodies, 429
 * with Retry-After and RateLimit-*, 5xx, 401, 403 for a non-administrator), and readAccount giving
 * what a scan gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { gitlabConfigSchema } from '../../monitors/gitlab/config.js';
import { parseGitlabCursor, translateGitlabAudits } from '../../monitors/gitlab/events.js';
import { createGitlabMonitor } from '../../monitors/gitlab/index.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'glpat-admin-test-token-0001';
const never = new AbortController().signal;
const scope = { id: '', label: 'gitlab' };
let fake: FakeGitlab;
let clock: PinnedClock;

beforeEach(async () => {
  fake = new FakeGitlab();
  fake.tokens['glpat-user'] = { admin: false, groupOwner: false };
  fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
  fake.add({ id: 2, username: 'bob', twoFactor: true, enterprise: true });
  fake.add({ id: 3, username: 'blocked', state: 'blocked', twoFactor: false });
  await fake.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = {}) {
  const config = gitlabConfigSchema.parse({ id: 'gl', type: 'gitlab', baseUrl: fake.url, token: TOKEN, retries: 0, ...(events ? { events } : {}), ...over });
  const deps = testDeps({ clock });
  return { monitor: createGitlabMonitor(config, deps, { backoffMs: 5 }), deps };
}

function audits(over: Record<string, unknown> = {}): PulledEventSource {
  const s = monitorFor(over).monitor.eventSources?.()[0];
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

describe('configuration', () => {
  it('offers the audit-events source only with an events block; interval and overlap are bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    expect(audits().intervalMs).toBe(60_000);
    expect(audits().name).toBe('audit-events');
    expect(gitlabConfigSchema.safeParse({ id: 'g', type: 'gitlab', token: 't', events: { auditEvents: '1s' } }).success).toBe(false);
    expect(gitlabConfigSchema.safeParse({ id: 'g', type: 'gitlab', token: 't', events: { overlap: '1s' } }).success).toBe(false);
  });
});

describe('polling', () => {
  it('instance: created_after from the watermark minus the overlap; user_disable_two_factor is a hint about the target user', async () => {
    const s = audits();
    const first = await s.poll(undefined, never);
    expect(fake.auditRequests()[0]!.path).toBe('/api/v4/audit_events');
    expect(fake.auditRequests()[0]!.query.get('created_after')).toBe('2026-11-22T09:55:00.000Z');
    fake.addAudit({ eventName: 'user_disable_two_factor', userId: 2, username: 'bob', createdAt: '2026-11-22T10:01:00.000Z', id: 501 });
    fake.addAudit({ eventName: 'project_archived', userId: 1, username: 'root', createdAt: '2026-11-22T10:02:00.000Z', id: 502 });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toEqual([{ id: '501', occurredAt: new Date('2026-11-22T10:01:00.000Z'), scope: '', name: 'user_disable_two_factor', hint: { account: { accountId: '2', login: 'bob' }, topic: 'mfa' } }]);
    expect(parseGitlabCursor(b.cursor)!.watermark).toBe('2026-11-22T10:02:00.000Z');
    await s.poll(b.cursor, never);
    expect(fake.auditRequests().at(-1)!.query.get('created_after')).toBe('2026-11-22T09:57:00.000Z');
  });

  it('group: reads the group audit events, follows pages, sets aside malformed entries', async () => {
    const s = audits({ group: 'acme' });
    const first = await s.poll(undefined, never);
    expect(fake.auditRequests()[0]!.path).toBe('/api/v4/groups/acme/audit_events');
    for (let i = 0; i < 130; i++) fake.addAudit({ eventName: 'user_disable_two_factor', userId: 2, username: 'bob', group: true, createdAt: new Date(Date.UTC(2026, 10, 22, 10, 1, 0) + i * 10).toISOString(), id: 1000 + i });
    fake.audits.push({ id: 2000, entity_type: 'Group', event_name: 'user_disable_two_factor', created_at: '2026-11-22T10:03:00.000Z', details: 'not an object' });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toHaveLength(130);
    expect(b.events[0]!.hint?.account.accountId).toBe('2');
    expect(b.ignored.map((i) => [i.reason, i.id])).toEqual([['malformed', '2000']]);
    expect(b.requests).toBe(2);
  });
});

describe('malformed entries keep their id', () => {
  it('a malformed entry with a numeric-string id (as streamed events carry it) is set aside by that id, like a numeric one', () => {
    const batch = translateGitlabAudits([
      { id: '2001', event_name: 'user_disable_two_factor', created_at: 'not a time' },
      { id: 2002, event_name: 'user_disable_two_factor', created_at: 'not a time' },
    ], new Date('2026-11-22T10:00:00Z'), 1);
    expect(batch.ignored.map((i) => [i.reason, i.id])).toEqual([['malformed', '2001'], ['malformed', '2002']]);
    expect(batch.ignored[0]!.message).toContain('(id 2001)');
  });
});

describe('faults', () => {
  it('429 with Retry-After is retried; 5xx, malformed bodies and 401 fail with what to do; a non-administrator gets a 403 that says so', async () => {
    fake.inject({ kind: 'status', status: 429, body: 'Retry later\n', headers: { 'retry-after': '1', 'ratelimit-remaining': '0' } }, 1, (r) => r.path.endsWith('/audit_events'));
    expect((await audits({ retries: 2 }).poll(undefined, never)).cursor).toBeDefined();
    fake.inject({ kind: 'status', status: 429, body: 'Retry later\n', headers: { 'retry-after': '60' } }, 1, (r) => r.path.endsWith('/audit_events'));
    const limited = await audits().poll(undefined, never).catch((e: unknown) => e);
    expect(limited).toMatchObject({ reason: 'rate_limited' });
    expect((limited as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThanOrEqual(60_000);
    fake.inject({ kind: 'status', status: 502, body: { message: '502 Bad Gateway' } }, 1, (r) => r.path.endsWith('/audit_events'));
    await expect(audits().poll(undefined, never)).rejects.toMatchObject({ reason: 'server' });
    fake.inject({ kind: 'status', status: 200, body: { message: 'not a list' } }, 1, (r) => r.path.endsWith('/audit_events'));
    await expect(audits().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    fake.inject({ kind: 'truncate', status: 200, body: '[{"id":1,' }, 1, (r) => r.path.endsWith('/audit_events'));
    await expect(audits().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    await expect(audits({ token: 'glpat-revoked' }).poll(undefined, never)).rejects.toMatchObject({ reason: 'auth' });
    const denied = await audits({ token: 'glpat-user' }).poll(undefined, never).catch((e: unknown) => e);
    expect(denied).toMatchObject({ reason: 'permission' });
    expect(String((denied as Error).message)).toMatch(/only administrators can read instance audit events/);
  });
});

describe('readAccount', () => {
  it('reads a user as the scan reports them; blocked users and 404s are gone; a non-admin view is refused', async () => {
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(await monitor.readAccount?.(scope, { accountId: '2' }, never)).toEqual({ status: 'present', observation: scan.observations.find((o) => o.accountId === '2') });
    fake.users.get(2)!.twoFactor = false;
    expect(await monitor.readAccount?.(scope, { accountId: '2' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'disabled' } });
    expect(await monitor.readAccount?.(scope, { accountId: '3' }, never)).toMatchObject({ status: 'gone' });
    expect(await monitor.readAccount?.(scope, { accountId: '99' }, never)).toEqual({ status: 'gone', account: { accountId: '99' } });
    await expect(monitorFor({ token: 'glpat-user' }).monitor.readAccount?.(scope, { accountId: '2' }, never)).rejects.toMatchObject({ reason: 'permission' });
    const groupMonitor = monitorFor({ group: 'acme' }).monitor;
    expect(await groupMonitor.readAccount?.(scope, { accountId: '2' }, never)).toMatchObject({ status: 'present', observation: { kind: 'enterprise_user', mfa: 'disabled' } });
    expect(await groupMonitor.readAccount?.(scope, { accountId: '1' }, never)).toMatchObject({ status: 'gone' });
  });
});
