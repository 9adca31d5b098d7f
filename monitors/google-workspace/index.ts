/**
 * Google Workspace monitor: every user of one Workspace account with their 2-Step Verification state.
 *   OAuth 2.0 token: a service-account JWT (google-auth-library's JWT client) with domain-wide
 *     delegation, `sub` = an administrator, scope admin.directory.user.readonly
 *   GET {apiRoot}/admin/directory/v1/users?customer=my_customer&maxResults=500[&pageToken=…]
 * Memory stays flat: one page of 500 users at a time.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list
 * https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority
 */
import { readFile } from 'node:fs/promises';
import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { fetchWithTimeout } from '../../src/core/abort.js';
import type { ModuleDeps } from '../../src/core/deps.js';
import { AFTER_SCAN_FAILURE, ProviderError, type ErrorReason } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, type DescribedRequest, type ErrorDescription, type HttpClient } from '../../src/http/client.js';
import type { AccountReading, AccountRef, EventBatch, EventSource } from '../events.js';
import { eventCallContext, type EventCallPurpose } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig } from './config.js';
import { activitiesPage, eventNamesOf, parseGoogleCursor, translateActivities, type GoogleApplication } from './events.js';

const PROVIDER = 'Google Workspace';
const README = 'see monitors/google-workspace/README.md';
/** The only scope mfawatch asks for. */
export const DIRECTORY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
/** The scope of the Reports API (events only). */
export const REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
/** The token endpoint google-auth-library posts to (and the JWT `aud` Google requires). */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const serviceAccountKey = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(1),
  client_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  token_uri: z.string().optional(),
});
type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

const directoryUser = z.object({
  id: z.string().min(1),
  primaryEmail: z.string().min(1),
  name: z.object({ fullName: z.string().nullish() }).partial().optional(),
  isAdmin: z.boolean().optional(),
  isDelegatedAdmin: z.boolean().optional(),
  suspended: z.boolean().optional(),
  archived: z.boolean().optional(),
  isEnrolledIn2Sv: z.boolean().optional(),
  isEnforcedIn2Sv: z.boolean().optional(),
});
type DirectoryUser = z.infer<typeof directoryUser>;
const usersPage = z.object({ kind: z.literal('admin#directory#users'), users: z.array(directoryUser).optional(), nextPageToken: z.string().optional() });

const googleErrorBody = z.object({
  error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional(), errors: z.array(z.object({ reason: z.string().optional() })).optional() }),
});

/**
 * Google's own words, when they are short plain text: never a string that looks like a token or a
 * key fragment (a long run of base64 characters), whatever Google echoes back.
 */
function plainGoogleText(text: string | undefined): string | undefined {
  if (!text || text.length > 300 || /[A-Za-z0-9+/=_-]{24,}/.test(text)) return undefined;
  return text;
}

/**
 * The MFA state from the Directory API's fields. Google does not say which 2SV method a user has, so
 * an enrolled user is `enabled` (SMS-only 2SV cannot be told apart). A missing field is `unknown`.
 */
export function googleMfaState(u: Pick<DirectoryUser, 'isEnrolledIn2Sv' | 'isEnforcedIn2Sv'>): { mfa: MfaState; factors: string[] } {
  const enforced = u.isEnforcedIn2Sv ? ['2sv_enforced'] : [];
  if (u.isEnrolledIn2Sv === undefined) return { mfa: 'unknown', factors: enforced };
  return u.isEnrolledIn2Sv ? { mfa: 'enabled', factors: ['2sv', ...enforced] } : { mfa: 'disabled', factors: enforced };
}

/** Google's wording of a failed Directory API answer. */
function describeDirectoryError(config: GoogleWorkspaceConfig, what = 'users.list', scopeUrl = DIRECTORY_SCOPE) {
  const scopeName = scopeUrl.replace(/^.*\/auth\//, '');
  const privilege = scopeUrl === REPORTS_SCOPE ? 'Reports' : 'Users → Read';
  return (status: number, body: unknown, req: DescribedRequest): ErrorDescription | undefined => {
    const parsed = googleErrorBody.safeParse(body);
    const err = parsed.success ? parsed.data.error : undefined;
    const reasons = new Set([...(err?.errors ?? []).map((e) => e.reason ?? ''), err?.status ?? '']);
    const plain = plainGoogleText(err?.message);
    const gmsg = plain ? ` ("${plain}")` : '';
    if (['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'RESOURCE_EXHAUSTED'].some((r) => reasons.has(r)) || status === 429) {
      return { message: `Google rate limit reached for ${what}${gmsg}`, reason: 'rate_limited', hint: `mfawatch backs off and retries; ${req.afterFailure} otherwise` };
    }
    if (status === 401) return { message: `Google returned 401 for ${what}${gmsg}: the access token was refused`, hint: `check that the service account and its key are enabled (${README})` };
    if (status === 403) {
      if (reasons.has('accessNotConfigured') || reasons.has('SERVICE_DISABLED')) {
        return { message: `Google returned 403 for ${what}${gmsg}: the Admin SDK API is not enabled in the service account's Google Cloud project`, hint: `enable "Admin SDK API" in that project (${README})` };
      }
      if (reasons.has('insufficientPermissions') || reasons.has('ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
        return { message: `Google returned 403 for ${what}${gmsg}: the token lacks the ${scopeName} scope`, hint: `add ${scopeUrl} to the client's domain-wide delegation (${README})` };
      }
      return { message: `Google returned 403 for ${what}${gmsg}: ${config.subject} is not an administrator allowed to ${scopeUrl === REPORTS_SCOPE ? 'read audit reports' : 'read users'}`, hint: `set "subject" to a super admin, or to an admin whose role has Admin API privileges → ${privilege} (${README})` };
    }
    if (status === 400 || status === 404) {
      return { message: `Google returned ${status} for ${what}${gmsg}: customer "${config.customer}" is not known to Google or apiRoot is wrong`, hint: `use "my_customer" or the account's customer id, and apiRoot https://admin.googleapis.com (${README})` };
    }
    if (status >= 500) return { message: `Google returned ${status} for ${what}${gmsg}`, hint: `Google is having trouble (https://www.google.com/appsstatus); ${req.afterFailure}` };
    return { message: `Google returned ${status} for ${what}${gmsg}`, hint: README };
  };
}

interface GaxiosLikeError {
  name?: string;
  code?: string | number;
  message?: string;
  status?: number;
  response?: { status?: number; data?: unknown };
  cause?: unknown;
}

/** Turns a failed token exchange (google-auth-library / gaxios) into a ProviderError that says what to do. */
function classifyTokenError(err: unknown, config: GoogleWorkspaceConfig, key: ServiceAccountKey, scrub: (s: string) => string, scopeUrl = DIRECTORY_SCOPE, afterFailure = AFTER_SCAN_FAILURE): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as GaxiosLikeError;
  const status = e.response?.status ?? e.status;
  const data = (e.response?.data ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof data.error === 'string' && /^[a-z_]{1,60}$/.test(data.error) ? data.error : undefined;
  const description = typeof data.error_description === 'string' ? (plainGoogleText(scrub(data.error_description)) ?? '') : '';
  const clientId = key.client_id ? ` (client ID ${key.client_id})` : '';
  // No `cause`: a gaxios error carries the request, whose body holds the signed assertion (a
  // credential for an hour), and a logger serialising causes must never see it.
  const base = { provider: PROVIDER, status };
  if (status === undefined) {
    const text = `${e.name ?? ''} ${e.message ?? ''} ${String((e.cause as { name?: string } | undefined)?.name ?? '')}`;
    if (/abort|timeout|timed out/i.test(text)) return new ProviderError('Google did not answer the token request in time', { ...base, reason: 'timeout', hint: 'check connectivity to oauth2.googleapis.com' });
    return new ProviderError(`could not reach Google's token endpoint (${scrub(String(e.code ?? e.message ?? 'network error'))})`, { ...base, reason: 'network', hint: 'check tokenUri, DNS, proxy and firewall' });
  }
  let reason: ErrorReason = status >= 500 ? 'server' : status === 429 ? 'rate_limited' : 'auth';
  let message = `Google refused the service-account token${code ? ` (${code}${description ? `: ${description}` : ''})` : ` (HTTP ${status})`}`;
  let hint = README;
  if (code === 'unauthorized_client') {
    reason = 'permission';
    message = `Google refused the service-account token (unauthorized_client): domain-wide delegation is not set up for ${key.client_email}${clientId} with the scope ${scopeUrl}`;
    hint = `in the Admin console → Security → API controls → Domain-wide delegation, add the client ID with that scope (${README})`;
  } else if (code === 'invalid_grant' && /user|email|subject/i.test(description)) {
    message = `Google refused the service-account token (invalid_grant: ${description}): "subject" ${config.subject} is not a user of this Workspace`;
    hint = `set "subject" to an existing administrator's email (${README})`;
  } else if (code === 'invalid_grant' || code === 'invalid_client') {
    hint = `the key may have been deleted or the service account disabled; create a new key (${README})`;
  } else if (status >= 500) {
    hint = `Google is having trouble; ${afterFailure}`;
  }
  return new ProviderError(message, { ...base, reason, hint });
}

/** Creates the monitor for one Workspace account. */
export function createGoogleWorkspaceMonitor(config: GoogleWorkspaceConfig, deps: ModuleDeps): Monitor {
  const apiRoot = config.apiRoot.replace(/\/+$/, '');
  const scope: ScopeInfo = { id: '', label: config.subject.replace(/^.*@/, '') };

  async function loadKey(): Promise<{ key: ServiceAccountKey; raw: string }> {
    let raw: string;
    if (config.serviceAccountKey) raw = config.serviceAccountKey.reveal();
    else {
      try {
        raw = await readFile(config.serviceAccountKeyFile ?? '', 'utf8');
      } catch (err) {
        throw new ProviderError(`cannot read serviceAccountKeyFile ${config.serviceAccountKeyFile ?? ''} (${(err as { code?: string }).code ?? 'error'})`, { reason: 'auth', provider: PROVIDER, hint: `check the path and that mfawatch may read it (${README})` });
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ProviderError('the service account key is not valid JSON', { reason: 'auth', provider: PROVIDER, hint: `use the JSON key downloaded from the Google Cloud console (${README})` });
    }
    const parsed = serviceAccountKey.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(`the service account key is not a service-account JSON key (at ${parsed.error.issues[0]?.path.join('.') || '(root)'})`, { reason: 'auth', provider: PROVIDER, hint: `use the JSON key of a service account, with "type": "service_account" (${README})` });
    }
    return { key: parsed.data, raw };
  }

  async function clientFor(ctx: ScanContext, scopeUrl = DIRECTORY_SCOPE, what = 'users.list'): Promise<HttpClient> {
    const { key, raw } = await loadKey();
    const tokenUri = config.tokenUri ?? key.token_uri ?? GOOGLE_TOKEN_URL;
    const secrets: string[] = [raw, key.private_key];
    const scrub = (s: string) => secrets.reduce((out, v) => (v.length >= 4 ? out.split(v).join('[redacted]') : out), s);
    // google-auth-library always posts to https://oauth2.googleapis.com/token and signs that URL as
    // the JWT `aud` (it has no public option for another token endpoint). Its transport takes a
    // fetch implementation: ours sends that one URL to `tokenUri` (Google's own by default; a
    // loopback fake in tests), and nothing else anywhere.
    const tokenFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.href !== GOOGLE_TOKEN_URL) return Promise.reject(new TypeError(`unexpected token request to ${url.origin}`));
      ctx.countRequest();
      return fetchWithTimeout(deps.fetch, tokenUri, { ...init, redirect: 'error' }, config.requestTimeout, [ctx.signal, init?.signal]);
    };
    const jwt = new JWT({
      email: key.client_email,
      key: key.private_key,
      ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
      scopes: [scopeUrl],
      subject: config.subject,
      // Retries are the shared HTTP client's (with the scan's deadline and sleep), not gaxios's own.
      transporterOptions: { fetchImplementation: tokenFetch as typeof fetch, retryConfig: { retry: 0, noResponseRetries: 0 } },
    });
    return createHttpClient({
      provider: PROVIDER,
      baseUrl: apiRoot,
      fetch: deps.fetch,
      headers: async () => {
        let token: string | null | undefined;
        try {
          token = (await jwt.getAccessToken()).token;
        } catch (err) {
          throw classifyTokenError(err, config, key, scrub, scopeUrl, ctx.afterFailure);
        }
        if (!token) throw new ProviderError('Google answered the token request without an access token', { reason: 'malformed', provider: PROVIDER, hint: 'check tokenUri' });
        if (!secrets.includes(token)) secrets.push(token);
        return { authorization: `Bearer ${token}` };
      },
      timeoutMs: config.requestTimeout,
      retries: config.retries,
      deadline: ctx.deadline,
      sleep: deps.sleep,
      secrets,
      afterFailure: ctx.afterFailure,
      describeError: describeDirectoryError(config, what, scopeUrl),
      onRequest: () => ctx.countRequest(),
    });
  }

  function observation(u: DirectoryUser): Observation {
    const state = googleMfaState(u);
    return {
      accountId: u.id,
      login: u.primaryEmail,
      email: u.primaryEmail,
      displayName: u.name?.fullName ?? null,
      kind: 'user',
      admin: Boolean(u.isAdmin || u.isDelegatedAdmin),
      mfa: state.mfa,
      factors: state.factors,
      url: `https://admin.google.com/ac/users/${encodeURIComponent(u.id)}`,
    };
  }

  function partialListing(detail: string): ProviderError {
    return new ProviderError(`Google's users.list was incomplete (${detail})`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be cutting answers; nothing was committed and the next scan will retry' });
  }

  async function* scanAccount(ctx: ScanContext): AsyncGenerator<Observation> {
    const client = await clientFor(ctx);
    let pageToken: string | undefined;
    let pageNo = 0;
    const seenTokens = new Set<string>();
    let active = 0;
    let known = 0;
    do {
      const page = await client.request(
        { path: '/admin/directory/v1/users', query: { customer: config.customer, maxResults: config.pageSize, projection: 'basic', pageToken }, signal: ctx.signal },
        usersPage,
      );
      pageNo += 1;
      // Suspended and archived users cannot sign in (see README, "Which users").
      const users = (page.data.users ?? []).filter((u) => !u.suspended && !u.archived);
      for (const u of users) {
        active += 1;
        if (u.isEnrolledIn2Sv !== undefined) known += 1;
      }
      if (active > 1 && known === 0) {
        throw new ProviderError(`Google's users.list shows no 2-Step Verification state to ${config.subject}`, {
          reason: 'permission', provider: PROVIDER, hint: `impersonate a super admin, or an admin whose role can read users' security settings; mfawatch never reports unknown as disabled (${README})`,
        });
      }
      for (const u of users) yield observation(u);
      const next = page.data.nextPageToken || undefined;
      // An empty page while Google announces more, or a token that repeats, is a partial listing:
      // refuse it rather than report the missing users as removed.
      if (next && (page.data.users ?? []).length === 0) throw partialListing(`page ${pageNo} was empty while a next page was announced`);
      if (next && seenTokens.has(next)) throw partialListing(`page ${pageNo} repeated an earlier page token`);
      if (next) seenTokens.add(next);
      pageToken = next;
    } while (pageToken);
    ctx.warn("Google's Directory API does not say which 2-Step Verification method a user has: SMS-only 2SV is reported as enabled, not weak");
    if (active - known > 0) ctx.warn(`Google did not say the 2-Step Verification state of ${active - known} of ${active} users: they are reported as unknown`);
  }

  /** A context for one poll or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter, purpose);
  }

  /**
   * Re-reads one user as the scan sees them: GET /admin/directory/v1/users/{id or email} with the
   * same fields and mapping; Google's 404 is `gone`, and so is a suspended or archived user (the
   * scan does not list them). https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/get
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    const key = ref.accountId ?? ref.login;
    if (!key) return { status: 'gone', account: ref };
    const client = await clientFor(eventContext(signal, { requests: 0 }, 'verify'), DIRECTORY_SCOPE, 'users.get');
    const res = await client.request({ path: `/admin/directory/v1/users/${encodeURIComponent(key)}`, query: { projection: 'basic' }, signal, acceptStatus: [404] });
    if (res.status === 404) return { status: 'gone', account: ref };
    const u = directoryUser.safeParse(res.data);
    if (!u.success) throw new ProviderError('Google answered users.get with a body that is not a user', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    if (u.data.suspended || u.data.archived) return { status: 'gone', account: ref };
    return { status: 'present', observation: observation(u.data) };
  }

  /**
   * One poll of one application: activities.list for each event name used, since the watermark
   * minus the overlap. Each application is its own source with its own cursor, so a failed page of
   * one never moves (or holds back) the other's.
   */
  async function pollReports(application: GoogleApplication, cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events) return { events: [], ignored: [] };
    const counter = { requests: 0 };
    const client = await clientFor(eventContext(signal, counter, 'poll'), REPORTS_SCOPE, `activities.list (${application})`);
    const saved = parseGoogleCursor(cursor);
    const watermark = saved ? new Date(saved.watermark) : deps.clock.now();
    const startTime = new Date(watermark.getTime() - events.overlap).toISOString();
    const raw: unknown[] = [];
    for (const name of eventNamesOf(application)) {
      let pageToken: string | undefined;
      const seen = new Set<string>();
      do {
        const page = await client.request(
          { path: `/admin/reports/v1/activity/users/all/applications/${application}`, query: { startTime, eventName: name, maxResults: 1000, pageToken }, signal },
          activitiesPage,
        );
        raw.push(...(page.data.items ?? []));
        const next = page.data.nextPageToken || undefined;
        if (next && seen.has(next)) throw new ProviderError("Google's activities.list repeated a page token", { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; the cursor was not moved and the next poll retries' });
        if (next) seen.add(next);
        pageToken = next;
      } while (pageToken);
    }
    const batch = translateActivities(raw, watermark, counter.requests, application);
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: 'the saved Reports API cursor could not be read; polling starts again from now (the scheduled scan covers the gap)' });
    return batch;
  }

  const sources: EventSource[] = [];
  if (config.events) {
    const interval = config.events.reports;
    // `reports` (the login audit) keeps the name it always had, so its stored cursor still applies.
    sources.push({ kind: 'pull', name: 'reports', intervalMs: interval, poll: (cursor, signal) => pollReports('login', cursor, signal) });
    if (config.events.roleGrants) sources.push({ kind: 'pull', name: 'admin-roles', intervalMs: interval, poll: (cursor, signal) => pollReports('admin', cursor, signal) });
  }

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    async *scan(_scope: ScopeInfo, ctx: ScanContext): AsyncGenerator<Observation> {
      yield* scanAccount(ctx);
    },
  };
}

export const googleWorkspaceMonitor: MonitorModule<GoogleWorkspaceConfig> = {
  type: 'google-workspace',
  provider: PROVIDER,
  configSchema: googleWorkspaceConfigSchema,
  secretKeys: ['serviceAccountKey'],
  create: (config, deps) => createGoogleWorkspaceMonitor(config, deps),
};
