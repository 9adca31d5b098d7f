/**
 * Identity linking: GitHub SAML identities (GraphQL, through Octokit against a loopback fake) set
 * the email; identities.map wins over the email; whois shows the links; an account mapped to
 * someone else is never linked by its email.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { FakeGitHubGraphql } from '../fakes/github-saml.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_identity_owner_token';
let gh: FakeGitHub;
let gql: FakeGitHubGraphql;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'octocat', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 4, login: 'imposter', role: 'member', twoFactor: 'enabled' });
  await gh.start();
  gql = new FakeGitHubGraphql(gh, 'acme');
  gql.identities = [
    { nameId: 'Alice@Example.com', login: 'alice', databaseId: 1 },
    { nameId: 'bob-employee-id', emails: ['bob@example.com'], login: 'bob', databaseId: 2 },
    { nameId: 'unlinked@example.com', login: null, databaseId: null },
    { nameId: 'carol@example.com', login: 'imposter', databaseId: 4 },
  ];
  await gql.start();
  dir = tempDir();
});
afterEach(async () => {
  await Promise.all([gh.stop(), gql.stop()]);
  dir.cleanup();
});

const config = (saml: boolean, map: Record<string, string> = {}) =>
  writeConfig(dir.path, {
    database: './state.db',
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH}', baseUrl: gql.url, retries: 0, samlIdentities: saml }],
    identities: { map },
  });
const cli = (path: string, ...args: string[]) => runCli([...args, '--config', path], { env: { GH: TOKEN } });

describe('identity linking', () => {
  it('github samlIdentities: pages through the SAML identities and links each member to their NameID (or SAML email)', async () => {
    const path = config(true, { 'github:octocat': 'alice@example.com', 'github:imposter': 'dave@example.com' });
    expect((await cli(path, 'run')).code).toBe(0);
    expect(gql.requests.filter((r) => r.path === '/graphql' && r.body.includes('samlIdentityProvider'))).toHaveLength(2); // 4 identities, 2 per page
    const whois = await cli(path, 'whois', 'alice@example.com', '--json');
    expect(whois.code).toBe(0);
    const parsed = JSON.parse(whois.stdout) as { identity: string; accounts: Array<{ login: string; via: string }> };
    expect(parsed.identity).toBe('alice@example.com');
    expect(parsed.accounts.map((a) => `${a.login}:${a.via}`).sort()).toEqual(['alice:email', 'octocat:map']);
    // bob: NameID is not an email; the SAML email is used.
    expect(JSON.parse((await cli(path, 'whois', 'github:bob', '--json')).stdout)).toMatchObject({ identity: 'bob@example.com' });
    // The map wins: imposter's SAML email is carol, but the map says dave, so carol has no account.
    expect((await cli(path, 'whois', 'github:imposter')).stdout).toMatch(/^dave@example.com/);
    expect((await cli(path, 'whois', 'carol@example.com')).code).toBe(2);
  });

  it('an org without SAML SSO: a warning, no emails, the scan still succeeds', async () => {
    gql.sso = false;
    const path = config(true);
    expect((await cli(path, 'run')).code).toBe(0);
    const status = await cli(path, 'status', '--json');
    expect(status.stdout).toMatch(/has no SAML identity provider/);
    expect((await cli(path, 'whois', 'alice@example.com')).code).toBe(2);
  });

  it('GraphQL FORBIDDEN fails the scan (commits nothing) and says which scope is needed', async () => {
    gql.forbidden = true;
    const path = config(true);
    const out = await cli(path, 'run');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/SAML identities .*FORBIDDEN.*admin:org/);
    expect(out.stderr).not.toContain(TOKEN);
  });

  it('without samlIdentities no GraphQL call is made; whois of an unknown login is a usage error', async () => {
    const path = config(false);
    await cli(path, 'run');
    // (the member count query is the only GraphQL call)
    expect(gql.requests.some((r) => r.path === '/graphql' && r.body.includes('samlIdentityProvider'))).toBe(false);
    expect((await cli(path, 'whois', 'github:nobody')).code).toBe(2);
  });
});
