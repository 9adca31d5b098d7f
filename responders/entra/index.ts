/**
 * Entra ID responder: revokes every refresh token and session cookie of the user.
 *   POST {loginUrl}/{tenant}/oauth2/v2.0/token   client credentials, scope {graph}/.default
 *   GET  /v1.0/users?$filter=userPrincipalName eq '…' or mail eq '…'&$select=id,userPrincipalName
 *   POST /v1.0/users/{id}/revokeSignInSessions   200 {"value": true}
 * https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions
 * Graph errors: {"error": {"code": "Authorization_RequestDenied", "message": "…"}}.
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient, pathSegment, requestUrl, type ErrorDescription } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { entraResponderSchema, type EntraResponderConfig } from './config.js';

const SERVICE = 'Entra ID';
const README = 'see responders/entra/README.md';

const graphError = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });
const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().optional() });
const userList = z.object({ value: z.array(z.object({ id: z.string().min(1), userPrincipalName: z.string().nullable().optional() })) });

/** Graph's and the token endpoint's wording of a failed answer. */
export function describeEntraError(status: number, body: unknown): ErrorDescription | undefined {
  const g = graphError.safeParse(body);
  const code = g.success ? ` (${g.data.error.code})` : typeof (body as { error?: unknown } | undefined)?.error === 'string' ? ` (${(body as { error: string }).error})` : '';
  if (status === 400 || status === 401) return { message: `Entra ID returned ${status}${code}: the app registration's client id or secret is wrong or expired`, hint: README, reason: 'auth' };
  if (status === 403) return { message: `Entra ID returned 403${code}: the app lacks the User.RevokeSessions.All application permission (with admin consent)`, hint: README };
  return undefined;
}

export function createEntraResponder(config: EntraResponderConfig, deps: ModuleDeps): Responder {
  const graph = config.graphUrl.replace(/\/+$/, '');
  let cached: { token: string; until: number } | null = null;
  const login = createHttpClient({ afterFailure: AFTER_KILL_FAILURE, provider: SERVICE, baseUrl: config.loginUrl, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.clientSecret], describeError: describeEntraError });
  const token = async (signal: AbortSignal): Promise<string> => {
    if (cached && cached.until > Date.now()) return cached.token;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret.reveal(), scope: `${graph}/.default` });
    const r = await login.request({ method: 'POST', path: `/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`, body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal }, tokenAnswer);
    cached = { token: r.data.access_token, until: Date.now() + Math.max(0, (r.data.expires_in ?? 300) - 60) * 1000 };
    return cached.token;
  };
  const http = createHttpClient({ afterFailure: AFTER_KILL_FAILURE, provider: SERVICE, baseUrl: graph, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.clientSecret], describeError: describeEntraError });
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const headers = { authorization: `Bearer ${await token(signal)}` };
      const linked = accountsOfType(target, 'entra')[0];
      let id = linked?.accountId;
      if (!id) {
        const who = target.identity.replace(/'/g, "''");
        const filter = `userPrincipalName eq '${who}' or mail eq '${who}'`;
        record({ method: 'GET', url: requestUrl(graph, '/v1.0/users', { $filter: filter, $select: 'id,userPrincipalName' }), note: 'find the user' });
        const found = await http.request({ path: '/v1.0/users', query: { $filter: filter, $select: 'id,userPrincipalName' }, headers, signal }, userList);
        if (found.data.value.length === 0) return { outcome: 'not_found', detail: `Entra ID has no user whose userPrincipalName or mail is ${target.identity}` };
        if (found.data.value.length > 1) {
          throw new ProviderError(`Entra ID has ${found.data.value.length} users whose userPrincipalName or mail is ${target.identity}; mfawatch will not guess which one`, { reason: 'client', provider: SERVICE, hint: 'map the identity to the right object id with identities.map ("entra:<objectId>")' });
        }
        id = found.data.value[0]?.id ?? '';
      }
      const path = `/v1.0/users/${pathSegment(id, SERVICE)}/revokeSignInSessions`;
      record({ method: 'POST', url: requestUrl(graph, path), note: 'revoke all refresh tokens and session cookies' });
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would revoke the sign-in sessions of Entra user ${id}` };
      const r = await http.request({ method: 'POST', path, headers, signal, acceptStatus: [404] });
      if (r.status === 404) return { outcome: 'not_found', detail: `Entra ID has no user ${id}` };
      return { outcome: 'succeeded', detail: `revoked all refresh tokens and session cookies of Entra user ${id}` };
    },
  };
}

export const entraResponder: ResponderModule<EntraResponderConfig> = {
  type: 'entra',
  service: SERVICE,
  configSchema: entraResponderSchema,
  secretKeys: ['clientSecret'],
  create: (config, deps) => createEntraResponder(config, deps),
};

export default registerResponder(entraResponder);
