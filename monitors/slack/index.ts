/**
 * Slack monitor: every human member of one workspace with their two-factor state.
 *   auth.test once (which workspace the token belongs to; fails fast on a bad token)
 *   users.list with cursor pagination (limit, response_metadata.next_cursor)
 * Slack answers most failures with HTTP 200 and {"ok": false, "error": "…"}; a 429 carries
 * Retry-After, which the shared HTTP client honours (users.list is a Tier 2 method).
 * `has_2fa` of other members is only shown to workspace admins and owners: when it is missing the
 * scan fails with a permission error instead of reporting everyone as without 2FA.
 * https://api.slack.com/methods/users.list
 * https://api.slack.com/types/user
 * https://api.slack.com/docs/rate-limits
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { AFTER_SCAN_FAILURE, ProviderError, type ErrorReason } from '../../src/core/errors.js';
import { redactSecrets } from '../../src/core/secret.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, type HttpClient, type QueryValue } from '../../src/http/client.js';
import { afterEventFailure, type EventCallPurpose, type Monitor, type MonitorModule, type ScanContext, type ScopeInfo } from '../types.js';
import { slackConfigSchema, type SlackConfig } from './config.js';
import type { AccountReading, AccountRef, EventBatch, EventSource } from '../events.js';
import { auditLogsPage, parseSlackCursor, translateSlackAudit } from './events.js';

const PROVIDER = 'Slack';
const README = 'see monitors/slack/README.md';
/** Slackbot is a user, not a bot (is_bot: false), in every workspace. */
const SLACKBOT_ID = 'USLACKBOT';
/** Empty pages in a row (each with a cursor) after which the listing is taken as stuck. */
const MAX_EMPTY_PAGES = 5;

const envelope = z.looseObject({ ok: z.boolean(), error: z.string().optional(), needed: z.string().optional(), provided: z.string().optional() });

const member = z.object({
  id: z.string().min(1),
  name: z.string(),
  real_name: z.string().nullish(),
  deleted: z.boolean().optional(),
  is_bot: z.boolean().optional(),
  is_app_user: z.boolean().optional(),
  is_workflow_bot: z.boolean().optional(),
  is_invited_user: z.boolean().optional(),
  is_admin: z.boolean().optional(),
  is_owner: z.boolean().optional(),
  is_primary_owner: z.boolean().optional(),
  is_restricted: z.boolean().optional(),
  is_ultra_restricted: z.boolean().optional(),
  has_2fa: z.boolean().optional(),
  two_factor_type: z.string().nullish(),
  profile: z.object({ email: z.string().nullish(), real_name: z.string().nullish(), display_name: z.string().nullish() }).optional(),
});
type Member = z.infer<typeof member>;
const usersPage = z.object({ ok: z.literal(true), members: z.array(member), response_metadata: z.object({ next_cursor: z.string().optional() }).optional() });
const userInfo = z.object({ ok: z.literal(true), user: member });
const authTest = z.object({ ok: z.literal(true), url: z.string().optional(), team: z.string().optional(), team_id: z.string().optional() });

/** The MFA state Slack's fields give: `sms` is weak; any other type (`app`) is a real second factor. */
export function slackMfaState(m: Pick<Member, 'has_2fa' | 'two_factor_type'>): { mfa: MfaState; factors: string[] } {
  if (m.has_2fa === undefined) return { mfa: 'unknown', factors: [] };
  if (!m.has_2fa) return { mfa: 'disabled', factors: [] };
  const type = m.two_factor_type ?? null;
  if (type === 'sms') return { mfa: 'weak', factors: ['sms'] };
  return { mfa: 'enabled', factors: type ? [type] : [] };
}

/**
 * The rate limit of the Web API methods the monitor calls, as each method's page states it.
 * https://docs.slack.dev/apis/web-api/rate-limits  https://docs.slack.dev/reference/methods/auth.test
 */
const WEB_API_TIERS: Readonly<Record<string, string>> = { 'users.list': 'Tier 2', 'users.info': 'Tier 4', 'auth.test': 'special limit, hundreds per minute' };

/** Slack's error codes and scope lists are lower_snake / scope:names; anything else is not shown (it could echo a request). */
const safeCode = (v: string | undefined) => (v !== undefined && /^[a-z0-9_:.,]{1,100}$/.test(v) ? v : undefined);

/** Slack error codes → reason and what to do. https://api.slack.com/methods/users.list#errors */
function describeSlackError(method: string, rawError: string, rawNeeded?: string, rawProvided?: string, afterFailure = AFTER_SCAN_FAILURE): { message: string; reason: ErrorReason; hint: string } {
  const error = safeCode(rawError) ?? 'unrecognised_error';
  const needed = safeCode(rawNeeded);
  const provided = safeCode(rawProvided);
  const what = `${method} answered "${error}"`;
  switch (error) {
    case 'not_authed':
    case 'invalid_auth':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
    case 'no_permission':
      return { message: `Slack ${what}: the token is missing, invalid, revoked or its user deactivated`, reason: 'auth', hint: `create a new user token of a workspace admin or owner (${README})` };
    case 'missing_scope':
      return { message: `Slack ${what}: the token lacks the ${needed ?? 'users:read'} scope${provided ? ` (it has ${provided})` : ''}`, reason: 'permission', hint: `add users:read and users:read.email to the app's user token scopes and reinstall it (${README})` };
    case 'ratelimited':
      return { message: `Slack ${what}: rate limited`, reason: 'rate_limited', hint: afterFailure };
    case 'team_access_not_granted':
    case 'missing_argument':
    case 'invalid_team_id':
      return { message: `Slack ${what}: the token cannot list that workspace`, reason: 'permission', hint: `with an Enterprise Grid org token set teamId to a workspace the app is installed on (${README})` };
    case 'fatal_error':
    case 'internal_error':
    case 'service_unavailable':
    case 'request_timeout':
      return { message: `Slack ${what}`, reason: 'server', hint: `Slack is having trouble (https://slack-status.com); ${afterFailure}` };
    default:
      return { message: `Slack ${what}`, reason: 'client', hint: README };
  }
}

/**
 * A refused Audit Logs API call. Unlike the Web API, it answers with the HTTP status (401, 403)
 * and a JSON body {"ok": false, "error"}; an `ok: false` with HTTP 200 is read the same way.
 * The events need a user token of an Enterprise Grid Org Owner with the auditlogs:read scope.
 * https://docs.slack.dev/reference/audit-logs-api/methods-actions-reference
 */
function describeAuditLogsError(status: number, rawError: string | undefined): { message: string; reason: ErrorReason; hint: string } | undefined {
  const error = safeCode(rawError);
  const said = `Slack audit/v1/logs answered ${status}${error ? ` "${error}"` : ''}`;
  const install = `add the auditlogs:read user token scope to the app, install it on the Enterprise Grid organisation (not a workspace) as an Org Owner, and set that token (${README}, "Events")`;
  if (error === 'feature_not_enabled' || error === 'team_not_authorized' || error === 'invalid_workspace') {
    return { message: `${said}: the Audit Logs API is available on Enterprise Grid organisations only`, reason: 'permission', hint: `remove the events block of this monitor, or use an Org Owner's token of an Enterprise Grid organisation (${README}, "Events")` };
  }
  if (status === 401 || (error !== undefined && ['not_authed', 'invalid_auth', 'invalid_authentication', 'token_revoked', 'token_expired', 'account_inactive'].includes(error))) {
    return { message: `${said}: the token is missing, invalid or revoked`, reason: 'auth', hint: install };
  }
  if (status === 403 || error === 'missing_scope' || error === 'no_permission' || error === 'not_allowed') {
    return { message: `${said}: the token lacks the auditlogs:read scope, or is not an Org Owner's`, reason: 'permission', hint: install };
  }
  return undefined;
}

/** Creates the monitor for one workspace. */
export function createSlackMonitor(config: SlackConfig, deps: ModuleDeps): Monitor {
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const scope: ScopeInfo = { id: '', label: config.teamId ?? 'workspace' };

  function clientFor(ctx: ScanContext, root = baseUrl): HttpClient {
    return createHttpClient({
      provider: PROVIDER,
      baseUrl: root,
      fetch: deps.fetch,
      headers: () => ({ authorization: `Bearer ${config.token.reveal()}` }),
      timeoutMs: config.requestTimeout,
      retries: config.retries,
      deadline: ctx.deadline,
      sleep: deps.sleep,
      secrets: [config.token],
      onRequest: () => ctx.countRequest(),
      afterFailure: ctx.afterFailure,
      describeError: (status, body, req) => {
        const method = req.path.replace(/^.*\//, '');
        const e = envelope.safeParse(body);
        const audit = root !== baseUrl;
        if (status === 429) return { message: `Slack rate limit (${audit ? 'Audit Logs API, Tier 3, shared by the whole organisation' : (WEB_API_TIERS[method] ?? 'Web API')}) reached for ${method}`, hint: `mfawatch waits Retry-After and retries; ${req.afterFailure} otherwise` };
        const refused = audit ? describeAuditLogsError(status, e.success ? e.data.error : undefined) : undefined;
        if (refused) return refused;
        if (e.success && e.data.error) return describeSlackError(method, e.data.error, e.data.needed, e.data.provided, req.afterFailure);
        if (status >= 500) return { message: `Slack returned ${status} for ${method}`, hint: `Slack is having trouble (https://slack-status.com); ${req.afterFailure}` };
        if (status === 404) return { message: `Slack returned 404 for ${method}: baseUrl does not point at the Web API`, hint: `baseUrl is https://slack.com/api (${README})` };
        return undefined;
      },
    });
  }

  /** Calls a Web API method; an `ok: false` answer (HTTP 200) becomes a ProviderError. */
  async function call<T>(client: HttpClient, method: string, query: Record<string, QueryValue>, schema: z.ZodType<T>, ctx: ScanContext): Promise<T> {
    const res = await client.request({ path: `/${method}`, query, signal: ctx.signal });
    const e = envelope.safeParse(res.data);
    if (!e.success) {
      throw new ProviderError(`Slack answered ${method} with a body that is not a Web API answer`, { reason: 'malformed', provider: PROVIDER, status: res.status, hint: 'check that baseUrl is https://slack.com/api; nothing was committed' });
    }
    if (!e.data.ok) {
      const d = describeSlackError(method, e.data.error ?? 'unknown_error', e.data.needed, e.data.provided, ctx.afterFailure);
      throw new ProviderError(redactSecrets(d.message, [config.token]), { reason: d.reason, provider: PROVIDER, status: res.status, hint: d.hint });
    }
    const parsed = schema.safeParse(res.data);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ProviderError(`Slack answered ${method} with a body of an unexpected shape (at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'})`, { reason: 'malformed', provider: PROVIDER, status: res.status, hint: 'nothing was committed; the next scan will retry' });
    }
    return parsed.data;
  }

  function observation(m: Member, workspaceUrl: string | null): Observation {
    const state = slackMfaState(m);
    return {
      accountId: m.id,
      login: m.name,
      email: m.profile?.email ?? null,
      displayName: m.profile?.real_name ?? m.real_name ?? null,
      kind: m.is_ultra_restricted ? 'single_channel_guest' : m.is_restricted ? 'guest' : 'member',
      admin: Boolean(m.is_admin || m.is_owner || m.is_primary_owner),
      mfa: state.mfa,
      factors: state.factors,
      url: workspaceUrl ? `${workspaceUrl.replace(/\/+$/, '')}/team/${m.id}` : null,
    };
  }

  /** Humans who can sign in: not deleted, not a bot or app, not Slackbot, not an unaccepted invitation. */
  function isHuman(m: Member): boolean {
    return !m.deleted && !m.is_bot && !m.is_app_user && !m.is_workflow_bot && !m.is_invited_user && m.id !== SLACKBOT_ID;
  }

  function permissionError(): ProviderError {
    return new ProviderError("Slack's users.list does not show members' has_2fa to this token: only workspace admins and owners see other members' 2FA state", {
      reason: 'permission', provider: PROVIDER, hint: `use a user token (xoxp-) of a workspace admin or owner; mfawatch never reports unknown as disabled (${README})`,
    });
  }

  function partialListing(detail: string): ProviderError {
    return new ProviderError(`Slack's users.list was incomplete (${detail})`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry' });
  }

  async function* scanWorkspace(ctx: ScanContext): AsyncGenerator<Observation> {
    const client = clientFor(ctx);
    const who = await call(client, 'auth.test', {}, authTest, ctx);
    if (who.team) ctx.setScopeLabel(who.team);
    const workspaceUrl = who.url ?? null;

    let cursor: string | undefined;
    let humans = 0;
    let with2fa = 0;
    let withEmail = 0;
    let pages = 0;
    let emptyInARow = 0;
    const seenCursors = new Set<string>();
    do {
      const page = await call(client, 'users.list', { limit: config.pageSize, cursor, team_id: config.teamId }, usersPage, ctx);
      pages += 1;
      const people = page.members.filter(isHuman);
      for (const m of people) {
        humans += 1;
        if (m.has_2fa !== undefined) with2fa += 1;
        if (m.profile?.email) withEmail += 1;
      }
      // A non-admin token sees has_2fa only on its own record: fail before yielding a misleading page.
      if (pages === 1 && people.length > 1 && with2fa <= 1) throw permissionError();
      for (const m of people) yield observation(m, workspaceUrl);
      const next = page.response_metadata?.next_cursor || undefined;
      // Slack may return fewer members than `limit`, even none, with a cursor to go on; but a cursor
      // that repeats, or page after page of nothing, is a listing that is not advancing.
      emptyInARow = page.members.length === 0 ? emptyInARow + 1 : 0;
      if (next && seenCursors.has(next)) throw partialListing(`page ${pages} repeated an earlier cursor`);
      if (next && emptyInARow >= MAX_EMPTY_PAGES) throw partialListing(`${emptyInARow} empty pages in a row while Slack announced more`);
      if (next) seenCursors.add(next);
      cursor = next;
    } while (cursor);

    if (humans > 1 && with2fa <= 1) throw permissionError();
    if (humans - with2fa > 0) ctx.warn(`Slack did not say the 2FA state of ${humans - with2fa} of ${humans} members: they are reported as unknown`);
    if (humans > 0 && withEmail === 0) ctx.warn('Slack returned no member emails: add the users:read.email scope so Slack accounts link to the same people elsewhere');
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

  /**
   * Re-reads one member as the scan sees them: users.info (and auth.test for the workspace URL),
   * the same mapping; `user_not_found`, a deactivated member or one the scan leaves out (bots,
   * invitations) is `gone`. https://api.slack.com/methods/users.info
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    if (!ref.accountId) {
      throw new ProviderError('Slack: this hint names the member only by name; members are read by user id', { reason: 'malformed', provider: PROVIDER, hint: 'the scheduled scan reconciles this account' });
    }
    const ctx = eventContext(signal, { requests: 0 }, 'verify');
    const client = clientFor(ctx);
    const who = await call(client, 'auth.test', {}, authTest, ctx);
    let info: z.infer<typeof userInfo>;
    try {
      info = await call(client, 'users.info', { user: ref.accountId }, userInfo, ctx);
    } catch (err) {
      if (err instanceof ProviderError && /user_not_found/.test(err.message)) return { status: 'gone', account: ref };
      throw err;
    }
    if (!isHuman(info.user)) return { status: 'gone', account: ref };
    if (info.user.has_2fa === undefined) throw permissionError();
    return { status: 'present', observation: observation(info.user, who.url ?? null) };
  }

  /** One poll of the Audit Logs API since the watermark minus the overlap, every page. */
  async function pollAuditLogs(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events) return { events: [], ignored: [] };
    const counter = { requests: 0 };
    const ctx = eventContext(signal, counter, 'poll');
    const client = clientFor(ctx, events.auditBaseUrl.replace(/\/+$/, ''));
    const saved = parseSlackCursor(cursor);
    const watermark = saved ? saved.oldest : Math.floor(deps.clock.now().getTime() / 1000);
    const oldest = watermark - Math.floor(events.overlap / 1000);
    const raw: unknown[] = [];
    let next: string | undefined;
    const seen = new Set<string>();
    do {
      const res = await client.request({ path: '/logs', query: { oldest, limit: 200, cursor: next }, signal });
      const e = envelope.safeParse(res.data);
      if (e.success && e.data.ok === false) {
        const d = describeAuditLogsError(res.status, e.data.error) ?? describeSlackError('audit/v1/logs', e.data.error ?? 'unknown_error', e.data.needed, e.data.provided, ctx.afterFailure);
        throw new ProviderError(redactSecrets(d.message, [config.token]), { reason: d.reason, provider: PROVIDER, status: res.status, hint: d.hint });
      }
      const page = auditLogsPage.safeParse(res.data);
      if (!page.success) throw new ProviderError('Slack answered audit/v1/logs with a body that is not a list of audit entries', { reason: 'malformed', provider: PROVIDER, status: res.status, hint: 'check events.auditBaseUrl; the cursor was not moved and the next poll retries' });
      raw.push(...page.data.entries);
      next = page.data.response_metadata?.next_cursor || undefined;
      if (next && seen.has(next)) throw new ProviderError('Slack repeated an audit log cursor', { reason: 'malformed', provider: PROVIDER, hint: 'the cursor was not moved; the next poll retries' });
      if (next) seen.add(next);
    } while (next);
    const batch = translateSlackAudit(raw, watermark, counter.requests);
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: 'the saved audit-log cursor could not be read; polling starts again from now (the scheduled scan covers the gap)' });
    return batch;
  }

  const sources: EventSource[] = config.events
    ? [{ kind: 'pull', name: 'audit-logs', intervalMs: config.events.auditLogs, poll: (cursor, signal) => pollAuditLogs(cursor, signal) }]
    : [];

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    async *scan(_scope: ScopeInfo, ctx: ScanContext): AsyncGenerator<Observation> {
      yield* scanWorkspace(ctx);
    },
  };
}

export const slackMonitor: MonitorModule<SlackConfig> = {
  type: 'slack',
  provider: PROVIDER,
  configSchema: slackConfigSchema,
  secretKeys: ['token'],
  create: (config, deps) => createSlackMonitor(config, deps),
};
