/**
 * The vocabulary shared by the core and every module (see ../shared/DESIGN.md, "Concepts").
 * Nothing here does I/O.
 */

/** MFA state of one account, as DESIGN.md defines it. */
export type MfaState = 'enabled' | 'weak' | 'disabled' | 'not_applicable' | 'unknown';
export const MFA_STATES: readonly MfaState[] = ['enabled', 'weak', 'disabled', 'not_applicable', 'unknown'];

/** Severities, ordered from least to most urgent. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Returns true when `a` is at least as urgent as `b`. */
export function severityAtLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b);
}

/** The more urgent of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityAtLeast(a, b) ? a : b;
}

/**
 * What one scan saw of one account. `accountId` is the provider's stable id
 * (GitHub user id, IAM user ARN), never a renameable login.
 */
export interface Observation {
  accountId: string;
  login: string;
  email?: string | null;
  displayName?: string | null;
  /** member, outside_collaborator, iam_user, root, user, … (provider-specific, lower_snake). */
  kind: string;
  /** Organisation owner, workspace admin, IAM root, … */
  admin: boolean;
  mfa: MfaState;
  /** Factor detail, e.g. ["webauthn","totp"] or ["virtual"]; empty when the provider does not say. */
  factors?: string[];
  /** Link to the account's page at the provider, for alerts. */
  url?: string | null;
  /**
   * Long-lived credentials, one stable id each ("password", "access_key:AKIA…", "ssh_key:123");
   * undefined when the provider does not say. A new id is a `credential_added` event.
   */
  credentials?: string[];
}

/** The stored form of an account: an observation plus when it was first and last seen. */
export interface AccountState extends Required<Pick<Observation, 'accountId' | 'login' | 'kind' | 'admin' | 'mfa'>> {
  email: string | null;
  displayName: string | null;
  factors: string[];
  url: string | null;
  /**
   * Long-lived credential ids (Observation.credentials), sorted; null when the provider does not
   * say (then no `credential_added` can be derived). Absent in rows read without the column.
   */
  credentials?: string[] | null;
}

/** The change-event types of DESIGN.md, plus the monitor-health ones. */
export type ChangeEventType =
  | 'baseline'
  | 'mfa_disabled'
  | 'mfa_weakened'
  | 'mfa_enabled'
  | 'account_added'
  | 'account_removed'
  | 'privilege_changed'
  | 'scan_failed'
  | 'scan_recovered'
  | 'anomaly'
  | 'stale_data'
  | 'signin_without_mfa'
  | 'factor_added'
  | 'credential_added'
  | 'owner_deadline_passed'
  | 'owner_reported_compromise'
  | 'mfa_requirement_disabled';

export const CHANGE_EVENT_TYPES: readonly ChangeEventType[] = [
  'baseline',
  'mfa_disabled',
  'mfa_weakened',
  'mfa_enabled',
  'account_added',
  'account_removed',
  'privilege_changed',
  'scan_failed',
  'scan_recovered',
  'anomaly',
  'stale_data',
  'signin_without_mfa',
  'factor_added',
  'credential_added',
  'owner_deadline_passed',
  'owner_reported_compromise',
  'mfa_requirement_disabled',
];

/** Summary carried by a `baseline` event: counts and the accounts without MFA. */
export interface BaselineSummary {
  accounts: number;
  byState: Record<MfaState, number>;
  admins: number;
  /** Accounts whose state is `disabled` or `weak` (capped for message size; `withoutMfaTotal` is exact). */
  withoutMfa: Array<Pick<AccountState, 'accountId' | 'login' | 'mfa' | 'admin' | 'kind'>>;
  withoutMfaTotal: number;
}

/** One change with one meaning. */
export interface ChangeEvent {
  /** Database id once stored; 0 before. */
  id: number;
  type: ChangeEventType;
  severity: Severity;
  monitorId: string;
  /** Sub-scope of the monitor instance (an AWS account id); '' for single-scope monitors. */
  scope: string;
  /** Provider type of the monitor (`github`, `aws-iam`, …). */
  provider: string;
  at: string;
  accountId: string | null;
  login: string | null;
  before: AccountState | null;
  after: AccountState | null;
  /** One plain sentence: "alice disabled two-factor authentication". */
  summary: string;
  /** Extra structured detail (baseline summary, failure reason, …). */
  detail?: BaselineSummary | Record<string, unknown>;
}
