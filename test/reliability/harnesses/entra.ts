/** The Microsoft Entra ID monitor in the fault matrix, on the Entra fake (test/fakes/entra.ts). */
import { FakeEntra, type FakeEntraUser } from '../../fakes/entra.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const REPORT = '/v1.0/reports/authenticationMethods/userRegistrationDetails';
/** The second page of the report (the first $skiptoken): the fault lands after page 1 was staged. */
const skipOf = (r: RecordedRequest) => Number(Buffer.from(r.query.get('$skiptoken') ?? '', 'base64url').toString('utf8').replace(/^skip:/, '')) || 0;
const pageTwo = (r: RecordedRequest) => r.path === REPORT && skipOf(r) === 100;
const pad = (i: number) => String(i).padStart(5, '0');

/** Graph's error body. https://learn.microsoft.com/en-us/graph/errors */
const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { date: '2026-11-22T10:00:00', 'request-id': '4c6b3a8e-0000-0000-0000-000000000000', 'client-request-id': '4c6b3a8e-0000-0000-0000-000000000000' } } });

export const entraHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'entra',
  notApplicable: {
    rate_limit_primary_403: 'Microsoft Graph throttles with 429 (or 503) and Retry-After; it never answers 403 for a rate limit',
    rate_limit_secondary_403: 'Microsoft Graph throttles with 429 (or 503) and Retry-After; it never answers 403 for a rate limit',
  },
  as: {
    server_error: '503 serviceNotAvailable on page 2',
    rate_limit_429: '429 TooManyRequests with Retry-After: 3600',
    unauthorized_401: 'Graph refuses the access token (401 InvalidAuthenticationToken)',
    permission_403: 'admin consent for AuditLog.Read.All withdrawn (403 Authorization_RequestDenied)',
    not_found_404: 'the report answers 404 Request_ResourceNotFound',
    wrong_shape: 'an OData answer without "value"',
    missing_page: 'page 2 answered with the rows of page 3 and no @odata.nextLink (rows 100-199 never listed)',
    duplicate_across_pages: 'page 2 answered with the rows of page 1 and the link to page 3',
    short_last_page: 'page 3 (the last) answered with 40 of its 50 rows',
  },
  expectOverride: {
    missing_page: {
      expect: 'held',
      why: 'the report pages by an opaque @odata.nextLink and carries no total, so a dropped page reads as a shorter list; the mass-change guard holds it; a smaller drop is kept until a second scan agrees (see "A removal needs proof" above)',
    },
  },
  async start() {
    const fake = new FakeEntra();
    for (let i = 0; i < 250; i++) fake.add({ id: `u-${pad(i)}`, userPrincipalName: `user${i}@contoso.com`, isAdmin: i === 0, methodsRegistered: i % 10 === 3 ? [] : ['microsoftAuthenticatorPush'], isMfaRegistered: i % 10 !== 3 });
    await fake.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: Map<string, FakeEntraUser> | null = null;
    /** Report rows as Graph lists them (the fields the monitor reads). */
    const rows = (from: number, to: number) =>
      [...fake.users.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .slice(from, to)
        .map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName, userDisplayName: u.userPrincipalName.split('@')[0], userType: 'member', isAdmin: u.isAdmin ?? false, isMfaRegistered: u.isMfaRegistered ?? false, methodsRegistered: u.methodsRegistered }));
    const page = (from: number, to: number, nextSkip?: number) => ({
      '@odata.context': `${fake.url}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails`,
      value: rows(from, to),
      ...(nextSkip !== undefined ? { '@odata.nextLink': `${fake.url}${REPORT}?$skiptoken=${Buffer.from(`skip:${nextSkip}`).toString('base64url')}` } : {}),
    });
    return {
      env: { ENTRA_CLIENT_SECRET: fake.clientSecret },
      monitorEntry: () => {
        const url = refused ? refusedUrl : fake.url;
        return { id: 'entra-contoso', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${ENTRA_CLIENT_SECRET}', loginBaseUrl: url, graphBaseUrl: url, retries: 1, requestTimeout: '400ms' };
      },
      inject(fault: FaultId) {
        switch (fault) {
          case 'server_error':
            return fake.inject({ kind: 'status', status: 503, body: graphError('serviceNotAvailable', 'Service unavailable') }, 1000, pageTwo);
          case 'rate_limit_429':
            return fake.inject({ kind: 'status', status: 429, body: graphError('TooManyRequests', 'Too many requests'), headers: { 'retry-after': '3600' } }, 1000, pageTwo);
          case 'unauthorized_401':
            return fake.inject({ kind: 'status', status: 401, body: graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.') }, 1000, (r) => r.path === REPORT);
          case 'permission_403':
            fake.consented = false;
            return;
          case 'not_found_404':
            return fake.inject({ kind: 'status', status: 404, body: graphError('Request_ResourceNotFound', `Resource '${REPORT}' does not exist.`) }, 1000, (r) => r.path === REPORT);
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return fake.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return fake.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return fake.inject({ kind: 'truncate', body: '{"@odata.context":"x","value":[{"id":"u-00100","userPrincipalName":"user100@con' }, 1000, pageTwo);
          case 'wrong_shape':
            return fake.inject({ kind: 'status', status: 200, body: { '@odata.context': 'x', users: rows(100, 200) } }, 1000, pageTwo);
          case 'empty_list':
            saved = fake.users;
            fake.users = new Map();
            return;
          case 'missing_page':
            return fake.inject({ kind: 'status', status: 200, body: page(200, 300) }, 1000, pageTwo);
          case 'duplicate_across_pages':
            return fake.inject({ kind: 'status', status: 200, body: page(0, 100, 200) }, 1000, pageTwo);
          case 'short_last_page':
            return fake.inject({ kind: 'rewrite', rewrite: (a) => {
              const body = JSON.parse(a.body) as { value: unknown[] };
              return { ...a, body: JSON.stringify({ ...body, value: body.value.slice(0, 40) }) };
            } }, 1000, (r) => r.path === REPORT && skipOf(r) === 200);
          default:
            throw new Error(`entra harness: no injection for ${fault}`);
        }
      },
      clear() {
        fake.clearFaults();
        fake.consented = true;
        refused = false;
        if (saved) fake.users = saved;
        saved = null;
      },
      makeRealChange() {
        const user = fake.users.get('u-00001');
        if (!user) throw new Error('the harness tenant lost u-00001');
        user.methodsRegistered = [];
        user.isMfaRegistered = false;
        return { type: 'mfa_disabled', accountId: 'u-00001' };
      },
      stop: () => fake.stop(),
    };
  },
};
