/** The Slack monitor in the fault matrix, on the Slack fake (test/fakes/slack.ts). */
import { FakeSlack, type FakeSlackMember } from '../../fakes/slack.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, MonitorHarness } from '../harness.js';
import { closedPort } from './ports.js';

const TOKEN = 'xoxp-fault-matrix-slack-admin-0123456789';
const PAGE = 100;
/** Members are U1000000…; the fake's cursor is base64("user:<first id of the page>"). */
const idOf = (i: number) => `U${1_000_000 + i}`;
const cursorAt = (i: number) => Buffer.from(`user:${idOf(i)}`).toString('base64');
const isList = (r: RecordedRequest) => r.path === '/api/users.list';
const pageTwo = (r: RecordedRequest) => isList(r) && r.query.get('cursor') === cursorAt(PAGE - 1);

export const slackHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'slack',
  as: { short_last_page: 'page 3 (the last) answered with 40 of its members and an empty next_cursor' },
  notApplicable: {
    rate_limit_primary_403: 'Slack signals rate limits only with 429 and Retry-After',
    rate_limit_secondary_403: 'Slack signals rate limits only with 429 and Retry-After',
    not_found_404: 'a workspace has no URL of its own at the Web API: a gone workspace answers invalid_auth / account_inactive (the 401 row)',
    missing_page:
      'Slack documents that a page may hold fewer members than `limit`, even none, with a cursor to go on; a page Slack silently skipped cannot be told from that (a repeated cursor or five empty pages in a row fail the scan, a large drop is held by the mass-change guard, and a smaller one is kept until a second scan agrees)',
  },
  async start() {
    const slack = new FakeSlack({ [TOKEN]: { userId: 'U0ADMIN', scopes: ['users:read', 'users:read.email'] } });
    slack.addMember({ id: 'U0ADMIN', name: 'alice', email: 'alice@example.com', isAdmin: true, has2fa: true, twoFactorType: 'app' });
    slack.generateMembers(249);
    await slack.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}`;
    let refused = false;
    let saved: Map<string, FakeSlackMember> | null = null;
    const rateHeaders = { 'retry-after': '3600' };
    return {
      env: { SLACK_TOKEN: TOKEN },
      monitorEntry: () => ({ id: 'slack-acme', type: 'slack', token: '${SLACK_TOKEN}', baseUrl: `${refused ? refusedUrl : slack.url}/api`, pageSize: PAGE, retries: 0, requestTimeout: '2s' }),
      inject(fault: FaultId) {
        switch (fault) {
          case 'server_error':
            return slack.inject({ kind: 'status', status: 503, body: { ok: false, error: 'service_unavailable' } }, 1000, pageTwo);
          case 'rate_limit_429':
            return slack.inject({ kind: 'status', status: 429, body: { ok: false, error: 'ratelimited' }, headers: rateHeaders }, 1000, pageTwo);
          case 'rate_limit_primary_403':
          case 'rate_limit_secondary_403':
          case 'not_found_404':
          case 'missing_page':
            return;
          case 'unauthorized_401':
            // Slack answers a revoked token with HTTP 200 and ok:false
            return slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'token_revoked' } }, 1000);
          case 'permission_403':
            return slack.inject({ kind: 'status', status: 200, body: { ok: false, error: 'missing_scope', needed: 'users:read', provided: 'chat:write' } }, 1000, isList);
          case 'connection_refused':
            refused = true;
            return;
          case 'reset_mid_body':
            return slack.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return slack.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return slack.inject({ kind: 'truncate', body: `{"ok":true,"members":[{"id":"${idOf(PAGE)}","team_id":"T0ACME001","name":"us` }, 1000, pageTwo);
          case 'wrong_shape':
            return slack.inject({ kind: 'status', status: 200, body: { ok: true, users: [], response_metadata: { next_cursor: cursorAt(2 * PAGE - 1) } } }, 1000, pageTwo);
          case 'empty_list':
            saved = slack.members;
            slack.members = new Map([...saved].filter(([id]) => id === 'USLACKBOT' || id === 'U0ADMIN'));
            return;
          case 'short_last_page':
            return slack.inject({ kind: 'rewrite', rewrite: (a) => {
              const body = JSON.parse(a.body) as { members: unknown[]; response_metadata?: { next_cursor?: string } };
              return { ...a, body: JSON.stringify({ ...body, members: body.members.slice(0, 40), response_metadata: { next_cursor: '' } }) };
            } }, 1000, (r) => isList(r) && r.query.get('cursor') === cursorAt(2 * PAGE - 1));
          case 'duplicate_across_pages': {
            const firstPage = Array.from({ length: PAGE }, (_, i) => ({ id: idOf(i), name: `user${i}`, deleted: false, is_bot: false, has_2fa: true, two_factor_type: 'app', profile: { email: `user${i}@example.com` } }));
            return slack.inject({ kind: 'status', status: 200, body: { ok: true, members: firstPage, response_metadata: { next_cursor: cursorAt(2 * PAGE - 1) } } }, 1000, pageTwo);
          }
        }
      },
      clear() {
        slack.clearFaults();
        refused = false;
        if (saved) {
          slack.members = saved;
          saved = null;
        }
      },
      makeRealChange() {
        const member = slack.members.get(idOf(2));
        if (!member) throw new Error('the harness workspace lost member 2');
        member.has2fa = false;
        return { type: 'mfa_disabled', accountId: idOf(2) };
      },
      stop: () => slack.stop(),
    };
  },
};
