import { describe, expect, it } from 'vitest';
import type { AccountState } from '../../src/core/types.js';
import { assessMassChange, changeFingerprint, confirmsHold, isDowngrade } from '../../src/scan/mass-change.js';

const acct = (id: number, over: Partial<AccountState> = {}): AccountState => ({ accountId: String(id), login: `u${id}`, email: null, displayName: null, kind: 'member', admin: false, mfa: 'enabled', factors: [], url: null, ...over });
const many = (n: number, from = 1) => Array.from({ length: n }, (_, i) => acct(from + i));
const down = (n: number) => many(n).map((a) => ({ before: a, after: { ...a, mfa: 'disabled' as const } }));
const settings = { share: 0.2, minAccounts: 5, upgradeShare: 0.5, upgradeMinAccounts: 5 };
const up = (n: number, from = 1) => many(n, from).map((a) => ({ before: { ...a, mfa: 'disabled' as const }, after: a }));

describe('assessMassChange', () => {
  const table: Array<[string, Parameters<typeof assessMassChange>[0], boolean]> = [
    ['nothing changed', { stored: 1000, seen: 1000, removed: [], downgraded: [] }, false],
    ['first scan (nothing stored)', { stored: 0, seen: 0, removed: [], downgraded: [] }, false],
    ['10% removed', { stored: 1000, seen: 900, removed: many(100), downgraded: [] }, false],
    ['19% removed', { stored: 100, seen: 81, removed: many(19), downgraded: [] }, false],
    // Inclusive: a page of 50 lost from a listing of 250 is exactly 20 %.
    ['exactly 20% is held', { stored: 250, seen: 200, removed: many(50), downgraded: [] }, true],
    ['21% removed', { stored: 100, seen: 79, removed: many(21), downgraded: [] }, true],
    ['25% downgraded', { stored: 100, seen: 100, removed: [], downgraded: down(25) }, true],
    ['removed + downgraded together above the share', { stored: 100, seen: 88, removed: many(12), downgraded: down(12) }, true],
    ['small org: 2 of 4 removed is below minAccounts', { stored: 4, seen: 2, removed: many(2), downgraded: [] }, false],
    ['an org of many suddenly empty', { stored: 5000, seen: 0, removed: many(5000), downgraded: [] }, true],
    ['an org of 5 suddenly empty', { stored: 5, seen: 0, removed: many(5), downgraded: [] }, true],
    ['an org of 3 emptied is below minAccounts', { stored: 3, seen: 0, removed: many(3), downgraded: [] }, false],
    ['all 11 accounts without MFA turned "enabled" at once (mass all clear)', { stored: 50, seen: 50, removed: [], downgraded: [], upgraded: up(11), storedWithoutMfa: 11 }, true],
    ['half of those without MFA enabled it (inclusive)', { stored: 50, seen: 50, removed: [], downgraded: [], upgraded: up(6), storedWithoutMfa: 12 }, true],
    ['a few of many without MFA enabled it', { stored: 500, seen: 500, removed: [], downgraded: [], upgraded: up(20), storedWithoutMfa: 100 }, false],
    ['all of 4 without MFA enabled it: below upgradeMinAccounts', { stored: 50, seen: 50, removed: [], downgraded: [], upgraded: up(4), storedWithoutMfa: 4 }, false],
  ];
  it.each(table)('%s', (_name, input, hold) => {
    expect(assessMassChange(input, settings).hold).toBe(hold);
  });

  it('holds an emptied org even when the share guard is at 100%', () => {
    expect(assessMassChange({ stored: 500, seen: 0, removed: many(500), downgraded: [] }, { ...settings, share: 1 }).hold).toBe(true);
  });

  it('explains itself in numbers', () => {
    const d = assessMassChange({ stored: 100, seen: 70, removed: many(30), downgraded: [] }, settings);
    expect(d.hold && d.summary).toMatch(/remove 30 and downgrade 0 of 100 accounts \(30%, at or above the 20% guard\)/);
  });

  it('explains a mass all clear, admins named', () => {
    const upgraded = up(11).map((u, i) => (i === 0 ? { before: { ...u.before, admin: true }, after: { ...u.after, admin: true } } : u));
    const d = assessMassChange({ stored: 50, seen: 50, removed: [], downgraded: [], upgraded, storedWithoutMfa: 11 }, settings);
    expect(d.hold && d.summary).toMatch(/MFA turned on for 11 of the 11 accounts without MFA \(1 admin among them\) at once \(100%, at or above the 50% guard/);
    expect(d.hold && d.keys.filter((k) => k.startsWith('+'))).toHaveLength(11);
  });
});

describe('isDowngrade and changeFingerprint', () => {
  it('counts MFA getting worse and admin lost, never unknown or improvements', () => {
    expect(isDowngrade(acct(1), acct(1, { mfa: 'weak' }))).toBe(true);
    expect(isDowngrade(acct(1, { mfa: 'weak' }), acct(1, { mfa: 'disabled' }))).toBe(true);
    expect(isDowngrade(acct(1, { admin: true }), acct(1))).toBe(true);
    expect(isDowngrade(acct(1), acct(1, { mfa: 'unknown' }))).toBe(false);
    expect(isDowngrade(acct(1, { mfa: 'disabled' }), acct(1))).toBe(false);
    expect(isDowngrade(acct(1), acct(1, { admin: true }))).toBe(false);
  });

  it('is the same for the same picture in any order, different otherwise', () => {
    const a = changeFingerprint({ removed: many(3), downgraded: [] });
    expect(changeFingerprint({ removed: many(3).reverse(), downgraded: [] })).toBe(a);
    expect(changeFingerprint({ removed: many(3, 2), downgraded: [] })).not.toBe(a);
  });
});

describe('confirmsHold', () => {
  const keys = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `-${from + i}`);
  const pic = (k: string[]) => ({ fingerprint: k.join(','), keys: k });
  it.each([
    ['the same picture', keys(100), keys(100), true],
    ['two more people left meanwhile (98% alike)', keys(100), keys(102), true],
    ['a few of the held ones came back (95% alike)', keys(100), keys(95), true],
    ['a different set of accounts', keys(100), keys(100, 500), false],
    ['half of it', keys(100), keys(50), false],
  ])('%s', (_name, held, next, confirmed) => {
    expect(confirmsHold(pic(held), pic(next))).toBe(confirmed);
  });
});
