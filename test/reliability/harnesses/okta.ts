/** The Okta monitor in the fault matrix, on the Okta fake (test/fakes/okta.ts). */
import { FakeOkta, type FakeOktaUser } from '../../fakes/okta.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const TOKEN = '00fault-matrix-okta-token-0123456789';
const PAGE = 100;
/** 250 factor calls per scan: a generous per-request timeout keeps a loaded CI machine from failing the good scans. */
/** Users are 00u000000000…; page 2 is the listing after the 100th. */
const idOf = (i: number) => `00u${String(i).padStart(9, '0')}`;
const pageTwo = (r: RecordedRequest) => r.path === '/api/v1/users' && r.query.get('after') === idOf(PAGE - 1);
const oktaError = (errorCode: string, errorSummary: string) => ({ errorCode, errorSummary, errorLink: errorCode, errorId: 'oaeFaultMatrix', errorCauses: [] });

export const oktaHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'okta',
  as: { short_last_page: 'page 3 (the last) answered with 40 of its 50 users and no Link header' },
  notApplicable: {
    rate_limit_primary_403: 'Okta signals every rate limit with 429 (E0000047) and X-Rate-Limit-Reset, never with 403',
    rate_limit_secondary_403: 'Okta has no secondary limit answered with 403; concurrent-limit violations are 429 too',
  },
  async start() {
    const okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true } } });
    okta.generateUsers(250);
    await okta.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: Map<string, FakeOktaUser> | null = null;
    const nextLink = (after: number) => ({ link: `<${okta.url}/api/v1/users?after=${idOf(after)}&limit=${PAGE}>; rel="next"` });
    return {
      env: { OKTA_TOKEN: TOKEN },
      monitorEntry: () => ({ id: 'okta-acme', type: 'okta', baseUrl: refused ? refusedUrl : okta.url, token: '${OKTA_TOKEN}', pageSize: PAGE, retries: 0, requestTimeout: '3s' }),
      inject(fault: FaultId) {
        const reset = String(Math.floor(Date.now() / 1000) + 3600);
        switch (fault) {
          case 'server_error':
            return okta.inject({ kind: 'status', status: 500, body: oktaError('E0000009', 'Internal Server Error') }, 1000, pageTwo);
          case 'rate_limit_429':
            return okta.inject({ kind: 'status', status: 429, body: oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 1000, pageTwo);
          case 'rate_limit_primary_403':
          case 'rate_limit_secondary_403':
            return;
          case 'unauthorized_401':
            return okta.inject({ kind: 'status', status: 401, body: oktaError('E0000011', 'Invalid token provided') }, 1000);
          case 'permission_403':
            return okta.inject({ kind: 'status', status: 403, body: oktaError('E0000006', 'You do not have permission to perform the requested action') }, 1000, (r) => r.path.endsWith('/factors'));
          case 'not_found_404':
            return okta.inject({ kind: 'status', status: 404, body: oktaError('E0000007', 'Not found: Resource not found: users (Resource)') }, 1000, (r) => r.path === '/api/v1/users');
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return okta.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return okta.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return okta.inject({ kind: 'truncate', body: `[{"id":"${idOf(PAGE)}","status":"ACTIVE","profile":{"login":"us` }, 1000, pageTwo);
          case 'wrong_shape':
            return okta.inject({ kind: 'status', status: 200, body: { users: [], total: 250 }, headers: nextLink(2 * PAGE - 1) }, 1000, pageTwo);
          case 'empty_list':
            saved = okta.users;
            okta.users = new Map();
            return;
          case 'missing_page':
            return okta.inject({ kind: 'status', status: 200, body: [], headers: nextLink(2 * PAGE - 1) }, 1000, pageTwo);
          case 'short_last_page':
            return okta.inject({ kind: 'rewrite', rewrite: (a) => {
              const { link: _link, ...headers } = a.headers;
              return { ...a, headers, body: JSON.stringify((JSON.parse(a.body) as unknown[]).slice(0, 40)) };
            } }, 1000, (r) => r.path === '/api/v1/users' && r.query.get('after') === idOf(2 * PAGE - 1));
          case 'duplicate_across_pages': {
            const firstPage = Array.from({ length: PAGE }, (_, i) => ({ id: idOf(i), status: 'ACTIVE', profile: { login: `user${i}@example.com`, email: `user${i}@example.com` } }));
            return okta.inject({ kind: 'status', status: 200, body: firstPage, headers: nextLink(2 * PAGE - 1) }, 1000, pageTwo);
          }
        }
      },
      clear() {
        okta.clearFaults();
        refused = false;
        if (saved) {
          okta.users = saved;
          saved = null;
        }
      },
      makeRealChange() {
        // user 5 has push + SMS: the push factor is removed, only SMS is left
        const user = okta.users.get(idOf(5));
        if (!user) throw new Error('the harness org lost user 5');
        user.factors = [{ factorType: 'sms' }];
        return { type: 'mfa_weakened', accountId: idOf(5) };
      },
      stop: () => okta.stop(),
    };
  },
};
