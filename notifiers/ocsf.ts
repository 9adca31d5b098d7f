/**
 * mfawatch change events as OCSF (Open Cybersecurity Schema Framework) 1.3.0 events, so a SIEM
 * (Splunk, Sentinel, Amazon Security Lake) ingests them without a custom parser. Used by the
 * `stdout` and `webhook` notifiers with `format: "ocsf"`.
 *
 * - Account Change (class 3001, https://schema.ocsf.io/1.3.0/classes/account_change): MFA
 *   disabled, weakened or enabled, a factor or credential added, an account added or removed, a
 *   privilege change. The account is `user`; its state after the change is `user_result`.
 * - Authentication (class 3002, https://schema.ocsf.io/1.3.0/classes/authentication): a sign-in
 *   without MFA (`signin_without_mfa`): activity Logon, `is_mfa: false`.
 *
 * Events with no OCSF counterpart (baseline, scan health, anomaly, stale data) are not emitted
 * in OCSF; mfawatch's own fields of every event are kept under `unmapped.mfawatch`.
 * test/notifiers/ocsf.test.ts validates the output against the published 1.3.0 class files.
 */
import type { AccountState, ChangeEvent, ChangeEventType, Severity } from '../src/core/types.js';

/** The OCSF version every event states in `metadata.version`. */
export const OCSF_VERSION = '1.3.0';

const IAM_CATEGORY = { uid: 3, name: 'Identity & Access Management' } as const;
const ACCOUNT_CHANGE = { uid: 3001, name: 'Account Change' } as const;
const AUTHENTICATION = { uid: 3002, name: 'Authentication' } as const;

/** Account Change activity ids (OCSF 1.3.0 account_change.json). */
const ACCOUNT_ACTIVITY = { create: [1, 'Create'], delete: [6, 'Delete'], factorEnable: [10, 'MFA Factor Enable'], factorDisable: [11, 'MFA Factor Disable'], other: [99, 'Other'] } as const;

const SEVERITY_ID: Record<Severity, [number, string]> = { info: [1, 'Informational'], low: [2, 'Low'], medium: [3, 'Medium'], high: [4, 'High'], critical: [5, 'Critical'] };

/** An OCSF event as JSON. */
export type OcsfEvent = Record<string, unknown>;

function activityOf(type: ChangeEventType): { cls: typeof ACCOUNT_CHANGE | typeof AUTHENTICATION; id: number; name: string } | null {
  const account = (a: readonly [number, string], name?: string) => ({ cls: ACCOUNT_CHANGE, id: a[0], name: name ?? a[1] });
  switch (type) {
    case 'mfa_disabled':
    case 'mfa_weakened':
      return account(ACCOUNT_ACTIVITY.factorDisable);
    case 'mfa_enabled':
    case 'factor_added':
      return account(ACCOUNT_ACTIVITY.factorEnable);
    case 'account_added':
      return account(ACCOUNT_ACTIVITY.create);
    case 'account_removed':
      return account(ACCOUNT_ACTIVITY.delete);
    case 'privilege_changed':
      return account(ACCOUNT_ACTIVITY.other, 'Privilege Change');
    case 'credential_added':
      return account(ACCOUNT_ACTIVITY.other, 'Credential Create');
    case 'signin_without_mfa':
      return { cls: AUTHENTICATION, id: 1, name: 'Logon' };
    case 'baseline':
    case 'scan_failed':
    case 'scan_recovered':
    case 'anomaly':
    case 'stale_data':
    // Owner cases are mfawatch's own follow-up of an event already emitted, not a new account activity.
    case 'owner_deadline_passed':
    case 'owner_reported_compromise':
    // An organisation-wide policy change names no account: no Account Change to map it to.
    case 'mfa_requirement_disabled':
      return null;
  }
}

/** OCSF `account.type_id`: what kind of account the provider's account is. */
function accountType(provider: string, a: AccountState): [number, string] {
  if (a.kind === 'root') return [10, 'AWS Account'];
  if (a.kind === 'iam_user') return [3, 'AWS IAM User'];
  if (provider === 'Entra ID' || provider === 'entra') return [6, 'Azure AD Account'];
  return [99, provider];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The OCSF `user` object of one account state. */
function userOf(e: ChangeEvent, a: AccountState): Record<string, unknown> {
  const [typeId, type] = accountType(e.provider, a);
  return {
    uid: a.accountId,
    name: a.login,
    ...(a.displayName ? { full_name: a.displayName } : {}),
    ...(a.email && EMAIL.test(a.email) ? { email_addr: a.email } : {}),
    type_id: a.admin || a.kind === 'root' ? 2 : 1,
    type: a.admin || a.kind === 'root' ? 'Admin' : 'User',
    account: { uid: a.accountId, name: a.login, type_id: typeId, type },
  };
}

/** The fallback `user` when an event carries no account state (a sign-in seen only as an event). */
function bareUser(e: ChangeEvent): Record<string, unknown> {
  return { uid: e.accountId ?? e.login ?? 'unknown', ...(e.login ? { name: e.login } : {}) };
}

/**
 * The OCSF form of one change event, or null when OCSF has no class for it (monitor health,
 * baselines). `correlationUid` ties the events of one batch together.
 */
export function toOcsf(e: ChangeEvent, correlationUid: string): OcsfEvent | null {
  const activity = activityOf(e.type);
  if (!activity) return null;
  const [severityId, severity] = SEVERITY_ID[e.severity];
  const target = e.before ?? e.after;
  const user = target ? userOf(e, target) : bareUser(e);
  const base: OcsfEvent = {
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: IAM_CATEGORY.uid,
    category_name: IAM_CATEGORY.name,
    class_uid: activity.cls.uid,
    class_name: activity.cls.name,
    type_uid: activity.cls.uid * 100 + activity.id,
    type_name: `${activity.cls.name}: ${activity.name}`,
    time: Date.parse(e.at),
    severity_id: severityId,
    severity,
    status_id: 1,
    status: 'Success',
    message: e.summary,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'mfawatch', vendor_name: 'mfawatch' },
      ...(e.id > 0 ? { uid: `${e.monitorId}:${e.id}` } : {}),
      correlation_uid: correlationUid,
      event_code: e.type,
      original_time: e.at,
      log_name: e.monitorId,
      log_provider: e.provider,
    },
    user,
    unmapped: {
      mfawatch: {
        eventId: e.id, type: e.type, monitorId: e.monitorId, scope: e.scope, provider: e.provider,
        mfaBefore: e.before?.mfa ?? null, mfaAfter: e.after?.mfa ?? null,
        factorsBefore: e.before?.factors ?? null, factorsAfter: e.after?.factors ?? null,
        adminBefore: e.before?.admin ?? null, adminAfter: e.after?.admin ?? null,
        url: (e.after ?? e.before)?.url ?? null,
        detail: e.detail ?? null,
      },
    },
  };
  if (activity.cls === AUTHENTICATION) return { ...base, is_mfa: false };
  return e.after ? { ...base, user_result: userOf(e, e.after) } : base;
}

/** The OCSF events of a batch's change events (those OCSF has a class for). */
export function batchToOcsf(batch: { id: string; events: readonly ChangeEvent[] }): OcsfEvent[] {
  return batch.events.map((e) => toOcsf(e, batch.id)).filter((x): x is OcsfEvent => x !== null);
}
