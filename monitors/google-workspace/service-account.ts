/**
 * The Google service-account access token, shared by the google-workspace monitor (scan, event
 * polls, account re-reads) and the `googleGroups` routing reader: the JSON key (inline or from a
 * file) checked, a google-auth-library JWT with domain-wide delegation acting as `subject` for one
 * scope, its one token request sent to `tokenUri`, a refused token explained, and every secret
 * (the key, its private key, each access token) listed for scrubbing. With a token cache, an
 * access token serves every call until shortly before it expires (Google's tokens last an hour).
 * https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { fetchWithTimeout } from '../../src/core/abort.js';
import { ProviderError, type ErrorReason } from '../../src/core/errors.js';
import type { Secret } from '../../src/core/secret.js';

const PROVIDER = 'Google Workspace';
const README = 'see monitors/google-workspace/README.md';
/** The token endpoint google-auth-library posts to (and the JWT `aud` Google requires). */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/**
 * A kept token is not handed out in its last five minutes, so that a call never starts with a
 * token about to expire (google-auth-library's own eagerRefreshThresholdMillis default).
 */
const EXPIRY_MARGIN_MS = 5 * 60_000;

const serviceAccountKey = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(1),
  client_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  token_uri: z.string().optional(),
});
type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

/** Where the service-account JSON key comes from: inline (from the environment) or a file. */
export interface ServiceAccountKeySource {
  serviceAccountKey?: Secret | undefined;
  serviceAccountKeyFile?: string | undefined;
}

/** An access token and when it stops being handed out (ms, on the cache's clock). */
interface KeptToken {
  token: string;
  expiresAt: number;
}

/**
 * Access tokens kept between calls, one per scope, subject, token endpoint and key (a new key,
 * or a key file that changed, gets a token of its own). One token request at a time per entry:
 * calls that need a token while one is being fetched wait for that one.
 */
export interface ServiceAccountTokenCache {
  readonly now: () => number;
  readonly kept: Map<string, KeptToken>;
  readonly pending: Map<string, Promise<KeptToken>>;
}

/** An empty token cache on this clock (ms since the epoch). */
export function serviceAccountTokenCache(now: () => number): ServiceAccountTokenCache {
  return { now, kept: new Map(), pending: new Map() };
}

/** What one token provider needs: the key, whom to act as, for which scope, and over which wire. */
export interface ServiceAccountTokenOptions {
  key: ServiceAccountKeySource;
  /** The Workspace user the service account acts as (domain-wide delegation's `sub`). */
  subject: string;
  /** The token endpoint; else the key's `token_uri`, else Google's. */
  tokenUri?: string | undefined;
  /** The one scope the token is for; named in the errors when delegation lacks it. */
  scope: string;
  fetch: typeof fetch;
  /** The token request's own timeout. */
  timeoutMs: number;
  /**
   * The caller's signal: the call stops waiting for a token when it aborts. The token request
   * itself is bounded only by `timeoutMs`, since other calls may be waiting for the same token.
   */
  signal?: AbortSignal | undefined;
  /** Called once per token request this call sends, so the caller counts it with its API requests. */
  countRequest?: (() => void) | undefined;
  /** Tokens kept across calls; without one, each call requests its own token on first use. */
  cache?: ServiceAccountTokenCache | undefined;
}

/** A token provider for createHttpClient (`headers`, `secrets`). */
export interface ServiceAccountAuth {
  /** The authorization header, fetching the access token on first use. */
  headers: () => Promise<Record<string, string>>;
  /** The key, its private key and every access token issued: to scrub from errors. Grows as tokens arrive. */
  secrets: string[];
  /**
   * Google refused an access token this call sent (HTTP 401): it is no longer kept, so the next
   * call requests a new one instead of failing with it until it expires.
   */
  forgetToken: () => void;
}

/** `promise`, or the signal's reason as soon as `signal` aborts (the promise runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Google's own words, when they are short plain text: never a string that looks like a token or a
 * key fragment (a long run of base64 characters), whatever Google echoes back.
 */
export function plainGoogleText(text: string | undefined): string | undefined {
  if (!text || text.length > 300 || /[A-Za-z0-9+/=_-]{24,}/.test(text)) return undefined;
  return text;
}

/** The service-account key, read and checked; errors say which part is wrong and never quote it. */
async function loadKey(source: ServiceAccountKeySource): Promise<{ key: ServiceAccountKey; raw: string }> {
  let raw: string;
  if (source.serviceAccountKey) raw = source.serviceAccountKey.reveal();
  else {
    try {
      raw = await readFile(source.serviceAccountKeyFile ?? '', 'utf8');
    } catch (err) {
      throw new ProviderError(`cannot read serviceAccountKeyFile ${source.serviceAccountKeyFile ?? ''} (${(err as { code?: string }).code ?? 'error'})`, { reason: 'auth', provider: PROVIDER, hint: `check the path and that mfawatch may read it (${README})` });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ProviderError('the service account key is not valid JSON', { reason: 'auth', provider: PROVIDER, hint: `use the JSON key downloaded from the Google Cloud console (${README})` });
  }
  const parsed = serviceAccountKey.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(`the service account key is not a service-account JSON key (at ${parsed.error.issues[0]?.path.join('.') || '(root)'})`, { reason: 'auth', provider: PROVIDER, hint: `use the JSON key of a service account, with "type": "service_account" (${README})` });
  }
  return { key: parsed.data, raw };
}

interface GaxiosLikeError {
  name?: string;
  code?: string | number;
  message?: string;
  status?: number;
  response?: { status?: number; data?: unknown };
  cause?: unknown;
}

/** Turns a failed token exchange (google-auth-library / gaxios) into a ProviderError that says what to do. */
function classifyTokenError(err: unknown, subject: string, key: ServiceAccountKey, scrub: (s: string) => string, scopeUrl: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as GaxiosLikeError;
  const status = e.response?.status ?? e.status;
  const data = (e.response?.data ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof data.error === 'string' && /^[a-z_]{1,60}$/.test(data.error) ? data.error : undefined;
  const description = typeof data.error_description === 'string' ? (plainGoogleText(scrub(data.error_description)) ?? '') : '';
  const clientId = key.client_id ? ` (client ID ${key.client_id})` : '';
  // No `cause`: a gaxios error carries the request, whose body holds the signed assertion (a
  // credential for an hour), and a logger serialising causes must never see it.
  const base = { provider: PROVIDER, status };
  if (status === undefined) {
    const text = `${e.name ?? ''} ${e.message ?? ''} ${String((e.cause as { name?: string } | undefined)?.name ?? '')}`;
    if (/abort|timeout|timed out/i.test(text)) return new ProviderError('Google did not answer the token request in time', { ...base, reason: 'timeout', hint: 'check connectivity to oauth2.googleapis.com' });
    return new ProviderError(`could not reach Google's token endpoint (${scrub(String(e.code ?? e.message ?? 'network error'))})`, { ...base, reason: 'network', hint: 'check tokenUri, DNS, proxy and firewall' });
  }
  let reason: ErrorReason = status >= 500 ? 'server' : status === 429 ? 'rate_limited' : 'auth';
  let message = `Google refused the service-account token${code ? ` (${code}${description ? `: ${description}` : ''})` : ` (HTTP ${status})`}`;
  let hint = README;
  if (code === 'unauthorized_client') {
    reason = 'permission';
    message = `Google refused the service-account token (unauthorized_client): domain-wide delegation is not set up for ${key.client_email}${clientId} with the scope ${scopeUrl}`;
    hint = `in the Admin console → Security → API controls → Domain-wide delegation, add the client ID with that scope (${README})`;
  } else if (code === 'invalid_grant' && /user|email|subject/i.test(description)) {
    message = `Google refused the service-account token (invalid_grant: ${description}): "subject" ${subject} is not a user of this Workspace`;
    hint = `set "subject" to an existing administrator's email (${README})`;
  } else if (code === 'invalid_grant' || code === 'invalid_client') {
    hint = `the key may have been deleted or the service account disabled; create a new key (${README})`;
  } else if (status >= 500) {
    hint = 'Google is having trouble; the scan will run again on schedule';
  }
  return new ProviderError(message, { ...base, reason, hint });
}

/**
 * Loads the key and returns the authorization-header provider and the secrets to scrub, for one
 * call (a scan, a poll, a re-read, a group read). The token is requested on the first `headers()`
 * that finds none kept, and kept in `options.cache` (else for this call only).
 */
export async function serviceAccountAuth(options: ServiceAccountTokenOptions): Promise<ServiceAccountAuth> {
  const { key, raw } = await loadKey(options.key);
  const tokenUri = options.tokenUri ?? key.token_uri ?? GOOGLE_TOKEN_URL;
  const cache = options.cache ?? serviceAccountTokenCache(() => Date.now());
  const entry = createHash('sha256').update([options.scope, options.subject, tokenUri, raw].join('\n')).digest('hex');
  const secrets: string[] = [raw, key.private_key];
  const scrub = (s: string) => secrets.reduce((out, v) => (v.length >= 4 ? out.split(v).join('[redacted]') : out), s);
  // google-auth-library always posts to https://oauth2.googleapis.com/token and signs that URL as
  // the JWT `aud` (it has no public option for another token endpoint). Its transport takes a
  // fetch implementation: ours sends that one URL to `tokenUri` (Google's own by default; a
  // loopback fake in tests), and nothing else anywhere.
  const tokenFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.href !== GOOGLE_TOKEN_URL) return Promise.reject(new TypeError(`unexpected token request to ${url.origin}`));
    options.countRequest?.();
    return fetchWithTimeout(options.fetch, tokenUri, { ...init, redirect: 'error' }, options.timeoutMs, [init?.signal]);
  };
  const requestToken = async (): Promise<KeptToken> => {
    // A JWT client per token: the cache, not the client, decides when a token is reused.
    const jwt = new JWT({
      email: key.client_email,
      key: key.private_key,
      ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
      scopes: [options.scope],
      subject: options.subject,
      // Retries are the shared HTTP client's (with the caller's deadline and sleep), not gaxios's own.
      transporterOptions: { fetchImplementation: tokenFetch as typeof fetch, retryConfig: { retry: 0, noResponseRetries: 0 } },
    });
    const sent = Date.now();
    const { token } = await jwt.getAccessToken();
    if (!token) throw new ProviderError('Google answered the token request without an access token', { reason: 'malformed', provider: PROVIDER, hint: 'check tokenUri' });
    // expiry_date is google-auth-library's Date.now() + Google's expires_in; the lifetime is moved onto the cache's clock.
    const lifetime = (jwt.credentials.expiry_date ?? sent) - sent;
    return { token, expiresAt: cache.now() + lifetime };
  };
  let used: string | undefined;
  return {
    secrets,
    forgetToken: () => {
      if (used !== undefined && cache.kept.get(entry)?.token === used) cache.kept.delete(entry);
    },
    headers: async () => {
      let kept = cache.kept.get(entry);
      if (!kept || kept.expiresAt - EXPIRY_MARGIN_MS <= cache.now()) {
        let pending = cache.pending.get(entry);
        if (!pending) {
          pending = requestToken()
            .then((t) => {
              cache.kept.set(entry, t);
              return t;
            })
            .finally(() => cache.pending.delete(entry));
          // A call that stopped waiting (aborted) leaves this promise to run on: never unhandled.
          pending.catch(() => undefined);
          cache.pending.set(entry, pending);
        }
        try {
          kept = await untilAborted(pending, options.signal);
        } catch (err) {
          throw classifyTokenError(err, options.subject, key, scrub, options.scope);
        }
      }
      used = kept.token;
      if (!secrets.includes(kept.token)) secrets.push(kept.token);
      return { authorization: `Bearer ${kept.token}` };
    },
  };
}
