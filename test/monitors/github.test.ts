import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { githubConfigSchema } from '../../monitors/github/config.js';
import { createGithubMonitor } from '../../monitors/github/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeGitHub } from '../fakes/github.js';
import { testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'ghp_test_owner_token';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true }, ghp_member_token: { owner: false } } });
  await gh.start();
});
afterEach(async () => {
  await gh.stop();
});

function monitorFor(over: Record<string, unknown> = {}, tuning = { retryAfterBaseValue: 5 }) {
  const config = githubConfigSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: TOKEN, baseUrl: gh.url, retries: 2, ...over });
  const deps = testDeps();
  return { monitor: createGithubMonitor(config, deps, tuning), deps };
}

function seedSmallOrg(): void {
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 3, login: 'carol', role: 'member', twoFactor: 'insecure' });
  gh.addMember({ id: 4, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
  gh.addOutsideCollaborator({ id: 10, login: 'victor', twoFactor: 'enabled' });
  gh.addOutsideCollaborator({ id: 11, login: 'walter', twoFactor: 'disabled' });
}

describe('github monitor: what it reports', () => {
  it('maps members and outside collaborators to observations keyed by user id', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const byLogin = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(byLogin.alice).toMatchObject({ accountId: '1', kind: 'member', admin: true, mfa: 'enabled', url: 'https://github.com/alice' });
    expect(byLogin.bob).toMatchObject({ accountId: '2', admin: false, mfa: 'disabled' });
    expect(byLogin.carol).toMatchObject({ mfa: 'weak', factors: ['sms'] });
    expect(byLogin.mallory).toMatchObject({ admin: true, mfa: 'disabled' });
    expect(byLogin.victor).toMatchObject({ accountId: '10', kind: 'outside_collaborator', admin: false, mfa: 'enabled' });
    expect(byLogin.walter).toMatchObject({ kind: 'outside_collaborator', mfa: 'disabled' });
    expect(scan.observations).toHaveLength(6);
    expect(scan.warnings).toEqual([]);
    expect(scan.rateLimit?.remaining).toBeGreaterThan(0);
  });

  it('pages with per_page=100 through the Link header and makes the minimum number of requests', async () => {
    gh.generateMembers(350); // 4 pages of members
    for (let i = 0; i < 120; i++) gh.addOutsideCollaborator({ id: 900_000 + i, login: `oc${i}`, twoFactor: i % 3 === 0 ? 'disabled' : 'enabled' });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(470);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(470);
    // members: 2fa_disabled(1) + 2fa_insecure(1) + role=admin(1) + all(4); outside: 2fa_disabled(1) + 2fa_insecure(1) + all(2);
    // plus the member count (POST /graphql), which vouches for the member listing.
    const requests = gh.listRequests();
    expect(requests).toHaveLength(11);
    expect(scan.requests).toBe(12);
    expect(gh.requests.filter((r) => r.path === '/graphql')).toHaveLength(1);
    for (const r of requests) expect(r.query.get('per_page')).toBe('100');
    // follow-up pages come from the Link header (GitHub points them at /organizations/{id}/...)
    expect(requests.filter((r) => r.path.startsWith('/organizations/9919/'))).toHaveLength(4);
    const disabled = scan.observations.filter((o) => o.mfa === 'disabled').length;
    expect(disabled).toBe([...gh.members.values(), ...gh.outsideCollaborators.values()].filter((u) => u.twoFactor === 'disabled').length);
  });

  it('skips outside collaborators when told to', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor({ outsideCollaborators: false });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations.map((o) => o.kind)).not.toContain('outside_collaborator');
    expect(gh.requests.some((r) => r.path.endsWith('/outside_collaborators'))).toBe(false);
  });

  it('falls back with a clear warning when GitHub refuses filter=2fa_insecure (older GHES)', async () => {
    seedSmallOrg();
    gh.insecureFilter = false;
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.find((o) => o.login === 'carol')?.mfa).toBe('enabled');
    expect(scan.warnings.join('\n')).toMatch(/2fa_insecure.*SMS.*enabled, not weak/);
  });

  it('fails clearly, without guessing, when the token is not an owner (filter=2fa_disabled refused)', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor({ token: 'ghp_member_token' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations).toEqual([]);
    expect(scan.error).toBeInstanceOf(ProviderError);
    expect((scan.error as ProviderError).reason).toBe('permission');
    expect((scan.error as ProviderError).message).toMatch(/only organisation owners.*owner.*monitors\/github\/README\.md/);
  });
});

describe('github monitor: failures', () => {
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['401 bad token', () => gh.inject({ kind: 'status', status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } }), 'auth', /401.*invalid, expired or revoked.*README/],
    ['403 missing scope', () => gh.inject({ kind: 'status', status: 403, body: { message: 'Resource not accessible by personal access token' } }), 'permission', /403.*read:org.*Members: read/],
    ['403 SAML enforcement', () => gh.inject({ kind: 'status', status: 403, body: { message: 'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.' } }), 'permission', /SAML SSO/],
    ['404 unknown org', () => gh.inject({ kind: 'status', status: 404, body: { message: 'Not Found' } }), 'not_found', /404.*"acme" does not exist/],
    ['5xx after retries', () => gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 10), 'server', /502.*after retries.*githubstatus/],
    ['malformed JSON', () => gh.inject({ kind: 'truncate', body: '[{"id": 1, "login": "al' }), 'malformed', /not a list of users.*truncated or malformed/],
    ['valid JSON of the wrong shape', () => gh.inject({ kind: 'status', status: 200, body: { members: [] } }), 'malformed', /not a list of users/],
    ['connection reset mid-body', () => gh.inject({ kind: 'reset' }, 10), 'malformed', /not a list of users.*truncated/],
    ['connection refused', () => void gh.stop(), 'network', /could not reach GitHub.*check baseUrl/],
  ];
  it.each(cases)('%s fails the scan with reason %s and says what to do', async (_name, inject, reason, message) => {
    seedSmallOrg();
    inject();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(TOKEN);
  });

  it('a timeout fails the scan as timeout', async () => {
    seedSmallOrg();
    gh.inject({ kind: 'hang' }, 10);
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan (no partial listing)', async () => {
    gh.generateMembers(350);
    gh.inject({ kind: 'status', status: 500, body: { message: 'Server Error' } }, 10, (r) => r.path.startsWith('/organizations/') && r.query.get('page') === '3');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(350);
  });

  it('retries a 5xx with @octokit/plugin-retry and then succeeds', async () => {
    seedSmallOrg();
    gh.inject({ kind: 'status', status: 503, body: { message: 'Service Unavailable' } }, 1);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(6);
  });
});

describe('github monitor: rate limits', () => {
  it('waits for x-ratelimit-reset on a primary limit, then goes on', async () => {
    seedSmallOrg();
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    gh.inject({ kind: 'status', status: 403, body: { message: 'API rate limit exceeded for user ID 1.' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': reset } }, 1);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(6);
    expect(deps.logs.text()).toMatch(/primary rate limit reached/);
  });

  it('waits retry-after on a secondary limit, then goes on', async () => {
    seedSmallOrg();
    gh.inject({ kind: 'status', status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, headers: { 'retry-after': '2' } }, 1);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(deps.logs.text()).toMatch(/secondary rate limit reached/);
  });

  it('fails as rate_limited when the wait would pass the scan deadline', async () => {
    seedSmallOrg();
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    gh.inject({ kind: 'status', status: 403, body: { message: 'API rate limit exceeded for user ID 1.' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }, 5);
    const { monitor, deps } = monitorFor({}, { retryAfterBaseValue: 1000 });
    const scan = await collectScan(monitor, deps.logger, { deadlineMs: 10_000 });
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('rate_limited');
    expect(err.message).toMatch(/rate limit.*scan deadline/);
    expect(err.retryAfterMs).toBeGreaterThan(3_000_000);
  });
});

describe('github monitor: secret hygiene', () => {
  it('the token appears in no error and no log line, whatever fails', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor();
    const faults = [401, 403, 404, 422, 500];
    for (const status of faults) {
      gh.inject({ kind: 'status', status, body: { message: `echo ${TOKEN}` } }, 10);
      const scan = await collectScan(monitor, deps.logger);
      gh.clearFaults();
      expect(String((scan.error as Error).message)).not.toContain(TOKEN);
      expect(JSON.stringify(scan.error)).not.toContain(TOKEN);
    }
    expect(deps.logs.text()).not.toContain(TOKEN);
    // the Secret wrapper never serialises
    const config = githubConfigSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: TOKEN });
    expect(JSON.stringify(config)).not.toContain(TOKEN);
    expect(String(config.token)).toBe('[redacted]');
  });
});
