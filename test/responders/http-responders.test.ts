/**
 * The HTTP responders (Okta, Entra ID, Auth0, Slack, Google Workspace, GitHub) against loopback
 * fakes of their APIs: the kill itself, not-found, dry run (exact calls, no writes), and one shared
 * contract table of failures (each HTTP status class, Retry-After, timeouts, truncated and
 * wrong-shaped bodies) with secret hygiene.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth0Responder } from '../../responders/auth0/index.js';
import { auth0ResponderSchema } from '../../responders/auth0/config.js';
import { createEntraResponder } from '../../responders/entra/index.js';
import { entraResponderSchema } from '../../responders/entra/config.js';
import { createGithubResponder } from '../../responders/github/index.js';
import { githubResponderSchema } from '../../responders/github/config.js';
import { createGoogleResponder } from '../../responders/google-workspace/index.js';
import { googleResponderSchema } from '../../responders/google-workspace/config.js';
import { createOktaResponder } from '../../responders/okta/index.js';
import { oktaResponderSchema } from '../../responders/okta/config.js';
import { createSlackResponder } from '../../responders/slack/index.js';
import { slackResponderSchema } from '../../responders/slack/config.js';
import type { Responder } from '../../responders/types.js';
import { ProviderError } from '../../src/core/errors.js';
import type { LoopbackServer, RecordedRequest } from '../fakes/http.js';
import { FakeAuth0, FakeEntra, FakeGithubSso, FakeGoogle, FakeOkta, FakeSlack } from '../fakes/responders.js';
import { testDeps } from '../helpers.js';
import { invalidate, linked } from './harness.js';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
async function started<T extends LoopbackServer>(s: T): Promise<T> {
  servers.push(s);
  await s.start();
  return s;
}

const OKTA_TOKEN = '00okta-secret-token-value';
const ENTRA_SECRET = 'entra~client~secret~value';
const AUTH0_SECRET = 'auth0-client-secret-value';
const SLACK_TOKEN = 'xoxp-slack-admin-secret';
const GH_TOKEN = 'ghp_sso_admin_secret_token';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const SA_EMAIL = 'mfawatch@acme-sec.iam.gserviceaccount.com';
const SA_KEY = JSON.stringify({ type: 'service_account', client_email: SA_EMAIL, private_key: PRIVATE_PEM, token_uri: 'https://oauth2.googleapis.com/token' });

interface Subject {
  name: string;
  secret: string;
  /** A fake with alice known, and a responder pointed at it. */
  setup(): Promise<{ server: LoopbackServer; responder: Responder }>;
  /** The target used for alice. */
  target: Parameters<typeof invalidate>[1];
  /** Requests a fault should hit (the kill call, or the first call). */
  faultOn: (r: RecordedRequest) => boolean;
  /** False where a wrong-shaped 200 is not distinguishable (empty-bodied kill calls). */
  shapeChecked: boolean;
}

const alice = 'alice@example.com';

const subjects: Subject[] = [
  {
    name: 'okta',
    secret: OKTA_TOKEN,
    async setup() {
      const server = await started(new FakeOkta(OKTA_TOKEN));
      server.users.push({ id: '00u1alice', login: alice, email: alice });
      const config = oktaResponderSchema.parse({ id: 'okta', type: 'okta', baseUrl: server.url, token: OKTA_TOKEN, requestTimeout: '300ms' });
      return { server, responder: createOktaResponder(config, testDeps()) };
    },
    target: alice,
    faultOn: (r) => r.method === 'GET',
    shapeChecked: true,
  },
  {
    name: 'entra',
    secret: ENTRA_SECRET,
    async setup() {
      const server = await started(new FakeEntra('tenant-1', 'client-1', ENTRA_SECRET));
      server.users.push({ id: 'obj-alice', userPrincipalName: 'alice@acme.onmicrosoft.com', mail: alice });
      const config = entraResponderSchema.parse({ id: 'entra', type: 'entra', tenantId: 'tenant-1', clientId: 'client-1', clientSecret: ENTRA_SECRET, graphUrl: server.url, loginUrl: server.url, requestTimeout: '300ms' });
      return { server, responder: createEntraResponder(config, testDeps()) };
    },
    target: alice,
    faultOn: (r) => r.path === '/v1.0/users',
    shapeChecked: true,
  },
  {
    name: 'auth0',
    secret: AUTH0_SECRET,
    async setup() {
      const server = await started(new FakeAuth0('m2m-client', AUTH0_SECRET));
      server.users.push({ user_id: 'auth0|alice', email: alice, email_verified: true });
      const config = auth0ResponderSchema.parse({ id: 'auth0', type: 'auth0', baseUrl: server.url, clientId: 'm2m-client', clientSecret: AUTH0_SECRET, requestTimeout: '300ms' });
      return { server, responder: createAuth0Responder(config, testDeps()) };
    },
    target: alice,
    faultOn: (r) => r.path === '/api/v2/users-by-email',
    shapeChecked: true,
  },
  {
    name: 'slack',
    secret: SLACK_TOKEN,
    async setup() {
      const server = await started(new FakeSlack(SLACK_TOKEN));
      server.users.push({ id: 'W0ALICE', email: alice });
      const config = slackResponderSchema.parse({ id: 'slack', type: 'slack', token: SLACK_TOKEN, baseUrl: server.url, requestTimeout: '300ms' });
      return { server, responder: createSlackResponder(config, testDeps()) };
    },
    target: alice,
    faultOn: (r) => r.path === '/admin.users.session.reset',
    shapeChecked: true,
  },
  {
    name: 'google-workspace',
    secret: 'ya29.fake-directory-token',
    async setup() {
      const server = await started(new FakeGoogle(SA_EMAIL, PUBLIC_PEM, 'admin@example.com'));
      server.users.add(alice);
      const config = googleResponderSchema.parse({ id: 'gws', type: 'google-workspace', adminEmail: 'admin@example.com', serviceAccountKey: SA_KEY, baseUrl: server.url, tokenUrl: `${server.url}/token`, requestTimeout: '300ms' });
      return { server, responder: createGoogleResponder(config, testDeps()) };
    },
    target: alice,
    faultOn: (r) => r.path.endsWith('/signOut'),
    shapeChecked: false,
  },
  {
    name: 'github',
    secret: GH_TOKEN,
    async setup() {
      const server = await started(new FakeGithubSso('acme', GH_TOKEN));
      server.credentials.push({ login: 'alice-gh', credential_id: 11, credential_type: 'personal access token' }, { login: 'alice-gh', credential_id: 12, credential_type: 'SSH key' }, { login: 'bob', credential_id: 13, credential_type: 'SSH key' });
      const config = githubResponderSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: GH_TOKEN, baseUrl: server.url, requestTimeout: '300ms' });
      return { server, responder: createGithubResponder(config, testDeps()) };
    },
    target: { identity: alice, accounts: [linked('github', 'alice-gh', '501')] },
    faultOn: (r) => r.method === 'GET',
    shapeChecked: true,
  },
];

// Found by the fault matrix: Google's 403 rate limits were worded as a missing privilege, and a
// token endpoint that does not answer as a refused key.
describe('google-workspace responder: a rate limit and an unreachable token endpoint say what they are', () => {
  it('403 rateLimitExceeded / userRateLimitExceeded is rate_limited, not a privilege problem', async () => {
    for (const reason of ['rateLimitExceeded', 'userRateLimitExceeded']) {
      const { server, responder } = await subjects[4]!.setup();
      server.inject({ kind: 'status', status: 403, body: { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ message: 'Rate Limit Exceeded', domain: 'global', reason }], status: 'PERMISSION_DENIED' } } }, 10, (r) => r.path.endsWith('/signOut'));
      const err = await invalidate(responder, alice).catch((e: unknown) => e);
      expect((err as ProviderError).reason).toBe('rate_limited');
      expect((err as ProviderError).message).toBe(`Google rate limit reached (403 ${reason}): run the kill again in a few minutes`);
    }
  });

  it('a token endpoint that does not answer is a network failure, not a refused key', async () => {
    const { server, responder } = await subjects[4]!.setup();
    server.inject({ kind: 'reset' }, 10, (r) => r.path === '/token');
    const err = await invalidate(responder, alice).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe('network');
    expect((err as ProviderError).message).toMatch(/^could not get a Google access token from tokenUrl.*check tokenUrl/);
    expect((err as ProviderError).message).not.toMatch(/refused/);
  });
});

describe('each responder kills the sessions it is asked to, and only those', () => {
  it('okta: looks the user up by login, then DELETE …/sessions?oauthTokens=true', async () => {
    const s = subjects[0]!;
    const { server, responder } = await s.setup();
    const r = await invalidate(responder, alice);
    expect(r.outcome).toBe('succeeded');
    expect((server as FakeOkta).cleared).toEqual(['00u1alice+oauth']);
    expect(server.requests.map((q) => `${q.method} ${q.path}`)).toEqual([`GET /api/v1/users/${encodeURIComponent(alice)}`, 'DELETE /api/v1/users/00u1alice/sessions']);
    expect(server.requests[0]?.headers.authorization).toBe(`SSWS ${OKTA_TOKEN}`);
    expect(await invalidate(responder, 'nobody@example.com')).toMatchObject({ outcome: 'not_found' });
  });

  it('entra: client-credentials token, user by UPN or mail, POST revokeSignInSessions', async () => {
    const { server, responder } = await subjects[1]!.setup();
    const fake = server as FakeEntra;
    expect(await invalidate(responder, alice)).toMatchObject({ outcome: 'succeeded' });
    expect(fake.revoked).toEqual(['obj-alice']);
    expect(await invalidate(responder, 'nobody@example.com')).toMatchObject({ outcome: 'not_found' });
    expect(fake.tokens).toBe(1); // cached
    fake.users.push({ id: 'obj-alice-2', userPrincipalName: 'alice2@acme.onmicrosoft.com', mail: alice });
    await expect(invalidate(responder, alice)).rejects.toThrow(/2 users .* will not guess/);
    expect(fake.revoked).toEqual(['obj-alice']);
  });

  it('auth0: sessions, refresh tokens and remembered browsers of verified users only', async () => {
    const { server, responder } = await subjects[2]!.setup();
    const fake = server as FakeAuth0;
    fake.users.push({ user_id: 'google-oauth2|x', email: alice, email_verified: false });
    const r = await invalidate(responder, alice);
    expect(r.outcome).toBe('succeeded');
    expect(fake.calls).toEqual(['DELETE sessions auth0|alice', 'DELETE refresh-tokens auth0|alice', 'POST multifactor/actions/invalidate-remember-browser auth0|alice']);
    expect(r.detail).toMatch(/1 user\(s\) with an unverified email alone/);
  });

  it('slack: lookupByEmail then admin.users.session.reset; not Enterprise Grid is unsupported, said clearly', async () => {
    const { server, responder } = await subjects[3]!.setup();
    const fake = server as FakeSlack;
    expect(await invalidate(responder, alice)).toMatchObject({ outcome: 'succeeded' });
    expect(fake.reset).toEqual(['W0ALICE']);
    expect(new URLSearchParams(fake.requests.at(-1)?.body).get('user_id')).toBe('W0ALICE');
    expect(await invalidate(responder, 'nobody@example.com')).toMatchObject({ outcome: 'not_found' });
    fake.enterprise = false;
    const r = await invalidate(responder, alice);
    expect(r.outcome).toBe('unsupported');
    expect(r.detail).toMatch(/Enterprise Grid/);
  });

  it('google-workspace: a JWT signed with the service-account key, impersonating the admin, then users.signOut', async () => {
    const { server, responder } = await subjects[4]!.setup();
    const fake = server as FakeGoogle;
    expect(await invalidate(responder, alice)).toMatchObject({ outcome: 'succeeded' });
    expect(fake.signedOut).toEqual([alice]);
    expect(fake.grants[0]).toMatchObject({ iss: SA_EMAIL, sub: 'admin@example.com', scope: 'https://www.googleapis.com/auth/admin.directory.user.security' });
    expect(await invalidate(responder, 'nobody@example.com')).toMatchObject({ outcome: 'not_found' });
  });

  it('google-workspace: a key the token endpoint refuses fails as auth, naming delegation', async () => {
    const server = await started(new FakeGoogle('someone-else@x.iam.gserviceaccount.com', PUBLIC_PEM, 'admin@example.com'));
    server.users.add(alice);
    const config = googleResponderSchema.parse({ id: 'gws', type: 'google-workspace', adminEmail: 'admin@example.com', serviceAccountKey: SA_KEY, baseUrl: server.url, tokenUrl: `${server.url}/token` });
    const err = await invalidate(createGoogleResponder(config, testDeps()), alice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('auth');
    expect((err as ProviderError).message).toMatch(/unauthorized_client.*delegation/);
    expect((err as ProviderError).message).not.toContain('PRIVATE KEY');
  });

  it('github: revokes only the linked login’s SSO authorisations; 404 (no SAML SSO) is unsupported; removal is opt-in', async () => {
    const { server, responder } = await subjects[5]!.setup();
    const fake = server as FakeGithubSso;
    expect(await invalidate(responder, subjects[5]!.target)).toMatchObject({ outcome: 'succeeded' });
    expect(fake.credentials.map((c) => c.credential_id)).toEqual([13]);
    expect(fake.removed).toEqual([]);
    expect(await invalidate(responder, alice)).toMatchObject({ outcome: 'not_found' });
    fake.sso = false;
    expect(await invalidate(responder, subjects[5]!.target)).toMatchObject({ outcome: 'unsupported' });
    fake.sso = true;
    const remover = createGithubResponder(githubResponderSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: GH_TOKEN, baseUrl: fake.url, removeFromOrg: true }), testDeps());
    await invalidate(remover, subjects[5]!.target);
    expect(fake.removed).toEqual(['alice-gh']);
  });
});

describe('github responder: every page of SSO authorisations, and a listing it cannot trust', () => {
  const ghTarget = { identity: alice, accounts: [linked('github', 'alice-gh', '501')] };
  async function sso(count: number): Promise<{ fake: FakeGithubSso; responder: Responder }> {
    const fake = await started(new FakeGithubSso('acme', GH_TOKEN));
    fake.maxPerPage = 2;
    for (let i = 0; i < count; i++) fake.credentials.push({ login: 'alice-gh', credential_id: 100 + i, credential_type: i % 2 ? 'SSH key' : 'personal access token' });
    fake.credentials.push({ login: 'bob', credential_id: 999, credential_type: 'SSH key' });
    const responder = createGithubResponder(githubResponderSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: GH_TOKEN, baseUrl: fake.url, requestTimeout: '300ms' }), testDeps());
    return { fake, responder };
  }

  it('a last page cut at a row boundary (no error, links unchanged) cannot pass as done: the second listing finds what was left', async () => {
    const { fake, responder } = await sso(5);
    fake.pageQuirk = { page: 3, kind: 'drop_last_row' };
    // The responder throws; the runner records the service as failed with this message.
    await expect(invalidate(responder, ghTarget)).rejects.toThrow(/GitHub still lists 1 SSO authorisation\(s\) of alice-gh in acme after revoking the 4 seen/);
    fake.pageQuirk = null;
    expect(await invalidate(responder, ghTarget)).toMatchObject({ outcome: 'succeeded' });
    expect(fake.credentials.map((c) => c.credential_id)).toEqual([999]);
  });

  it('follows rel="next" to the last page and revokes every credential of the login', async () => {
    const { fake, responder } = await sso(5);
    const r = await invalidate(responder, ghTarget);
    expect(r).toMatchObject({ outcome: 'succeeded', detail: 'revoked in acme: alice-gh: 5 credential authorisation(s)' });
    expect(fake.credentials.map((c) => c.credential_id)).toEqual([999]);
    // Three pages, then the check that none is left (a page cut at a row boundary would leave some).
    expect(fake.requests.filter((q) => q.method === 'GET').map((q) => q.query.get('page'))).toEqual([null, '2', '3', null]);
    expect(fake.emptied).toEqual(['alice-gh']);
  });

  it('a page answered empty before the last: revokes what it saw, fails, and the next kill revokes the rest', async () => {
    const { fake, responder } = await sso(5);
    fake.pageQuirk = { page: 2, kind: 'empty' };
    const err = await invalidate(responder, ghTarget).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('malformed');
    expect((err as ProviderError).message).toBe("GitHub's SSO authorisations of alice-gh in acme could not all be read: the listing ended at page 2 of 3; revoked the 2 seen, others may remain: run the kill again");
    expect(fake.credentials.filter((c) => c.login === 'alice-gh')).toHaveLength(3);
    fake.pageQuirk = null;
    expect(await invalidate(responder, ghTarget)).toMatchObject({ outcome: 'succeeded', detail: 'revoked in acme: alice-gh: 3 credential authorisation(s)' });
    expect(fake.emptied).toEqual(['alice-gh']);
  });

  it('a page repeating the one before (the list moved while read) is not trusted either; a dry run says so without writing', async () => {
    const { fake, responder } = await sso(5);
    fake.pageQuirk = { page: 2, kind: 'repeat_previous' };
    const dry = await invalidate(responder, ghTarget, true).catch((e: unknown) => e);
    expect((dry as ProviderError).message).toMatch(/the listing repeated 2 credential\(s\) across pages \(it changed while it was read\); a real kill would revoke the 3 seen/);
    expect(fake.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
    const err = await invalidate(responder, ghTarget).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe('malformed');
    expect(fake.credentials.filter((c) => c.login === 'alice-gh').map((c) => c.credential_id)).toEqual([102, 103]);
  });

  it('a primary rate limit (403, x-ratelimit-remaining 0) waits for x-ratelimit-reset, so an hour away fails at once as rate_limited', async () => {
    const { fake, responder } = await sso(1);
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    fake.inject({ kind: 'status', status: 403, body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' }, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }, 10);
    const err = await invalidate(responder, ghTarget).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe('rate_limited');
    expect((err as ProviderError).message).toMatch(/^GitHub rate limit reached \(403: API rate limit exceeded for user ID 1\.\); the requested wait \(60 min\) is longer than mfawatch may wait: run the kill again once the limit resets$/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe.each(subjects)('$name responder contract', (s) => {
  it('dry run: makes no write, records the exact calls it would make', async () => {
    const { server, responder } = await s.setup();
    const r = await invalidate(responder, s.target, true);
    expect(r.outcome).toBe('skipped');
    expect(server.requests.filter((q) => q.method !== 'GET' && !/token$/.test(q.path))).toEqual([]);
    expect(r.calls.some((c) => c.method !== 'GET')).toBe(true);
    for (const c of r.calls) expect(c.url.startsWith(server.url) || c.url.includes(server.url)).toBe(true);
    expect(JSON.stringify(r.calls)).not.toContain(s.secret);
  });

  const faults: Array<[string, string, Parameters<LoopbackServer['inject']>[0]]> = [
    ['401', 'auth', { kind: 'status', status: 401, body: { message: 'Bad credentials' } }],
    ['403', 'permission', { kind: 'status', status: 403, body: { message: 'Forbidden' } }],
    ['429 with Retry-After', 'rate_limited', { kind: 'status', status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '1' } }],
    ['500', 'server', { kind: 'status', status: 500, body: { message: 'oops' } }],
    ['hang', 'timeout', { kind: 'hang' }],
    ['truncated body', 'malformed', { kind: 'truncate', body: '{"id": "00u1', status: 200 }],
  ];
  it.each(faults)('%s fails with reason %s, no secret in the message', async (_label, reason, fault) => {
    const { server, responder } = await s.setup();
    server.inject(fault, 10, s.faultOn);
    const err = await invalidate(responder, s.target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe(reason);
    expect(`${(err as Error).message} ${JSON.stringify(err)}`).not.toContain(s.secret);
  });

  it('a 200 of the wrong shape is malformed, never a success', async () => {
    if (!s.shapeChecked) return;
    const { server, responder } = await s.setup();
    server.inject({ kind: 'truncate', status: 200, body: '{"unexpected": [1, 2, 3]}' }, 10, s.faultOn);
    const err = await invalidate(responder, s.target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('malformed');
  });
});
