import { describe, expect, it } from 'vitest';
import { diffAccount, effectiveState, mfaTerm, mfaTransition, stateDiffers, toAccountState } from '../../src/scan/diff.js';
import { severityOf } from '../../src/scan/policy.js';
import type { AccountState, ChangeEventType, MfaState, Severity } from '../../src/core/types.js';

const account = (over: Partial<AccountState> = {}): AccountState => ({
  accountId: '42',
  login: 'alice',
  email: null,
  displayName: null,
  kind: 'member',
  admin: false,
  mfa: 'enabled',
  factors: [],
  url: null,
  ...over,
});

describe('mfaTransition', () => {
  const table: Array<[MfaState, MfaState, ChangeEventType | null]> = [
    ['enabled', 'disabled', 'mfa_disabled'],
    ['weak', 'disabled', 'mfa_disabled'],
    ['enabled', 'weak', 'mfa_weakened'],
    ['disabled', 'enabled', 'mfa_enabled'],
    ['weak', 'enabled', 'mfa_enabled'],
    ['disabled', 'weak', null],
    ['enabled', 'enabled', null],
    ['disabled', 'disabled', null],
    ['not_applicable', 'disabled', null],
    ['disabled', 'not_applicable', null],
    ['enabled', 'not_applicable', null],
    ['unknown', 'disabled', null],
    ['enabled', 'unknown', null],
  ];
  it.each(table)('%s → %s gives %s', (from, to, expected) => {
    expect(mfaTransition(from, to)).toBe(expected);
  });
});

describe('diffAccount', () => {
  it('a new account gives one account_added carrying its MFA state', () => {
    const [e, ...rest] = diffAccount(null, account({ mfa: 'disabled' }));
    expect(rest).toHaveLength(0);
    expect(e).toMatchObject({ type: 'account_added', severity: 'medium', login: 'alice', before: null, after: { mfa: 'disabled' } });
    expect(e?.summary).toContain('without MFA');
  });

  it('a removed account gives one account_removed', () => {
    expect(diffAccount(account(), null).map((e) => e.type)).toEqual(['account_removed']);
  });

  it('an unchanged account gives nothing', () => {
    expect(diffAccount(account(), account())).toEqual([]);
  });

  it('a rename alone gives no event', () => {
    expect(diffAccount(account(), account({ login: 'alice2' }))).toEqual([]);
  });

  it('losing MFA and becoming admin at once gives two events, both critical', () => {
    const events = diffAccount(account(), account({ mfa: 'disabled', admin: true }));
    expect(events.map((e) => [e.type, e.severity])).toEqual([
      ['mfa_disabled', 'critical'],
      ['privilege_changed', 'critical'],
    ]);
  });

  it('losing admin gives a medium privilege_changed', () => {
    expect(diffAccount(account({ admin: true }), account()).map((e) => [e.type, e.severity])).toEqual([['privilege_changed', 'medium']]);
  });

  it('an API-only (not_applicable) account never alerts on MFA', () => {
    expect(diffAccount(account({ mfa: 'not_applicable' }), account({ mfa: 'disabled' }))).toEqual([]);
    expect(diffAccount(account({ mfa: 'enabled' }), account({ mfa: 'not_applicable' }))).toEqual([]);
  });

  it('the summary says what happened in plain words', () => {
    expect(diffAccount(account(), account({ mfa: 'disabled' }))[0]?.summary).toBe('alice disabled MFA');
    expect(diffAccount(account(), account({ mfa: 'weak', factors: ['sms'] }))[0]?.summary).toBe('alice weakened MFA: only sms left');
    expect(diffAccount(account({ kind: 'root', login: '<root_account>' }), account({ kind: 'root', login: '<root_account>', mfa: 'disabled' }))[0]?.summary).toBe(
      'the root account disabled MFA',
    );
    expect(diffAccount(account(), account({ mfa: 'disabled' }), {}, mfaTerm('GitHub'))[0]?.summary).toBe('alice disabled two-factor authentication');
    expect([mfaTerm('GitLab'), mfaTerm('Google Workspace'), mfaTerm('Okta'), mfaTerm('AWS IAM')]).toEqual(['two-factor authentication', '2-Step Verification', 'MFA', 'MFA']);
    expect(diffAccount(account({ mfa: 'weak', factors: ['sms'] }), account({ mfa: 'disabled' }))[0]?.summary).toBe('alice disabled MFA (it had only weak methods before)');
    expect(diffAccount(null, account({ mfa: 'disabled', admin: true }), {}, mfaTerm('GitHub'))[0]?.summary).toBe('alice (admin) was added as member without two-factor authentication');
  });
});

describe('effectiveState', () => {
  it('an unknown reading keeps the last known MFA state and factors', () => {
    const before = account({ mfa: 'weak', factors: ['sms'] });
    expect(effectiveState(before, account({ mfa: 'unknown', login: 'renamed' }))).toMatchObject({ mfa: 'weak', factors: ['sms'], login: 'renamed' });
  });
  it('a known reading replaces the stored one', () => {
    expect(effectiveState(account(), account({ mfa: 'disabled' })).mfa).toBe('disabled');
  });
  it('unknown stays unknown for a new account', () => {
    expect(effectiveState(null, account({ mfa: 'unknown' })).mfa).toBe('unknown');
  });
});

describe('stateDiffers and toAccountState', () => {
  it('factor order does not make a difference', () => {
    const a = toAccountState({ accountId: '1', login: 'a', kind: 'user', admin: false, mfa: 'enabled', factors: ['totp', 'webauthn', 'totp'] });
    const b = toAccountState({ accountId: '1', login: 'a', kind: 'user', admin: false, mfa: 'enabled', factors: ['webauthn', 'totp'] });
    expect(a.factors).toEqual(['totp', 'webauthn']);
    expect(stateDiffers(a, b)).toBe(false);
  });
  it('any stored field difference counts', () => {
    expect(stateDiffers(account(), account({ email: 'a@example.com' }))).toBe(true);
    expect(stateDiffers(account(), account({ url: 'https://x' }))).toBe(true);
  });
});

describe('severityOf (DESIGN.md table)', () => {
  const member = account();
  const admin = account({ admin: true });
  const root = account({ kind: 'root', admin: false });
  const noMfa = (a: AccountState) => ({ ...a, mfa: 'disabled' as const });
  const weak = (a: AccountState) => ({ ...a, mfa: 'weak' as const });
  const table: Array<[string, ChangeEventType, AccountState | null, AccountState | null, Severity]> = [
    ['member disables MFA', 'mfa_disabled', member, noMfa(member), 'high'],
    ['admin disables MFA', 'mfa_disabled', admin, noMfa(admin), 'critical'],
    ['root loses MFA', 'mfa_disabled', root, noMfa(root), 'critical'],
    ['member weakens MFA', 'mfa_weakened', member, weak(member), 'medium'],
    ['admin weakens MFA', 'mfa_weakened', admin, weak(admin), 'high'],
    ['member enables MFA', 'mfa_enabled', noMfa(member), member, 'info'],
    ['member added with MFA', 'account_added', null, member, 'info'],
    ['member added without MFA', 'account_added', null, noMfa(member), 'medium'],
    ['member added with weak MFA', 'account_added', null, weak(member), 'medium'],
    ['admin added without MFA', 'account_added', null, noMfa(admin), 'critical'],
    ['admin added with MFA', 'account_added', null, admin, 'info'],
    ['member added, MFA not applicable', 'account_added', null, { ...member, mfa: 'not_applicable' }, 'info'],
    ['account removed', 'account_removed', member, null, 'info'],
    ['becomes admin with MFA', 'privilege_changed', member, admin, 'medium'],
    ['becomes admin without MFA', 'privilege_changed', noMfa(member), noMfa(admin), 'critical'],
    ['loses admin', 'privilege_changed', admin, member, 'medium'],
    ['scan failed', 'scan_failed', null, null, 'high'],
    ['scan recovered', 'scan_recovered', null, null, 'info'],
    ['baseline', 'baseline', null, null, 'info'],
  ];
  it.each(table)('%s → %s is %s', (_name, type, before, after, expected) => {
    expect(severityOf(type, before, after)).toBe(expected);
  });

  it('a plain override replaces the severity for everyone', () => {
    expect(severityOf('account_removed', member, null, { account_removed: 'low' })).toBe('low');
    expect(severityOf('mfa_disabled', admin, noMfa(admin), { mfa_disabled: 'medium' })).toBe('medium');
  });

  it('an object override separates admins from everyone else', () => {
    const overrides = { mfa_weakened: { default: 'low' as const, admin: 'critical' as const } };
    expect(severityOf('mfa_weakened', member, weak(member), overrides)).toBe('low');
    expect(severityOf('mfa_weakened', admin, weak(admin), overrides)).toBe('critical');
    expect(severityOf('mfa_weakened', member, weak(member), { mfa_weakened: { admin: 'critical' } })).toBe('medium');
  });
});

describe('factor_added and credential_added (issue 13)', () => {
  it('a new factor while the MFA state stays the same is factor_added, high for an admin', () => {
    const before = account({ factors: ['totp'] });
    const after = account({ factors: ['totp', 'webauthn'] });
    const events = diffAccount(before, after);
    expect(events.map((e) => [e.type, e.severity])).toEqual([['factor_added', 'medium']]);
    expect(events[0]?.detail).toEqual({ added: ['webauthn'] });
    expect(events[0]?.summary).toBe('alice registered a new MFA factor: webauthn');
    expect(diffAccount(account({ admin: true, factors: [] }), account({ admin: true, factors: ['virtual'] }))[0]?.severity).toBe('high');
  });

  it('a factor list that grows on the way to weak is a weakening, not a factor added', () => {
    expect(diffAccount(account({ mfa: 'enabled', factors: [] }), account({ mfa: 'weak', factors: ['sms'] })).map((e) => e.type)).toEqual(['mfa_weakened']);
    expect(diffAccount(account({ mfa: 'disabled', factors: [] }), account({ mfa: 'enabled', factors: ['totp'] })).map((e) => e.type)).toEqual(['mfa_enabled']);
  });

  it('a new credential id is credential_added; none when either reading does not list credentials', () => {
    const before = account({ credentials: ['password'] });
    const after = account({ credentials: ['access_key:AKIAEXAMPLE1', 'password'] });
    const events = diffAccount(before, after);
    expect(events.map((e) => [e.type, e.severity])).toEqual([['credential_added', 'medium']]);
    expect(events[0]?.detail).toEqual({ added: ['access_key:AKIAEXAMPLE1'] });
    expect(diffAccount(account(), after)).toEqual([]);
    expect(diffAccount(before, account())).toEqual([]);
    // A removed credential is not an alert.
    expect(diffAccount(after, before)).toEqual([]);
  });

  it('a new account is account_added only, whatever it holds', () => {
    expect(diffAccount(null, account({ factors: ['totp'], credentials: ['password'] })).map((e) => e.type)).toEqual(['account_added']);
  });

  it('a reading without credentials keeps the known ones; credentials are normalised and compared', () => {
    const stored = account({ credentials: ['password'] });
    expect(effectiveState(stored, account()).credentials).toEqual(['password']);
    expect(toAccountState({ accountId: '1', login: 'a', kind: 'iam_user', admin: false, mfa: 'enabled', credentials: ['b', 'a', 'a'] }).credentials).toEqual(['a', 'b']);
    expect(toAccountState({ accountId: '1', login: 'a', kind: 'iam_user', admin: false, mfa: 'enabled' })).not.toHaveProperty('credentials');
    expect(stateDiffers(stored, account({ credentials: ['password', 'access_key:X'] }))).toBe(true);
    expect(stateDiffers(stored, account({ credentials: ['password'] }))).toBe(false);
  });
});
