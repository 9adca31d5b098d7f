/**
 * Microsoft Entra ID monitor: every user's MFA registration from Microsoft Graph's
 * authentication-methods registration report, paged with @odata.nextLink.
 *   POST {login}/{tenant}/oauth2/v2.0/token   (client credentials, scope {graph}/.default)
 *   GET  {graph}/v1.0/reports/authenticationMethods/userRegistrationDetails
 *   GET  {graph}/v1.0/reports/authenticationMethods/userRegistrationDetails/{id}   (readAccount)
 *   GET  {graph}/v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge …      (events)
 *   GET  {graph}/beta/auditLogs/signIns?$filter=createdDateTime ge … and authenticationRequirement eq …  (events.signIns)
 * https://learn.microsoft.com/en-us/graph/api/authenticationmethodsroot-list-userregistrationdetails
 * https://learn.microsoft.com/en-us/graph/api/resources/userregistrationdetails
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError, reasonForStatus } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { createHttpClient, type DescribedRequest, type ErrorDescription, type HttpResponse } from '../../src/http/client.js';
import { clientCredentialsToken, invalidatingOnAuthFailure } from '../../src/http/client-credentials.js';
import type { AccountReading, AccountRef, EventBatch, EventSource, SourceOff } from '../events.js';
import { eventCallContext, type EventCallPurpose } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { entraConfigSchema, type EntraConfig } from './config.js';
import { graphTime, parseEntraCursor, SINGLE_FACTOR, translateDirectoryAudits, resumingAt, translateSignIns } from './events.js';

const PROVIDER = 'Microsoft Entra ID';
const README = 'see monitors/entra/README.md';
const REPORT_PATH = '/v1.0/reports/authenticationMethods/userRegistrationDetails';

/** One row of the registration report (the fields mfawatch reads). */
const registration = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  userDisplayName: z.string().nullish(),
  userType: z.string().nullish(),
  isAdmin: z.boolean().nullish(),
  isMfaRegistered: z.boolean().nullish(),
  methodsRegistered: z.array(z.string()).nullish(),
});
type Registration = z.infer<typeof registration>;

const AUDITS_PATH = '/v1.0/auditLogs/directoryAudits';
/** A page of the directory audit log; the entries are checked one by one (monitors/entra/events.ts). */
const auditPage = z.object({ value: z.array(z.unknown()), '@odata.nextLink': z.string().optional() });

/**
 * The sign-in log. `authenticationRequirement`, the one field that says a sign-in needed a single
 * factor, exists only in Graph's beta signIn resource (the v1.0 resource lacks it), so this one
 * request goes to /beta. https://learn.microsoft.com/en-us/graph/api/signin-list?view=graph-rest-beta
 */
const SIGNINS_PATH = '/beta/auditLogs/signIns';
/** A page of the sign-in log; the sign-ins are checked one by one (monitors/entra/events.ts). */
const signInPage = z.object({ value: z.array(z.unknown()), '@odata.nextLink': z.string().optional() });
/** Graph's error code when the tenant lacks the Entra ID P1/P2 licence the sign-in log needs. */
const NO_PREMIUM_CODE = 'Authentication_RequestFromNonPremiumTenantOrB2CTenant';
/** Why the sign-ins source is off (`status`, `run`) when the tenant has no licence for the sign-in log. */
export const NO_SIGNIN_LICENCE_WARNING = 'the tenant has no Entra ID P1/P2 licence: sign-ins without MFA cannot be read; directory audits keep working';
/** The sign-ins source turned off by a licence refusal (monitors/events.ts SourceOff). */
const SIGNINS_OFF: SourceOff = {
  reason: `${NO_SIGNIN_LICENCE_WARNING} (Microsoft Graph answered 403 ${NO_PREMIUM_CODE})`,
  hint: `license the tenant (Entra ID P1 or P2) and restart mfawatch, or set events.signIns to false; ${README}`,
};

/**
 * Pages one poll of a Graph log reads at most. Graph's reporting APIs allow 5 requests per 10
 * seconds per app and tenant (https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-reports-service-limits):
 * 20 pages fit well within one poll's deadline even when throttled; a longer backlog takes more polls.
 */
export const LOG_PAGES_PER_POLL = 20;

/** A page of a Graph log, or the source turned off (the sign-in log without a licence). */
type GraphLogPage = { value: readonly unknown[]; next: string | undefined } | { disabled: SourceOff };

/** One of the Graph logs polled for events (directory audits, sign-ins): what differs between them. */
interface GraphLog {
  path: string;
  /** The time property filtered and ordered on. */
  timeField: 'activityDateTime' | 'createdDateTime';
  filter(since: string): string;
  readPage(graph: ReturnType<typeof createHttpClient>, path: string, query: Record<string, string> | undefined, signal: AbortSignal): Promise<GraphLogPage>;
  translate(raw: readonly unknown[], watermark: Date, requests: number): EventBatch;
  /** The set-aside message when the saved cursor cannot be read. */
  unreadableCursor: string;
}

/** The newest `field` time among the entries of a poll (malformed ones skipped); null when none has one. */
function newestEntry(raw: readonly unknown[], field: GraphLog['timeField']): Date | null {
  let newest = Number.NEGATIVE_INFINITY;
  for (const item of raw) {
    const at = item !== null && typeof item === 'object' ? Date.parse(String((item as Record<string, unknown>)[field])) : Number.NaN;
    if (Number.isFinite(at) && at > newest) newest = at;
  }
  return Number.isFinite(newest) ? new Date(newest) : null;
}

const reportPage = z.object({
  value: z.array(registration),
  '@odata.nextLink': z.string().optional(),
});

/**
 * methodsRegistered values (an evolvable enum: newer members are only sent with
 * `Prefer: include-unknown-enum-members`, which mfawatch sends).
 * https://learn.microsoft.com/en-us/graph/api/resources/userregistrationdetails
 */
export const STRONG_METHODS: ReadonlySet<string> = new Set([
  'microsoftAuthenticatorPush',
  'microsoftAuthenticatorPasswordless',
  'softwareOneTimePasscode',
  'hardwareOneTimePasscode',
  'fido2SecurityKey',
  'windowsHelloForBusiness',
  'passKeyDeviceBound',
  'passKeyDeviceBoundAuthenticator',
  'passKeyDeviceBoundWindowsHello',
  'passKeySynced',
  'macOsSecureEnclaveKey',
  'platformCredential',
  'externalAuthMethod',
]);
/** Phone and email factors: interceptable or phishable, so `weak`. */
export const WEAK_METHODS: ReadonlySet<string> = new Set(['mobilePhone', 'alternateMobilePhone', 'officePhone', 'sms', 'voice', 'email']);
/** Registered methods that are not a second factor at all. */
export const NOT_MFA_METHODS: ReadonlySet<string> = new Set(['password', 'securityQuestion', 'temporaryAccessPass', 'appPassword']);

/**
 * The MFA state of one report row: a strong method → enabled; otherwise a method mfawatch does not
 * know → unknown (it cannot tell strong from weak); otherwise a phone/email method → weak;
 * otherwise Microsoft's own isMfaRegistered decides: false → disabled, true (no method listed)
 * or absent → unknown.
 */
export function entraMfaState(row: Pick<Registration, 'isMfaRegistered' | 'methodsRegistered'>): { mfa: MfaState; factors: string[]; unrecognised: string[] } {
  const methods = (row.methodsRegistered ?? []).filter((m) => !NOT_MFA_METHODS.has(m));
  const strong = methods.filter((m) => STRONG_METHODS.has(m));
  const weak = methods.filter((m) => WEAK_METHODS.has(m));
  const unrecognised = methods.filter((m) => !STRONG_METHODS.has(m) && !WEAK_METHODS.has(m));
  if (strong.length > 0) return { mfa: 'enabled', factors: methods, unrecognised };
  if (unrecognised.length > 0) return { mfa: 'unknown', factors: methods, unrecognised };
  if (weak.length > 0) return { mfa: 'weak', factors: weak, unrecognised };
  if (row.isMfaRegistered === false) return { mfa: 'disabled', factors: [], unrecognised };
  return { mfa: 'unknown', factors: [], unrecognised };
}

/**
 * Whether a Graph 403 is the licence check of the reporting APIs: code
 * Authentication_RequestFromNonPremiumTenantOrB2CTenant, message "Neither tenant is B2C or tenant
 * doesn't have premium license" (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-activity-logs-with-microsoft-graph#common-errors).
 */
function isNoPremiumLicence(body: unknown): boolean {
  const { code, message } = graphError(body);
  return code === NO_PREMIUM_CODE || /doesn't have premium licen[cs]e/i.test(message);
}

function graphError(body: unknown): { code: string; message: string } {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return { code: typeof e?.code === 'string' ? e.code : '', message: typeof e?.message === 'string' ? e.message : '' };
}

/**
 * Wording of a failed Graph answer; `tenantId` is the configured tenant (a directory id or domain,
 * not a secret). https://learn.microsoft.com/en-us/graph/errors
 */
export function describeGraphError(status: number, body: unknown, req: DescribedRequest, tenantId: string): ErrorDescription {
  const { code } = graphError(body);
  const tag = code ? ` (${code})` : '';
  if (status === 401) return { message: `Microsoft Graph returned 401${tag}: the access token was refused`, hint: `check that the app registration belongs to tenant ${JSON.stringify(tenantId)} (the config key tenantId) and that its client secret is current (${README})` };
  if (status === 403 && code === 'Authentication_RequestFromNonPremiumTenantOrB2CTenant') {
    return { message: `Microsoft Graph returned 403${tag}: the tenant has no Microsoft Entra ID P1 or P2 licence, which the authentication-methods registration report requires`, hint: README };
  }
  if (status === 403) return { message: `Microsoft Graph returned 403${tag}: the app lacks the AuditLog.Read.All application permission, or an administrator has not granted consent for it`, hint: README };
  if (status === 404) return { message: `Microsoft Graph returned 404${tag} for the registration report`, hint: 'check graphBaseUrl (the Graph root, e.g. https://graph.microsoft.com, without /v1.0)' };
  if (status === 429) return { message: `Microsoft Graph throttled mfawatch (429${code ? ` ${code}` : ''})`, hint: req.afterFailure };
  if (status >= 500) return { message: `Microsoft Graph returned ${status}${tag}`, hint: `Microsoft Graph is having trouble (https://status.cloud.microsoft); ${req.afterFailure}` };
  return { message: `Microsoft Graph returned ${status}${tag}`, hint: README };
}

/** Wording of a failed token request for tenant `tenantId`. https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes */
export function describeTokenError(status: number, body: unknown, req: DescribedRequest, tenantId: string): ErrorDescription {
  const b = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof b.error === 'string' ? b.error : '';
  const aadsts = typeof b.error_description === 'string' ? (/AADSTS\d+/.exec(b.error_description)?.[0] ?? '') : '';
  const tag = [error, aadsts].filter(Boolean).join(' ');
  const label = `Microsoft Entra ID refused the client-credentials token request (${status}${tag ? ` ${tag}` : ''})`;
  if (aadsts === 'AADSTS90002' || aadsts === 'AADSTS900023') return { message: `${label}: tenant ${JSON.stringify(tenantId)} was not found`, hint: 'check the config key tenantId (the directory id or a verified domain)', reason: 'auth' };
  if (aadsts === 'AADSTS700016' || error === 'unauthorized_client') return { message: `${label}: no application with this clientId exists in the tenant`, hint: 'check clientId and tenantId', reason: 'auth' };
  if (aadsts === 'AADSTS7000222') return { message: `${label}: the client secret has expired`, hint: `create a new client secret and set it in the environment (${README})`, reason: 'auth' };
  if (error === 'invalid_client' || status === 401) return { message: `${label}: the client secret is wrong`, hint: `set the secret's value (not its id) in the environment (${README})`, reason: 'auth' };
  if (status >= 500 || status === 429) return { message: label, hint: req.afterFailure };
  return { message: label, hint: README, reason: status === 400 ? 'auth' : reasonForStatus(status) };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Creates the monitor for one tenant. */
export function createEntraMonitor(config: EntraConfig, deps: ModuleDeps, tuning: { backoffMs?: number } = {}): Monitor {
  const scope: ScopeInfo = { id: '', label: config.tenantId };
  const graphBase = config.graphBaseUrl.replace(/\/+$/, '');
  const graphOrigin = new URL(graphBase).origin;
  // Values scrubbed from every error: the client secret and the latest tokens.
  const secrets: string[] = [config.clientSecret.reveal()];
  const token = clientCredentialsToken({
    path: `/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`,
    form: () => ({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret.reveal(), scope: `${graphBase}/.default` }),
    onToken: (t) => {
      secrets.push(t);
      if (secrets.length > 4) secrets.splice(1, 1); // keep the secret and the last three tokens
    },
  });

  function graphClient(ctx: ScanContext) {
    const common = {
      provider: PROVIDER, fetch: deps.fetch, timeoutMs: config.requestTimeout, retries: config.retries, deadline: ctx.deadline,
      sleep: deps.sleep, secrets, onRequest: () => ctx.countRequest(), afterFailure: ctx.afterFailure, ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
    };
    const login = createHttpClient({ ...common, baseUrl: config.loginBaseUrl, describeError: (status, body, req) => describeTokenError(status, body, req, config.tenantId) });
    return createHttpClient({
      ...common,
      baseUrl: graphBase,
      headers: async () => ({ authorization: `Bearer ${await token.get(login, ctx.signal)}`, prefer: 'include-unknown-enum-members' }),
      describeError: (status, body, req) => describeGraphError(status, body, req, config.tenantId),
    });
  }

  /** One report row as the scan reports it; null for a guest when guests are not watched. */
  function observationOf(row: Registration): { observation: Observation; unrecognised: string[] } | null {
    const guest = (row.userType ?? '').toLowerCase() === 'guest';
    if (guest && !config.includeGuests) return null;
    const state = entraMfaState(row);
    const upn = row.userPrincipalName;
    return {
      observation: {
        accountId: row.id,
        login: upn,
        // A member's UPN is, in practice, their email; a guest's is "x_domain#EXT#@tenant", not an address.
        email: !guest && upn.includes('@') && !upn.includes('#EXT#') ? upn.toLowerCase() : null,
        displayName: row.userDisplayName ?? null,
        kind: guest ? 'guest' : 'member',
        admin: row.isAdmin === true,
        mfa: state.mfa,
        factors: state.factors,
        url: `https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${row.id}`,
      },
      unrecognised: state.unrecognised,
    };
  }

  /** Follows @odata.nextLink only on the Graph host (the bearer token goes with it). */
  function checkedNext(next: string | undefined): string | undefined {
    if (next !== undefined && originOf(next) !== graphOrigin) {
      throw new ProviderError('Microsoft Graph answered with an @odata.nextLink outside graphBaseUrl; mfawatch does not send the token elsewhere', { reason: 'malformed', provider: PROVIDER, hint: 'check graphBaseUrl and any proxy in between; nothing was committed' });
    }
    return next;
  }

  async function* scanTenant(ctx: ScanContext): AsyncGenerator<Observation> {
    const graph = graphClient(ctx);
    const unrecognised = new Set<string>();
    let path: string | undefined = REPORT_PATH;
    while (path) {
      const res: HttpResponse<z.infer<typeof reportPage>> = await graph.request({ path, signal: ctx.signal }, reportPage);
      for (const row of res.data.value) {
        const o = observationOf(row);
        if (!o) continue;
        for (const m of o.unrecognised) unrecognised.add(m);
        yield o.observation;
      }
      path = checkedNext(res.data['@odata.nextLink']);
    }
    if (unrecognised.size > 0) {
      ctx.warn(`Microsoft Graph reported authentication methods mfawatch does not classify (${[...unrecognised].sort().join(', ')}): accounts with only these are reported as unknown; please report them to the mfawatch project`);
    }
  }

  /** A context for one poll or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter, purpose);
  }

  /** Drops a cached token Graph refused, so the next poll or read asks for a new one. */
  async function refreshingToken<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ProviderError && err.status === 401) token.invalidate();
      throw err;
    }
  }

  /**
   * Re-reads one user from the same registration report the scan reads (one row,
   * GET …/userRegistrationDetails/{id}) with the same mapping, so the next scan agrees. Graph's 404
   * is `gone`; a guest while guests are not watched is `gone` too (the scan does not list them).
   * https://learn.microsoft.com/en-us/graph/api/userregistrationdetails-get
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    if (!ref.accountId) {
      throw new ProviderError('Microsoft Entra ID: this hint names the user only by login; the registration report is read by object id', { reason: 'malformed', provider: PROVIDER, hint: 'the scheduled scan reconciles this account' });
    }
    const graph = graphClient(eventContext(signal, { requests: 0 }, 'verify'));
    const res = await refreshingToken(() => graph.request({ path: `${REPORT_PATH}/${encodeURIComponent(ref.accountId ?? '')}`, signal, acceptStatus: [404] }));
    if (res.status === 404) return { status: 'gone', account: ref };
    const row = registration.safeParse(res.data);
    if (!row.success) {
      throw new ProviderError('Microsoft Graph answered userRegistrationDetails/{id} with a body that is not a registration row', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    }
    const o = observationOf(row.data);
    return o ? { status: 'present', observation: o.observation } : { status: 'gone', account: ref };
  }

  /**
   * One poll of a Graph log (the directory audits or the sign-ins), oldest first
   * (`$orderby=<time> asc`, documented for directoryAudit.activityDateTime and
   * signIn.createdDateTime), at most LOG_PAGES_PER_POLL pages. A poll that stops at the cap commits
   * what it read (the watermark is the newest entry read) and sets the cursor's `resumeFrom` to the
   * newest entry it read: the next poll continues from there instead of re-reading the overlap, so
   * a backlog after downtime is read over several polls instead of never finishing within one
   * poll's deadline under Graph's reporting limit (and an overlap window longer than the cap is
   * still read through). Once a poll reads to the end, the overlap applies again. Entries in the
   * resume time's second are re-read (`ge`, whole seconds); the core skips them by id.
   */
  async function pollGraphLog(log: GraphLog, cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const overlap = config.events?.overlap ?? 0;
    const counter = { requests: 0 };
    const graph = graphClient(eventContext(signal, counter, 'poll'));
    const saved = parseEntraCursor(cursor);
    const watermark = saved ? new Date(saved.watermark) : deps.clock.now();
    const since = saved?.resumeFrom ? new Date(saved.resumeFrom) : new Date(watermark.getTime() - overlap);
    const raw: unknown[] = [];
    let path: string | undefined = log.path;
    let query: Record<string, string> | undefined = { $filter: log.filter(graphTime(since)), $orderby: `${log.timeField} asc` };
    for (let pages = 0; path && pages < LOG_PAGES_PER_POLL; pages += 1) {
      const requestPath: string = path;
      const requestQuery = query;
      const page = await refreshingToken(() => log.readPage(graph, requestPath, requestQuery, signal));
      if ('disabled' in page) return { events: [], ignored: [], requests: counter.requests, disabled: page.disabled };
      raw.push(...page.value);
      path = checkedNext(page.next);
      query = undefined;
    }
    const batch = log.translate(raw, watermark, counter.requests);
    if (path && batch.cursor) batch.cursor = resumingAt(batch.cursor, newestEntry(raw, log.timeField) ?? since);
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: log.unreadableCursor });
    return batch;
  }

  const auditLog: GraphLog = {
    path: AUDITS_PATH,
    timeField: 'activityDateTime',
    filter: (since) => `activityDateTime ge ${since}`,
    async readPage(graph, path, query, signal) {
      const res = await graph.request({ path, query, signal }, auditPage);
      return { value: res.data.value, next: res.data['@odata.nextLink'] };
    },
    translate: (raw, watermark, requests) => translateDirectoryAudits(raw, watermark, requests),
    unreadableCursor: 'the saved directory-audit cursor could not be read; polling starts again from now (the scheduled scan covers the gap)',
  };

  /** Set when Graph said the tenant has no licence for the sign-in log: that source is off until restart. */
  let signInsUnlicensed = false;

  /**
   * The sign-in log: single-factor sign-ins only. A licence refusal turns this source off
   * (EventBatch.disabled: shown in `status` and `run`, no further requests until a restart) instead
   * of failing every poll; the directory audits are a separate source and keep working. Any other
   * 403 is a missing permission and fails the poll.
   */
  const signInLog: GraphLog = {
    path: SIGNINS_PATH,
    timeField: 'createdDateTime',
    filter: (since) => `createdDateTime ge ${since} and authenticationRequirement eq '${SINGLE_FACTOR}'`,
    async readPage(graph, path, query, signal) {
      const res: HttpResponse<unknown> = await graph.request({ path, query, signal, acceptStatus: [403] });
      if (res.status === 403) {
        if (isNoPremiumLicence(res.data)) {
          signInsUnlicensed = true;
          return { disabled: SIGNINS_OFF };
        }
        // Provider text: shown only when it has the shape of a Graph error code and holds no secret.
        const { code } = graphError(res.data);
        const shown = /^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(code) && !secrets.some((x) => code.includes(x)) ? code : '';
        throw new ProviderError(`Microsoft Graph returned 403${shown ? ` (${shown})` : ''} for the sign-in log: the app lacks the AuditLog.Read.All and Directory.Read.All application permissions (Graph checks both for sign-ins), or an administrator has not granted consent`, { reason: 'permission', provider: PROVIDER, status: 403, hint: `add both and grant admin consent (${README}); the directory audits keep working` });
      }
      const page = signInPage.safeParse(res.data);
      if (!page.success) {
        throw new ProviderError('Microsoft Graph answered auditLogs/signIns with a body that is not a page of sign-ins', { reason: 'malformed', provider: PROVIDER, status: res.status, hint: 'check graphBaseUrl and any proxy in between; nothing was committed' });
      }
      return { value: page.data.value, next: page.data['@odata.nextLink'] };
    },
    translate: (raw, watermark, requests) => translateSignIns(raw, watermark, requests, { includeGuests: config.includeGuests }),
    unreadableCursor: 'the saved sign-in cursor could not be read; polling starts again from now (sign-ins before that are not read)',
  };

  async function pollSignIns(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    if (!config.events?.signIns) return { events: [], ignored: [], requests: 0 };
    if (signInsUnlicensed) return { events: [], ignored: [], requests: 0, disabled: SIGNINS_OFF };
    return pollGraphLog(signInLog, cursor, signal);
  }

  async function pollAudits(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    if (!config.events) return { events: [], ignored: [] };
    return pollGraphLog(auditLog, cursor, signal);
  }

  const sources: EventSource[] = [];
  if (config.events) {
    sources.push({ kind: 'pull', name: 'directory-audits', intervalMs: config.events.directoryAudits, poll: (cursor, signal) => pollAudits(cursor, signal) });
    if (config.events.signIns) sources.push({ kind: 'pull', name: 'sign-ins', intervalMs: config.events.signInsInterval, poll: (cursor, signal) => pollSignIns(cursor, signal) });
  }

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    scan: (_scope: ScopeInfo, ctx: ScanContext): AsyncIterable<Observation> => invalidatingOnAuthFailure(token, scanTenant(ctx)),
  };
}

export const entraMonitor: MonitorModule<EntraConfig> = {
  type: 'entra',
  provider: PROVIDER,
  configSchema: entraConfigSchema,
  secretKeys: ['clientSecret'],
  create: (config, deps) => createEntraMonitor(config, deps),
};
