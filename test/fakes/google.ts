/**
 * A fake of Google's OAuth 2.0 token endpoint and the Admin SDK Directory API `users.list`, faithful
 * to Google's published formats:
 * - POST /token with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and a signed JWT
 *   `assertion`; the fake verifies the RS256 signature with the service account's public key and
 *   the claims (iss, scope, aud = https://oauth2.googleapis.com/token, sub, iat/exp); answers
 *   {access_token, expires_in, token_type} or {error, error_description} (invalid_grant,
 *   unauthorized_client).
 * - GET /admin/directory/v1/users?customer=my_customer&maxResults=…&pageToken=… answering
 *   {kind: "admin#directory#users", etag, users: [...], nextPageToken}; errors as
 *   {"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}.
 * https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list
 * https://cloud.google.com/apis/design/errors#http_mapping
 *
 * Also GET /admin/directory/v1/users/{userKey} (id or primary email; 404 notFound) and the Reports
 * API activities.list, GET /admin/reports/v1/activity/users/all/applications/{applicationName}
 * with startTime, eventName, maxResults (1..1000) and pageToken, answering
 * {kind: "admin#reports#activities", etag, items: [{kind, id: {time, uniqueQualifier,
 * applicationName, customerId}, etag, actor: {email, profileId, callerType}, ipAddress,
 * events: [{type, name, parameters}]}], nextPageToken}, newest first; it needs the
 * admin.reports.audit.readonly scope.
 * https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities/list
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/login
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/admin-delegated-admin-settings
 *   (admin application: ASSIGN_ROLE, type DELEGATED_ADMIN_SETTINGS, parameters ORG_UNIT_NAME,
 *   ROLE_NAME, USER_EMAIL as [{name, value}]; the actor is the administrator who acted)
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export const GOOGLE_TOKEN_AUD = 'https://oauth2.googleapis.com/token';
export const DIRECTORY_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const REPORTS_READONLY = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';

export interface FakeActivityInput {
  applicationName?: string;
  eventName: string;
  eventType?: string;
  /** Who acted: the user the event is about for login events; the administrator for admin events (the user is then a USER_EMAIL parameter). */
  actor: { email: string; profileId: string };
  time?: string;
  uniqueQualifier?: string;
  ipAddress?: string;
  /** The event's parameters as the Reports API answers them ({name, value} / {name, multiValue} / {name, boolValue}). */
  parameters?: Array<{ name: string; value?: string; multiValue?: string[]; boolValue?: boolean }>;
}

export interface FakeGoogleUser {
  id: string;
  primaryEmail: string;
  fullName?: string;
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  suspended?: boolean;
  archived?: boolean;
  /** undefined: the field is left out of the answer. */
  isEnrolledIn2Sv?: boolean;
  isEnforcedIn2Sv?: boolean;
}

/** A service account key pair and its JSON key file, as the Cloud console would hand it out. */
export function makeServiceAccount(email = 'mfawatch@acme-sec.iam.gserviceaccount.com', clientId = '104729582216913650001') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyJson = {
    type: 'service_account',
    project_id: 'acme-sec',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: clientId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: GOOGLE_TOKEN_AUD,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
  };
  return { keyJson, publicKey, clientId, email };
}

interface Delegation {
  publicKey: KeyObject;
  /** Scopes granted to the client id in the Admin console's domain-wide delegation. */
  scopes: string[];
}

export class FakeGoogle extends LoopbackServer {
  readonly customerId = 'C01acme23';
  users = new Map<string, FakeGoogleUser>();
  /** client_email → delegation. */
  delegations = new Map<string, Delegation>();
  /** Issued access tokens → who they act as. */
  tokens = new Map<string, { sub: string; scopes: string[] }>();
  /** Claims of every assertion received (for the tests to check). */
  assertions: Array<Record<string, unknown>> = [];
  /** When true, the Admin SDK API is "not enabled" in the project. */
  apiDisabled = false;
  /** Reports API activities (any application). */
  activities: Array<{ application: string; item: Record<string, unknown> }> = [];

  addActivity(a: FakeActivityInput): Record<string, unknown> {
    const n = this.activities.length;
    const application = a.applicationName ?? 'login';
    const item = {
      kind: 'admin#reports#activity',
      id: { time: a.time ?? new Date(Date.UTC(2026, 10, 22, 9, 59, 0) + n * 1000).toISOString(), uniqueQualifier: a.uniqueQualifier ?? String(-4_000_000_000_000_000_000n - BigInt(n)), applicationName: application, customerId: this.customerId },
      etag: `"etag-activity-${n}"`,
      actor: { callerType: 'USER', email: a.actor.email, profileId: a.actor.profileId },
      ipAddress: a.ipAddress ?? '203.0.113.5',
      events: [{ type: a.eventType ?? (application === 'admin' ? 'DELEGATED_ADMIN_SETTINGS' : '2sv_change'), name: a.eventName, ...(a.parameters ? { parameters: a.parameters } : {}) }],
    };
    this.activities.push({ application, item });
    return item;
  }

  activityRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/admin/reports/v1/activity/'));
  }

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  addUser(u: FakeGoogleUser): void {
    this.users.set(u.id, u);
  }

  /** `n` users with 21-digit-ish ids; every 9th without 2SV, every 50th an admin, every 30th suspended. */
  generateUsers(n: number): void {
    for (let i = 0; i < n; i++) {
      const id = String(100_000_000_000_000_000_000n + BigInt(i));
      this.addUser({ id, primaryEmail: `user${i}@acme.example`, fullName: `User ${i}`, isAdmin: i % 50 === 0, suspended: i % 30 === 29, isEnrolledIn2Sv: i % 9 !== 4, isEnforcedIn2Sv: i % 2 === 0 });
    }
  }

  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/admin/directory/v1/users');
  }

  #googleError(res: ServerResponse, code: number, message: string, reason: string, status: string): void {
    sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }], status } });
  }

  #token(req: RecordedRequest, res: ServerResponse): void {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + (form.get('grant_type') ?? '') });
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' });
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: { iss?: string; scope?: string; aud?: string; sub?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    this.assertions.push(claims as Record<string, unknown>);
    const delegation = this.delegations.get(claims.iss ?? '');
    if (!delegation) return sendJson(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (header.alg !== 'RS256' || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), delegation.publicKey, Buffer.from(s, 'base64url'))) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== GOOGLE_TOKEN_AUD || typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600 || claims.exp < now || claims.iat > now + 300) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' });
    }
    const scopes = (claims.scope ?? '').split(' ').filter(Boolean);
    if (claims.sub) {
      if (scopes.length === 0 || !scopes.every((sc) => delegation.scopes.includes(sc))) {
        return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
      }
      if (![...this.users.values()].some((u) => u.primaryEmail === claims.sub)) {
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' });
      }
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { sub: claims.sub ?? claims.iss ?? '', scopes });
    sendJson(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' }, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
  }

  #userJson(u: FakeGoogleUser) {
    return {
      kind: 'admin#directory#user',
      id: u.id,
      etag: `"${u.id}/etag"`,
      primaryEmail: u.primaryEmail,
      name: { givenName: (u.fullName ?? 'X Y').split(' ')[0], familyName: (u.fullName ?? 'X Y').split(' ').slice(1).join(' '), fullName: u.fullName ?? u.primaryEmail },
      isAdmin: u.isAdmin ?? false,
      isDelegatedAdmin: u.isDelegatedAdmin ?? false,
      lastLoginTime: '2026-11-20T08:00:00.000Z',
      creationTime: '2024-01-10T10:00:00.000Z',
      agreedToTerms: true,
      suspended: u.suspended ?? false,
      archived: u.archived ?? false,
      changePasswordAtNextLogin: false,
      ipWhitelisted: false,
      emails: [{ address: u.primaryEmail, primary: true }],
      customerId: this.customerId,
      orgUnitPath: '/',
      isMailboxSetup: true,
      ...(u.isEnrolledIn2Sv !== undefined ? { isEnrolledIn2Sv: u.isEnrolledIn2Sv, isEnforcedIn2Sv: u.isEnforcedIn2Sv ?? false } : {}),
      includeInGlobalAddressList: true,
    };
  }

  #activities(req: RecordedRequest, res: ServerResponse, application: string, scopes: string[]): void {
    if (!scopes.includes(REPORTS_READONLY)) return this.#googleError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED');
    if (!['login', 'user_accounts', 'admin'].includes(application)) return this.#googleError(res, 400, `Invalid value '${application}'. Values must match the following regular expression: '(access_transparency)|(admin)|(calendar)|...'`, 'invalidParameter', 'INVALID_ARGUMENT');
    const startTime = req.query.get('startTime');
    const since = startTime === null ? -Infinity : Date.parse(startTime);
    if (startTime !== null && (!Number.isFinite(since) || !/Z$|[+-]\d\d:\d\d$/.test(startTime))) return this.#googleError(res, 400, 'Invalid Input: startTime', 'invalid', 'INVALID_ARGUMENT');
    const maxResults = Number(req.query.get('maxResults') ?? 1000);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) return this.#googleError(res, 400, 'Invalid Input: maxResults', 'invalid', 'INVALID_ARGUMENT');
    const eventName = req.query.get('eventName');
    const all = this.activities
      .filter((a) => a.application === application)
      .map((a) => a.item)
      .filter((i) => Date.parse(String((i.id as { time: string }).time)) >= since)
      .filter((i) => eventName === null || (i.events as Array<{ name: string }>).some((e) => e.name === eventName))
      .sort((a, b) => Date.parse(String((b.id as { time: string }).time)) - Date.parse(String((a.id as { time: string }).time)));
    const page = this.#offsetPage(req, res, all, maxResults);
    if (!page) return;
    const { slice, next } = page;
    sendJson(res, 200, { kind: 'admin#reports#activities', etag: '"etag-activities"', ...(slice.length ? { items: slice } : {}), ...(next ? { nextPageToken: next } : {}) });
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'POST' && req.path === '/token') return this.#token(req, res);
    const reports = /^\/admin\/reports\/v1\/activity\/users\/all\/applications\/([^/]+)$/.exec(req.path);
    const oneUser = /^\/admin\/directory\/v1\/users\/([^/]+)$/.exec(req.path);
    const groupMembers = /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/.exec(req.path);
    if (groupMembers && req.method === 'GET') return this.#groupMembers(req, res, decodeURIComponent(groupMembers[1] ?? ''));
    if ((req.path !== '/admin/directory/v1/users' && !reports && !oneUser) || req.method !== 'GET') return this.#googleError(res, 404, 'Not Found', 'notFound', 'NOT_FOUND');
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const who = auth ? this.tokens.get(auth[1] ?? '') : undefined;
    if (!who) return this.#googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', 'UNAUTHENTICATED');
    if (this.apiDisabled) {
      return this.#googleError(res, 403, 'Admin SDK API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/admin.googleapis.com/overview?project=123456789 then retry.', 'accessNotConfigured', 'PERMISSION_DENIED');
    }
    if (reports) return this.#activities(req, res, decodeURIComponent(reports[1] ?? ''), who.scopes);
    if (oneUser) {
      if (!who.scopes.some((s) => s === DIRECTORY_READONLY || s === 'https://www.googleapis.com/auth/admin.directory.user')) return this.#googleError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED');
      const key = decodeURIComponent(oneUser[1] ?? '');
      const u = this.users.get(key) ?? [...this.users.values()].find((x) => x.primaryEmail.toLowerCase() === key.toLowerCase());
      if (!u) return this.#googleError(res, 404, 'Resource Not Found: userKey', 'notFound', 'NOT_FOUND');
      return sendJson(res, 200, this.#userJson(u));
    }
    if (!who.scopes.some((s) => s === DIRECTORY_READONLY || s === 'https://www.googleapis.com/auth/admin.directory.user')) {
      return this.#googleError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED');
    }
    const subject = [...this.users.values()].find((u) => u.primaryEmail === who.sub);
    if (!subject?.isAdmin && !subject?.isDelegatedAdmin) return this.#googleError(res, 403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED');
    const customer = req.query.get('customer');
    if (customer !== 'my_customer' && customer !== this.customerId) return this.#googleError(res, 400, 'Bad Request', 'badRequest', 'INVALID_ARGUMENT');
    const maxResults = Number(req.query.get('maxResults') ?? 100);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 500) return this.#googleError(res, 400, 'Invalid Input: maxResults', 'invalid', 'INVALID_ARGUMENT');
    const all = [...this.users.values()].sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
    const page = this.#offsetPage(req, res, all, maxResults);
    if (!page) return;
    const { slice, next } = page;
    sendJson(res, 200, { kind: 'admin#directory#users', etag: '"etag-users"', ...(slice.length ? { users: slice.map((u) => this.#userJson(u)) } : {}), ...(next ? { nextPageToken: next } : {}) });
  }

  // Groups (members.list), for routing matchers: GET /admin/directory/v1/groups/{groupKey}/members
  // with maxResults (1..200), pageToken and includeDerivedMembership; needs one of the group
  // scopes; answers {kind: "admin#directory#members", etag, members: [{kind, etag, id, email,
  // role, type, status}], nextPageToken}; an unknown group is 404 notFound.
  // https://developers.google.com/admin-sdk/directory/reference/rest/v1/members/list
  /** Groups by e-mail: member e-mails (users or other groups). */
  groups = new Map<string, { id: string; members: string[] }>();

  addGroup(email: string, members: string[]): void {
    this.groups.set(email.toLowerCase(), { id: `0${(this.groups.size + 1).toString(16).padStart(14, '0')}`, members });
  }

  groupMemberRequests(): RecordedRequest[] {
    return this.requests.filter((r) => /^\/admin\/directory\/v1\/groups\/[^/]+\/members$/.test(r.path));
  }

  #groupMembers(req: RecordedRequest, res: ServerResponse, groupKey: string): void {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const who = auth ? this.tokens.get(auth[1] ?? '') : undefined;
    if (!who) return this.#googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', 'UNAUTHENTICATED');
    const allowed = ['admin.directory.group.member.readonly', 'admin.directory.group.member', 'admin.directory.group.readonly', 'admin.directory.group'].map((s) => `https://www.googleapis.com/auth/${s}`);
    if (!who.scopes.some((s) => allowed.includes(s))) return this.#googleError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED');
    const byKey = (key: string) => this.groups.get(key.toLowerCase()) ?? [...this.groups.values()].find((g) => g.id === key);
    const group = byKey(groupKey);
    if (!group) return this.#googleError(res, 404, 'Resource Not Found: groupKey', 'notFound', 'NOT_FOUND');
    const maxResults = Number(req.query.get('maxResults') ?? 200);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 200) return this.#googleError(res, 400, 'Invalid Input: maxResults', 'invalid', 'INVALID_ARGUMENT');
    const derived = req.query.get('includeDerivedMembership') === 'true';
    const emails: string[] = [];
    const walk = (g: { members: string[] }, seen: Set<string>) => {
      for (const e of g.members) {
        if (emails.includes(e)) continue;
        emails.push(e);
        const nested = this.groups.get(e.toLowerCase());
        if (derived && nested && !seen.has(e)) walk(nested, new Set([...seen, e]));
      }
    };
    walk(group, new Set([groupKey.toLowerCase()]));
    const members = emails.map((email) => {
      const nested = this.groups.get(email.toLowerCase());
      const user = [...this.users.values()].find((u) => u.primaryEmail.toLowerCase() === email.toLowerCase());
      return { kind: 'admin#directory#member', etag: `"etag-member-${email}"`, id: nested?.id ?? user?.id ?? `ext-${email}`, email, role: 'MEMBER', type: nested ? 'GROUP' : user ? 'USER' : 'EXTERNAL', status: 'ACTIVE' };
    });
    const page = this.#offsetPage(req, res, members, maxResults);
    if (!page) return;
    const { slice, next } = page;
    sendJson(res, 200, { kind: 'admin#directory#members', etag: '"etag-members"', ...(slice.length ? { members: slice } : {}), ...(next ? { nextPageToken: next } : {}) });
  }

  /** One page of `list` after the opaque `pageToken` (an offset, as the fake encodes it); undefined once a 400 was sent for a bad token. */
  #offsetPage<T>(req: { query: URLSearchParams }, res: Parameters<typeof sendJson>[0], list: readonly T[], maxResults: number): { slice: T[]; next: string | undefined } | undefined {
    let start = 0;
    const pageToken = req.query.get('pageToken');
    if (pageToken) {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
      if (!decoded) {
        this.#googleError(res, 400, 'Invalid Input: pageToken', 'invalid', 'INVALID_ARGUMENT');
        return undefined;
      }
      start = Number(decoded[1]);
    }
    const next = start + maxResults < list.length ? Buffer.from(`offset:${start + maxResults}`).toString('base64url') : undefined;
    return { slice: list.slice(start, start + maxResults), next };
  }
}
