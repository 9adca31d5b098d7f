/**
 * The severity table the README promises ("Change events") is the one src/scan/policy.ts applies:
 * every event type has a row, and each row's default and admin/owner/root cells say exactly what
 * severityOf returns for an account with and without MFA.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANGE_EVENT_TYPES, type AccountState, type ChangeEventType, type MfaState } from '../../src/core/types.js';
import { severityOf } from '../../src/scan/policy.js';

interface ReadmeRow {
  type: string;
  defaultCell: string;
  adminCell: string;
}

function readmeSeverityTable(): ReadmeRow[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Change events'));
  const rows: ReadmeRow[] = [];
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((c) => c.trim());
    const type = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!type) continue;
    rows.push({ type, defaultCell: cells[3] ?? '', adminCell: cells[4] ?? '' });
  }
  return rows;
}

const account = (over: Partial<AccountState>): AccountState => ({
  accountId: '1', login: 'a', email: null, displayName: null, kind: 'member', admin: false, mfa: 'enabled', factors: [], url: null, ...over,
});

/** How the README writes the severity of one kind of account, with and without MFA. */
function cell(type: ChangeEventType, base: Partial<AccountState>): string {
  const sev = (mfa: MfaState) => severityOf(type, account({ ...base, mfa }), account({ ...base, mfa }));
  const withMfa = sev('enabled');
  const without = sev('disabled');
  expect(sev('weak')).toBe(without); // weak counts as without MFA everywhere
  return withMfa === without ? withMfa : `${withMfa} with MFA, ${without} without`;
}

describe('README severity table', () => {
  const rows = readmeSeverityTable();

  it('has one row per event type', () => {
    expect(rows.map((r) => r.type).sort()).toEqual([...CHANGE_EVENT_TYPES].sort());
  });

  it.each(rows.map((r) => [r.type, r] as const))('%s: the README says what policy.ts does', (_type, row) => {
    const type = row.type as ChangeEventType;
    if (row.adminCell === '—') {
      // Monitor-health events belong to no account.
      expect(severityOf(type, null, null)).toBe(row.defaultCell);
      return;
    }
    expect(cell(type, {})).toBe(row.defaultCell);
    expect(cell(type, { admin: true })).toBe(row.adminCell);
    expect(cell(type, { kind: 'root' })).toBe(row.adminCell);
  });

  it('keeps the headline promise: an admin without MFA is critical however it got there', () => {
    const admin = account({ admin: true });
    const adminNoMfa = account({ admin: true, mfa: 'disabled' });
    expect(severityOf('mfa_disabled', admin, adminNoMfa)).toBe('critical');
    expect(severityOf('account_added', null, adminNoMfa)).toBe('critical');
    expect(severityOf('privilege_changed', account({ mfa: 'disabled' }), adminNoMfa)).toBe('critical');
  });
});
