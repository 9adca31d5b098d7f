/**
 * GitLab's audit-events poller (instance audit events) in the event fault matrix, on the GitLab
 * fake (test/fakes/gitlab.ts): `created_after` = watermark − overlap, Link rel="next" pages, GitLab's
 * error bodies, 429 with RateLimit-* and Retry-After; and the streaming audit event destination
 * (pushed) with its verification token. https://docs.gitlab.com/user/compliance/audit_event_streaming/
 * https://docs.gitlab.com/api/audit_events/
 * https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers
 */
import type { RecordedRequest } from '../../fakes/http.js';
import { FakeGitlab } from '../../fakes/gitlab.js';
import type { EventEndpointFault, ProviderEventHarness } from './types.js';

const TOKEN = 'glpat-event-faults-admin-0001';
const STREAM_TOKEN = 'gitlab-event-faults-streaming-token-3b7e';
const BOB = 2;
const onAudits = (r: RecordedRequest) => r.path.endsWith('/audit_events');

export const gitlabEventHarness: ProviderEventHarness = {
  provider: 'gitlab',
  monitorId: 'gl-acme',
  source: 'audit-events',
  clockStart: '2026-11-22T10:00:00.000Z',
  throttleWaitMs: 60_000,
  authFix: { unauthorized: /auth: GitLab returned 401.*invalid, expired or revoked/, forbidden: /permission: GitLab returned 403 for the instance audit events: only administrators/ },
  as: {
    auth: 'the token revoked (401); the token of a non-administrator (403)',
    throttled: '429 with RateLimit-Limit/-Remaining 0/-Reset and Retry-After: 60',
    foreign: 'user_disable_two_factor naming no user; project_archived (not used)',
    duplicate: 'the next poll re-reads the overlap window (5 min) by design',
    push_bad_secret: 'the streaming destination, X-Gitlab-Event-Streaming-Token wrong',
    push_replay: 'GitLab streams an audit event again (same id)',
  },
  async start() {
    const fake = new FakeGitlab();
    fake.tokens = { [TOKEN]: { admin: true, groupOwner: true } };
    fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
    fake.add({ id: BOB, username: 'bob', twoFactor: true });
    for (let i = 0; i < 30; i++) fake.add({ id: 100 + i, username: `user${i}`, twoFactor: i % 10 !== 3 });
    await fake.start();
    const when = (at: Date, n = 0) => new Date(at.getTime() + n).toISOString();
    let nextId = 5_000;
    return {
      env: { GL_TOKEN: TOKEN, GL_STREAM_TOKEN: STREAM_TOKEN },
      monitorEntry: { id: 'gl-acme', type: 'gitlab', baseUrl: fake.url, token: '${GL_TOKEN}', retries: 0, events: { streaming: { verificationToken: '${GL_STREAM_TOKEN}' } } },
      subjectLogin: 'bob',
      change() {
        fake.users.get(BOB)!.twoFactor = false;
        return 'mfa_disabled';
      },
      logAboutSubject: (at, n = 0) => void fake.addAudit({ eventName: 'user_disable_two_factor', userId: BOB, username: 'bob', createdAt: when(at, n), id: nextId++ }),
      logAboutUnknown: (at) => void fake.addAudit({ eventName: 'user_disable_two_factor', userId: 4242, username: 'stranger', createdAt: when(at), id: nextId++ }),
      logForeign(at) {
        fake.audits.push({ id: nextId++, author_id: 1, entity_id: fake.groupId, entity_type: 'Group', event_name: 'user_disable_two_factor', details: { event_name: 'user_disable_two_factor', custom_message: 'Disabled two-factor authentication' }, created_at: when(at) });
        fake.addAudit({ eventName: 'project_archived', userId: 1, username: 'root', createdAt: when(at, 1), id: nextId++ });
        return 'user_disable_two_factor naming no user, and project_archived';
      },
      logWrongShape: (at) => void fake.audits.push({ id: 'not-a-number', event_name: 'user_disable_two_factor', created_at: when(at) }),
      inject(fault: EventEndpointFault) {
        switch (fault) {
          case 'server':
            fake.inject({ kind: 'status', status: 502, body: { message: '502 Bad Gateway' } }, 1000, onAudits);
            return '502';
          case 'unauthorized':
            delete fake.tokens[TOKEN];
            return 'the token revoked: 401';
          case 'forbidden':
            fake.tokens[TOKEN] = { admin: false, groupOwner: false };
            return 'a non-administrator token: 403';
          case 'throttled': {
            const reset = String(Math.floor(Date.now() / 1000) + 60);
            fake.inject({ kind: 'status', status: 429, body: 'Retry later\n', headers: { 'content-type': 'text/plain', 'ratelimit-limit': '2000', 'ratelimit-observed': '2000', 'ratelimit-remaining': '0', 'ratelimit-reset': reset, 'retry-after': '60' } }, 1000, onAudits);
            return '429 Retry-After 60';
          }
          case 'not_json':
            fake.inject({ kind: 'truncate', status: 200, body: '[{"id":1,' }, 1000, onAudits);
            return 'a page cut mid-JSON';
        }
      },
      injectReadFailure: () => fake.inject({ kind: 'status', status: 502, body: { message: '502 Bad Gateway' } }, 1, (r) => r.path === `/api/v4/users/${BOB}`),
      repeatLastPage: () => 'the next poll re-reads the overlap window',
      logged: () => fake.audits,
      subjectReads: () => fake.requests.filter((r) => r.path === `/api/v4/users/${BOB}`).length,
      clear() {
        fake.clearFaults();
        fake.tokens = { [TOKEN]: { admin: true, groupOwner: true } };
      },
      stop: () => fake.stop(),
      push: {
        source: 'audit-stream',
        acceptedStatus: 202,
        secretHeader: 'X-Gitlab-Event-Streaming-Token',
        // An audit event as the instance records it (the fake's format), not appended to the pulled log.
        pushedEvent: () => ({
          id: 9_000_000 + nextId++, author_id: 1, entity_id: BOB, entity_type: 'User', event_name: 'user_disable_two_factor', created_at: '2026-11-22T10:00:50.000Z',
          details: { event_name: 'user_disable_two_factor', author_name: 'Administrator', author_class: 'User', target_id: BOB, target_type: 'User', target_details: 'bob', custom_message: 'Disabled two-factor authentication', ip_address: '198.51.100.2', entity_path: 'bob' },
        }),
        delivery: (event) => FakeGitlab.streamed(event, STREAM_TOKEN),
        withWrongSecret: (headers) => ({ ...headers, 'x-gitlab-event-streaming-token': 'a-guessed-token' }),
      },
    };
  },
};
