import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitlabConfigSchema } from '../../monitors/gitlab/config.js';
import { createGitlabMonitor, gitlabMfaState } from '../../monitors/gitlab/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'glpat-admin-test-token-0001';
let fake: FakeGitlab;
beforeEach(async () => {
  fake = new FakeGitlab();
  fake.tokens['glpat-member-token-0002'] = { admin: false, groupOwner: false };
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = gitlabConfigSchema.parse({ id: 'gl', type: 'gitlab', baseUrl: fake.url, token: TOKEN, retries: 2, ...over });
  const deps = testDeps();
  return { monitor: createGitlabMonitor(config, deps, { backoffMs: 5 }), deps };
}

function seed(): void {
  fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true, email: 'Root@Example.com' });
  fake.add({ id: 2, username: 'bob', twoFactor: false, enterprise: true });
  fake.add({ id: 3, username: 'carol', twoFactor: true, enterprise: true });
  fake.add({ id: 4, username: 'mallory', isAdmin: true, twoFactor: false });
  fake.add({ id: 5, username: 'blocked-bea', state: 'blocked', twoFactor: false });
  fake.add({ id: 6, username: 'deactivated-dan', state: 'deactivated', twoFactor: false });
  fake.add({ id: 7, username: 'project_42_bot_abc', bot: true, twoFactor: false });
  fake.add({ id: 8, username: 'ghost', internal: true, twoFactor: false });
}

describe('gitlab monitor: self-managed instance', () => {
  it('maps users by id with email, admin flag and 2FA; skips blocked, bots and internal users', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(Object.keys(by).sort()).toEqual(['bob', 'carol', 'deactivated-dan', 'mallory', 'root']);
    expect(by.root).toMatchObject({ accountId: '1', email: 'root@example.com', kind: 'user', admin: true, mfa: 'enabled', url: `${fake.url}/root` });
    expect(by.bob).toMatchObject({ admin: false, mfa: 'disabled' });
    expect(by.mallory).toMatchObject({ admin: true, mfa: 'disabled' });
    // a deactivated user reactivates by signing in, so stays watched
    expect(by['deactivated-dan']).toMatchObject({ mfa: 'disabled' });
    const first = fake.listRequests()[0]!;
    expect(first.headers['private-token']).toBe(TOKEN);
    expect(first.query.get('two_factor')).toBe('disabled');
    expect(first.query.get('exclude_internal')).toBe('true');
    expect(scan.rateLimit?.remaining).toBeGreaterThan(0);
  });

  it('includes blocked users and bots (not_applicable) when asked', async () => {
    seed();
    const { monitor, deps } = monitorFor({ includeBlocked: true, includeBots: true });
    const scan = await collectScan(monitor, deps.logger);
    const by = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(by['blocked-bea']).toMatchObject({ mfa: 'disabled' });
    expect(by.project_42_bot_abc).toMatchObject({ kind: 'bot', mfa: 'not_applicable' });
    expect(by.ghost).toBeUndefined();
  });

  it('pages with keyset pagination (Link rel="next" cursor) over several pages', async () => {
    for (let i = 1; i <= 260; i++) fake.add({ id: i, username: `user${i}`, twoFactor: i % 9 !== 0 });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(260);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(260);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(28);
    const full = fake.listRequests().filter((r) => !r.query.has('two_factor'));
    expect(full).toHaveLength(3);
    expect(full[1]?.query.get('cursor')).toBeTruthy();
    for (const r of fake.listRequests()) expect(r.query.get('per_page')).toBe('100');
  });

  it('falls back to offset pagination on servers without keyset support', async () => {
    fake.keyset = false;
    for (let i = 1; i <= 230; i++) fake.add({ id: i, username: `user${i}`, twoFactor: true });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(230);
    expect(fake.listRequests().filter((r) => !r.query.has('two_factor')).map((r) => r.query.get('page'))).toEqual([null, '2', '3']);
  });

  it('refuses a non-administrator token instead of guessing from the public view', async () => {
    seed();
    const { monitor, deps } = monitorFor({ token: 'glpat-member-token-0002' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations).toEqual([]);
    expect((scan.error as ProviderError).reason).toBe('permission');
    expect((scan.error as Error).message).toMatch(/not an administrator.*admin_mode/);
  });
});

describe('gitlab monitor: GitLab.com enterprise users', () => {
  it('lists the enterprise users of the top-level group by path or id', async () => {
    seed();
    for (const group of ['acme', 4242]) {
      fake.requests.length = 0;
      const { monitor, deps } = monitorFor({ group });
      const scan = await collectScan(monitor, deps.logger);
      expect(scan.error).toBeUndefined();
      expect(scan.observations.map((o) => [o.login, o.kind, o.mfa, o.email])).toEqual([
        ['bob', 'enterprise_user', 'disabled', 'bob@example.com'],
        ['carol', 'enterprise_user', 'enabled', 'carol@example.com'],
      ]);
      expect(fake.listRequests()[0]?.path).toBe(`/api/v4/groups/${group}/enterprise_users`);
    }
  });

  it('pages with offset pagination', async () => {
    for (let i = 1; i <= 250; i++) fake.add({ id: i, username: `e${i}`, twoFactor: i % 2 === 0, enterprise: true });
    const { monitor, deps } = monitorFor({ group: 'acme' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations).toHaveLength(250);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(125);
    expect(fake.listRequests().filter((r) => !r.query.has('two_factor'))).toHaveLength(3);
  });

  it('says a non-Owner cannot list enterprise users (403)', async () => {
    seed();
    const { monitor, deps } = monitorFor({ group: 'acme', token: 'glpat-member-token-0002' });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('permission');
    expect((scan.error as Error).message).toMatch(/403 \("403 Forbidden"\).*not an Owner of this top-level group/);
  });

  it('says a group that does not exist is not found (404)', async () => {
    const { monitor, deps } = monitorFor({ group: 'nope' });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('not_found');
    expect((scan.error as Error).message).toMatch(/group "nope" does not exist/);
  });
});

describe('gitlab monitor: 2FA state table', () => {
  it.each([
    [{ id: 1, two_factor_enabled: true }, [], 'enabled'],
    [{ id: 1, two_factor_enabled: false }, [], 'disabled'],
    [{ id: 1, two_factor_enabled: null }, [1], 'disabled'],
    [{ id: 1 }, [], 'enabled'],
    [{ id: 1, bot: true, two_factor_enabled: false }, [1], 'not_applicable'],
  ] as const)('%j (two_factor=disabled listing %j) → %s', (user, disabled, expected) => {
    expect(gitlabMfaState(user, new Set(disabled))).toBe(expected);
  });
});

describe('gitlab monitor: failures', () => {
  const cases: Array<[string, string, RegExp, () => void]> = [
    ['401', 'auth', /401.*invalid, expired or revoked/, () => fake.inject({ kind: 'status', status: 401, body: { message: '401 Unauthorized' } })],
    ['403 insufficient scope', 'permission', /lacks the read_api scope/, () => fake.inject({ kind: 'status', status: 403, body: { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api read_api' } })],
    ['404', 'not_found', /404.*check baseUrl/, () => fake.inject({ kind: 'status', status: 404, body: { message: '404 Not Found' } })],
    ['429 beyond the retries', 'rate_limited', /rate limit reached \(429\)/, () => fake.inject({ kind: 'truncate', status: 429, body: 'Retry later\n', contentType: 'text/plain' }, 10)],
    ['5xx after retries', 'server', /502.*status\.gitlab\.com/, () => fake.inject({ kind: 'status', status: 502, body: { message: '502 Bad Gateway' } }, 10)],
    ['truncated body', 'malformed', /truncated or malformed JSON/, () => fake.inject({ kind: 'truncate', body: '[{"id": 1, "username": "ro' })],
    ['valid JSON of the wrong shape', 'malformed', /unexpected shape/, () => fake.inject({ kind: 'status', status: 200, body: { users: [] } })],
    ['connection reset mid-body', 'network', /connection to GitLab broke while reading/, () => fake.inject({ kind: 'reset' }, 10)],
  ];
  it.each(cases)('%s fails the scan (%s) and says what to do', async (_name, reason, message, inject) => {
    seed();
    inject();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    const err = scan.error as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(TOKEN);
  });

  it('waits out a 429 with Retry-After, then goes on', async () => {
    seed();
    fake.inject({ kind: 'status', status: 429, body: 'Retry later', headers: { 'retry-after': '1', 'content-type': 'text/plain' } }, 1);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(5);
  });

  it('a timeout fails the scan as timeout', async () => {
    seed();
    fake.inject({ kind: 'hang' }, 10);
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    expect(((await collectScan(monitor, deps.logger)).error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    for (let i = 1; i <= 350; i++) fake.add({ id: i, username: `u${i}`, twoFactor: true });
    fake.inject({ kind: 'status', status: 500, body: { message: '500 Internal Server Error' } }, 10, (r) => r.query.has('cursor') && !r.query.has('two_factor') && fake.listRequests().length >= 4);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(350);
  });

  // Found by the fault matrix: a repeated user was skipped silently, so the page that was never
  // read (here 100 of 1,000 users, under the mass-change guard's 20%) would have been reported as
  // 100 accounts removed.
  it('a page repeated in place of another fails the scan instead of losing the page it replaced', async () => {
    for (let i = 1; i <= 1000; i++) fake.add({ id: i, username: `u${i}`, twoFactor: true });
    const view = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => ({ id: from + k, username: `u${from + k}`, state: 'active', is_admin: false, bot: false, two_factor_enabled: true }));
    const cursor = (id: number) => Buffer.from(JSON.stringify({ id: String(id), _kd: 'n' })).toString('base64url');
    const pageTwo = (r: { query: URLSearchParams }) => !r.query.has('two_factor') && r.query.get('cursor') === cursor(100);
    fake.inject({ kind: 'status', status: 200, body: view(1, 100), headers: { link: `<${fake.url}/api/v4/users?pagination=keyset&order_by=id&sort=asc&per_page=100&cursor=${cursor(200)}>; rel="next"` } }, 1, pageTwo);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/GitLab listed user 1 twice in one scan.*nothing was committed/);
  });

  it('refuses a next-page link to another host (the token would follow it)', async () => {
    seed();
    fake.inject({ kind: 'status', status: 200, body: [], headers: { link: '<https://evil.example/api/v4/users?page=2>; rel="next"' } });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as Error).message).toMatch(/another host than baseUrl/);
  });

  it('never puts the token in an error or a log line', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    for (const status of [400, 401, 403, 404, 500]) {
      fake.inject({ kind: 'status', status, body: { message: `echo ${TOKEN}` } }, 10);
      const scan = await collectScan(monitor, deps.logger);
      fake.clearFaults();
      expect(`${(scan.error as Error).message} ${JSON.stringify(scan.error)}`).not.toContain(TOKEN);
    }
    expect(deps.logs.text()).not.toContain(TOKEN);
    expect(JSON.stringify(gitlabConfigSchema.parse({ id: 'g', type: 'gitlab', token: TOKEN }))).not.toContain(TOKEN);
  });
});

describe('gitlab monitor: end to end through the CLI', () => {
  it('baseline, then an administrator turns 2FA off → critical mfa_disabled', async () => {
    seed();
    const dir = tempDir();
    try {
      const configPath = writeConfig(dir.path, {
        database: './state.db',
        monitors: [{ id: 'gitlab-self', type: 'gitlab', baseUrl: fake.url, token: '${GITLAB_TOKEN}', retries: 0 }],
        notifiers: [{ id: 'siem', type: 'stdout' }],
      });
      const run = () => runCli(['run', '--config', configPath], { env: { GITLAB_TOKEN: TOKEN } });
      const events = (out: CliResult) => eventLines(out.stdout);
      const first = await run();
      expect(first.code).toBe(0);
      expect(events(first).map((e) => e.type)).toEqual(['baseline']);
      fake.users.get(1)!.twoFactor = false;
      fake.users.get(2)!.twoFactor = true;
      const second = await run();
      expect(events(second).map((e) => [e.type, e.login, e.severity]).sort()).toEqual([
        ['mfa_disabled', 'root', 'critical'],
        ['mfa_enabled', 'bob', 'info'],
      ]);
      expect(second.stderr).not.toContain(TOKEN);
    } finally {
      dir.cleanup();
    }
  });
});
