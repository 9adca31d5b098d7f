/**
 * Every session-kill message, word for word and severity by severity, per decision kind: a dry
 * run "would kill" and is info; one message per scan; held back is high only when a real kill
 * was wanted; a dry-run kill is never announced; a kill nobody could act on is one low notice.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Severity } from '../../src/core/types.js';
import type { ServiceResult } from '../../src/response/invalidate.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import { isoTime } from '../../src/delivery/render.js';
import { decisionMessage, killResultMessage, type Decision } from '../../src/response/messages.js';

const event = (login: string, severity: Severity): ChangeEvent => ({
  id: 1, type: 'mfa_disabled', severity, monitorId: 'gh', scope: '', provider: 'github', at: '2026-11-22T10:00:00.000Z',
  accountId: login, login, before: null, after: null, summary: `${login} disabled two-factor authentication`,
});
const alice = event('alice', 'critical');
const bob = event('bob', 'high');
const dueAt = new Date('2026-11-22T10:10:00.000Z');
const wouldKill = (e: ChangeEvent, identity: string): Decision => ({ kind: 'would_kill', identity, event: e });
const held = (e: ChangeEvent, identity: string | null, reason = 'breakglass@example.com is exempt from auto-response'): Decision => ({ kind: 'held_back', identity, event: e, guard: 'exempt', reason });

describe('decisionMessage: one message per scan', () => {
  const table: Array<[string, { decisions: Decision[]; dryRun: boolean; graceMinutes?: number }, { title: string; severity: Severity; text: string[] } | null]> = [
    ['dry run, two decisions: one info message that says "would kill"', { dryRun: true, decisions: [wouldKill(alice, 'alice@example.com'), wouldKill(bob, 'bob@example.com')] }, {
      title: 'would kill (dry run) the sessions of alice@example.com, bob@example.com',
      severity: 'info',
      text: [
        '- alice disabled two-factor authentication: would kill (dry run) the sessions of alice@example.com',
        '- bob disabled two-factor authentication: would kill (dry run) the sessions of bob@example.com',
        'Dry run (autoResponse.dryRun is true): nothing was killed. Set it to false to act.',
      ],
    }],
    ['dry run with one held back: still one info message', { dryRun: true, decisions: [wouldKill(alice, 'alice@example.com'), held(bob, 'breakglass@example.com')] }, {
      title: 'would kill (dry run) the sessions of alice@example.com; auto-response (dry run) held back for 1 account(s)',
      severity: 'info',
      text: [
        '- alice disabled two-factor authentication: would kill (dry run) the sessions of alice@example.com',
        '- bob disabled two-factor authentication: would not kill (dry run). breakglass@example.com is exempt from auto-response',
        'Dry run (autoResponse.dryRun is true): nothing was killed. Set it to false to act.',
      ],
    }],
    ['real kill held back: high, however critical the event (the event was sent at its own severity)', { dryRun: false, decisions: [held(alice, null, 'the account is not linked to a person')] }, {
      title: 'auto-response held back for 1 account(s)',
      severity: 'high',
      text: [
        '- alice disabled two-factor authentication: not killed. the account is not linked to a person',
        'Review the accounts, and kill sessions by hand where needed: mfawatch kill IDENTITY',
      ],
    }],
    ['real kills at once, nothing held: no message (the kill results follow)', { dryRun: false, decisions: [{ kind: 'kill_now', identity: 'alice@example.com', event: alice }] }, null],
    ['real kill at once next to one held back: one message, high', { dryRun: false, decisions: [{ kind: 'kill_now', identity: 'alice@example.com', event: alice }, held(bob, 'breakglass@example.com')] }, {
      title: 'killing the sessions of alice@example.com now; auto-response held back for 1 account(s)',
      severity: 'high',
      text: [
        '- alice disabled two-factor authentication: killing the sessions of alice@example.com now',
        '- bob disabled two-factor authentication: not killed. breakglass@example.com is exempt from auto-response',
        'Review the accounts, and kill sessions by hand where needed: mfawatch kill IDENTITY',
      ],
    }],
    ['grace: the kill is announced at its event\'s severity, with how to stop it', { dryRun: false, graceMinutes: 10, decisions: [{ kind: 'kill_later', identity: 'alice@example.com', event: alice, dueAt }] }, {
      title: 'sessions of alice@example.com will be killed in 10 min',
      severity: 'critical',
      text: ['- alice disabled two-factor authentication: the sessions of alice@example.com will be killed at 2026-11-22T10:10:00.000Z unless someone runs: mfawatch cancel-kill alice@example.com'],
    }],
    ['mass change: the breaker names itself in the title', { dryRun: false, decisions: [{ kind: 'held_back', identity: 'alice@example.com', event: alice, guard: 'mass_change', reason: '5 of 43 accounts changed in one scan: no automatic kill' }] }, {
      title: 'auto-response held back: 5 of 43 accounts changed in one scan',
      severity: 'high',
      text: [
        '- alice disabled two-factor authentication: not killed. 5 of 43 accounts changed in one scan: no automatic kill',
        'Review the accounts, and kill sessions by hand where needed: mfawatch kill IDENTITY',
      ],
    }],
  ];
  it.each(table)('%s', (_name, input, expected) => {
    const message = decisionMessage({ graceMinutes: 0, formatTime: isoTime, ...input });
    if (expected === null) {
      expect(message).toBeNull();
      return;
    }
    expect(message).toEqual({ title: expected.title, severity: expected.severity, text: expected.text.join('\n') });
    expect(message?.title).not.toMatch(/\bkilled for\b|sessions killed/);
  });

  it('a kill due later is told in the time format of the readers: displayTimezone with the zone named for people', () => {
    const later: Decision = { kind: 'kill_later', identity: 'alice@example.com', event: alice, dueAt };
    const message = decisionMessage({ dryRun: false, graceMinutes: 10, formatTime: displayTimeFormatter('Europe/Berlin'), decisions: [later] });
    expect(message?.text).toBe('- alice disabled two-factor authentication: the sessions of alice@example.com will be killed at 2026-11-22 11:10 GMT+1 unless someone runs: mfawatch cancel-kill alice@example.com');
  });

  it('names at most three people in the title', () => {
    const people = ['a', 'b', 'c', 'd', 'e'].map((l) => wouldKill(event(l, 'high'), `${l}@example.com`));
    expect(decisionMessage({ dryRun: true, graceMinutes: 0, formatTime: isoTime, decisions: people })?.title).toBe('would kill (dry run) the sessions of a@example.com, b@example.com, c@example.com and 2 more');
  });
});

describe('killResultMessage', () => {
  const result = (outcome: ServiceResult['outcome'], detail = 'done'): ServiceResult => ({ responderId: 'okta', type: 'okta', service: 'Okta', outcome, detail, calls: [], durationMs: 1 });
  const table: Array<[string, Parameters<typeof killResultMessage>[0], { title: string; severity: Severity; text: string } | null]> = [
    ['a dry run tells nobody', { identity: 'alice@example.com', by: 'by root', dryRun: true, results: [result('skipped')], cause: null }, null],
    ['an automatic dry run tells nobody either', { identity: 'alice@example.com', by: 'auto-response', dryRun: true, results: [result('skipped')], cause: alice }, null],
    ['a complete kill: the cause\'s severity', { identity: 'alice@example.com', by: 'auto-response', dryRun: false, results: [result('succeeded', 'sessions and OAuth tokens cleared')], cause: alice }, {
      title: 'sessions killed for alice@example.com (auto-response)', severity: 'critical',
      text: 'Because: alice disabled two-factor authentication\n- Okta (okta): succeeded: sessions and OAuth tokens cleared',
    }],
    ['a complete manual kill: high', { identity: 'alice@example.com', by: 'by root', dryRun: false, results: [result('succeeded', 'cleared')], cause: null }, {
      title: 'sessions killed for alice@example.com (by root)', severity: 'high', text: '- Okta (okta): succeeded: cleared',
    }],
    ['an incomplete kill: critical, with how to finish it', { identity: 'alice@example.com', by: 'by root', dryRun: false, results: [result('succeeded', 'cleared'), { ...result('failed', 'Entra ID returned 503'), responderId: 'entra', service: 'Entra ID' }], cause: null }, {
      title: 'session kill incomplete for alice@example.com (by root)', severity: 'critical',
      text: '- Okta (okta): succeeded: cleared\n- Entra ID (entra): failed: Entra ID returned 503\nFinish by hand: mfawatch kill alice@example.com',
    }],
    ['nobody knows the identity: one short low notice', { identity: 'nobody@example.com', by: 'by root', dryRun: false, results: [result('not_found', 'no such user'), { ...result('unsupported', 'n/a'), responderId: 'slack' }], cause: null }, {
      title: 'kill of nobody@example.com (by root): no configured service knows them', severity: 'low',
      text: 'Nothing was changed. Check the identity, or link its accounts with identities.map.',
    }],
  ];
  it.each(table)('%s', (_name, input, expected) => {
    expect(killResultMessage(input)).toEqual(expected);
  });
});
