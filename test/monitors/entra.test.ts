import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entraConfigSchema } from '../../monitors/entra/config.js';
import { createEntraMonitor, entraMfaState } from '../../monitors/entra/index.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState } from '../../src/core/types.js';
import { FakeEntra } from '../fakes/entra.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

let fake: FakeEntra;
beforeEach(async () => {
  fake = new FakeEntra();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = entraConfigSchema.parse({
    id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret,
    loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 2, ...over,
  });
  const deps = testDeps();
  return { monitor: createEntraMonitor(config, deps, { backoffMs: 5 }), deps };
}

function seed(): void {
  fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush', 'mobilePhone'] });
  fake.add({ id: 'b2', userPrincipalName: 'bob@contoso.com', methodsRegistered: [] });
  fake.add({ id: 'c3', userPrincipalName: 'carol@contoso.com', methodsRegistered: ['mobilePhone'] });
  fake.add({ id: 'd4', userPrincipalName: 'dave_partner.com#EXT#@contoso.onmicrosoft.com', userType: 'guest', methodsRegistered: ['softwareOneTimePasscode'] });
  fake.add({ id: 'e5', userPrincipalName: 'erin@contoso.com', methodsRegistered: ['passKeyDeviceBound'] });
}

describe('entra monitor: what it reports', () => {
  it('maps report rows to observations keyed by the Entra object id, with UPN as email for members', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.accountId, o]));
    expect(by.a1).toMatchObject({ login: 'alice@contoso.com', email: 'alice@contoso.com', kind: 'member', admin: true, mfa: 'enabled', factors: ['microsoftAuthenticatorPush', 'mobilePhone'] });
    expect(by.b2).toMatchObject({ mfa: 'disabled', admin: false, factors: [] });
    expect(by.c3).toMatchObject({ mfa: 'weak', factors: ['mobilePhone'] });
    expect(by.d4).toMatchObject({ kind: 'guest', email: null, mfa: 'enabled' });
    // passKeyDeviceBound is an evolvable-enum member: only named because mfawatch sends the Prefer header
    expect(by.e5).toMatchObject({ mfa: 'enabled', factors: ['passKeyDeviceBound'] });
    expect(fake.reportRequests()[0]?.headers.prefer).toMatch(/include-unknown-enum-members/);
    expect(scan.warnings).toEqual([]);
  });

  it('asks for a token once with client credentials and the .default scope, and reuses it for the next scan', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    await collectScan(monitor, deps.logger);
    await collectScan(monitor, deps.logger);
    const tokenRequests = fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
    expect(tokenRequests).toHaveLength(1);
    const form = new URLSearchParams(tokenRequests[0]!.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe(`${fake.url}/.default`);
  });

  it('follows @odata.nextLink over several pages, every row exactly once', async () => {
    fake.pageSize = 40;
    for (let i = 0; i < 130; i++) fake.add({ id: `u${String(i).padStart(4, '0')}`, userPrincipalName: `user${i}@contoso.com`, methodsRegistered: i % 10 === 0 ? [] : ['softwareOneTimePasscode'] });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(130);
    expect(new Set(scan.observations.map((o) => o.accountId)).size).toBe(130);
    expect(fake.reportRequests()).toHaveLength(4);
    expect(fake.reportRequests()[1]?.query.get('$skiptoken')).toBeTruthy();
    expect(scan.observations.filter((o) => o.mfa === 'disabled')).toHaveLength(13);
  });

  it('leaves guests out when includeGuests is false', async () => {
    seed();
    const { monitor, deps } = monitorFor({ includeGuests: false });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations.map((o) => o.accountId).sort()).toEqual(['a1', 'b2', 'c3', 'e5']);
  });

  it('reports a method it does not know as unknown, with a warning, never as disabled', async () => {
    fake.add({ id: 'x', userPrincipalName: 'x@contoso.com', methodsRegistered: ['quantumEntanglementToken'] });
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.observations[0]?.mfa).toBe('unknown');
    expect(scan.warnings.join('\n')).toMatch(/quantumEntanglementToken.*unknown/);
  });
});

describe('entra monitor: method → MFA state table', () => {
  const table: Array<[string[], boolean | null, MfaState]> = [
    [['microsoftAuthenticatorPush'], true, 'enabled'],
    [['microsoftAuthenticatorPasswordless'], true, 'enabled'],
    [['softwareOneTimePasscode'], true, 'enabled'],
    [['hardwareOneTimePasscode'], true, 'enabled'],
    [['fido2SecurityKey'], true, 'enabled'],
    [['windowsHelloForBusiness'], true, 'enabled'],
    [['passKeyDeviceBound'], true, 'enabled'],
    [['mobilePhone', 'fido2SecurityKey'], true, 'enabled'],
    [['mobilePhone'], true, 'weak'],
    [['sms'], true, 'weak'],
    [['officePhone', 'alternateMobilePhone'], true, 'weak'],
    [['email'], false, 'weak'],
    [[], false, 'disabled'],
    [['securityQuestion'], false, 'disabled'],
    [['temporaryAccessPass'], false, 'disabled'],
    [[], true, 'unknown'],
    [[], null, 'unknown'],
    [['unknownFutureValue'], true, 'unknown'],
    [['somethingNew', 'mobilePhone'], true, 'unknown'],
  ];
  it.each(table)('%j with isMfaRegistered=%s → %s', (methods, registered, expected) => {
    expect(entraMfaState({ methodsRegistered: methods, isMfaRegistered: registered }).mfa).toBe(expected);
  });
});

describe('entra monitor: failures', () => {
  const cases: Array<[string, string, RegExp, () => void]> = [
    // The hint names the configured tenant's value (not secret) and the config key holding it.
    ['401 from Graph', 'auth', /401 \(InvalidAuthenticationToken\): the access token was refused: check that the app registration belongs to tenant "contoso\.onmicrosoft\.com" \(the config key tenantId\)/, () => fake.inject({ kind: 'status', status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } } }, 1, (r) => r.method === 'GET')],
    ['403 without AuditLog.Read.All', 'permission', /403 \(Authorization_RequestDenied\).*AuditLog\.Read\.All.*consent/, () => (fake.consented = false)],
    ['403 without a P1/P2 licence', 'permission', /P1 or P2 licence/, () => (fake.premium = false)],
    ['404 wrong graphBaseUrl', 'not_found', /404.*graphBaseUrl/, () => fake.inject({ kind: 'status', status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'nope' } } }, 1, (r) => r.method === 'GET')],
    ['429 beyond the retries', 'rate_limited', /^Microsoft Graph throttled mfawatch \(429 TooManyRequests\).*the scan will run again on schedule$/, () => fake.inject({ kind: 'status', status: 429, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } }, headers: { 'retry-after': '1' } }, 10, (r) => r.method === 'GET')],
    ['5xx after retries', 'server', /503.*status\.cloud\.microsoft/, () => fake.inject({ kind: 'status', status: 503, body: { error: { code: 'serviceNotAvailable', message: 'down' } } }, 10, (r) => r.method === 'GET')],
    ['truncated body', 'malformed', /truncated or malformed JSON/, () => fake.inject({ kind: 'truncate', body: '{"value":[{"id":"a1","userPrincipalName":"al' }, 1, (r) => r.method === 'GET')],
    ['valid JSON of the wrong shape', 'malformed', /unexpected shape \(at value/, () => fake.inject({ kind: 'status', status: 200, body: { users: [] } }, 1, (r) => r.method === 'GET')],
    ['a row without its id', 'malformed', /unexpected shape \(at value\.0\.id/, () => fake.inject({ kind: 'status', status: 200, body: { value: [{ userPrincipalName: 'x@contoso.com' }] } }, 1, (r) => r.method === 'GET')],
    ['wrong client secret', 'auth', /invalid_client AADSTS7000215.*secret is wrong/, () => (fake.clientSecret = 'another')],
    ['unknown tenant', 'auth', /AADSTS90002\): tenant "contoso\.onmicrosoft\.com" was not found: check the config key tenantId/, () => (fake.tenantId = 'elsewhere.onmicrosoft.com')],
    ['unknown client id', 'auth', /AADSTS700016.*no application with this clientId/, () => (fake.clientId = 'other-app')],
  ];
  it.each(cases)('%s fails the scan (%s) and says what to do', async (_name, reason, message, arrange) => {
    seed();
    const { monitor, deps } = monitorFor();
    arrange();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('entra~test~client~secret~value');
  });

  it('a 429 with Retry-After is waited out, then the scan goes on', async () => {
    seed();
    fake.inject({ kind: 'status', status: 429, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } }, headers: { 'retry-after': '1' } }, 1, (r) => r.method === 'GET');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(5);
  });

  it('a timeout fails the scan as timeout', async () => {
    seed();
    fake.inject({ kind: 'hang' }, 10, (r) => r.method === 'GET');
    const { monitor, deps } = monitorFor({ requestTimeout: '300ms', retries: 0 });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
  });

  it('a page failing mid-pagination fails the whole scan', async () => {
    fake.pageSize = 10;
    for (let i = 0; i < 35; i++) fake.add({ id: `u${String(i).padStart(3, '0')}`, userPrincipalName: `u${i}@contoso.com`, methodsRegistered: ['fido2SecurityKey'] });
    fake.inject({ kind: 'status', status: 500, body: { error: { code: 'generalException', message: 'x' } } }, 10, (r) => r.query.has('$skiptoken') && fake.reportRequests().length >= 3);
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('server');
    expect(scan.observations.length).toBeLessThan(35);
  });

  it('refuses an @odata.nextLink that points away from graphBaseUrl (the token would follow it)', async () => {
    seed();
    fake.inject({ kind: 'status', status: 200, body: { value: [], '@odata.nextLink': 'https://attacker.example/v1.0/reports' } }, 1, (r) => r.method === 'GET');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as Error).message).toMatch(/nextLink outside graphBaseUrl/);
  });
});

describe('entra monitor: token lifetime', () => {
  it('forgets a token Graph refused (401), so the next scan asks for a new one', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    expect((await collectScan(monitor, deps.logger)).error).toBeUndefined();
    fake.tokensIssued.length = 0; // e.g. revoked
    expect(((await collectScan(monitor, deps.logger)).error as ProviderError).reason).toBe('auth');
    expect((await collectScan(monitor, deps.logger)).error).toBeUndefined();
    expect(fake.requests.filter((r) => r.path.endsWith('/token'))).toHaveLength(2);
  });
});

describe('entra monitor: secret hygiene', () => {
  it('neither the client secret nor the access token appears in errors or logs', async () => {
    seed();
    const { monitor, deps } = monitorFor();
    for (const status of [400, 401, 403, 404, 500]) {
      fake.inject({ kind: 'status', status, body: { error: { code: 'X', message: `echo ${fake.clientSecret} ${fake.tokensIssued.at(-1) ?? ''}` } } }, 10, (r) => r.method === 'GET');
      const scan = await collectScan(monitor, deps.logger);
      fake.clearFaults();
      const text = `${(scan.error as Error).message} ${JSON.stringify(scan.error)}`;
      expect(text).not.toContain(fake.clientSecret);
      for (const t of fake.tokensIssued) expect(text).not.toContain(t);
    }
    fake.clientSecret = 'rotated';
    const stale = createEntraMonitor(entraConfigSchema.parse({ id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: 'entra~test~client~secret~value', loginBaseUrl: fake.url, graphBaseUrl: fake.url }), deps);
    const refused = await collectScan(stale, deps.logger);
    expect(String((refused.error as Error).message)).not.toContain('entra~test~client~secret~value');
    const logs = deps.logs.text();
    expect(logs).not.toContain('entra~test~client~secret~value');
    for (const t of fake.tokensIssued) expect(logs).not.toContain(t);
  });
});

describe('entra monitor: end to end through the CLI', () => {
  it('baseline, then alice loses her authenticator (weak) and bob registers one (enabled)', async () => {
    seed();
    const dir = tempDir();
    try {
      const configPath = writeConfig(dir.path, {
        database: './state.db',
        monitors: [{ id: 'entra-contoso', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${ENTRA_SECRET}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0 }],
        notifiers: [{ id: 'siem', type: 'stdout' }],
      });
      const run = () => runCli(['run', '--config', configPath], { env: { ENTRA_SECRET: fake.clientSecret } });
      const events = (out: CliResult) => eventLines(out.stdout);
      const first = await run();
      expect(first.code).toBe(0);
      expect(events(first).map((e) => e.type)).toEqual(['baseline']);
      fake.users.get('a1')!.methodsRegistered = ['mobilePhone'];
      fake.users.get('b2')!.methodsRegistered = ['fido2SecurityKey'];
      const second = await run();
      expect(second.code).toBe(0);
      expect(events(second).map((e) => [e.type, e.login, e.severity]).sort()).toEqual([
        ['mfa_enabled', 'bob@contoso.com', 'info'],
        ['mfa_weakened', 'alice@contoso.com', 'high'],
      ]);
      expect(second.stderr).not.toContain(fake.clientSecret);
    } finally {
      dir.cleanup();
    }
  });
});
