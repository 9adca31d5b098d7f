/**
 * Okta group members for `oktaGroups` matchers, read with the okta monitor's own token:
 * - a group named by id (00g…) is read directly; by name, it is found with
 *   `GET /api/v1/groups?q=<name>` (a prefix search) and kept only on an exact, unique name match;
 * - `GET /api/v1/groups/{groupId}/users?limit=200`, paged by the Link header's rel="next";
 * - Okta's rate-limit headers: a 429 waits for X-Rate-Limit-Reset (epoch seconds), and a page
 *   that leaves X-Rate-Limit-Remaining at 0 waits for the reset before asking for the next one.
 * Members are matched on the Okta user id, profile.login and profile.email: the okta monitor's
 * account id is the user id and its login the profile.login.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroups
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroupUsers
 * https://developer.okta.com/docs/reference/rl-best-practices/
 */
import { z } from 'zod';
import { ProviderError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { createHttpClient, waitForResetHeader } from '../../http/client.js';
import type { GroupReader } from '../directory.js';
import { readLinkPaged } from './link-pages.js';

/** The okta monitor instance whose token reads its org's groups. */
export interface OktaGroupSource {
  monitorId: string;
  baseUrl: string;
  token: Secret;
  authScheme: 'SSWS' | 'Bearer';
}

/** An Okta group id: "00g" and 17 more letters or digits. */
export const OKTA_GROUP_ID = /^00g[A-Za-z0-9]{17}$/;
/** Members per page (Okta's user listings allow 200 and more). */
const PAGE = 200;
/** Longest wait for a rate-limit reset between pages. */
const MAX_RESET_WAIT_MS = 60_000;

const groups = z.array(z.object({ id: z.string().min(1), profile: z.object({ name: z.string() }) }));
const users = z.array(z.object({ id: z.string().min(1), profile: z.object({ login: z.string(), email: z.string().nullish() }) }));

/** The reader of one Okta group (by id or by exact name) at one okta monitor; `name` is the matcher's "<monitor>/<group>". */
export function oktaGroupReader(source: OktaGroupSource, name: string, group: string, deps: { fetch: typeof fetch; sleep: (ms: number, signal?: AbortSignal) => Promise<void> }): GroupReader {
  const baseUrl = source.baseUrl.replace(/\/+$/, '');
  return {
    kind: 'oktaGroups',
    name,
    monitorId: source.monitorId,
    label: `Okta group "${group}" at ${source.monitorId}`,
    fix: `that the group exists under that exact name (or use its id, 00g…) and that the token of monitor "${source.monitorId}" may read groups (a Read-Only Administrator, or okta.groups.read; monitors/okta/README.md)`,
    async read(signal) {
      const untilReset = waitForResetHeader('x-rate-limit-reset');
      const client = createHttpClient({
        provider: 'Okta', baseUrl, fetch: deps.fetch, retries: 2, secrets: [source.token], sleep: deps.sleep,
        headers: () => ({ authorization: `${source.authScheme} ${source.token.reveal()}` }),
        retryAfterFromHeaders: (headers, now) => untilReset(headers, now),
      });
      let id = group;
      if (!OKTA_GROUP_ID.test(group)) {
        const found = await client.request({ path: '/api/v1/groups', query: { q: group, limit: PAGE }, ...(signal ? { signal } : {}) }, groups);
        const exact = found.data.filter((g) => g.profile.name.toLowerCase() === group.toLowerCase());
        const only = exact[0];
        if (!only) throw new ProviderError(`Okta has no group named "${group}"`, { reason: 'client', provider: 'Okta', hint: 'name the group exactly as Okta shows it, or use its id (00g…)' });
        if (exact.length > 1) throw new ProviderError(`Okta has ${exact.length} groups named "${group}"`, { reason: 'client', provider: 'Okta', hint: `use the group's id instead (${exact.map((g) => g.id).join(', ')})` });
        id = only.id;
      }
      const list = await readLinkPaged(client, 'Okta', baseUrl, { path: `/api/v1/groups/${encodeURIComponent(id)}/users`, query: { limit: PAGE } }, users, signal, async (headers) => {
        // Spend no request the bucket does not have: wait for the reset instead of earning a 429.
        if (headers.get('x-rate-limit-remaining') !== '0') return;
        const wait = untilReset(headers, Date.now());
        if (wait !== undefined) await deps.sleep(Math.min(wait + 1_000, MAX_RESET_WAIT_MS), signal);
      });
      return new Set(list.flatMap((u) => [u.id, u.profile.login, u.profile.email ?? ''].filter(Boolean).map((k) => k.toLowerCase())));
    },
  };
}
