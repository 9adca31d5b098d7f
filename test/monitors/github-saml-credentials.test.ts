/**
 * GitHub SAML SSO credential authorisations (samlCredentials): each member's authorised SSH keys
 * and tokens as Observation.credentials, read from GET /orgs/{org}/credential-authorizations.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { githubConfigSchema } from '../../monitors/github/config.js';
import { createGithubMonitor, githubCredentialId } from '../../monitors/github/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { Store } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const TOKEN = 'ghp_saml_owner_token';
const credentialRequests = () => gh.requests.filter((r) => r.path.endsWith('/credential-authorizations'));

let gh: FakeGitHub;
beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.samlSso = true;
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'Bob', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'carol', role: 'member', twoFactor: 'enabled' });
  gh.addOutsideCollaborator({ id: 10, login: 'victor', twoFactor: 'enabled' });
  await gh.start();
});
afterEach(async () => {
  await gh.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = githubConfigSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: TOKEN, baseUrl: gh.url, retries: 1, samlCredentials: true, ...over });
  const deps = testDeps();
  return { monitor: createGithubMonitor(config, deps, { retryAfterBaseValue: 5 }), deps };
}

describe('github samlCredentials: the scan', () => {
  it('reports each member\'s authorised SSH keys and tokens as stable ids, paged 100 at a time', async () => {
    gh.authorizeCredential('alice', 'SSH key'); // 7000
    gh.authorizeCredential('bob', 'personal access token'); // 7001 (logins are case-insensitive)
    for (let i = 0; i < 120; i++) gh.authorizeCredential('alice', 'personal access token');
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.warnings).toEqual([]);
    const byLogin = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(byLogin.alice?.credentials).toHaveLength(121);
    expect(byLogin.alice?.credentials).toContain('ssh_key:7000');
    expect(byLogin.alice?.credentials).toContain('token:7121');
    expect(byLogin.Bob?.credentials).toEqual(['token:7001']);
    expect(byLogin.carol?.credentials).toEqual([]);
    // Outside collaborators are not subject to the org's SAML SSO: nothing is said about them.
    expect(byLogin.victor?.credentials).toBeUndefined();
    const requests = credentialRequests();
    expect(requests).toHaveLength(2);
    for (const r of requests) expect(r.query.get('per_page')).toBe('100');
  });

  it('is off by default: no request, no credentials', async () => {
    gh.authorizeCredential('alice', 'SSH key');
    const { monitor, deps } = monitorFor({ samlCredentials: undefined });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(credentialRequests()).toHaveLength(0);
    expect(scan.observations.every((o) => o.credentials === undefined)).toBe(true);
  });

  it('an org without SAML SSO (404): the scan succeeds with a warning and reports no credentials', async () => {
    gh.samlSso = false;
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(4);
    expect(scan.observations.every((o) => o.credentials === undefined)).toBe(true);
    expect(scan.warnings).toEqual([expect.stringMatching(/samlCredentials is on, but GitHub answered 404 .*credential-authorizations.*acme does not use SAML SSO.*not watched/)]);
  });

  it('a 403 (not an owner\'s token): warning, no credentials; a 403 for SAML enforcement fails the scan with its own advice', async () => {
    gh.inject({ kind: 'status', status: 403, body: { message: 'Must have admin rights to Organization.', documentation_url: 'https://docs.github.com/rest' } }, 1, (r) => r.path.endsWith('/credential-authorizations'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations.every((o) => o.credentials === undefined)).toBe(true);
    expect(scan.warnings).toEqual([expect.stringMatching(/answered 403 .*not an organisation owner's with read:org.*monitors\/github\/README\.md/)]);

    gh.inject({ kind: 'status', status: 403, body: { message: 'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.', documentation_url: 'https://docs.github.com/rest' } }, 1, (r) => r.path.endsWith('/credential-authorizations'));
    const refused = await collectScan(monitor, deps.logger);
    expect(refused.error).toBeInstanceOf(ProviderError);
    expect((refused.error as ProviderError).message).toMatch(/403 for GET \/orgs\/acme\/credential-authorizations.*enforces SAML SSO/);
  });

  it('any other failure of the listing fails the scan (no silent "no credentials")', async () => {
    gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 5, (r) => r.path.endsWith('/credential-authorizations'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    expect((scan.error as ProviderError).message).toMatch(/502 for GET \/orgs\/acme\/credential-authorizations after retries/);
  });

  it('a body that is not a list of authorisations fails the scan', async () => {
    gh.inject({ kind: 'status', status: 200, body: { message: 'hello' } }, 1, (r) => r.path.endsWith('/credential-authorizations'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).message).toMatch(/not a list of credential authorisations/);
  });

  it('a listing that stops before the page its first Link header names as last fails the scan', async () => {
    for (let i = 0; i < 150; i++) gh.authorizeCredential('carol', 'personal access token');
    gh.inject({ kind: 'rewrite', rewrite: (a) => ({ ...a, headers: { ...a.headers, link: (a.headers.link ?? '').split(', ').filter((l) => !l.endsWith('rel="next"')).join(', ') } }) }, 1, (r) => r.path.endsWith('/credential-authorizations'));
    const { monitor, deps } = monitorFor();
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).message).toMatch(/credential-authorizations with a partial listing \(it ended after page 1 of 2\)/);
  });

  it('readAccount reads the member\'s credentials (login filter) with the same ids as a scan', async () => {
    gh.authorizeCredential('bob', 'SSH key');
    gh.authorizeCredential('alice', 'personal access token');
    const { monitor, deps } = monitorFor();
    const scanned = (await collectScan(monitor, deps.logger)).observations.find((o) => o.login === 'Bob');
    const reading = await monitor.readAccount!({ id: '', label: 'acme' }, { accountId: '2' }, AbortSignal.timeout(10_000));
    expect(reading.status).toBe('present');
    if (reading.status !== 'present') return;
    expect(reading.observation.credentials).toEqual(['ssh_key:7000']);
    expect(reading.observation.credentials).toEqual(scanned?.credentials);
    expect(credentialRequests().at(-1)?.query.get('login')).toBe('Bob');
  });

  it('credential ids: provider text never reaches the id unreduced', () => {
    expect(githubCredentialId('SSH key', 5)).toBe('ssh_key:5');
    expect(githubCredentialId('OAuth app token', 6)).toBe('token:6');
    expect(githubCredentialId('<b>GPG\nkey</b>', 7)).toBe('b_gpg_key_b:7');
    expect(githubCredentialId('!!!', 8)).toBe('credential:8');
  });
});

describe('github samlCredentials: through the scan and the diff', () => {
  const clock = new PinnedClock();
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let configPath: string;
  const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN }, overrides: { store, clock } });
  const changes = async () => {
    const out = JSON.parse((await runCli(['events', '--json', '--config', configPath], { env: { GH_TOKEN: TOKEN }, overrides: { store, clock } })).stdout) as { events: Array<{ type: string; login: string | null; severity: string; summary?: string }> };
    return out.events.filter((e) => e.type !== 'baseline');
  };

  beforeEach(() => {
    dir = tempDir();
    store = Store.open(join(dir.path, 'state.db'));
    configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, samlCredentials: true }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
  });
  afterEach(() => {
    store.close();
    dir.cleanup();
  });

  it('a newly authorised SSH key raises one credential_added (medium; high for an owner), never on baseline, not again next scan', async () => {
    gh.authorizeCredential('alice', 'personal access token');
    expect((await run()).code).toBe(0);
    expect(await changes()).toEqual([]);

    clock.advance(3_600_000);
    gh.authorizeCredential('bob', 'SSH key'); // 7001
    expect((await run()).code).toBe(0);
    expect((await changes()).map((e) => [e.type, e.login, e.severity])).toEqual([['credential_added', 'Bob', 'medium']]);

    clock.advance(3_600_000);
    expect((await run()).code).toBe(0);
    expect(await changes()).toHaveLength(1);

    clock.advance(3_600_000);
    gh.authorizeCredential('alice', 'SSH key'); // 7002, alice is an owner
    expect((await run()).code).toBe(0);
    const events = await changes();
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.login === 'alice')).toMatchObject({ type: 'credential_added', severity: 'high' });
  });

  it('a scan that could not list credentials (404) changes nothing about them: no event then, none when the listing returns', async () => {
    gh.authorizeCredential('bob', 'SSH key');
    expect((await run()).code).toBe(0);
    clock.advance(3_600_000);
    gh.samlSso = false;
    const warned = await run();
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/answered 404/);
    clock.advance(3_600_000);
    gh.samlSso = true;
    expect((await run()).code).toBe(0);
    expect(await changes()).toEqual([]);
  });
});
