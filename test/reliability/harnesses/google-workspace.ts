/** The Google Workspace monitor in the fault matrix, on the Google fake (test/fakes/google.ts). */
import { DIRECTORY_READONLY, FakeGoogle, makeServiceAccount, type FakeGoogleUser } from '../../fakes/google.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const ADMIN = 'alice@acme.example';
const PAGE = 100;
/** The fake's page tokens are base64url("offset:N"). */
const tokenAt = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
const isList = (r: RecordedRequest) => r.path === '/admin/directory/v1/users';
const pageTwo = (r: RecordedRequest) => isList(r) && r.query.get('pageToken') === tokenAt(PAGE);
const googleError = (code: number, message: string, reason: string, status: string) => ({ error: { code, message, errors: [{ message, domain: 'global', reason }], status } });

export const googleWorkspaceHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'google-workspace',
  as: { short_last_page: 'page 3 (the last) answered with 40 of its 50 users and no nextPageToken' },
  async start() {
    const sa = makeServiceAccount();
    const google = new FakeGoogle();
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY] });
    google.addUser({ id: '1', primaryEmail: ADMIN, fullName: 'Alice Admin', isAdmin: true, isEnrolledIn2Sv: true });
    google.generateUsers(249);
    await google.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: Map<string, FakeGoogleUser> | null = null;
    return {
      env: { GOOGLE_SA_KEY: JSON.stringify(sa.keyJson) },
      monitorEntry: () => {
        const root = refused ? refusedUrl : google.url;
        return { id: 'gws-acme', type: 'google-workspace', subject: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', apiRoot: root, tokenUri: `${root}/token`, pageSize: PAGE, retries: 0, requestTimeout: '2s' };
      },
      inject(fault: FaultId) {
        switch (fault) {
          case 'server_error':
            return google.inject({ kind: 'status', status: 503, body: googleError(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE') }, 1000, pageTwo);
          case 'rate_limit_429':
            return google.inject({ kind: 'status', status: 429, body: googleError(429, 'Quota exceeded for quota metric.', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED'), headers: { 'retry-after': '3600' } }, 1000, pageTwo);
          case 'rate_limit_primary_403':
            return google.inject({ kind: 'status', status: 403, body: googleError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'PERMISSION_DENIED') }, 1000, pageTwo);
          case 'rate_limit_secondary_403':
            return google.inject({ kind: 'status', status: 403, body: googleError(403, 'User Rate Limit Exceeded', 'userRateLimitExceeded', 'PERMISSION_DENIED'), headers: { 'retry-after': '3600' } }, 1000, pageTwo);
          case 'unauthorized_401':
            return google.inject({ kind: 'status', status: 401, body: googleError(401, 'Request had invalid authentication credentials.', 'authError', 'UNAUTHENTICATED') }, 1000, isList);
          case 'permission_403':
            return google.inject({ kind: 'status', status: 403, body: googleError(403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED') }, 1000, isList);
          case 'not_found_404':
            return google.inject({ kind: 'status', status: 404, body: googleError(404, 'Domain not found.', 'notFound', 'NOT_FOUND') }, 1000, isList);
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return google.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return google.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return google.inject({ kind: 'truncate', body: '{"kind":"admin#directory#users","etag":"\\"x\\"","users":[{"kind":"admin#directory#user","id":"1000' }, 1000, pageTwo);
          case 'wrong_shape':
            return google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#groups', groups: [], nextPageToken: tokenAt(2 * PAGE) } }, 1000, pageTwo);
          case 'empty_list':
            saved = google.users;
            // Only the impersonated admin is left (the token exchange needs them).
            google.users = new Map([...saved].filter(([, u]) => u.primaryEmail === ADMIN));
            return;
          case 'missing_page':
            return google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', etag: '"x"', nextPageToken: tokenAt(2 * PAGE) } }, 1000, pageTwo);
          case 'short_last_page':
            return google.inject({ kind: 'rewrite', rewrite: (a) => {
              const { nextPageToken: _next, ...page } = JSON.parse(a.body) as { users: unknown[]; nextPageToken?: string };
              return { ...a, body: JSON.stringify({ ...page, users: page.users.slice(0, 40) }) };
            } }, 1000, (r) => isList(r) && r.query.get('pageToken') === tokenAt(2 * PAGE));
          case 'duplicate_across_pages': {
            const firstPage = [...google.users.values()]
              .sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail))
              .slice(0, PAGE)
              .map((u) => ({ kind: 'admin#directory#user', id: u.id, primaryEmail: u.primaryEmail, isAdmin: u.isAdmin ?? false, suspended: u.suspended ?? false, isEnrolledIn2Sv: u.isEnrolledIn2Sv ?? false, isEnforcedIn2Sv: false }));
            return google.inject({ kind: 'status', status: 200, body: { kind: 'admin#directory#users', users: firstPage, nextPageToken: tokenAt(2 * PAGE) } }, 1000, pageTwo);
          }
        }
      },
      clear() {
        google.clearFaults();
        refused = false;
        if (saved) {
          google.users = saved;
          saved = null;
        }
      },
      makeRealChange() {
        const id = String(100_000_000_000_000_000_000n + 2n);
        const user = google.users.get(id);
        if (!user?.isEnrolledIn2Sv || user.suspended) throw new Error('the harness domain lost user 2 or its 2SV');
        user.isEnrolledIn2Sv = false;
        return { type: 'mfa_disabled', accountId: id };
      },
      stop: () => google.stop(),
    };
  },
};
