/**
 * Slack Enterprise Grid's Audit Logs API poller in the event fault matrix, on the Slack fake
 * (test/fakes/slack.ts): `oldest` = watermark − overlap, `response_metadata.next_cursor` pages, 429
 * with Retry-After. Slack has no audit action for a member turning their own 2FA off, so the
 * subject's change here is a promotion to admin (role_change_to_admin → privilege_changed).
 * https://api.slack.com/admins/audit-logs-call  https://api.slack.com/docs/rate-limits
 */
import type { RecordedRequest } from '../../fakes/http.js';
import { FakeSlack, type FakeSlackToken } from '../../fakes/slack.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const TOKEN = 'xoxp-event-faults-org-owner-0001';
const BOB = 'U0BOB';
const onLogs = (r: RecordedRequest) => r.path === '/audit/v1/logs';
const OWNER: FakeSlackToken = { userId: 'U0ADMIN', scopes: ['users:read', 'users:read.email', 'auditlogs:read'] };
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

export const slackEventHarness: ProviderEventHarness = {
  provider: 'slack',
  monitorId: 'slack-acme',
  source: 'audit-logs',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 30_000,
  authFix: { unauthorized: /auth: .*invalid_auth/, forbidden: /permission: .*auditlogs:read/ },
  as: {
    auth: 'the token revoked (invalid_auth); a token without auditlogs:read (missing_scope)',
    throttled: '429 ratelimited with Retry-After: 30 (tier 3, shared by the organisation)',
    foreign: 'pref.two_factor_auth_changed with values not recognised; file_downloaded (not used)',
    storm: '1,000 role_change_to_admin entries about one member (Slack has no per-member 2FA action)',
    duplicate: 'the next poll re-reads the overlap window (5 min) by design',
  },
  notApplicable: {
    push_bad_secret: 'no pushed source: the Audit Logs API is polled only',
    push_replay: 'no pushed source (see above)',
    push_5mb: 'no pushed source (see above)',
  },
  async start() {
    const slack = new FakeSlack({ [TOKEN]: { ...OWNER } });
    slack.addMember({ id: 'U0ADMIN', name: 'admin', email: 'admin@example.com', isAdmin: true, has2fa: true, twoFactorType: 'app' });
    slack.addMember({ id: BOB, name: 'bob', email: 'bob@example.com', has2fa: true, twoFactorType: 'app' });
    for (let i = 0; i < 30; i++) slack.addMember({ id: `U1${String(i).padStart(6, '0')}`, name: `user${i}`, email: `user${i}@example.com`, has2fa: i % 10 !== 3, twoFactorType: 'app' });
    await slack.start();
    let serial = 0;
    return {
      env: { SLACK_TOKEN: TOKEN },
      monitorEntry: { id: 'slack-acme', type: 'slack', token: '${SLACK_TOKEN}', baseUrl: `${slack.url}/api`, retries: 0, events: { auditBaseUrl: `${slack.url}/audit/v1` } },
      subjectLogin: 'bob',
      change() {
        slack.members.get(BOB)!.isAdmin = true;
        return 'privilege_changed';
      },
      logAboutSubject: (at, n = 0) => void slack.addAudit({ action: 'role_change_to_admin', user: { id: BOB, name: 'bob' }, dateCreate: seconds(at), id: `evt-faults-${serial++}-${n}` }),
      logAboutUnknown: (at) => void slack.addAudit({ action: 'role_change_to_admin', user: { id: 'U0NOPE', name: 'nobody' }, dateCreate: seconds(at), id: `evt-faults-${serial++}` }),
      logForeign(at) {
        slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: 'strict', new_value: 'lenient' }, dateCreate: seconds(at), id: `evt-faults-${serial++}` });
        slack.addAudit({ action: 'file_downloaded', user: { id: BOB, name: 'bob' }, dateCreate: seconds(at), id: `evt-faults-${serial++}` });
        return 'a 2FA preference change with values not recognised, and a file download';
      },
      logWrongShape: (at) => void slack.audit.push({ id: 'evt-faults-broken', date_create: seconds(at) }),
      inject(fault: EventEndpointFault) {
        switch (fault) {
          case 'server':
            slack.inject({ kind: 'status', status: 503, body: 'upstream connect error', headers: { 'content-type': 'text/plain' } }, 1000, onLogs);
            return '503';
          case 'unauthorized':
            delete slack.tokens[TOKEN];
            return 'the token revoked: invalid_auth';
          case 'forbidden':
            slack.tokens[TOKEN] = { ...OWNER, scopes: ['users:read', 'users:read.email'] };
            return 'auditlogs:read missing: missing_scope';
          case 'throttled':
            slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } }, 1000, onLogs);
            return '429 Retry-After 30';
          case 'not_json':
            slack.inject({ kind: 'truncate', status: 200, body: '{"entries":[{"id":' }, 1000, onLogs);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => slack.inject({ kind: 'status', status: 503, body: 'upstream connect error', headers: { 'content-type': 'text/plain' } }, 1, (r) => r.path === '/api/users.info' && r.query.get('user') === BOB),
      repeatLastPage: () => 'the next poll re-reads the overlap window',
      logged: () => slack.audit,
      subjectReads: () => slack.requests.filter((r) => r.path === '/api/users.info' && r.query.get('user') === BOB).length,
      clear() {
        slack.clearFaults();
        slack.tokens[TOKEN] = { ...OWNER };
      },
      stop: () => slack.stop(),
    };
  },
};
