/**
 * GitHub responder: for an organisation with SAML SSO, revokes the member's SSO authorisations
 * of personal access tokens and SSH keys, so every credential must be re-authorised through the
 * identity provider; optionally removes the member from the organisation.
 *   GET    /orgs/{org}/credential-authorizations?login={login}&per_page=100   (Link-header pages)
 *   DELETE /orgs/{org}/credential-authorizations/{credential_id}     204
 *   DELETE /orgs/{org}/memberships/{username}                        204 (removeFromOrg only)
 * https://docs.github.com/en/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization
 * The logins come from the GitHub accounts linked to the identity (never guessed from the email).
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient, parseLinkHeader, pathSegment, requestUrl, waitForResetHeader, type ErrorDescription } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type ApiCall, type Responder, type ResponderModule } from '../types.js';
import { githubResponderSchema, type GithubResponderConfig } from './config.js';

const SERVICE = 'GitHub';
const README = 'see responders/github/README.md';

const authorizations = z.array(z.object({ login: z.string(), credential_id: z.number().int(), credential_type: z.string().optional() }));

export function describeGithubResponderError(status: number, body: unknown): ErrorDescription | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  const msg = typeof m === 'string' ? m : '';
  if (status === 401) return { message: 'GitHub returned 401: the token is invalid, expired or revoked', hint: README };
  if ((status === 403 || status === 429) && /rate limit/i.test(msg)) return { message: `GitHub rate limit reached (${status}: ${msg})`, reason: 'rate_limited', hint: 'run the kill again once the limit resets' };
  if (status === 403) return { message: `GitHub returned 403: the token is not an organisation owner's with admin:org, or is not SSO-authorised${msg ? ` (${msg})` : ''}`, hint: README };
  return undefined;
}

type Credential = z.infer<typeof authorizations>[number];

/** One login's SSO credential authorisations, every page, with what made the listing untrustworthy. */
interface Listing {
  credentials: Credential[];
  /** Why the listing may lack credentials ("it ended at page 2 of 3"), or undefined when whole. */
  incomplete: string | undefined;
}

export function createGithubResponder(config: GithubResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const org = pathSegment(config.org, SERVICE, 'an organisation');
  const http = createHttpClient({
    afterFailure: AFTER_KILL_FAILURE,
    provider: SERVICE, baseUrl: base, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.token], describeError: describeGithubResponderError,
    // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
    retryAfterFromHeaders: waitForResetHeader('x-ratelimit-reset', 'x-ratelimit-remaining'),
    headers: () => ({ authorization: `Bearer ${config.token.reveal()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }),
  });
  const listPath = `/orgs/${org}/credential-authorizations`;

  /**
   * Follows the Link header's rel="next" (GitHub pages by number; rel="last" on the first page
   * says how many there are). A listing that ends before its last page, or repeats a credential
   * (the list moved while it was read), is marked incomplete: some credentials were not seen.
   * Returns undefined when GitHub answers 404: the organisation has no SAML SSO.
   */
  async function listCredentials(login: string, signal: AbortSignal, record: (call: ApiCall) => void): Promise<Listing | undefined> {
    const seen = new Map<number, Credential>();
    let repeated = 0;
    let pages = 0;
    let lastPage: number | undefined;
    let next: string | undefined = requestUrl(base, listPath, { login, per_page: '100' });
    while (next) {
      record({ method: 'GET', url: next, note: `list ${login}'s SSO credential authorisations${pages ? ` (page ${pages + 1})` : ''}` });
      const page = await http.request({ path: next, signal, acceptStatus: [404] });
      if (page.status === 404) {
        if (pages === 0) return undefined;
        throw new ProviderError(`GitHub answered 404 for page ${pages + 1} of ${login}'s SSO authorisations in ${config.org}`, { reason: 'malformed', provider: SERVICE, hint: 'run the kill again' });
      }
      const parsed = authorizations.safeParse(page.data);
      if (!parsed.success) {
        throw new ProviderError(`GitHub answered the SSO authorisations of ${config.org} with a body that is not a list of credentials`, { reason: 'malformed', provider: SERVICE, hint: 'check baseUrl; nothing was revoked' });
      }
      pages += 1;
      for (const c of parsed.data) {
        if (seen.has(c.credential_id)) repeated += 1;
        else seen.set(c.credential_id, c);
      }
      const links = parseLinkHeader(page.headers.get('link'));
      if (pages === 1 && links.last) lastPage = Number(new URL(links.last, base).searchParams.get('page')) || undefined;
      next = links.next;
    }
    const incomplete = lastPage !== undefined && pages < lastPage ? `the listing ended at page ${pages} of ${lastPage}` : repeated > 0 ? `the listing repeated ${repeated} credential(s) across pages (it changed while it was read)` : undefined;
    return { credentials: [...seen.values()].filter((c) => c.login.toLowerCase() === login.toLowerCase()), incomplete };
  }

  return {
    async invalidate(target, { dryRun, signal, record }) {
      const logins = [...new Set(accountsOfType(target, 'github').map((a) => a.login))];
      if (logins.length === 0) return { outcome: 'not_found', detail: `no GitHub account is linked to ${target.identity} (link one with the github monitor's samlIdentities or identities.map)` };
      const done: string[] = [];
      for (const login of logins) {
        const listing = await listCredentials(login, signal, record);
        if (!listing) {
          return { outcome: 'unsupported', detail: `GitHub answered 404 for the SSO authorisations of ${config.org}: the organisation does not use SAML single sign-on (or the token cannot see it), so there is no SSO session to revoke` };
        }
        // What was seen is revoked even when the listing was incomplete: every revocation counts.
        for (const c of listing.credentials) {
          const path = `${listPath}/${c.credential_id}`;
          record({ method: 'DELETE', url: requestUrl(base, path), note: `revoke SSO authorisation of ${c.credential_type ?? 'credential'} ${c.credential_id}` });
          if (!dryRun) await http.request({ method: 'DELETE', path, signal, acceptStatus: [404] });
        }
        if (listing.incomplete) {
          throw new ProviderError(`GitHub's SSO authorisations of ${login} in ${config.org} could not all be read: ${listing.incomplete}; ${dryRun ? 'a real kill would revoke' : 'revoked'} the ${listing.credentials.length} seen, others may remain`, { reason: 'malformed', provider: SERVICE, hint: 'run the kill again' });
        }
        // A page cut at a row boundary (fewer rows, no error) leaves no trace in the listing and
        // GitHub gives no count: the kill is done only when a second listing finds none left.
        if (!dryRun && listing.credentials.length > 0) {
          const left = await listCredentials(login, signal, record);
          if (left && left.credentials.length > 0) {
            throw new ProviderError(`GitHub still lists ${left.credentials.length} SSO authorisation(s) of ${login} in ${config.org} after revoking the ${listing.credentials.length} seen (a page of the first listing was cut short, or new ones were made meanwhile)`, { reason: 'malformed', provider: SERVICE, hint: 'run the kill again' });
          }
        }
        if (config.removeFromOrg) {
          const path = `/orgs/${org}/memberships/${pathSegment(login, SERVICE)}`;
          record({ method: 'DELETE', url: requestUrl(base, path), note: `remove ${login} from ${config.org}` });
          if (!dryRun) await http.request({ method: 'DELETE', path, signal, acceptStatus: [404] });
        }
        done.push(`${login}: ${listing.credentials.length} credential authorisation(s)${config.removeFromOrg ? ', removed from the org' : ''}`);
      }
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would revoke ${done.join('; ')}` };
      return { outcome: 'succeeded', detail: `revoked in ${config.org}: ${done.join('; ')}` };
    },
  };
}

export const githubResponder: ResponderModule<GithubResponderConfig> = {
  type: 'github',
  service: SERVICE,
  configSchema: githubResponderSchema,
  secretKeys: ['token'],
  create: (config, deps) => createGithubResponder(config, deps),
};

export default registerResponder(githubResponder);
