import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { googleWorkspaceConfigSchema } from '../../monitors/google-workspace/config.js';
import { createGoogleWorkspaceMonitor, googleMfaState } from '../../monitors/google-workspace/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { DIRECTORY_READONLY, FakeGoogle, GOOGLE_TOKEN_AUD, makeServiceAccount } from '../fakes/google.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const sa = makeServiceAccount();
const KEY = JSON.stringify(sa.keyJson);
const PRIVATE_KEY_LINE = sa.keyJson.private_key.split('\n')[5] ?? 'unreachable';
const ADMIN = 'admin@acme.example';

let google: FakeGoogle;
beforeEach(async () => {
  google = new FakeGoogle();
  google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY] });
  await google.start();
});
afterEach(async () => {
  await google.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = googleWorkspaceConfigSchema.parse({ id: 'gws', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY, apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 2, ...over });
  const deps = testDeps();
  return { monitor: createGoogleWorkspaceMonitor(config, deps), deps };
}

function seedDomain(): void {
  google.addUser({ id: '1001', primaryEmail: ADMIN, fullName: 'Ada Admin', isAdmin: true, isEnrolledIn2Sv: true, isEnforcedIn2Sv: true });
  google.addUser({ id: '1002', primaryEmail: 'bob@acme.example', fullName: 'Bob B', isEnrolledIn2Sv: false, isEnforcedIn2Sv: false });
  google.addUser({ id: '1003', primaryEmail: 'carol@acme.example', isDelegatedAdmin: true, isEnrolledIn2Sv: true });
  google.addUser({ id: '1004', primaryEmail: 'sus@acme.example', suspended: true, isEnrolledIn2Sv: false });
  google.addUser({ id: '1005', primaryEmail: 'arch@acme.example', archived: true, isEnrolledIn2Sv: false });
  google.addUser({ id: '1006', primaryEmail: 'dan@acme.example', isEnrolledIn2Sv: false, isEnforcedIn2Sv: true });
}

describe('google-workspace monitor: field mapping', () => {
  it.each([
    [{ isEnrolledIn2Sv: true, isEnforcedIn2Sv: true }, 'enabled', ['2sv', '2sv_enforced']],
    [{ isEnrolledIn2Sv: true, isEnforcedIn2Sv: false }, 'enabled', ['2sv']],
    [{ isEnrolledIn2Sv: false, isEnforcedIn2Sv: true }, 'disabled', ['2sv_enforced']],
    [{ isEnrolledIn2Sv: false }, 'disabled', []],
    [{}, 'unknown', []],
  ] as const)('%j → %s', (fields, state, factors) => {
    expect(googleMfaState(fields)).toEqual({ mfa: state, factors });
  });
});

describe('google-workspace monitor: what it reports', () => {
  it('signs a domain-wide-delegation JWT, lists users, skips suspended and archived users', async () => {
    seedDomain();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const byLogin = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(Object.keys(byLogin).sort()).toEqual([ADMIN, 'bob@acme.example', 'carol@acme.example', 'dan@acme.example']);
    expect(byLogin[ADMIN]).toMatchObject({ accountId: '1001', email: ADMIN, displayName: 'Ada Admin', kind: 'user', admin: true, mfa: 'enabled', url: 'https://admin.google.com/ac/users/1001' });
    expect(byLogin['bob@acme.example']).toMatchObject({ admin: false, mfa: 'disabled' });
    expect(byLogin['carol@acme.example']).toMatchObject({ admin: true, mfa: 'enabled' });
    expect(byLogin['dan@acme.example']).toMatchObject({ mfa: 'disabled', factors: ['2sv_enforced'] });
    // the assertion google-auth-library signed, as Google checks it
    expect(google.assertions).toHaveLength(1);
    expect(google.assertions[0]).toMatchObject({ iss: sa.email, sub: ADMIN, scope: DIRECTORY_READONLY, aud: GOOGLE_TOKEN_AUD });
    const list = google.listRequests()[0]!;
    expect(list.query.get('customer')).toBe('my_customer');
    expect(list.query.get('maxResults')).toBe('500');
    expect(list.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(scan.requests).toBe(2); // token + one page
    expect(scan.warnings).toEqual([expect.stringMatching(/SMS-only 2SV is reported as enabled, not weak/)]);
  });

  it('reads the key from serviceAccountKeyFile', async () => {
    seedDomain();
    const dir = tempDir();
    try {
      const file = join(dir.path, 'sa.json');
      writeFileSync(file, KEY, { mode: 0o600 });
      const { monitor, deps } = monitorFor({ serviceAccountKey: undefined, serviceAccountKeyFile: file });
      const scan = await collectScan(monitor, deps.logger);
      expect(scan.error).toBeUndefined();
      expect(scan.observations).toHaveLength(4);
    } finally {
      dir.cleanup();
    }
  });

  it('pages with maxResults and nextPageToken over 3+ pages, one token for the whole scan', async () => {
    google.addUser({ id: '1', primaryEmail: ADMIN, isAdmin: true, isEnrolledIn2Sv: true });
    google.generateUsers(1_100);
    const { monitor, deps } = monitorFor({ pageSize: 300 });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const active = [...google.users.values()].filter((u) => !u.suspended);
    expect(scan.observations).toHaveLength(active.length);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(active.length);
    const lists = google.listRequests();
    expect(lists).toHaveLength(4);
    expect(lists.every((r) => r.query.get('maxResults') === '300')).toBe(true);
    expect(lists.slice(1).every((r) => Boolean(r.query.get('pageToken')))).toBe(true);
    expect(google.assertions).toHaveLength(1);
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(active.filter((u) => !u.isEnrolledIn2Sv).length);
  });

  it('a user without the 2SV fields is unknown (with a warning), never disabled', async () => {
    seedDomain();
    google.addUser({ id: '1009', primaryEmail: 'eve@acme.example' });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.find((o) => o.login === 'eve@acme.example')?.mfa).toBe('unknown');
    expect(scan.warnings.join()).toMatch(/1 of 5 users/);
  });

  it('fails with a permission error when no user shows a 2SV state', async () => {
    google.addUser({ id: '1', primaryEmail: ADMIN, isAdmin: true });
    google.addUser({ id: '2', primaryEmail: 'b@acme.example' });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('permission');
    expect((scan.error as ProviderError).message).toMatch(/no 2-Step Verification state/);
  });
});

const googleError = (code: number, message: string, reason: string, status: string) => ({ error: { code, message, errors: [{ message, domain: 'global', reason }], status } });

describe('google-workspace monitor: token failures', () => {
  it('domain-wide delegation missing the scope → permission, naming the client id and the scope', async () => {
    seedDomain();
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: ['https://www.googleapis.com/auth/admin.directory.group.readonly'] });
    const { monitor, deps } = monitorFor();
    const err = (await collectScan(monitor, deps.logger)).error as ProviderError;
    expect(err.reason).toBe('permission');
    expect(err.message).toMatch(/unauthorized_client.*domain-wide delegation.*104729582216913650001.*admin\.directory\.user\.readonly.*Admin console/);
  });

  it('a subject that is not a user → auth, saying to fix "subject"', async () => {
    seedDomain();
    const { monitor, deps } = monitorFor({ subject: 'nobody@acme.example' });
    const err = (await collectScan(monitor, deps.logger)).error as ProviderError;
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/invalid_grant: Invalid email or User ID.*nobody@acme\.example/);
  });

  it('a key Google does not know (deleted, or signature mismatch) → auth', async () => {
    seedDomain();
    const other = makeServiceAccount(sa.email);
    const { monitor, deps } = monitorFor({ serviceAccountKey: JSON.stringify(other.keyJson) });
    const err = (await collectScan(monitor, deps.logger)).error as ProviderError;
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/Invalid JWT Signature.*create a new key/);
  });

  it.each([
    ['not JSON', 'not-json{', /not valid JSON/],
    ['not a service account key', JSON.stringify({ type: 'authorized_user', client_id: 'x' }), /not a service-account JSON key/],
  ])('a key that is %s fails before any request', async (_n, key, message) => {
    const { monitor, deps } = monitorFor({ serviceAccountKey: key });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).message).toMatch(message);
    expect(google.requests).toHaveLength(0);
  });

  it('a token endpoint 5xx is retried, then fails as server', async () => {
    seedDomain();
    google.inject({ kind: 'status', status: 503, body: { error: 'internal_failure', error_description: 'backend error' } }, 10, (r) => r.path === '/token');
    const { monitor, deps } = monitorFor();
    const err = (await collectScan(monitor, deps.logger)).error as ProviderError;
    expect(err.reason).toBe('server');
    expect(google.requests.filter((r) => r.path === '/token')).toHaveLength(3);
  });

  it('a missing key file says which path', async () => {
    const { monitor, deps } = monitorFor({ serviceAccountKey: undefined, serviceAccountKeyFile: '/nonexistent/sa.json' });
    const err = (await collectScan(monitor, deps.logger)).error as ProviderError;
    expect(err.message).toMatch(/cannot read serviceAccountKeyFile \/nonexistent\/sa\.json \(ENOENT\)/);
  });
});

describe('google-workspace monitor: Directory API failures', () => {
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['401', () => google.inject({ kind: 'status', status: 401, body: googleError(401, 'Request had invalid authentication credentials.', 'authError', 'UNAUTHENTICATED') }, 1, (r) => r.path !== '/token'), 'auth', /401.*access token was refused/],
    ['403 not an admin', () => google.inject({ kind: 'status', status: 403, body: googleError(403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED') }, 1, (r) => r.path !== '/token'), 'permission', /403.*admin@acme\.example is not an administrator.*Users → Read/],
    ['403 API disabled', () => (google.apiDisabled = true), 'permission', /Admin SDK API is not enabled/],
    ['403 scope', () => google.inject({ kind: 'status', status: 403, body: googleError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED') }, 1, (r) => r.path !== '/token'), 'permission', /lacks the admin\.directory\.user\.readonly scope/],
    ['404', () => google.inject({ kind: 'status', status: 404, body: googleError(404, 'Domain not found.', 'notFound', 'NOT_FOUND') }, 1, (r) => r.path !== '/token'), 'not_found', /customer "my_customer".*apiRoot/],
    ['400 bad customer', () => undefined, 'client', /400.*customer "C999".*not known/],
    ['5xx after retries', () => google.inject({ kind: 'status', status: 503, body: googleError(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE') }, 10, (r) => r.path !== '/token'), 'server', /503.*appsstatus/],
    ['truncated body', () => google.inject({ kind: 'truncate', body: '{"kind":"admin#directory#users","users":[{"id":"1' }, 1, (r) => r.path !== '/token'), 'malformed', /truncated or malformed JSON/],
    ['valid JSON of the wrong shape', () => google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#groups', groups: [] } }, 1, (r) => r.path !== '/token'), 'malformed', /unexpected shape \(at kind/],
    ['wrong user shape', () => google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', users: [{ id: 5 }] } }, 1, (r) => r.path !== '/token'), 'malformed', /unexpected shape \(at users\.0/],
    ['connection refused', () => void google.stop(), 'network', /could not reach Google/],
  ];
  it.each(cases)('%s: fails the scan with the right reason and says what to do', async (name, inject, reason, message) => {
    seedDomain();
    inject();
    const { monitor, deps } = monitorFor(name === '400 bad customer' ? { customer: 'C999' } : {});
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
  });

  it('a 429 / rateLimitExceeded backs off and goes on', async () => {
    seedDomain();
    google.inject({ kind: 'status', status: 403, body: googleError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'PERMISSION_DENIED') }, 1, (r) => r.path !== '/token');
    google.inject({ kind: 'status', status: 429, body: googleError(429, 'Quota exceeded', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED'), headers: { 'retry-after': '1' } }, 1, (r) => r.path !== '/token');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(4);
  });

  it('a rate limit longer than the deadline fails as rate_limited', async () => {
    seedDomain();
    google.inject({ kind: 'status', status: 429, body: googleError(429, 'Quota exceeded', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED'), headers: { 'retry-after': '900' } }, 5, (r) => r.path !== '/token');
    const { monitor, deps } = monitorFor();
    const err = (await collectScan(monitor, deps.logger, { deadlineMs: 10_000 })).error as ProviderError;
    expect(err.reason).toBe('rate_limited');
  });

  it('a timeout fails the scan as timeout', async () => {
    seedDomain();
    google.inject({ kind: 'hang' }, 10, (r) => r.path !== '/token');
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    google.addUser({ id: '1', primaryEmail: ADMIN, isAdmin: true, isEnrolledIn2Sv: true });
    google.generateUsers(1_100);
    google.inject({ kind: 'status', status: 500, body: googleError(500, 'Backend Error', 'backendError', 'INTERNAL') }, 10, (r) => Boolean(r.query.get('pageToken')) && r.query.get('pageToken') === Buffer.from('offset:600').toString('base64url'));
    const { monitor, deps } = monitorFor({ pageSize: 300 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(1_000);
  });
});

describe('google-workspace monitor: partial listings', () => {
  it('an empty page while a next page is announced fails the scan', async () => {
    google.addUser({ id: '1', primaryEmail: ADMIN, isAdmin: true, isEnrolledIn2Sv: true });
    google.generateUsers(1_100);
    const second = Buffer.from('offset:300').toString('base64url');
    google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', etag: '"x"', nextPageToken: Buffer.from('offset:600').toString('base64url') } }, 1, (r) => r.query.get('pageToken') === second);
    const { monitor, deps } = monitorFor({ pageSize: 300 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/incomplete \(page 2 was empty while a next page was announced\)/);
  });

  it('a page token that repeats fails the scan instead of spinning', async () => {
    google.addUser({ id: '1', primaryEmail: ADMIN, isAdmin: true, isEnrolledIn2Sv: true });
    google.generateUsers(1_100);
    const second = Buffer.from('offset:300').toString('base64url');
    google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', users: [{ id: '77', primaryEmail: 'x@acme.example', isEnrolledIn2Sv: true }], nextPageToken: second } }, 1, (r) => r.query.get('pageToken') === second);
    const { monitor, deps } = monitorFor({ pageSize: 300 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).message).toMatch(/repeated an earlier page token/);
  });
});

describe('google-workspace monitor: secret hygiene', () => {
  it('neither the key, nor the private key, nor the access token appears in errors or logs', async () => {
    seedDomain();
    const { monitor, deps } = monitorFor();
    // a first good scan, to learn the access token the fake issued
    await collectScan(monitor, deps.logger);
    const issued = [...google.tokens.keys()];
    for (const [status, path] of [[400, '/token'], [401, '/admin/directory/v1/users'], [403, '/admin/directory/v1/users'], [500, '/admin/directory/v1/users']] as const) {
      google.inject({ kind: 'status', status, body: path === '/token' ? { error: 'invalid_grant', error_description: `bad ${sa.keyJson.private_key}` } : googleError(status, `echo ${issued.join(' ')} ${PRIVATE_KEY_LINE}`, 'x', 'X') }, 10, (r) => r.path === path);
      const scan = await collectScan(monitor, deps.logger);
      google.clearFaults();
      const text = `${String((scan.error as Error).message)} ${JSON.stringify(scan.error)} ${inspect(scan.error, { depth: 20 })}`;
      expect(text).not.toContain(PRIVATE_KEY_LINE);
      // the signed assertion is a credential for an hour: not even in the error's cause chain
      const assertions = google.requests.filter((r) => r.path === '/token').map((r) => new URLSearchParams(r.body).get('assertion') ?? '');
      for (const a of assertions) expect(text).not.toContain(a.split('.')[2]);
      for (const t of [...google.tokens.keys()]) expect(text).not.toContain(t);
    }
    expect(deps.logs.text()).not.toContain(PRIVATE_KEY_LINE);
    const config = googleWorkspaceConfigSchema.parse({ id: 'g', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY });
    expect(JSON.stringify(config)).not.toContain(PRIVATE_KEY_LINE);
  });

  it('the config needs exactly one of serviceAccountKey and serviceAccountKeyFile', () => {
    const none = googleWorkspaceConfigSchema.safeParse({ id: 'g', type: 'google-workspace', subject: ADMIN });
    expect(none.success).toBe(false);
    expect(JSON.stringify(none.error?.issues)).toMatch(/exactly one of serviceAccountKey/);
    const both = googleWorkspaceConfigSchema.safeParse({ id: 'g', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY, serviceAccountKeyFile: '/x' });
    expect(both.success).toBe(false);
  });
});

describe('google-workspace monitor: end to end through the CLI', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  const events = (out: CliResult) =>
    eventLines(out.stdout);

  it('baseline, then 2SV turned off is mfa_disabled (critical for a super admin)', async () => {
    seedDomain();
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'gws-acme', type: 'google-workspace', subject: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0 }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const run = () => runCli(['run', '--config', configPath], { env: { GOOGLE_SA_KEY: KEY } });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(events(first).map((e) => e.type)).toEqual(['baseline']);

    google.users.get('1001')!.isEnrolledIn2Sv = false; // the super admin drops 2SV
    google.users.get('1002')!.isEnrolledIn2Sv = true; // bob enrols
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const changes = events(second).map((e) => [e.type, e.login, e.severity]);
    expect(changes).toEqual(expect.arrayContaining([
      ['mfa_disabled', ADMIN, 'critical'],
      ['mfa_enabled', 'bob@acme.example', 'info'],
    ]));
    expect(changes).toHaveLength(2);
    expect(second.stdout + second.stderr).not.toContain(PRIVATE_KEY_LINE);
  });
});
