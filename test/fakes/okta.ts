/**
 * A fake of the Okta Management API for one org, faithful to Okta's published formats:
 * GET /api/v1/users with `limit` (max 200) and cursor pagination in the Link header
 * (`<…/api/v1/users?after=ID&limit=N>; rel="next"`, plus rel="self"), DEPROVISIONED users left out
 * of the default listing, GET /api/v1/users/{id}/factors and /roles, `Authorization: SSWS <token>`
 * (or `Bearer`), X-Rate-Limit-Limit/-Remaining/-Reset (epoch seconds) on every answer with one
 * bucket for the listing and one for the per-user endpoints, and Okta's error body
 * ({errorCode, errorSummary, errorLink, errorId, errorCauses}); 429 is E0000047.
 * https://developer.okta.com/docs/reference/core-okta-api/#pagination
 * https://developer.okta.com/docs/reference/rl-best-practices/
 * https://developer.okta.com/docs/reference/error-codes/
 *
 * The System Log (GET /api/v1/logs) with Okta's polling semantics: a request with `since` and no
 * `until`, sortOrder=ASCENDING, answers the events persisted after the position and always a
 * `Link: <…?after=…>; rel="next"` (the same position again when nothing is new, with an empty
 * array); `filter` supports `eventType eq "…"` joined by `or` (anything else is 400 E0000031);
 * `limit` up to 1000; its own rate-limit bucket. GET /api/v1/users/{id or login}.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/SystemLog/
 * https://developer.okta.com/docs/reference/system-log-query/
 *
 * Groups: GET /api/v1/groups?q=<name prefix>&limit=N (Okta's group search: a startsWith match on
 * profile.name) answering Group objects ({id, created, lastUpdated, lastMembershipUpdated,
 * objectClass, type: "OKTA_GROUP", profile: {name, description}, _links}), and
 * GET /api/v1/groups/{groupId}/users?limit=N with the same cursor paging as the user listing
 * (`after` = the last user id of the page, Link rel="next"), 404 E0000007 for an unknown group,
 * in its own rate-limit bucket; a token with `groups: false` gets 403 E0000006.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroups
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroupUsers
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeOktaFactor {
  factorType: string;
  provider?: string;
  status?: 'ACTIVE' | 'PENDING_ACTIVATION' | 'NOT_SETUP' | 'INACTIVE';
}

export interface FakeOktaUser {
  id: string;
  login: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status?: 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'LOCKED_OUT' | 'PASSWORD_EXPIRED' | 'SUSPENDED' | 'DEPROVISIONED';
  factors?: FakeOktaFactor[];
  /** Admin role types, e.g. ["SUPER_ADMIN"]. */
  roles?: string[];
}

export interface FakeOktaToken {
  /** May list factors (a Read-Only Administrator can). */
  factors?: boolean;
  /** May list roles (okta.roles.read). */
  roles?: boolean;
  /** May read groups (okta.groups.read); default yes. */
  groups?: boolean;
}

export interface FakeOktaGroup {
  id: string;
  name: string;
  /** Member user ids. */
  members: string[];
}

export interface FakeOktaOptions {
  /** "SSWS <token>" or "Bearer <token>" → what the token may do. */
  tokens?: Record<string, FakeOktaToken>;
  /** Requests per window and bucket. */
  rateLimit?: number;
  /** Artificial latency of per-user answers, so concurrency can be observed. */
  latencyMs?: number;
}

const PROVIDERS: Record<string, string> = { push: 'OKTA', 'token:software:totp': 'GOOGLE', sms: 'OKTA', call: 'OKTA', email: 'OKTA', question: 'OKTA', webauthn: 'FIDO', u2f: 'FIDO', 'token:hardware': 'YUBICO', signed_nonce: 'OKTA' };

/** A LogEvent as Okta publishes it (the fields mfawatch reads and the usual others). */
export interface FakeLogEventInput {
  eventType: string;
  published?: string;
  uuid?: string;
  actor?: { id: string; type?: string; alternateId?: string; displayName?: string };
  target?: Array<{ id: string; type: string; alternateId?: string; displayName?: string }>;
  outcome?: 'SUCCESS' | 'FAILURE' | 'ALLOW' | 'DENY';
  /** authenticationContext.authenticationProvider (default OKTA_AUTHENTICATION_PROVIDER). */
  authenticationProvider?: string | null;
  credentialType?: string | null;
  externalSessionId?: string | null;
  ipAddress?: string;
}

export function oktaLogEvent(input: FakeLogEventInput, n: number): Record<string, unknown> {
  const actor = input.actor ?? { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' };
  return {
    uuid: input.uuid ?? `dc9fd3c0-598c-11ef-8478-${String(n).padStart(12, '0')}`,
    published: input.published ?? new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n * 1000).toISOString(),
    eventType: input.eventType,
    version: '0',
    severity: 'INFO',
    legacyEventType: null,
    displayMessage: input.eventType,
    actor: { type: 'User', alternateId: null, displayName: null, detailEntry: null, ...actor },
    client: { userAgent: { rawUserAgent: 'Mozilla/5.0 (X11; Linux x86_64)', os: 'Linux', browser: 'FIREFOX' }, zone: 'null', device: 'Computer', id: null, ipAddress: input.ipAddress ?? '198.51.100.7', geographicalContext: null },
    device: null,
    authenticationContext: {
      authenticationProvider: input.authenticationProvider === undefined ? 'OKTA_AUTHENTICATION_PROVIDER' : input.authenticationProvider,
      credentialProvider: null,
      credentialType: input.credentialType === undefined ? null : input.credentialType,
      issuer: null,
      interface: null,
      authenticationStep: 0,
      externalSessionId: input.externalSessionId === undefined ? 'idxQWERTY' : input.externalSessionId,
    },
    outcome: { result: input.outcome ?? 'SUCCESS', reason: null },
    securityContext: { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
    debugContext: { debugData: { requestId: `req${n}`, requestUri: '/idp/idx/identify', url: '/idp/idx/identify?' } },
    transaction: { type: 'WEB', id: `tx${n}`, detail: {} },
    request: { ipChain: [] },
    target: (input.target ?? []).map((t) => ({ alternateId: null, displayName: null, detailEntry: null, ...t })),
  };
}

export class FakeOkta extends LoopbackServer {
  users = new Map<string, FakeOktaUser>();
  /** The System Log in persistence order (not necessarily in `published` order). */
  logs: Array<Record<string, unknown>> = [];
  tokens: Record<string, FakeOktaToken>;
  rateLimit: number;
  latencyMs: number;
  /** Groups by id. */
  groups = new Map<string, FakeOktaGroup>();
  /** Requests answered 429 because the budget was spent. */
  rateLimited = 0;
  inFlight = 0;
  maxInFlight = 0;
  #windows = new Map<string, { second: number; used: number }>();

  constructor(options: FakeOktaOptions = {}) {
    super((req, res) => this.#route(req, res));
    this.tokens = options.tokens ?? { 'SSWS 00okta-test-token': { factors: true, roles: true } };
    this.rateLimit = options.rateLimit ?? 600;
    this.latencyMs = options.latencyMs ?? 0;
  }

  addUser(u: FakeOktaUser): void {
    this.users.set(u.id, { status: 'ACTIVE', factors: [], roles: [], ...u });
  }

  /** `n` users with ids 00u000000..; every 10th has no factor, every 7th only SMS, every 25th is SUPER_ADMIN. */
  generateUsers(n: number): void {
    for (let i = 0; i < n; i++) {
      const id = `00u${String(i).padStart(9, '0')}`;
      const factors: FakeOktaFactor[] = i % 10 === 3 ? [] : i % 7 === 2 ? [{ factorType: 'sms' }] : [{ factorType: 'push' }, { factorType: 'sms' }];
      this.addUser({ id, login: `user${i}@example.com`, email: `user${i}@example.com`, firstName: 'User', lastName: String(i), factors, roles: i % 25 === 0 ? ['SUPER_ADMIN'] : [] });
    }
  }

  /** Appends one event to the System Log; returns it. */
  addLog(input: FakeLogEventInput): Record<string, unknown> {
    const e = oktaLogEvent(input, this.logs.length);
    this.logs.push(e);
    return e;
  }

  logRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/v1/logs');
  }

  perUserRequests(kind: 'factors' | 'roles'): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(`/${kind}`));
  }

  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/v1/users');
  }

  /** One minute window per bucket in Okta; here one wall-clock second, so tests can cross windows. */
  #spend(bucket: string): Record<string, string> | null {
    const second = Math.floor(Date.now() / 1000);
    let w = this.#windows.get(bucket);
    if (!w || w.second !== second) {
      w = { second, used: 0 };
      this.#windows.set(bucket, w);
    }
    const headers = (used: number) => ({
      'x-rate-limit-limit': String(this.rateLimit),
      'x-rate-limit-remaining': String(Math.max(0, this.rateLimit - used)),
      'x-rate-limit-reset': String(second + 1),
    });
    if (w.used >= this.rateLimit) return null;
    w.used += 1;
    return headers(w.used);
  }

  #rateHeaders(bucket: string): Record<string, string> {
    const w = this.#windows.get(bucket);
    const second = Math.floor(Date.now() / 1000);
    return { 'x-rate-limit-limit': String(this.rateLimit), 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String((w?.second ?? second) + 1) };
  }

  #error(res: ServerResponse, status: number, errorCode: string, errorSummary: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { errorCode, errorSummary, errorLink: errorCode, errorId: `oae${Math.random().toString(36).slice(2, 14)}`, errorCauses: [] }, headers);
  }

  #userJson(u: FakeOktaUser) {
    return {
      id: u.id,
      status: u.status,
      created: '2024-01-10T10:00:00.000Z',
      activated: '2024-01-10T10:05:00.000Z',
      statusChanged: '2024-01-10T10:05:00.000Z',
      lastLogin: '2026-11-20T08:00:00.000Z',
      lastUpdated: '2026-11-01T08:00:00.000Z',
      passwordChanged: '2024-01-10T10:05:00.000Z',
      type: { id: 'oty1a2b3c4d5e6f7g8h9' },
      profile: { firstName: u.firstName ?? null, lastName: u.lastName ?? null, mobilePhone: null, secondEmail: null, login: u.login, email: u.email ?? u.login },
      credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.url}/api/v1/users/${u.id}` } },
    };
  }

  async #route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const token = this.tokens[req.headers.authorization ?? ''];
    if (!token) return this.#error(res, 401, 'E0000011', 'Invalid token provided');
    const factorsPath = /^\/api\/v1\/users\/([^/]+)\/(factors|roles)$/.exec(req.path);
    const userPath = /^\/api\/v1\/users\/([^/]+)$/.exec(req.path);
    const bucket = factorsPath || userPath ? 'users-id' : req.path === '/api/v1/logs' ? 'logs' : req.path.startsWith('/api/v1/groups') ? 'groups' : 'users-list';
    const headers = this.#spend(bucket);
    if (!headers) {
      this.rateLimited += 1;
      return this.#error(res, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.', this.#rateHeaders(bucket));
    }
    if (req.method !== 'GET') return this.#error(res, 405, 'E0000022', 'The endpoint does not support the provided HTTP method', headers);

    if (req.path === '/api/v1/users') {
      const limit = Math.min(200, Math.max(1, Number(req.query.get('limit') ?? 200) || 200));
      const after = req.query.get('after');
      const all = [...this.users.values()].filter((u) => u.status !== 'DEPROVISIONED').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const start = after ? all.findIndex((u) => u.id > after) : 0;
      const slice = start < 0 ? [] : all.slice(start, start + limit);
      const links = [`<${this.url}/api/v1/users?limit=${limit}${after ? `&after=${after}` : ''}>; rel="self"`];
      const last = slice.at(-1);
      if (last && start + limit < all.length) links.push(`<${this.url}/api/v1/users?after=${last.id}&limit=${limit}>; rel="next"`);
      return sendJson(res, 200, slice.map((u) => this.#userJson(u)), { ...headers, link: links.join(', ') });
    }

    if (req.path === '/api/v1/logs') return this.#logs(req, res, headers);
    if (req.path === '/api/v1/groups' || req.path.startsWith('/api/v1/groups/')) {
      if (token.groups === false) return this.#error(res, 403, 'E0000006', 'You do not have permission to perform the requested action', headers);
      return this.#groupsRoute(req, res, headers);
    }

    if (userPath) {
      const key = decodeURIComponent(userPath[1] ?? '');
      const user = this.users.get(key) ?? [...this.users.values()].find((u) => u.login.toLowerCase() === key.toLowerCase());
      if (!user || user.status === 'DEPROVISIONED') return this.#error(res, 404, 'E0000007', `Not found: Resource not found: ${key} (User)`, headers);
      return sendJson(res, 200, this.#userJson(user), headers);
    }

    if (factorsPath) {
      const user = this.users.get(decodeURIComponent(factorsPath[1] ?? ''));
      if (!user) return this.#error(res, 404, 'E0000007', `Not found: Resource not found: ${factorsPath[1]} (User)`, headers);
      const kind = factorsPath[2];
      if (kind === 'factors' && !token.factors) return this.#error(res, 403, 'E0000006', 'You do not have permission to perform the requested action', headers);
      if (kind === 'roles' && !token.roles) return this.#error(res, 403, 'E0000006', 'You do not have permission to perform the requested action', headers);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      } finally {
        this.inFlight -= 1;
      }
      if (kind === 'roles') {
        return sendJson(res, 200, (user.roles ?? []).map((type, i) => ({ id: `ra${i}${user.id}`, label: type.replace(/_/g, ' '), type, status: 'ACTIVE', created: '2024-01-10T10:00:00.000Z', lastUpdated: '2024-01-10T10:00:00.000Z', assignmentType: 'USER' })), headers);
      }
      return sendJson(
        res,
        200,
        (user.factors ?? []).map((f, i) => ({
          id: `fac${i}${user.id}`,
          factorType: f.factorType,
          provider: f.provider ?? PROVIDERS[f.factorType] ?? 'OKTA',
          vendorName: f.provider ?? PROVIDERS[f.factorType] ?? 'OKTA',
          status: f.status ?? 'ACTIVE',
          created: '2024-01-10T10:00:00.000Z',
          lastUpdated: '2024-01-10T10:00:00.000Z',
          profile: {},
          _links: { self: { href: `${this.url}/api/v1/users/${user.id}/factors/fac${i}${user.id}` } },
        })),
        headers,
      );
    }
    return this.#error(res, 404, 'E0000007', `Not found: Resource not found: ${req.path}`, headers);
  }

  #groupJson(g: FakeOktaGroup) {
    return {
      id: g.id,
      created: '2024-01-10T10:00:00.000Z',
      lastUpdated: '2024-01-10T10:00:00.000Z',
      lastMembershipUpdated: '2026-11-01T08:00:00.000Z',
      objectClass: ['okta:user_group'],
      type: 'OKTA_GROUP',
      profile: { name: g.name, description: null },
      _links: { users: { href: `${this.url}/api/v1/groups/${g.id}/users` }, apps: { href: `${this.url}/api/v1/groups/${g.id}/apps` } },
    };
  }

  #groupsRoute(req: RecordedRequest, res: ServerResponse, headers: Record<string, string>): void {
    if (req.path === '/api/v1/groups') {
      const q = (req.query.get('q') ?? '').toLowerCase();
      const limit = Math.min(10_000, Math.max(1, Number(req.query.get('limit') ?? 10_000) || 10_000));
      const found = [...this.groups.values()].filter((g) => g.name.toLowerCase().startsWith(q)).slice(0, limit);
      return sendJson(res, 200, found.map((g) => this.#groupJson(g)), headers);
    }
    const m = /^\/api\/v1\/groups\/([^/]+)\/users$/.exec(req.path);
    const group = m ? this.groups.get(decodeURIComponent(m[1] ?? '')) : undefined;
    if (!m || !group) return this.#error(res, 404, 'E0000007', `Not found: Resource not found: ${m?.[1] ?? req.path} (UserGroup)`, headers);
    const limit = Math.min(1000, Math.max(1, Number(req.query.get('limit') ?? 1000) || 1000));
    const after = req.query.get('after');
    const all = group.members.map((id) => this.users.get(id)).filter((u): u is FakeOktaUser => !!u).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const start = after ? all.findIndex((u) => u.id > after) : 0;
    const slice = start < 0 ? [] : all.slice(start, start + limit);
    const base = `${this.url}/api/v1/groups/${group.id}/users`;
    const links = [`<${base}?limit=${limit}${after ? `&after=${after}` : ''}>; rel="self"`];
    const last = slice.at(-1);
    if (last && start + limit < all.length) links.push(`<${base}?after=${last.id}&limit=${limit}>; rel="next"`);
    return sendJson(res, 200, slice.map((u) => this.#userJson(u)), { ...headers, link: links.join(', ') });
  }

  #logs(req: RecordedRequest, res: ServerResponse, headers: Record<string, string>): void {
    const q = req.query;
    const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 100) || 100));
    const filter = q.get('filter');
    let types: Set<string> | null = null;
    if (filter !== null) {
      const parts = filter.split(/\s+or\s+/);
      const parsed = parts.map((p) => /^eventType eq "([^"]+)"$/.exec(p.trim())?.[1]);
      if (parsed.some((t) => t === undefined)) return this.#error(res, 400, 'E0000031', `Invalid search criteria. Invalid filter: ${filter}`, headers);
      types = new Set(parsed as string[]);
    }
    const after = q.get('after');
    const since = q.get('since');
    const polling = q.get('until') === null && q.get('sortOrder') === 'ASCENDING';
    let start = 0;
    if (after !== null) {
      if (!/^\d+_\d+$/.test(after)) return this.#error(res, 400, 'E0000031', 'Invalid search criteria. Invalid after cursor.', headers);
      start = Number(after.split('_')[1]);
    } else if (since !== null) {
      const t = Date.parse(since);
      if (!Number.isFinite(t)) return this.#error(res, 400, 'E0000001', 'Api validation failed: since', headers);
      start = this.logs.findIndex((e) => Date.parse(String(e.published)) >= t);
      if (start < 0) start = this.logs.length;
    }
    const out: Array<Record<string, unknown>> = [];
    let pos = start;
    for (; pos < this.logs.length && out.length < limit; pos++) {
      const e = this.logs[pos];
      if (e && (!types || types.has(String(e.eventType)))) out.push(e);
    }
    const params = (a: string) => {
      const p = new URLSearchParams({ limit: String(limit), sortOrder: 'ASCENDING', after: a });
      if (filter !== null) p.set('filter', filter);
      return p.toString();
    };
    const links = [`<${this.url}/api/v1/logs?${req.query.toString()}>; rel="self"`];
    if (polling) links.push(`<${this.url}/api/v1/logs?${params(`1732269600000_${pos}`)}>; rel="next"`);
    return sendJson(res, 200, out, { ...headers, link: links.join(', ') });
  }
}
