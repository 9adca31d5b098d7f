/**
 * GitHub organisation monitor: members and outside collaborators with their 2FA state, read with
 * the fewest requests GitHub allows (per_page=100, Link-header pagination):
 *   members: filter=2fa_disabled, filter=2fa_insecure, role=admin, then filter=all (streamed)
 *   outside collaborators: filter=2fa_disabled, filter=2fa_insecure, then filter=all (streamed)
 * The small filtered sets are held in memory; the full lists are streamed page by page.
 * With samlCredentials: GET /orgs/{org}/credential-authorizations too (members' credentials).
 * https://docs.github.com/en/rest/orgs/members#list-organization-members
 * https://docs.github.com/en/rest/orgs/outside-collaborators#list-outside-collaborators-for-an-organization
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { fetchWithTimeout } from '../../src/core/abort.js';
import type { ModuleDeps } from '../../src/core/deps.js';
import { AFTER_POLL_FAILURE, AFTER_VERIFY_FAILURE, ProviderError, reasonForStatus } from '../../src/core/errors.js';
import { redactSecrets, type Secret } from '../../src/core/secret.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { parseLinkHeader } from '../../src/http/client.js';
import type { AccountReading, AccountRef, EventSource } from '../events.js';
import { eventCallContext, type EventCallPurpose } from '../types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { probeBatch, receiveGithubWebhook } from './events.js';
import { installZeroDelayYields } from './bottleneck-yields.js';
import { githubConfigSchema, type GithubConfig } from './config.js';

const PROVIDER = 'GitHub';
const README = 'see monitors/github/README.md';
const GithubClient = Octokit.plugin(throttling, retry);
// Without it, the plugins' scheduler idles about 14 ms per request (see bottleneck-yields.ts).
installZeroDelayYields();
type GithubClientInstance = InstanceType<typeof GithubClient>;

/** What mfawatch reads of a user object in a list response. */
const listedUser = z.object({
  id: z.number().int(),
  login: z.string().min(1),
  html_url: z.string().optional(),
});
const userPage = z.array(listedUser);
type ListedUser = z.infer<typeof listedUser>;

/** The org's SAML external identities, 100 per page. */
const SAML_QUERY = `query($org: String!, $after: String) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { samlIdentity { nameId emails { value } } user { login databaseId } }
      }
    }
  }
}`;
const samlPage = z.object({
  organization: z
    .object({
      samlIdentityProvider: z
        .object({
          externalIdentities: z.object({
            pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
            nodes: z.array(
              z
                .object({
                  samlIdentity: z.object({ nameId: z.string().nullable().optional(), emails: z.array(z.object({ value: z.string().nullable().optional() })).nullable().optional() }).nullable().optional(),
                  user: z.object({ login: z.string(), databaseId: z.number().int().nullable().optional() }).nullable().optional(),
                })
                .nullable(),
            ),
          }),
        })
        .nullable(),
    })
    .nullable(),
});

/**
 * One SAML SSO credential authorisation (what mfawatch reads of it).
 * https://docs.github.com/en/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization
 */
const credentialAuthorization = z.object({
  login: z.string().min(1),
  credential_id: z.number().int(),
  credential_type: z.string(),
});
const credentialPage = z.array(credentialAuthorization);

/**
 * The stable id of one authorised credential: `ssh_key:<credential_id>`, `token:<credential_id>`
 * (personal access tokens, OAuth and app tokens), else the type reduced to [a-z0-9_] (provider
 * text) and the id.
 */
export function githubCredentialId(type: string, id: number): string {
  const t = type.toLowerCase();
  const kind = /ssh/.test(t) ? 'ssh_key' : /token/.test(t) ? 'token' : t.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 32) || 'credential';
  return `${kind}:${id}`;
}

/** A user object as GET /user/{account_id} answers it (what mfawatch reads of it). */
const webhookUserShape = z.object({ id: z.number().int(), login: z.string().min(1), html_url: z.string().optional() });
/** GET /orgs/{org}/memberships/{username}. */
const membershipShape = z.object({ state: z.string(), role: z.string(), user: webhookUserShape });

/**
 * The organisation's member count, to check the member listing against. GitHub's REST
 * "Get an organization" carries no member count (its `plan.filled_seats`, shown to owners only,
 * counts paid seats, pending invitations and outside collaborators included); GraphQL's
 * `membersWithRole.totalCount` is the number of members, readable with the read:org scope the
 * monitor already needs. https://docs.github.com/en/graphql/reference/objects#organization
 */
const MEMBER_COUNT_QUERY = `query($org: String!) { organization(login: $org) { membersWithRole { totalCount } } }`;
const memberCountAnswer = z.object({ organization: z.object({ membersWithRole: z.object({ totalCount: z.number().int().min(0) }) }) });

/** Knobs for tests: how many ms one "second" of Retry-After / backoff is (Octokit's retryAfterBaseValue). */
export interface GithubTuning {
  retryAfterBaseValue?: number;
}

type Listing =
  | { kind: 'members'; filter: 'all' | '2fa_disabled' | '2fa_insecure'; role?: 'admin' }
  | { kind: 'outside_collaborators'; filter: 'all' | '2fa_disabled' | '2fa_insecure' };

interface HttpLikeError {
  status?: number;
  message?: string;
  name?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function describeListing(org: string, l: Listing): string {
  const role = l.kind === 'members' && l.role ? `&role=${l.role}` : '';
  return `GET /orgs/${org}/${l.kind}?filter=${l.filter}${role}`;
}

/** Turns an Octokit error into a ProviderError whose message says what to do. */
export function classifyGithubError(err: unknown, org: string, what: string, secrets: readonly Secret[] = []): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as HttpLikeError;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const headers = e.response?.headers ?? {};
  const bodyMessage = (e.response?.data as { message?: unknown } | undefined)?.message;
  // GitHub's own message is shown to the operator; a proxy or server that echoes the request back
  // must not put the token in it.
  const ghMessage = typeof bodyMessage === 'string' ? redactSecrets(bodyMessage, secrets) : '';
  // Octokit reports a request that never got an answer as an HttpError with status 500 and no
  // response; a real 5xx carries the response.
  if (status === undefined || e.response === undefined) {
    const text = `${e.message ?? ''} ${String((e as { cause?: unknown }).cause ?? '')}`;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || /timeout|timed out/i.test(text)) {
      return new ProviderError(`GitHub did not answer ${what} in time`, { reason: 'timeout', provider: PROVIDER, hint: 'check connectivity to the GitHub API, or raise requestTimeout/scanDeadline', cause: err });
    }
    if (err instanceof TypeError || err instanceof SyntaxError) {
      return new ProviderError(`GitHub answered ${what} with a body mfawatch cannot read`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed', cause: err });
    }
    return new ProviderError(`could not reach GitHub for ${what} (${e.message ?? 'network error'})`, { reason: 'network', provider: PROVIDER, hint: 'check baseUrl, DNS, proxy and firewall', cause: err });
  }
  const reason = reasonForStatus(status);
  const remaining = headers['x-ratelimit-remaining'];
  if ((status === 403 || status === 429) && (String(remaining) === '0' || /rate limit/i.test(ghMessage))) {
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfter = Number(headers['retry-after']);
    const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Number.isFinite(reset) && reset > 0 ? reset * 1000 - Date.now() : undefined; // reset is real epoch time
    const kind = /secondary/i.test(ghMessage) ? 'secondary rate limit' : 'rate limit';
    return new ProviderError(`GitHub ${kind} hit during ${what} and the wait would pass the scan deadline`, {
      reason: 'rate_limited', provider: PROVIDER, status, ...(waitMs !== undefined ? { retryAfterMs: Math.max(0, waitMs) } : {}),
      hint: 'the scan will run again on schedule; use a dedicated token or scan less often', cause: err,
    });
  }
  if (status === 401) {
    return new ProviderError(`GitHub returned 401 for ${what}: the token is invalid, expired or revoked`, { reason, provider: PROVIDER, status, hint: `create a new token and set it in the environment (${README})`, cause: err });
  }
  if (status === 403) {
    if (/SAML/i.test(ghMessage)) {
      return new ProviderError(`GitHub returned 403 for ${what}: the organisation "${org}" enforces SAML SSO and the token is not authorised for it`, { reason, provider: PROVIDER, status, hint: `authorise the token for SSO in its settings (${README})`, cause: err });
    }
    return new ProviderError(`GitHub returned 403 for ${what}: the token lacks the read:org scope (classic) or the "Members: read" organisation permission (fine-grained)`, { reason, provider: PROVIDER, status, hint: README, cause: err });
  }
  if (status === 404) {
    return new ProviderError(`GitHub returned 404 for ${what}: organisation "${org}" does not exist or the token cannot see it`, { reason, provider: PROVIDER, status, hint: `check "org" and that the token's owner is a member (${README})`, cause: err });
  }
  if (status >= 500) {
    return new ProviderError(`GitHub returned ${status} for ${what} after retries`, { reason, provider: PROVIDER, status, hint: 'GitHub is having trouble (https://www.githubstatus.com); the scan will run again on schedule', cause: err });
  }
  return new ProviderError(`GitHub returned ${status} for ${what}${ghMessage ? `: ${ghMessage}` : ''}`, { reason, provider: PROVIDER, status, hint: README, cause: err });
}

/**
 * A transient error of a probe or a verification, with the advice that fits it: what happens next
 * is the event runner's backoff, not the next scheduled scan. Other errors keep their advice.
 */
function forEvents(error: ProviderError, next: string): ProviderError {
  if (!error.transient) return error;
  return new ProviderError(error.summary, { reason: error.reason, provider: error.provider, status: error.status, retryAfterMs: error.retryAfterMs, hint: next, cause: error });
}

/** A success body as JSON (undefined when cut off or not JSON); a body Octokit already read stays as it is. */
async function parseListBody(body: unknown): Promise<unknown> {
  if (!(body instanceof ReadableStream)) return body;
  try {
    return JSON.parse(await new Response(body).text()) as unknown;
  } catch {
    return undefined;
  }
}

/** True for GitHub's answer to a 2FA filter the token may not use (owners only) or the server does not know. */
function isFilterRefused(err: unknown): boolean {
  const status = (err as HttpLikeError | undefined)?.status;
  return status === 422 || status === 400;
}

/** Creates the monitor for one organisation. */
export function createGithubMonitor(config: GithubConfig, deps: ModuleDeps, tuning: GithubTuning = {}): Monitor {
  const scope: ScopeInfo = { id: '', label: config.org };
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const webBase = baseUrl === 'https://api.github.com' ? 'https://github.com' : baseUrl.replace(/\/api\/v3$/, '');

  function client(ctx: ScanContext): GithubClientInstance {
    // Waits are real time, whatever clock records timestamps.
    const canWait = (retryAfterSec: number, kind: string, retryCount: number): boolean => {
      const waitMs = retryAfterSec * (tuning.retryAfterBaseValue ?? 1000);
      const fits = Date.now() + waitMs < ctx.deadline.getTime();
      const willWait = fits && retryCount < 5;
      ctx.logger.warn({ monitor: config.id, kind, retryAfterSec, retryCount, willWait }, `GitHub ${kind} reached`);
      if (willWait) ctx.reportWait?.(waitMs);
      return willWait;
    };
    const octokit = new GithubClient({
      auth: config.token.reveal(),
      baseUrl,
      userAgent: 'mfawatch',
      // Every request on the wire (retries included) gets the scan's abort signal plus its own
      // timeout, and is counted. (A signal set in a request hook does not reach fetch once the
      // throttling plugin is loaded, so this is done at the fetch layer.)
      request: {
        // Success bodies reach the request hook below unread; it parses them (see there).
        parseSuccessResponseBody: false,
        fetch: (url: string | URL | Request, init?: RequestInit) => {
          ctx.countRequest();
          return fetchWithTimeout(deps.fetch, url, init, config.requestTimeout, [ctx.signal, init?.signal]);
        },
      },
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (message: string) => ctx.logger.debug({ monitor: config.id }, message),
        error: (message: string) => ctx.logger.debug({ monitor: config.id }, message),
      },
      throttle: {
        ...(tuning.retryAfterBaseValue !== undefined ? { retryAfterBaseValue: tuning.retryAfterBaseValue } : {}),
        onRateLimit: (retryAfter: number, _o: unknown, _k: unknown, retryCount: number) => canWait(retryAfter, 'primary rate limit', retryCount),
        onSecondaryRateLimit: (retryAfter: number, _o: unknown, _k: unknown, retryCount: number) => canWait(retryAfter, 'secondary rate limit', retryCount),
      },
      retry: {
        retries: config.retries,
        ...(tuning.retryAfterBaseValue !== undefined ? { retryAfterBaseValue: tuning.retryAfterBaseValue } : {}),
      },
    });
    // Each answer: its rate-limit headers feed metrics, and a list body must be a list. A body cut
    // off mid-stream or unparseable would otherwise reach pagination as an empty page: a silently
    // partial listing. Refuse it here, before pagination sees it.
    // Success bodies are parsed here with JSON.parse: Octokit's own parser (json-with-bigint, for
    // integers beyond 2^53 that these endpoints never return) rescans every body with a regex and
    // a reviver and cost about 1.5 ms of CPU per 100-user page, more than the rest of the scan.
    // Error bodies (4xx/5xx) are still parsed by Octokit, so its errors are unchanged.
    octokit.hook.wrap('request', async (request, options) => {
      const response = await request(options);
      response.data = await parseListBody(response.data);
      if (/\/(members|outside_collaborators)$/.test(new URL(options.url, 'http://x').pathname) && !Array.isArray(response.data)) {
        throw new ProviderError(`GitHub answered ${options.method} ${new URL(options.url, 'http://x').pathname} with a body that is not a list of users (truncated or malformed)`, {
          reason: 'malformed', provider: PROVIDER, status: response.status, hint: 'a proxy may be cutting or rewriting answers; nothing was committed and the next scan will retry',
        });
      }
      const remaining = Number(response.headers['x-ratelimit-remaining']);
      const reset = Number(response.headers['x-ratelimit-reset']);
      if (Number.isFinite(remaining)) ctx.reportRateLimit(remaining, Number.isFinite(reset) ? new Date(reset * 1000) : undefined);
      return response;
    });
    return octokit;
  }

  /** Yields each page of one listing, validated. */
  async function* pages(octokit: GithubClientInstance, listing: Listing): AsyncGenerator<ListedUser[]> {
    const what = describeListing(config.org, listing);
    const base = { org: config.org, filter: listing.filter, per_page: 100 } as const;
    const iterable =
      listing.kind === 'members'
        ? octokit.paginate.iterator('GET /orgs/{org}/members', listing.role ? { ...base, role: listing.role } : base)
        : octokit.paginate.iterator('GET /orgs/{org}/outside_collaborators', base);
    const iterator = iterable[Symbol.asyncIterator]();
    // GitHub's first page names the last one (rel="last"); a listing that stops short of it, or a
    // page that comes back empty while more are announced, is partial: refuse it rather than
    // report the missing accounts as removed.
    let expectedPages: number | undefined;
    let seenPages = 0;
    const partial = (detail: string) =>
      new ProviderError(`GitHub answered ${what} with a partial listing (${detail})`, {
        reason: 'malformed', provider: PROVIDER, hint: 'the list may have changed while it was paged through, or a proxy dropped a page; nothing was committed and the next scan will retry',
      });
    // Read-ahead of one page: the next page is requested as soon as this one has arrived, so
    // GitHub's work and the network overlap with the processing of this page. Requests stay
    // serial, one in flight at a time, as GitHub asks of clients; no page is requested that a
    // sequential scan would not request.
    let next = iterator.next();
    for (;;) {
      let step: IteratorResult<{ data: unknown; headers: Record<string, string | number | undefined> }>;
      try {
        step = await next;
      } catch (err) {
        throw err instanceof ProviderError ? err : Object.assign(err as object, { listing: what });
      }
      if (step.done) {
        if (expectedPages !== undefined && seenPages < expectedPages) throw partial(`it ended after page ${seenPages} of ${expectedPages}`);
        return;
      }
      next = iterator.next();
      // Awaited above on the next turn; this only keeps the failure of a page read ahead for a
      // scan that has already stopped from becoming an unhandled rejection.
      next.catch(() => undefined);
      seenPages += 1;
      const links = parseLinkHeader(String(step.value.headers.link ?? ''));
      if (seenPages === 1 && links.last) {
        const last = Number(new URL(links.last).searchParams.get('page'));
        if (Number.isInteger(last) && last > 1) expectedPages = last;
      }
      if (Array.isArray(step.value.data) && step.value.data.length === 0 && (links.next || (expectedPages !== undefined && seenPages < expectedPages))) {
        throw partial(`page ${seenPages} was empty while more pages were announced`);
      }
      const parsed = userPage.safeParse(step.value.data);
      if (!parsed.success) {
        throw new ProviderError(`GitHub answered ${what} with a body that is not a list of users`, {
          reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers, or baseUrl does not point at the REST API root (GitHub Enterprise Server: https://HOST/api/v3)',
        });
      }
      yield parsed.data;
    }
  }

  async function idSet(octokit: GithubClientInstance, listing: Listing): Promise<Set<number>> {
    const ids = new Set<number>();
    for await (const page of pages(octokit, listing)) for (const u of page) ids.add(u.id);
    return ids;
  }

  /** The 2FA sets of one list; `insecure` is null when GitHub refused the filter. */
  async function twoFactorSets(octokit: GithubClientInstance, kind: Listing['kind'], ctx: ScanContext) {
    let disabled: Set<number>;
    try {
      disabled = await idSet(octokit, { kind, filter: '2fa_disabled' });
    } catch (err) {
      if (!isFilterRefused(err)) throw err;
      throw new ProviderError(`GitHub refused filter=2fa_disabled on /orgs/${config.org}/${kind}: only organisation owners can see members' 2FA state`, {
        reason: 'permission', provider: PROVIDER, status: (err as HttpLikeError).status, hint: `use a token of an organisation owner (${README})`, cause: err,
      });
    }
    let insecure: Set<number> | null = null;
    try {
      insecure = await idSet(octokit, { kind, filter: '2fa_insecure' });
    } catch (err) {
      if (!isFilterRefused(err)) throw err;
      ctx.warn(`GitHub refused filter=2fa_insecure on ${kind} (older GitHub Enterprise Server, or not an owner): accounts with only SMS 2FA are reported as enabled, not weak`);
    }
    return { disabled, insecure };
  }

  /**
   * GitHub user id → email from the org's SAML identities (the NameID, or the first SAML email),
   * paged 100 at a time. Null when the organisation has no SAML identity provider.
   * https://docs.github.com/en/enterprise-cloud@latest/graphql/reference/objects#externalidentity
   */
  async function samlEmails(octokit: GithubClientInstance, ctx: ScanContext): Promise<Map<number, string> | null> {
    const emails = new Map<number, string>();
    let after: string | null = null;
    for (;;) {
      let answer: unknown;
      try {
        answer = await octokit.graphql(SAML_QUERY, { org: config.org, after });
      } catch (err) {
        const messages = ((err as { errors?: Array<{ type?: string; message?: string }> }).errors ?? []).map((e) => `${e.type ?? ''} ${e.message ?? ''}`.trim());
        if (messages.length) {
          throw new ProviderError(`GitHub refused the SAML identities of ${config.org} (${messages.join('; ')})`, { reason: 'permission', provider: PROVIDER, hint: `samlIdentities needs an organisation owner's token with admin:org (${README})`, cause: err });
        }
        throw Object.assign(err as object, { listing: `POST /graphql (SAML identities of ${config.org})` });
      }
      const parsed = samlPage.safeParse(answer);
      if (!parsed.success) throw new ProviderError(`GitHub answered the SAML identities query of ${config.org} with an unexpected shape`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry' });
      const provider = parsed.data.organization?.samlIdentityProvider;
      if (!provider) {
        ctx.warn(`samlIdentities is on, but ${config.org} has no SAML identity provider: GitHub accounts are not linked to people by SAML`);
        return null;
      }
      for (const node of provider.externalIdentities.nodes) {
        const id = node?.user?.databaseId;
        const email = node?.samlIdentity?.nameId?.includes('@') ? node.samlIdentity.nameId : node?.samlIdentity?.emails?.find((e) => e.value?.includes('@'))?.value;
        if (id && email) emails.set(id, email.toLowerCase());
      }
      if (!provider.externalIdentities.pageInfo.hasNextPage) return emails;
      after = provider.externalIdentities.pageInfo.endCursor;
    }
  }

  /**
   * Member login (lower case) → ids of the credentials authorised for the org's SAML SSO, paged
   * 100 at a time (`login`: that member's only). Null, with a warning, when GitHub answers 404
   * (the org does not use SAML SSO, or GitHub Enterprise Server) or 403 (not an owner's token):
   * credentials are then not reported and nothing about them is diffed.
   */
  async function samlCredentialIds(octokit: GithubClientInstance, ctx: ScanContext, login?: string): Promise<Map<string, string[]> | null> {
    const what = `GET /orgs/${config.org}/credential-authorizations`;
    const ids = new Map<string, string[]>();
    let expectedPages: number | undefined;
    let seenPages = 0;
    try {
      for await (const page of octokit.paginate.iterator('GET /orgs/{org}/credential-authorizations', { org: config.org, per_page: 100, ...(login ? { login } : {}) })) {
        seenPages += 1;
        const links = parseLinkHeader(String(page.headers.link ?? ''));
        if (seenPages === 1 && links.last) expectedPages = Number(new URL(links.last).searchParams.get('page')) || undefined;
        const parsed = credentialPage.safeParse(page.data);
        if (!parsed.success) {
          throw new ProviderError(`GitHub answered ${what} with a body that is not a list of credential authorisations`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers; nothing was committed and the next scan will retry' });
        }
        for (const c of parsed.data) {
          const key = c.login.toLowerCase();
          ids.set(key, [...(ids.get(key) ?? []), githubCredentialId(c.credential_type, c.credential_id)]);
        }
      }
    } catch (err) {
      const code = status(err);
      if (code === 404 || (code === 403 && !/rate limit|SAML/i.test(String((err as HttpLikeError).message)))) {
        ctx.warn(code === 404
          ? `samlCredentials is on, but GitHub answered 404 for ${what}: ${config.org} does not use SAML SSO (or this is GitHub Enterprise Server); credentials authorised for the org are not watched`
          : `samlCredentials is on, but GitHub answered 403 for ${what}: the token is not an organisation owner's with read:org; credentials authorised for the org are not watched (${README})`);
        return null;
      }
      throw err instanceof ProviderError ? err : Object.assign(err as object, { listing: what });
    }
    if (expectedPages !== undefined && seenPages < expectedPages) {
      throw new ProviderError(`GitHub answered ${what} with a partial listing (it ended after page ${seenPages} of ${expectedPages})`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry' });
    }
    return ids;
  }

  function observation(user: ListedUser, kind: 'member' | 'outside_collaborator', admin: boolean, sets: { disabled: Set<number>; insecure: Set<number> | null }, emails: Map<number, string> | null, credentials: Map<string, string[]> | null = null): Observation {
    let mfa: MfaState = 'enabled';
    if (sets.disabled.has(user.id)) mfa = 'disabled';
    else if (sets.insecure?.has(user.id)) mfa = 'weak';
    return {
      accountId: String(user.id),
      login: user.login,
      kind,
      admin,
      mfa,
      factors: mfa === 'weak' ? ['sms'] : [],
      url: user.html_url ?? `${webBase}/${user.login}`,
      ...(emails ? { email: emails.get(user.id) ?? null } : {}),
      // SAML SSO applies to members; outside collaborators authorise nothing for the org.
      ...(credentials && kind === 'member' ? { credentials: credentials.get(user.login.toLowerCase()) ?? [] } : {}),
    };
  }

  /**
   * The member count, or undefined when GitHub does not give it (GraphQL refused, an older GitHub
   * Enterprise Server): the core then confirms removals with a second scan instead.
   */
  async function memberCount(octokit: GithubClientInstance, ctx: ScanContext): Promise<number | undefined> {
    try {
      const parsed = memberCountAnswer.safeParse(await octokit.graphql(MEMBER_COUNT_QUERY, { org: config.org }));
      return parsed.success ? parsed.data.organization.membersWithRole.totalCount : undefined;
    } catch (err) {
      ctx.logger.debug({ monitor: config.id, err: (err as Error).message }, 'GitHub gave no member count; removals wait for a second scan');
      return undefined;
    }
  }

  async function* scanOrg(ctx: ScanContext): AsyncGenerator<Observation> {
    const octokit = client(ctx);
    const emails = config.samlIdentities ? await samlEmails(octokit, ctx) : null;
    const credentials = config.samlCredentials ? await samlCredentialIds(octokit, ctx) : null;
    const memberSets = await twoFactorSets(octokit, 'members', ctx);
    const admins = await idSet(octokit, { kind: 'members', filter: 'all', role: 'admin' });
    let listed = 0;
    for await (const page of pages(octokit, { kind: 'members', filter: 'all' })) {
      listed += page.length;
      for (const user of page) yield observation(user, 'member', admins.has(user.id), memberSets, emails, credentials);
    }
    // A last page cut short, or a rel="last" that lies, reads as a shorter list with no error:
    // fewer members listed than GitHub counts is a partial listing (or someone joined since the
    // listing: the next scan settles it). More (someone left since) is not: the removals of this
    // scan then wait for the next one. Read after the listing, so a fault of the listing itself
    // is reported as such.
    const counted = await memberCount(octokit, ctx);
    if (counted !== undefined && listed < counted) {
      throw new ProviderError(`GitHub listed ${listed} members of ${config.org} where the organisation counts ${counted} (membersWithRole.totalCount): a page was lost or cut short, or members left during the scan`, {
        reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry',
      });
    }
    if (counted === listed) ctx.listingCounted?.(['member']);
    if (!config.outsideCollaborators) return;
    const outsideSets = await twoFactorSets(octokit, 'outside_collaborators', ctx);
    for await (const page of pages(octokit, { kind: 'outside_collaborators', filter: 'all' })) {
      for (const user of page) yield observation(user, 'outside_collaborator', false, outsideSets, emails);
    }
  }

  /** A context for one probe or verification: its own deadline, requests counted. */
  function eventContext(signal: AbortSignal, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
    return eventCallContext(signal, config.requestTimeout * 2, deps.logger, config.id, counter, purpose);
  }

  const status = (err: unknown) => (err as HttpLikeError | undefined)?.status;

  /**
   * Re-reads one user, the way a scan would see it: membership and role from
   * GET /orgs/{org}/memberships/{username} (an `active` membership is a member; `pending` is an
   * invitation, which a scan does not list either), else an outside collaborator when listed;
   * 2FA from the same filter=2fa_disabled / 2fa_insecure listings as the scan. `gone` only on
   * GitHub's own 404s. https://docs.github.com/en/rest/orgs/members#get-organization-membership-for-a-user
   */
  async function readAccount(ref: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    const ctx = eventContext(signal, { requests: 0 }, 'verify');
    const octokit = client(ctx);
    let what = `the user ${ref.login ?? ref.accountId ?? ''}`;
    try {
      let login = ref.login;
      let htmlUrl: string | undefined;
      let id = ref.accountId !== undefined ? Number(ref.accountId) : undefined;
      if (id !== undefined) {
        // By id: the login may have been renamed (or reused) since the event.
        what = `GET /user/${id}`;
        try {
          const user = await octokit.request('GET /user/{account_id}', { account_id: id });
          const u = webhookUserShape.parse(user.data);
          login = u.login;
          htmlUrl = u.html_url;
        } catch (err) {
          if (status(err) === 404) return { status: 'gone', account: ref };
          throw err;
        }
      }
      if (!login) return { status: 'gone', account: ref };
      let kind: 'member' | 'outside_collaborator' | null = null;
      let admin = false;
      what = `GET /orgs/${config.org}/memberships/${login}`;
      try {
        const m = membershipShape.parse((await octokit.request('GET /orgs/{org}/memberships/{username}', { org: config.org, username: login })).data);
        id ??= m.user.id;
        htmlUrl ??= m.user.html_url;
        if (m.state === 'active') {
          kind = 'member';
          admin = m.role === 'admin';
        }
      } catch (err) {
        if (status(err) !== 404) throw err;
      }
      if (!kind && config.outsideCollaborators) {
        what = `GET /orgs/${config.org}/outside_collaborators`;
        for await (const page of pages(octokit, { kind: 'outside_collaborators', filter: 'all' })) {
          const found = page.find((u) => (id !== undefined ? u.id === id : u.login.toLowerCase() === login?.toLowerCase()));
          if (found) {
            id = found.id;
            htmlUrl ??= found.html_url;
            kind = 'outside_collaborator';
            break;
          }
        }
      }
      if (!kind || id === undefined) return { status: 'gone', account: ref };
      what = `the 2FA listings of ${config.org}`;
      const sets = await twoFactorSets(octokit, kind === 'member' ? 'members' : 'outside_collaborators', ctx);
      what = `GET /orgs/${config.org}/credential-authorizations?login=${login}`;
      const credentials = config.samlCredentials && kind === 'member' ? await samlCredentialIds(octokit, ctx, login) : null;
      return { status: 'present', observation: observation({ id, login, ...(htmlUrl ? { html_url: htmlUrl } : {}) }, kind, admin, sets, null, credentials) };
    } catch (err) {
      throw forEvents(classifyGithubError(err, config.org, (err as { listing?: string } | undefined)?.listing ?? what, [config.token]), AFTER_VERIFY_FAILURE);
    }
  }

  /** The ids (and logins) of every account without 2FA: members, and outside collaborators when watched. */
  async function withoutTwoFactor(signal: AbortSignal, counter: { requests: number }): Promise<Map<number, string>> {
    const ctx = eventContext(signal, counter, 'poll');
    const octokit = client(ctx);
    const found = new Map<number, string>();
    const kinds: Array<'members' | 'outside_collaborators'> = config.outsideCollaborators ? ['members', 'outside_collaborators'] : ['members'];
    for (const kind of kinds) {
      try {
        for await (const page of pages(octokit, { kind, filter: '2fa_disabled' })) for (const u of page) found.set(u.id, u.login);
      } catch (err) {
        if (isFilterRefused(err)) {
          throw new ProviderError(`GitHub refused filter=2fa_disabled on /orgs/${config.org}/${kind}: only organisation owners can see members' 2FA state`, { reason: 'permission', provider: PROVIDER, status: status(err), hint: `use a token of an organisation owner (${README})`, cause: err });
        }
        throw forEvents(classifyGithubError(err, config.org, (err as { listing?: string } | undefined)?.listing ?? describeListing(config.org, { kind, filter: '2fa_disabled' }), [config.token]), AFTER_POLL_FAILURE);
      }
    }
    return found;
  }

  const sources: EventSource[] = [];
  const secret = config.events?.webhookSecret;
  if (secret) {
    sources.push({ kind: 'push', name: 'webhook', credential: { kind: 'signature', header: 'X-Hub-Signature-256', configKey: 'events.webhookSecret' }, receive: (request) => receiveGithubWebhook(config.org, secret, request, deps.clock.now()) });
  }
  const probe = config.events?.probe;
  if (config.events && probe !== false && probe !== undefined) {
    sources.push({
      kind: 'pull',
      name: 'probe',
      intervalMs: probe,
      poll: async (cursor, signal) => {
        const counter = { requests: 0 };
        const current = await withoutTwoFactor(signal, counter);
        return probeBatch(deps.clock.now(), current, cursor, counter.requests);
      },
    });
  }

  return {
    scopes: () => [scope],
    readAccount: (_scope, ref, signal) => readAccount(ref, signal),
    eventSources: () => sources,
    async *scan(_scope: ScopeInfo, ctx: ScanContext): AsyncGenerator<Observation> {
      try {
        yield* scanOrg(ctx);
      } catch (err) {
        const what = (err as { listing?: string } | undefined)?.listing ?? `the listing of ${config.org}`;
        throw classifyGithubError(err, config.org, what, [config.token]);
      }
    },
  };
}

export const githubMonitor: MonitorModule<GithubConfig> = {
  type: 'github',
  provider: PROVIDER,
  configSchema: githubConfigSchema,
  secretKeys: ['token', 'events.webhookSecret'],
  create: (config, deps) => createGithubMonitor(config, deps),
};
