/**
 * Google group members for `googleGroups` matchers, read with the google-workspace monitor's own
 * service account (domain-wide delegation, acting as its `subject`):
 * `GET /admin/directory/v1/groups/{groupKey}/members?includeDerivedMembership=true&maxResults=200`,
 * paged with `pageToken`/`nextPageToken`; groupKey is the group's e-mail address, alias or id.
 * The token (monitors/google-workspace/service-account.ts, as the monitor gets its own) asks for
 * the one scope this needs, admin.directory.group.member.readonly, which must
 * be added to the client's domain-wide delegation next to the monitor's own scopes.
 * Members are matched on the member id (the user id, the monitor's account id) and e-mail (the
 * primary e-mail, the monitor's login); nested groups count through includeDerivedMembership.
 * A member of type CUSTOMER is the whole customer (every user of the domain; it has no e-mail and
 * its id is the customer id): the group then holds every account of the monitor (EVERY_ACCOUNT).
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members/list
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members#Member
 */
import { z } from 'zod';
import { serviceAccountAuth } from '../../../monitors/google-workspace/service-account.js';
import { ProviderError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { createHttpClient } from '../../http/client.js';
import { EVERY_ACCOUNT, type GroupReader } from '../directory.js';

/** The scope members.list needs (the narrowest of those its reference lists). */
export const GROUP_MEMBER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly';
/** members.list's largest page. */
const PAGE = 200;
const MAX_PAGES = 1_000;

/** The google-workspace monitor instance whose service account reads groups. */
export interface GoogleGroupSource {
  monitorId: string;
  subject: string;
  serviceAccountKey?: Secret | undefined;
  serviceAccountKeyFile?: string | undefined;
  apiRoot: string;
  tokenUri?: string | undefined;
  requestTimeout: number;
}

const membersPage = z.object({
  kind: z.literal('admin#directory#members'),
  members: z.array(z.object({ id: z.string().optional(), email: z.string().optional(), type: z.string().optional() })).optional(),
  nextPageToken: z.string().optional(),
});

/** The reader of one Google group at one google-workspace monitor; `name` is the matcher's entry. */
export function googleGroupReader(source: GoogleGroupSource, name: string, groupKey: string, fetchFn: typeof fetch): GroupReader {
  return {
    kind: 'googleGroups',
    name,
    monitorId: source.monitorId,
    label: `Google group ${groupKey} at ${source.monitorId}`,
    fix: `that the group exists and that the service account's domain-wide delegation (Admin console → Security → API controls) has the scope ${GROUP_MEMBER_SCOPE} (README.md, "Notifiers")`,
    async read(signal) {
      const auth = await serviceAccountAuth({
        key: source, subject: source.subject, tokenUri: source.tokenUri, scope: GROUP_MEMBER_SCOPE,
        fetch: fetchFn, timeoutMs: source.requestTimeout, signal,
      });
      const client = createHttpClient({
        provider: 'Google Workspace', baseUrl: source.apiRoot.replace(/\/+$/, ''), fetch: fetchFn, retries: 1, timeoutMs: source.requestTimeout,
        headers: auth.headers, secrets: auth.secrets,
      });
      const out = new Set<string>();
      let pageToken: string | undefined;
      const seen = new Set<string>();
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await client.request({ path: `/admin/directory/v1/groups/${encodeURIComponent(groupKey)}/members`, query: { includeDerivedMembership: 'true', maxResults: PAGE, ...(pageToken ? { pageToken } : {}) }, ...(signal ? { signal } : {}) }, membersPage);
        for (const m of res.data.members ?? []) {
          // "CUSTOMER: The member represents all users in a domain" (members resource, `type`).
          if (m.type === 'CUSTOMER') return EVERY_ACCOUNT;
          for (const k of [m.id, m.email]) if (k) out.add(k.toLowerCase());
        }
        pageToken = res.data.nextPageToken;
        if (!pageToken) return out;
        if (seen.has(pageToken)) throw new ProviderError("Google's members.list repeated a page token", { reason: 'malformed', provider: 'Google Workspace' });
        seen.add(pageToken);
      }
      throw new ProviderError(`Google's members.list kept answering with a next page after ${MAX_PAGES} pages`, { reason: 'malformed', provider: 'Google Workspace' });
    },
  };
}
