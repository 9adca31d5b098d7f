/**
 * A fake of the GitHub REST API for one organisation, faithful to GitHub's published formats:
 * list endpoints with per_page/page and a Link header (rel="next"/"last"/"prev"/"first", pointing
 * at /organizations/{id}/...), x-ratelimit-* headers on every answer, GitHub's error bodies
 * ({"message", "documentation_url", "status"}), the owner-only 2FA filters, and primary and
 * secondary rate-limit answers.
 * https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export type TwoFactor = 'enabled' | 'insecure' | 'disabled';

export interface FakeUser {
  id: number;
  login: string;
  twoFactor: TwoFactor;
  /** Members only. */
  role?: 'admin' | 'member' | undefined;
}

/**
 * One credential a member authorised for the org's SAML SSO, as GET /orgs/{org}/credential-authorizations
 * lists it. https://docs.github.com/en/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization
 */
export interface FakeCredentialAuthorization {
  login: string;
  credential_id: number;
  credential_type: 'personal access token' | 'SSH key' | 'OAuth app token' | 'GitHub app token';
  credential_authorized_at: string;
  credential_accessed_at: string | null;
  authorized_credential_id: number | null;
  /** Tokens only. */
  token_last_eight?: string;
  scopes?: string[];
  authorized_credential_note?: string | null;
  authorized_credential_expires_at?: string | null;
  /** SSH keys only. */
  fingerprint?: string;
  authorized_credential_title?: string | null;
}

export interface FakeGitHubOptions {
  org?: string;
  orgId?: number;
  /** Tokens the fake accepts; `owner: false` makes the 2FA filters answer 422. */
  tokens?: Record<string, { owner: boolean }>;
  /** Older GitHub Enterprise Server: filter=2fa_insecure answers 422. */
  insecureFilter?: boolean;
  /** Primary rate-limit budget per window. */
  rateLimit?: number;
}

const DOCS = 'https://docs.github.com/rest';

function simpleUser(base: string, u: FakeUser) {
  return {
    login: u.login,
    id: u.id,
    node_id: Buffer.from(`04:User${u.id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url: `${base}/users/${u.login}`,
    html_url: `https://github.com/${u.login}`,
    followers_url: `${base}/users/${u.login}/followers`,
    following_url: `${base}/users/${u.login}/following{/other_user}`,
    gists_url: `${base}/users/${u.login}/gists{/gist_id}`,
    starred_url: `${base}/users/${u.login}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/users/${u.login}/subscriptions`,
    organizations_url: `${base}/users/${u.login}/orgs`,
    repos_url: `${base}/users/${u.login}/repos`,
    events_url: `${base}/users/${u.login}/events{/privacy}`,
    received_events_url: `${base}/users/${u.login}/received_events`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/**
 * A user held by the fake. Tests change users in place (`gh.members.get(2)!.twoFactor = 'disabled'`);
 * every write goes through a setter that drops the fake's cached listings.
 */
class TrackedUser implements FakeUser {
  readonly id: number;
  #login: string;
  #twoFactor: TwoFactor;
  #role: 'admin' | 'member' | undefined;
  readonly #changed: () => void;

  constructor(u: FakeUser, changed: () => void) {
    this.id = u.id;
    this.#login = u.login;
    this.#twoFactor = u.twoFactor;
    this.#role = u.role;
    this.#changed = changed;
  }

  /** True when this user reports its changes to `changed`. */
  reportsTo(changed: () => void): boolean {
    return this.#changed === changed;
  }

  get login(): string {
    return this.#login;
  }
  set login(v: string) {
    this.#login = v;
    this.#changed();
  }
  get twoFactor(): TwoFactor {
    return this.#twoFactor;
  }
  set twoFactor(v: TwoFactor) {
    this.#twoFactor = v;
    this.#changed();
  }
  get role(): 'admin' | 'member' | undefined {
    return this.#role;
  }
  set role(v: 'admin' | 'member' | undefined) {
    this.#role = v;
    this.#changed();
  }

  toJSON(): FakeUser {
    return { id: this.id, login: this.#login, twoFactor: this.#twoFactor, ...(this.#role ? { role: this.#role } : {}) };
  }
}

/** A map of users whose every write (and every write to a user in it) drops the fake's cached listings. */
class UserMap extends Map<number, FakeUser> {
  readonly #changed: () => void;
  readonly #everyone: Map<number, FakeUser> | undefined;

  constructor(changed: () => void, everyone?: Map<number, FakeUser>) {
    super();
    this.#changed = changed;
    this.#everyone = everyone;
  }

  override set(id: number, u: FakeUser): this {
    const tracked = u instanceof TrackedUser && u.reportsTo(this.#changed) ? u : new TrackedUser(u, this.#changed);
    // GitHub accounts outlive their org membership: GET /user/{id} still finds them.
    this.#everyone?.set(id, tracked);
    super.set(id, tracked);
    this.#changed();
    return this;
  }

  override delete(id: number): boolean {
    const had = super.delete(id);
    if (had) this.#changed();
    return had;
  }

  override clear(): void {
    super.clear();
    this.#changed();
  }
}

export class FakeGitHub extends LoopbackServer {
  readonly org: string;
  readonly orgId: number;
  /** Listings sorted by id, per (list, filter, role); dropped on any change so answers stay live. */
  #listings = new Map<string, readonly FakeUser[]>();
  readonly #invalidate = (): void => this.#listings.clear();
  /** Every GitHub user the fake has known (members and collaborators, past and present). */
  readonly users = new Map<number, FakeUser>();
  readonly members: Map<number, FakeUser> = new UserMap(this.#invalidate, this.users);
  /** Teams of the org: slug → member user ids (GET /orgs/{org}/teams/{team_slug}/members). */
  readonly teams = new Map<string, number[]>();
  readonly outsideCollaborators: Map<number, FakeUser> = new UserMap(this.#invalidate, this.users);
  tokens: Record<string, { owner: boolean }>;
  insecureFilter: boolean;
  rateLimit: number;
  rateRemaining: number;
  /** Epoch seconds when the window resets. */
  rateReset: number;
  /**
   * A pagination fault on one page of one full listing (filter=all, no role): `empty` answers
   * that page with [] and no Link header (a dropped page); `repeat_previous` answers it with the
   * previous page's users and the normal Link header (the list shifted while paging).
   */
  pageQuirk: { list: 'members' | 'outside_collaborators'; page: number; kind: 'empty' | 'repeat_previous' } | null = null;
  /**
   * Faults at a page boundary that leave no trace in the listing itself: `short_last` answers the
   * last page of the full member list with only its first `rows` users (a body cut at a row
   * boundary, no Link header); `last_lies` makes every page's Link header end one page early
   * (rel="last" names page N-1, which has no rel="next"), so the last page is never requested.
   */
  boundaryQuirk: { kind: 'short_last'; rows: number } | { kind: 'last_lies' } | null = null;
  /**
   * POST /graphql `organization.membersWithRole.totalCount`: the real member count (`exact`), or
   * `null` for a GitHub that refuses the query (a GraphQL FORBIDDEN error), so no count is known.
   * https://docs.github.com/en/graphql/reference/objects#organization
   */
  memberCount: 'exact' | null = 'exact';
  /**
   * SAML SSO: when false (an org without it) GET /orgs/{org}/credential-authorizations answers
   * 404; a token that is not an owner's gets 403.
   */
  samlSso = false;
  credentialAuthorizations: FakeCredentialAuthorization[] = [];

  constructor(options: FakeGitHubOptions = {}) {
    super((req, res) => this.#route(req, res));
    this.org = options.org ?? 'acme';
    this.orgId = options.orgId ?? 9919;
    this.tokens = options.tokens ?? { 'ghp_test_owner_token': { owner: true } };
    this.insecureFilter = options.insecureFilter ?? true;
    this.rateLimit = options.rateLimit ?? 5000;
    this.rateRemaining = this.rateLimit;
    this.rateReset = Math.floor(Date.now() / 1000) + 3600;
  }

  /** The REST API root to configure as baseUrl. */
  get apiUrl(): string {
    return this.url;
  }

  addMember(u: FakeUser): void {
    this.members.set(u.id, { id: u.id, login: u.login, twoFactor: u.twoFactor, role: u.role ?? 'member' });
  }

  addOutsideCollaborator(u: FakeUser): void {
    this.outsideCollaborators.set(u.id, u);
  }

  /** Fills the org with `n` generated members (ids from `firstId`); every 50th lacks 2FA, every 200th is an owner. */
  generateMembers(n: number, firstId = 100_000): void {
    for (let i = 0; i < n; i++) {
      const id = firstId + i;
      this.members.set(id, { id, login: `user${id}`, role: i % 200 === 0 ? 'admin' : 'member', twoFactor: i % 50 === 7 ? 'disabled' : i % 97 === 3 ? 'insecure' : 'enabled' });
    }
  }

  /** Authorises a credential for the org's SAML SSO, in GitHub's format (ids from 7000, in order). */
  authorizeCredential(login: string, type: 'SSH key' | 'personal access token', at = '2026-11-20T09:00:00Z'): FakeCredentialAuthorization {
    const id = 7000 + this.credentialAuthorizations.length;
    const c: FakeCredentialAuthorization =
      type === 'SSH key'
        ? { login, credential_id: id, credential_type: type, credential_authorized_at: at, credential_accessed_at: null, authorized_credential_id: 90_000 + id, fingerprint: `SHA256:${Buffer.from(`key${id}`).toString('base64')}`, authorized_credential_title: `${login}'s laptop` }
        : { login, credential_id: id, credential_type: type, credential_authorized_at: at, credential_accessed_at: at, authorized_credential_id: 90_000 + id, token_last_eight: String(id).padStart(8, 'a'), scopes: ['repo', 'read:org'], authorized_credential_note: 'ci', authorized_credential_expires_at: null };
    this.credentialAuthorizations.push(c);
    return c;
  }

  /** Requests made to list endpoints. */
  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => /\/(members|outside_collaborators)$/.test(r.path));
  }

  #rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.rateLimit),
      'x-ratelimit-remaining': String(Math.max(0, this.rateRemaining)),
      'x-ratelimit-reset': String(this.rateReset),
      'x-ratelimit-used': String(this.rateLimit - Math.max(0, this.rateRemaining)),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
    };
  }

  #error(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}, docs = DOCS): void {
    sendJson(res, status, { message, documentation_url: docs, status: String(status) }, { ...this.#rateHeaders(), ...extra });
  }

  /** One listing, sorted by id: computed once, reused by every page until something changes. */
  #listing(listKind: 'members' | 'outside_collaborators', filter: string, role: string): readonly FakeUser[] {
    const key = `${listKind}|${filter}|${role}`;
    const cached = this.#listings.get(key);
    if (cached) return cached;
    const baseKey = `${listKind}|all|all`;
    let base = this.#listings.get(baseKey);
    if (!base) {
      base = [...(listKind === 'members' ? this.members : this.outsideCollaborators).values()].sort((a, b) => a.id - b.id);
      this.#listings.set(baseKey, base);
    }
    const listing =
      key === baseKey
        ? base
        : base
            .filter((u) => (filter === '2fa_disabled' ? u.twoFactor === 'disabled' : filter === '2fa_insecure' ? u.twoFactor === 'insecure' : true))
            .filter((u) => role === 'all' || (role === 'admin' ? u.role === 'admin' : u.role !== 'admin'));
    this.#listings.set(key, listing);
    return listing;
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const token = auth.replace(/^(token|bearer)\s+/i, '');
    const who = this.tokens[token];
    if (!who) return this.#error(res, 401, 'Bad credentials');
    if (this.rateRemaining <= 0) {
      return this.#error(res, 403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.', {}, 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api');
    }
    this.rateRemaining -= 1;

    if (req.method === 'POST' && req.path === '/graphql') return this.#graphql(req, res);
    // GET /user/{account_id}: a public user, whether or not in the org.
    // https://docs.github.com/en/rest/users/users#get-a-user-using-their-id
    const byId = /^\/user\/(\d+)$/.exec(req.path);
    if (byId && req.method === 'GET') {
      const u = this.users.get(Number(byId[1]));
      return u ? sendJson(res, 200, simpleUser(this.url, u), this.#rateHeaders()) : this.#error(res, 404, 'Not Found');
    }
    // GET /orgs/{org}/memberships/{username}: active members; 404 for anyone else.
    // https://docs.github.com/en/rest/orgs/members#get-organization-membership-for-a-user
    const membership = /^\/orgs\/([^/]+)\/memberships\/([^/]+)$/.exec(req.path);
    if (membership && req.method === 'GET') {
      if (membership[1]?.toLowerCase() !== this.org.toLowerCase()) return this.#error(res, 404, 'Not Found');
      const u = [...this.members.values()].find((x) => x.login.toLowerCase() === decodeURIComponent(membership[2] ?? '').toLowerCase());
      if (!u) return this.#error(res, 404, 'Not Found', {}, 'https://docs.github.com/rest/orgs/members#get-organization-membership-for-a-user');
      return sendJson(res, 200, {
        url: `${this.url}/orgs/${this.org}/memberships/${u.login}`, state: 'active', role: u.role === 'admin' ? 'admin' : 'member',
        organization_url: `${this.url}/orgs/${this.org}`, organization: { login: this.org, id: this.orgId }, user: simpleUser(this.url, u),
      }, this.#rateHeaders());
    }
    // GET /orgs/{org}/teams/{team_slug}/members: the team's members (simple users), paged with
    // per_page/page and a Link header; 404 for an unknown team.
    // https://docs.github.com/en/rest/teams/members#list-team-members
    const team = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/members$/.exec(req.path);
    if (team && req.method === 'GET') {
      const ids = team[1]?.toLowerCase() === this.org.toLowerCase() ? this.teams.get(decodeURIComponent(team[2] ?? '')) : undefined;
      if (!ids) return this.#error(res, 404, 'Not Found', {}, 'https://docs.github.com/rest/teams/members#list-team-members');
      const members = ids.map((id) => this.members.get(id)).filter((u): u is FakeUser => u !== undefined);
      const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
      const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(members.length / perPage));
      const next = new URLSearchParams(req.query);
      next.set('page', String(page + 1));
      const link = page < last ? { link: `<${this.url}${req.path}?${next.toString()}>; rel="next"` } : {};
      return sendJson(res, 200, members.slice((page - 1) * perPage, page * perPage).map((u) => simpleUser(this.url, u)), { ...this.#rateHeaders(), ...link });
    }
    // GET /orgs/{org}/credential-authorizations: SAML SSO credential authorisations (owners only),
    // optional login filter, per_page (max 100)/page with a Link header.
    const creds = /^\/(?:orgs\/([^/]+)|organizations\/(\d+))\/credential-authorizations$/.exec(req.path);
    if (creds && req.method === 'GET') {
      const docs = 'https://docs.github.com/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization';
      if ((creds[1] && creds[1].toLowerCase() !== this.org.toLowerCase()) || (creds[2] && Number(creds[2]) !== this.orgId) || !this.samlSso) return this.#error(res, 404, 'Not Found', {}, docs);
      if (!who.owner) return this.#error(res, 403, 'Must have admin rights to Organization.', {}, docs);
      const login = req.query.get('login')?.toLowerCase();
      const all = this.credentialAuthorizations.filter((c) => !login || c.login.toLowerCase() === login);
      const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
      const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const linkFor = (p: number) => {
        const q = new URLSearchParams(req.query);
        q.set('page', String(p));
        return `<${this.url}/organizations/${this.orgId}/credential-authorizations?${q.toString()}>`;
      };
      const links = page < last ? [`${linkFor(page + 1)}; rel="next"`, `${linkFor(last)}; rel="last"`] : [];
      return sendJson(res, 200, all.slice((page - 1) * perPage, page * perPage), { ...this.#rateHeaders(), ...(links.length ? { link: links.join(', ') } : {}) });
    }
    const m = /^\/(?:orgs\/([^/]+)|organizations\/(\d+))\/(members|outside_collaborators)$/.exec(req.path);
    if (req.method !== 'GET' || !m) return this.#error(res, 404, 'Not Found');
    const orgName = m[1];
    const orgId = m[2];
    if ((orgName && orgName.toLowerCase() !== this.org.toLowerCase()) || (orgId && Number(orgId) !== this.orgId)) return this.#error(res, 404, 'Not Found');
    const listKind = m[3] as 'members' | 'outside_collaborators';

    const filter = req.query.get('filter') ?? 'all';
    const role = req.query.get('role') ?? 'all';
    if (!['all', '2fa_disabled', '2fa_insecure'].includes(filter) || (filter === '2fa_insecure' && !this.insecureFilter)) {
      return this.#error(res, 422, 'Validation Failed', {}, 'https://docs.github.com/rest/orgs/members#list-organization-members');
    }
    if (filter !== 'all' && !who.owner) {
      return this.#error(res, 422, 'Only owners can use this filter.', {}, 'https://docs.github.com/rest/orgs/members#list-organization-members');
    }
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);

    const all = this.#listing(listKind, filter, listKind === 'members' ? role : 'all');
    const fullMembers = listKind === 'members' && filter === 'all' && role === 'all';
    const trueLast = Math.max(1, Math.ceil(all.length / perPage));
    const lastPage = fullMembers && this.boundaryQuirk?.kind === 'last_lies' && trueLast > 1 ? trueLast - 1 : trueLast;
    if (fullMembers && this.boundaryQuirk?.kind === 'short_last' && page === trueLast) {
      const rows = all.slice((page - 1) * perPage, (page - 1) * perPage + this.boundaryQuirk.rows);
      return sendJson(res, 200, rows.map((u) => simpleUser(this.url, u)), this.#rateHeaders());
    }
    const quirk = this.pageQuirk && this.pageQuirk.list === listKind && this.pageQuirk.page === page && filter === 'all' && role === 'all' ? this.pageQuirk.kind : null;
    if (quirk === 'empty') return sendJson(res, 200, [], this.#rateHeaders());
    const servedPage = quirk === 'repeat_previous' ? page - 1 : page;
    const slice = all.slice((servedPage - 1) * perPage, servedPage * perPage);

    const linkFor = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      return `<${this.url}/organizations/${this.orgId}/${listKind}?${q.toString()}>`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`${linkFor(page - 1)}; rel="prev"`);
    if (page < lastPage) links.push(`${linkFor(page + 1)}; rel="next"`, `${linkFor(lastPage)}; rel="last"`);
    if (page > 1) links.push(`${linkFor(1)}; rel="first"`);
    sendJson(res, 200, slice.map((u) => simpleUser(this.url, u)), { ...this.#rateHeaders(), ...(links.length ? { link: links.join(', ') } : {}) });
  }

  /** GraphQL: the member count query only; errors as GitHub sends them (HTTP 200, `errors`). */
  #graphql(req: RecordedRequest, res: ServerResponse): void {
    const { query, variables } = JSON.parse(req.body || '{}') as { query?: string; variables?: { org?: string } };
    if (!query?.includes('membersWithRole')) return sendJson(res, 200, { data: null, errors: [{ type: 'INTERNAL', message: 'this fake answers only membersWithRole { totalCount }' }] });
    if (variables?.org?.toLowerCase() !== this.org.toLowerCase()) return sendJson(res, 200, { data: { organization: null }, errors: [{ type: 'NOT_FOUND', path: ['organization'], message: `Could not resolve to an Organization with the login of '${variables?.org ?? ''}'.` }] });
    if (this.memberCount === null) return sendJson(res, 200, { data: { organization: null }, errors: [{ type: 'FORBIDDEN', path: ['organization', 'membersWithRole'], message: 'Resource not accessible by integration' }] });
    sendJson(res, 200, { data: { organization: { membersWithRole: { totalCount: this.members.size } } } }, this.#rateHeaders());
  }
}
