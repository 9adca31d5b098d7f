/**
 * Severity policy: the table of DESIGN.md as a pure function, with config overrides.
 *
 * | type              | default                 | admin / owner / root        |
 * |-------------------|-------------------------|-----------------------------|
 * | mfa_disabled      | high                    | critical                    |
 * | mfa_weakened      | medium                  | high                        |
 * | mfa_enabled       | info                    | info                        |
 * | account_added     | info with MFA, medium without | critical without MFA  |
 * | account_removed   | info                    | info                        |
 * | privilege_changed | medium                  | critical when admin without MFA |
 * | scan_failed       | high                    |                             |
 * | scan_recovered    | info                    |                             |
 * | baseline          | info                    |                             |
 * | anomaly           | high (a mass change held, see mass-change.ts) |               |
 * | stale_data        | high (no successful scan for health.staleAfter) |             |
 * | signin_without_mfa | high                   | critical                    |
 * | factor_added      | medium                  | high                        |
 * | credential_added  | medium                  | high                        |
 * | owner_deadline_passed | high (an owner case past owners.deadline) | critical  |
 * | owner_reported_compromise | critical (the owner answered "no, it wasn't me") |  |
 * | mfa_requirement_disabled | critical (an organisation stopped requiring MFA of everyone) |  |
 */
import type { AccountState, ChangeEventType, MfaState, Severity } from '../core/types.js';

/** A config override for one event type: one severity for all, or separate ones for admins. */
export type SeverityOverride = Severity | { default?: Severity | undefined; admin?: Severity | undefined };
export type SeverityOverrides = { [K in ChangeEventType]?: SeverityOverride | undefined };

/** MFA states that count as "without MFA" for alerts and coverage. */
export function lacksMfa(state: MfaState): boolean {
  return state === 'disabled' || state === 'weak';
}

/** Admins, owners and root accounts: the accounts whose loss of MFA is most dangerous. */
export function isPrivileged(account: Pick<AccountState, 'admin' | 'kind'> | null): boolean {
  return account !== null && (account.admin || account.kind === 'root');
}

function defaultSeverity(type: ChangeEventType, before: AccountState | null, after: AccountState | null): Severity {
  const privileged = isPrivileged(after) || isPrivileged(before);
  switch (type) {
    case 'mfa_disabled':
      return privileged ? 'critical' : 'high';
    case 'mfa_weakened':
    case 'factor_added':
    case 'credential_added':
      return privileged ? 'high' : 'medium';
    case 'signin_without_mfa':
      return privileged ? 'critical' : 'high';
    case 'account_added':
      if (!after || !lacksMfa(after.mfa)) return 'info';
      // README: an admin, owner or root that arrives without MFA goes straight to critical.
      return isPrivileged(after) ? 'critical' : 'medium';
    case 'privilege_changed':
      return isPrivileged(after) && after !== null && lacksMfa(after.mfa) ? 'critical' : 'medium';
    case 'mfa_requirement_disabled':
      return 'critical';
    case 'scan_failed':
    case 'anomaly':
    case 'stale_data':
      return 'high';
    case 'owner_deadline_passed':
      return privileged ? 'critical' : 'high';
    case 'owner_reported_compromise':
      return 'critical';
    case 'mfa_enabled':
    case 'account_removed':
    case 'scan_recovered':
    case 'baseline':
      return 'info';
  }
}

/** The severity of one event, after the config's overrides. */
export function severityOf(
  type: ChangeEventType,
  before: AccountState | null,
  after: AccountState | null,
  overrides: SeverityOverrides = {},
): Severity {
  const override = overrides[type];
  if (typeof override === 'string') return override;
  if (override) {
    const privileged = isPrivileged(after) || isPrivileged(before);
    const chosen = privileged ? (override.admin ?? override.default) : override.default;
    if (chosen) return chosen;
  }
  return defaultSeverity(type, before, after);
}
