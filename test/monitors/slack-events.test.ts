/**
 * Slack events: the Enterprise Grid Audit Logs API polled with `oldest` and an overlap window
 * against the Slack fake; role changes as hints, the 2FA requirement turned off as the critical
 * mfa_requirement_disabled fact; faults (malformed bodies, 429 with Retry-After, 5xx, a missing
 * auditlogs:read scope, a revoked token); readAccount through users.info.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { slackConfigSchema } from '../../monitors/slack/config.js';
import { parseSlackCursor } from '../../monitors/slack/events.js';
import { createSlackMonitor } from '../../monitors/slack/index.js';
import { FakeSlack } from '../fakes/slack.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'xoxp-1111-org-owner';
const never = new AbortController().signal;
const scope = { id: '', label: 'acme' };
let slack: FakeSlack;
let clock: PinnedClock;
// 2026-11-22T10:00:00Z
const T0 = 1_795_341_600;

beforeEach(async () => {
  slack = new FakeSlack({
    [TOKEN]: { userId: 'U0ADMIN', scopes: ['users:read', 'users:read.email', 'auditlogs:read'] },
    'xoxp-no-audit': { userId: 'U0ADMIN', scopes: ['users:read', 'users:read.email'] },
  });
  slack.addMember({ id: 'U0ADMIN', name: 'admin', email: 'admin@example.com', isAdmin: true, has2fa: true, twoFactorType: 'app' });
  slack.addMember({ id: 'U0BOB', name: 'bob', email: 'bob@example.com', has2fa: true, twoFactorType: 'app' });
  slack.addMember({ id: 'U0GONE', name: 'gone', deleted: true, has2fa: false });
  await slack.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await slack.stop();
});

function monitorFor(over: Record<string, unknown> = {}, events: Record<string, unknown> | null = {}) {
  const config = slackConfigSchema.parse({ id: 'slack', type: 'slack', token: TOKEN, baseUrl: `${slack.url}/api`, retries: 0, ...(events ? { events: { auditBaseUrl: `${slack.url}/audit/v1`, ...events } } : {}), ...over });
  const deps = testDeps({ clock });
  return { monitor: createSlackMonitor(config, deps), deps };
}

function auditLogs(over: Record<string, unknown> = {}): PulledEventSource {
  const s = monitorFor(over).monitor.eventSources?.()[0];
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

describe('configuration', () => {
  it('offers the audit-logs source only with an events block; interval and overlap are bounded', () => {
    expect(monitorFor({}, null).monitor.eventSources?.()).toEqual([]);
    expect([auditLogs().name, auditLogs().intervalMs]).toEqual(['audit-logs', 60_000]);
    expect(slackConfigSchema.safeParse({ id: 's', type: 'slack', token: 't', events: { auditLogs: '5s' } }).success).toBe(false);
    expect(slackConfigSchema.safeParse({ id: 's', type: 'slack', token: 't', events: { overlap: '5s' } }).success).toBe(false);
  });
});

describe('polling and translation', () => {
  it('oldest = watermark − overlap; role changes are hints; the 2FA requirement turned off is a fact; turned on is not', async () => {
    const s = auditLogs();
    const first = await s.poll(undefined, never);
    expect(slack.auditRequests()[0]!.query.get('oldest')).toBe(String(T0 - 300));
    slack.addAudit({ action: 'role_change_to_admin', user: { id: 'U0BOB', name: 'bob' }, dateCreate: T0 + 10, id: 'a-1' });
    slack.addAudit({ action: 'role_change_to_owner', user: { id: 'U0BOB', name: 'bob' }, dateCreate: T0 + 11, id: 'a-2' });
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: '1', new_value: '0' }, dateCreate: T0 + 12, id: 'a-3' });
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: '0', new_value: '1' }, dateCreate: T0 + 13, id: 'a-4' });
    slack.addAudit({ action: 'user_login', user: { id: 'U0BOB', name: 'bob' }, dateCreate: T0 + 14, id: 'a-5' });
    const b = await s.poll(first.cursor, never);
    expect(b.events.map((e) => [e.id, e.name, e.hint?.account.accountId ?? null, e.hint?.topic ?? e.fact?.type]).sort()).toEqual([
      ['a-1', 'role_change_to_admin', 'U0BOB', 'admin'],
      ['a-2', 'role_change_to_owner', 'U0BOB', 'admin'],
      ['a-3', 'pref.two_factor_auth_changed', null, 'mfa_requirement_disabled'],
    ]);
    const fact = b.events.find((e) => e.id === 'a-3')!.fact!;
    expect(fact).toMatchObject({ account: { accountId: 'W0OWNER01', login: 'owner' }, sourceIp: '198.51.100.40', detail: { where: 'organisation Acme Corp', previousValue: '1', newValue: '0' } });
    expect(b.ignored).toEqual([]);
    expect(parseSlackCursor(b.cursor)).toEqual({ v: 1, oldest: T0 + 14 });
    await s.poll(b.cursor, never);
    expect(slack.auditRequests().at(-1)!.query.get('oldest')).toBe(String(T0 + 14 - 300));
  });

  it('follows next_cursor; sets aside malformed entries and unrecognised 2FA pref values', async () => {
    const s = auditLogs();
    const first = await s.poll(undefined, never);
    for (let i = 0; i < 250; i++) slack.addAudit({ action: 'role_change_to_admin', user: { id: `U${i}`, name: `u${i}` }, dateCreate: T0 + 20 });
    slack.audit.push({ id: 'broken', date_create: T0 + 25 });
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: 'strict', new_value: 'lenient' }, dateCreate: T0 + 30, id: 'odd' });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toHaveLength(250);
    expect(b.requests).toBe(2);
    expect(b.ignored.map((i) => [i.reason, i.id])).toEqual([['irrelevant', 'odd'], ['malformed', 'broken']]);
  });
});

describe('pref.two_factor_auth_changed as Slack documents it', () => {
  it('names the place from the entity or else context.location; a placeholder actor is no account; values it cannot read are set aside', async () => {
    const s = auditLogs();
    const first = await s.poll(undefined, never);
    slack.addAudit({ action: 'pref.two_factor_auth_changed', entity: 'workspace', details: { previous_value: 'true', new_value: 'false' }, dateCreate: T0 + 10, id: 'w-1' });
    const noEntity = slack.addAudit({ action: 'pref.two_factor_auth_changed', actor: { id: 'USLACKUSER', name: 'Slack' }, details: { previous_value: '1', new_value: '0' }, dateCreate: T0 + 11, id: 'w-2' });
    delete noEntity.entity;
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: '1', new_value: '' }, dateCreate: T0 + 12, id: 'w-3' });
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: { required: true }, new_value: { required: false } }, dateCreate: T0 + 13, id: 'w-4' });
    // An odd context.location does not hide the change: the entity still names the place.
    const odd = slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: 'on', new_value: 'off' }, dateCreate: T0 + 14, id: 'w-5' });
    (odd.context as Record<string, unknown>).location = 'Birdland';
    const b = await s.poll(first.cursor, never);
    const facts = new Map(b.events.map((e) => [e.id, e.fact]));
    expect([...facts.keys()].sort()).toEqual(['w-1', 'w-2', 'w-5']);
    expect(facts.get('w-5')!.detail).toMatchObject({ where: 'organisation Acme Corp' });
    expect(facts.get('w-1')).toMatchObject({ type: 'mfa_requirement_disabled', account: { accountId: 'W0OWNER01' }, detail: { where: 'workspace Acme' } });
    expect(facts.get('w-2')!.account).toBeUndefined();
    expect(facts.get('w-2')!.detail).toMatchObject({ where: 'organisation Acme Corp', actor: 'USLACKUSER' });
    expect(b.ignored.map((i) => [i.reason, i.id]).sort()).toEqual([['irrelevant', 'w-3'], ['irrelevant', 'w-4']]);
  });

  it('user_login carries no documented second-factor field: never a fact or a hint, whatever its details hold', async () => {
    const s = auditLogs();
    const first = await s.poll(undefined, never);
    slack.addAudit({ action: 'user_login', user: { id: 'U0BOB', name: 'bob' }, dateCreate: T0 + 10, id: 'l-1' });
    slack.addAudit({ action: 'user_login', user: { id: 'U0BOB', name: 'bob' }, details: { two_factor: false, mfa: 'none' }, dateCreate: T0 + 11, id: 'l-2' });
    const b = await s.poll(first.cursor, never);
    expect(b.events).toEqual([]);
    expect(b.ignored).toEqual([]);
  });
});

describe('faults', () => {
  it('429 with Retry-After is retried; 5xx, malformed bodies, a missing auditlogs:read scope and a revoked token fail with what to do', async () => {
    slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } }, 1, (r) => r.path === '/audit/v1/logs');
    expect((await auditLogs({ retries: 2 }).poll(undefined, never)).cursor).toBe(JSON.stringify({ v: 1, oldest: T0 }));
    slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } }, 1, (r) => r.path === '/audit/v1/logs');
    const limited = await auditLogs().poll(undefined, never).catch((e: unknown) => e);
    expect(limited).toMatchObject({ reason: 'rate_limited' });
    // The Audit Logs API is Tier 3, counted across the organisation (not the Web API's per-app Tier 2).
    // https://docs.slack.dev/reference/audit-logs-api/methods-actions-reference
    expect((limited as Error).message).toMatch(/^Slack rate limit \(Audit Logs API, Tier 3, shared by the whole organisation\) reached for logs/);
    expect((limited as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThanOrEqual(30_000);
    slack.inject({ kind: 'status', status: 503, body: 'upstream' }, 1, (r) => r.path === '/audit/v1/logs');
    await expect(auditLogs().poll(undefined, never)).rejects.toMatchObject({ reason: 'server' });
    slack.inject({ kind: 'status', status: 200, body: { entries: 'no' } }, 1, (r) => r.path === '/audit/v1/logs');
    await expect(auditLogs().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    slack.inject({ kind: 'truncate', status: 200, body: '{"entries":[{"id":' }, 1, (r) => r.path === '/audit/v1/logs');
    await expect(auditLogs().poll(undefined, never)).rejects.toMatchObject({ reason: 'malformed' });
    // The Audit Logs API answers a refused token with the HTTP status (401, 403) and {"ok": false, "error"},
    // not the Web API's HTTP 200: the message names the status and the scope to grant.
    const scopeless = await auditLogs({ token: 'xoxp-no-audit' }).poll(undefined, never).catch((e: unknown) => e);
    expect(scopeless).toMatchObject({ reason: 'permission', status: 403 });
    expect((scopeless as Error).message).toBe('Slack audit/v1/logs answered 403 "missing_scope": the token lacks the auditlogs:read scope, or is not an Org Owner\'s: add the auditlogs:read user token scope to the app, install it on the Enterprise Grid organisation (not a workspace) as an Org Owner, and set that token (see monitors/slack/README.md, "Events")');
    const revoked = await auditLogs({ token: 'xoxp-revoked' }).poll(undefined, never).catch((e: unknown) => e);
    expect(revoked).toMatchObject({ reason: 'auth', status: 401 });
    expect((revoked as Error).message).toMatch(/^Slack audit\/v1\/logs answered 401 "invalid_auth": the token is missing, invalid or revoked: add the auditlogs:read user token scope/);
    // The same refusal as HTTP 200 with ok: false (the Web API's form) reads the same.
    slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'missing_scope' } }, 1, (r) => r.path === '/audit/v1/logs');
    await expect(auditLogs().poll(undefined, never)).rejects.toMatchObject({ reason: 'permission', message: expect.stringMatching(/lacks the auditlogs:read scope/) });
    // An organisation not on Enterprise Grid.
    slack.inject({ kind: 'status', status: 403, body: { ok: false, error: 'feature_not_enabled' } }, 1, (r) => r.path === '/audit/v1/logs');
    await expect(auditLogs().poll(undefined, never)).rejects.toMatchObject({ reason: 'permission', message: expect.stringMatching(/available on Enterprise Grid organisations only/) });
    // The fake answers the audit path as documented.
    expect(slack.auditRequests().length).toBeGreaterThan(0);
  });
});

describe('readAccount', () => {
  it('reads a member through users.info as the scan reports them; deactivated and unknown members are gone', async () => {
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(await monitor.readAccount?.(scope, { accountId: 'U0BOB' }, never)).toEqual({ status: 'present', observation: scan.observations.find((o) => o.accountId === 'U0BOB') });
    slack.members.get('U0BOB')!.has2fa = false;
    expect(await monitor.readAccount?.(scope, { accountId: 'U0BOB' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'disabled' } });
    expect(await monitor.readAccount?.(scope, { accountId: 'U0GONE' }, never)).toMatchObject({ status: 'gone' });
    expect(await monitor.readAccount?.(scope, { accountId: 'U0NOPE' }, never)).toEqual({ status: 'gone', account: { accountId: 'U0NOPE' } });
  });
});
