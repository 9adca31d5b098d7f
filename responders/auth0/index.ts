/**
 * Auth0 responder: for each user of the identity, deletes every session and refresh token and
 * invalidates the browsers remembered for MFA (Management API v2).
 *   POST   /oauth/token                                            client credentials
 *   GET    /api/v2/users-by-email?email=…                          (when no Auth0 account is linked)
 *   DELETE /api/v2/users/{id}/sessions                             scope delete:sessions
 *   DELETE /api/v2/users/{id}/refresh-tokens                       scope delete:refresh_tokens
 *   POST   /api/v2/users/{id}/multifactor/actions/invalidate-remember-browser   scope update:users
 * https://auth0.com/docs/api/management/v2/users/delete-sessions-for-user
 * Errors: {"statusCode": 403, "error": "Forbidden", "message": "…", "errorCode": "insufficient_scope"}.
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { createHttpClient, pathSegment, requestUrl, waitForResetHeader, type ErrorDescription } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { auth0ResponderSchema, type Auth0ResponderConfig } from './config.js';

const SERVICE = 'Auth0';
const README = 'see responders/auth0/README.md';

const auth0Error = z.object({ statusCode: z.number().optional(), error: z.string().optional(), message: z.string().optional(), errorCode: z.string().optional() });
const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().optional() });
const usersByEmail = z.array(z.object({ user_id: z.string().min(1), email: z.string().optional(), email_verified: z.boolean().optional() }));

/** Auth0's wording of a failed answer. */
export function describeAuth0Error(status: number, body: unknown): ErrorDescription | undefined {
  const e = auth0Error.safeParse(body);
  const code = e.success && (e.data.errorCode ?? (typeof e.data.error === 'string' ? e.data.error : undefined));
  const tag = code ? ` (${code})` : '';
  if (status === 401) return { message: `Auth0 returned 401${tag}: the client id/secret is wrong or the application is not authorised for the Management API`, hint: README };
  if (status === 403) return { message: `Auth0 returned 403${tag}: the Management API grant lacks delete:sessions, delete:refresh_tokens, update:users or read:users`, hint: README };
  if (status === 429) return { message: `Auth0 returned 429${tag}: Management API rate limit reached`, hint: 'run the kill again once the limit resets (x-ratelimit-reset)' };
  return undefined;
}

export function createAuth0Responder(config: Auth0ResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const audience = config.audience ?? `${base}/api/v2/`;
  const http = createHttpClient({ afterFailure: AFTER_KILL_FAILURE, provider: SERVICE, baseUrl: base, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.clientSecret], describeError: describeAuth0Error, retryAfterFromHeaders: waitForResetHeader('x-ratelimit-reset') });
  let cached: { token: string; until: number } | null = null;
  const token = async (signal: AbortSignal): Promise<string> => {
    if (cached && cached.until > Date.now()) return cached.token;
    const r = await http.request({ method: 'POST', path: '/oauth/token', json: { grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret.reveal(), audience }, signal }, tokenAnswer);
    cached = { token: r.data.access_token, until: Date.now() + Math.max(0, (r.data.expires_in ?? 300) - 60) * 1000 };
    return cached.token;
  };
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const headers = { authorization: `Bearer ${await token(signal)}` };
      let ids = accountsOfType(target, 'auth0').map((a) => a.accountId);
      const notes: string[] = [];
      if (ids.length === 0) {
        record({ method: 'GET', url: requestUrl(base, '/api/v2/users-by-email', { email: target.identity }), note: 'find the users with this email' });
        const found = await http.request({ path: '/api/v2/users-by-email', query: { email: target.identity }, headers, signal }, usersByEmail);
        // An unverified email proves nothing about who owns the account: never act on it.
        const unverified = found.data.filter((u) => u.email_verified !== true);
        if (unverified.length) notes.push(`left ${unverified.length} user(s) with an unverified email alone`);
        ids = found.data.filter((u) => u.email_verified === true).map((u) => u.user_id);
      }
      if (ids.length === 0) return { outcome: 'not_found', detail: `Auth0 has no user with the verified email ${target.identity}${notes.length ? ` (${notes.join('; ')})` : ''}` };
      for (const id of ids) {
        const u = `/api/v2/users/${pathSegment(id, SERVICE)}`;
        record({ method: 'DELETE', url: requestUrl(base, `${u}/sessions`), note: 'delete all sessions' });
        record({ method: 'DELETE', url: requestUrl(base, `${u}/refresh-tokens`), note: 'delete all refresh tokens' });
        record({ method: 'POST', url: requestUrl(base, `${u}/multifactor/actions/invalidate-remember-browser`), note: 'forget browsers remembered for MFA' });
        if (dryRun) continue;
        await http.request({ method: 'DELETE', path: `${u}/sessions`, headers, signal });
        await http.request({ method: 'DELETE', path: `${u}/refresh-tokens`, headers, signal });
        await http.request({ method: 'POST', path: `${u}/multifactor/actions/invalidate-remember-browser`, headers, signal });
      }
      const list = ids.join(', ');
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would delete sessions and refresh tokens and forget remembered browsers of ${list}` };
      return { outcome: 'succeeded', detail: `deleted sessions and refresh tokens and forgot remembered browsers of ${list}${notes.length ? `; ${notes.join('; ')}` : ''}` };
    },
  };
}

export const auth0Responder: ResponderModule<Auth0ResponderConfig> = {
  type: 'auth0',
  service: SERVICE,
  configSchema: auth0ResponderSchema,
  secretKeys: ['clientSecret'],
  create: (config, deps) => createAuth0Responder(config, deps),
};

export default registerResponder(auth0Responder);
