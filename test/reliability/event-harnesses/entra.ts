/**
 * Entra ID's directory audit log poller in the event fault matrix, on the Entra fake
 * (test/fakes/entra.ts): `$filter=activityDateTime ge <watermark − overlap>`, @odata.nextLink pages,
 * Graph error bodies and 429 with Retry-After.
 * https://learn.microsoft.com/en-us/graph/api/directoryaudit-list
 * https://learn.microsoft.com/en-us/graph/errors  https://learn.microsoft.com/en-us/graph/throttling
 */
import { FakeEntra } from '../../fakes/entra.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const BOB = 'b2';
const bob = { id: BOB, userPrincipalName: 'bob@contoso.com' };
const onAudits = (r: RecordedRequest) => r.path.endsWith('/auditLogs/directoryAudits');
const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { date: '2026-11-22T10:01:00', 'request-id': 'b3f0c1de-event-faults', 'client-request-id': 'b3f0c1de-event-faults' } } });

export const entraEventHarness: ProviderEventHarness = {
  provider: 'entra',
  monitorId: 'entra-contoso',
  source: 'directory-audits',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 40_000,
  authFix: { unauthorized: /auth: .*401/, forbidden: /permission: .*403.*AuditLog\.Read\.All/ },
  as: {
    auth: 'Graph 401 InvalidAuthenticationToken; 403 Authorization_RequestDenied',
    throttled: '429 TooManyRequests with Retry-After: 40',
    foreign: '"Admin deleted security info" that failed (result failure); "Update application" (not about MFA)',
    duplicate: 'the next poll re-reads the overlap window (15 min) by design',
  },
  notApplicable: {
    push_bad_secret: 'no pushed source: Entra ID sends no webhook for directory audits (Event Hubs streaming is out of scope)',
    push_replay: 'no pushed source (see above)',
    push_5mb: 'no pushed source (see above)',
  },
  async start() {
    const fake = new FakeEntra();
    fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
    fake.add({ id: BOB, userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
    for (let i = 0; i < 30; i++) fake.add({ id: `u-${i}`, userPrincipalName: `user${i}@contoso.com`, methodsRegistered: i % 10 === 3 ? [] : ['microsoftAuthenticatorPush'] });
    await fake.start();
    const when = (at: Date, n = 0) => new Date(at.getTime() + n).toISOString();
    return {
      env: { ENTRA_CLIENT_SECRET: fake.clientSecret },
      monitorEntry: { id: 'entra-contoso', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${ENTRA_CLIENT_SECRET}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: {} },
      subjectLogin: 'bob@contoso.com',
      change() {
        fake.users.get(BOB)!.methodsRegistered = [];
        return 'mfa_disabled';
      },
      logAboutSubject: (at, n = 0) => void fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: when(at, n), target: bob, id: `Directory_evtfaults_${fake.audits.length}_${n}` }),
      logAboutUnknown: (at) => void fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: when(at), target: { id: 'zz-nobody', userPrincipalName: 'nobody@contoso.com' }, id: 'Directory_evtfaults_unknown' }),
      logForeign(at) {
        fake.addAudit({ activityDisplayName: 'Admin deleted security info', result: 'failure', activityDateTime: when(at), target: bob, id: 'Directory_evtfaults_failed' });
        fake.addAudit({ activityDisplayName: 'Update application', loggedByService: 'Core Directory', category: 'ApplicationManagement', activityDateTime: when(at, 1), id: 'Directory_evtfaults_app' });
        return 'a failed "Admin deleted security info" and an application update';
      },
      logWrongShape: (at) => void fake.audits.push({ id: 'Directory_evtfaults_broken', activityDateTime: when(at) }),
      inject(fault: EventEndpointFault) {
        switch (fault) {
          case 'server':
            fake.inject({ kind: 'status', status: 503, body: graphError('ServiceUnavailable', 'Service is temporarily unavailable.') }, 1000, onAudits);
            return '503 ServiceUnavailable';
          case 'unauthorized':
            fake.inject({ kind: 'status', status: 401, body: graphError('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.') }, 1000, onAudits);
            return '401 InvalidAuthenticationToken';
          case 'forbidden':
            fake.inject({ kind: 'status', status: 403, body: graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.') }, 1000, onAudits);
            return '403 Authorization_RequestDenied';
          case 'throttled':
            fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '40' }, body: graphError('TooManyRequests', 'Too many requests') }, 1000, onAudits);
            return '429 Retry-After 40';
          case 'not_json':
            fake.inject({ kind: 'truncate', status: 200, body: '{"@odata.context":"x","value":[{"id":' }, 1000, onAudits);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => fake.inject({ kind: 'status', status: 502, body: graphError('BadGateway', 'Bad Gateway') }, 1, (r) => r.path.endsWith(`/userRegistrationDetails/${BOB}`)),
      repeatLastPage: () => 'the next poll re-reads the overlap window',
      logged: () => fake.audits,
      subjectReads: () => fake.requests.filter((r) => r.path.endsWith(`/userRegistrationDetails/${BOB}`)).length,
      clear: () => fake.clearFaults(),
      stop: () => fake.stop(),
    };
  },
};
