/**
 * A fake of an Auth0 tenant's Authentication API token endpoint and Management API v2, from
 * Auth0's published formats: client-credentials tokens with granted scopes, GET /api/v2/users
 * with page/per_page/include_totals ({start, limit, length, users, total}) and the 1,000-result
 * limit (total capped at 1,000; a page past it answers 400 invalid_paging), per-user
 * authentication methods, users-export jobs (pending → processing → completed with a location
 * serving gzipped NDJSON), x-ratelimit-limit/remaining/reset headers on every answer, 429 on an
 * empty bucket, and error bodies {statusCode, error, message, errorCode}.
 * https://auth0.com/docs/manage-users/user-search/view-search-results-by-page
 * https://auth0.com/docs/manage-users/user-migration/bulk-user-exports
 * https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy
 *
 * Also GET /api/v2/users/{id} (404 inexistent_user) and the tenant logs GET /api/v2/logs (scope
 * read:logs): checkpoint pagination with `from=<log_id>&take=N` (entries after that id, oldest
 * first, take at most 100), and page/per_page/sort=date:-1 for the newest entries.
 * https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
 * https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes
 *
 * And what a Log Stream (Custom Webhook) posts: `logStreamBody` (items `{log_id, data}`) and the
 * `details.prompts` of a successful login (`loginDetails`: the password stage, `login`, and the
 * `mfa` stage with performed_amr ["mfa"] when a second factor was used).
 * https://auth0.com/docs/customize/log-streams/custom-log-streams
 * https://auth0.com/docs/deploy-monitor/logs/prompt-details-in-tenant-logs
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeAuth0Method {
  type: string;
  confirmed?: boolean;
  preferred_authentication_method?: 'sms' | 'voice';
}

export interface FakeAuth0User {
  user_id: string;
  email?: string;
  name?: string;
  blocked?: boolean;
  created_at?: string;
  methods: FakeAuth0Method[];
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' };

export class FakeAuth0 extends LoopbackServer {
  domain = 'acme.eu.auth0.com';
  clientId = 'm2mClientIdAbc123';
  clientSecret = 'auth0-test-client-secret-value-xyz';
  /** Scopes granted to the client on the Management API; null: no client grant at all. */
  scopes: string[] | null = ['read:users', 'read:authentication_methods'];
  users = new Map<string, FakeAuth0User>();
  tokensIssued: string[] = [];
  /** Requests per window (the bucket) and the window length. */
  bucketSize = 10_000;
  bucketRemaining = 10_000;
  windowMs = 1000;
  windowReset = Date.now() + 1000;
  /** Job polls before an export completes. */
  exportPolls = 2;
  jobs = new Map<string, { polls: number; status: string; fields: string[] }>();
  /** The tenant log, oldest first. */
  logs: Array<Record<string, unknown>> = [];
  /** Highest number of method look-ups in flight at once. */
  maxInFlight = 0;
  #inFlight = 0;

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  add(u: FakeAuth0User): void {
    this.users.set(u.user_id, u);
  }

  /** Appends a log event (log_id increasing, like Auth0's). */
  addLog(e: { type: string; user_id?: string; user_name?: string; date?: string; description?: string; ip?: string; connection?: string; details?: Record<string, unknown> }): Record<string, unknown> {
    const n = this.logs.length + 1;
    const entry = {
      date: e.date ?? new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n * 1000).toISOString(),
      type: e.type,
      description: e.description ?? '',
      client_id: 'appClientId123',
      client_name: 'Acme App',
      ip: e.ip ?? '198.51.100.23',
      user_agent: 'Firefox 132.0.0 / Linux 0.0.0',
      details: e.details ?? {},
      ...(e.connection ? { connection: e.connection } : {}),
      ...(e.user_id ? { user_id: e.user_id } : {}),
      ...(e.user_name ? { user_name: e.user_name } : {}),
      log_id: `900201${String(n).padStart(50, '0')}`,
      tenant_name: 'acme',
      $event_schema: { version: '1.0.0' },
    };
    this.logs.push(entry);
    return entry;
  }

  /**
   * A Log Stream (Custom Webhook) delivery of these entries, as Auth0 sends it: one item
   * `{log_id, data}` per entry, in the stream's Content Format (JSONLINES, the documented default;
   * JSONARRAY; JSONOBJECT, one entry per request).
   * https://auth0.com/docs/customize/log-streams/custom-log-streams
   */
  static logStreamBody(entries: ReadonlyArray<Record<string, unknown>>, format: 'JSONLINES' | 'JSONARRAY' | 'JSONOBJECT' = 'JSONLINES'): string {
    const items = entries.map((data) => ({ log_id: String(data.log_id), data }));
    if (format === 'JSONARRAY') return JSON.stringify(items);
    if (format === 'JSONOBJECT') return JSON.stringify(items[0] ?? {});
    return items.map((i) => JSON.stringify(i)).join('\n');
  }

  /** The `details` of a successful login (`s`), with the stages Auth0 records in `prompts`. */
  static loginDetails(user: { user_id: string; user_name: string }, stages: { mfa?: boolean; first?: string } = {}): Record<string, unknown> {
    const started = Date.UTC(2026, 10, 22, 10, 4, 0);
    const prompts: Array<Record<string, unknown>> = [
      { name: stages.first ?? 'prompt-authenticate', completedAt: started + 9_000, connection: 'Username-Password-Authentication', connection_id: 'con_1a5wCUmAs6VOU17n', strategy: 'auth0', identity: user.user_id.split('|')[1] ?? user.user_id, stats: { loginsCount: 4 }, elapsedTime: null },
      { name: 'login', flow: 'universal-login', initiatedAt: started, completedAt: started + 9_100, timers: { rules: 4 }, user_id: user.user_id, user_name: user.user_name, elapsedTime: 9_100 },
    ];
    if (stages.mfa) prompts.push({ name: 'mfa', flow: 'universal-mfa', initiatedAt: started + 9_200, completedAt: started + 20_000, performed_acr: ['http://schemas.openid.net/pape/policies/2007/06/multi-factor'], performed_amr: ['mfa'], provider: 'guardian', elapsedTime: 10_800 });
    return { prompts, initiatedAt: started, completedAt: started + 21_000, elapsedTime: 21_000, session_id: 'm5SgtzMKxmeNBxj_kCfUUJhzrSdfvLFu', stats: { loginsCount: 4 } };
  }

  logRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/v2/logs');
  }

  methodRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/authentication-methods'));
  }

  #rateHeaders(): Record<string, string> {
    return { 'x-ratelimit-limit': String(this.bucketSize), 'x-ratelimit-remaining': String(Math.max(0, this.bucketRemaining)), 'x-ratelimit-reset': String(Math.ceil(this.windowReset / 1000)) };
  }

  #error(res: ServerResponse, status: number, message: string, errorCode?: string, extra: Record<string, string> = {}): void {
    sendJson(res, status, { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message, ...(errorCode ? { errorCode } : {}) }, { ...this.#rateHeaders(), ...extra });
  }

  #sorted(): FakeAuth0User[] {
    return [...this.users.values()].sort((a, b) => (a.created_at ?? a.user_id).localeCompare(b.created_at ?? b.user_id));
  }

  async #route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (req.path === '/oauth/token') {
      if (req.method !== 'POST') return sendJson(res, 404, { error: 'not_found' });
      const form = /json/.test(String(req.headers['content-type'])) ? new URLSearchParams(Object.entries(JSON.parse(req.body) as Record<string, string>)) : new URLSearchParams(req.body);
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return sendJson(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
      if (form.get('audience') !== `https://${this.domain}/api/v2/`) return sendJson(res, 403, { error: 'access_denied', error_description: `Service not enabled within domain: ${form.get('audience')}` });
      if (this.scopes === null) {
        return sendJson(res, 403, { error: 'access_denied', error_description: `Client is not authorized to access "https://${this.domain}/api/v2/". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants` });
      }
      const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ scope: this.scopes.join(' '), jti: randomUUID() })).toString('base64url')}.sig`;
      this.tokensIssued.push(token);
      return sendJson(res, 200, { access_token: token, scope: this.scopes.join(' '), expires_in: 86400, token_type: 'Bearer' });
    }
    const download = /^\/exports\/([^/]+)\.json\.gz$/.exec(req.path);
    if (download) {
      const job = this.jobs.get(download[1] ?? '');
      if (!job) return sendJson(res, 404, { message: 'NoSuchKey' });
      const lines = this.#sorted().map((u) => JSON.stringify(Object.fromEntries(Object.entries({ user_id: u.user_id, email: u.email, name: u.name, blocked: u.blocked }).filter(([k, v]) => v !== undefined && job.fields.includes(k)))));
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(Buffer.from(lines.join('\n') + '\n')));
      return;
    }

    // Management API
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (!this.tokensIssued.includes(bearer)) return this.#error(res, 401, 'Invalid token');
    if (Date.now() >= this.windowReset) {
      this.windowReset = Date.now() + this.windowMs;
      this.bucketRemaining = this.bucketSize;
    }
    if (this.bucketRemaining <= 0) return this.#error(res, 429, 'Global limit has been reached', 'too_many_requests');
    this.bucketRemaining -= 1;
    const granted = JSON.parse(Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString('utf8')).scope.split(' ') as string[];
    const need = (scope: string) => {
      if (granted.includes(scope)) return true;
      this.#error(res, 403, `Insufficient scope, expected any of: ${scope}`, 'insufficient_scope');
      return false;
    };

    if (req.method === 'GET' && req.path === '/api/v2/users') {
      if (!need('read:users')) return;
      const page = Number(req.query.get('page') ?? 0);
      const perPage = Number(req.query.get('per_page') ?? 50);
      if (perPage > 100) return this.#error(res, 400, 'Query validation error: \'Too big: must be at most 100\' on property per_page.', 'invalid_query_string');
      if ((page + 1) * perPage > 1000) return this.#error(res, 400, 'You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation', 'invalid_paging');
      const all = this.#sorted();
      const slice = all.slice(page * perPage, (page + 1) * perPage).map((u) => ({
        user_id: u.user_id, email: u.email, email_verified: true, name: u.name ?? u.email, nickname: u.email?.split('@')[0],
        created_at: u.created_at ?? '2025-01-01T00:00:00.000Z', updated_at: '2026-11-01T00:00:00.000Z',
        identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: u.user_id.split('|')[1], isSocial: false }],
        ...(u.blocked !== undefined ? { blocked: u.blocked } : {}),
        ...(u.methods.some((m) => m.type === 'guardian') ? { multifactor: ['guardian'] } : {}),
      }));
      if (req.query.get('include_totals') !== 'true') return sendJson(res, 200, slice, this.#rateHeaders());
      return sendJson(res, 200, { start: page * perPage, limit: perPage, length: slice.length, users: slice, total: Math.min(all.length, 1000) }, this.#rateHeaders());
    }
    if (req.method === 'GET' && req.path === '/api/v2/logs') {
      if (!need('read:logs')) return;
      const from = req.query.get('from');
      if (from !== null) {
        const take = Number(req.query.get('take') ?? 50);
        if (!Number.isInteger(take) || take < 1 || take > 100) return this.#error(res, 400, "Query validation error: 'Too big: must be at most 100' on property take.", 'invalid_query_string');
        const at = this.logs.findIndex((l) => l.log_id === from);
        const start = at < 0 ? this.logs.findIndex((l) => String(l.log_id) > from) : at + 1;
        return sendJson(res, 200, start < 0 ? [] : this.logs.slice(start, start + take), this.#rateHeaders());
      }
      const perPage = Number(req.query.get('per_page') ?? 50);
      const page = Number(req.query.get('page') ?? 0);
      const sorted = req.query.get('sort') === 'date:-1' ? [...this.logs].reverse() : this.logs;
      return sendJson(res, 200, sorted.slice(page * perPage, (page + 1) * perPage), this.#rateHeaders());
    }
    const one = /^\/api\/v2\/users\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && one) {
      if (!need('read:users')) return;
      const u = this.users.get(decodeURIComponent(one[1] ?? ''));
      if (!u) return this.#error(res, 404, 'The user does not exist.', 'inexistent_user');
      return sendJson(res, 200, { user_id: u.user_id, email: u.email, name: u.name ?? u.email, nickname: u.email?.split('@')[0], ...(u.blocked !== undefined ? { blocked: u.blocked } : {}) }, this.#rateHeaders());
    }
    const methods = /^\/api\/v2\/users\/([^/]+)\/authentication-methods$/.exec(req.path);
    if (req.method === 'GET' && methods) {
      if (!need('read:authentication_methods')) return;
      const user = this.users.get(decodeURIComponent(methods[1] ?? ''));
      if (!user) return this.#error(res, 404, 'The user does not exist.', 'inexistent_user');
      this.#inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
      await new Promise((r) => setTimeout(r, 2));
      this.#inFlight -= 1;
      return sendJson(res, 200, user.methods.map((m, i) => ({ id: `${m.type}|dev_${i}`, type: m.type, confirmed: m.confirmed ?? true, created_at: '2026-01-01T00:00:00.000Z', ...(m.preferred_authentication_method ? { preferred_authentication_method: m.preferred_authentication_method, phone_number: '+1555000000' } : {}) })), this.#rateHeaders());
    }
    if (req.method === 'POST' && req.path === '/api/v2/jobs/users-exports') {
      if (!need('read:users')) return;
      const body = JSON.parse(req.body) as { format?: string; fields?: Array<{ name: string }> };
      const id = `job_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      this.jobs.set(id, { polls: 0, status: 'pending', fields: (body.fields ?? []).map((f) => f.name) });
      return sendJson(res, 201, { type: 'users_export', status: 'pending', format: body.format ?? 'csv', created_at: new Date().toISOString(), id, fields: body.fields }, this.#rateHeaders());
    }
    const jobPath = /^\/api\/v2\/jobs\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && jobPath) {
      const job = this.jobs.get(jobPath[1] ?? '');
      if (!job) return this.#error(res, 404, 'Job not found', 'inexistent_job');
      job.polls += 1;
      job.status = job.polls >= this.exportPolls ? 'completed' : 'processing';
      return sendJson(res, 200, { type: 'users_export', status: job.status, id: jobPath[1], created_at: new Date().toISOString(), format: 'json', ...(job.status === 'completed' ? { location: `${this.url}/exports/${jobPath[1]}.json.gz`, percentage_done: 100 } : { percentage_done: 50, time_left_seconds: 1 }) }, this.#rateHeaders());
    }
    return this.#error(res, 404, 'Not Found');
  }
}
