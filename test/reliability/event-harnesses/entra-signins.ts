/**
 * Entra ID's sign-in log poller (the `sign-ins` source, `events.signIns`) in the event fault matrix,
 * on the Entra fake (test/fakes/entra.ts): GET /beta/auditLogs/signIns with
 * `$filter=createdDateTime ge <watermark − overlap> and authenticationRequirement eq 'singleFactorAuthentication'`,
 * @odata.nextLink pages, Graph error bodies, 429 with Retry-After, and the licence refusal (403
 * Authentication_RequestFromNonPremiumTenantOrB2CTenant) that turns this source off. Its events are
 * facts (`signin_without_mfa`, one per sign-in): nothing is re-read.
 * https://learn.microsoft.com/en-us/graph/api/signin-list?view=graph-rest-beta
 * https://learn.microsoft.com/en-us/graph/errors  https://learn.microsoft.com/en-us/graph/throttling
 * https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-activity-logs-with-microsoft-graph#common-errors
 */
import { expect } from 'vitest';
import { FakeEntra, type FakeSignInInput } from '../../fakes/entra.js';
import type { RecordedRequest } from '../../fakes/http.js';
import { never } from './rig.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const BOB = 'b2';
const onSignIns = (r: RecordedRequest) => r.path === '/beta/auditLogs/signIns';
const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { date: '2026-11-22T10:01:00', 'request-id': 'c4e1d2ef-event-faults', 'client-request-id': 'c4e1d2ef-event-faults' } } });
let fakeOf: FakeEntra | undefined;

export const entraSignInsEventHarness: ProviderEventHarness = {
  provider: 'entra',
  monitorId: 'entra-contoso',
  source: 'sign-ins',
  effect: 'fact',
  sibling: 'directory-audits',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 40_000,
  authFix: { unauthorized: /auth: .*401/, forbidden: /permission: .*403.*AuditLog\.Read\.All and Directory\.Read\.All/ },
  as: {
    unreachable: '503 ServiceUnavailable on the sign-in log; the directory audits polled on',
    auth: 'Graph 401 InvalidAuthenticationToken; 403 Authorization_RequestDenied (no consent)',
    throttled: '429 TooManyRequests with Retry-After: 40',
    malformed: 'a page cut mid-JSON; a sign-in without status.errorCode (success cannot be told)',
    foreign: 'a failed single-factor sign-in (errorCode 50126); a passwordless FIDO2 sign-in',
    unknown_user: 'a sign-in by a user created since the last scan: a real sign-in without MFA',
    storm: '1,000 single-factor sign-ins by one user in one poll, each its own sign-in',
    duplicate: 'the next poll re-reads the overlap window (15 min) by design',
  },
  notApplicable: {
    verify_fails: 'no verification: a sign-in is a fact committed from the event itself (nothing a re-read of the account could confirm)',
    push_bad_secret: 'no pushed source: Entra ID sends no webhook for sign-ins (Event Hubs streaming is out of scope)',
    push_replay: 'no pushed source (see above)',
    push_5mb: 'no pushed source (see above)',
  },
  extraRows: [{
    id: 'source_off',
    title: "the provider refuses the source for good (a licence the tenant lacks); the monitor's other source goes on",
    as: "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant on the sign-in log; meanwhile Bob's security info is deleted (directory audits)",
    async run(r) {
      const fake = fakeOf!;
      fake.inject({ kind: 'status', status: 403, body: graphError('Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license") }, 1000, onSignIns);
      // A real change the directory audits must still catch and verify.
      fake.users.get(BOB)!.methodsRegistered = [];
      fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: r.recent().toISOString(), target: { id: BOB, userPrincipalName: 'bob@contoso.com' }, id: 'Directory_evtfaults_off' });
      const drained = await r.runner.drain(never);
      const asked = fake.signInRequests().length;
      r.clock.advance(60_000);
      const again = await r.runner.drain(never);
      const off = [r.line(/: OFF$/), r.line(/off since {6}/)].join(' / ');
      expect(drained.pollFailures).toEqual([]);
      expect(drained.sourcesOff.map((o) => o.source)).toEqual(['sign-ins']);
      expect(r.sourceStatus()).toMatchObject({ health: 'off', consecutiveFailures: 0, disabled: { reason: expect.stringMatching(/no Entra ID P1\/P2 licence/) } });
      expect(r.sourceStatus('directory-audits')).toMatchObject({ health: 'ok', consecutiveFailures: 0 });
      // Off for this process: the next drain asks the sign-in log nothing.
      expect([again.sourcesOff, fake.signInRequests().length]).toEqual([[], asked]);
      expect(off).toMatch(/OFF.*off since .*the tenant has no Entra ID P1\/P2 licence/);
      return { outcome: `sign-ins OFF (not failed; ${drained.pollFailures.length} poll failures), no further sign-in request; directory audits verified Bob: ${r.alerts().length} alert`, operatorSees: off, ...r.count('mfa_disabled') };
    },
  }],
  async start() {
    const fake = new FakeEntra();
    fakeOf = fake;
    fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
    fake.add({ id: BOB, userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
    for (let i = 0; i < 30; i++) fake.add({ id: `u-${i}`, userPrincipalName: `user${i}@contoso.com`, methodsRegistered: i % 10 === 3 ? [] : ['microsoftAuthenticatorPush'] });
    await fake.start();
    const when = (at: Date, n = 0) => new Date(at.getTime() + n).toISOString();
    let serial = 0;
    const bobSignIn = (at: Date, n: number, over: Partial<FakeSignInInput> = {}) =>
      fake.addSignIn({ id: `si-evtfaults-${serial++}-${n}`, createdDateTime: when(at, n), userId: BOB, userPrincipalName: 'bob@contoso.com', errorCode: 0, ...over });
    return {
      env: { ENTRA_CLIENT_SECRET: fake.clientSecret },
      monitorEntry: { id: 'entra-contoso', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${ENTRA_CLIENT_SECRET}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: { signIns: true } },
      subjectLogin: 'bob@contoso.com',
      // The change is the sign-in itself: nothing changes in the account.
      change: () => 'signin_without_mfa',
      logAboutSubject: (at, n = 0) => void bobSignIn(at, n),
      logAboutUnknown: (at) => void fake.addSignIn({ id: 'si-evtfaults-unknown', createdDateTime: when(at), userId: 'zz-nobody', userPrincipalName: 'nobody@contoso.com', errorCode: 0 }),
      unknownLogin: 'nobody@contoso.com',
      logForeign(at) {
        bobSignIn(at, 0, { errorCode: 50126 });
        bobSignIn(at, 1, { authenticationMethodsUsed: ['FIDO'] });
        return 'a failed sign-in (not read further) and a FIDO2 passwordless sign-in (set aside)';
      },
      logWrongShape: (at) => void bobSignIn(at, 0, { errorCode: null }),
      inject(fault: EventEndpointFault) {
        switch (fault) {
          case 'server':
            fake.inject({ kind: 'status', status: 503, body: graphError('ServiceUnavailable', 'Service is temporarily unavailable.') }, 1000, onSignIns);
            return '503 ServiceUnavailable';
          case 'unauthorized':
            fake.inject({ kind: 'status', status: 401, body: graphError('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.') }, 1000, onSignIns);
            return '401 InvalidAuthenticationToken';
          case 'forbidden':
            fake.inject({ kind: 'status', status: 403, body: graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.') }, 1000, onSignIns);
            return '403 Authorization_RequestDenied';
          case 'throttled':
            fake.inject({ kind: 'status', status: 429, headers: { 'retry-after': '40' }, body: graphError('TooManyRequests', 'Too many requests') }, 1000, onSignIns);
            return '429 Retry-After 40';
          case 'not_json':
            fake.inject({ kind: 'truncate', status: 200, body: '{"@odata.context":"x","value":[{"id":' }, 1000, onSignIns);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => fake.inject({ kind: 'status', status: 502, body: graphError('BadGateway', 'Bad Gateway') }, 1, (r) => r.path.endsWith(`/userRegistrationDetails/${BOB}`)),
      repeatLastPage: () => 'the next poll re-reads the overlap window',
      logged: () => fake.signIns,
      subjectReads: () => fake.requests.filter((r) => r.path.endsWith(`/userRegistrationDetails/${BOB}`)).length,
      clear: () => fake.clearFaults(),
      stop: () => fake.stop(),
    };
  },
};
