/**
 * `mfawatch report`: what it holds. Coverage per monitor scope and per monitor (all its scopes),
 * and every account (streamed: no cap, memory flat however many there are). The JSON shape is
 * `mfawatch.report/v1` (docs/json.md).
 */
import { coverageHistory, reportAccounts, withoutMfaSince, type CoveragePoint, type ReportAccountRow } from '../../storage/report.js';
import type { Store } from '../../storage/store.js';
import type { MfaState } from '../core/types.js';
import type { MonitorStatus } from '../cli/status.js';

/** Coverage of one monitor scope (an AWS account, or the whole of a single-scope monitor). */
export interface ReportScope {
  monitorId: string;
  type: string;
  provider: string;
  scope: string;
  label: string;
  health: MonitorStatus['health'];
  lastSuccessAt: string | null;
  accounts: number;
  byState: Record<MfaState, number>;
  /** enabled / (enabled + weak + disabled); null when no account can have MFA. */
  coverage: number | null;
  withoutMfa: number;
}

/** Coverage of one monitor instance, all its scopes together, and over time. */
export interface ReportMonitor {
  id: string;
  type: string;
  provider: string;
  scopes: number;
  accounts: number;
  byState: Record<MfaState, number>;
  coverage: number | null;
  withoutMfa: number;
  /** After each scan that changed something, oldest first (from account history). */
  history: CoveragePoint[];
}

/** One account in the report; `withoutMfaSince` is null when it has MFA (or MFA does not apply). */
export interface ReportAccount extends ReportAccountRow {
  withoutMfaSince: string | null;
}

export interface ReportFilter {
  monitorId?: string | undefined;
  withoutMfa?: boolean | undefined;
}

function coverageOf(byState: Record<MfaState, number>): number | null {
  const applicable = byState.enabled + byState.weak + byState.disabled;
  return applicable ? byState.enabled / applicable : null;
}

/** Scope rows from `status`'s per-scope view (the same scope resolution). */
export function reportScopes(status: readonly MonitorStatus[], filter: ReportFilter): ReportScope[] {
  return status
    .filter((m) => filter.monitorId === undefined || m.id === filter.monitorId)
    .map((m) => ({
      monitorId: m.id, type: m.type, provider: m.provider, scope: m.scope, label: m.label, health: m.health, lastSuccessAt: m.lastSuccess?.at ?? null,
      accounts: m.accounts, byState: m.byState, coverage: m.coverage, withoutMfa: m.withoutMfaTotal,
    }));
}

/** One row per monitor: its scopes summed; with its coverage history when `withHistory`. */
export function reportMonitors(store: Store, scopes: readonly ReportScope[], withHistory: boolean): ReportMonitor[] {
  const out = new Map<string, ReportMonitor>();
  for (const s of scopes) {
    const m = out.get(s.monitorId) ?? { id: s.monitorId, type: s.type, provider: s.provider, scopes: 0, accounts: 0, byState: { enabled: 0, weak: 0, disabled: 0, not_applicable: 0, unknown: 0 }, coverage: null, withoutMfa: 0, history: [] };
    m.scopes += 1;
    m.accounts += s.accounts;
    m.withoutMfa += s.withoutMfa;
    for (const k of Object.keys(m.byState) as MfaState[]) m.byState[k] += s.byState[k];
    out.set(s.monitorId, m);
  }
  for (const m of out.values()) {
    m.coverage = coverageOf(m.byState);
    if (withHistory) m.history = coverageHistory(store, m.id);
  }
  return [...out.values()];
}

/** Every account the filter selects, with since when it lacks MFA; streamed. */
export function* accountsOfReport(store: Store, filter: ReportFilter): Generator<ReportAccount> {
  for (const a of reportAccounts(store, filter)) {
    const lacking = a.mfa === 'disabled' || a.mfa === 'weak';
    yield { ...a, withoutMfaSince: lacking ? (withoutMfaSince(store, a.monitorId, a.scope, a.accountId) ?? a.firstSeen) : null };
  }
}
