import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oktaConfigSchema } from '../../monitors/okta/config.js';
import { createOktaMonitor, oktaMfaState } from '../../monitors/okta/index.js';
import { sleep } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeOkta } from '../fakes/okta.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = '00okta-test-token';

let okta: FakeOkta;
beforeEach(async () => {
  okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true }, 'SSWS 00no-roles': { factors: true, roles: false }, 'SSWS 00no-factors': { factors: false }, 'Bearer oauth-at-1': { factors: true } } });
  await okta.start();
});
afterEach(async () => {
  await okta.stop();
});

function monitorFor(over: Record<string, unknown> = {}, depsOver: Parameters<typeof testDeps>[0] = {}, tuning = { rateLimitSkewMs: 5 }) {
  const config = oktaConfigSchema.parse({ id: 'okta', type: 'okta', baseUrl: okta.url, token: TOKEN, retries: 2, ...over });
  const deps = testDeps(depsOver);
  return { monitor: createOktaMonitor(config, deps, tuning), deps };
}

function seedSmallOrg(): void {
  okta.addUser({ id: '00ua1', login: 'alice@example.com', firstName: 'Alice', lastName: 'A', factors: [{ factorType: 'webauthn' }, { factorType: 'sms' }], roles: ['SUPER_ADMIN'] });
  okta.addUser({ id: '00ub2', login: 'bob@example.com', factors: [{ factorType: 'sms' }, { factorType: 'email' }] });
  okta.addUser({ id: '00uc3', login: 'carol@example.com', factors: [] });
  okta.addUser({ id: '00ud4', login: 'dave@example.com', factors: [{ factorType: 'token:software:totp', status: 'PENDING_ACTIVATION' }] });
  okta.addUser({ id: '00ue5', login: 'erin@example.com', status: 'SUSPENDED', factors: [] });
  okta.addUser({ id: '00uf6', login: 'frank@example.com', status: 'DEPROVISIONED', factors: [] });
  okta.addUser({ id: '00ug7', login: 'grace@example.com', status: 'LOCKED_OUT', factors: [{ factorType: 'push' }] });
}

describe('okta monitor: factor mapping', () => {
  it.each([
    [[{ factorType: 'webauthn', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'u2f', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'token:hardware', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'push', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'token:software:totp', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'signed_nonce', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'sms', status: 'ACTIVE' }], 'weak'],
    [[{ factorType: 'call', status: 'ACTIVE' }], 'weak'],
    [[{ factorType: 'email', status: 'ACTIVE' }], 'weak'],
    [[{ factorType: 'question', status: 'ACTIVE' }], 'weak'],
    [[{ factorType: 'sms', status: 'ACTIVE' }, { factorType: 'push', status: 'ACTIVE' }], 'enabled'],
    [[{ factorType: 'push', status: 'PENDING_ACTIVATION' }, { factorType: 'sms', status: 'ACTIVE' }], 'weak'],
    [[{ factorType: 'webauthn', status: 'INACTIVE' }], 'disabled'],
    [[], 'disabled'],
    [[{ factorType: 'brand_new_factor', status: 'ACTIVE' }], 'unknown'],
    [[{ factorType: 'brand_new_factor', status: 'ACTIVE' }, { factorType: 'sms', status: 'ACTIVE' }], 'unknown'],
  ] as const)('%j → %s', (factors, state) => {
    expect(oktaMfaState(factors).mfa).toBe(state);
  });
});

describe('okta monitor: what it reports', () => {
  it('maps users and their ACTIVE factors, skips suspended and deprovisioned users, keys by Okta id', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const byLogin = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(Object.keys(byLogin).sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'grace@example.com']);
    expect(byLogin['alice@example.com']).toMatchObject({ accountId: '00ua1', email: 'alice@example.com', displayName: 'Alice A', kind: 'user', admin: false, mfa: 'enabled', factors: ['sms', 'webauthn'] });
    expect(byLogin['bob@example.com']).toMatchObject({ mfa: 'weak', factors: ['email', 'sms'] });
    expect(byLogin['carol@example.com']).toMatchObject({ mfa: 'disabled', factors: [] });
    expect(byLogin['dave@example.com']).toMatchObject({ mfa: 'disabled' });
    expect(byLogin['grace@example.com']).toMatchObject({ mfa: 'enabled' });
    // suspended users cost no factor call
    expect(okta.perUserRequests('factors').map((r) => r.path)).not.toContain('/api/v1/users/00ue5/factors');
    expect(okta.perUserRequests('roles')).toHaveLength(0);
    expect(okta.requests[0]?.headers.authorization).toBe(`SSWS ${TOKEN}`);
    expect(scan.rateLimit?.remaining).toBeGreaterThan(0);
  });

  it('detects admins through /roles only when detectAdmins is on', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor({ detectAdmins: true });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.filter((o) => o.admin).map((o) => o.login)).toEqual(['alice@example.com']);
    expect(okta.perUserRequests('roles')).toHaveLength(5);
  });

  it('without okta.roles.read, detectAdmins fails the scan with the scope to add', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor({ detectAdmins: true, token: '00no-roles' });
    const scan = await collectScan(monitor, deps.logger);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('permission');
    expect(err.message).toMatch(/403 \(E0000006\).*okta\.roles\.read/);
  });

  it('sends an OAuth access token as Bearer when told to', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor({ authScheme: 'Bearer', token: 'oauth-at-1' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(okta.requests[0]?.headers.authorization).toBe('Bearer oauth-at-1');
  });

  it('pages through the Link header with limit, over 3+ pages, with bounded per-user concurrency', async () => {
    okta.generateUsers(250);
    okta.latencyMs = 3;
    const { monitor, deps } = monitorFor({ pageSize: 60, concurrency: 4 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(250);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(250);
    const lists = okta.listRequests();
    expect(lists).toHaveLength(5);
    expect(lists[0]?.query.get('limit')).toBe('60');
    expect(lists.slice(1).every((r) => r.query.has('after'))).toBe(true);
    expect(okta.perUserRequests('factors')).toHaveLength(250);
    expect(okta.maxInFlight).toBeLessThanOrEqual(4);
    expect(okta.maxInFlight).toBeGreaterThan(1);
    expect(scan.requests).toBe(255);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(25);
  });

  it('warns about factor types it does not know and reports such users as unknown, never disabled', async () => {
    okta.addUser({ id: '00uz1', login: 'zed@example.com', factors: [{ factorType: 'claims_provider' }] });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations[0]?.mfa).toBe('unknown');
    expect(scan.warnings.join()).toMatch(/claims_provider/);
  });

  it('a user deleted between the listing and its factor call is left out, not failed', async () => {
    seedSmallOrg();
    okta.inject({ kind: 'status', status: 404, body: { errorCode: 'E0000007', errorSummary: 'Not found: Resource not found: 00ub2 (User)', errorLink: 'E0000007', errorId: 'x', errorCauses: [] } }, 1, (r) => r.path === '/api/v1/users/00ub2/factors');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.map((o) => o.login)).not.toContain('bob@example.com');
  });

  it('refuses a next link pointing at another host (the token would follow it)', async () => {
    seedSmallOrg();
    okta.inject({ kind: 'status', status: 200, body: [{ id: '00ua1', status: 'ACTIVE', profile: { login: 'a@example.com' } }], headers: { link: '<https://evil.example.com/api/v1/users?after=x>; rel="next"' } }, 1, (r) => r.path === '/api/v1/users');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/evil\.example\.com.*will not send the token/);
  });
});

describe('okta monitor: rate limits', () => {
  it('paces per-user calls by X-Rate-Limit-Remaining/Reset: a scan larger than one window gets no 429', async () => {
    okta.rateLimit = 25; // per bucket and (fake) one-second window
    okta.generateUsers(70);
    const { monitor, deps } = monitorFor({ pageSize: 200, concurrency: 8, rateLimitReserve: 0.1 }, { sleep });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(70);
    expect(okta.rateLimited).toBe(0);
    expect(deps.logs.text()).toMatch(/budget low: pausing until the window resets/);
  });

  it('a 429 (E0000047) waits for X-Rate-Limit-Reset, then goes on', async () => {
    seedSmallOrg();
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    okta.inject({ kind: 'status', status: 429, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorId: 'x', errorCauses: [] }, headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 1, (r) => r.path.endsWith('/factors'));
    const slept: number[] = [];
    const { monitor, deps } = monitorFor({}, { sleep: (ms) => (slept.push(ms), new Promise((r) => setTimeout(r, Math.min(ms, 20)))) });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(5);
    expect(slept.some((ms) => ms > 0 && ms <= 2_100)).toBe(true);
  });

  it('fails as rate_limited when the reset is past the scan deadline', async () => {
    seedSmallOrg();
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    okta.inject({ kind: 'status', status: 429, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }, headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 10);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger, { deadlineMs: 10_000 });
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('rate_limited');
    expect(err.message).toMatch(/E0000047.*longer than mfawatch may wait/);
  });
});

const oktaError = (errorCode: string, errorSummary: string) => ({ errorCode, errorSummary, errorLink: errorCode, errorId: 'oae123', errorCauses: [] });

describe('okta monitor: failures', () => {
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['401 invalid token', () => okta.inject({ kind: 'status', status: 401, body: oktaError('E0000011', 'Invalid token provided') }), 'auth', /401 \(E0000011\).*invalid, expired or revoked.*README/],
    ['403 on factors', () => okta.inject({ kind: 'status', status: 403, body: oktaError('E0000006', 'You do not have permission to perform the requested action') }, 1, (r) => r.path.endsWith('/factors')), 'permission', /403 \(E0000006\).*\/users\/\{id\}\/factors.*okta\.users\.read.*Read-Only Administrator/],
    ['404 wrong baseUrl', () => okta.inject({ kind: 'status', status: 404, body: oktaError('E0000007', 'Not found: Resource not found: users (Resource)') }), 'not_found', /404.*baseUrl does not point at an Okta org/],
    ['5xx after retries', () => okta.inject({ kind: 'status', status: 500, body: oktaError('E0000009', 'Internal Server Error') }, 10), 'server', /500 \(E0000009\).*status\.okta\.com/],
    ['truncated body', () => okta.inject({ kind: 'truncate', body: '[{"id": "00ua1", "status": "ACT' }), 'malformed', /truncated or malformed JSON/],
    ['HTML instead of JSON', () => okta.inject({ kind: 'truncate', body: '<html>login</html>', contentType: 'text/html' }), 'malformed', /unexpected shape/],
    ['valid JSON of the wrong shape (users)', () => okta.inject({ kind: 'status', status: 200, body: { users: [] } }), 'malformed', /unexpected shape/],
    ['valid JSON of the wrong shape (factors)', () => okta.inject({ kind: 'status', status: 200, body: { factors: [] } }, 1, (r) => r.path.endsWith('/factors')), 'malformed', /not a list of factors/],
    ['connection reset mid-body', () => okta.inject({ kind: 'reset' }, 10), 'network', /connection to Okta broke while reading/],
    ['connection refused', () => void okta.stop(), 'network', /could not reach Okta.*base URL/],
  ];
  it.each(cases)('%s: fails the scan with the right reason and says what to do', async (_name, inject, reason, message) => {
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
    okta.inject({ kind: 'hang' }, 10);
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    okta.generateUsers(250);
    okta.inject({ kind: 'status', status: 503, body: oktaError('E0000009', 'Internal Server Error') }, 10, (r) => r.path === '/api/v1/users' && r.query.has('after') && r.query.get('after') !== '00u000000049');
    const { monitor, deps } = monitorFor({ pageSize: 50 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(250);
  });

  it('an empty page while a next page is announced fails the scan (a missing page is not "users removed")', async () => {
    okta.generateUsers(250);
    okta.inject({ kind: 'status', status: 200, body: [], headers: { link: `<${okta.url}/api/v1/users?after=00u000000120&limit=60>; rel="next"` } }, 1, (r) => r.path === '/api/v1/users' && r.query.get('after') === '00u000000059');
    const { monitor, deps } = monitorFor({ pageSize: 60 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/incomplete \(page 2 was empty while a next page was announced\)/);
  });

  it('a next link that loops back fails the scan instead of spinning', async () => {
    okta.generateUsers(250);
    okta.inject({ kind: 'status', status: 200, body: [{ id: '00uloop', status: 'ACTIVE', profile: { login: 'loop@example.com' } }], headers: { link: `<${okta.url}/api/v1/users?after=00u000000059&limit=60>; rel="next"` } }, 1, (r) => r.path === '/api/v1/users' && r.query.get('after') === '00u000000059');
    const { monitor, deps } = monitorFor({ pageSize: 60 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).message).toMatch(/pointed back at a page already read/);
  });

  it('one factor call failing fails the whole scan (no partial page)', async () => {
    okta.generateUsers(40);
    okta.inject({ kind: 'status', status: 403, body: oktaError('E0000006', 'You do not have permission to perform the requested action') }, 1, (r) => r.path === '/api/v1/users/00u000000017/factors');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('permission');
    expect(scan.observations).toHaveLength(0);
  });
});

describe('okta monitor: secret hygiene', () => {
  it('the token appears in no error and no log line, whatever fails', async () => {
    seedSmallOrg();
    const { monitor, deps } = monitorFor();
    for (const status of [400, 401, 403, 404, 429, 500]) {
      okta.inject({ kind: 'status', status, body: { errorCode: 'E0000001', errorSummary: `echo SSWS ${TOKEN}`, errorCauses: [{ errorSummary: TOKEN }] } }, 10);
      const scan = await collectScan(monitor, deps.logger, { deadlineMs: 3_000 });
      okta.clearFaults();
      expect(String((scan.error as Error).message)).not.toContain(TOKEN);
      expect(JSON.stringify(scan.error)).not.toContain(TOKEN);
    }
    expect(deps.logs.text()).not.toContain(TOKEN);
    const config = oktaConfigSchema.parse({ id: 'o', type: 'okta', baseUrl: okta.url, token: TOKEN });
    expect(JSON.stringify(config)).not.toContain(TOKEN);
  });
});

describe('okta monitor: end to end through the CLI', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  const events = (out: CliResult) =>
    eventLines(out.stdout);

  it('baseline, then a lost factor is mfa_disabled and SMS-only is mfa_weakened', async () => {
    seedSmallOrg();
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'okta-acme', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}', detectAdmins: true, retries: 0 }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const run = () => runCli(['run', '--config', configPath], { env: { OKTA_TOKEN: TOKEN } });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(events(first).map((e) => e.type)).toEqual(['baseline']);

    okta.users.get('00ua1')!.factors = [{ factorType: 'sms' }]; // alice (super admin) drops her security key
    okta.users.get('00ug7')!.factors = [{ factorType: 'push', status: 'INACTIVE' }]; // grace loses push
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const changes = events(second).map((e) => [e.type, e.login, e.severity]);
    expect(changes).toEqual(expect.arrayContaining([
      ['mfa_weakened', 'alice@example.com', 'high'],
      ['mfa_disabled', 'grace@example.com', 'high'],
    ]));
    expect(changes).toHaveLength(2);
    expect(second.stdout + second.stderr).not.toContain(TOKEN);
  });
});
