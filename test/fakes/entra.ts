/**
 * A fake of the Microsoft identity platform token endpoint and of Microsoft Graph's
 * authentication-methods registration report, from Microsoft's published formats:
 * client-credentials token answers and AADSTS error bodies, the OData collection
 * ({"@odata.context", "value", "@odata.nextLink"} with an opaque $skiptoken), Graph error bodies
 * ({"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}),
 * the licence check, and the evolvable-enum rule (newer method names come back as
 * "unknownFutureValue" without `Prefer: include-unknown-enum-members`).
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/en-us/graph/api/authenticationmethodsroot-list-userregistrationdetails
 * https://learn.microsoft.com/en-us/graph/errors
 *
 * Also GET /v1.0/reports/authenticationMethods/userRegistrationDetails/{id} (one row, 404 when
 * absent) and the directory audit log GET /v1.0/auditLogs/directoryAudits with
 * `$filter=activityDateTime ge <ISO 8601>` (other filters are 400 BadRequest), newest first unless
 * `$orderby=activityDateTime asc` (the property supports $orderby; an order on another property is
 * 400), paged with @odata.nextLink (which keeps the filter and order); throttling is 429 with
 * Retry-After (seconds).
 * https://learn.microsoft.com/en-us/graph/api/directoryaudit-list
 * https://learn.microsoft.com/en-us/graph/api/resources/directoryaudit
 *
 * And the beta sign-in log GET /beta/auditLogs/signIns with `$filter=createdDateTime ge <ISO 8601>`,
 * optionally `and authenticationRequirement eq '<value>'` (other filters are 400 BadRequest), newest
 * first unless `$orderby=createdDateTime asc`, paged with @odata.nextLink; 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant
 * without the P1/P2 licence, 403 Authorization_RequestDenied without consent.
 * https://learn.microsoft.com/en-us/graph/api/signin-list?view=graph-rest-beta
 * https://learn.microsoft.com/en-us/graph/api/resources/signin?view=graph-rest-beta
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeEntraUser {
  id: string;
  userPrincipalName: string;
  userDisplayName?: string;
  userType?: 'member' | 'guest';
  isAdmin?: boolean;
  methodsRegistered: string[];
  /** Defaults to "has any method other than email/securityQuestion". */
  isMfaRegistered?: boolean;
}

/** Members of the evolvable enum that Graph only names when asked to (the rest read "unknownFutureValue"). */
const EVOLVED = new Set(['passKeyDeviceBound', 'passKeyDeviceBoundAuthenticator', 'passKeyDeviceBoundWindowsHello', 'passKeySynced', 'macOsSecureEnclaveKey', 'externalAuthMethod', 'platformCredential']);

export interface FakeAuditInput {
  activityDisplayName: string;
  activityDateTime?: string;
  id?: string;
  category?: string;
  loggedByService?: string;
  result?: 'success' | 'failure' | 'timeout';
  /** The user acted on. */
  target?: { id: string; userPrincipalName?: string | null };
  /** Who did it (default an administrator). */
  initiatedBy?: { id: string; userPrincipalName: string; ipAddress?: string };
}

/** A directoryAudit as Graph returns it. */
export function directoryAudit(input: FakeAuditInput, n: number): Record<string, unknown> {
  const by = input.initiatedBy ?? { id: 'admin-id', userPrincipalName: 'admin@contoso.com', ipAddress: '198.51.100.4' };
  return {
    id: input.id ?? `Directory_${randomUUID()}_${n}`,
    category: input.category ?? 'UserManagement',
    correlationId: randomUUID(),
    result: input.result ?? 'success',
    resultReason: '',
    activityDisplayName: input.activityDisplayName,
    activityDateTime: input.activityDateTime ?? new Date(Date.UTC(2026, 10, 22, 9, 59, 0) + n * 1000).toISOString(),
    loggedByService: input.loggedByService ?? 'Authentication Methods',
    operationType: 'Update',
    initiatedBy: { app: null, user: { id: by.id, displayName: null, userPrincipalName: by.userPrincipalName, ipAddress: by.ipAddress ?? '', userType: null, homeTenantId: null, homeTenantName: null } },
    targetResources: input.target ? [{ id: input.target.id, displayName: null, type: 'User', userPrincipalName: input.target.userPrincipalName ?? null, groupType: null, modifiedProperties: [] }] : [],
    additionalDetails: [],
  };
}

export interface FakeSignInInput {
  createdDateTime: string;
  id?: string;
  userId?: string | null;
  userPrincipalName?: string;
  userType?: 'member' | 'guest';
  isInteractive?: boolean;
  authenticationRequirement?: 'singleFactorAuthentication' | 'multiFactorAuthentication';
  /** 0 is success; absent leaves `status` empty, as in Microsoft's own example. */
  errorCode?: number | null;
  authenticationMethodsUsed?: string[];
  appDisplayName?: string;
  ipAddress?: string;
}

/** A beta signIn as Graph returns it (the fields of Microsoft's documented examples). */
export function signIn(input: FakeSignInInput): Record<string, unknown> {
  const requirement = input.authenticationRequirement ?? 'singleFactorAuthentication';
  const methods = input.authenticationMethodsUsed ?? ['Password'];
  return {
    id: input.id ?? randomUUID(),
    createdDateTime: input.createdDateTime,
    userDisplayName: (input.userPrincipalName ?? 'someone@contoso.com').split('@')[0],
    userPrincipalName: input.userPrincipalName ?? 'someone@contoso.com',
    userId: input.userId === undefined ? randomUUID() : input.userId,
    userType: input.userType ?? 'member',
    appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
    appDisplayName: input.appDisplayName ?? 'Azure Portal',
    authenticationRequirement: requirement,
    ipAddress: input.ipAddress ?? '207.254.19.10',
    clientAppUsed: 'Browser',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.132 Safari/537.36',
    correlationId: randomUUID(),
    conditionalAccessStatus: 'notApplied',
    originalRequestId: randomUUID(),
    isInteractive: input.isInteractive ?? true,
    tokenIssuerName: '',
    tokenIssuerType: 'AzureAD',
    processingTimeInMilliseconds: 100,
    riskDetail: 'none',
    riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none',
    riskState: 'none',
    riskEventTypes: [],
    riskEventTypes_v2: [],
    resourceDisplayName: 'Windows Azure Service Management API',
    resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
    authenticationMethodsUsed: methods,
    status: input.errorCode === undefined || input.errorCode === null ? {} : { errorCode: input.errorCode, failureReason: input.errorCode === 0 ? null : 'Invalid username or password or Invalid on-premise username or password.', additionalDetails: null },
    deviceDetail: { deviceId: '', displayName: null, operatingSystem: 'Windows 10', browser: 'Edge 80.0.361', isCompliant: null, isManaged: null, trustType: null },
    location: { city: 'Redmond', state: 'Washington', countryOrRegion: 'US', geoCoordinates: { altitude: null, latitude: 47.68, longitude: -122.12 } },
    appliedConditionalAccessPolicies: [],
    authenticationProcessingDetails: [],
    networkLocationDetails: [],
    authenticationDetails: methods.map((m, i) => ({
      authenticationStepDateTime: input.createdDateTime, authenticationMethod: m, authenticationMethodDetail: m === 'Password' ? 'Cloud password' : null, succeeded: true,
      authenticationStepResultDetail: 'methodSucceeded', authenticationStepRequirement: i === 0 ? 'Primary authentication' : 'MFA',
    })),
    authenticationRequirementPolicies: [],
  };
}

export class FakeEntra extends LoopbackServer {
  users = new Map<string, FakeEntraUser>();
  /** The directory audit log. */
  audits: Array<Record<string, unknown>> = [];
  auditPageSize = 100;
  /** The sign-in log (beta). */
  signIns: Array<Record<string, unknown>> = [];
  signInPageSize = 1000;
  tenantId = 'contoso.onmicrosoft.com';
  clientId = '11111111-2222-3333-4444-555555555555';
  clientSecret = 'entra~test~client~secret~value';
  /** Tenant has Entra ID P1/P2. */
  premium = true;
  /** The app has AuditLog.Read.All with admin consent. */
  consented = true;
  pageSize = 100;
  tokensIssued: string[] = [];

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  add(u: FakeEntraUser): void {
    this.users.set(u.id, u);
  }

  addAudit(input: FakeAuditInput): Record<string, unknown> {
    const a = directoryAudit(input, this.audits.length);
    this.audits.push(a);
    return a;
  }

  addSignIn(input: FakeSignInInput): Record<string, unknown> {
    const s = signIn(input);
    this.signIns.push(s);
    return s;
  }

  signInRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/beta/auditLogs/signIns');
  }

  auditRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1.0/auditLogs/directoryAudits');
  }

  /** Requests made to the report. */
  reportRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/userRegistrationDetails'));
  }

  #tokenError(res: ServerResponse, status: number, error: string, description: string): void {
    sendJson(res, status, {
      error,
      error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: 2026-11-22 10:00:00Z`,
      error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
      timestamp: '2026-11-22 10:00:00Z',
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${/AADSTS(\d+)/.exec(description)?.[1] ?? ''}`,
    });
  }

  #graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    const id = randomUUID();
    sendJson(res, status, { error: { code, message, innerError: { date: '2026-11-22T10:00:00', 'request-id': id, 'client-request-id': id } } }, headers);
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(req.path);
    if (tokenPath) {
      if (req.method !== 'POST') return this.#tokenError(res, 405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.');
      const form = new URLSearchParams(req.body);
      if (decodeURIComponent(tokenPath[1] ?? '') !== this.tenantId) return this.#tokenError(res, 400, 'invalid_request', `AADSTS90002: Tenant '${tokenPath[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      if (form.get('grant_type') !== 'client_credentials') return this.#tokenError(res, 400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
      if (form.get('client_id') !== this.clientId) return this.#tokenError(res, 400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory '${this.tenantId}'.`);
      if (form.get('client_secret') !== this.clientSecret) return this.#tokenError(res, 401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.clientId}'.`);
      if (!/\/\.default$/.test(form.get('scope') ?? '')) return this.#tokenError(res, 400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.');
      const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake.${randomUUID()}`;
      this.tokensIssued.push(token);
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
    }

    const auth = req.headers.authorization ?? '';
    const bearer = auth.replace(/^Bearer\s+/i, '');
    if (!this.tokensIssued.includes(bearer)) return this.#graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    if (req.method === 'GET' && req.path === '/v1.0/auditLogs/directoryAudits') return this.#audits(req, res);
    if (req.method === 'GET' && req.path === '/beta/auditLogs/signIns') return this.#signInLog(req, res);
    const one = /^\/v1\.0\/reports\/authenticationMethods\/userRegistrationDetails\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && one) {
      if (!this.consented) return this.#graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      const u = this.users.get(decodeURIComponent(one[1] ?? ''));
      if (!u) return this.#graphError(res, 404, 'Request_ResourceNotFound', `Resource '${one[1]}' does not exist or one of its queried reference-property objects are not present.`);
      const evolved = /include-unknown-enum-members/i.test(String(req.headers.prefer ?? ''));
      return sendJson(res, 200, { '@odata.context': `${this.url}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity`, ...this.#row(u, evolved) });
    }
    if (req.method !== 'GET' || req.path !== '/v1.0/reports/authenticationMethods/userRegistrationDetails') return this.#graphError(res, 404, 'Request_ResourceNotFound', `Resource '${req.path}' does not exist or one of its queried reference-property objects are not present.`);
    if (!this.consented) return this.#graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    if (!this.premium) return this.#graphError(res, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");

    const evolved = /include-unknown-enum-members/i.test(String(req.headers.prefer ?? ''));
    const all = [...this.users.values()].sort((a, b) => a.id.localeCompare(b.id));
    const skip = Number(Buffer.from(req.query.get('$skiptoken') ?? '', 'base64url').toString('utf8').replace(/^skip:/, '')) || 0;
    const slice = all.slice(skip, skip + this.pageSize);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.url}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails`,
      value: slice.map((u) => this.#row(u, evolved)),
    };
    if (skip + this.pageSize < all.length) {
      body['@odata.nextLink'] = `${this.url}/v1.0/reports/authenticationMethods/userRegistrationDetails?$skiptoken=${Buffer.from(`skip:${skip + this.pageSize}`).toString('base64url')}`;
    }
    sendJson(res, 200, body, { 'request-id': randomUUID(), 'x-ms-ags-diagnostic': '{"ServerInfo":{"DataCenter":"West Europe"}}' });
  }

  #audits(req: RecordedRequest, res: ServerResponse): void {
    if (!this.consented) return this.#graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const filter = req.query.get('$filter');
    let since = -Infinity;
    if (filter !== null) {
      const m = /^activityDateTime ge (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$/.exec(filter.trim());
      if (!m) return this.#graphError(res, 400, 'BadRequest', `Invalid filter clause: ${filter}`);
      since = Date.parse(m[1] ?? '');
    }
    const order = this.#order(req, 'activityDateTime');
    if (order === null) return this.#graphError(res, 400, 'BadRequest', `Invalid $orderby: ${req.query.get('$orderby') ?? ''}`);
    const all = this.audits.filter((a) => Date.parse(String(a.activityDateTime)) >= since).sort((a, b) => order * (Date.parse(String(a.activityDateTime)) - Date.parse(String(b.activityDateTime))));
    const skip = Number(Buffer.from(req.query.get('$skiptoken') ?? '', 'base64url').toString('utf8').replace(/^skip:/, '')) || 0;
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/v1.0/$metadata#auditLogs/directoryAudits`, value: all.slice(skip, skip + this.auditPageSize) };
    if (skip + this.auditPageSize < all.length) {
      const q = new URLSearchParams();
      if (filter !== null) q.set('$filter', filter);
      const orderby = req.query.get('$orderby');
      if (orderby !== null) q.set('$orderby', orderby);
      q.set('$skiptoken', Buffer.from(`skip:${skip + this.auditPageSize}`).toString('base64url'));
      body['@odata.nextLink'] = `${this.url}/v1.0/auditLogs/directoryAudits?${q.toString()}`;
    }
    sendJson(res, 200, body, { 'request-id': randomUUID() });
  }

  /**
   * The sort of a log listing: `$orderby=<time> asc` oldest first, `<time> desc` or none newest
   * first (Graph's default); 1 or -1, null for an order on anything else (Graph answers 400).
   */
  #order(req: RecordedRequest, field: string): 1 | -1 | null {
    const orderby = req.query.get('$orderby');
    if (orderby === null) return -1;
    const m = new RegExp(`^${field}(?: (asc|desc))?$`).exec(orderby.trim());
    if (!m) return null;
    return m[1] === 'desc' ? -1 : 1;
  }

  #signInLog(req: RecordedRequest, res: ServerResponse): void {
    if (!this.consented) return this.#graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    if (!this.premium) return this.#graphError(res, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
    const filter = req.query.get('$filter');
    let since = -Infinity;
    let requirement: string | null = null;
    if (filter !== null) {
      const m = /^createdDateTime ge (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)(?: and authenticationRequirement eq '([A-Za-z]+)')?$/.exec(filter.trim());
      if (!m) return this.#graphError(res, 400, 'BadRequest', `Invalid filter clause: ${filter}`);
      since = Date.parse(m[1] ?? '');
      requirement = m[2] ?? null;
    }
    const order = this.#order(req, 'createdDateTime');
    if (order === null) return this.#graphError(res, 400, 'BadRequest', `Invalid $orderby: ${req.query.get('$orderby') ?? ''}`);
    const all = this.signIns
      .filter((s) => Date.parse(String(s.createdDateTime)) >= since && (requirement === null || s.authenticationRequirement === requirement))
      .sort((a, b) => order * (Date.parse(String(a.createdDateTime)) - Date.parse(String(b.createdDateTime))));
    const skip = Number(Buffer.from(req.query.get('$skiptoken') ?? '', 'base64url').toString('utf8').replace(/^skip:/, '')) || 0;
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/beta/$metadata#auditLogs/signIns`, value: all.slice(skip, skip + this.signInPageSize) };
    if (skip + this.signInPageSize < all.length) {
      const q = new URLSearchParams();
      if (filter !== null) q.set('$filter', filter);
      const orderby = req.query.get('$orderby');
      if (orderby !== null) q.set('$orderby', orderby);
      q.set('$skiptoken', Buffer.from(`skip:${skip + this.signInPageSize}`).toString('base64url'));
      body['@odata.nextLink'] = `${this.url}/beta/auditLogs/signIns?${q.toString()}`;
    }
    sendJson(res, 200, body, { 'request-id': randomUUID() });
  }

  #row(u: FakeEntraUser, evolved: boolean): Record<string, unknown> {
    return {
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        userDisplayName: u.userDisplayName ?? u.userPrincipalName.split('@')[0],
        userType: u.userType ?? 'member',
        isAdmin: u.isAdmin ?? false,
        isSsprRegistered: false,
        isSsprEnabled: false,
        isSsprCapable: false,
        isMfaRegistered: u.isMfaRegistered ?? u.methodsRegistered.some((m) => !['email', 'securityQuestion'].includes(m)),
        isMfaCapable: u.isMfaRegistered ?? u.methodsRegistered.some((m) => !['email', 'securityQuestion'].includes(m)),
        isPasswordlessCapable: u.methodsRegistered.some((m) => m.startsWith('passKey') || m === 'fido2SecurityKey' || m === 'windowsHelloForBusiness'),
        methodsRegistered: u.methodsRegistered.map((m) => (EVOLVED.has(m) && !evolved ? 'unknownFutureValue' : m)),
        isSystemPreferredAuthenticationMethodEnabled: true,
        systemPreferredAuthenticationMethods: [],
        userPreferredMethodForSecondaryAuthentication: 'none',
        lastUpdatedDateTime: '2026-11-21T08:00:00Z',
    };
  }
}
