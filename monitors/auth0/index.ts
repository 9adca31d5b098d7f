/**
 * Auth0 monitor: every user of a tenant and their enrolled authentication methods, through the
 * Management API with a client-credentials token.
 *   POST /oauth/token                                   (client credentials, audience …/api/v2/)
 *   GET  /api/v2/users?page&per_page=100&include_totals (tenants under 1,000 users)
 *   POST /api/v2/jobs/users-exports → GET /api/v2/jobs/{id} → the gzipped NDJSON file (1,000+)
 *   GET  /api/v2/users/{id}/authentication-methods      (one per user, bounded concurrency)
 * https://auth0.com/docs/manage-users/user-search/view-search-results-by-page (the 1,000 limit)
 * https://auth0.com/docs/manage-users/user-migration/bulk-user-exports
 * https://auth0.com/docs/api/management/v2/users/get-authentication-methods
 * https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, waitForResetHeader, type DescribedRequest, type ErrorDescription, type HttpClient, type HttpResponse } from '../../src/http/client.js';
import { clientCredentialsToken, invalidatingOnAuthFailure } from '../../src/http/client-credentials.js';
import { createConcurrencyGate, type ConcurrencyGate } from '../../src/http/concurrency-gate.js';
import type { AccountReading, AccountRef, EventBatch, EventSource } from '../events.js';
import { eventCallContext, type EventCallPurpose } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { auth0ConfigSchema, type Auth0Config } from './config.js';
import { auth0LogStream, LOG_TAKE, logEntryId, logPage, MAX_LOG_PAGES, translateAuth0Logs } from './events.js';

const PROVIDER = 'Auth0';
const README = 'see monitors/auth0/README.md';
const PER_PAGE = 100;
/** Auth0 returns at most the first 1,000 users of a listing (page × per_page ≤ 1,000), and caps `total` there. */
const LISTING_LIMIT = 1000;

const auth0User = z.object({
  user_id: z.string().min(1),
  email: z.string().nullish(),
  username: z.string().nullish(),
  nickname: z.string().nullish(),
  name: z.string().nullish(),
  blocked: z.boolean().nullish(),
});
type Auth0User = z.infer<typeof auth0User>;
const usersPage = z.object({ start: z.number(), limit: z.number(), length: z.number(), total: z.number(), users: z.array(auth0User) });
const authMethods = z.array(z.object({ type: z.string().min(1), confirmed: z.boolean().nullish(), preferred_authentication_method: z.string().nullish() }));
type AuthMethods = z.infer<typeof authMethods>;
const exportJob = z.object({ id: z.string().min(1), status: z.string(), location: z.string().nullish() });

/** Method types that are a strong second factor. */
export const STRONG_TYPES: ReadonlySet<string> = new Set(['totp', 'push', 'webauthn-roaming', 'webauthn-platform', 'passkey', 'guardian', 'otp', 'duo']);
/** Interceptable or phishable factors. */
export const WEAK_TYPES: ReadonlySet<string> = new Set(['phone', 'sms', 'voice', 'email']);
/** Enrolments that are not a second factor by themselves. */
export const NOT_MFA_TYPES: ReadonlySet<string> = new Set(['password', 'recovery-code', 'email-verification']);

/**
 * The MFA state from a user's confirmed authentication methods: a strong one → enabled; otherwise
 * a type mfawatch does not know → unknown; otherwise SMS/voice/e-mail → weak; otherwise disabled.
 * Unconfirmed (half-finished) enrolments do not count.
 */
export function auth0MfaState(methods: AuthMethods): { mfa: MfaState; factors: string[]; unrecognised: string[] } {
  const factors: string[] = [];
  const unrecognised: string[] = [];
  let strong = false;
  let weak = false;
  for (const m of methods) {
    if (m.confirmed === false || NOT_MFA_TYPES.has(m.type)) continue;
    const name = m.type === 'phone' && m.preferred_authentication_method ? m.preferred_authentication_method : m.type;
    factors.push(name);
    if (STRONG_TYPES.has(m.type)) strong = true;
    else if (WEAK_TYPES.has(m.type)) weak = true;
    else unrecognised.push(m.type);
  }
  const sorted = [...new Set(factors)].sort();
  if (strong) return { mfa: 'enabled', factors: sorted, unrecognised };
  if (unrecognised.length > 0) return { mfa: 'unknown', factors: sorted, unrecognised };
  if (weak) return { mfa: 'weak', factors: sorted, unrecognised };
  return { mfa: 'disabled', factors: [], unrecognised };
}

function auth0Body(body: unknown): { message: string; errorCode: string } {
  const b = (body ?? {}) as { message?: unknown; errorCode?: unknown };
  return { message: typeof b.message === 'string' ? b.message.slice(0, 300) : '', errorCode: typeof b.errorCode === 'string' ? b.errorCode : '' };
}

/**
 * Wording of a failed Management API answer ({statusCode, error, message, errorCode}). `purpose`:
 * a scan's call, or an event poll's or verification's (monitors/types.ts EventCallPurpose), whose
 * rate-limit remedy is the poll interval rather than the scan's concurrency.
 */
export function describeAuth0Error(status: number, body: unknown, req: DescribedRequest, purpose: 'scan' | EventCallPurpose = 'scan'): ErrorDescription {
  const { message, errorCode } = auth0Body(body);
  const tag = errorCode ? ` (${errorCode})` : '';
  if (status === 401) return { message: `Auth0 returned 401${tag}: the Management API token was refused`, hint: `check "domain" and "audience" (${README})` };
  if (status === 403 && errorCode === 'insufficient_scope') {
    return { message: `Auth0 returned 403${tag}: the application is not granted a scope mfawatch needs (${message})`, hint: `grant read:users and read:authentication_methods (and read:logs for the events block) to the application on the Auth0 Management API (${README})` };
  }
  if (status === 403) return { message: `Auth0 returned 403${tag}${message ? `: ${message}` : ''}`, hint: README };
  if (status === 404) return { message: `Auth0 returned 404${tag}${message ? `: ${message}` : ''}`, hint: 'check "domain" (the canonical tenant domain) and "baseUrl"' };
  if (status === 400 && errorCode === 'invalid_paging') return { message: 'Auth0 refused a page past its 1,000-user listing limit (the tenant grew during the scan)', hint: 'the next scan uses the users-export job', reason: 'server' };
  if (status === 429) {
    // Event calls run one at a time ("concurrency" does not apply); they share the tenant's
    // Management API limit with the scans, and the log poll is the part that repeats.
    const remedy = purpose === 'scan' ? 'lower "concurrency" or scan less often' : 'poll the tenant logs less often (raise "events.logs") or scan less often';
    return { message: `Auth0 rate limit reached (429${errorCode ? ` ${errorCode}` : ''})`, hint: `${req.afterFailure}; ${remedy}` };
  }
  if (status >= 500) return { message: `Auth0 returned ${status}${tag}`, hint: `Auth0 is having trouble (https://status.auth0.com); ${req.afterFailure}` };
  return { message: `Auth0 returned ${status}${tag}${message ? `: ${message}` : ''}`, hint: README };
}

/** Wording of a failed token request ({error, error_description}). */
export function describeAuth0TokenError(status: number, body: unknown, req: DescribedRequest): ErrorDescription {
  const b = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof b.error === 'string' ? b.error : '';
  const description = typeof b.error_description === 'string' ? b.error_description.slice(0, 300) : '';
  const label = `Auth0 refused the client-credentials token request (${status}${error ? ` ${error}` : ''})`;
  if (status === 401) return { message: `${label}: the client id or client secret is wrong`, hint: `copy them from the application's Settings (${README})`, reason: 'auth' };
  if (status === 403 && /client-grant|not authorized to access/i.test(description)) {
    return { message: `${label}: the application is not authorised for the Auth0 Management API`, hint: `authorise it under Applications → APIs → Auth0 Management API → Machine to Machine Applications (${README})`, reason: 'permission' };
  }
  if (status === 403 && /service not enabled|audience/i.test(description)) return { message: `${label}: the audience is not this tenant's Management API`, hint: 'check "domain" and "audience"', reason: 'auth' };
  if (status === 429 || status >= 500) return { message: label, hint: req.afterFailure };
  return { message: `${label}${description ? `: ${description}` : ''}`, hint: README, reason: 'auth' };
}

/** The logs cursor of a tenant whose log was empty at the first poll: read the log from its start. */
export const LOG_START = 'log-start';

/** Orders Auth0 log ids (decimal strings of one length; a longer one is later). */
function compareLogIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Creates the monitor for one tenant. */
export function createAuth0Monitor(config: Auth0Config, deps: ModuleDeps, tuning: { backoffMs?: number } = {}): Monitor {
  const scope: ScopeInfo = { id: '', label: config.domain };
  const baseUrl = (config.baseUrl ?? `https://${config.domain}`).replace(/\/+$/, '');
  const audience = config.audience ?? `https://${config.domain}/api/v2/`;
  // Values scrubbed from every error: the client secret and the latest tokens.
  const secrets: string[] = [config.clientSecret.reveal()];
  const token = clientCredentialsToken({
    path: '/oauth/token',
    form: () => ({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret.reveal(), audience }),
    onToken: (t) => {
      secrets.push(t);
      if (secrets.length > 4) secrets.splice(1, 1); // keep the secret and the last three tokens
    },
  });

  const resetOf = (h: Headers) => {
    const reset = Number(h.get('x-ratelimit-reset'));
    return h.has('x-ratelimit-reset') && Number.isFinite(reset) ? reset * 1000 : undefined;
  };

  /** The Management API client of one scan, poll or read; its answers feed `gate` (Auth0's x-ratelimit-* headers). */
  function apiFor(ctx: ScanContext, gate: ConcurrencyGate, purpose: 'scan' | EventCallPurpose = 'scan'): HttpClient {
    const common = {
      provider: PROVIDER, baseUrl, fetch: deps.fetch, timeoutMs: config.requestTimeout, retries: config.retries, deadline: ctx.deadline, sleep: deps.sleep, secrets,
      onRequest: () => ctx.countRequest(), afterFailure: ctx.afterFailure,
      // Auth0 sends x-ratelimit-reset (epoch seconds) rather than Retry-After on a 429.
      retryAfterFromHeaders: waitForResetHeader('x-ratelimit-reset'),
      onResponse: (response: Response) => {
        const remaining = Number(response.headers.get('x-ratelimit-remaining'));
        if (!response.headers.has('x-ratelimit-remaining') || !Number.isFinite(remaining)) return;
        const at = resetOf(response.headers);
        gate.observe(remaining, at);
        ctx.reportRateLimit(remaining, at === undefined ? undefined : new Date(at));
      },
      ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
    };
    const tokenHttp = createHttpClient({ ...common, describeError: describeAuth0TokenError });
    return createHttpClient({ ...common, headers: async () => ({ authorization: `Bearer ${await token.get(tokenHttp, ctx.signal)}` }), describeError: (status, body, req) => describeAuth0Error(status, body, req, purpose) });
  }

  /** One user as the scan reports them. */
  function observationOf(u: Auth0User, methods: AuthMethods): { observation: Observation; unrecognised: string[] } {
    const state = auth0MfaState(methods);
    return {
      observation: {
        accountId: u.user_id,
        login: u.email?.toLowerCase() ?? u.username ?? u.nickname ?? u.user_id,
        email: u.email ? u.email.toLowerCase() : null,
        displayName: u.name ?? null,
        kind: 'user',
        admin: false,
        mfa: state.mfa,
        factors: state.factors,
        url: `https://manage.auth0.com/dashboard/#/users/${encodeURIComponent(u.user_id)}`,
      },
      unrecognised: state.unrecognised,
    };
  }

  async function* scanTenant(ctx: ScanContext): AsyncGenerator<Observation> {
    const gate: ConcurrencyGate = createConcurrencyGate({ provider: PROVIDER, concurrency: config.concurrency, sleep: deps.sleep, deadline: ctx.deadline, signal: ctx.signal });
    const api = apiFor(ctx, gate);
    const unrecognised = new Set<string>();

    /** The users' observations, in order, after one bounded fan-out of method look-ups. */
    async function observe(users: Auth0User[]): Promise<Observation[]> {
      const active = users.filter((u) => u.blocked !== true);
      // One failed look-up fails the scan: cancel the others rather than let them run on.
      const stop = new AbortController();
      const signal = AbortSignal.any([ctx.signal, stop.signal]);
      let results: Array<AuthMethods | null>;
      try {
        results = await Promise.all(active.map((u) => gate.run(() => (stop.signal.aborted ? Promise.resolve(null) : methodsOf(api, u, signal)))));
      } catch (err) {
        stop.abort();
        throw err;
      }
      const out: Observation[] = [];
      active.forEach((u, i) => {
        const methods = results[i];
        if (methods === null || methods === undefined) return; // deleted during the scan
        const o = observationOf(u, methods);
        for (const t of o.unrecognised) unrecognised.add(t);
        out.push(o.observation);
      });
      return out;
    }

    const first = await listPage(api, 0, ctx);
    if (first.data.total >= LISTING_LIMIT) {
      ctx.logger.info({ total: first.data.total }, 'Auth0 tenant at or above the 1,000-user listing limit: reading it through a users-export job');
      for await (const batch of exportedUsers(api, ctx)) yield* await observe(batch);
    } else {
      const seen = new Set<string>();
      let page: HttpResponse<z.infer<typeof usersPage>> = first;
      let lastTotal: number;
      for (let n = 0; ; ) {
        for (const u of page.data.users) seen.add(u.user_id);
        lastTotal = page.data.total;
        yield* await observe(page.data.users);
        if (page.data.users.length < PER_PAGE || page.data.start + page.data.length >= page.data.total) break;
        n += 1;
        page = await listPage(api, n, ctx);
      }
      if (seen.size < lastTotal) {
        // Offset pages shift when users are deleted mid-listing: some user was skipped.
        throw new ProviderError(`the Auth0 user list changed during the scan (${seen.size} users read, ${lastTotal} listed)`, { reason: 'server', provider: PROVIDER, hint: 'nothing was committed; the next scan reads it again' });
      }
    }
    if (unrecognised.size > 0) ctx.warn(`Auth0 reported authentication method types mfawatch does not classify (${[...unrecognised].sort().join(', ')}): accounts with only these are reported as unknown`);
  }

  function listPage(api: HttpClient, page: number, ctx: ScanContext): Promise<HttpResponse<z.infer<typeof usersPage>>> {
    return api.request({ path: '/api/v2/users', query: { page, per_page: PER_PAGE, include_totals: true, sort: 'created_at:1', search_engine: 'v3', fields: 'user_id,email,username,nickname,name,blocked', include_fields: true }, signal: ctx.signal }, usersPage);
  }

  /** One user's authentication methods; null when the user was deleted since it was listed. */
  async function methodsOf(api: HttpClient, user: Auth0User, signal: AbortSignal): Promise<AuthMethods | null> {
    const res = await api.request({ path: `/api/v2/users/${encodeURIComponent(user.user_id)}/authentication-methods`, signal, acceptStatus: [404] });
    if (res.status === 404) {
      if (auth0Body(res.data).errorCode === 'inexistent_user') return null;
      throw new ProviderError(`Auth0 returned 404 for the authentication methods of a user`, { reason: 'not_found', provider: PROVIDER, status: 404, hint: 'check "baseUrl"; nothing was committed' });
    }
    const parsed = authMethods.safeParse(res.data);
    if (!parsed.success) {
      throw new ProviderError('Auth0 answered GET /api/v2/users/{id}/authentication-methods with a body of an unexpected shape', { reason: 'malformed', provider: PROVIDER, status: res.status, hint: 'nothing was committed' });
    }
    return parsed.data;
  }

  /** Runs a users-export job and yields the file's users in batches of 100, streamed and gunzipped. */
  async function* exportedUsers(api: HttpClient, ctx: ScanContext): AsyncGenerator<Auth0User[]> {
    const fields = ['user_id', 'email', 'username', 'nickname', 'name', 'blocked'].map((name) => ({ name }));
    const created = await api.request({ method: 'POST', path: '/api/v2/jobs/users-exports', json: { format: 'json', fields }, signal: ctx.signal, retries: 0 }, exportJob);
    let job = created.data;
    while (job.status !== 'completed') {
      if (job.status === 'failed' || job.status === 'expired' || job.status === 'cancelled') {
        throw new ProviderError(`the Auth0 users-export job ${job.id} ended as "${job.status}"`, { reason: 'server', provider: PROVIDER, hint: 'the next scan starts a new export' });
      }
      if (Date.now() + config.exportPollInterval >= ctx.deadline.getTime()) {
        throw new ProviderError(`the Auth0 users-export job ${job.id} was still "${job.status}" at the scan deadline`, { reason: 'timeout', provider: PROVIDER, hint: 'raise scanDeadline for this monitor (large tenants export for minutes)' });
      }
      await deps.sleep(config.exportPollInterval, ctx.signal);
      job = (await api.request({ path: `/api/v2/jobs/${encodeURIComponent(job.id)}`, signal: ctx.signal }, exportJob)).data;
    }
    if (!job.location) throw new ProviderError(`the Auth0 users-export job ${job.id} completed without a file location`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
    // A pre-signed download URL: no Authorization header goes there.
    ctx.countRequest();
    let response: Response;
    try {
      response = await deps.fetch(job.location, { signal: ctx.signal, redirect: 'follow' });
    } catch (err) {
      throw new ProviderError('could not download the Auth0 users-export file', { reason: 'network', provider: PROVIDER, hint: 'check outbound access to the export storage host', cause: err });
    }
    if (!response.ok || !response.body) {
      throw new ProviderError(`downloading the Auth0 users-export file answered ${response.status}`, { reason: response.status >= 500 ? 'server' : 'client', provider: PROVIDER, status: response.status, hint: 'the next scan starts a new export' });
    }
    const lines = createInterface({ input: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
    let batch: Auth0User[] = [];
    let lineNo = 0;
    try {
      for await (const raw of lines) {
        lineNo += 1;
        if (raw.trim() === '') continue;
        let parsed: ReturnType<typeof auth0User.safeParse>;
        try {
          parsed = auth0User.safeParse(JSON.parse(raw));
        } catch {
          throw new ProviderError(`line ${lineNo} of the Auth0 users-export file is not JSON`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
        }
        if (!parsed.success) throw new ProviderError(`line ${lineNo} of the Auth0 users-export file is not a user (${parsed.error.issues[0]?.path.join('.') ?? ''})`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
        batch.push(parsed.data);
        if (batch.length >= PER_PAGE) {
          yield batch;
          batch = [];
        }
      }
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError('the Auth0 users-export file is truncated or not gzip-compressed NDJSON', { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan starts a new export', cause: err });
    }
    if (batch.length > 0) yield batch;
  }

  /** A context for one poll or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter, purpose);
  }

  function eventApi(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): HttpClient {
    const ctx = eventContext(signal, counter, purpose);
    return apiFor(ctx, createConcurrencyGate({ provider: PROVIDER, concurrency: 1, sleep: deps.sleep, deadline: ctx.deadline, signal, afterFailure: ctx.afterFailure }), purpose);
  }

  /** Drops a cached token Auth0 refused, so the next poll or read asks for a new one. */
  async function refreshingToken<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ProviderError && err.status === 401) token.invalidate();
      throw err;
    }
  }

  /**
   * Re-reads one user as the scan sees them: GET /api/v2/users/{id} (the same fields) and its
   * authentication methods, with the same mapping; Auth0's 404 is `gone`, and so is a blocked user
   * (the scan does not list them). https://auth0.com/docs/api/management/v2/users/get-users-by-id
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    if (!ref.accountId) {
      throw new ProviderError('Auth0: this hint names the user only by login; users are read by user_id', { reason: 'malformed', provider: PROVIDER, hint: 'the scheduled scan reconciles this account' });
    }
    const api = eventApi(signal, { requests: 0 }, 'verify');
    return refreshingToken(async () => {
      const res = await api.request({ path: `/api/v2/users/${encodeURIComponent(ref.accountId ?? '')}`, query: { fields: 'user_id,email,username,nickname,name,blocked', include_fields: true }, signal, acceptStatus: [404] });
      if (res.status === 404) return { status: 'gone', account: ref } as const;
      const u = auth0User.safeParse(res.data);
      if (!u.success) throw new ProviderError('Auth0 answered GET /api/v2/users/{id} with a body that is not a user', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
      if (u.data.blocked === true) return { status: 'gone', account: ref } as const;
      const methods = await methodsOf(api, u.data, signal);
      if (methods === null) return { status: 'gone', account: ref } as const;
      return { status: 'present', observation: observationOf(u.data, methods).observation } as const;
    });
  }

  /**
   * One poll of the tenant logs with Auth0's checkpoint pagination: `from=<last log_id>&take=100`
   * while pages come back full. The first poll only finds the newest log_id (the scan covers what
   * came before); when the log is still empty, the cursor is LOG_START and the next poll reads the
   * log from its oldest entry (search by date, ascending), then by checkpoint from the newest log_id
   * it read, so nothing logged between the two polls is skipped.
   * https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
   */
  async function pollLogs(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const counter = { requests: 0 };
    const api = eventApi(signal, counter, 'poll');
    return refreshingToken(async () => {
      if (!cursor) {
        const newest = await api.request({ path: '/api/v2/logs', query: { sort: 'date:-1', per_page: 1, page: 0 }, signal }, logPage);
        const first = logEntryId.safeParse(newest.data[0]);
        return { events: [], ignored: [], cursor: first.success ? first.data.log_id : LOG_START, requests: counter.requests };
      }
      const raw: unknown[] = [];
      let from = cursor;
      if (cursor === LOG_START) {
        // Everything in the log came after the first poll. Log ids are assigned in order (checkpoints
        // rely on it), so the newest id read is where the checkpoints go on.
        const oldest = await api.request({ path: '/api/v2/logs', query: { sort: 'date:1', per_page: LOG_TAKE, page: 0 }, signal }, logPage);
        raw.push(...oldest.data);
        const ids = oldest.data.flatMap((entry) => {
          const id = logEntryId.safeParse(entry);
          return id.success ? [id.data.log_id] : [];
        });
        if (ids.length === 0) {
          if (oldest.data.length > 0) throw new ProviderError('Auth0 answered GET /api/v2/logs with entries without log_id', { reason: 'malformed', provider: PROVIDER, hint: 'the checkpoint was not set; the next poll retries' });
          return { events: [], ignored: [], cursor: LOG_START, requests: counter.requests };
        }
        from = ids.reduce((a, b) => (compareLogIds(a, b) >= 0 ? a : b));
        if (oldest.data.length < LOG_TAKE) return translateAuth0Logs(raw, from, counter.requests);
      }
      for (let page = 0; page < MAX_LOG_PAGES; page++) {
        const res = await api.request({ path: '/api/v2/logs', query: { from, take: LOG_TAKE }, signal }, logPage);
        raw.push(...res.data);
        const last = logEntryId.safeParse(res.data.at(-1));
        if (res.data.length > 0 && !last.success) throw new ProviderError('Auth0 answered GET /api/v2/logs with an entry without log_id', { reason: 'malformed', provider: PROVIDER, hint: 'the checkpoint was not moved; the next poll retries' });
        if (last.success) from = last.data.log_id;
        if (res.data.length < LOG_TAKE) break;
      }
      return translateAuth0Logs(raw, from, counter.requests);
    });
  }

  const sources: EventSource[] = config.events
    ? [
        { kind: 'pull', name: 'logs', intervalMs: config.events.logs, poll: (cursor, signal) => pollLogs(cursor, signal) },
        ...(config.events.logStream ? [auth0LogStream(config.events.logStream.authorization)] : []),
      ]
    : [];

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    scan: (_scope: ScopeInfo, ctx: ScanContext): AsyncIterable<Observation> => invalidatingOnAuthFailure(token, scanTenant(ctx)),
  };
}

export const auth0Monitor: MonitorModule<Auth0Config> = {
  type: 'auth0',
  provider: PROVIDER,
  configSchema: auth0ConfigSchema,
  secretKeys: ['clientSecret', 'events.logStream.authorization'],
  create: (config, deps) => createAuth0Monitor(config, deps),
};
