/**
 * Google Workspace's admin-role grants (the `admin-roles` source: activities.list of the `admin`
 * application, eventName=ASSIGN_ROLE, the user is the USER_EMAIL parameter) in the event fault
 * matrix, on the Google fake (test/fakes/google.ts): a startTime cursor of its own with an overlap
 * window, nextPageToken pages, Google's error bodies. The login audit (`reports`) is its sibling: a
 * failing admin page must not move or hold back the login cursor, and the reverse is the `reports`
 * harness's row.
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/admin-delegated-admin-settings
 * https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities/list
 * https://developers.google.com/admin-sdk/reports/v1/limits (403/429 rateLimitExceeded, no Retry-After: back off)
 */
import { DIRECTORY_READONLY, FakeGoogle, REPORTS_READONLY, makeServiceAccount } from '../../fakes/google.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const ADMIN = 'admin@acme.example';
const BOB = '1002';
/** The admin application's activities: the `admin-roles` source (the `reports` source reads applications/login). */
const onReports = (r: RecordedRequest) => r.path === '/admin/reports/v1/activity/users/all/applications/admin';
const googleError = (code: number, message: string, reason: string, status: string) => ({ error: { code, message, errors: [{ message, domain: reason.endsWith('LimitExceeded') ? 'usageLimits' : 'global', reason }], status } });

export const googleAdminRolesEventHarness: ProviderEventHarness = {
  provider: 'google-workspace',
  monitorId: 'gws-acme',
  source: 'admin-roles',
  sibling: 'reports',
  clockStart: '2026-11-22T10:00:00.000Z',
  // Google sends no Retry-After: the runner's own backoff.
  throttleWaitMs: 2_000,
  authFix: { unauthorized: /auth: Google returned 401 for activities\.list.*service account/, forbidden: /permission: Google returned 403 for activities\.list.*admin\.reports\.audit\.readonly/ },
  as: {
    auth: '401 UNAUTHENTICATED (authError); 403 PERMISSION_DENIED insufficientPermissions',
    throttled: '403 usageLimits rateLimitExceeded (no Retry-After)',
    unreachable: '503 UNAVAILABLE on the admin audit; the login audit polled on, on its own cursor',
    malformed: 'a page cut mid-JSON; an ASSIGN_ROLE without the USER_EMAIL parameter',
    foreign: 'an ASSIGN_ROLE whose USER_EMAIL is not an email address',
    unknown_user: 'a role assigned to an address the directory does not have',
    storm: '1,000 ASSIGN_ROLE activities naming one user (maxResults 1,000: one page)',
    duplicate: 'the next poll re-reads the overlap window (1 h) by design',
  },
  notApplicable: {
    push_bad_secret: 'no pushed source in this monitor (activities.watch channels are not received)',
    push_replay: 'no pushed source (see above)',
    push_5mb: 'no pushed source (see above)',
  },
  async start() {
    const sa = makeServiceAccount();
    const google = new FakeGoogle();
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, REPORTS_READONLY] });
    google.addUser({ id: '1001', primaryEmail: ADMIN, fullName: 'Ada Admin', isAdmin: true, isEnrolledIn2Sv: true, isEnforcedIn2Sv: true });
    google.addUser({ id: BOB, primaryEmail: 'bob@acme.example', fullName: 'Bob B', isEnrolledIn2Sv: true });
    google.generateUsers(30);
    await google.start();
    const when = (at: Date, n = 0) => new Date(at.getTime() + n).toISOString();
    let serial = 0;
    const qualifier = () => String(-8_000_000_000_000_000_000n - BigInt(serial++));
    /** ASSIGN_ROLE as the admin audit documents it: the administrator (actor) assigned ROLE_NAME to USER_EMAIL. */
    const assignRole = (userEmail: string | null, time: string) =>
      google.addActivity({
        applicationName: 'admin', eventName: 'ASSIGN_ROLE', actor: { email: ADMIN, profileId: '1001' }, time, uniqueQualifier: qualifier(),
        parameters: [{ name: 'ORG_UNIT_NAME', value: '/' }, { name: 'ROLE_NAME', value: '_SEED_ADMIN_ROLE' }, ...(userEmail === null ? [] : [{ name: 'USER_EMAIL', value: userEmail }])],
      });
    return {
      env: { GOOGLE_SA_KEY: JSON.stringify(sa.keyJson) },
      monitorEntry: { id: 'gws-acme', type: 'google-workspace', subject: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0, events: {} },
      subjectLogin: 'bob@acme.example',
      change() {
        google.users.get(BOB)!.isAdmin = true;
        return 'privilege_changed';
      },
      logAboutSubject: (at, n = 0) => void assignRole('bob@acme.example', when(at, n)),
      logAboutUnknown: (at) => void assignRole('nobody@acme.example', when(at)),
      logForeign(at) {
        assignRole('helpdesk-group', when(at));
        return 'an ASSIGN_ROLE whose USER_EMAIL is not an email address';
      },
      logWrongShape: (at) => void assignRole(null, when(at)),
      inject(fault: EventEndpointFault) {
        switch (fault) {
          case 'server':
            google.inject({ kind: 'status', status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } }, 1000, onReports);
            return '503 UNAVAILABLE';
          case 'unauthorized':
            google.inject({ kind: 'status', status: 401, body: googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', 'UNAUTHENTICATED') }, 1000, onReports);
            return '401 UNAUTHENTICATED';
          case 'forbidden':
            google.inject({ kind: 'status', status: 403, body: googleError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED') }, 1000, onReports);
            return '403 insufficientPermissions';
          case 'throttled':
            google.inject({ kind: 'status', status: 403, body: googleError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'PERMISSION_DENIED') }, 1000, onReports);
            return '403 rateLimitExceeded';
          case 'not_json':
            google.inject({ kind: 'truncate', status: 200, body: '{"kind":"admin#reports#activities","items":[' }, 1000, onReports);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => google.inject({ kind: 'status', status: 502, body: { error: { code: 502, message: 'Bad Gateway' } } }, 1, (r) => r.path === `/admin/directory/v1/users/${BOB}`),
      repeatLastPage: () => 'the next poll re-reads the overlap window',
      logged: () => google.activities.filter((a) => a.application === 'admin').map((a) => a.item),
      subjectReads: () => google.requests.filter((r) => r.path === `/admin/directory/v1/users/${BOB}`).length,
      clear: () => google.clearFaults(),
      stop: () => google.stop(),
    };
  },
};
