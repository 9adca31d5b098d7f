/**
 * A fake of the GitLab REST API v4 users endpoints, from GitLab's published formats: the admin
 * and public views of GET /users (admin-only fields and the admin-only two_factor filter),
 * GET /groups/:id/enterprise_users (top-level group Owners only), offset pagination (x-page,
 * x-per-page, x-next-page, x-prev-page, x-total, x-total-pages and a Link header with
 * first/prev/next/last), keyset pagination (pagination=keyset: a Link rel="next" with a cursor,
 * nothing else), RateLimit-* headers, {"message": "..."} error bodies, and 429 "Retry later".
 * https://docs.gitlab.com/api/rest/#pagination
 * https://docs.gitlab.com/api/users/
 * https://docs.gitlab.com/api/group_enterprise_users/
 * https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/
 *
 * Also GET /users/:id (admin view; 404 "404 User Not Found"), GET /groups/:id/enterprise_users/:user_id,
 * and the audit events API: GET /audit_events (administrators) and GET /groups/:id/audit_events
 * (group Owners) with created_after / created_before (ISO 8601), newest first, offset pagination
 * with a Link header; entries {id, author_id, entity_id, entity_type, event_name,
 * details: {event_name, author_name, target_id, target_type, target_details, custom_message,
 * ip_address, entity_path}, created_at}.
 * https://docs.gitlab.com/api/audit_events/
 * https://docs.gitlab.com/user/compliance/audit_event_types/
 *
 * And what a streaming audit event destination receives (`FakeGitlab.streamed`).
 * https://docs.gitlab.com/user/compliance/audit_event_streaming/
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeGitlabUser {
  id: number;
  username: string;
  email?: string;
  state?: 'active' | 'blocked' | 'deactivated' | 'banned' | 'ldap_blocked' | 'blocked_pending_approval';
  isAdmin?: boolean;
  bot?: boolean;
  /** Ghost, support bot and other internal users. */
  internal?: boolean;
  twoFactor: boolean;
  /** Enterprise user of the fake's group (GitLab.com). */
  enterprise?: boolean;
}

export class FakeGitlab extends LoopbackServer {
  users = new Map<number, FakeGitlabUser>();
  /** token → who */
  tokens: Record<string, { admin: boolean; groupOwner: boolean }> = { 'glpat-admin-test-token-0001': { admin: true, groupOwner: true } };
  groupId = 4242;
  groupPath = 'acme';
  /** Older servers: pagination=keyset is ignored (offset pagination). */
  keyset = true;
  rateLimit = 2000;
  rateRemaining = 2000;

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  add(u: FakeGitlabUser): void {
    this.users.set(u.id, u);
  }

  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => /\/(users|enterprise_users)$/.test(r.path));
  }

  /** Audit events (instance and group scope). */
  audits: Array<Record<string, unknown>> = [];

  /** Records a user_disable_two_factor audit event, as GitLab does (scope: the enterprise group, else the user). */
  addAudit(e: { eventName: string; userId: number; username: string; createdAt?: string; message?: string; group?: boolean; id?: number }): Record<string, unknown> {
    const id = e.id ?? this.audits.length + 1;
    const entry = {
      id,
      author_id: 1,
      entity_id: e.group ? this.groupId : e.userId,
      entity_type: e.group ? 'Group' : 'User',
      event_name: e.eventName,
      details: {
        event_name: e.eventName,
        author_name: 'Administrator',
        author_class: 'User',
        target_id: e.userId,
        target_type: 'User',
        target_details: e.username,
        custom_message: e.message ?? 'Disabled two-factor authentication',
        ip_address: '198.51.100.2',
        entity_path: e.group ? this.groupPath : e.username,
      },
      created_at: e.createdAt ?? new Date(Date.UTC(2026, 10, 22, 9, 59, 0) + id * 1000).toISOString(),
    };
    this.audits.push(entry);
    return entry;
  }

  /**
   * The request a streaming audit event destination receives for one of these audit events
   * (the audit event schema with its streaming-only fields; `id` as a string, as recent GitLab
   * versions send it), with the headers GitLab documents: X-Gitlab-Event-Streaming-Token,
   * X-Gitlab-Audit-Event-Type and Content-Type application/x-www-form-urlencoded.
   * https://docs.gitlab.com/user/compliance/audit_event_schema/
   */
  static streamed(entry: Record<string, unknown>, token: string): { headers: Record<string, string>; body: string } {
    const details = (entry.details ?? {}) as Record<string, unknown>;
    const eventType = String(entry.event_name ?? details.event_name ?? '');
    const body = {
      id: String(entry.id),
      author_id: entry.author_id,
      entity_id: entry.entity_id,
      entity_type: entry.entity_type,
      details,
      ip_address: details.ip_address,
      author_name: details.author_name,
      entity_path: details.entity_path,
      target_details: details.target_details,
      created_at: entry.created_at,
      target_type: details.target_type,
      target_id: details.target_id,
      event_type: eventType,
    };
    return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-gitlab-event-streaming-token': token, 'x-gitlab-audit-event-type': eventType }, body: JSON.stringify(body) };
  }

  auditRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/audit_events'));
  }

  #audits(req: RecordedRequest, res: ServerResponse, group: boolean): void {
    const after = req.query.get('created_after');
    const since = after === null ? -Infinity : Date.parse(after);
    if (after !== null && !Number.isFinite(since)) return this.#error(res, 400, '400 Bad request - created_after is invalid');
    const all = this.audits
      .filter((a) => (group ? a.entity_type === 'Group' : true))
      .filter((a) => Date.parse(String(a.created_at)) >= since)
      .sort((a, b) => Number(b.id) - Number(a.id));
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    const headers = this.#rateHeaders();
    if (page < totalPages) {
      const q = new URLSearchParams(req.query);
      q.set('page', String(page + 1));
      q.set('per_page', String(perPage));
      headers.link = `<${this.url}${req.path}?${q.toString()}>; rel="next"`;
    }
    Object.assign(headers, { 'x-page': String(page), 'x-per-page': String(perPage), 'x-next-page': page < totalPages ? String(page + 1) : '', 'x-total': String(all.length), 'x-total-pages': String(totalPages) });
    sendJson(res, 200, all.slice((page - 1) * perPage, page * perPage), headers);
  }

  #rateHeaders(): Record<string, string> {
    const reset = Math.floor(Date.now() / 1000) + 60;
    return {
      'ratelimit-limit': String(this.rateLimit),
      'ratelimit-observed': String(this.rateLimit - this.rateRemaining),
      'ratelimit-remaining': String(Math.max(0, this.rateRemaining)),
      'ratelimit-reset': String(reset),
      'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
    };
  }

  #error(res: ServerResponse, status: number, message: string): void {
    sendJson(res, status, { message }, this.#rateHeaders());
  }

  #view(u: FakeGitlabUser, admin: boolean, enterprise: boolean) {
    const base = {
      id: u.id,
      username: u.username,
      name: u.username.replace(/^./, (c) => c.toUpperCase()),
      state: u.state ?? 'active',
      locked: false,
      avatar_url: `https://www.gravatar.com/avatar/${u.id}?s=80&d=identicon`,
      web_url: `${this.url}/${u.username}`,
    };
    if (!admin && !enterprise) return base;
    const common = {
      ...base,
      created_at: '2024-05-23T08:00:58.000Z',
      bio: '',
      location: null,
      public_email: '',
      linkedin: '',
      twitter: '',
      website_url: '',
      organization: null,
      job_title: '',
      bot: u.bot ?? false,
      last_sign_in_at: '2026-11-20T11:41:01.000Z',
      confirmed_at: '2024-05-23T09:05:22.000Z',
      last_activity_on: '2026-11-21',
      email: u.email ?? `${u.username}@example.com`,
      theme_id: 1,
      color_scheme_id: 1,
      projects_limit: 100000,
      current_sign_in_at: '2026-11-21T06:36:55.000Z',
      identities: [],
      can_create_group: true,
      can_create_project: true,
      two_factor_enabled: u.twoFactor,
      external: false,
      private_profile: false,
    };
    return enterprise ? { ...common, commit_email: common.email, scim_identities: [] } : { ...common, is_admin: u.isAdmin ?? false, note: null, current_sign_in_ip: '198.51.100.2', last_sign_in_ip: '198.51.100.2', namespace_id: u.id };
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    const token = String(req.headers['private-token'] ?? String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
    const who = this.tokens[token];
    if (!who) return this.#error(res, 401, '401 Unauthorized');
    this.rateRemaining -= 1;
    if (this.rateRemaining < 0) {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '60', ...this.#rateHeaders() });
      res.end('Retry later\n');
      return;
    }
    if (req.method !== 'GET') return this.#error(res, 405, '405 Method Not Allowed');

    if (req.path === '/api/v4/audit_events') {
      if (!who.admin) return this.#error(res, 403, '403 Forbidden');
      return this.#audits(req, res, false);
    }
    const groupAudits = /^\/api\/v4\/groups\/([^/]+)\/audit_events$/.exec(req.path);
    if (groupAudits) {
      const id = decodeURIComponent(groupAudits[1] ?? '');
      if (id !== String(this.groupId) && id !== this.groupPath) return this.#error(res, 404, '404 Group Not Found');
      if (!who.groupOwner) return this.#error(res, 403, '403 Forbidden');
      return this.#audits(req, res, true);
    }
    const oneUser = /^\/api\/v4\/users\/(\d+)$/.exec(req.path);
    if (oneUser) {
      const u = this.users.get(Number(oneUser[1]));
      if (!u) return this.#error(res, 404, '404 User Not Found');
      return sendJson(res, 200, this.#view(u, who.admin, false), this.#rateHeaders());
    }
    const oneEnterprise = /^\/api\/v4\/groups\/([^/]+)\/enterprise_users\/(\d+)$/.exec(req.path);
    if (oneEnterprise) {
      const id = decodeURIComponent(oneEnterprise[1] ?? '');
      if (id !== String(this.groupId) && id !== this.groupPath) return this.#error(res, 404, '404 Group Not Found');
      if (!who.groupOwner) return this.#error(res, 403, '403 Forbidden');
      const u = this.users.get(Number(oneEnterprise[2]));
      if (!u?.enterprise) return this.#error(res, 404, '404 User Not Found');
      return sendJson(res, 200, this.#view(u, false, true), this.#rateHeaders());
    }

    let source: FakeGitlabUser[];
    let admin = false;
    let enterprise = false;
    if (req.path === '/api/v4/users') {
      admin = who.admin;
      source = [...this.users.values()];
      if (admin && req.query.get('two_factor') === 'enabled') source = source.filter((u) => u.twoFactor);
      if (admin && req.query.get('two_factor') === 'disabled') source = source.filter((u) => !u.twoFactor);
      if (req.query.get('exclude_internal') === 'true') source = source.filter((u) => !u.internal);
    } else {
      const m = /^\/api\/v4\/groups\/([^/]+)\/enterprise_users$/.exec(req.path);
      if (!m) return this.#error(res, 404, '404 Not Found');
      const id = decodeURIComponent(m[1] ?? '');
      if (id !== String(this.groupId) && id !== this.groupPath) return this.#error(res, 404, '404 Group Not Found');
      if (!who.groupOwner) return this.#error(res, 403, '403 Forbidden');
      enterprise = true;
      source = [...this.users.values()].filter((u) => u.enterprise);
      const tf = req.query.get('two_factor');
      if (tf === 'enabled') source = source.filter((u) => u.twoFactor);
      if (tf === 'disabled') source = source.filter((u) => !u.twoFactor);
    }
    source.sort((a, b) => a.id - b.id);
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 20) || 20));
    const headers = this.#rateHeaders();
    const selfUrl = (q: URLSearchParams) => `${this.url}${req.path}?${q.toString()}`;

    if (!enterprise && this.keyset && req.query.get('pagination') === 'keyset' && req.query.get('order_by') === 'id') {
      const cursor = req.query.get('cursor');
      const after = cursor ? Number(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).id) : Number.NEGATIVE_INFINITY;
      const rest = source.filter((u) => u.id > after);
      const slice = rest.slice(0, perPage);
      if (rest.length > perPage) {
        const q = new URLSearchParams(req.query);
        q.set('cursor', Buffer.from(JSON.stringify({ id: String(slice.at(-1)?.id), _kd: 'n' })).toString('base64url'));
        headers.link = `<${selfUrl(q)}>; rel="next"`;
      }
      return sendJson(res, 200, slice.map((u) => this.#view(u, admin, enterprise)), headers);
    }

    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(source.length / perPage));
    const slice = source.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `<${selfUrl(q)}>`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`${link(page - 1)}; rel="prev"`);
    if (page < totalPages) links.push(`${link(page + 1)}; rel="next"`);
    links.push(`${link(1)}; rel="first"`, `${link(totalPages)}; rel="last"`);
    Object.assign(headers, {
      link: links.join(', '),
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(source.length),
      'x-total-pages': String(totalPages),
    });
    sendJson(res, 200, slice.map((u) => this.#view(u, admin, enterprise)), headers);
  }
}
