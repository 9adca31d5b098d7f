/**
 * Okta monitor: every user of one Okta org with the factors they have enrolled.
 *   GET /api/v1/users?limit=200, Link-header cursor pagination (rel="next" … ?after=…)
 *   GET /api/v1/users/{id}/factors for each user of a page, with bounded concurrency that follows
 *     X-Rate-Limit-Remaining / X-Rate-Limit-Reset (RateGate), so a 50,000-user org scans without a
 *     storm of 429s
 *   GET /api/v1/users/{id}/roles for each user, only with `detectAdmins`
 * Memory stays flat: one page of users at a time.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/listUsers
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserFactor/
 * https://developer.okta.com/docs/reference/rl-best-practices/
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, parseLinkHeader, waitForResetHeader, type DescribedRequest, type ErrorDescription, type HttpClient } from '../../src/http/client.js';
import { RateGate, budgetFromOktaHeaders } from '../../src/http/rate-gate.js';
import type { AccountReading, AccountRef, EventBatch, EventSource, IgnoredEvent } from '../events.js';
import { afterEventFailure, type EventCallPurpose, type Monitor, type MonitorModule, type ScanContext, type ScopeInfo } from '../types.js';
import { oktaConfigSchema, type OktaConfig } from './config.js';
import { oktaBatch, oktaEventHook, parseOktaCursor, systemLogFilter, translateOktaLogs, type OktaCursor } from './events.js';

const PROVIDER = 'Okta';
const README = 'see monitors/okta/README.md';

/** What mfawatch reads of a user in GET /api/v1/users. */
const oktaUser = z.object({
  id: z.string().min(1),
  status: z.string(),
  profile: z.object({
    login: z.string(),
    email: z.string().nullish(),
    firstName: z.string().nullish(),
    lastName: z.string().nullish(),
    displayName: z.string().nullish(),
  }),
});
type OktaUser = z.infer<typeof oktaUser>;
const userPage = z.array(oktaUser);

const oktaFactor = z.object({ id: z.string(), factorType: z.string(), provider: z.string().optional(), status: z.string() });
const factorList = z.array(oktaFactor);
const roleList = z.array(z.object({ type: z.string(), status: z.string().optional() }));

/**
 * Factor types that resist phishing or at least need a device the user holds.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserFactor/#tag/UserFactor/operation/enrollFactor
 */
const STRONG_FACTORS = new Set(['webauthn', 'u2f', 'token:hardware', 'token', 'token:hotp', 'token:software:totp', 'push', 'signed_nonce', 'web']);
/** Factors that can be intercepted, redirected or guessed: SMS, voice call, email, security question. */
const WEAK_FACTORS = new Set(['sms', 'call', 'email', 'question']);

/**
 * The MFA state of a user from their factors. Only ACTIVE factors count (PENDING_ACTIVATION, NOT_SETUP
 * and INACTIVE ones cannot be used to sign in). A factor type mfawatch does not know makes the state
 * `unknown` unless a known strong factor is also active: never a guess either way.
 */
export function oktaMfaState(factors: ReadonlyArray<{ factorType: string; status: string }>): { mfa: MfaState; factors: string[]; unrecognised: string[] } {
  const active = factors.filter((f) => f.status === 'ACTIVE').map((f) => f.factorType);
  const unrecognised = active.filter((t) => !STRONG_FACTORS.has(t) && !WEAK_FACTORS.has(t));
  let mfa: MfaState;
  if (active.some((t) => STRONG_FACTORS.has(t))) mfa = 'enabled';
  else if (unrecognised.length > 0) mfa = 'unknown';
  else if (active.some((t) => WEAK_FACTORS.has(t))) mfa = 'weak';
  else mfa = 'disabled';
  return { mfa, factors: [...new Set(active)].sort(), unrecognised };
}

/** User statuses that cannot sign in; such users are not reported (see README, "Which users"). */
const SKIPPED_STATUSES = new Set(['DEPROVISIONED', 'SUSPENDED']);

const oktaErrorBody = z.object({ errorCode: z.string(), errorSummary: z.string().optional() });

/** Okta's wording of a failed answer, from its error body ({errorCode, errorSummary, errorLink, errorId, errorCauses}). */
function describeOktaError(status: number, body: unknown, req: DescribedRequest): ErrorDescription | undefined {
  const parsed = oktaErrorBody.safeParse(body);
  const code = parsed.success ? parsed.data.errorCode : undefined;
  const what = `${req.method} ${req.path.replace(/\/users\/[^/]+\//, '/users/{id}/').replace(/\/logs\?.*$/, '/logs')}`;
  const tag = code ? ` (${code})` : '';
  if (status === 401) return { message: `Okta returned 401${tag} for ${what}: the token is invalid, expired or revoked`, hint: `create a new API token and set it in the environment (${README})` };
  if (status === 403) {
    const scope = /\/roles$/.test(req.path) ? 'okta.roles.read' : /\/logs(\?|$)/.test(req.path) ? 'okta.logs.read' : 'okta.users.read';
    return { message: `Okta returned 403${tag} for ${what}: the token lacks the ${scope} scope, or its administrator role cannot read users and factors`, hint: `use an API token of a Read-Only Administrator, or grant ${scope} (${README})` };
  }
  if (status === 400 && /\/logs(\?|$)/.test(req.path)) return { message: `Okta refused${tag} the System Log query ${what}`, hint: `a saved next link that Okta refuses is dropped and polling starts again from now; the scheduled scan covers the gap (${README}, "Events")` };
  if (status === 404) return { message: `Okta returned 404${tag} for ${what}: baseUrl does not point at an Okta org`, hint: `set baseUrl to the org URL, e.g. https://acme.okta.com (${README})` };
  if (status === 429) return { message: `Okta rate limit reached${tag} for ${what}`, hint: `mfawatch waits for X-Rate-Limit-Reset and retries, else ${req.afterFailure}; lower concurrency if this repeats` };
  if (status >= 500) return { message: `Okta returned ${status}${tag} for ${what}`, hint: `Okta is having trouble (https://status.okta.com); ${req.afterFailure}` };
  return { message: `Okta returned ${status}${tag} for ${what}`, hint: README };
}

/** Knobs for tests: the extra wait after X-Rate-Limit-Reset for clock skew (default 1 s). */
export interface OktaTuning {
  rateLimitSkewMs?: number;
}

/** Creates the monitor for one Okta org. */
export function createOktaMonitor(config: OktaConfig, deps: ModuleDeps, tuning: OktaTuning = {}): Monitor {
  const skewMs = tuning.rateLimitSkewMs ?? 1_000;
  // Okta's 429 carries X-Rate-Limit-Reset (epoch seconds), not Retry-After.
  const untilReset = waitForResetHeader('x-rate-limit-reset');
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const scope: ScopeInfo = { id: '', label: new URL(baseUrl).host };
  // The admin console of acme.okta.com is acme-admin.okta.com; custom domains have no such rule.
  const oktaHost = /^https:\/\/([a-z0-9-]+)\.(okta\.com|oktapreview\.com|okta-emea\.com|okta-gov\.com|okta\.mil)$/i.exec(origin);
  const adminBase = oktaHost ? `https://${oktaHost[1]}-admin.${oktaHost[2]}` : null;

  function clientFor(ctx: ScanContext, gate: { observe: (h: Headers) => void }): HttpClient {
    return createHttpClient({
      provider: PROVIDER,
      baseUrl,
      fetch: deps.fetch,
      headers: () => ({ authorization: `${config.authScheme} ${config.token.reveal()}` }),
      timeoutMs: config.requestTimeout,
      retries: config.retries,
      deadline: ctx.deadline,
      sleep: deps.sleep,
      secrets: [config.token],
      afterFailure: ctx.afterFailure,
      describeError: describeOktaError,
      onRequest: () => ctx.countRequest(),
      onResponse: (response) => gate.observe(response.headers),
      retryAfterFromHeaders: (headers, now) => {
        const wait = untilReset(headers, now);
        return wait === undefined ? undefined : wait + skewMs;
      },
    });
  }

  /** The next-page URL from the Link header, refused unless it stays on the org (the token goes with it). */
  function nextPage(link: string | null): string | undefined {
    const next = parseLinkHeader(link).next;
    if (!next) return undefined;
    let url: URL;
    try {
      url = new URL(next, baseUrl);
    } catch {
      throw new ProviderError('Okta answered GET /api/v1/users with an unreadable Link header', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    }
    if (url.origin !== origin) {
      throw new ProviderError(`Okta's next-page link points at ${url.origin}, not at ${origin}; mfawatch will not send the token there`, { reason: 'malformed', provider: PROVIDER, hint: `set baseUrl to the URL Okta itself uses for the org (${README})` });
    }
    return url.toString();
  }

  function partialListing(detail: string): ProviderError {
    return new ProviderError(`Okta's user listing was incomplete (${detail})`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be cutting answers; nothing was committed and the next scan will retry' });
  }

  async function* scanOrg(ctx: ScanContext): AsyncGenerator<Observation> {
    // The listing and the per-user calls are separate Okta rate-limit buckets, so separate gates.
    const gateOptions = {
      provider: PROVIDER,
      deadline: ctx.deadline,
      signal: ctx.signal,
      sleep: deps.sleep,
      skewMs,
      reserve: (limit: number | undefined) => Math.max(2, Math.ceil((limit ?? 0) * config.rateLimitReserve)),
      onWait: (ms: number, b: { remaining: number }) => ctx.logger.info({ monitor: config.id, waitMs: ms, remaining: b.remaining }, 'Okta rate-limit budget low: pausing until the window resets'),
    };
    const listGate = new RateGate({ ...gateOptions, concurrency: 1 });
    const userGate = new RateGate({ ...gateOptions, concurrency: config.concurrency });
    const observeInto = (gate: RateGate) => (headers: Headers) => {
      const budget = budgetFromOktaHeaders(headers);
      gate.observe(budget);
      if (budget) ctx.reportRateLimit(budget.remaining, budget.resetAt !== undefined ? new Date(budget.resetAt) : undefined);
    };
    const listClient = clientFor(ctx, { observe: observeInto(listGate) });
    const userClient = clientFor(ctx, { observe: observeInto(userGate) });
    const unrecognised = new Set<string>();

    let next: string | undefined = '/api/v1/users';
    let pageNo = 0;
    const visited = new Set<string>();
    while (next) {
      const path: string = next;
      const query = pageNo === 0 ? { limit: config.pageSize } : undefined;
      pageNo += 1;
      const page = await listGate.run(() => listClient.request({ path, query, signal: ctx.signal }, userPage));
      next = nextPage(page.headers.get('link'));
      // A page that comes back empty while Okta announces more, or a cursor that loops, is a partial
      // listing: refuse it rather than report the missing users as removed.
      if (next && page.data.length === 0) throw partialListing(`page ${pageNo} was empty while a next page was announced`);
      if (next && visited.has(next)) throw partialListing(`page ${pageNo} pointed back at a page already read`);
      if (next) visited.add(next);
      const users = page.data.filter((u) => !SKIPPED_STATUSES.has(u.status));

      // Per-user calls of this page; the first failure aborts the others and fails the scan.
      const pageAbort = new AbortController();
      const signal = AbortSignal.any([ctx.signal, pageAbort.signal]);
      const settled = await Promise.allSettled(
        users.map((user) =>
          userGate.run(async () => {
            if (signal.aborted) throw new ProviderError('Okta: cancelled after another request failed', { reason: 'aborted', provider: PROVIDER });
            try {
              return await readUser(userClient, user, signal);
            } catch (err) {
              pageAbort.abort();
              throw err;
            }
          }),
        ),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof ProviderError && s.reason.reason === 'aborted'));
      if (failed) throw failed.reason;
      const aborted = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (aborted) throw aborted.reason;
      for (const s of settled) {
        if (s.status !== 'fulfilled' || !s.value) continue;
        for (const t of s.value.unrecognised) unrecognised.add(t);
        yield s.value.observation;
      }
    }
    if (unrecognised.size > 0) {
      ctx.warn(`Okta factor types mfawatch does not know (${[...unrecognised].sort().join(', ')}): users with only these are reported as unknown, not disabled`);
    }
  }

  async function readUser(client: HttpClient, user: OktaUser, signal: AbortSignal): Promise<{ observation: Observation; unrecognised: string[] } | null> {
    const id = encodeURIComponent(user.id);
    // 404: the user was deleted between the listing and this call; it is simply gone.
    const factors = await client.request({ path: `/api/v1/users/${id}/factors`, signal, acceptStatus: [404] });
    if (factors.status === 404) return null;
    const parsedFactors = factorList.safeParse(factors.data);
    if (!parsedFactors.success) {
      throw new ProviderError('Okta answered GET /api/v1/users/{id}/factors with a body that is not a list of factors', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    }
    let admin = false;
    if (config.detectAdmins) {
      const roles = await client.request({ path: `/api/v1/users/${id}/roles`, signal, acceptStatus: [404] }, z.union([roleList, z.object({ errorCode: z.string() })]));
      admin = Array.isArray(roles.data) && roles.data.some((r) => r.status === undefined || r.status === 'ACTIVE');
    }
    const state = oktaMfaState(parsedFactors.data);
    const p = user.profile;
    const name = p.displayName ?? ([p.firstName, p.lastName].filter(Boolean).join(' ') || null);
    return {
      observation: {
        accountId: user.id,
        login: p.login,
        email: p.email ?? null,
        displayName: name,
        kind: 'user',
        admin,
        mfa: state.mfa,
        factors: state.factors,
        url: adminBase ? `${adminBase}/admin/user/profile/view/${user.id}` : null,
      },
      unrecognised: state.unrecognised,
    };
  }

  /** A context for one poll or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return {
      signal,
      afterFailure: afterEventFailure(purpose),
      deadline: new Date(Date.now() + config.requestTimeout * (config.retries + 2)),
      logger: deps.logger,
      setDataAsOf: () => undefined,
      setScopeLabel: () => undefined,
      warn: (m) => deps.logger.warn({ monitor: config.id }, m),
      countRequest: (n = 1) => (counter.requests += n),
      reportRateLimit: () => undefined,
    };
  }

  /** A client whose answers feed one rate-limit gate (Okta's X-Rate-Limit-* headers). */
  function gatedClient(ctx: ScanContext): { client: HttpClient; gate: RateGate } {
    const gate = new RateGate({
      provider: PROVIDER,
      deadline: ctx.deadline,
      signal: ctx.signal,
      sleep: deps.sleep,
      skewMs,
      concurrency: 1,
      reserve: (limit: number | undefined) => Math.max(2, Math.ceil((limit ?? 0) * config.rateLimitReserve)),
      afterFailure: ctx.afterFailure,
    });
    return { client: clientFor(ctx, { observe: (h) => gate.observe(budgetFromOktaHeaders(h)) }), gate };
  }

  /**
   * Re-reads one user the way a scan sees them: GET /api/v1/users/{id or login} (Okta accepts
   * either), then the same factor (and role) calls and the same mapping. A user the scan would
   * not list (SUSPENDED, DEPROVISIONED) or Okta's 404 is `gone`, so the next scan does not flap.
   * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/getUser
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    const key = ref.accountId ?? ref.login;
    if (!key) return { status: 'gone', account: ref };
    const ctx = eventContext(signal, { requests: 0 }, 'verify');
    const { client, gate } = gatedClient(ctx);
    const answer = await gate.run(() => client.request({ path: `/api/v1/users/${encodeURIComponent(key)}`, signal, acceptStatus: [404] }));
    if (answer.status === 404) return { status: 'gone', account: ref };
    const parsed = oktaUser.safeParse(answer.data);
    if (!parsed.success) {
      throw new ProviderError('Okta answered GET /api/v1/users/{id} with a body that is not a user', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    }
    if (SKIPPED_STATUSES.has(parsed.data.status)) return { status: 'gone', account: ref };
    const read = await gate.run(() => readUser(client, parsed.data, signal));
    return read ? { status: 'present', observation: read.observation } : { status: 'gone', account: ref };
  }

  /** One poll of the System Log: the saved next link (or the first query), then its next links while pages are full. */
  async function pollSystemLog(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events) return { events: [], ignored: [] };
    const counter = { requests: 0 };
    const ctx = eventContext(signal, counter, 'poll');
    const { client, gate } = gatedClient(ctx);
    const now = deps.clock.now();
    let state: OktaCursor | null = parseOktaCursor(cursor);
    const restarted: IgnoredEvent[] = [];
    if (cursor && !state) restarted.push({ reason: 'malformed', message: 'the saved System Log cursor could not be read; polling starts again from now (the scheduled scan covers the gap)' });
    const firstQuery = () => ({ since: new Date(now.getTime() - events.mfaGrace).toISOString(), sortOrder: 'ASCENDING', limit: events.pageSize, filter: systemLogFilter() });
    const raw: unknown[] = [];
    let url = state?.next;
    for (let page = 0; page < MAX_LOG_PAGES; page++) {
      let answer;
      try {
        answer = await gate.run(() => client.request({ path: url ?? '/api/v1/logs', query: url ? undefined : firstQuery(), signal }));
      } catch (err) {
        // A saved link Okta no longer accepts: start again from now rather than fail forever.
        if (url && page === 0 && err instanceof ProviderError && err.status === 400) {
          restarted.push({ reason: 'malformed', message: `Okta refused the saved System Log link (${err.message}); polling starts again from now (the scheduled scan covers the gap)` });
          url = undefined;
          state = null;
          continue;
        }
        throw err;
      }
      if (!Array.isArray(answer.data)) {
        throw new ProviderError('Okta answered GET /api/v1/logs with a body that is not a list of LogEvents', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; the cursor was not moved and the next poll retries' });
      }
      raw.push(...(answer.data as unknown[]));
      const next = logNextPage(answer.headers.get('link'));
      if (!next) {
        throw new ProviderError('Okta answered GET /api/v1/logs without a rel="next" link', { reason: 'malformed', provider: PROVIDER, hint: `a polling query always has one; a proxy may be stripping the Link header (${README}, "Events")` });
      }
      state ??= { v: 1, next, pending: [], mfa: {} };
      state.next = next;
      url = next;
      if (answer.data.length < events.pageSize) break;
    }
    const current = state ?? { v: 1 as const, next: '', pending: [], mfa: {} };
    const translated = translateOktaLogs(raw, current, { now, graceMs: events.mfaGrace, adminGroups: events.adminGroups });
    translated.ignored.unshift(...restarted);
    return oktaBatch(translated, current, counter.requests);
  }

  /** The System Log's next link, refused unless it stays on the org (the token goes with it). */
  function logNextPage(link: string | null): string | undefined {
    const next = parseLinkHeader(link).next;
    if (!next) return undefined;
    let url: URL;
    try {
      url = new URL(next, baseUrl);
    } catch {
      throw new ProviderError('Okta answered GET /api/v1/logs with an unreadable Link header', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; the cursor was not moved' });
    }
    if (url.origin !== origin) {
      throw new ProviderError(`Okta's System Log next link points at ${url.origin}, not at ${origin}; mfawatch will not send the token there`, { reason: 'malformed', provider: PROVIDER, hint: `set baseUrl to the URL Okta itself uses for the org (${README})` });
    }
    return url.toString();
  }

  const sources: EventSource[] = config.events
    ? [{ kind: 'pull', name: 'system-log', intervalMs: config.events.systemLog, poll: (cursor, signal) => pollSystemLog(cursor, signal) }]
    : [];
  if (config.events?.hook) sources.push(oktaEventHook(config.events.hook.authorization, { now: () => deps.clock.now(), adminGroups: config.events.adminGroups }));

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    async *scan(_scope: ScopeInfo, ctx: ScanContext): AsyncGenerator<Observation> {
      yield* scanOrg(ctx);
    },
  };
}

/** Most System Log pages read in one poll (a backlog is drained over the next polls). */
const MAX_LOG_PAGES = 10;

export const oktaMonitor: MonitorModule<OktaConfig> = {
  type: 'okta',
  provider: PROVIDER,
  configSchema: oktaConfigSchema,
  secretKeys: ['token', 'events.hook.authorization'],
  create: (config, deps) => createOktaMonitor(config, deps),
};
