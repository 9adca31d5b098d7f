/**
 * `mfawatch kill` with identities that are not one (issue 12, item 9), through the CLI against the
 * Okta fake: `kill .` and `kill ..` used to reach GET /api/v1/users/ (Okta's user listing) and
 * GET /api/v1/; the dry run showed another path than the one sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pathSegment, requestUrl } from '../../src/http/client.js';
import { FakeAuth0, FakeOkta } from '../fakes/responders.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const env = { OKTA_TOKEN: '00okta-identity-secret', AUTH0_SECRET: 'auth0-identity-secret' };
let okta: FakeOkta;
let auth0: FakeAuth0;
let dir: ReturnType<typeof tempDir>;
let path: string;

beforeEach(async () => {
  okta = new FakeOkta(env.OKTA_TOKEN);
  okta.users.push({ id: '00uobrien', login: "o'brien+ops@example.com", email: "o'brien+ops@example.com" });
  auth0 = new FakeAuth0('m2m-client', env.AUTH0_SECRET);
  auth0.users.push({ user_id: 'auth0|obrien', email: "o'brien+ops@example.com", email_verified: true });
  await Promise.all([okta.start(), auth0.start()]);
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x-unused-token', baseUrl: 'http://127.0.0.1:9' }],
    notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
    responders: [
      { id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' },
      { id: 'auth0', type: 'auth0', baseUrl: auth0.url, clientId: 'm2m-client', clientSecret: '${AUTH0_SECRET}' },
    ],
  });
});
afterEach(async () => {
  await Promise.all([okta.stop(), auth0.stop()]);
  dir.cleanup();
});

const kill = (...args: string[]) => runCli(['kill', ...args, '--config', path], { env });

describe('kill IDENTITY: what is not an identity is refused before any request', () => {
  it.each([
    ['.', /neither an email nor PROVIDER:LOGIN/],
    ['..', /neither an email nor PROVIDER:LOGIN/],
    ['okta:..', /LOGIN part is empty or a dot segment/],
    ['okta:%2e%2e', /LOGIN part is empty or a dot segment/],
    ['okta:', /LOGIN part is empty or a dot segment/],
    ['../admin@example.com', /path separator/],
    ['alice@example.com\r\nokta:bob', /control character/],
    ['alice\u0085@example.com', /control character/],
  ])('%j', async (arg, why) => {
    for (const extra of [['--yes'], ['--dry-run']]) {
      const out = await kill(arg, ...extra);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/is not an identity: /);
      expect(out.stderr).toMatch(why);
    }
    expect(okta.requests).toEqual([]);
    expect(auth0.requests).toEqual([]);
  });
});

describe('the dry run shows exactly the URL that is sent', () => {
  it('for an identity that needs encoding', async () => {
    const who = "o'brien+ops@example.com";
    const dry = await kill(who, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const shown = [...dry.stdout.matchAll(/GET (\S+)/g)].map((m) => m[1]);
    expect(okta.requests).toEqual([expect.objectContaining({ method: 'GET' })]);
    const done = await kill(who, '--yes');
    expect(done.code, done.stderr).toBe(0);
    const sent = okta.requests.slice(1).map((r) => `${okta.url}${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`);
    expect(shown[0]).toBe(sent[0]);
    expect(dry.stdout).toContain(sent[1] ?? 'missing');
    // Auth0 looks the person up by email in a query string: the dry run shows it as sent.
    const lookup = auth0.requests.find((r) => r.path === '/api/v2/users-by-email');
    expect(lookup).toBeDefined();
    expect(dry.stdout).toContain(`${auth0.url}${lookup?.path ?? ''}?${lookup?.query.toString() ?? ''}`);
  });
});

describe('pathSegment and requestUrl', () => {
  it('refuse what a URL parser resolves away, encode the rest', () => {
    for (const bad of ['', '.', '..', '%2e', '%2E%2e']) expect(() => pathSegment(bad, 'Okta')).toThrow(/would address another endpoint/);
    expect(pathSegment('a/b?c#d', 'Okta')).toBe('a%2Fb%3Fc%23d');
    expect(pathSegment('...', 'Okta')).toBe('...');
  });

  it('requestUrl is the URL fetch sends', () => {
    expect(requestUrl('https://acme.okta.com/', '/api/v1/users/x', { q: 'a b' })).toBe('https://acme.okta.com/api/v1/users/x?q=a+b');
    expect(requestUrl('https://acme.okta.com', '/api/v1/users/..')).toBe('https://acme.okta.com/api/v1/');
  });
});
