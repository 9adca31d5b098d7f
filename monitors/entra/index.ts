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
import { createHttpClient, type ErrorDescription, type HttpResponse } from '../../src/http/client.js';
import { clientCredentialsToken, invalidatingOnAuthFailure } from '../../src/http/client-credentials.js';
import type { AccountReading, AccountRef, EventBatch, EventSource, SourceOff } from '../events.js';
import { eventCallContext } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { entraConfigSchema, type EntraConfig } from './config.js';
import { graphTime, parseEntraCursor, SINGLE_FACTOR, translateDirectoryAudits, translateSignIns } from './events.js';

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

/** Wording of a failed Graph answer. https://learn.microsoft.com/en-us/graph/errors */
export function describeGraphError(status: number, body: unknown): ErrorDescription {
  const { code } = graphError(body);
  const tag = code ? ` (${code})` : '';
  if (status === 401) return { message: `Microsoft Graph returned 401${tag}: the access token was refused`, hint: `check that the app registration belongs to tenant "tenantId" and its secret is current (${README})` };
  if (status === 403 && code === 'Authentication_RequestFromNonPremiumTenantOrB2CTenant') {
    return { message: `Microsoft Graph returned 403${tag}: the tenant has no Microsoft Entra ID P1 or P2 licence, which the authentication-methods registration report requires`, hint: README };
  }
  if (status === 403) return { message: `Microsoft Graph returned 403${tag}: the app lacks the AuditLog.Read.All application permission, or an administrator has not granted consent for it`, hint: README };
  if (status === 404) return { message: `Microsoft Graph returned 404${tag} for the registration report`, hint: 'check graphBaseUrl (the Graph root, e.g. https://graph.microsoft.com, without /v1.0)' };
  if (status === 429) return { message: `Microsoft Graph throttled the scan (429${code ? ` ${code}` : ''})`, hint: 'the scan will run again on schedule' };
  if (status >= 500) return { message: `Microsoft Graph returned ${status}${tag}`, hint: 'Microsoft Graph is having trouble (https://status.cloud.microsoft); the scan will run again on schedule' };
  return { message: `Microsoft Graph returned ${status}${tag}`, hint: README };
}

/** Wording of a failed token request. https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes */
export function describeTokenError(status: number, body: unknown): ErrorDescription {
  const b = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof b.error === 'string' ? b.error : '';
  const aadsts = typeof b.error_description === 'string' ? (/AADSTS\d+/.exec(b.error_description)?.[0] ?? '') : '';
  const tag = [error, aadsts].filter(Boolean).join(' ');
  const label = `Microsoft Entra ID refused the client-credentials token request (${status}${tag ? ` ${tag}` : ''})`;
  if (aadsts === 'AADSTS90002' || aadsts === 'AADSTS900023') return { message: `${label}: tenant "tenantId" was not found`, hint: 'check tenantId (the directory id or a verified domain)', reason: 'auth' };
  if (aadsts === 'AADSTS700016' || error === 'unauthorized_client') return { message: `${label}: no application with this clientId exists in the tenant`, hint: 'check clientId and tenantId', reason: 'auth' };
  if (aadsts === 'AADSTS7000222') return { message: `${label}: the client secret has expired`, hint: `create a new client secret and set it in the environment (${README})`, reason: 'auth' };
  if (error === 'invalid_client' || status === 401) return { message: `${label}: the client secret is wrong`, hint: `set the secret's value (not its id) in the environment (${README})`, reason: 'auth' };
  if (status >= 500 || status === 429) return { message: label, hint: 'the scan will run again on schedule' };
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
      sleep: deps.sleep, secrets, onRequest: () => ctx.countRequest(), ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
    };
    const login = createHttpClient({ ...common, baseUrl: config.loginBaseUrl, describeError: describeTokenError });
    return createHttpClient({
      ...common,
      baseUrl: graphBase,
      headers: async () => ({ authorization: `Bearer ${await token.get(login, ctx.signal)}`, prefer: 'include-unknown-enum-members' }),
      describeError: describeGraphError,
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
  function eventContext(signal: AbortSignal, counter: { requests: number }): ScanContext {
    return eventCallContext(signal, config.requestTimeout * (config.retries + 2), deps.logger, config.id, counter);
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
    const graph = graphClient(eventContext(signal, { requests: 0 }));
    const res = await refreshingToken(() => graph.request({ path: `${REPORT_PATH}/${encodeURIComponent(ref.accountId ?? '')}`, signal, acceptStatus: [404] }));
    if (res.status === 404) return { status: 'gone', account: ref };
    const row = registration.safeParse(res.data);
    if (!row.success) {
      throw new ProviderError('Microsoft Graph answered userRegistrationDetails/{id} with a body that is not a registration row', { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed' });
    }
    const o = observationOf(row.data);
    return o ? { status: 'present', observation: o.observation } : { status: 'gone', account: ref };
  }

  /** One poll of the directory audit log: every page since the watermark minus the overlap. */
  async function pollAudits(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events) return { events: [], ignored: [] };
    const counter = { requests: 0 };
    const graph = graphClient(eventContext(signal, counter));
    const saved = parseEntraCursor(cursor);
    const watermark = saved ? new Date(saved.watermark) : deps.clock.now();
    const since = new Date(watermark.getTime() - events.overlap);
    const raw: unknown[] = [];
    let path: string | undefined = AUDITS_PATH;
    let query: Record<string, string> | undefined = { $filter: `activityDateTime ge ${graphTime(since)}` };
    while (path) {
      const res: HttpResponse<z.infer<typeof auditPage>> = await refreshingToken(() => graph.request({ path: path ?? AUDITS_PATH, query, signal }, auditPage));
      raw.push(...res.data.value);
      path = checkedNext(res.data['@odata.nextLink']);
      query = undefined;
    }
    const batch = translateDirectoryAudits(raw, watermark, counter.requests);
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: 'the saved directory-audit cursor could not be read; polling starts again from now (the scheduled scan covers the gap)' });
    return batch;
  }

  /** Set when Graph said the tenant has no licence for the sign-in log: that source is off until restart. */
  let signInsUnlicensed = false;

  /**
   * One poll of the sign-in log: every page of single-factor sign-ins since the watermark minus the
   * overlap. A licence refusal turns this source off (EventBatch.disabled: shown in `status` and
   * `run`, no further requests until a restart) instead of failing every poll; the directory audits
   * are a separate source and keep working. Any other 403 is a missing permission and fails the poll.
   */
  async function pollSignIns(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
    const events = config.events;
    if (!events?.signIns) return { events: [], ignored: [], requests: 0 };
    if (signInsUnlicensed) return { events: [], ignored: [], requests: 0, disabled: SIGNINS_OFF };
    const counter = { requests: 0 };
    const graph = graphClient(eventContext(signal, counter));
    const saved = parseEntraCursor(cursor);
    const watermark = saved ? new Date(saved.watermark) : deps.clock.now();
    const since = new Date(watermark.getTime() - events.overlap);
    const raw: unknown[] = [];
    let path: string | undefined = SIGNINS_PATH;
    let query: Record<string, string> | undefined = { $filter: `createdDateTime ge ${graphTime(since)} and authenticationRequirement eq '${SINGLE_FACTOR}'` };
    while (path) {
      const res: HttpResponse<unknown> = await refreshingToken(() => graph.request({ path: path ?? SIGNINS_PATH, query, signal, acceptStatus: [403] }));
      if (res.status === 403) {
        if (isNoPremiumLicence(res.data)) {
          signInsUnlicensed = true;
          return { events: [], ignored: [], requests: counter.requests, disabled: SIGNINS_OFF };
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
      raw.push(...page.data.value);
      path = checkedNext(page.data['@odata.nextLink']);
      query = undefined;
    }
    const batch = translateSignIns(raw, watermark, counter.requests, { includeGuests: config.includeGuests });
    if (cursor && !saved) batch.ignored.unshift({ reason: 'malformed', message: 'the saved sign-in cursor could not be read; polling starts again from now (sign-ins before that are not read)' });
    return batch;
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
