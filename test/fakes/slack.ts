/**
 * A fake of the Slack Web API methods the slack monitor calls, faithful to Slack's published formats:
 * `auth.test` and `users.list` (limit, cursor, team_id; `response_metadata.next_cursor`, "" on the
 * last page; cursors are base64 "user:<ID>"), the token in `Authorization: Bearer`, errors as HTTP
 * 200 with {"ok": false, "error", "needed", "provided"}, 429 with Retry-After and
 * {"ok": false, "error": "ratelimited"}, x-oauth-scopes / x-accepted-oauth-scopes headers, and the
 * user object (`has_2fa` and `two_factor_type` only shown to admins and owners, `profile.email` only
 * with users:read.email, Slackbot as USLACKBOT with is_bot false).
 * https://api.slack.com/methods/users.list
 * https://api.slack.com/types/user
 * https://api.slack.com/docs/pagination
 *
 * Also `users.info` (user_not_found) and the Enterprise Grid Audit Logs API at /audit/v1/logs
 * (scope auditlogs:read; oldest/latest in epoch seconds, limit, cursor; {entries: [{id, date_create,
 * action, actor: {type, user}, entity: {type, user | workspace | enterprise}, context: {location,
 * ua, ip_address, session_id}, details}], response_metadata: {next_cursor}}, newest first). Unlike
 * the Web API, the Audit Logs API "returns standard HTTP status codes to indicate success or
 * failure": a missing or refused token answers 401 and a token without auditlogs:read 403, each
 * with the JSON body {"ok": false, "error"} (as its 429 carries {"ok": false, "error": "ratelimited"}).
 * https://api.slack.com/methods/users.info
 * https://api.slack.com/admins/audit-logs-call
 * https://docs.slack.dev/reference/audit-logs-api/methods-actions-reference
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeSlackMember {
  id: string;
  name: string;
  email?: string;
  realName?: string;
  deleted?: boolean;
  isBot?: boolean;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isRestricted?: boolean;
  isUltraRestricted?: boolean;
  has2fa?: boolean;
  twoFactorType?: 'app' | 'sms';
}

export interface FakeSlackToken {
  /** The user the token belongs to. */
  userId: string;
  scopes: string[];
}

export class FakeSlack extends LoopbackServer {
  readonly teamId = 'T0ACME001';
  readonly teamName = 'Acme';
  members = new Map<string, FakeSlackMember>();
  tokens: Record<string, FakeSlackToken>;

  constructor(tokens: Record<string, FakeSlackToken>) {
    super((req, res) => this.#route(req, res));
    this.tokens = tokens;
    this.addMember({ id: 'USLACKBOT', name: 'slackbot', realName: 'Slackbot', has2fa: false });
  }

  addMember(m: FakeSlackMember): void {
    this.members.set(m.id, m);
  }

  /** `n` members U1000000…; every 10th without 2FA, every 6th with SMS 2FA, every 40th an admin. */
  generateMembers(n: number): void {
    for (let i = 0; i < n; i++) {
      const id = `U${1_000_000 + i}`;
      this.addMember({ id, name: `user${i}`, email: `user${i}@example.com`, has2fa: i % 10 !== 4, twoFactorType: i % 6 === 1 ? 'sms' : 'app', isAdmin: i % 40 === 0 });
    }
  }

  /** Audit log entries. */
  audit: Array<Record<string, unknown>> = [];

  addAudit(e: { action: string; dateCreate?: number; id?: string; user?: { id: string; name: string }; actor?: { id: string; name: string }; details?: Record<string, unknown>; entity?: 'user' | 'enterprise' | 'workspace' }): Record<string, unknown> {
    const n = this.audit.length + 1;
    const actor = e.actor ?? { id: 'W0OWNER01', name: 'owner' };
    const kind = e.entity ?? (e.user ? 'user' : 'enterprise');
    const entity = kind === 'user' ? { type: 'user', user: { id: e.user?.id ?? 'W0NOBODY', name: e.user?.name ?? 'nobody', email: `${e.user?.name ?? 'nobody'}@example.com`, team: 'E0ACME001' } } : kind === 'workspace' ? { type: 'workspace', workspace: { id: this.teamId, name: this.teamName, domain: 'acme' } } : { type: 'enterprise', enterprise: { id: 'E0ACME001', name: 'Acme Corp', domain: 'acme-corp' } };
    const entry = {
      id: e.id ?? `0123a45b-6c7d-8e90-${String(n).padStart(12, '0')}`,
      date_create: e.dateCreate ?? 1_795_341_540 + n,
      action: e.action,
      actor: { type: 'user', user: { id: actor.id, name: actor.name, email: `${actor.name}@example.com`, team: 'E0ACME001' } },
      entity,
      context: { location: { type: 'enterprise', id: 'E0ACME001', name: 'Acme Corp', domain: 'acme-corp' }, ua: 'Mozilla/5.0 (X11; Linux x86_64)', ip_address: '198.51.100.40', session_id: '847288190092' },
      ...(e.details ? { details: e.details } : {}),
    };
    this.audit.push(entry);
    return entry;
  }

  auditRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/audit/v1/logs');
  }

  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/users.list');
  }

  #memberJson(m: FakeSlackMember, viewer: FakeSlackToken, viewerIsAdmin: boolean) {
    const self = m.id === viewer.userId;
    const showTwoFactor = viewerIsAdmin || self;
    const emailScope = viewer.scopes.includes('users:read.email');
    return {
      id: m.id,
      team_id: this.teamId,
      name: m.name,
      deleted: m.deleted ?? false,
      color: '9f69e7',
      real_name: m.realName ?? m.name,
      tz: 'Europe/Amsterdam',
      tz_label: 'Central European Time',
      tz_offset: 3600,
      profile: {
        title: '',
        phone: '',
        skype: '',
        real_name: m.realName ?? m.name,
        real_name_normalized: m.realName ?? m.name,
        display_name: m.name,
        display_name_normalized: m.name,
        status_text: '',
        status_emoji: '',
        avatar_hash: 'ge3b51ca72de',
        ...(emailScope && m.email ? { email: m.email } : {}),
        image_24: 'https://a.slack-edge.com/x/img/avatars/ava_0024-24.png',
        team: this.teamId,
      },
      is_admin: m.isAdmin ?? false,
      is_owner: m.isOwner ?? false,
      is_primary_owner: m.isPrimaryOwner ?? false,
      is_restricted: m.isRestricted ?? false,
      is_ultra_restricted: m.isUltraRestricted ?? false,
      is_bot: m.isBot ?? false,
      is_app_user: false,
      updated: 1_700_000_000,
      is_email_confirmed: true,
      who_can_share_contact_card: 'EVERYONE',
      ...(showTwoFactor && m.has2fa !== undefined ? { has_2fa: m.has2fa, ...(m.has2fa && m.twoFactorType ? { two_factor_type: m.twoFactorType } : {}) } : {}),
    };
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const token = this.tokens[auth.replace(/^Bearer\s+/, '')];
    const scopeHeaders = (t: FakeSlackToken | undefined, accepted: string) => ({ 'x-oauth-scopes': t?.scopes.join(',') ?? '', 'x-accepted-oauth-scopes': accepted });
    // The Web API answers every error with HTTP 200; the Audit Logs API with the HTTP status.
    const audit = req.path.startsWith('/audit/');
    if (!auth) return sendJson(res, audit ? 401 : 200, { ok: false, error: 'not_authed' });
    if (!token) return sendJson(res, audit ? 401 : 200, { ok: false, error: 'invalid_auth' });
    const viewer = this.members.get(token.userId);
    const viewerIsAdmin = Boolean(viewer?.isAdmin || viewer?.isOwner || viewer?.isPrimaryOwner);

    if (req.path === '/api/auth.test') {
      return sendJson(res, 200, { ok: true, url: `https://acme.slack.com/`, team: this.teamName, user: viewer?.name ?? 'someone', team_id: this.teamId, user_id: token.userId, is_enterprise_install: false }, scopeHeaders(token, ''));
    }
    if (req.path === '/api/users.list') {
      if (!token.scopes.includes('users:read')) {
        return sendJson(res, 200, { ok: false, error: 'missing_scope', needed: 'users:read', provided: token.scopes.join(',') }, scopeHeaders(token, 'users:read'));
      }
      const limit = Math.min(1000, Math.max(1, Number(req.query.get('limit') ?? 0) || 1000));
      const all = [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      let start = 0;
      const cursor = req.query.get('cursor');
      if (cursor) {
        const decoded = Buffer.from(cursor, 'base64').toString('utf8');
        const m = /^user:([^:]+)(?::.*)?$/.exec(decoded); // Slack's cursors are opaque; ours may carry a suffix
        start = m ? all.findIndex((u) => u.id === m[1]) : -1;
        if (start < 0) return sendJson(res, 200, { ok: false, error: 'invalid_cursor' }, scopeHeaders(token, 'users:read'));
      }
      const slice = all.slice(start, start + limit);
      const nextMember = all[start + limit];
      const nextCursor = nextMember ? Buffer.from(`user:${nextMember.id}`).toString('base64') : '';
      return sendJson(res, 200, { ok: true, members: slice.map((m) => this.#memberJson(m, token, viewerIsAdmin)), cache_ts: 1_700_000_000, response_metadata: { next_cursor: nextCursor } }, scopeHeaders(token, 'users:read'));
    }
    if (req.path === '/api/users.info') {
      if (!token.scopes.includes('users:read')) return sendJson(res, 200, { ok: false, error: 'missing_scope', needed: 'users:read', provided: token.scopes.join(',') }, scopeHeaders(token, 'users:read'));
      const m = this.members.get(req.query.get('user') ?? '');
      if (!m) return sendJson(res, 200, { ok: false, error: 'user_not_found' }, scopeHeaders(token, 'users:read'));
      return sendJson(res, 200, { ok: true, user: this.#memberJson(m, token, viewerIsAdmin) }, scopeHeaders(token, 'users:read'));
    }
    if (req.path === '/audit/v1/logs') {
      if (!token.scopes.includes('auditlogs:read')) return sendJson(res, 403, { ok: false, error: 'missing_scope' }, scopeHeaders(token, 'auditlogs:read'));
      const oldest = Number(req.query.get('oldest') ?? 0);
      const limit = Math.min(9999, Math.max(1, Number(req.query.get('limit') ?? 100) || 100));
      const all = this.audit.filter((a) => Number(a.date_create) >= oldest).sort((a, b) => Number(b.date_create) - Number(a.date_create));
      const cursor = req.query.get('cursor');
      const start = cursor ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace(/^next:/, '')) || 0 : 0;
      const slice = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(`next:${start + limit}`).toString('base64') : '';
      return sendJson(res, 200, { entries: slice, response_metadata: { next_cursor: next } }, scopeHeaders(token, 'auditlogs:read'));
    }
    return sendJson(res, 404, { ok: false, error: 'unknown_method', req_method: req.path.replace(/^\/api\//, '') });
  }
}
