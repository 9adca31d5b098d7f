/**
 * Fakes of the session-invalidation APIs, each following its vendor's published request and
 * response formats (paths, auth headers, status codes, error bodies):
 *   Okta Management API (SSWS/Bearer, {errorCode, errorSummary, …} errors, 204 on session clear)
 *   Microsoft identity platform token endpoint + Graph (OData bodies, {"error": {code, message}})
 *   Auth0 Authentication + Management API v2 ({statusCode, error, message, errorCode})
 *   Slack Web API (HTTP 200 with {"ok": false, "error"}; 429 with Retry-After)
 *   Google OAuth token endpoint (JWT bearer grant, signature checked) + Admin SDK Directory
 *   GitHub REST SAML SSO credential authorisations
 */
import { createVerify } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

function noContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

// ── Okta ─────────────────────────────────────────────────────────────────────
export interface FakeOktaUser {
  id: string;
  login: string;
  email: string;
}

export class FakeOkta extends LoopbackServer {
  users: FakeOktaUser[] = [];
  cleared: string[] = [];
  constructor(readonly token: string) {
    super((req, res) => this.#route(req, res));
  }
  #error(res: ServerResponse, status: number, code: string, summary: string): void {
    sendJson(res, status, { errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oaeX1b2c3d4', errorCauses: [] }, { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '599', 'x-rate-limit-reset': '1700000000' });
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    if (auth !== `SSWS ${this.token}` && auth !== `Bearer ${this.token}`) return this.#error(res, 401, 'E0000011', 'Invalid token provided');
    const user = /^\/api\/v1\/users\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && user?.[1]) {
      const key = decodeURIComponent(user[1]).toLowerCase();
      const u = this.users.find((x) => x.id.toLowerCase() === key || x.login.toLowerCase() === key);
      if (!u) return this.#error(res, 404, 'E0000007', `Not found: Resource not found: ${key} (User)`);
      return sendJson(res, 200, { id: u.id, status: 'ACTIVE', created: '2024-01-01T00:00:00.000Z', profile: { login: u.login, email: u.email, firstName: 'A', lastName: 'B' }, _links: { self: { href: `${this.url}/api/v1/users/${u.id}` } } });
    }
    const sessions = /^\/api\/v1\/users\/([^/]+)\/sessions$/.exec(req.path);
    if (req.method === 'DELETE' && sessions?.[1]) {
      const u = this.users.find((x) => x.id === decodeURIComponent(sessions[1] ?? ''));
      if (!u) return this.#error(res, 404, 'E0000007', 'Not found: Resource not found (User)');
      this.cleared.push(`${u.id}${req.query.get('oauthTokens') === 'true' ? '+oauth' : ''}`);
      return noContent(res);
    }
    return this.#error(res, 404, 'E0000022', 'The endpoint does not support the provided HTTP method');
  }
}

// ── Entra ID ─────────────────────────────────────────────────────────────────
export class FakeEntra extends LoopbackServer {
  users: Array<{ id: string; userPrincipalName: string; mail: string | null }> = [];
  revoked: string[] = [];
  tokens = 0;
  constructor(readonly tenant: string, readonly clientId: string, readonly clientSecret: string) {
    super((req, res) => this.#route(req, res));
  }
  #graphError(res: ServerResponse, status: number, code: string, message: string): void {
    sendJson(res, status, { error: { code, message, innerError: { date: '2026-11-22T10:00:00', 'request-id': 'b1c2', 'client-request-id': 'b1c2' } } });
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'POST' && req.path === `/${this.tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
        return sendJson(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215], timestamp: '2026-11-22 10:00:00Z', trace_id: 't', correlation_id: 'c' });
      }
      this.tokens += 1;
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'eyJ0eXAi.graph.token' });
    }
    if (req.headers.authorization !== 'Bearer eyJ0eXAi.graph.token') return this.#graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (req.method === 'GET' && req.path === '/v1.0/users') {
      const filter = req.query.get('$filter') ?? '';
      const wanted = [...filter.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replace(/''/g, "'").toLowerCase());
      const value = this.users.filter((u) => wanted.includes(u.userPrincipalName.toLowerCase()) || (u.mail !== null && wanted.includes(u.mail.toLowerCase()))).map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName }));
      return sendJson(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)', value });
    }
    const revoke = /^\/v1\.0\/users\/([^/]+)\/revokeSignInSessions$/.exec(req.path);
    if (req.method === 'POST' && revoke?.[1]) {
      const id = decodeURIComponent(revoke[1]);
      if (!this.users.some((u) => u.id === id)) return this.#graphError(res, 404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
      this.revoked.push(id);
      return sendJson(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true });
    }
    return this.#graphError(res, 400, 'BadRequest', 'Resource not found for the segment.');
  }
}

// ── Auth0 ────────────────────────────────────────────────────────────────────
export class FakeAuth0 extends LoopbackServer {
  users: Array<{ user_id: string; email: string; email_verified: boolean }> = [];
  calls: string[] = [];
  constructor(readonly clientId: string, readonly clientSecret: string) {
    super((req, res) => this.#route(req, res));
  }
  #error(res: ServerResponse, status: number, error: string, message: string, errorCode?: string): void {
    sendJson(res, status, { statusCode: status, error, message, ...(errorCode ? { errorCode } : {}) });
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'POST' && req.path === '/oauth/token') {
      const body = JSON.parse(req.body || '{}') as Record<string, string>;
      if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret) return sendJson(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
      if (body.audience !== `${this.url}/api/v2/`) return sendJson(res, 403, { error: 'access_denied', error_description: `Service not enabled within domain: ${body.audience}` });
      return sendJson(res, 200, { access_token: 'mgmt.api.token', scope: 'read:users update:users delete:sessions delete:refresh_tokens', expires_in: 86400, token_type: 'Bearer' });
    }
    if (req.headers.authorization !== 'Bearer mgmt.api.token') return this.#error(res, 401, 'Unauthorized', 'Invalid token');
    if (req.method === 'GET' && req.path === '/api/v2/users-by-email') {
      const email = (req.query.get('email') ?? '').toLowerCase();
      return sendJson(res, 200, this.users.filter((u) => u.email.toLowerCase() === email).map((u) => ({ ...u, identities: [{ connection: 'Username-Password-Authentication' }] })));
    }
    const m = /^\/api\/v2\/users\/([^/]+)\/(sessions|refresh-tokens|multifactor\/actions\/invalidate-remember-browser)$/.exec(req.path);
    if (m?.[1] && m[2]) {
      const id = decodeURIComponent(m[1]);
      if (!this.users.some((u) => u.user_id === id)) return this.#error(res, 404, 'Not Found', 'The user does not exist.', 'inexistent_user');
      this.calls.push(`${req.method} ${m[2]} ${id}`);
      return noContent(res, m[2].startsWith('multifactor') ? 204 : 202);
    }
    return this.#error(res, 404, 'Not Found', 'Not Found');
  }
}

// ── Slack ────────────────────────────────────────────────────────────────────
export class FakeSlack extends LoopbackServer {
  users: Array<{ id: string; email: string }> = [];
  enterprise = true;
  reset: string[] = [];
  constructor(readonly token: string) {
    super((req, res) => this.#route(req, res));
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    if (req.path === '/users.lookupByEmail') {
      const u = this.users.find((x) => x.email.toLowerCase() === (req.query.get('email') ?? '').toLowerCase());
      return sendJson(res, 200, u ? { ok: true, user: { id: u.id, team_id: 'T0001', name: 'alice', profile: { email: u.email } } } : { ok: false, error: 'users_not_found' });
    }
    if (req.path === '/admin.users.session.reset' && req.method === 'POST') {
      if (!this.enterprise) return sendJson(res, 200, { ok: false, error: 'not_an_enterprise' });
      const form = new URLSearchParams(req.body);
      const id = form.get('user_id') ?? '';
      if (!this.users.some((u) => u.id === id)) return sendJson(res, 200, { ok: false, error: 'user_not_found' });
      this.reset.push(id);
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 200, { ok: false, error: 'unknown_method' });
  }
}

// ── Google ───────────────────────────────────────────────────────────────────
export class FakeGoogle extends LoopbackServer {
  users = new Set<string>();
  signedOut: string[] = [];
  grants: Array<Record<string, unknown>> = [];
  constructor(readonly serviceAccount: string, readonly publicKeyPem: string, readonly admin: string) {
    super((req, res) => this.#route(req, res));
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'POST' && req.path === '/token') {
      const form = new URLSearchParams(req.body);
      const assertion = form.get('assertion') ?? '';
      const [h, p, sig] = assertion.split('.');
      const verifier = createVerify('RSA-SHA256');
      verifier.update(`${h}.${p}`);
      const valid = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && !!sig && verifier.verify(this.publicKeyPem, Buffer.from(sig, 'base64url'));
      if (!valid) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      this.grants.push(claims);
      if (claims.iss !== this.serviceAccount || claims.sub !== this.admin) return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method.' });
      return sendJson(res, 200, { access_token: 'ya29.fake-directory-token', expires_in: 3599, token_type: 'Bearer' });
    }
    if (req.headers.authorization !== 'Bearer ya29.fake-directory-token') return sendJson(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    const m = /^\/admin\/directory\/v1\/users\/([^/]+)\/signOut$/.exec(req.path);
    if (req.method === 'POST' && m?.[1]) {
      const key = decodeURIComponent(m[1]).toLowerCase();
      if (!this.users.has(key)) return sendJson(res, 404, { error: { code: 404, message: 'Resource Not Found: userKey', errors: [{ message: 'Resource Not Found: userKey', domain: 'global', reason: 'notFound' }] } });
      this.signedOut.push(key);
      return noContent(res);
    }
    return sendJson(res, 404, { error: { code: 404, message: 'Not Found' } });
  }
}

// ── GitHub SAML SSO authorisations ───────────────────────────────────────────
/**
 * GET /orgs/{org}/credential-authorizations pages by number (per_page, at most 100, and page) with
 * a Link header (rel="next", "last", "first", "prev") as GitHub does; `maxPerPage` makes pages
 * smaller than asked for, and `pageQuirk` answers one page wrongly (empty and without a next link,
 * or a repeat of the page before).
 * https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
 */
export class FakeGithubSso extends LoopbackServer {
  credentials: Array<{ login: string; credential_id: number; credential_type: string }> = [];
  removed: string[] = [];
  /** Logins whose last credential authorisation was revoked, once per time it happened. */
  emptied: string[] = [];
  sso = true;
  maxPerPage = 100;
  /** `drop_last_row`: the page answered without its last row, links unchanged (cut at a row boundary). */
  pageQuirk: { page: number; kind: 'empty' | 'repeat_previous' | 'drop_last_row' } | null = null;
  constructor(readonly org: string, readonly token: string) {
    super((req, res) => this.#route(req, res));
  }
  #error(res: ServerResponse, status: number, message: string): void {
    sendJson(res, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.#error(res, 401, 'Bad credentials');
    const base = `/orgs/${this.org}/credential-authorizations`;
    if (req.method === 'GET' && req.path === base) {
      if (!this.sso) return this.#error(res, 404, 'Not Found');
      const login = (req.query.get('login') ?? '').toLowerCase();
      const all = this.credentials.filter((c) => !login || c.login.toLowerCase() === login);
      const perPage = Math.min(Number(req.query.get('per_page') ?? 30) || 30, 100, this.maxPerPage);
      const pageNo = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const quirk = this.pageQuirk?.page === pageNo ? this.pageQuirk.kind : null;
      const shown = quirk === 'repeat_previous' ? pageNo - 1 : pageNo;
      const rows = quirk === 'empty' ? [] : all.slice((shown - 1) * perPage, shown * perPage);
      const items = quirk === 'drop_last_row' ? rows.slice(0, -1) : rows;
      const link = (page: number, rel: string) => {
        const q = new URLSearchParams(req.query);
        q.set('page', String(page));
        return `<${this.url}${base}?${q.toString()}>; rel="${rel}"`;
      };
      const links = [
        ...(pageNo < last && quirk !== 'empty' ? [link(pageNo + 1, 'next'), link(last, 'last')] : []),
        ...(pageNo > 1 ? [link(1, 'first'), link(pageNo - 1, 'prev')] : []),
      ];
      return sendJson(res, 200, items.map((c) => ({ ...c, credential_authorized_at: '2026-01-01T00:00:00Z', scopes: ['repo'], token_last_eight: '12345678' })), links.length ? { link: links.join(', ') } : {});
    }
    const del = new RegExp(`^${base}/(\\d+)$`).exec(req.path);
    if (req.method === 'DELETE' && del?.[1]) {
      const gone = this.credentials.find((c) => c.credential_id === Number(del[1]));
      if (!gone) return this.#error(res, 404, 'Not Found');
      this.credentials = this.credentials.filter((c) => c !== gone);
      if (!this.credentials.some((c) => c.login === gone.login)) this.emptied.push(gone.login);
      return noContent(res);
    }
    const mem = new RegExp(`^/orgs/${this.org}/memberships/([^/]+)$`).exec(req.path);
    if (req.method === 'DELETE' && mem?.[1]) {
      this.removed.push(mem[1]);
      return noContent(res);
    }
    return this.#error(res, 404, 'Not Found');
  }
}
