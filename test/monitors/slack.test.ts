import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackConfigSchema } from '../../monitors/slack/config.js';
import { createSlackMonitor, slackMfaState } from '../../monitors/slack/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeSlack } from '../fakes/slack.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'xoxp-1111-admin-token';
const ALL_SCOPES = ['users:read', 'users:read.email'];

let slack: FakeSlack;
beforeEach(async () => {
  slack = new FakeSlack({
    [TOKEN]: { userId: 'U0ADMIN', scopes: ALL_SCOPES },
    'xoxp-2222-member-token': { userId: 'U0BOB', scopes: ALL_SCOPES },
    'xoxp-3333-no-email': { userId: 'U0ADMIN', scopes: ['users:read'] },
    'xoxp-4444-no-scope': { userId: 'U0ADMIN', scopes: ['chat:write'] },
  });
  await slack.start();
});
afterEach(async () => {
  await slack.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = slackConfigSchema.parse({ id: 'slack', type: 'slack', token: TOKEN, baseUrl: `${slack.url}/api`, retries: 2, ...over });
  const deps = testDeps();
  return { monitor: createSlackMonitor(config, deps), deps };
}

function seedWorkspace(): void {
  slack.addMember({ id: 'U0ADMIN', name: 'alice', email: 'alice@example.com', realName: 'Alice Admin', isAdmin: true, has2fa: true, twoFactorType: 'app' });
  slack.addMember({ id: 'U0BOB', name: 'bob', email: 'bob@example.com', has2fa: false });
  slack.addMember({ id: 'U0CAROL', name: 'carol', email: 'carol@example.com', has2fa: true, twoFactorType: 'sms' });
  slack.addMember({ id: 'U0OWNER', name: 'olga', email: 'olga@example.com', isPrimaryOwner: true, isOwner: true, has2fa: true, twoFactorType: 'app' });
  slack.addMember({ id: 'U0GUEST', name: 'gus', email: 'gus@partner.example', isRestricted: true, isUltraRestricted: true, has2fa: false });
  slack.addMember({ id: 'U0GONE', name: 'gone', email: 'gone@example.com', deleted: true, has2fa: false });
  slack.addMember({ id: 'B0BOT', name: 'deploybot', isBot: true, has2fa: false });
}

describe('slack monitor: field mapping', () => {
  it.each([
    [{ has_2fa: true, two_factor_type: 'app' }, 'enabled', ['app']],
    [{ has_2fa: true, two_factor_type: 'sms' }, 'weak', ['sms']],
    [{ has_2fa: true }, 'enabled', []],
    [{ has_2fa: false }, 'disabled', []],
    [{}, 'unknown', []],
  ] as const)('%j → %s', (fields, state, factors) => {
    expect(slackMfaState(fields)).toEqual({ mfa: state, factors });
  });
});

describe('slack monitor: what it reports', () => {
  it('maps humans, skips bots, Slackbot and deleted users, keys by user id, fills email', async () => {
    seedWorkspace();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const byLogin = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(Object.keys(byLogin).sort()).toEqual(['alice', 'bob', 'carol', 'gus', 'olga']);
    expect(byLogin.alice).toMatchObject({ accountId: 'U0ADMIN', email: 'alice@example.com', displayName: 'Alice Admin', kind: 'member', admin: true, mfa: 'enabled', factors: ['app'], url: 'https://acme.slack.com/team/U0ADMIN' });
    expect(byLogin.bob).toMatchObject({ admin: false, mfa: 'disabled' });
    expect(byLogin.carol).toMatchObject({ mfa: 'weak', factors: ['sms'] });
    expect(byLogin.olga).toMatchObject({ admin: true, mfa: 'enabled' });
    expect(byLogin.gus).toMatchObject({ kind: 'single_channel_guest', mfa: 'disabled' });
    expect(scan.label).toBe('Acme');
    expect(scan.warnings).toEqual([]);
    expect(slack.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('pages with limit and next_cursor over 3+ pages', async () => {
    slack.addMember({ id: 'U0ADMIN', name: 'alice', isAdmin: true, has2fa: true, twoFactorType: 'app' });
    slack.generateMembers(450);
    const { monitor, deps } = monitorFor({ pageSize: 100 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(451);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(451);
    const lists = slack.listRequests();
    expect(lists).toHaveLength(5);
    expect(lists.every((r) => r.query.get('limit') === '100')).toBe(true);
    expect(lists[0]?.query.has('cursor')).toBe(false);
    expect(lists.slice(1).every((r) => Boolean(r.query.get('cursor')))).toBe(true);
    expect(scan.requests).toBe(6); // auth.test + 5 pages
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(45);
  });

  it('fails with a permission error, never "disabled for everyone", when the token cannot see has_2fa', async () => {
    seedWorkspace();
    const { monitor, deps } = monitorFor({ token: 'xoxp-2222-member-token' });
    const scan = await collectScan(monitor, deps.logger);
    const err = scan.error as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe('permission');
    expect(err.message).toMatch(/has_2fa.*only workspace admins and owners.*admin or owner.*monitors\/slack\/README\.md/);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(0);
  });

  it('warns when emails are missing (users:read.email not granted)', async () => {
    seedWorkspace();
    const { monitor, deps } = monitorFor({ token: 'xoxp-3333-no-email' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.every((o) => o.email === null)).toBe(true);
    expect(scan.warnings.join()).toMatch(/users:read\.email/);
  });

  it('passes team_id for Enterprise Grid', async () => {
    seedWorkspace();
    const { monitor, deps } = monitorFor({ teamId: 'T0ACME001' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(slack.listRequests()[0]?.query.get('team_id')).toBe('T0ACME001');
  });
});

describe('slack monitor: failures', () => {
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['invalid_auth (HTTP 200)', () => slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'invalid_auth' } }), 'auth', /auth\.test answered "invalid_auth".*invalid, revoked.*admin or owner/],
    ['not_authed', () => slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'not_authed' } }), 'auth', /"not_authed"/],
    ['token_revoked on a later page', () => slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'token_revoked' } }, 1, (r) => r.path.endsWith('users.list')), 'auth', /users\.list answered "token_revoked"/],
    ['missing_scope', () => undefined, 'permission', /missing_scope.*users:read scope \(it has chat:write\)/],
    ['HTTP 401', () => slack.inject({ kind: 'status', status: 401, body: { ok: false, error: 'invalid_auth' } }), 'auth', /invalid_auth/],
    ['HTTP 403', () => slack.inject({ kind: 'status', status: 403, body: '' }), 'permission', /Slack returned 403/],
    ['HTTP 404 (wrong baseUrl)', () => slack.inject({ kind: 'status', status: 404, body: '<html>not found</html>', headers: { 'content-type': 'text/html' } }), 'not_found', /404.*baseUrl does not point at the Web API/],
    ['5xx after retries', () => slack.inject({ kind: 'status', status: 503, body: { ok: false, error: 'service_unavailable' } }, 10), 'server', /service_unavailable.*slack-status/],
    ['ok:false fatal_error', () => slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'fatal_error' } }, 1, (r) => r.path.endsWith('users.list')), 'server', /fatal_error/],
    ['truncated body', () => slack.inject({ kind: 'truncate', body: '{"ok":true,"members":[{"id":"U1",' }, 1, (r) => r.path.endsWith('users.list')), 'malformed', /truncated or malformed JSON/],
    ['valid JSON of the wrong shape', () => slack.inject({ kind: 'status', status: 200, body: { ok: true, users: [] } }, 1, (r) => r.path.endsWith('users.list')), 'malformed', /unexpected shape \(at members/],
    ['not a Web API answer', () => slack.inject({ kind: 'status', status: 200, body: [1, 2, 3] }), 'malformed', /not a Web API answer/],
    ['connection refused', () => void slack.stop(), 'network', /could not reach Slack/],
  ];
  it.each(cases)('%s: fails the scan with the right reason and says what to do', async (name, inject, reason, message) => {
    seedWorkspace();
    inject();
    const { monitor, deps } = monitorFor(name === 'missing_scope' ? { token: 'xoxp-4444-no-scope' } : {});
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(TOKEN);
  });

  it('a 429 waits Retry-After, then goes on', async () => {
    seedWorkspace();
    slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } }, 1, (r) => r.path.endsWith('users.list'));
    const slept: number[] = [];
    const config = slackConfigSchema.parse({ id: 'slack', type: 'slack', token: TOKEN, baseUrl: `${slack.url}/api` });
    const deps = testDeps({ sleep: async (ms) => void slept.push(ms) });
    const scan = await collectScan(createSlackMonitor(config, deps), deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(5);
    expect(slept).toEqual([1_000]);
  });

  it('a 429 asking to wait past the scan deadline fails as rate_limited', async () => {
    seedWorkspace();
    slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '600' } }, 5);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger, { deadlineMs: 10_000 });
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('rate_limited');
    // The first call is auth.test (Slack: special rate limits, not Tier 2 like users.list).
    expect(err.message).toMatch(/^Slack rate limit \(special limit, hundreds per minute\) reached for auth\.test.*longer than mfawatch may wait/);
  });

  it('a timeout fails the scan as timeout', async () => {
    seedWorkspace();
    slack.inject({ kind: 'hang' }, 10);
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    slack.addMember({ id: 'U0ADMIN', name: 'alice', isAdmin: true, has2fa: true });
    slack.generateMembers(450);
    let lists = 0;
    slack.inject({ kind: 'status', status: 500, body: '' }, 10, (r) => r.path.endsWith('users.list') && ++lists >= 3);
    const { monitor, deps } = monitorFor({ pageSize: 100 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(451);
  });
});

describe('slack monitor: pages that do not advance', () => {
  it('follows a cursor through an empty page (Slack may return fewer members than limit, even none)', async () => {
    slack.addMember({ id: 'U0ADMIN', name: 'alice', isAdmin: true, has2fa: true });
    slack.generateMembers(250);
    // the second page comes back empty, with a fresh cursor to the same place
    const cursor = Buffer.from('user:U1000099').toString('base64');
    const fresh = Buffer.from('user:U1000099:retry').toString('base64');
    slack.inject({ kind: 'status', status: 200, body: { ok: true, members: [], response_metadata: { next_cursor: fresh } } }, 1, (r) => r.path.endsWith('users.list') && r.query.get('cursor') === cursor);
    const { monitor, deps } = monitorFor({ pageSize: 100 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(251);
  });

  it('a cursor that repeats fails the scan instead of spinning', async () => {
    slack.addMember({ id: 'U0ADMIN', name: 'alice', isAdmin: true, has2fa: true });
    slack.generateMembers(250);
    const cursor = Buffer.from('user:U1000099').toString('base64');
    slack.inject({ kind: 'status', status: 200, body: { ok: true, members: [], response_metadata: { next_cursor: cursor } } }, 10, (r) => r.path.endsWith('users.list') && r.query.get('cursor') === cursor);
    const { monitor, deps } = monitorFor({ pageSize: 100 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/repeated an earlier cursor/);
  });
});

describe('slack monitor: secret hygiene', () => {
  it('the token appears in no error and no log line, whatever fails', async () => {
    seedWorkspace();
    const { monitor, deps } = monitorFor();
    for (const [status, body] of [[200, { ok: false, error: `invalid_auth ${TOKEN}` }], [401, { ok: false, error: TOKEN }], [403, TOKEN], [500, { ok: false, error: 'fatal_error', detail: TOKEN }]] as const) {
      slack.inject({ kind: 'status', status, body }, 10);
      const scan = await collectScan(monitor, deps.logger);
      slack.clearFaults();
      expect(String((scan.error as Error).message)).not.toContain(TOKEN);
      expect(JSON.stringify(scan.error)).not.toContain(TOKEN);
    }
    expect(deps.logs.text()).not.toContain(TOKEN);
    expect(JSON.stringify(slackConfigSchema.parse({ id: 's', type: 'slack', token: TOKEN }))).not.toContain(TOKEN);
  });
});

describe('slack monitor: end to end through the CLI', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  const events = (out: CliResult) =>
    eventLines(out.stdout);

  it('baseline, then 2FA turned off is mfa_disabled and app → SMS is mfa_weakened', async () => {
    seedWorkspace();
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'slack-acme', type: 'slack', token: '${SLACK_TOKEN}', baseUrl: `${slack.url}/api`, retries: 0 }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const run = () => runCli(['run', '--config', configPath], { env: { SLACK_TOKEN: TOKEN } });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const baseline = events(first);
    expect(baseline.map((e) => e.type)).toEqual(['baseline']);
    expect(String(baseline[0]?.summary)).toMatch(/Acme: 5 accounts/);

    slack.members.get('U0OWNER')!.has2fa = false; // the primary owner turns 2FA off
    slack.members.get('U0ADMIN')!.twoFactorType = 'sms'; // alice moves to SMS
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const changes = events(second).map((e) => [e.type, e.login, e.severity]);
    expect(changes).toEqual(expect.arrayContaining([['mfa_disabled', 'olga', 'critical'], ['mfa_weakened', 'alice', 'high']]));
    expect(changes).toHaveLength(2);
    expect(second.stdout + second.stderr).not.toContain(TOKEN);
  });
});
