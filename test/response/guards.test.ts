/** The auto-response guards as a table: each guard alone, then their order and interplay. */
import { describe, expect, it } from 'vitest';
import type { AccountState, ChangeEvent, ChangeEventType, Severity } from '../../src/core/types.js';
import { changedAccountCount, decideKills, massChangeTripped, triggers, type AutoResponsePolicy, type Candidate, type GuardState } from '../../src/response/guards.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const policy: AutoResponsePolicy = {
  enabled: true, dryRun: false, on: ['mfa_disabled', 'account_added', 'privilege_changed'], minSeverity: 'high', exempt: ['breakglass@example.com', 'github:robot'],
  maxPerRun: 2, maxPerDay: 5, cooldown: 3_600_000, massChangeShare: 0.2, massChangeMinAccounts: 3, graceMinutes: 0, killTimeout: 60_000,
};
const state = (over: Partial<GuardState> = {}): GuardState => ({ now: NOW, killsLast24h: 0, killsEarlierThisRun: 0, lastKillAt: () => null, scopeAccounts: 100, changedAccounts: 1, ...over });

let nextId = 1;
function acct(login: string, mfa: AccountState['mfa'], admin = false): AccountState {
  return { accountId: String(nextId++), login, email: null, displayName: null, kind: 'member', admin, mfa, factors: [], url: null };
}
function event(type: ChangeEventType, login: string, severity: Severity = 'high', after: Partial<AccountState> = {}): ChangeEvent {
  const a = { ...acct(login, 'disabled'), ...after };
  return { id: nextId++, type, severity, monitorId: 'gh', scope: '', provider: 'GitHub', at: NOW.toISOString(), accountId: a.accountId, login, before: acct(login, 'enabled'), after: a, summary: `${login} ${type}` };
}
const cand = (e: ChangeEvent, identity: string | null = `${e.login ?? ''}@example.com`): Candidate => ({ event: e, identity, accountKeys: [`github:${e.login ?? ''}`, `gh:${e.login ?? ''}`] });
const verdictsOf = (cs: Candidate[], s = state(), p = policy) => decideKills(cs, p, s).map((v) => (v.kill ? `kill ${v.identity}` : `${v.guard} ${v.identity ?? v.candidate.event.login}`));

describe('triggers', () => {
  it.each([
    ['mfa_disabled high', event('mfa_disabled', 'a', 'high'), true],
    ['mfa_disabled critical', event('mfa_disabled', 'a', 'critical'), true],
    ['mfa_disabled below minSeverity', event('mfa_disabled', 'a', 'medium'), false],
    ['a type not in on', event('mfa_weakened', 'a', 'high', { mfa: 'weak' }), false],
    ['account_added without MFA', event('account_added', 'a', 'high', { mfa: 'disabled' }), true],
    ['account_added with MFA', event('account_added', 'a', 'high', { mfa: 'enabled' }), false],
    ['privilege_changed to an admin without MFA', event('privilege_changed', 'a', 'critical', { admin: true, mfa: 'disabled' }), true],
    ['privilege_changed to an admin with MFA', event('privilege_changed', 'a', 'critical', { admin: true, mfa: 'enabled' }), false],
  ] as const)('%s → %s', (_name, e, expected) => {
    expect(triggers(e, policy)).toBe(expected);
  });
});

describe('massChangeTripped', () => {
  it.each([
    [2, 4, false, 'below the minimum count, even at 50%'],
    [3, 100, false, '3% of the scope'],
    [21, 100, true, '21% > 20%'],
    [20, 100, false, 'exactly 20% is not more than 20%'],
    [3, 10, true, '30% and at the minimum'],
  ])('%i of %i changed → %s (%s)', (changed, total, expected) => {
    expect(massChangeTripped(policy, changed, total)).toBe(expected);
  });
});

describe('decideKills', () => {
  it('kills a linked identity that lost MFA', () => {
    expect(verdictsOf([cand(event('mfa_disabled', 'alice'))])).toEqual(['kill alice@example.com']);
  });
  it('never touches an exempt identity or exempt account, and says so', () => {
    const v = decideKills([cand(event('mfa_disabled', 'bg'), 'BreakGlass@example.com'), cand(event('mfa_disabled', 'robot'), 'robot@example.com')], policy, state());
    expect(v.map((x) => (x.kill ? 'kill' : x.guard))).toEqual(['exempt', 'exempt']);
    expect(v[0]?.kill === false && v[0].reason).toMatch(/exempt/);
  });
  it('refuses an account linked to nobody', () => {
    expect(verdictsOf([cand(event('mfa_disabled', 'x'), null)])).toEqual(['no_identity x']);
  });
  it('the breaker stops every kill of a mass change, with the numbers', () => {
    const v = decideKills([cand(event('mfa_disabled', 'a')), cand(event('mfa_disabled', 'b'))], policy, state({ changedAccounts: 30, scopeAccounts: 100 }));
    expect(v.every((x) => !x.kill && x.guard === 'mass_change')).toBe(true);
    expect(v[0]?.kill === false && v[0].reason).toMatch(/30 of 100 accounts changed/);
  });
  it('cooldown: an identity killed within the cooldown is not killed again; after it, it is', () => {
    const recent = state({ lastKillAt: (i) => (i === 'alice@example.com' ? new Date(NOW.getTime() - 30 * 60_000) : null) });
    expect(verdictsOf([cand(event('mfa_disabled', 'alice')), cand(event('mfa_disabled', 'bob'))], recent)).toEqual(['cooldown alice@example.com', 'kill bob@example.com']);
    // How long ago, in words: no UTC ISO time in a reason people read.
    const [held] = decideKills([cand(event('mfa_disabled', 'alice'))], policy, recent);
    expect(held?.kill === false && held.reason).toBe("alice@example.com's sessions were already killed 30m ago, within the cooldown of 60 min");
    const old = state({ lastKillAt: () => new Date(NOW.getTime() - 2 * 3_600_000) });
    expect(verdictsOf([cand(event('mfa_disabled', 'alice'))], old)).toEqual(['kill alice@example.com']);
  });
  it('maxPerRun caps the kills of one scan, counting those other scans of the same run decided', () => {
    expect(verdictsOf(['a', 'b', 'c'].map((l) => cand(event('mfa_disabled', l))))).toEqual(['kill a@example.com', 'kill b@example.com', 'max_per_run c@example.com']);
    expect(verdictsOf(['a', 'b'].map((l) => cand(event('mfa_disabled', l))), state({ killsEarlierThisRun: 1 }))).toEqual(['kill a@example.com', 'max_per_run b@example.com']);
    expect(verdictsOf(['a'].map((l) => cand(event('mfa_disabled', l))), state({ killsEarlierThisRun: 2 }))).toEqual(['max_per_run a@example.com']);
  });
  it('maxPerDay counts the kills already made in the last 24 hours', () => {
    expect(verdictsOf(['a', 'b'].map((l) => cand(event('mfa_disabled', l))), state({ killsLast24h: 4 }))).toEqual(['kill a@example.com', 'max_per_day b@example.com']);
  });
  it('one identity is killed once per scan, whatever the number of its events or accounts', () => {
    const e1 = event('mfa_disabled', 'alice');
    const e2 = event('privilege_changed', 'alice', 'critical', { admin: true });
    expect(verdictsOf([cand(e1), cand(e2, 'alice@example.com')])).toEqual(['kill alice@example.com']);
  });
  it('exempt wins over every other guard; the breaker wins over caps', () => {
    const cs = [cand(event('mfa_disabled', 'bg'), 'breakglass@example.com'), cand(event('mfa_disabled', 'a'))];
    expect(verdictsOf(cs, state({ changedAccounts: 50, killsLast24h: 99 }))).toEqual(['exempt breakglass@example.com', 'mass_change a@example.com']);
  });
  it('ignores events that do not trigger', () => {
    expect(verdictsOf([cand(event('mfa_enabled', 'a', 'info', { mfa: 'enabled' }))])).toEqual([]);
  });
});

describe('changedAccountCount', () => {
  it('counts distinct accounts of account-change events only', () => {
    const a = event('mfa_disabled', 'a');
    const same = { ...event('privilege_changed', 'a'), accountId: a.accountId };
    const health = { ...event('scan_failed', 'x'), accountId: null };
    expect(changedAccountCount([a, same, event('account_removed', 'b'), health])).toBe(2);
  });
});
