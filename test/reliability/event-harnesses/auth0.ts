/**
 * Auth0's tenant-log poller in the event fault matrix, on the Auth0 fake (test/fakes/auth0.ts):
 * checkpoint pagination (`from=<log_id>&take=100`), Management API error bodies, 429 with
 * X-RateLimit-Limit/-Remaining/-Reset; and the Log Stream (Custom Webhook, pushed) with its static
 * Authorization token. https://auth0.com/docs/customize/log-streams/custom-log-streams
 * https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
 * https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy/management-api-endpoint-rate-limits
 */
import type { RecordedRequest } from '../../fakes/http.js';
import { FakeAuth0 } from '../../fakes/auth0.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const BOB = 'auth0|bob';
const STREAM_TOKEN = 'Bearer auth0-event-faults-log-stream-token-5d1c';
const onLogs = (r: RecordedRequest) => r.path === '/api/v2/logs';
const auth0Error = (statusCode: number, error: string, message: string, errorCode?: string) => ({ statusCode, error, message, ...(errorCode ? { errorCode } : {}) });

export const auth0EventHarness: ProviderEventHarness = {
  provider: 'auth0',
  monitorId: 'a0-acme',
  source: 'logs',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 25_000,
  authFix: { unauthorized: /auth: Auth0 returned 401.*token was refused/, forbidden: /permission: Auth0 returned 403.*read:logs/ },
  as: {
    auth: '401 Invalid token; 403 insufficient_scope (read:logs not granted)',
    throttled: '429 too_many_requests with X-RateLimit-Limit/-Remaining 0/-Reset 30 s ahead',
    foreign: 'gd_unenroll naming no user_id; sapi and fp entries (codes not used)',
    duplicate: 'the checkpoint read answers the last entries again (same log_id)',
    push_bad_secret: 'the Log Stream (Custom Webhook), Authorization header wrong',
    push_replay: 'the Log Stream redelivers an entry (same log_id)',
  },
  async start() {
    const fake = new FakeAuth0();
    fake.scopes = ['read:users', 'read:authentication_methods', 'read:logs'];
    fake.add({ user_id: 'auth0|alice', email: 'alice@example.com', methods: [{ type: 'guardian' }] });
    fake.add({ user_id: BOB, email: 'bob@example.com', methods: [{ type: 'totp' }] });
    for (let i = 0; i < 30; i++) fake.add({ user_id: `auth0|u${String(i).padStart(3, '0')}`, email: `user${i}@example.com`, methods: i % 10 === 3 ? [] : [{ type: 'totp' }] });
    // A tenant's log is never empty: the client-credentials exchange itself is logged (seccft).
    fake.addLog({ type: 'seccft', description: 'Client Credentials for Access Token' });
    await fake.start();
    const when = (at: Date, n = 0) => new Date(at.getTime() + n).toISOString();
    let streamSerial = 0;
    return {
      env: { A0_CLIENT_SECRET: fake.clientSecret, A0_STREAM_TOKEN: STREAM_TOKEN },
      monitorEntry: { id: 'a0-acme', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${A0_CLIENT_SECRET}', baseUrl: fake.url, retries: 0, events: { logStream: { authorization: '${A0_STREAM_TOKEN}' } } },
      subjectLogin: 'bob@example.com',
      change() {
        fake.users.get(BOB)!.methods = [];
        return 'mfa_disabled';
      },
      logAboutSubject: (at, n = 0) => void fake.addLog({ type: 'gd_unenroll', user_id: BOB, user_name: 'bob@example.com', date: when(at, n) }),
      logAboutUnknown: (at) => void fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|nobody', user_name: 'nobody@example.com', date: when(at) }),
      logForeign(at) {
        fake.addLog({ type: 'gd_unenroll', date: when(at) });
        fake.addLog({ type: 'sapi', description: 'Update a user', date: when(at, 1) });
        fake.addLog({ type: 'fp', user_id: BOB, user_name: 'bob@example.com', description: 'Wrong email or password.', date: when(at, 2) });
        return 'gd_unenroll naming no user, an API operation and a failed login';
      },
      logWrongShape: () => void fake.logs.push({ log_id: `900299${'0'.repeat(49)}1`, type: 'gd_unenroll' }),
      inject(fault: EventEndpointFault) {
        const reset = String(Math.floor(Date.now() / 1000) + 30);
        switch (fault) {
          case 'server':
            fake.inject({ kind: 'status', status: 503, body: auth0Error(503, 'Service Unavailable', 'The service is unavailable.') }, 1000, onLogs);
            return '503';
          case 'unauthorized':
            fake.inject({ kind: 'status', status: 401, body: auth0Error(401, 'Unauthorized', 'Invalid token', 'invalid_token') }, 1000, onLogs);
            return '401 invalid_token';
          case 'forbidden':
            fake.inject({ kind: 'status', status: 403, body: auth0Error(403, 'Forbidden', 'Insufficient scope, expected any of: read:logs', 'insufficient_scope') }, 1000, onLogs);
            return '403 insufficient_scope';
          case 'throttled':
            fake.inject({ kind: 'status', status: 429, body: auth0Error(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests'), headers: { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }, 1000, onLogs);
            return '429 X-RateLimit-Reset in 30 s';
          case 'not_json':
            fake.inject({ kind: 'truncate', status: 200, body: '[{"log_id":"9002' }, 1000, onLogs);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => fake.inject({ kind: 'status', status: 502, body: auth0Error(502, 'Bad Gateway', 'Bad Gateway') }, 1, (r) => decodeURIComponent(r.path) === `/api/v2/users/${BOB}`),
      repeatLastPage(last) {
        fake.inject({ kind: 'rewrite', rewrite: (a) => ({ ...a, body: JSON.stringify(last) }) }, 1, onLogs);
        return 'the next checkpoint read answered with the last entries again';
      },
      logged: () => fake.logs,
      subjectReads: () => fake.requests.filter((r) => decodeURIComponent(r.path) === `/api/v2/users/${BOB}`).length,
      clear: () => fake.clearFaults(),
      stop: () => fake.stop(),
      push: {
        source: 'log-stream',
        acceptedStatus: 202,
        secretHeader: 'Authorization',
        // A log entry as the tenant log holds it (the fake's format), not appended to the pulled log.
        pushedEvent: () => ({
          date: '2026-11-22T10:00:50.000Z', type: 'gd_unenroll', description: 'Guardian - Unenroll device', client_id: 'appClientId123', client_name: 'Acme App', ip: '198.51.100.23',
          user_agent: 'Firefox 132.0.0 / Linux 0.0.0', details: {}, user_id: BOB, user_name: 'bob@example.com', log_id: `900301${String(++streamSerial).padStart(50, '0')}`, tenant_name: 'acme', $event_schema: { version: '1.0.0' },
        }),
        // The Custom Webhook's JSON-lines content format; a redelivery is the same body again.
        delivery: (event) => ({ headers: { 'content-type': 'application/json', 'user-agent': 'Auth0-Log-Streams', authorization: STREAM_TOKEN }, body: FakeAuth0.logStreamBody([event]) }),
        withWrongSecret: (headers) => ({ ...headers, authorization: 'Bearer a-guessed-token' }),
      },
    };
  },
};
