/** Conversions between SQLite rows and the core's types. */
import type { AccountState, ChangeEvent, ChangeEventType, MfaState, Severity } from '../src/core/types.js';

export interface AccountRow {
  account_id: string;
  login: string;
  email: string | null;
  display_name: string | null;
  kind: string;
  admin: number;
  mfa: string;
  factors: string;
  url: string | null;
  /** JSON list of credential ids, or NULL when the provider does not say; absent when not selected. */
  credentials?: string | null;
}

export function accountFromRow(r: AccountRow): AccountState {
  return {
    accountId: r.account_id,
    login: r.login,
    email: r.email,
    displayName: r.display_name,
    kind: r.kind,
    admin: r.admin === 1,
    mfa: r.mfa as MfaState,
    factors: JSON.parse(r.factors) as string[],
    url: r.url,
    ...(typeof r.credentials === 'string' ? { credentials: JSON.parse(r.credentials) as string[] } : {}),
  };
}

/** The column values of an account, for INSERT/UPDATE statements with named parameters. */
export function accountParams(a: AccountState): Record<string, string | number | null> {
  return {
    account_id: a.accountId,
    login: a.login,
    email: a.email,
    display_name: a.displayName,
    kind: a.kind,
    admin: a.admin ? 1 : 0,
    mfa: a.mfa,
    factors: JSON.stringify(a.factors),
    url: a.url,
    credentials: a.credentials ? JSON.stringify(a.credentials) : null,
  };
}

export interface EventRow {
  id: number;
  scan_id: number | null;
  monitor_id: string;
  scope: string;
  provider: string;
  type: string;
  severity: string;
  at: string;
  account_id: string | null;
  login: string | null;
  summary: string;
  before: string | null;
  after: string | null;
  detail: string | null;
}

export function eventFromRow(r: EventRow): ChangeEvent {
  return {
    id: r.id,
    type: r.type as ChangeEventType,
    severity: r.severity as Severity,
    monitorId: r.monitor_id,
    scope: r.scope,
    provider: r.provider,
    at: r.at,
    accountId: r.account_id,
    login: r.login,
    before: r.before ? (JSON.parse(r.before) as AccountState) : null,
    after: r.after ? (JSON.parse(r.after) as AccountState) : null,
    summary: r.summary,
    ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
  };
}
