/**
 * An OAuth 2.0 client-credentials access token (RFC 6749 §4.4), fetched through the shared HTTP
 * client and reused until shortly before it expires. Used by the monitors whose provider issues
 * tokens to a machine client (Auth0 Management API, Microsoft Graph).
 */
import { z } from 'zod';
import { ProviderError } from '../core/errors.js';
import type { HttpClient } from './client.js';

/** The token answer fields mfawatch reads (RFC 6749 §5.1). */
const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export interface ClientCredentialsOptions {
  /** Token endpoint path: "/oauth/token", "/{tenant}/oauth2/v2.0/token". */
  path: string;
  /** The form sent: grant_type, client_id, client_secret, audience or scope. Built per call so the secret is revealed only then. */
  form: () => Record<string, string>;
  /** Called with each new token, so callers can add it to the values scrubbed from errors. */
  onToken?: ((token: string) => void) | undefined;
}

/**
 * A bearer token cached for as long as the provider says it lives (across scans: Auth0 counts
 * machine-to-machine token requests against a monthly quota).
 */
export interface ClientCredentialsToken {
  /**
   * The current token, fetched through `http` (a client whose baseUrl is the authorisation server
   * and whose describeError words token failures) when missing or within a minute of expiry.
   */
  get(http: HttpClient, signal?: AbortSignal): Promise<string>;
  /** Forgets the cached token (after the API answered 401 for it). */
  invalidate(): void;
}

/** Refresh this long before the announced expiry, so a token never expires mid-request. */
const EXPIRY_MARGIN_MS = 60_000;

export function clientCredentialsToken(options: ClientCredentialsOptions): ClientCredentialsToken {
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;
  return {
    async get(http: HttpClient, signal?: AbortSignal): Promise<string> {
      if (cached && Date.now() < cached.expiresAt) return cached.token;
      if (pending) return pending;
      pending = (async () => {
        try {
          const res = await http.request({ method: 'POST', path: options.path, body: new URLSearchParams(options.form()), signal, retries: 1 }, tokenAnswer);
          const lifetimeMs = (res.data.expires_in ?? 3600) * 1000;
          cached = { token: res.data.access_token, expiresAt: Date.now() + Math.max(0, lifetimeMs - EXPIRY_MARGIN_MS) };
          options.onToken?.(res.data.access_token);
          return res.data.access_token;
        } finally {
          pending = null;
        }
      })();
      return pending;
    },
    invalidate(): void {
      cached = null;
    },
  };
}

/**
 * Streams `source`, dropping the cached token when the provider refused it (401): a revoked
 * secret or a re-created app must not be reused by the next scan.
 */
export async function* invalidatingOnAuthFailure<T>(token: ClientCredentialsToken, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    if (err instanceof ProviderError && err.status === 401) token.invalidate();
    throw err;
  }
}
