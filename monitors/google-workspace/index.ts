/**
 * Google Workspace monitor: every user of one Workspace account with their 2-Step Verification state.
 *   OAuth 2.0 token: a service-account JWT (google-auth-library's JWT client) with domain-wide
 *     delegation, `sub` = an administrator, scope admin.directory.user.readonly
 *   GET {apiRoot}/admin/directory/v1/users?customer=my_customer&maxResults=500[&pageToken=…]
 * Memory stays flat: one page of 500 users at a time.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list
 * https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, type ErrorDescription, type HttpClient } from '../../src/http/client.js';
import type { AccountReading, AccountRef, EventBatch, EventSource } from '../events.js';
import { eventCallContext } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig } from './config.js';
import { activitiesPage, eventNamesOf, parseGoogleCursor, translateActivities, type GoogleApplication } from './events.js';
import { plainGoogleText, serviceAccountAuth, serviceAccountTokenCache } from './service-account.js';

const PROVIDER = 'Google Workspace';
const README = 'see monitors/google-workspace/README.md';
/** The scope of the scan and of readAccount (events add admin.reports.audit.readonly, routing by googleGroups admin.directory.group.member.readonly). */
export const DIRECTORY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
/** The scope of the Reports API (events only). */
export const REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';

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
  return (status: number, body: unknown): ErrorDescription | undefined => {
    const parsed = googleErrorBody.safeParse(body);
    const err = parsed.success ? parsed.data.error : undefined;
    const reasons = new Set([...(err?.errors ?? []).map((e) => e.reason ?? ''), err?.status ?? '']);
    const plain = plainGoogleText(err?.message);
    const gmsg = plain ? ` ("${plain}")` : '';
    if (['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'RESOURCE_EXHAUSTED'].some((r) => reasons.has(r)) || status === 429) {
      return { message: `Google rate limit reached for ${what}${gmsg}`, reason: 'rate_limited', hint: 'mfawatch backs off and retries; the scan will run again on schedule otherwise' };
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
    if (status >= 500) return { message: `Google returned ${status} for ${what}${gmsg}`, hint: 'Google is having trouble (https://www.google.com/appsstatus); the scan will run again on schedule' };
    return { message: `Google returned ${status} for ${what}${gmsg}`, hint: README };
  };
}

/** Creates the monitor for one Workspace account. */
export function createGoogleWorkspaceMonitor(config: GoogleWorkspaceConfig, deps: ModuleDeps): Monitor {
  const apiRoot = config.apiRoot.replace(/\/+$/, '');
  const scope: ScopeInfo = { id: '', label: config.subject.replace(/^.*@/, '') };

  // The polls and re-reads share one access token per scope until shortly before it expires,
  // instead of a token request per poll. A scan asks for its own token: it checks the credential
  // each time, so a deleted key or a removed delegation fails the next scan, not the token's expiry.
  const tokens = serviceAccountTokenCache(() => deps.clock.now().getTime());

  async function clientFor(ctx: ScanContext, scopeUrl = DIRECTORY_SCOPE, what = 'users.list', reuseToken = true): Promise<HttpClient> {
    const auth = await serviceAccountAuth({
      key: config, subject: config.subject, tokenUri: config.tokenUri, scope: scopeUrl,
      fetch: deps.fetch, timeoutMs: config.requestTimeout, signal: ctx.signal, countRequest: () => ctx.countRequest(), cache: reuseToken ? tokens : undefined,
    });
    // A token Google no longer accepts (revoked, the key deleted) is dropped: the next call asks for a new one.
    const fetchForgettingRefusedTokens = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await deps.fetch(input, init);
      if (response.status === 401) auth.forgetToken();
      return response;
    };
    return createHttpClient({
      provider: PROVIDER,
      baseUrl: apiRoot,
      fetch: fetchForgettingRefusedTokens,
      headers: auth.headers,
      timeoutMs: config.requestTimeout,
      retries: config.retries,
      deadline: ctx.deadline,
      sleep: deps.sleep,
      secrets: auth.secrets,
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
    const client = await clientFor(ctx, DIRECTORY_SCOPE, 'users.list', false);
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
  function eventContext(signal: AbortSignal, counter: { requests: number }): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter);
  }

  /**
   * Re-reads one user as the scan sees them: GET /admin/directory/v1/users/{id or email} with the
   * same fields and mapping; Google's 404 is `gone`, and so is a suspended or archived user (the
   * scan does not list them). https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/get
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    const key = ref.accountId ?? ref.login;
    if (!key) return { status: 'gone', account: ref };
    const client = await clientFor(eventContext(signal, { requests: 0 }), DIRECTORY_SCOPE, 'users.get');
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
    const client = await clientFor(eventContext(signal, counter), REPORTS_SCOPE, `activities.list (${application})`);
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
