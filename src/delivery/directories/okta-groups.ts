/**
 * Okta group members for `oktaGroups` matchers, read with the okta monitor's own token:
 * - a group named by id (00g…) is read directly; by name, it is found with
 *   `GET /api/v1/groups?q=<name>` (a prefix search) and kept only on an exact, unique name match;
 * - `GET /api/v1/groups/{groupId}/users?limit=200`, paged by the Link header's rel="next";
 * - Okta's rate-limit headers, as the okta monitor follows them (monitors/okta/index.ts): every
 *   request passes one RateGate fed by X-Rate-Limit-* (budgetFromOktaHeaders), so the reader
 *   leaves the monitor's `rateLimitReserve` of each window to others and waits for the reset
 *   instead of earning a 429; a 429 still waits for X-Rate-Limit-Reset. The monitor's
 *   `requestTimeout` and `retries` apply to each request.
 * Members are matched on the Okta user id, profile.login and profile.email: the okta monitor's
 * account id is the user id and its login the profile.login.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroups
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroupUsers
 * https://developer.okta.com/docs/reference/rl-best-practices/
 */
import { z } from 'zod';
import { ProviderError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { createHttpClient, waitForResetHeader, type HttpClient } from '../../http/client.js';
import { budgetFromOktaHeaders, RateGate } from '../../http/rate-gate.js';
import type { GroupReader } from '../directory.js';
import { readLinkPaged } from './link-pages.js';

/** The okta monitor instance whose token reads its org's groups. */
export interface OktaGroupSource {
  monitorId: string;
  baseUrl: string;
  token: Secret;
  authScheme: 'SSWS' | 'Bearer';
  /** The monitor's per-request timeout (ms) and retries of a 5xx, timeout or 429. */
  requestTimeout: number;
  retries: number;
  /** The monitor's share of each rate-limit window left for everyone else (0.1 = 10%). */
  rateLimitReserve: number;
}

/** What the reader needs besides the source; `now` is the clock rate-limit resets are read by (default Date.now). */
export interface OktaGroupDeps {
  fetch: typeof fetch;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: (() => number) | undefined;
}

/** An Okta group id: "00g" and 17 more letters or digits. */
export const OKTA_GROUP_ID = /^00g[A-Za-z0-9]{17}$/;
/** Members per page (Okta's user listings allow 200 and more). */
const PAGE = 200;
/** Extra wait after a reported reset, for clock skew (as the okta monitor's default). */
const SKEW_MS = 1_000;

const groups = z.array(z.object({ id: z.string().min(1), profile: z.object({ name: z.string() }) }));
const users = z.array(z.object({ id: z.string().min(1), profile: z.object({ login: z.string(), email: z.string().nullish() }) }));

/** The reader of one Okta group (by id or by exact name) at one okta monitor; `name` is the matcher's "<monitor>/<group>". */
export function oktaGroupReader(source: OktaGroupSource, name: string, group: string, deps: OktaGroupDeps): GroupReader {
  const baseUrl = source.baseUrl.replace(/\/+$/, '');
  return {
    kind: 'oktaGroups',
    name,
    monitorId: source.monitorId,
    label: `Okta group "${group}" at ${source.monitorId}`,
    fix: `that the group exists under that exact name (or use its id, 00g…) and that the token of monitor "${source.monitorId}" may read groups (a Read-Only Administrator, or okta.groups.read; monitors/okta/README.md)`,
    async read(signal) {
      const untilReset = waitForResetHeader('x-rate-limit-reset');
      // One request at a time, within the budget Okta reports (the okta monitor's gatedClient).
      const gate = new RateGate({
        provider: 'Okta', concurrency: 1, signal, sleep: deps.sleep, now: deps.now, skewMs: SKEW_MS,
        reserve: (limit) => Math.max(2, Math.ceil((limit ?? 0) * source.rateLimitReserve)),
      });
      const http = createHttpClient({
        provider: 'Okta', baseUrl, fetch: deps.fetch, timeoutMs: source.requestTimeout, retries: source.retries, secrets: [source.token], sleep: deps.sleep,
        headers: () => ({ authorization: `${source.authScheme} ${source.token.reveal()}` }),
        onResponse: (response) => gate.observe(budgetFromOktaHeaders(response.headers)),
        retryAfterFromHeaders: (headers, now) => {
          const wait = untilReset(headers, now);
          return wait === undefined ? undefined : wait + SKEW_MS;
        },
      });
      const client: HttpClient = { request: (req, schema) => gate.run(() => http.request(req, schema)) };
      let id = group;
      if (!OKTA_GROUP_ID.test(group)) {
        const found = await client.request({ path: '/api/v1/groups', query: { q: group, limit: PAGE }, ...(signal ? { signal } : {}) }, groups);
        const exact = found.data.filter((g) => g.profile.name.toLowerCase() === group.toLowerCase());
        const only = exact[0];
        if (!only) throw new ProviderError(`Okta has no group named "${group}"`, { reason: 'client', provider: 'Okta', hint: 'name the group exactly as Okta shows it, or use its id (00g…)' });
        if (exact.length > 1) throw new ProviderError(`Okta has ${exact.length} groups named "${group}"`, { reason: 'client', provider: 'Okta', hint: `use the group's id instead (${exact.map((g) => g.id).join(', ')})` });
        id = only.id;
      }
      const list = await readLinkPaged(client, 'Okta', baseUrl, { path: `/api/v1/groups/${encodeURIComponent(id)}/users`, query: { limit: PAGE } }, users, signal);
      return new Set(list.flatMap((u) => [u.id, u.profile.login, u.profile.email ?? ''].filter(Boolean).map((k) => k.toLowerCase())));
    },
  };
}
