/**
 * GitLab monitor: users and their two-factor state, with per_page=100 and GitLab's Link-header
 * pagination (keyset where the server supports it).
 *   self-managed (admin token):  GET /api/v4/users?two_factor=disabled, then GET /api/v4/users
 *   GitLab.com (group Owner):    GET /api/v4/groups/:id/enterprise_users?two_factor=disabled, then all
 * https://docs.gitlab.com/api/users/#list-users
 * https://docs.gitlab.com/api/group_enterprise_users/
 * https://docs.gitlab.com/api/rest/#pagination
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, parseLinkHeader, type DescribedRequest, type ErrorDescription, type HttpClient, type HttpResponse, type QueryValue } from '../../src/http/client.js';
import type { AccountReading, AccountRef, EventBatch, EventSource } from '../events.js';
import { eventCallContext, type EventCallPurpose } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { gitlabConfigSchema, type GitlabConfig } from './config.js';
import { auditPage, gitlabStreamingDestination, parseGitlabCursor, translateGitlabAudits } from './events.js';

const PROVIDER = 'GitLab';
const README = 'see monitors/gitlab/README.md';

/** What mfawatch reads of a user in a list answer (admin or group-Owner view). */
const listedUser = z.object({
  id: z.number().int(),
  username: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
  state: z.string().nullish(),
  web_url: z.string().nullish(),
  is_admin: z.boolean().nullish(),
  bot: z.boolean().nullish(),
  two_factor_enabled: z.boolean().nullish(),
});
type ListedUser = z.infer<typeof listedUser>;
const userPage = z.array(listedUser);

/** States of an account that cannot sign in. https://docs.gitlab.com/administration/moderate_users/ */
const CANNOT_SIGN_IN = new Set(['blocked', 'banned', 'ldap_blocked', 'blocked_pending_approval']);

function gitlabMessage(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 200);
  const b = (body ?? {}) as { message?: unknown; error?: unknown; error_description?: unknown };
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error === 'string') return typeof b.error_description === 'string' ? `${b.error}: ${b.error_description}` : b.error;
  return '';
}

/** Wording of a failed GitLab answer; `group` is set for the GitLab.com enterprise-users mode. */
export function describeGitlabError(status: number, body: unknown, group: string | undefined, req: DescribedRequest): ErrorDescription {
  const said = gitlabMessage(body);
  const detail = said ? ` ("${said}")` : '';
  if (status === 401) return { message: `GitLab returned 401${detail}: the token is invalid, expired or revoked`, hint: `create a new token and set it in the environment (${README})` };
  if (status === 403 && /insufficient_scope/.test(said)) return { message: `GitLab returned 403${detail}: the token lacks the read_api scope`, hint: README };
  if (status === 403 && group !== undefined) {
    return { message: `GitLab returned 403${detail} for the enterprise users of group "${group}": the token's user is not an Owner of this top-level group, or the group is not on GitLab.com Premium/Ultimate`, hint: README };
  }
  if (status === 403) return { message: `GitLab returned 403${detail}: the token cannot list users`, hint: `use an administrator's token with read_api (and admin_mode when Admin Mode is on) (${README})` };
  if (status === 404 && group !== undefined) return { message: `GitLab returned 404${detail}: group "${group}" does not exist, is not a top-level group, or the token cannot see it`, hint: 'check "group" (a top-level group id or path)' };
  if (status === 404) return { message: `GitLab returned 404${detail}: the users API was not found`, hint: 'check baseUrl (the instance URL, e.g. https://gitlab.example.com)' };
  if (status === 429) return { message: `GitLab rate limit reached (429)`, hint: `${req.afterFailure}; ask the instance administrator about the authenticated API rate limit` };
  if (status >= 500) return { message: `GitLab returned ${status}`, hint: `GitLab is having trouble (GitLab.com: https://status.gitlab.com); ${req.afterFailure}` };
  return { message: `GitLab returned ${status}${detail}`, hint: README };
}

/** The 2FA state of one listed user: the record's own field when present, else membership of the two_factor=disabled listing. */
export function gitlabMfaState(user: Pick<ListedUser, 'id' | 'bot' | 'two_factor_enabled'>, disabledIds: ReadonlySet<number>): MfaState {
  if (user.bot === true) return 'not_applicable';
  if (typeof user.two_factor_enabled === 'boolean') return user.two_factor_enabled ? 'enabled' : 'disabled';
  return disabledIds.has(user.id) ? 'disabled' : 'enabled';
}

/** Creates the monitor for one instance or one GitLab.com group. */
export function createGitlabMonitor(config: GitlabConfig, deps: ModuleDeps, tuning: { backoffMs?: number } = {}): Monitor {
  const instance = config.baseUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  const apiRoot = `${instance}/api/v4`;
  const origin = new URL(instance).origin;
  const group = config.group === undefined ? undefined : String(config.group);
  const scope: ScopeInfo = { id: '', label: group ?? new URL(instance).host };
  const listPath = group === undefined ? '/users' : `/groups/${encodeURIComponent(group)}/enterprise_users`;

  function client(ctx: ScanContext): HttpClient {
    return createHttpClient({
      provider: PROVIDER, baseUrl: apiRoot, fetch: deps.fetch, timeoutMs: config.requestTimeout, retries: config.retries, deadline: ctx.deadline,
      sleep: deps.sleep, secrets: [config.token], afterFailure: ctx.afterFailure, ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
      headers: () => ({ 'private-token': config.token.reveal() }),
      describeError: (status, body, req) =>
        status === 403 && /\/audit_events(\?|$)/.test(req.path) && !/insufficient_scope/.test(gitlabMessage(body))
          ? { message: `GitLab returned 403 for the ${group === undefined ? 'instance' : `group "${group}"`} audit events: ${group === undefined ? 'only administrators can read instance audit events' : 'only group Owners can read group audit events'}, and GitLab offers this API on Premium and Ultimate only`, hint: `use the token the scan uses, on a Premium or Ultimate instance or group (${README}, "Events")` }
          : describeGitlabError(status, body, group, req),
      onRequest: () => ctx.countRequest(),
      onResponse: (response) => {
        // https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers
        const remaining = Number(response.headers.get('ratelimit-remaining'));
        const reset = Number(response.headers.get('ratelimit-reset'));
        if (response.headers.has('ratelimit-remaining') && Number.isFinite(remaining)) ctx.reportRateLimit(remaining, Number.isFinite(reset) ? new Date(reset * 1000) : undefined);
      },
    });
  }

  /** Yields the pages of one listing, following Link rel="next" (or x-next-page on servers that send only that). */
  async function* pages(http: HttpClient, ctx: ScanContext, filter: Record<string, QueryValue>): AsyncGenerator<ListedUser[]> {
    const first: Record<string, QueryValue> =
      group === undefined
        ? { ...filter, exclude_internal: true, pagination: 'keyset', order_by: 'id', sort: 'asc', per_page: 100 }
        : { ...filter, per_page: 100 };
    let request: { path: string; query?: Record<string, QueryValue> } | null = { path: listPath, query: first };
    const seen = new Set<string>();
    while (request) {
      const res: HttpResponse<ListedUser[]> = await http.request({ ...request, signal: ctx.signal }, userPage);
      yield res.data;
      const next = parseLinkHeader(res.headers.get('link')).next;
      const nextPage = res.headers.get('x-next-page');
      if (next) {
        // The token is sent with the next request: never to another host than baseUrl's.
        if (new URL(next, instance).origin !== origin) {
          throw new ProviderError('GitLab answered with a next-page link to another host than baseUrl; mfawatch does not send the token elsewhere', { reason: 'malformed', provider: PROVIDER, hint: "set baseUrl to the instance's external URL (its external_url setting); nothing was committed" });
        }
        request = { path: new URL(next, instance).toString() };
      } else if (nextPage && /^\d+$/.test(nextPage)) {
        request = { path: listPath, query: { ...first, page: Number(nextPage) } };
      } else {
        request = null;
      }
      if (request) {
        const key = request.path + JSON.stringify(request.query ?? {});
        if (seen.has(key)) throw new ProviderError('GitLab sent the same next page twice', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be caching answers; nothing was committed' });
        seen.add(key);
      }
    }
  }

  async function* scanUsers(ctx: ScanContext): AsyncGenerator<Observation> {
    const http = client(ctx);
    const disabled = new Set<number>();
    for await (const page of pages(http, ctx, { two_factor: 'disabled' })) for (const u of page) disabled.add(u.id);
    const listed = new Set<number>();
    for await (const page of pages(http, ctx, {})) {
      for (const user of page) {
        // A user listed twice means the pages shifted (offset pages, a user added or removed
        // mid-scan) or a proxy repeated a page: skipping the repeat would hide the users of the
        // page that was never read, and report them removed. The scan fails; the next one retries.
        if (listed.has(user.id)) {
          throw new ProviderError(`GitLab listed user ${user.id} twice in one scan: the user list changed while it was paged through, or a proxy repeated a page`, {
            reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry',
          });
        }
        listed.add(user.id);
        if (group === undefined && typeof user.is_admin !== 'boolean') {
          // Non-admins get GitLab's public view of users: no is_admin, no email, no 2FA state, and
          // the two_factor filter is silently ignored. Reading that as "2FA on/off" would be a guess.
          throw new ProviderError(`GitLab answered GET /api/v4/users without the administrator fields: the token's user is not an administrator (or Admin Mode is on and the token lacks the admin_mode scope)`, {
            reason: 'permission', provider: PROVIDER, hint: `use an administrator's token with read_api and admin_mode (${README})`,
          });
        }
        const o = observationOf(user, disabled);
        if (o) yield o;
      }
    }
  }

  /** One listed user as the scan reports them; null when the scan leaves them out. */
  function observationOf(user: ListedUser, disabled: ReadonlySet<number>): Observation | null {
    if (user.state && CANNOT_SIGN_IN.has(user.state) && !config.includeBlocked) return null;
    if (user.bot === true && !config.includeBots) return null;
    return {
      accountId: String(user.id),
      login: user.username,
      email: user.email ? user.email.toLowerCase() : null,
      displayName: user.name ?? null,
      kind: user.bot === true ? 'bot' : group === undefined ? 'user' : 'enterprise_user',
      admin: user.is_admin === true,
      mfa: gitlabMfaState(user, disabled),
      factors: [],
      url: user.web_url ?? `${instance}/${user.username}`,
    };
  }

  /** A context for one poll or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter, purpose);
  }

  /**
   * Re-reads one user as the scan sees them: GET /users/:id (administrator view) or, for a
   * GitLab.com group, GET /groups/:id/enterprise_users/:user_id; the same mapping. GitLab's 404 is
   * `gone`, and so is a user the scan leaves out (blocked, bots unless included).
   * https://docs.gitlab.com/api/users/#get-a-single-user
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    if (!ref.accountId || !/^\d+$/.test(ref.accountId)) {
      throw new ProviderError('GitLab: this hint names the user only by username; users are read by numeric id', { reason: 'malformed', provider: PROVIDER, hint: 'the scheduled scan reconciles this account' });
    }
    const http = client(eventContext(signal, { requests: 0 }, 'verify'));
    const path = group === undefined ? `/users/${ref.accountId}` : `${listPath}/${ref.accountId}`;
    const res = await http.request({ path, signal, acceptStatus: [404] });
    if (res.status === 404) return { status: 'gone', account: ref };
    const user = listedUser.safeParse(res.data);
    if (!user.success) throw new ProviderError(`GitLab answered GET ${path.replace(/\d+$/, ':id')} with a body that is not a user`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    if (typeof user.data.two_factor_enabled !== 'boolean' && user.data.bot !== true) {
      throw new ProviderError("GitLab's answer does not show the user's two-factor state: the token's user is not an administrator (or group Owner)", { reason: 'permission', provider: PROVIDER, hint: `use the token the scan uses (${README})` });
    }
    const o = observationOf(user.data, new Set());
    return o ? { status: 'present', observation: o } : { status: 'gone', account: ref };
  }

  /** One poll of the audit events since the watermark minus the overlap, every page. */
  async function pollAudits(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events) return { events: [], ignored: [] };
    const counter = { requests: 0 };
    const http = client(eventContext(signal, counter, 'poll'));
    const saved = parseGitlabCursor(cursor);
    const watermark = saved ? new Date(saved.watermark) : deps.clock.now();
    const auditsPath = group === undefined ? '/audit_events' : `/groups/${encodeURIComponent(group)}/audit_events`;
    let request: { path: string; query?: Record<string, QueryValue> } | null = { path: auditsPath, query: { created_after: new Date(watermark.getTime() - events.overlap).toISOString(), per_page: 100 } };
    const raw: unknown[] = [];
    const seen = new Set<string>();
    while (request) {
      const res: HttpResponse<unknown[]> = await http.request({ ...request, signal }, auditPage);
      raw.push(...res.data);
      const next = parseLinkHeader(res.headers.get('link')).next;
      if (!next) break;
      if (new URL(next, instance).origin !== origin) {
        throw new ProviderError('GitLab answered with a next-page link to another host than baseUrl; mfawatch does not send the token elsewhere', { reason: 'malformed', provider: PROVIDER, hint: "set baseUrl to the instance's external URL; the cursor was not moved" });
      }
      if (seen.has(next)) throw new ProviderError('GitLab sent the same next page twice', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be caching answers; the cursor was not moved' });
      seen.add(next);
      request = { path: new URL(next, instance).toString() };
    }
    const batch = translateGitlabAudits(raw, watermark, counter.requests);
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: 'the saved audit-events cursor could not be read; polling starts again from now (the scheduled scan covers the gap)' });
    return batch;
  }

  const sources: EventSource[] = config.events
    ? [
        { kind: 'pull', name: 'audit-events', intervalMs: config.events.auditEvents, poll: (cursor, signal) => pollAudits(cursor, signal) },
        ...(config.events.streaming ? [gitlabStreamingDestination(config.events.streaming.verificationToken)] : []),
      ]
    : [];

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    scan: (_scope: ScopeInfo, ctx: ScanContext) => scanUsers(ctx),
  };
}

export const gitlabMonitor: MonitorModule<GitlabConfig> = {
  type: 'gitlab',
  provider: PROVIDER,
  configSchema: gitlabConfigSchema,
  secretKeys: ['token', 'events.streaming.verificationToken'],
  create: (config, deps) => createGitlabMonitor(config, deps),
};
