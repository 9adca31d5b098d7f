/**
 * Okta's event sources in the event fault matrix: the System Log poller (the polling pattern: the
 * saved rel="next" link is the cursor) and the event hook (pushed, static Authorization secret), on
 * the Okta fake (test/fakes/okta.ts).
 * https://developer.okta.com/docs/reference/system-log-query/
 * https://developer.okta.com/docs/concepts/event-hooks/
 */
import { FakeOkta, oktaLogEvent } from '../../fakes/okta.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const TOKEN = '00okta-event-faults-token-0123456789';
const HOOK_SECRET = 'okta-event-faults-hook-secret-7e21';
const LOGS = '/api/v1/logs';
const BOB = '00ub2';
const bob = { id: BOB, type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' };
const admin = { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' };
/** Okta's documented error body. https://developer.okta.com/docs/reference/error-codes/ */
const oktaError = (errorCode: string, errorSummary: string) => ({ errorCode, errorSummary, errorLink: errorCode, errorId: 'oaeEventFaults', errorCauses: [] });

export const oktaEventHarness: ProviderEventHarness = {
  provider: 'okta',
  monitorId: 'okta-acme',
  source: 'system-log',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 25_000,
  authFix: { unauthorized: /auth: .*401 \(E0000011\).*token/i, forbidden: /permission: .*403.*okta\.logs\.read/ },
  as: {
    throttled: '429 E0000047 with X-Rate-Limit-Limit/-Remaining 0/-Reset 30 s ahead',
    duplicate: 'the System Log answers the last page again (same uuid)',
    foreign: 'group.user_membership.add into a group not in events.adminGroups; a failed user.session.start',
    push_bad_secret: 'the event hook, Authorization header wrong',
    push_replay: 'the event hook delivers a LogEvent uuid already received',
  },
  async start() {
    const okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true } } });
    okta.addUser({ id: '00ua1', login: 'alice@example.com', factors: [{ factorType: 'webauthn' }], roles: ['SUPER_ADMIN'] });
    okta.addUser({ id: BOB, login: 'bob@example.com', factors: [{ factorType: 'push' }] });
    okta.generateUsers(30);
    await okta.start();
    const onLogs = (r: { path: string }) => r.path === LOGS;
    let hookSerial = 0;
    const deactivate = (at: Date, n: number, target = bob, uuid?: string) =>
      okta.logs.push(oktaLogEvent({ eventType: 'user.mfa.factor.deactivate', actor: admin, target: [target], published: new Date(at.getTime() + n).toISOString(), ...(uuid ? { uuid } : {}) }, okta.logs.length));
    return {
      env: { OKTA_TOKEN: TOKEN, OKTA_HOOK_SECRET: HOOK_SECRET },
      monitorEntry: { id: 'okta-acme', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}', retries: 0, events: { pageSize: 200, adminGroups: ['Okta Admins'], hook: { authorization: '${OKTA_HOOK_SECRET}' } } },
      subjectLogin: 'bob@example.com',
      change() {
        okta.users.get(BOB)!.factors = [];
        return 'mfa_disabled';
      },
      logAboutSubject: (at, n = 0) => void deactivate(at, n, bob, `evt-faults-bob-${n}-${okta.logs.length}`),
      logAboutUnknown: (at) => void deactivate(at, 0, { id: '00unobody', type: 'User', alternateId: 'nobody@example.com', displayName: 'Nobody' }),
      logForeign(at) {
        okta.addLog({ eventType: 'group.user_membership.add', actor: admin, target: [bob, { id: '00gsales', type: 'UserGroup', displayName: 'Sales' }], published: at.toISOString() });
        okta.addLog({ eventType: 'user.session.start', actor: bob, outcome: 'FAILURE', published: new Date(at.getTime() + 1).toISOString() });
        return 'a non-admin group membership and a failed sign-in';
      },
      logWrongShape(at) {
        okta.logs.push({ uuid: 'evt-faults-broken', eventType: 'user.mfa.factor.deactivate', publishedAt: at.toISOString() });
      },
      inject(fault: EventEndpointFault) {
        const reset = String(Math.floor(Date.now() / 1000) + 30);
        switch (fault) {
          case 'server':
            okta.inject({ kind: 'status', status: 503, body: oktaError('E0000009', 'Internal Server Error') }, 1000, onLogs);
            return '503 E0000009';
          case 'unauthorized':
            okta.inject({ kind: 'status', status: 401, body: oktaError('E0000011', 'Invalid token provided') }, 1000, onLogs);
            return '401 E0000011 (token revoked)';
          case 'forbidden':
            okta.inject({ kind: 'status', status: 403, body: oktaError('E0000006', 'You do not have permission to perform the requested action') }, 1000, onLogs);
            return '403 E0000006 (okta.logs.read not granted)';
          case 'throttled':
            okta.inject({ kind: 'status', status: 429, body: oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), headers: { 'x-rate-limit-limit': '120', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset } }, 1000, onLogs);
            return '429 E0000047, X-Rate-Limit-Reset in 30 s';
          case 'not_json':
            okta.inject({ kind: 'truncate', status: 200, body: '[{"uuid":"dc9fd3c0-598c-11ef' }, 1000, onLogs);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => okta.inject({ kind: 'status', status: 502, body: oktaError('E0000009', 'Internal Server Error') }, 1, (r) => r.path === `/api/v1/users/${BOB}`),
      repeatLastPage(last) {
        // Okta's answer to the saved link, with the previous page's LogEvents instead of nothing new.
        okta.inject({ kind: 'rewrite', rewrite: (a) => ({ ...a, body: JSON.stringify(last) }) }, 1, onLogs);
        return 'the next poll answered with the previous page again';
      },
      logged: () => okta.logs,
      subjectReads: () => okta.requests.filter((r) => r.path === `/api/v1/users/${BOB}`).length,
      clear: () => okta.clearFaults(),
      stop: () => okta.stop(),
      push: {
        source: 'event-hook',
        acceptedStatus: 204,
        secretHeader: 'Authorization',
        pushedEvent: () => oktaLogEvent({ eventType: 'user.mfa.factor.deactivate', actor: admin, target: [bob], uuid: `evt-faults-hook-${hookSerial++}` }, 0),
        // A replay in another delivery (its own eventId): the dedupe key is the LogEvent's uuid.
        delivery: (event, attempt) => ({
          headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Okta-Integrations', authorization: HOOK_SECRET },
          body: JSON.stringify({
            eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', source: `${okta.url}/api/v1/eventHooks/whoEventFaults`,
            eventId: `b5a188b9-5ece-4636-b041-48200000000${attempt}`, data: { events: [event] }, eventTime: '2026-11-22T10:01:01.032Z', contentType: 'application/json',
          }),
        }),
        withWrongSecret: (headers) => ({ ...headers, authorization: 'a-guessed-secret' }),
      },
    };
  },
};
