/**
 * GitHub responder: for an organisation with SAML SSO, revokes the member's SSO authorisations
 * of personal access tokens and SSH keys, so every credential must be re-authorised through the
 * identity provider; optionally removes the member from the organisation.
 *   GET    /orgs/{org}/credential-authorizations?login={login}&per_page=100
 *   DELETE /orgs/{org}/credential-authorizations/{credential_id}     204
 *   DELETE /orgs/{org}/memberships/{username}                        204 (removeFromOrg only)
 * https://docs.github.com/en/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization
 * The logins come from the GitHub accounts linked to the identity (never guessed from the email).
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient, type ErrorDescription } from '../../src/http/client.js';
import { accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { githubResponderSchema, type GithubResponderConfig } from './config.js';

const SERVICE = 'GitHub';
const README = 'see responders/github/README.md';

const authorizations = z.array(z.object({ login: z.string(), credential_id: z.number().int(), credential_type: z.string().optional() }));

export function describeGithubResponderError(status: number, body: unknown): ErrorDescription | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  const msg = typeof m === 'string' ? m : '';
  if (status === 401) return { message: 'GitHub returned 401: the token is invalid, expired or revoked', hint: README };
  if (status === 403 && /rate limit/i.test(msg)) return { message: 'GitHub rate limit reached', reason: 'rate_limited', hint: 'the kill is retried' };
  if (status === 403) return { message: `GitHub returned 403: the token is not an organisation owner's with admin:org, or is not SSO-authorised${msg ? ` (${msg})` : ''}`, hint: README };
  return undefined;
}

export function createGithubResponder(config: GithubResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const org = encodeURIComponent(config.org);
  const http = createHttpClient({
    provider: SERVICE, baseUrl: base, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.token], describeError: describeGithubResponderError,
    headers: () => ({ authorization: `Bearer ${config.token.reveal()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }),
  });
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const logins = [...new Set(accountsOfType(target, 'github').map((a) => a.login))];
      if (logins.length === 0) return { outcome: 'not_found', detail: `no GitHub account is linked to ${target.identity} (link one with the github monitor's samlIdentities or identities.map)` };
      const done: string[] = [];
      for (const login of logins) {
        const listPath = `/orgs/${org}/credential-authorizations`;
        record({ method: 'GET', url: `${base}${listPath}?login=${encodeURIComponent(login)}&per_page=100`, note: `list ${login}'s SSO credential authorisations` });
        const list = await http.request({ path: listPath, query: { login, per_page: 100 }, signal, acceptStatus: [404] });
        if (list.status === 404) {
          return { outcome: 'unsupported', detail: `GitHub answered 404 for the SSO authorisations of ${config.org}: the organisation does not use SAML single sign-on (or the token cannot see it), so there is no SSO session to revoke` };
        }
        const parsed = authorizations.safeParse(list.data);
        if (!parsed.success) {
          throw new ProviderError(`GitHub answered the SSO authorisations of ${config.org} with a body that is not a list of credentials`, { reason: 'malformed', provider: SERVICE, hint: 'check baseUrl; nothing was revoked' });
        }
        const creds = parsed.data.filter((c) => c.login.toLowerCase() === login.toLowerCase());
        for (const c of creds) {
          const path = `/orgs/${org}/credential-authorizations/${c.credential_id}`;
          record({ method: 'DELETE', url: `${base}${path}`, note: `revoke SSO authorisation of ${c.credential_type ?? 'credential'} ${c.credential_id}` });
          if (!dryRun) await http.request({ method: 'DELETE', path, signal, acceptStatus: [404] });
        }
        if (config.removeFromOrg) {
          const path = `/orgs/${org}/memberships/${encodeURIComponent(login)}`;
          record({ method: 'DELETE', url: `${base}${path}`, note: `remove ${login} from ${config.org}` });
          if (!dryRun) await http.request({ method: 'DELETE', path, signal, acceptStatus: [404] });
        }
        done.push(`${login}: ${creds.length} credential authorisation(s)${config.removeFromOrg ? ', removed from the org' : ''}`);
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
