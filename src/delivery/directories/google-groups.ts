/**
 * Google group members for `googleGroups` matchers, read with the google-workspace monitor's own
 * service account (domain-wide delegation, acting as its `subject`):
 * `GET /admin/directory/v1/groups/{groupKey}/members?includeDerivedMembership=true&maxResults=200`,
 * paged with `pageToken`/`nextPageToken`; groupKey is the group's e-mail address, alias or id.
 * The token asks for the one scope this needs, admin.directory.group.member.readonly, which must
 * be added to the client's domain-wide delegation next to the monitor's own scopes.
 * Members are matched on the member id (the user id, the monitor's account id) and e-mail (the
 * primary e-mail, the monitor's login); nested groups count through includeDerivedMembership.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members/list
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members#Member
 */
import { readFile } from 'node:fs/promises';
import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { fetchWithTimeout } from '../../core/abort.js';
import { ProviderError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { createHttpClient } from '../../http/client.js';
import type { GroupReader } from '../directory.js';

/** The scope members.list needs (the narrowest of those its reference lists). */
export const GROUP_MEMBER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly';
/** The URL google-auth-library posts to and signs as the JWT audience. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
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

const keySchema = z.object({ type: z.literal('service_account'), client_email: z.string().min(1), client_id: z.string().optional(), private_key: z.string().includes('PRIVATE KEY'), private_key_id: z.string().optional(), token_uri: z.string().optional() });
const membersPage = z.object({
  kind: z.literal('admin#directory#members'),
  members: z.array(z.object({ id: z.string().optional(), email: z.string().optional(), type: z.string().optional() })).optional(),
  nextPageToken: z.string().optional(),
});

async function loadKey(source: GoogleGroupSource): Promise<{ raw: string; key: z.infer<typeof keySchema> }> {
  let raw: string;
  if (source.serviceAccountKey) raw = source.serviceAccountKey.reveal();
  else {
    try {
      raw = await readFile(source.serviceAccountKeyFile ?? '', 'utf8');
    } catch (err) {
      throw new ProviderError(`cannot read serviceAccountKeyFile ${source.serviceAccountKeyFile ?? ''} (${(err as { code?: string }).code ?? 'error'})`, { reason: 'auth', provider: 'Google Workspace' });
    }
  }
  let parsed;
  try {
    parsed = keySchema.safeParse(JSON.parse(raw));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new ProviderError('the service account key is not a service-account JSON key', { reason: 'auth', provider: 'Google Workspace' });
  return { raw, key: parsed.data };
}

/** The reader of one Google group at one google-workspace monitor; `name` is the matcher's entry. */
export function googleGroupReader(source: GoogleGroupSource, name: string, groupKey: string, fetchFn: typeof fetch): GroupReader {
  return {
    kind: 'googleGroups',
    name,
    monitorId: source.monitorId,
    label: `Google group ${groupKey} at ${source.monitorId}`,
    fix: `that the group exists and that the service account's domain-wide delegation (Admin console → Security → API controls) has the scope ${GROUP_MEMBER_SCOPE} (README.md, "Notifiers")`,
    async read(signal) {
      const { raw, key } = await loadKey(source);
      const tokenUri = source.tokenUri ?? key.token_uri ?? GOOGLE_TOKEN_URL;
      const secrets: string[] = [raw, key.private_key];
      // As in the monitor: google-auth-library posts only to Google's token URL; ours sends that one
      // request to `tokenUri` (Google's by default, a loopback fake in tests) and nothing else.
      const tokenFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.href !== GOOGLE_TOKEN_URL) return Promise.reject(new TypeError(`unexpected token request to ${url.origin}`));
        return fetchWithTimeout(fetchFn, tokenUri, { ...init, redirect: 'error' }, source.requestTimeout, [signal, init?.signal]);
      };
      const jwt = new JWT({
        email: key.client_email, key: key.private_key, ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
        scopes: [GROUP_MEMBER_SCOPE], subject: source.subject,
        transporterOptions: { fetchImplementation: tokenFetch as typeof fetch, retryConfig: { retry: 0, noResponseRetries: 0 } },
      });
      const client = createHttpClient({
        provider: 'Google Workspace', baseUrl: source.apiRoot.replace(/\/+$/, ''), fetch: fetchFn, retries: 1, timeoutMs: source.requestTimeout, secrets,
        headers: async () => {
          let token: string | null | undefined;
          try {
            token = (await jwt.getAccessToken()).token;
          } catch (err) {
            // No cause: a gaxios error carries the signed assertion.
            const e = err as { response?: { data?: { error?: unknown } } };
            const code = typeof e.response?.data?.error === 'string' && /^[a-z_]{1,60}$/.test(e.response.data.error) ? e.response.data.error : 'no token';
            throw new ProviderError(`Google refused the service-account token for ${GROUP_MEMBER_SCOPE} (${code})`, { reason: 'permission', provider: 'Google Workspace' });
          }
          if (!token) throw new ProviderError('Google answered the token request without an access token', { reason: 'malformed', provider: 'Google Workspace' });
          if (!secrets.includes(token)) secrets.push(token);
          return { authorization: `Bearer ${token}` };
        },
      });
      const out = new Set<string>();
      let pageToken: string | undefined;
      const seen = new Set<string>();
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await client.request({ path: `/admin/directory/v1/groups/${encodeURIComponent(groupKey)}/members`, query: { includeDerivedMembership: 'true', maxResults: PAGE, ...(pageToken ? { pageToken } : {}) }, ...(signal ? { signal } : {}) }, membersPage);
        for (const m of res.data.members ?? []) for (const k of [m.id, m.email]) if (k) out.add(k.toLowerCase());
        pageToken = res.data.nextPageToken;
        if (!pageToken) return out;
        if (seen.has(pageToken)) throw new ProviderError("Google's members.list repeated a page token", { reason: 'malformed', provider: 'Google Workspace' });
        seen.add(pageToken);
      }
      throw new ProviderError(`Google's members.list kept answering with a next page after ${MAX_PAGES} pages`, { reason: 'malformed', provider: 'Google Workspace' });
    },
  };
}
