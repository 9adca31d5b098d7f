/** The GitLab monitor (self-managed instance, keyset pagination) in the fault matrix, on the GitLab fake (test/fakes/gitlab.ts). */
import { FakeGitlab, type FakeGitlabUser } from '../../fakes/gitlab.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const TOKEN = 'glpat-fault-matrix-admin-token-0001';
const cursorOf = (afterId: number) => Buffer.from(JSON.stringify({ id: String(afterId), _kd: 'n' })).toString('base64url');
const cursorId = (r: RecordedRequest) => {
  const c = r.query.get('cursor');
  return c ? String(JSON.parse(Buffer.from(c, 'base64url').toString('utf8')).id) : null;
};
/** Page 2 of the full user listing (after the two_factor=disabled listing and page 1 were read). */
const pageTwo = (r: RecordedRequest) => r.path === '/api/v4/users' && !r.query.get('two_factor') && cursorId(r) === '100';
const listing = (r: RecordedRequest) => r.path === '/api/v4/users';

export const gitlabHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'gitlab',
  notApplicable: {
    rate_limit_primary_403: 'GitLab signals rate limits with 429, RateLimit-* and Retry-After headers; it never answers 403 for one',
    rate_limit_secondary_403: 'GitLab signals rate limits with 429, RateLimit-* and Retry-After headers; it never answers 403 for one',
  },
  as: {
    rate_limit_429: '429 "Retry later" (text/plain) with Retry-After: 3600',
    unauthorized_401: 'the token is revoked (401 Unauthorized)',
    permission_403: "the token's user is no longer an administrator: GitLab answers with the public view of users (no is_admin, no two_factor_enabled)",
    not_found_404: 'the users API answers 404 (baseUrl no longer the instance)',
    wrong_shape: 'an object instead of the list of users',
    missing_page: 'page 2 answered with the users of page 3 and no next link (users 101-200 never listed)',
    duplicate_across_pages: 'page 2 answered with the users of page 1 and the link to page 3',
    short_last_page: 'page 3 (the last) answered with 40 of its 50 users',
  },
  expectOverride: {
    missing_page: {
      expect: 'held',
      why: 'keyset pagination carries no total, so a dropped page reads as a shorter list; the mass-change guard holds it; a smaller drop is kept until a second scan agrees (see "A removal needs proof" above)',
    },
  },
  async start() {
    const fake = new FakeGitlab();
    fake.tokens = { [TOKEN]: { admin: true, groupOwner: true } };
    fake.rateLimit = 1_000_000;
    fake.rateRemaining = 1_000_000;
    fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
    for (let id = 2; id <= 250; id++) fake.add({ id, username: `user${id}`, twoFactor: id % 10 !== 3 });
    await fake.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: Map<number, FakeGitlabUser> | null = null;
    /** The admin view of users `from`..`to` (ids), as GitLab lists them. */
    const users = (from: number, to: number) =>
      [...fake.users.values()]
        .filter((u) => u.id >= from && u.id <= to)
        .sort((a, b) => a.id - b.id)
        .map((u) => ({ id: u.id, username: u.username, name: u.username, state: 'active', web_url: `${fake.url}/${u.username}`, email: `${u.username}@example.com`, is_admin: u.isAdmin ?? false, bot: false, two_factor_enabled: u.twoFactor }));
    const nextLink = (afterId: number) => `<${fake.url}/api/v4/users?exclude_internal=true&pagination=keyset&order_by=id&sort=asc&per_page=100&cursor=${cursorOf(afterId)}>; rel="next"`;
    return {
      env: { GL_TOKEN: TOKEN },
      monitorEntry: () => ({ id: 'gl-acme', type: 'gitlab', baseUrl: refused ? refusedUrl : fake.url, token: '${GL_TOKEN}', retries: 1, requestTimeout: '400ms' }),
      inject(fault: FaultId) {
        switch (fault) {
          case 'server_error':
            return fake.inject({ kind: 'status', status: 502, body: { message: '502 Bad Gateway' } }, 1000, pageTwo);
          case 'rate_limit_429':
            return fake.inject({ kind: 'status', status: 429, body: 'Retry later\n', headers: { 'content-type': 'text/plain', 'retry-after': '3600' } }, 1000, pageTwo);
          case 'unauthorized_401':
            fake.tokens = {};
            return;
          case 'permission_403':
            fake.tokens = { [TOKEN]: { admin: false, groupOwner: false } };
            return;
          case 'not_found_404':
            return fake.inject({ kind: 'status', status: 404, body: { message: '404 Not Found' } }, 1000, listing);
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return fake.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return fake.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return fake.inject({ kind: 'truncate', body: '[{"id":101,"username":"user101","name":"user101","state":"act' }, 1000, pageTwo);
          case 'wrong_shape':
            return fake.inject({ kind: 'status', status: 200, body: { users: users(101, 200) } }, 1000, pageTwo);
          case 'empty_list':
            saved = fake.users;
            fake.users = new Map();
            return;
          case 'missing_page':
            return fake.inject({ kind: 'status', status: 200, body: users(201, 300) }, 1000, pageTwo);
          case 'duplicate_across_pages':
            return fake.inject({ kind: 'status', status: 200, body: users(1, 100), headers: { link: nextLink(200) } }, 1000, pageTwo);
          case 'short_last_page':
            return fake.inject({ kind: 'rewrite', rewrite: (a) => {
              const { link: _link, ...headers } = a.headers;
              return { ...a, headers, body: JSON.stringify((JSON.parse(a.body) as unknown[]).slice(0, 40)) };
            } }, 1000, (r) => r.path === '/api/v4/users' && !r.query.get('two_factor') && cursorId(r) === '200');
          default:
            throw new Error(`gitlab harness: no injection for ${fault}`);
        }
      },
      clear() {
        fake.clearFaults();
        fake.tokens = { [TOKEN]: { admin: true, groupOwner: true } };
        refused = false;
        if (saved) fake.users = saved;
        saved = null;
      },
      makeRealChange() {
        const user = fake.users.get(2);
        if (!user) throw new Error('the harness instance lost user 2');
        user.twoFactor = false;
        return { type: 'mfa_disabled', accountId: '2' };
      },
      stop: () => fake.stop(),
    };
  },
};
