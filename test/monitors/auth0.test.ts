import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth0ConfigSchema } from '../../monitors/auth0/config.js';
import { auth0MfaState, createAuth0Monitor } from '../../monitors/auth0/index.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState } from '../../src/core/types.js';
import { FakeAuth0, type FakeAuth0Method } from '../fakes/auth0.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

let fake: FakeAuth0;
beforeEach(async () => {
  fake = new FakeAuth0();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = auth0ConfigSchema.parse({ id: 'a0', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: fake.clientSecret, baseUrl: fake.url, retries: 2, exportPollInterval: '10ms', ...over });
  const deps = testDeps();
  return { monitor: createAuth0Monitor(config, deps, { backoffMs: 5 }), deps };
}

const pad = (i: number) => String(i).padStart(5, '0');
function generate(n: number, methods: (i: number) => FakeAuth0Method[] = (i) => (i % 10 === 3 ? [] : [{ type: 'totp' }])): void {
  for (let i = 0; i < n; i++) fake.add({ user_id: `auth0|${pad(i)}`, email: `user${i}@example.com`, created_at: `2025-01-01T00:00:00.${pad(i)}Z`, methods: methods(i) });
}

function seed(): void {
  fake.add({ user_id: 'auth0|alice', email: 'Alice@Example.com', name: 'Alice', created_at: '2025-01-01T00:00:01Z', methods: [{ type: 'webauthn-roaming' }, { type: 'recovery-code' }] });
  fake.add({ user_id: 'auth0|bob', email: 'bob@example.com', created_at: '2025-01-01T00:00:02Z', methods: [] });
  fake.add({ user_id: 'auth0|carol', email: 'carol@example.com', created_at: '2025-01-01T00:00:03Z', methods: [{ type: 'phone', preferred_authentication_method: 'sms' }] });
  fake.add({ user_id: 'google-oauth2|104', email: 'dave@example.com', created_at: '2025-01-01T00:00:04Z', methods: [{ type: 'totp', confirmed: false }] });
  fake.add({ user_id: 'auth0|blocked', email: 'eve@example.com', blocked: true, created_at: '2025-01-01T00:00:05Z', methods: [] });
}

describe('auth0 monitor: what it reports', () => {
  it('maps users and their confirmed methods to observations keyed by user_id; blocked users are left out', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.accountId, o]));
    expect(Object.keys(by).sort()).toEqual(['auth0|alice', 'auth0|bob', 'auth0|carol', 'google-oauth2|104']);
    expect(by['auth0|alice']).toMatchObject({ login: 'alice@example.com', email: 'alice@example.com', displayName: 'Alice', kind: 'user', admin: false, mfa: 'enabled', factors: ['webauthn-roaming'] });
    expect(by['auth0|bob']).toMatchObject({ mfa: 'disabled', factors: [] });
    expect(by['auth0|carol']).toMatchObject({ mfa: 'weak', factors: ['sms'] });
    // an unfinished (unconfirmed) enrolment is not MFA
    expect(by['google-oauth2|104']).toMatchObject({ mfa: 'disabled' });
    expect(fake.methodRequests()).toHaveLength(4);
    const token = fake.requests.find((r) => r.path === '/oauth/token')!;
    expect(new URLSearchParams(token.body).get('audience')).toBe(`https://${fake.domain}/api/v2/`);
    expect(scan.rateLimit?.remaining).toBeGreaterThan(0);
  });

  it('pages through page/per_page=100 with include_totals, with bounded concurrency for the per-user calls', async () => {
    generate(250);
    const { monitor, deps } = monitorFor({ concurrency: 3 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(250);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(250);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(25);
    const listings = fake.requests.filter((r) => r.path === '/api/v2/users');
    expect(listings.map((r) => [r.query.get('page'), r.query.get('per_page'), r.query.get('include_totals')])).toEqual([['0', '100', 'true'], ['1', '100', 'true'], ['2', '100', 'true']]);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    expect(fake.jobs.size).toBe(0);
  });

  it('reads a tenant of 1,000+ users through a users-export job (gzipped NDJSON), never past the listing limit', async () => {
    generate(1050);
    const { monitor, deps } = monitorFor({ concurrency: 8 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(1050);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(1050);
    expect(fake.jobs.size).toBe(1);
    const exportRequest = fake.requests.find((r) => r.path === '/api/v2/jobs/users-exports')!;
    expect(JSON.parse(exportRequest.body)).toMatchObject({ format: 'json', fields: expect.arrayContaining([{ name: 'user_id' }, { name: 'email' }]) });
    expect(fake.requests.filter((r) => r.path.startsWith('/api/v2/jobs/job_')).length).toBeGreaterThanOrEqual(2);
    // the download carries no credentials
    expect(fake.requests.find((r) => r.path.startsWith('/exports/'))?.headers.authorization).toBeUndefined();
    expect(fake.requests.filter((r) => r.path === '/api/v2/users')).toHaveLength(1);
  });

  it('skips a user deleted between the listing and the method look-up', async () => {
    seed();
    fake.inject({ kind: 'status', status: 404, body: { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' } }, 1, (r) => r.path.includes('auth0%7Cbob'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.map((o) => o.accountId)).not.toContain('auth0|bob');
    expect(scan.observations).toHaveLength(3);
  });

  it('paces itself by x-ratelimit-remaining/reset and completes without being refused', async () => {
    generate(30);
    fake.bucketSize = 12;
    fake.bucketRemaining = 12;
    fake.windowReset = Date.now() + 1000;
    const { monitor, deps } = monitorFor({ concurrency: 2 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(30);
  });
});

describe('auth0 monitor: method → MFA state table', () => {
  const table: Array<[FakeAuth0Method[], MfaState]> = [
    [[{ type: 'totp' }], 'enabled'],
    [[{ type: 'push' }], 'enabled'],
    [[{ type: 'webauthn-roaming' }], 'enabled'],
    [[{ type: 'webauthn-platform' }], 'enabled'],
    [[{ type: 'passkey' }], 'enabled'],
    [[{ type: 'guardian' }], 'enabled'],
    [[{ type: 'phone', preferred_authentication_method: 'sms' }, { type: 'totp' }], 'enabled'],
    [[{ type: 'phone', preferred_authentication_method: 'sms' }], 'weak'],
    [[{ type: 'phone', preferred_authentication_method: 'voice' }], 'weak'],
    [[{ type: 'email' }], 'weak'],
    [[], 'disabled'],
    [[{ type: 'password' }], 'disabled'],
    [[{ type: 'recovery-code' }], 'disabled'],
    [[{ type: 'totp', confirmed: false }], 'disabled'],
    [[{ type: 'totp', confirmed: false }, { type: 'email' }], 'weak'],
    [[{ type: 'brain-scan' }], 'unknown'],
    [[{ type: 'brain-scan' }, { type: 'phone' }], 'unknown'],
  ];
  it.each(table)('%j → %s', (methods, expected) => {
    expect(auth0MfaState(methods).mfa).toBe(expected);
  });
});

describe('auth0 monitor: failures', () => {
  const mgmt = (r: { path: string }) => r.path.startsWith('/api/v2/');
  const body = (statusCode: number, error: string, message: string, errorCode?: string) => ({ statusCode, error, message, ...(errorCode ? { errorCode } : {}) });
  const cases: Array<[string, string, RegExp, () => void]> = [
    ['401 from the Management API', 'auth', /401.*token was refused/, () => fake.inject({ kind: 'status', status: 401, body: body(401, 'Unauthorized', 'Invalid token') }, 1, mgmt)],
    ['403 missing read:authentication_methods', 'permission', /403 \(insufficient_scope\).*read:authentication_methods.*grant read:users and read:authentication_methods/, () => (fake.scopes = ['read:users'])],
    ['404', 'not_found', /404.*check "domain"/, () => fake.inject({ kind: 'status', status: 404, body: body(404, 'Not Found', 'Not Found') }, 1, mgmt)],
    ['429 past the deadline', 'rate_limited', /429|rate limit/, () => fake.inject({ kind: 'status', status: 429, body: body(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests'), headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) } }, 10, mgmt)],
    ['5xx after retries', 'server', /503.*status\.auth0\.com/, () => fake.inject({ kind: 'status', status: 503, body: body(503, 'Service Unavailable', 'down') }, 10, mgmt)],
    ['truncated body', 'malformed', /truncated or malformed JSON/, () => fake.inject({ kind: 'truncate', body: '{"start":0,"limit":100,"users":[{"user_id":"au' }, 1, mgmt)],
    ['valid JSON of the wrong shape', 'malformed', /unexpected shape/, () => fake.inject({ kind: 'status', status: 200, body: [{ user_id: 'auth0|x' }] }, 1, mgmt)],
    ['methods of the wrong shape', 'malformed', /authentication-methods with a body of an unexpected shape/, () => fake.inject({ kind: 'status', status: 200, body: { authenticators: 'x' } }, 1, (r) => r.path.endsWith('/authentication-methods'))],
    ['wrong client secret', 'auth', /token request \(401 access_denied\).*client id or client secret is wrong/, () => (fake.clientSecret = 'rotated')],
    ['no client grant for the Management API', 'permission', /not authorised for the Auth0 Management API/, () => (fake.scopes = null)],
  ];
  it.each(cases)('%s fails the scan (%s) and says what to do', async (_name, reason, message, arrange) => {
    seed();
    const { monitor, deps } = monitorFor();
    arrange();
    const scan = await collectScan(monitor, deps.logger, { deadlineMs: 20_000 });
    const err = scan.error as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('auth0-test-client-secret-value-xyz');
  });

  it('waits out a 429 until x-ratelimit-reset, then goes on', async () => {
    seed();
    fake.inject({ kind: 'status', status: 429, body: { statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1) } }, 1, (r) => r.path.endsWith('/authentication-methods'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(4);
  });

  it('a timeout fails the scan as timeout', async () => {
    seed();
    fake.inject({ kind: 'hang' }, 100, (r) => r.path.endsWith('/authentication-methods'));
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    expect(((await collectScan(monitor, deps.logger)).error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    generate(250);
    fake.inject({ kind: 'status', status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'x' } }, 10, (r) => r.path === '/api/v2/users' && r.query.get('page') === '2');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(250);
  });

  it('a user list that shrinks during the listing (a skipped user) fails the scan', async () => {
    generate(150);
    fake.inject({ kind: 'status', status: 200, body: { start: 100, limit: 100, length: 40, total: 150, users: [...Array(40).keys()].map((i) => ({ user_id: `auth0|x${i}` })) } }, 1, (r) => r.path === '/api/v2/users' && r.query.get('page') === '1');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as Error).message).toMatch(/changed during the scan \(140 users read, 150 listed\)/);
  });

  it('an export job that fails fails the scan', async () => {
    generate(1000, () => []);
    fake.inject({ kind: 'status', status: 200, body: { id: 'job_x', status: 'failed', type: 'users_export' } }, 1, (r) => r.path.startsWith('/api/v2/jobs/job_'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as Error).message).toMatch(/users-export job job_x ended as "failed"/);
  });

  it('a truncated export file fails the scan', async () => {
    generate(1000, () => []);
    fake.inject({ kind: 'truncate', body: '\x1f\x8b\x08\x00garbage', contentType: 'application/gzip' }, 1, (r) => r.path.startsWith('/exports/'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as Error).message).toMatch(/export file is truncated or not gzip/);
  });

  it('neither the client secret nor the token appears in errors or logs', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    for (const status of [400, 401, 403, 404, 500]) {
      fake.inject({ kind: 'status', status, body: { statusCode: status, error: 'x', message: `echo ${fake.clientSecret} ${fake.tokensIssued.at(-1) ?? ''}` } }, 10, mgmt);
      const scan = await collectScan(monitor, deps.logger);
      fake.clearFaults();
      const text = `${(scan.error as Error).message} ${JSON.stringify(scan.error)}`;
      expect(text).not.toContain(fake.clientSecret);
      for (const t of fake.tokensIssued) expect(text).not.toContain(t);
    }
    const logs = deps.logs.text();
    expect(logs).not.toContain(fake.clientSecret);
    for (const t of fake.tokensIssued) expect(logs).not.toContain(t);
    expect(JSON.stringify(auth0ConfigSchema.parse({ id: 'a', type: 'auth0', domain: 'x.auth0.com', clientId: 'c', clientSecret: fake.clientSecret }))).not.toContain(fake.clientSecret);
  });
});

describe('auth0 monitor: end to end through the CLI', () => {
  it('baseline, then alice removes her security key (disabled) and carol enrols TOTP (enabled)', async () => {
    seed();
    const dir = tempDir();
    try {
      const configPath = writeConfig(dir.path, {
        database: './state.db',
        monitors: [{ id: 'auth0-acme', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${AUTH0_SECRET}', baseUrl: fake.url, retries: 0 }],
        notifiers: [{ id: 'siem', type: 'stdout' }],
      });
      const run = () => runCli(['run', '--config', configPath], { env: { AUTH0_SECRET: fake.clientSecret } });
      const events = (out: CliResult) => eventLines(out.stdout);
      const first = await run();
      expect(first.code).toBe(0);
      expect(events(first).map((e) => e.type)).toEqual(['baseline']);
      fake.users.get('auth0|alice')!.methods = [{ type: 'recovery-code' }];
      fake.users.get('auth0|carol')!.methods.push({ type: 'totp' });
      const second = await run();
      expect(second.code).toBe(0);
      expect(events(second).map((e) => [e.type, e.login, e.severity]).sort()).toEqual([
        ['mfa_disabled', 'alice@example.com', 'high'],
        ['mfa_enabled', 'carol@example.com', 'info'],
      ]);
      expect(second.stderr).not.toContain(fake.clientSecret);
    } finally {
      dir.cleanup();
    }
  });
});

describe('auth0 monitor: token reuse', () => {
  it('reuses the token across scans (Auth0 counts M2M tokens against a quota) and drops it after a 401', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    await collectScan(monitor, deps.logger);
    await collectScan(monitor, deps.logger);
    expect(fake.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    fake.tokensIssued.length = 0;
    expect(((await collectScan(monitor, deps.logger)).error as ProviderError).reason).toBe('auth');
    expect((await collectScan(monitor, deps.logger)).error).toBeUndefined();
    expect(fake.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(2);
  });
});
