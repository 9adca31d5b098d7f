/**
 * Okta responder: finds the user by login (or email) and clears every session and OAuth token.
 *   GET    /api/v1/users/{login}                               (a login is accepted where an id is)
 *   DELETE /api/v1/users/{id}/sessions?oauthTokens=true        204 No Content
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserSessions/
 * Errors carry Okta's body {errorCode, errorSummary, errorLink, errorId, errorCauses}.
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient, pathSegment, requestUrl, waitForResetHeader, type ErrorDescription } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { oktaResponderSchema, type OktaResponderConfig } from './config.js';

const SERVICE = 'Okta';
const README = 'see responders/okta/README.md';

const oktaUser = z.object({ id: z.string().min(1), status: z.string().optional(), profile: z.object({ login: z.string().optional(), email: z.string().nullable().optional() }).optional() });
const oktaError = z.object({ errorCode: z.string(), errorSummary: z.string().optional() });

/** Okta's wording of a failed answer. */
export function describeOktaError(status: number, body: unknown): ErrorDescription | undefined {
  const parsed = oktaError.safeParse(body);
  const code = parsed.success ? ` (${parsed.data.errorCode})` : '';
  if (status === 401) return { message: `Okta returned 401${code}: the API token is invalid, expired or revoked`, hint: `create a new token and set it in the environment (${README})` };
  if (status === 403) return { message: `Okta returned 403${code}: the token lacks the okta.users.manage scope or its admin lacks a role that may clear user sessions`, hint: README };
  if (status === 429) return { message: `Okta returned 429${code}: rate limit reached`, hint: 'run the kill again once the limit resets (X-Rate-Limit-Reset; the Okta System Log shows who used the quota)' };
  return undefined;
}

export function createOktaResponder(config: OktaResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const http = createHttpClient({
    afterFailure: AFTER_KILL_FAILURE,
    provider: SERVICE,
    baseUrl: base,
    fetch: deps.fetch,
    sleep: deps.sleep,
    timeoutMs: config.requestTimeout,
    headers: () => ({ authorization: `${config.tokenType} ${config.token.reveal()}` }),
    secrets: [config.token],
    describeError: (status, body) => describeOktaError(status, body),
    // Okta's 429 carries X-Rate-Limit-Reset (epoch seconds), not Retry-After.
    retryAfterFromHeaders: waitForResetHeader('x-rate-limit-reset'),
  });
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const linked = accountsOfType(target, 'okta')[0];
      const login = linked?.accountId ?? target.identity;
      const lookupPath = `/api/v1/users/${pathSegment(login, SERVICE)}`;
      record({ method: 'GET', url: requestUrl(base, lookupPath), note: 'find the user' });
      const found = await http.request({ path: lookupPath, signal, acceptStatus: [404] });
      if (found.status === 404) return { outcome: 'not_found', detail: `Okta has no user with login or id "${login}"` };
      const user = oktaUser.safeParse(found.data);
      if (!user.success) throw new ProviderError('Okta answered the user lookup with a body of an unexpected shape', { reason: 'malformed', provider: SERVICE, hint: 'check that baseUrl is the Okta org URL' });
      const killPath = `/api/v1/users/${pathSegment(user.data.id, SERVICE)}/sessions`;
      record({ method: 'DELETE', url: requestUrl(base, killPath, { oauthTokens: true }), note: 'clear all sessions and revoke OAuth tokens' });
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would clear the sessions and OAuth tokens of Okta user ${user.data.id}` };
      await http.request({ method: 'DELETE', path: killPath, query: { oauthTokens: true }, signal });
      return { outcome: 'succeeded', detail: `cleared all sessions and revoked OAuth tokens of Okta user ${user.data.id} (${user.data.profile?.login ?? login})` };
    },
  };
}

export const oktaResponder: ResponderModule<OktaResponderConfig> = {
  type: 'okta',
  service: SERVICE,
  configSchema: oktaResponderSchema,
  secretKeys: ['token'],
  create: (config, deps) => createOktaResponder(config, deps),
};

export default registerResponder(oktaResponder);
