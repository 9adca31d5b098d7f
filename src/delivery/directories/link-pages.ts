/**
 * Every page of a listing paged by an RFC 8288 Link header (GitHub, Okta), for the routing
 * readers. The next link is followed only on the origin the first request went to: the token goes
 * with it, and a provider's answer is hostile input.
 */
import type { z } from 'zod';
import { ProviderError } from '../../core/errors.js';
import { parseLinkHeader, type HttpClient } from '../../http/client.js';

/** Pages at most this many times (a next link that never ends is an error, not a loop). */
const MAX_PAGES = 1_000;

/** Reads `path` and every next page. `baseUrl` is the origin allowed for next links. */
export async function readLinkPaged<T>(
  client: HttpClient,
  provider: string,
  baseUrl: string,
  first: { path: string; query?: Record<string, string | number> },
  schema: z.ZodType<T[]>,
  signal: AbortSignal | undefined,
): Promise<T[]> {
  const origin = new URL(baseUrl).origin;
  const out: T[] = [];
  let path: string | undefined = first.path;
  let query: Record<string, string | number> | undefined = first.query;
  const seen = new Set<string>();
  for (let page = 0; path; page++) {
    if (page >= MAX_PAGES) throw new ProviderError(`${provider} kept answering with a next page after ${MAX_PAGES} pages`, { reason: 'malformed', provider, hint: 'a proxy may be rewriting answers' });
    const res: { data: T[]; headers: Headers } = await client.request({ path, ...(query ? { query } : {}), ...(signal ? { signal } : {}) }, schema);
    out.push(...res.data);
    const next = parseLinkHeader(res.headers.get('link')).next;
    query = undefined;
    if (!next) break;
    let url: URL;
    try {
      url = new URL(next, baseUrl);
    } catch {
      throw new ProviderError(`${provider} answered with an unreadable Link header`, { reason: 'malformed', provider, hint: 'a proxy may be rewriting answers' });
    }
    if (url.origin !== origin) throw new ProviderError(`${provider}'s next-page link points at ${url.origin}, not at ${origin}; mfawatch will not send the token there`, { reason: 'malformed', provider, hint: 'set the monitor\'s base URL to the one the provider itself uses' });
    if (seen.has(url.href)) throw new ProviderError(`${provider} repeated a next-page link`, { reason: 'malformed', provider, hint: 'a proxy may be rewriting answers' });
    seen.add(url.href);
    path = url.href;
  }
  return out;
}
