/** The GitHub monitor in the fault matrix, on the GitHub fake (test/fakes/github.ts). */
import { FakeGitHub, type FakeUser } from '../../fakes/github.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const TOKEN = 'ghp_fault_matrix_owner_token_0123456789';
/** The second page of the full member list: the fault lands mid-pagination, after data was staged. */
const pageTwo = (r: RecordedRequest) => /\/members$/.test(r.path) && (r.query.get('filter') ?? 'all') === 'all' && !r.query.get('role') && r.query.get('page') === '2';

export const githubHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'github',
  as: { short_last_page: 'the last page of the member list answered with 40 of its 50 members and no Link header' },
  expectOverride: {
    short_last_page: { expect: 'failed', why: "the organisation's member count (GraphQL membersWithRole.totalCount) is checked, and a listing shorter than the count fails the scan" },
  },
  async start() {
    const gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
    gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
    gh.generateMembers(248);
    gh.addOutsideCollaborator({ id: 50, login: 'victor', twoFactor: 'enabled' });
    await gh.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: { members: FakeUser[]; outside: FakeUser[] } | null = null;
    return {
      env: { GH_TOKEN: TOKEN },
      monitorEntry: () => ({ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: refused ? refusedUrl : gh.url, retries: 0, requestTimeout: '400ms' }),
      inject(fault: FaultId) {
        const now = Math.floor(Date.now() / 1000);
        const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': String(now + 3600), 'x-ratelimit-resource': 'core' };
        const docs = 'https://docs.github.com/rest';
        switch (fault) {
          case 'server_error':
            return gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' }, headers: rate }, 1000, pageTwo);
          case 'rate_limit_429':
            return gh.inject({ kind: 'status', status: 429, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: docs }, headers: { ...rate, 'retry-after': '3600' } }, 1000, pageTwo);
          case 'rate_limit_primary_403':
            return gh.inject({ kind: 'status', status: 403, body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: docs }, headers: { ...rate, 'x-ratelimit-remaining': '0' } }, 1000, pageTwo);
          case 'rate_limit_secondary_403':
            return gh.inject({ kind: 'status', status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: docs }, headers: { ...rate, 'retry-after': '3600' } }, 1000, pageTwo);
          case 'unauthorized_401':
            return gh.inject({ kind: 'status', status: 401, body: { message: 'Bad credentials', documentation_url: docs, status: '401' } }, 1000);
          case 'permission_403':
            return gh.inject({ kind: 'status', status: 403, body: { message: 'Resource not accessible by personal access token', documentation_url: docs, status: '403' }, headers: rate }, 1000, pageTwo);
          case 'not_found_404':
            return gh.inject({ kind: 'status', status: 404, body: { message: 'Not Found', documentation_url: docs, status: '404' }, headers: rate }, 1000);
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return gh.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return gh.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return gh.inject({ kind: 'truncate', body: '[{"login":"user100100","id":100100,"node_id":"MDQ6VXNlcjE=","type":"Us' }, 1000, pageTwo);
          case 'wrong_shape':
            return gh.inject({ kind: 'status', status: 200, body: { total_count: 250, members: [] }, headers: rate }, 1000, pageTwo);
          case 'empty_list':
            saved = { members: [...gh.members.values()], outside: [...gh.outsideCollaborators.values()] };
            gh.members.clear();
            gh.outsideCollaborators.clear();
            return;
          case 'missing_page':
            gh.pageQuirk = { list: 'members', page: 2, kind: 'empty' };
            return;
          case 'duplicate_across_pages':
            gh.pageQuirk = { list: 'members', page: 2, kind: 'repeat_previous' };
            return;
          case 'short_last_page':
            gh.boundaryQuirk = { kind: 'short_last', rows: 40 };
            return;
        }
      },
      clear() {
        gh.clearFaults();
        gh.pageQuirk = null;
        gh.boundaryQuirk = null;
        refused = false;
        if (saved) {
          for (const u of saved.members) gh.members.set(u.id, u);
          for (const u of saved.outside) gh.outsideCollaborators.set(u.id, u);
          saved = null;
        }
      },
      makeRealChange() {
        const bob = gh.members.get(2);
        if (!bob) throw new Error('the harness organisation lost bob');
        bob.twoFactor = 'disabled';
        return { type: 'mfa_disabled', accountId: '2' };
      },
      stop: () => gh.stop(),
    };
  },
};
