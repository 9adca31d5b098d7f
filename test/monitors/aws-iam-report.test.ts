/** The credential report parser on its own: the CSV details the wire tests do not reach. */
import { describe, expect, it } from 'vitest';
import { parseCredentialReport } from '../../monitors/aws-iam/credential-report.js';
import { factorOfSerial } from '../../monitors/aws-iam/index.js';
import { REPORT_HEADER } from '../fakes/aws-iam.js';

const ACCT = '123456789012';
const ROOT = `<root_account>,arn:aws:iam::${ACCT}:root,2019-01-10T08:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;
const row = (name: string, arn: string, pw: string, mfa: string) => `${name},${arn},2021-03-02T09:00:00+00:00,${pw},N/A,N/A,N/A,${mfa},true,2024-02-11T12:00:00+00:00,2026-09-20T02:06:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;

describe('parseCredentialReport', () => {
  it('reads the root row (password not_supported) and users, in either boolean case, with CRLF line ends and a BOM', () => {
    const csv = `\uFEFF${REPORT_HEADER}\r\n${ROOT}\r\n${row('soporte', `arn:aws:iam::${ACCT}:user/soporte`, 'false', 'false')}\r\n${row('ops', `arn:aws:iam::${ACCT}:user/team/ops`, 'TRUE', 'TRUE')}\r\n`;
    expect(parseCredentialReport(csv, ACCT)).toEqual([
      { user: '<root_account>', arn: `arn:aws:iam::${ACCT}:root`, root: true, passwordEnabled: null, mfaActive: false, accessKeysActive: [false, false] },
      { user: 'soporte', arn: `arn:aws:iam::${ACCT}:user/soporte`, root: false, passwordEnabled: false, mfaActive: false, accessKeysActive: [true, false] },
      { user: 'ops', arn: `arn:aws:iam::${ACCT}:user/team/ops`, root: false, passwordEnabled: true, mfaActive: true, accessKeysActive: [true, false] },
    ]);
  });

  it('reads the older, shorter report layout by column name', () => {
    const csv = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated\n<root_account>,arn:aws:iam::${ACCT}:root,2020-01-01,not_supported,2024-01-01,not_supported,not_supported,true,true,2023-01-01,false,N/A\nbad-user,arn:aws:iam::${ACCT}:user/bad-user,2024-01-01,true,2024-06-01,2024-01-01,N/A,false,false,N/A,false,N/A\n`;
    expect(parseCredentialReport(csv).map((r) => [r.user, r.passwordEnabled, r.mfaActive, r.accessKeysActive])).toEqual([['<root_account>', null, true, [true, false]], ['bad-user', true, false, [false, false]]]);
  });

  it('reads no access keys (null, not "none") from a report without the access key columns', () => {
    const csv = `user,arn,password_enabled,mfa_active
<root_account>,arn:aws:iam::${ACCT}:root,not_supported,true
alice,arn:aws:iam::${ACCT}:user/alice,true,true
`;
    expect(parseCredentialReport(csv).map((r) => r.accessKeysActive)).toEqual([null, null]);
  });

  it('refuses an access_key_1_active that is not a boolean', () => {
    const bad = row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'true', 'true').replace(',true,2024-02-11', ',maybe,2024-02-11');
    expect(() => parseCredentialReport(`${REPORT_HEADER}\n${ROOT}\n${bad}\n`, ACCT)).toThrow(/access_key_1_active is "maybe"/);
  });

  it('keeps commas inside quoted fields', () => {
    const csv = `user,arn,password_enabled,mfa_active,note\n<root_account>,arn:aws:iam::${ACCT}:root,not_supported,true,""\nalice,arn:aws:iam::${ACCT}:user/alice,true,true,"a, ""quoted"" note"\n`;
    expect(parseCredentialReport(csv)).toHaveLength(2);
  });

  it('reads a user name with commas even when AWS leaves it unquoted (the same commas are in its ARN)', () => {
    const csv = `${REPORT_HEADER}\n${ROOT}\n${row('ops,eu', `arn:aws:iam::${ACCT}:user/team/ops,eu`, 'true', 'false')}\n${row('"a,b"', `"arn:aws:iam::${ACCT}:user/a,b"`, 'true', 'true')}\n`;
    expect(parseCredentialReport(csv, ACCT).slice(1)).toEqual([
      { user: 'ops,eu', arn: `arn:aws:iam::${ACCT}:user/team/ops,eu`, root: false, passwordEnabled: true, mfaActive: false, accessKeysActive: [true, false] },
      { user: 'a,b', arn: `arn:aws:iam::${ACCT}:user/a,b`, root: false, passwordEnabled: true, mfaActive: true, accessKeysActive: [true, false] },
    ]);
    // Extra fields that are not that shape are still refused.
    expect(() => parseCredentialReport(`${REPORT_HEADER}\n${ROOT}\n${row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'true', 'false')},x,y\n`, ACCT)).toThrow(/24 fields where the header has 22/);
  });

  it.each([
    ['an empty report', '', /empty/],
    ['a root row claiming a password_enabled other than not_supported or a boolean', `${REPORT_HEADER}\n${ROOT.replace('not_supported', 'N/A')}\n`, /password_enabled is "N\/A"/],
    ['a user row saying not_supported', `${REPORT_HEADER}\n${ROOT}\n${row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'not_supported', 'false')}\n`, /password_enabled is "not_supported"/],
    ['mfa_active N/A', `${REPORT_HEADER}\n${ROOT}\n${row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'true', 'N/A')}\n`, /mfa_active is "N\/A"/],
    ['a user listed twice', `${REPORT_HEADER}\n${ROOT}\n${row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'true', 'true')}\n${row('bob', `arn:aws:iam::${ACCT}:user/bob`, 'true', 'true')}\n`, /listed twice/],
    ['two root rows', `${REPORT_HEADER}\n${ROOT}\n${ROOT.replace(`${ACCT}:root,`, `${ACCT}:root,`)}\n`, /listed twice|more than one/],
    ['a role ARN', `${REPORT_HEADER}\n${ROOT}\n${row('r', `arn:aws:iam::${ACCT}:role/r`, 'true', 'true')}\n`, /not an IAM user or root ARN/],
    ['a user row with the root ARN', `${REPORT_HEADER}\n${ROOT}\n${row('mallory', `arn:aws:iam::${ACCT}:root`, 'true', 'true')}\n`, /does not match arn/],
  ])('refuses %s', (_name, csv, message) => {
    expect(() => parseCredentialReport(csv, ACCT)).toThrow(message);
  });
});

describe('factorOfSerial', () => {
  it.each([
    [`arn:aws:iam::${ACCT}:mfa/alice`, 'virtual'],
    [`arn:aws-us-gov:iam::${ACCT}:mfa/root-account-mfa-device`, 'virtual'],
    [`arn:aws:iam::${ACCT}:u2f/user/alice/fidosecuritykey-ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 'security_key'],
    ['GAHT12345678', 'hardware_totp'],
  ])('%s is %s', (serial, factor) => {
    expect(factorOfSerial(serial)).toBe(factor);
  });
});
