/**
 * The one HTTP client of every provider module that has no SDK of its own: JSON in and out, a
 * per-request timeout, the scan's abort signal, status → ErrorReason classification, bounded
 * retries of transient failures that honour Retry-After, and zod validation of answers.
 * Error messages name the method and path only: never a query string, header or body that could
 * carry a credential.
 */
import type { z } from 'zod';
import { fetchWithTimeout } from '../core/abort.js';
import { sleep as defaultSleep } from '../core/deps.js';
import { AFTER_SCAN_FAILURE, ProviderError, isTransient, reasonForStatus, type ErrorReason } from '../core/errors.js';
import { redactSecrets, type Secret } from '../core/secret.js';

export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path relative to baseUrl ("/api/v1/users") or an absolute URL (a Link-header "next"). */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  headers?: Record<string, string> | undefined;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** Form or raw body. */
  body?: string | URLSearchParams | undefined;
  signal?: AbortSignal | undefined;
  /** Override the client's retry count for this request (0 for non-idempotent calls). */
  retries?: number | undefined;
  /** Statuses that are answers, not errors, for this call (e.g. 404 meaning "no such user"). */
  acceptStatus?: readonly number[] | undefined;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
  url: string;
}

/** The failed request as `describeError` sees it. */
export interface DescribedRequest {
  method: string;
  /** The path shown in messages ("(secret URL)" with hidePath). */
  path: string;
  /** What happens after a transient failure (the client's `afterFailure`), for the hint. */
  afterFailure: string;
}

/** What a module says about a failed answer: the operator-facing message and what to do. */
export interface ErrorDescription {
  message: string;
  hint?: string | undefined;
  reason?: ErrorReason | undefined;
}

export interface HttpClientOptions {
  /** Display name used in errors: "Okta", "Slack". */
  provider: string;
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** Headers of every request (authorization); may be async (OAuth token fetch). */
  headers?: (() => Record<string, string> | Promise<Record<string, string>>) | undefined;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number | undefined;
  /** Retries of transient failures (default 3). */
  retries?: number | undefined;
  /** First backoff in ms, doubled per retry (default 1 s). */
  backoffMs?: number | undefined;
  /** Longest single wait in ms, Retry-After included (default 60 s); a longer ask fails as rate_limited. */
  maxWaitMs?: number | undefined;
  /** Never wait past this time. */
  deadline?: Date | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /**
   * Never name the request path in messages (it is part of a secret URL, such as a Slack or Teams
   * webhook URL): errors say "POST (secret URL)".
   */
  hidePath?: boolean | undefined;
  /**
   * What happens after a transient failure, said in messages: AFTER_SCAN_FAILURE (the default,
   * for monitors' scans), AFTER_POLL_FAILURE / AFTER_VERIFY_FAILURE (an event poll or a
   * verification: ScanContext.afterFailure), AFTER_KILL_FAILURE (responders),
   * AFTER_DELIVERY_FAILURE (notifiers). Also handed to `describeError`, so a module's own wording
   * says the same.
   */
  afterFailure?: string | undefined;
  /** Values to scrub from anything that reaches an error message. */
  secrets?: ReadonlyArray<Secret | string | undefined> | undefined;
  /** Module-specific wording of a failed answer (e.g. "the token lacks okta.users.read"). */
  describeError?: ((status: number, body: unknown, request: DescribedRequest) => ErrorDescription | undefined) | undefined;
  /** Called with every answer's headers (rate-limit accounting). */
  onResponse?: ((response: Response) => void) | undefined;
  /** Called before each request is sent (request counting). */
  onRequest?: (() => void) | undefined;
  /**
   * The wait (ms from `now`) a failed answer asks for when it has no Retry-After header, from the
   * provider's own rate-limit headers (Auth0's epoch-seconds `x-ratelimit-reset`, Okta's
   * `X-Rate-Limit-Reset`). Retry-After, when present, wins. Optional.
   */
  retryAfterFromHeaders?: ((headers: Headers, now: number) => number | undefined) | undefined;
}

/** Parses an RFC 8288 Link header into rel → URL. */
export function parseLinkHeader(header: string | null | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (!m?.[1] || !m[2]) continue;
    const rel = /rel="?([^";]+)"?/.exec(m[2])?.[1];
    if (rel) for (const r of rel.split(/\s+/)) links[r] = m[1];
  }
  return links;
}

/**
 * A `retryAfterFromHeaders` for providers that say in a header the epoch second their rate limit
 * resets (Okta `X-Rate-Limit-Reset`, Auth0 and GitHub `x-ratelimit-reset`). With `remaining`, only
 * when that header says no request is left (GitHub sends its reset header on every answer).
 */
export function waitForResetHeader(reset: string, remaining?: string): (headers: Headers, now: number) => number | undefined {
  return (headers, now) => {
    if (remaining !== undefined && headers.get(remaining) !== '0') return undefined;
    const at = Number(headers.get(reset) ?? Number.NaN);
    return Number.isFinite(at) && at > 0 ? Math.max(0, at * 1000 - now) : undefined;
  };
}

/** Parses Retry-After (seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * One URL path segment made of outside text (an identity, a login, a provider's user id):
 * percent-encoded, and refused when a URL parser would resolve it away. WHATWG URL parsing (what
 * fetch does) turns `/users/..` into `/` and `/users/.` (or their `%2e` forms) into `/users/`:
 * another endpoint than the one meant. https://url.spec.whatwg.org/#double-dot-path-segment
 */
export function pathSegment(value: string, provider: string, what = 'a user'): string {
  if (value === '' || /^(\.|%2e){1,2}$/i.test(value)) {
    throw new ProviderError(`refusing to call ${provider} for ${what} named ${JSON.stringify(value)}: as a URL path segment it would address another endpoint`, {
      reason: 'client', provider, hint: 'give an email or PROVIDER:LOGIN of a real account; nothing was sent',
    });
  }
  return encodeURIComponent(value);
}

/** The exact URL a request to `path` under `baseUrl` is sent to, as fetch will send it (for dry runs and records). */
export function requestUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): string {
  return buildUrl(baseUrl, path, query).href;
}

/**
 * Where a redirect points, as far as it is safe to say: the origin only ("https://sso.example.com/…"),
 * never a path or query, which may carry the token of a secret URL. Relative locations resolve
 * against the request.
 */
export function redirectTarget(location: string | null | undefined, requestUrl: string | URL): string {
  if (!location) return 'nowhere (no Location header)';
  try {
    const to = new URL(location, requestUrl);
    const from = new URL(requestUrl);
    if (to.origin === from.origin) return `another path on the same host (${to.origin}/…)`;
    return `${to.origin}/…`;
  } catch {
    return 'an unreadable Location';
  }
}

/** What a redirect answer means and what to do; mfawatch follows none (a redirect could carry credentials elsewhere). */
export const REDIRECT_HINT = 'mfawatch does not follow redirects: set the URL to the address that answers directly (an http→https redirect, a moved endpoint or a proxy in between are the usual causes)';

function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): URL {
  const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  return url;
}

/** "400ms" under ten seconds, "30s" above: a sub-second timeout must not read "0s". */
function formatMs(ms: number): string {
  return ms < 10_000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`;
}

/**
 * A requested wait as the operator reads it: seconds up to two minutes, then whole minutes (a
 * reset an hour away reads "60 min" whether the answer came at :00.2 or :01.7 past the second).
 */
function formatWait(ms: number): string {
  return ms < 120_000 ? `${Math.ceil(ms / 1000)}s` : `${Math.round(ms / 60_000)} min`;
}

/** A JSON HTTP client for one provider. */
export interface HttpClient {
  /** Sends a request and returns the parsed answer, validated by `schema` when given. */
  request<T = unknown>(req: HttpRequest, schema?: z.ZodType<T>): Promise<HttpResponse<T>>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const provider = options.provider;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxWait = options.maxWaitMs ?? 60_000;
  const wait = options.sleep ?? defaultSleep;
  const scrub = (text: string) => redactSecrets(text, options.secrets ?? []);
  const again = options.afterFailure ?? AFTER_SCAN_FAILURE;

  async function once<T>(req: HttpRequest, schema: z.ZodType<T> | undefined): Promise<HttpResponse<T>> {
    const method = req.method ?? (req.json !== undefined || req.body !== undefined ? 'POST' : 'GET');
    const url = buildUrl(options.baseUrl, req.path, req.query);
    const shownPath = options.hidePath ? '(secret URL)' : url.pathname;
    const where: DescribedRequest = { method, path: shownPath, afterFailure: again };
    const label = `${method} ${shownPath}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'mfawatch', ...(await options.headers?.()), ...req.headers };
    let body: string | URLSearchParams | undefined = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    options.onRequest?.();
    let response: Response | undefined;
    let text: string;
    try {
      // The body is read here too (text()): the response holds the request timeout throughout.
      // Redirects are not followed (they could carry the authorization elsewhere) but reported as such:
      // `redirect: 'error'` would make them read "could not reach … (fetch failed)".
      response = await fetchWithTimeout(options.fetch, url, { method, headers, body: body ?? null, redirect: 'manual' }, timeoutMs, [req.signal]);
      options.onResponse?.(response);
      text = await response.text();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (req.signal?.aborted) throw new ProviderError(`${provider}: ${label} was cancelled`, { reason: 'aborted', provider, cause: err });
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ProviderError(`${provider} did not answer ${label} within ${formatMs(timeoutMs)}`, { reason: 'timeout', provider, hint: 'check the provider status and connectivity, or raise requestTimeout', cause: err });
      }
      const detail = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      if (response) {
        // The provider answered, then the connection broke while the body was read: the base URL
        // is right, so "check the base URL" would send the operator the wrong way.
        throw new ProviderError(`the connection to ${provider} broke while reading the answer to ${label} (${scrub(String(detail))})`, { reason: 'network', provider, hint: `${again}; if this repeats, check proxies and firewalls between mfawatch and the provider`, cause: err });
      }
      throw new ProviderError(`could not reach ${provider} for ${label} (${scrub(String(detail))})`, { reason: 'network', provider, hint: 'check the base URL, DNS, proxy and firewall', cause: err });
    }
    if (response.status >= 300 && response.status < 400) {
      throw new ProviderError(scrub(`${provider} answered ${label} with a redirect (HTTP ${response.status}) to ${redirectTarget(response.headers.get('location'), url)}`), { reason: 'client', provider, status: response.status, hint: REDIRECT_HINT });
    }
    let parsed: unknown = undefined;
    const isJson = /json/i.test(response.headers.get('content-type') ?? '') || /^\s*[[{]/.test(text);
    if (text.length > 0 && isJson) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.ok) {
          throw new ProviderError(`${provider} answered ${label} with a truncated or malformed JSON body`, { reason: 'malformed', provider, status: response.status, hint: `a proxy may be cutting answers short; ${again}` });
        }
      }
    } else if (text.length > 0) {
      parsed = text;
    }
    const accepted = req.acceptStatus?.includes(response.status) ?? false;
    if (!response.ok && !accepted) {
      const described = options.describeError?.(response.status, parsed, where);
      const reason = described?.reason ?? reasonForStatus(response.status);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now()) ?? options.retryAfterFromHeaders?.(response.headers, Date.now());
      const message = described?.message ?? `${provider} returned ${response.status} for ${label}`;
      throw new ProviderError(scrub(message), { reason, provider, status: response.status, retryAfterMs, hint: described?.hint ? scrub(described.hint) : undefined });
    }
    if (schema) {
      const result = schema.safeParse(parsed);
      if (!result.success) {
        const first = result.error.issues[0];
        const at = first ? first.path.join('.') || '(root)' : '(root)';
        throw new ProviderError(`${provider} answered ${label} with a body of an unexpected shape (at ${at}: ${first?.message ?? 'invalid'})`, {
          reason: 'malformed', provider, status: response.status, hint: 'check that the base URL points at the API root; nothing was committed',
        });
      }
      return { status: response.status, headers: response.headers, data: result.data, url: response.url || url.toString() };
    }
    return { status: response.status, headers: response.headers, data: parsed as T, url: response.url || url.toString() };
  }

  /**
   * The last real failure of a request whose caller stopped it (a kill or scan deadline, SIGTERM)
   * while it was being retried: "Slack returned 503 …" says more than "cancelled".
   */
  function outOfTime(last: ProviderError, attempts: number): ProviderError {
    return new ProviderError(`${last.summary} (still failing after ${attempts} ${attempts === 1 ? 'try' : 'tries'} when the time allowed ran out)`, { reason: last.reason, provider, status: last.status, retryAfterMs: last.retryAfterMs, hint: last.hint ?? again, cause: last });
  }

  return {
    async request<T>(req: HttpRequest, schema?: z.ZodType<T>): Promise<HttpResponse<T>> {
      const retries = req.retries ?? options.retries ?? 3;
      let previous: ProviderError | undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(req, schema);
        } catch (err) {
          // The caller's time ran out during a retry: the failure that made us retry is the real cause.
          if (err instanceof ProviderError && err.reason === 'aborted' && previous) throw outOfTime(previous, attempt);
          if (!(err instanceof ProviderError) || !isTransient(err.reason) || attempt >= retries) throw err;
          const backoff = (options.backoffMs ?? 1000) * 2 ** attempt;
          const delay = Math.max(backoff, err.retryAfterMs ?? 0);
          const deadlineLeft = options.deadline ? options.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
          if (delay > maxWait || delay >= deadlineLeft) {
            if (err.reason === 'rate_limited') {
              // Keep the hint once, at the end.
              throw new ProviderError(`${err.summary}; the requested wait (${formatWait(delay)}) is longer than mfawatch may wait`, { reason: 'rate_limited', provider, status: err.status, retryAfterMs: err.retryAfterMs, hint: err.hint ?? again, cause: err });
            }
            throw err;
          }
          previous = err;
          try {
            await wait(delay, req.signal);
          } catch (interrupted) {
            if (req.signal?.aborted) throw outOfTime(err, attempt + 1);
            throw interrupted;
          }
        }
      }
    },
  };
}
