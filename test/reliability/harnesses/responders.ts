/**
 * The HTTP responders in the fault matrix (`mfawatch kill`), on the session-invalidation fakes of
 * test/fakes/responders.ts. Transport faults land on the kill call itself (the write that ends the
 * sessions); truncated and wrongly shaped bodies on the read before it (the user look-up, or the
 * token for Google, whose kill call answers an empty body). The GitHub responder acts only on
 * logins a monitor linked: its harness scans the GitHub monitor fake first (`linking`). The AWS
 * responder's harness is in aws-iam.ts, beside the monitor's.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Fault, LoopbackServer, RecordedRequest } from '../../fakes/http.js';
import { FakeGitHub } from '../../fakes/github.js';
import { FakeAuth0, FakeEntra, FakeGithubSso, FakeGoogle, FakeOkta, FakeSlack } from '../../fakes/responders.js';
import type { FaultId, ResponderHarness, ResponderRun } from '../harness.js';
import { closedPort } from './ports.js';

export const ALICE = 'alice@example.com';

const NO_LISTING = 'a kill looks up one identity and acts on it: there is no listing to come back empty, lose a page or repeat one';
export const LISTING_NA: Partial<Record<FaultId, string>> = { empty_list: NO_LISTING, missing_page: NO_LISTING, duplicate_across_pages: NO_LISTING, short_last_page: NO_LISTING };
const NOT_FOUND = 'a 404 on the look-up is the answer "no such user" (outcome not_found, said as such), not a fault';

export interface Spec {
  /** The service's fake; started here unless it already is. */
  server: LoopbackServer;
  /** Other fakes the run needs (a linking monitor's provider), stopped with it. */
  others?: LoopbackServer[];
  linking?: ResponderRun['linking'];
  entry: (url: string) => Record<string, unknown>;
  env: Record<string, string>;
  kills: () => number;
  /** The call that ends the sessions. */
  kill: (r: RecordedRequest) => boolean;
  /** The read before it whose body mfawatch parses. */
  read: (r: RecordedRequest) => boolean;
  /** Each fault as this service shows it: an answer injected on a call, or a change to the fake (`apply`). */
  faults: Partial<Record<FaultId, { fault: Fault; on: 'kill' | 'read' | 'all' } | { apply: () => void }>>;
  /** Undoes every `apply` (clear() also drops injected answers). */
  reset?: () => void;
  /** Runs after the fakes stop. */
  cleanup?: () => void;
}

/** A ResponderRun over one started fake; `connection_refused` points the entry at a closed port. */
export async function runOf(spec: Spec): Promise<ResponderRun> {
  if (!spec.server.url) await spec.server.start();
  const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
  let refused = false;
  return {
    responderEntry: () => spec.entry(refused ? refusedUrl : spec.server.url),
    env: spec.env,
    identity: ALICE,
    inject(fault: FaultId) {
      if (fault === 'connection_refused') {
        refused = true;
        return;
      }
      const f = spec.faults[fault];
      if (!f) throw new Error(`responder harness: no injection for ${fault}`);
      if ('apply' in f) return f.apply();
      spec.server.inject(f.fault, 1000, f.on === 'kill' ? spec.kill : f.on === 'read' ? spec.read : () => true);
    },
    clear() {
      spec.server.clearFaults();
      spec.reset?.();
      refused = false;
    },
    killsSeen: spec.kills,
    ...(spec.linking ? { linking: spec.linking } : {}),
    async stop() {
      await Promise.all([spec.server, ...(spec.others ?? [])].map((s) => s.stop()));
      spec.cleanup?.();
    },
  };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Fault => ({ kind: 'status', status, body, headers });
export const TRANSPORT = { reset_mid_body: { fault: { kind: 'reset' } as Fault, on: 'kill' as const }, timeout: { fault: { kind: 'hang' } as Fault, on: 'kill' as const } };

export const oktaResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'okta',
  notApplicable: { ...LISTING_NA, not_found_404: NOT_FOUND, rate_limit_primary_403: 'Okta signals rate limits with 429 and X-Rate-Limit-* headers', rate_limit_secondary_403: 'Okta signals rate limits with 429 and X-Rate-Limit-* headers' },
  async start() {
    const token = '00okta-matrix-responder-token';
    const server = new FakeOkta(token);
    server.users.push({ id: '00ualice', login: ALICE, email: ALICE });
    const err = (status: number, code: string, summary: string, headers: Record<string, string> = {}) => json(status, { errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oaeMatrix', errorCauses: [] }, headers);
    return runOf({
      server, env: { OKTA_KILL_TOKEN: token }, kills: () => server.cleared.length,
      entry: (url) => ({ id: 'okta-kill', type: 'okta', baseUrl: url, token: '${OKTA_KILL_TOKEN}', requestTimeout: '400ms' }),
      kill: (r) => r.method === 'DELETE' && r.path.endsWith('/sessions'),
      read: (r) => r.method === 'GET',
      faults: {
        server_error: { fault: err(500, 'E0000009', 'Internal Server Error'), on: 'kill' },
        rate_limit_429: { fault: err(429, 'E0000047', 'API call exceeded rate limit due to too many requests.', { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 3600) }), on: 'kill' },
        unauthorized_401: { fault: err(401, 'E0000011', 'Invalid token provided'), on: 'all' },
        permission_403: { fault: err(403, 'E0000006', 'You do not have permission to perform the requested action'), on: 'kill' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '{"id":"00ualice","status":"ACT' }, on: 'read' },
        wrong_shape: { fault: json(200, [{ id: '00ualice' }]), on: 'read' },
      },
    });
  },
};

export const slackResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'slack',
  notApplicable: { ...LISTING_NA, not_found_404: 'Slack answers HTTP 200 with {"ok": false, "error": "users_not_found"} for an unknown user: outcome not_found, not a fault', rate_limit_primary_403: 'Slack signals rate limits only with 429 and Retry-After', rate_limit_secondary_403: 'Slack signals rate limits only with 429 and Retry-After' },
  as: {
    unauthorized_401: 'HTTP 200 {"ok": false, "error": "invalid_auth"} (Slack answers errors with 200)',
    permission_403: 'HTTP 200 {"ok": false, "error": "missing_scope", "needed": "admin.users:write"}',
    server_error: 'admin.users.session.reset answers 503',
  },
  async start() {
    const token = 'xoxp-matrix-responder-token';
    const server = new FakeSlack(token);
    server.users.push({ id: 'W0ALICE', email: ALICE });
    return runOf({
      server, env: { SLACK_KILL_TOKEN: token }, kills: () => server.reset.length,
      entry: (url) => ({ id: 'slack-kill', type: 'slack', token: '${SLACK_KILL_TOKEN}', baseUrl: url, requestTimeout: '400ms' }),
      kill: (r) => r.path === '/admin.users.session.reset',
      read: (r) => r.path === '/users.lookupByEmail',
      faults: {
        server_error: { fault: json(503, { ok: false, error: 'service_unavailable' }), on: 'kill' },
        rate_limit_429: { fault: json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '3600' }), on: 'kill' },
        unauthorized_401: { fault: json(200, { ok: false, error: 'invalid_auth' }), on: 'all' },
        permission_403: { fault: json(200, { ok: false, error: 'missing_scope', needed: 'admin.users:write', provided: 'users:read.email' }), on: 'kill' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '{"ok":true,"user":{"id":"W0AL' }, on: 'read' },
        wrong_shape: { fault: json(200, { ok: true, members: [] }), on: 'read' },
      },
    });
  },
};

export const auth0ResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'auth0',
  notApplicable: { ...LISTING_NA, not_found_404: 'users-by-email answers an empty list for an unknown email: outcome not_found, not a fault', rate_limit_primary_403: 'Auth0 signals rate limits with 429 and x-ratelimit-* headers', rate_limit_secondary_403: 'Auth0 signals rate limits with 429 and x-ratelimit-* headers' },
  as: { unauthorized_401: 'the client credentials are refused at /oauth/token (401 access_denied)', permission_403: 'DELETE sessions answers 403 insufficient_scope' },
  async start() {
    const secret = 'auth0-matrix-responder-secret';
    const server = new FakeAuth0('m2m-matrix', secret);
    server.users.push({ user_id: 'auth0|alice', email: ALICE, email_verified: true });
    const err = (status: number, error: string, message: string, errorCode?: string, headers: Record<string, string> = {}) => json(status, { statusCode: status, error, message, ...(errorCode ? { errorCode } : {}) }, headers);
    return runOf({
      server, env: { AUTH0_KILL_SECRET: secret }, kills: () => server.calls.filter((c) => c.startsWith('DELETE sessions')).length,
      entry: (url) => ({ id: 'auth0-kill', type: 'auth0', baseUrl: url, clientId: 'm2m-matrix', clientSecret: '${AUTH0_KILL_SECRET}', requestTimeout: '400ms' }),
      kill: (r) => r.method === 'DELETE' && r.path.endsWith('/sessions'),
      read: (r) => r.path === '/api/v2/users-by-email',
      faults: {
        server_error: { fault: err(503, 'Service Unavailable', 'The service is unavailable.'), on: 'kill' },
        rate_limit_429: { fault: err(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests', { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) }), on: 'kill' },
        unauthorized_401: { fault: json(401, { error: 'access_denied', error_description: 'Unauthorized' }), on: 'all' },
        permission_403: { fault: err(403, 'Forbidden', 'Insufficient scope, expected any of: delete:sessions', 'insufficient_scope'), on: 'kill' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '[{"user_id":"auth0|alice","email":"ali' }, on: 'read' },
        wrong_shape: { fault: json(200, { users: [{ user_id: 'auth0|alice' }] }), on: 'read' },
      },
    });
  },
};

export const entraResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'entra',
  notApplicable: { ...LISTING_NA, not_found_404: 'the user look-up is a filtered list: an unknown user is an empty "value" (outcome not_found), not a 404', rate_limit_primary_403: 'Microsoft Graph throttles with 429 and Retry-After', rate_limit_secondary_403: 'Microsoft Graph throttles with 429 and Retry-After' },
  as: { unauthorized_401: 'the client secret is refused at the token endpoint (401 invalid_client, AADSTS7000215)', permission_403: 'revokeSignInSessions answers 403 Authorization_RequestDenied' },
  async start() {
    const secret = 'entra~matrix~responder~secret';
    const server = new FakeEntra('tenant-matrix', 'client-matrix', secret);
    server.users.push({ id: 'obj-alice', userPrincipalName: 'alice@acme.onmicrosoft.com', mail: ALICE });
    const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}) => json(status, { error: { code, message, innerError: { date: '2026-11-22T10:00:00', 'request-id': 'r-1', 'client-request-id': 'r-1' } } }, headers);
    return runOf({
      server, env: { ENTRA_KILL_SECRET: secret }, kills: () => server.revoked.length,
      entry: (url) => ({ id: 'entra-kill', type: 'entra', tenantId: 'tenant-matrix', clientId: 'client-matrix', clientSecret: '${ENTRA_KILL_SECRET}', graphUrl: url, loginUrl: url, requestTimeout: '400ms' }),
      kill: (r) => r.path.endsWith('/revokeSignInSessions'),
      read: (r) => r.path === '/v1.0/users',
      faults: {
        server_error: { fault: graphError(503, 'serviceNotAvailable', 'Service unavailable'), on: 'kill' },
        rate_limit_429: { fault: graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '3600' }), on: 'kill' },
        unauthorized_401: { fault: json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] }), on: 'all' },
        permission_403: { fault: graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'), on: 'kill' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '{"value":[{"id":"obj-alice","userPrinci' }, on: 'read' },
        wrong_shape: { fault: json(200, { '@odata.context': 'x', users: [{ id: 'obj-alice' }] }), on: 'read' },
      },
    });
  },
};

export const googleResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'google-workspace',
  notApplicable: { ...LISTING_NA, not_found_404: 'users.signOut answers 404 for an unknown user: outcome not_found, not a fault' },
  as: {
    unauthorized_401: 'the token endpoint refuses the signed JWT (401 unauthorized_client)',
    rate_limit_primary_403: 'users.signOut answers 403 rateLimitExceeded',
    rate_limit_secondary_403: 'users.signOut answers 403 userRateLimitExceeded with Retry-After',
    permission_403: 'users.signOut answers 403 forbidden (delegation lacks the scope)',
    truncated_body: 'the token answer is cut short (users.signOut answers an empty body)',
    wrong_shape: 'a token answer without access_token',
  },
  async start() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sa = 'mfawatch-matrix@acme-sec.iam.gserviceaccount.com';
    const key = JSON.stringify({ type: 'service_account', client_email: sa, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), token_uri: 'https://oauth2.googleapis.com/token' });
    const server = new FakeGoogle(sa, publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'admin@example.com');
    server.users.add(ALICE);
    const gErr = (code: number, message: string, reason: string, status: string, headers: Record<string, string> = {}) => json(code, { error: { code, message, errors: [{ message, domain: 'global', reason }], status } }, headers);
    return runOf({
      server, env: { GWS_KILL_KEY: key }, kills: () => server.signedOut.length,
      entry: (url) => ({ id: 'gws-kill', type: 'google-workspace', adminEmail: 'admin@example.com', serviceAccountKey: '${GWS_KILL_KEY}', baseUrl: url, tokenUrl: `${url}/token`, requestTimeout: '400ms' }),
      kill: (r) => r.path.endsWith('/signOut'),
      read: (r) => r.path === '/token',
      faults: {
        server_error: { fault: gErr(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE'), on: 'kill' },
        rate_limit_429: { fault: gErr(429, 'Quota exceeded for quota metric.', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED', { 'retry-after': '3600' }), on: 'kill' },
        rate_limit_primary_403: { fault: gErr(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'PERMISSION_DENIED'), on: 'kill' },
        rate_limit_secondary_403: { fault: gErr(403, 'User Rate Limit Exceeded', 'userRateLimitExceeded', 'PERMISSION_DENIED', { 'retry-after': '3600' }), on: 'kill' },
        unauthorized_401: { fault: json(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method.' }), on: 'read' },
        permission_403: { fault: gErr(403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED'), on: 'kill' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '{"access_token":"ya29.fa' }, on: 'read' },
        wrong_shape: { fault: json(200, { token_type: 'Bearer', expires_in: 3599 }), on: 'read' },
      },
    });
  },
};

export const githubResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'github',
  notApplicable: {
    not_found_404: 'GitHub answers 404 for the SSO authorisations of an organisation without SAML SSO: outcome unsupported, said as such (a 404 on a DELETE means that credential is already gone)',
    empty_list: "one login's SSO authorisations may really be none: an empty first page is an answer (\"0 credential authorisation(s)\" revoked), not a fault it can tell",
  },
  as: {
    server_error: 'DELETE credential-authorizations/{id} answers 502',
    rate_limit_429: 'DELETE answers 429 (secondary rate limit) with Retry-After: 3600',
    rate_limit_primary_403: 'DELETE answers 403 "API rate limit exceeded" with x-ratelimit-remaining 0, reset in 1h',
    rate_limit_secondary_403: 'DELETE answers 403 "secondary rate limit" with Retry-After: 3600',
    permission_403: 'the token is not SSO-authorised for the org (403 "Resource protected by organization SAML enforcement")',
    truncated_body: 'the credential-authorizations listing is cut short',
    wrong_shape: 'the listing answers an object instead of an array',
    missing_page: 'page 2 of 3 answers an empty list without a next link',
    duplicate_across_pages: 'page 2 repeats page 1 (the list moved while it was read)',
    short_last_page: 'page 3 (the last) answered without its one credential, links unchanged',
  },
  async start() {
    const ownerToken = 'ghp_matrix_monitor_owner_token_01234';
    const adminToken = 'ghp_matrix_responder_admin_token_5678';
    const monitorFake = new FakeGitHub({ tokens: { [ownerToken]: { owner: true } } });
    monitorFake.addMember({ id: 501, login: 'alice-gh', role: 'member', twoFactor: 'enabled' });
    monitorFake.addMember({ id: 502, login: 'bob-gh', role: 'member', twoFactor: 'enabled' });
    await monitorFake.start();
    const server = new FakeGithubSso('acme', adminToken);
    // Five of alice's credentials over three pages of two (GitHub may send fewer than per_page).
    server.maxPerPage = 2;
    for (let i = 0; i < 5; i++) server.credentials.push({ login: 'alice-gh', credential_id: 7000 + i, credential_type: i % 2 ? 'SSH key' : 'personal access token' });
    server.credentials.push({ login: 'bob-gh', credential_id: 7100, credential_type: 'SSH key' });
    const now = Math.floor(Date.now() / 1000);
    const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': String(now + 3600), 'x-ratelimit-resource': 'core' };
    const docs = 'https://docs.github.com/rest';
    return runOf({
      server,
      others: [monitorFake],
      env: { GH_OWNER_TOKEN: ownerToken, GH_ADMIN_TOKEN: adminToken },
      linking: {
        monitorEntry: () => ({ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_OWNER_TOKEN}', baseUrl: monitorFake.url, retries: 0 }),
        identities: { 'github:alice-gh': ALICE },
      },
      // A kill at GitHub is done when the login has no SSO authorisation left.
      kills: () => server.emptied.filter((l) => l === 'alice-gh').length,
      entry: (url) => ({ id: 'gh-kill', type: 'github', org: 'acme', token: '${GH_ADMIN_TOKEN}', baseUrl: url, requestTimeout: '400ms' }),
      kill: (r) => r.method === 'DELETE',
      read: (r) => r.method === 'GET',
      faults: {
        server_error: { fault: json(502, { message: 'Server Error' }, rate), on: 'kill' },
        rate_limit_429: { fault: json(429, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: docs }, { ...rate, 'retry-after': '3600' }), on: 'kill' },
        rate_limit_primary_403: { fault: json(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: docs }, { ...rate, 'x-ratelimit-remaining': '0' }), on: 'kill' },
        rate_limit_secondary_403: { fault: json(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: docs }, { ...rate, 'retry-after': '3600' }), on: 'kill' },
        unauthorized_401: { fault: json(401, { message: 'Bad credentials', documentation_url: docs, status: '401' }), on: 'all' },
        permission_403: { fault: json(403, { message: 'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.', documentation_url: docs, status: '403' }, rate), on: 'all' },
        ...TRANSPORT,
        truncated_body: { fault: { kind: 'truncate', body: '[{"login":"alice-gh","credential_id":7000,"credential_ty' }, on: 'read' },
        wrong_shape: { fault: json(200, { total_count: 5, credential_authorizations: [] }, rate), on: 'read' },
        missing_page: { apply: () => (server.pageQuirk = { page: 2, kind: 'empty' }) },
        duplicate_across_pages: { apply: () => (server.pageQuirk = { page: 2, kind: 'repeat_previous' }) },
        short_last_page: { apply: () => (server.pageQuirk = { page: 3, kind: 'drop_last_row' }) },
      },
      reset: () => (server.pageQuirk = null),
    });
  },
};
