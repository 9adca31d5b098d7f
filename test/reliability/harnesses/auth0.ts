/** The Auth0 monitor in the fault matrix, on the Auth0 fake (test/fakes/auth0.ts). */
import { FakeAuth0, type FakeAuth0User } from '../../fakes/auth0.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const PER_PAGE = 100;
/** The second page of the user listing (page=1): the fault lands after page 0 was read and staged. */
const pageTwo = (r: RecordedRequest) => r.path === '/api/v2/users' && r.query.get('page') === '1';
const managementApi = (r: RecordedRequest) => r.path.startsWith('/api/v2/');
const pad = (i: number) => String(i).padStart(5, '0');

/** Auth0's error body: {statusCode, error, message, errorCode}. */
const auth0Error = (statusCode: number, error: string, message: string, errorCode?: string) => ({ statusCode, error, message, ...(errorCode ? { errorCode } : {}) });

export const auth0Harness: MonitorHarness = {
  kind: 'monitor',
  type: 'auth0',
  notApplicable: {
    rate_limit_primary_403: 'Auth0 signals every rate limit with 429 and x-ratelimit-* headers; it never answers 403 for one',
    rate_limit_secondary_403: 'Auth0 signals every rate limit with 429 and x-ratelimit-* headers; it never answers 403 for one',
  },
  as: {
    rate_limit_429: '429 too_many_requests with x-ratelimit-remaining 0 and x-ratelimit-reset one hour ahead (Auth0 sends the reset time, not Retry-After)',
    unauthorized_401: 'the Management API refuses the access token (401 Invalid token)',
    permission_403: 'the application lost the read:authentication_methods grant (403 insufficient_scope)',
    not_found_404: 'the Management API answers 404 for the user listing',
    missing_page: 'page 1 answered empty while include_totals says 250',
    duplicate_across_pages: 'page 1 answered with the users of page 0',
    short_last_page: 'page 2 (the last) answered with 40 of its 50 users',
  },
  expectOverride: {
    short_last_page: { expect: 'failed', why: 'include_totals gives the total, and a listing shorter than the total fails the scan' },
  },
  async start() {
    const fake = new FakeAuth0();
    const created = (i: number) => `2025-01-01T00:00:00.${pad(i)}Z`;
    for (let i = 0; i < 250; i++) fake.add({ user_id: `auth0|${pad(i)}`, email: `user${i}@example.com`, created_at: created(i), methods: i % 10 === 3 ? [] : [{ type: 'totp' }] });
    await fake.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let savedUsers: Map<string, FakeAuth0User> | null = null;
    let savedScopes: string[] | null = null;
    const listed = (from: number) =>
      [...fake.users.values()]
        .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''))
        .slice(from, from + PER_PAGE)
        .map((u) => ({ user_id: u.user_id, email: u.email, name: u.email, created_at: u.created_at }));
    return {
      env: { A0_CLIENT_SECRET: fake.clientSecret },
      monitorEntry: () => ({
        id: 'a0-acme', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${A0_CLIENT_SECRET}',
        baseUrl: refused ? refusedUrl : fake.url, retries: 1, requestTimeout: '400ms', concurrency: 8,
      }),
      inject(fault: FaultId) {
        const reset = String(Math.floor(Date.now() / 1000) + 3600);
        switch (fault) {
          case 'server_error':
            return fake.inject({ kind: 'status', status: 503, body: auth0Error(503, 'Service Unavailable', 'The service is unavailable.') }, 1000, pageTwo);
          case 'rate_limit_429':
            return fake.inject({ kind: 'status', status: 429, body: auth0Error(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests'), headers: { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }, 1000, pageTwo);
          case 'unauthorized_401':
            return fake.inject({ kind: 'status', status: 401, body: auth0Error(401, 'Unauthorized', 'Invalid token') }, 1000, managementApi);
          case 'permission_403':
            savedScopes = fake.scopes;
            fake.scopes = ['read:users'];
            return;
          case 'not_found_404':
            return fake.inject({ kind: 'status', status: 404, body: auth0Error(404, 'Not Found', 'Not Found') }, 1000, (r) => r.path === '/api/v2/users');
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return fake.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return fake.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return fake.inject({ kind: 'truncate', body: '{"start":100,"limit":100,"length":100,"users":[{"user_id":"auth0|00100","email":"user100@exa' }, 1000, pageTwo);
          case 'wrong_shape':
            // A bare array, as Auth0 answers when include_totals is dropped (by a proxy, say).
            return fake.inject({ kind: 'status', status: 200, body: listed(100) }, 1000, pageTwo);
          case 'empty_list':
            savedUsers = fake.users;
            fake.users = new Map();
            return;
          case 'missing_page':
            return fake.inject({ kind: 'status', status: 200, body: { start: 100, limit: PER_PAGE, length: 0, users: [], total: fake.users.size } }, 1000, pageTwo);
          case 'duplicate_across_pages':
            return fake.inject({ kind: 'status', status: 200, body: { start: 100, limit: PER_PAGE, length: PER_PAGE, users: listed(0), total: fake.users.size } }, 1000, pageTwo);
          case 'short_last_page':
            return fake.inject({ kind: 'rewrite', rewrite: (a) => {
              const page = JSON.parse(a.body) as { users: unknown[]; length: number };
              return { ...a, body: JSON.stringify({ ...page, users: page.users.slice(0, 40), length: 40 }) };
            } }, 1000, (r) => r.path === '/api/v2/users' && r.query.get('page') === '2');
          default:
            throw new Error(`auth0 harness: no injection for ${fault}`);
        }
      },
      clear() {
        fake.clearFaults();
        refused = false;
        if (savedUsers) fake.users = savedUsers;
        if (savedScopes) fake.scopes = savedScopes;
        savedUsers = null;
        savedScopes = null;
      },
      makeRealChange() {
        const user = fake.users.get('auth0|00001');
        if (!user) throw new Error('the harness tenant lost auth0|00001');
        user.methods = [];
        return { type: 'mfa_disabled', accountId: 'auth0|00001' };
      },
      stop: () => fake.stop(),
    };
  },
};
