/**
 * Google Workspace responder: signs the user out of every web and device session and resets
 * their sign-in cookies (Admin SDK Directory API), through a service account with domain-wide
 * delegation acting as an admin (google-auth-library JWT).
 *   POST {tokenUrl}                                                  JWT bearer grant
 *   POST /admin/directory/v1/users/{userKey}/signOut                 204 No Content
 * Scope: https://www.googleapis.com/auth/admin.directory.user.security
 * https://developers.google.com/workspace/admin/directory/reference/rest/v1/users/signOut
 * Errors: {"error": {"code": 404, "message": "Resource Not Found: userKey", "errors": [...]}}.
 */
import { readFileSync } from 'node:fs';
import { JWT } from 'google-auth-library';
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secret.js';
import { createHttpClient, pathSegment, requestUrl, type ErrorDescription } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { googleResponderSchema, type GoogleResponderConfig } from './config.js';

const SERVICE = 'Google Workspace';
const README = 'see responders/google-workspace/README.md';
export const GOOGLE_SIGNOUT_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.security';
const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const keyFile = z.object({ client_email: z.string().min(1), private_key: z.string().min(1) });
const googleError = z.object({ error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional(), errors: z.array(z.object({ reason: z.string().optional() })).optional() }) });
/** 403 reasons that are Google's rate limits, not a missing privilege. https://developers.google.com/workspace/admin/directory/v1/limits */
const RATE_LIMIT_REASONS: ReadonlySet<string> = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

export function describeGoogleError(status: number, body: unknown): ErrorDescription | undefined {
  const g = googleError.safeParse(body);
  const why = g.success && g.data.error.message ? ` (${g.data.error.message})` : '';
  if (status === 401) return { message: `Google returned 401${why}: the service-account token was refused`, hint: README };
  const limit = g.success ? g.data.error.errors?.find((e) => e.reason !== undefined && RATE_LIMIT_REASONS.has(e.reason))?.reason : undefined;
  if (status === 403 && limit) return { message: `Google rate limit reached (403 ${limit})`, hint: 'run the kill again in a few minutes', reason: 'rate_limited' };
  if (status === 403) return { message: `Google returned 403${why}: the impersonated admin lacks the user-security privilege, or domain-wide delegation does not grant ${GOOGLE_SIGNOUT_SCOPE}`, hint: README };
  return undefined;
}

function readKey(config: GoogleResponderConfig): { email: string; key: Secret } {
  let text: string;
  try {
    text = config.serviceAccountKey ? config.serviceAccountKey.reveal() : readFileSync(config.serviceAccountKeyFile ?? '', 'utf8');
  } catch (err) {
    throw new ProviderError(`cannot read the service-account key file (${(err as { code?: string }).code ?? 'error'})`, { reason: 'auth', provider: SERVICE, hint: README });
  }
  let parsed: z.infer<typeof keyFile>;
  try {
    parsed = keyFile.parse(JSON.parse(text));
  } catch {
    throw new ProviderError('the service-account key is not a Google key JSON (client_email, private_key)', { reason: 'auth', provider: SERVICE, hint: README });
  }
  return { email: parsed.client_email, key: new Secret(parsed.private_key) };
}

export function createGoogleResponder(config: GoogleResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const http = createHttpClient({ afterFailure: AFTER_KILL_FAILURE, provider: SERVICE, baseUrl: base, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, describeError: describeGoogleError });
  let jwt: JWT | null = null;
  const client = (): JWT => {
    if (jwt) return jwt;
    const { email, key } = readKey(config);
    // google-auth-library always posts to Google's token URL; an override (a fake) is applied at the fetch layer.
    const fetchImplementation = ((input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
      return deps.fetch(url.startsWith(DEFAULT_TOKEN_URL) ? config.tokenUrl : input, init);
    }) as typeof fetch;
    jwt = new JWT({ email, key: key.reveal(), scopes: [GOOGLE_SIGNOUT_SCOPE], subject: config.adminEmail, transporterOptions: { fetchImplementation } });
    return jwt;
  };
  const accessToken = async (): Promise<Secret> => {
    try {
      const { token } = await client().getAccessToken();
      if (!token) throw new Error('no token');
      return new Secret(token);
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const status = (err as { status?: number; response?: { status?: number } }).response?.status;
      const grant = ((err as { response?: { data?: { error?: unknown } } }).response?.data?.error);
      const reason = status === undefined ? 'network' : status >= 500 ? 'server' : 'auth';
      if (status === undefined) {
        // No answer from the token endpoint (refused, reset, unreadable): not a refusal of the key.
        const code = (err as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
        throw new ProviderError(`could not get a Google access token from tokenUrl${typeof code === 'string' ? ` (${code})` : ''}`, { reason, provider: SERVICE, hint: 'check tokenUrl, DNS, proxy and firewall, then run the kill again', cause: err });
      }
      throw new ProviderError(`Google refused the service-account token${typeof grant === 'string' ? ` (${grant})` : status ? ` (${status})` : ''}: check the key, that domain-wide delegation grants ${GOOGLE_SIGNOUT_SCOPE} and that adminEmail is an admin`, { reason, provider: SERVICE, status, hint: README });
    }
  };
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const userKey = accountsOfType(target, 'google-workspace')[0]?.accountId ?? target.identity;
      const path = `/admin/directory/v1/users/${pathSegment(userKey, SERVICE)}/signOut`;
      record({ method: 'POST', url: requestUrl(base, path), note: 'sign out of all web and device sessions, reset sign-in cookies' });
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would sign Google user ${userKey} out everywhere` };
      const token = await accessToken();
      const r = await http.request({ method: 'POST', path, headers: { authorization: `Bearer ${token.reveal()}` }, signal, acceptStatus: [404] });
      if (r.status === 404) return { outcome: 'not_found', detail: `Google Workspace has no user ${userKey}` };
      return { outcome: 'succeeded', detail: `signed Google user ${userKey} out of every web and device session` };
    },
  };
}

export const googleWorkspaceResponder: ResponderModule<GoogleResponderConfig> = {
  type: 'google-workspace',
  service: SERVICE,
  configSchema: googleResponderSchema as unknown as ResponderModule<GoogleResponderConfig>['configSchema'],
  secretKeys: ['serviceAccountKey'],
  create: (config, deps) => createGoogleResponder(config, deps),
};

export default registerResponder(googleWorkspaceResponder);
