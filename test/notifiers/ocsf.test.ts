/**
 * OCSF output of the stdout and webhook notifiers (`format: "ocsf"`), validated against the
 * published OCSF 1.3.0 schema files vendored in test/data/ocsf-1.3.0: Account Change (3001) for
 * MFA, factor, credential, account and privilege changes; Authentication (3002) for a sign-in
 * without MFA; nothing for events OCSF has no class for.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFIERS } from '../../notifiers/index.js';
import { OCSF_VERSION, toOcsf } from '../../notifiers/ocsf.js';
import type { NotificationBatch } from '../../notifiers/types.js';
import type { ChangeEvent, ChangeEventType } from '../../src/core/types.js';
import { buildBatch } from '../../src/delivery/routing.js';
import { FakeChannel } from '../fakes/channels.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { ocsfProblems, VENDORED_VERSION } from './ocsf-schema.js';
import { account, sampleEvent } from './sample.js';

const admin = account({ admin: true });
const events: Record<ChangeEventType, ChangeEvent> = {
  mfa_disabled: sampleEvent(),
  mfa_weakened: sampleEvent({ type: 'mfa_weakened', severity: 'high', after: account({ admin: true, mfa: 'weak', factors: ['sms'] }) }),
  mfa_enabled: sampleEvent({ type: 'mfa_enabled', severity: 'info', before: account({ mfa: 'disabled' }), after: account() }),
  factor_added: sampleEvent({ type: 'factor_added', severity: 'high', before: admin, after: account({ admin: true, factors: ['totp', 'webauthn'] }) }),
  credential_added: sampleEvent({ type: 'credential_added', severity: 'medium', provider: 'AWS IAM', scope: '111122223333', before: account({ kind: 'iam_user', accountId: 'AIDAEXAMPLE', login: 'deploy' }), after: account({ kind: 'iam_user', accountId: 'AIDAEXAMPLE', login: 'deploy' }), detail: { credential: 'access_key:AKIAEXAMPLE' } }),
  account_added: sampleEvent({ type: 'account_added', severity: 'critical', before: null, after: account({ admin: true, mfa: 'disabled', email: 'alice@example.com', displayName: 'Alice' }) }),
  account_removed: sampleEvent({ type: 'account_removed', severity: 'info', before: account(), after: null }),
  privilege_changed: sampleEvent({ type: 'privilege_changed', severity: 'critical', before: account({ mfa: 'disabled' }), after: account({ admin: true, mfa: 'disabled' }) }),
  signin_without_mfa: sampleEvent({ type: 'signin_without_mfa', severity: 'critical', provider: 'AWS IAM', before: null, after: account({ kind: 'root', accountId: '111122223333', login: 'root' }), detail: { sourceIp: '203.0.113.7' } }),
  baseline: sampleEvent({ type: 'baseline', severity: 'info', accountId: null, login: null, before: null, after: null }),
  scan_failed: sampleEvent({ type: 'scan_failed', severity: 'high', accountId: null, login: null, before: null, after: null }),
  scan_recovered: sampleEvent({ type: 'scan_recovered', severity: 'info', accountId: null, login: null, before: null, after: null }),
  anomaly: sampleEvent({ type: 'anomaly', severity: 'high', accountId: null, login: null, before: null, after: null }),
  stale_data: sampleEvent({ type: 'stale_data', severity: 'high', accountId: null, login: null, before: null, after: null }),
  owner_deadline_passed: sampleEvent({ type: 'owner_deadline_passed', severity: 'high', before: account({ mfa: 'disabled' }), after: account({ mfa: 'disabled' }) }),
  owner_reported_compromise: sampleEvent({ type: 'owner_reported_compromise', severity: 'critical', before: account(), after: account() }),
  mfa_requirement_disabled: sampleEvent({ type: 'mfa_requirement_disabled', severity: 'critical', accountId: null, login: null, before: null, after: null }),
};

describe('toOcsf', () => {
  it(`states OCSF ${OCSF_VERSION}, the version of the vendored schema files`, () => {
    expect(VENDORED_VERSION).toBe(OCSF_VERSION);
  });

  const table: Array<[ChangeEventType, number | null, number | null, string | null]> = [
    ['mfa_disabled', 3001, 11, 'MFA Factor Disable'],
    ['mfa_weakened', 3001, 11, 'MFA Factor Disable'],
    ['mfa_enabled', 3001, 10, 'MFA Factor Enable'],
    ['factor_added', 3001, 10, 'MFA Factor Enable'],
    ['credential_added', 3001, 99, 'Credential Create'],
    ['account_added', 3001, 1, 'Create'],
    ['account_removed', 3001, 6, 'Delete'],
    ['privilege_changed', 3001, 99, 'Privilege Change'],
    ['signin_without_mfa', 3002, 1, 'Logon'],
    ['baseline', null, null, null],
    ['scan_failed', null, null, null],
    ['scan_recovered', null, null, null],
    ['anomaly', null, null, null],
    ['stale_data', null, null, null],
    ['owner_deadline_passed', null, null, null],
    ['owner_reported_compromise', null, null, null],
    ['mfa_requirement_disabled', null, null, null],
  ];
  it.each(table)('%s → class %s, activity %s (%s), valid OCSF', (type, classUid, activityId, activityName) => {
    const o = toOcsf(events[type], 'scan-42');
    if (classUid === null) {
      expect(o).toBeNull();
      return;
    }
    expect(o).toMatchObject({ class_uid: classUid, activity_id: activityId, activity_name: activityName, category_uid: 3, type_uid: classUid * 100 + (activityId ?? 0), metadata: { version: '1.3.0', correlation_uid: 'scan-42', event_code: type } });
    expect(ocsfProblems(o as Record<string, unknown>)).toEqual([]);
  });

  it('maps severity, time, the target user and the state after', () => {
    const o = toOcsf(events.account_added, 'scan-42') as Record<string, unknown>;
    expect(o).toMatchObject({ severity_id: 5, severity: 'Critical', time: Date.parse('2026-11-22T10:00:00.000Z'), status_id: 1, message: events.account_added.summary });
    expect(o.user).toEqual({ uid: '1', name: 'alice', full_name: 'Alice', email_addr: 'alice@example.com', type_id: 2, type: 'Admin', account: { uid: '1', name: 'alice', type_id: 99, type: 'GitHub' } });
    expect(o.user_result).toEqual(o.user);
    expect((toOcsf(events.mfa_enabled, 'x') as Record<string, unknown>).severity_id).toBe(1);
    const signin = toOcsf(events.signin_without_mfa, 'x') as Record<string, { account?: unknown }> & { is_mfa: boolean };
    expect(signin.is_mfa).toBe(false);
    expect(signin.user?.account).toEqual({ uid: '111122223333', name: 'root', type_id: 10, type: 'AWS Account' });
    expect(signin.user_result).toBeUndefined(); // not an Authentication attribute
    expect((toOcsf(events.credential_added, 'x') as { user: { account: unknown } }).user.account).toMatchObject({ type_id: 3, type: 'AWS IAM User' });
  });

  it('the validator catches what OCSF forbids', () => {
    const good = toOcsf(events.mfa_disabled, 'x') as Record<string, unknown>;
    expect(ocsfProblems({ ...good, activity_id: 42, type_uid: 300142 })).toEqual(['account_change.activity_id: 42 is not one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99']);
    const { user: _user, ...noUser } = good;
    expect(ocsfProblems(noUser)).toContain('account_change.user: required');
    expect(ocsfProblems({ ...good, severity_id: 7 })).toEqual([expect.stringMatching(/^account_change.severity_id: 7 is not one of/)]);
    expect(ocsfProblems({ ...good, is_mfa: false })).toEqual(['account_change.is_mfa: not an attribute of account_change']);
    expect(ocsfProblems({ ...good, user: { type_id: 1 } })).toEqual(['account_change.user: needs at least one of account, name, uid']);
    expect(ocsfProblems({ ...good, time: '2026-11-22' })).toEqual([expect.stringMatching(/^account_change.time: timestamp_t expected/)]);
    expect(ocsfProblems({ ...good, type_uid: 300111 + 1 })).toEqual(['type_uid must be class_uid * 100 + activity_id']);
  });
});

const batchOf = (list: ChangeEvent[], kind: NotificationBatch['kind'] = 'changes'): NotificationBatch =>
  buildBatch('scan-42', kind, { monitorId: 'gh-acme', provider: 'GitHub', type: 'github', scope: '', label: 'acme' }, list, new Date('2026-11-22T10:00:00.000Z'));

describe('stdout notifier, format ocsf', () => {
  it('one valid OCSF event per line for each change; nothing for health events', async () => {
    let out = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
    const module = NOTIFIERS.get('stdout')!;
    const n = module.create(module.configSchema.parse({ id: 'siem', type: 'stdout', format: 'ocsf' }), { ...testDeps(), stdout });
    await n.send(batchOf(Object.values(events)), { signal: AbortSignal.timeout(5_000) });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(9);
    for (const l of lines) expect(ocsfProblems(l)).toEqual([]);
    expect(lines.map((l) => l.class_uid)).toEqual([3001, 3001, 3001, 3001, 3001, 3001, 3001, 3001, 3002]);
  });
});

describe('webhook notifier, format ocsf', () => {
  let server: FakeChannel | undefined;
  afterEach(async () => {
    await server?.stop();
  });
  it('POSTs a signed JSON array of valid OCSF events; a batch with nothing OCSF can say posts nothing', async () => {
    server = new FakeChannel('webhook');
    const url = await server.start();
    const module = NOTIFIERS.get('webhook')!;
    const clock = new PinnedClock('2026-11-22T10:00:05.000Z');
    const n = module.create(module.configSchema.parse({ id: 'soar', type: 'webhook', url: `${url}/hooks/mfawatch`, secret: 'hmac-secret-0123456789', format: 'ocsf' }), testDeps({ clock }));
    await n.send(batchOf([events.mfa_disabled, events.signin_without_mfa, events.scan_failed]), { signal: AbortSignal.timeout(5_000) });
    const req = server.accepted[0]!;
    const body = JSON.parse(req.body) as Array<Record<string, unknown>>;
    expect(body.map((e) => e.class_uid)).toEqual([3001, 3002]);
    for (const e of body) expect(ocsfProblems(e)).toEqual([]);
    const ts = req.headers['x-mfawatch-timestamp'] as string;
    expect(req.headers['x-mfawatch-signature']).toBe(`sha256=${createHmac('sha256', 'hmac-secret-0123456789').update(`${ts}.${req.body}`).digest('hex')}`);
    await n.send(batchOf([events.scan_failed], 'health'), { signal: AbortSignal.timeout(5_000) });
    expect(server.accepted).toHaveLength(1);
  });
});
