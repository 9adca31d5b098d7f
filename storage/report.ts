/**
 * Queries for `mfawatch report`: every stored account (streamed, no cap), since when each one
 * without MFA has been without it, and MFA coverage over time replayed from account history.
 */
import type { MfaState } from '../src/core/types.js';
import { accountFromRow, type AccountRow } from './rows.js';
import type { Store } from './store.js';

/** One stored account with where it is and when it was first seen and last changed. */
export interface ReportAccountRow {
  monitorId: string;
  scope: string;
  accountId: string;
  login: string;
  email: string | null;
  displayName: string | null;
  kind: string;
  admin: boolean;
  mfa: MfaState;
  factors: string[];
  url: string | null;
  firstSeen: string;
  changedAt: string;
}

const LACKING = `('disabled', 'weak')`;

/** Every stored account (of one monitor, or only those without MFA), by monitor, scope and login; streamed. */
export function* reportAccounts(store: Store, filter: { monitorId?: string | undefined; withoutMfa?: boolean | undefined }): Generator<ReportAccountRow> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.monitorId !== undefined) {
    where.push('monitor_id = ?');
    params.push(filter.monitorId);
  }
  if (filter.withoutMfa) where.push(`mfa IN ${LACKING}`);
  const rows = store.db
    .prepare(`SELECT monitor_id, scope, account_id, login, email, display_name, kind, admin, mfa, factors, url, first_seen, changed_at FROM accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY monitor_id, scope, login, account_id`)
    .iterate(...params) as IterableIterator<AccountRow & { monitor_id: string; scope: string; first_seen: string; changed_at: string }>;
  for (const r of rows) yield { monitorId: r.monitor_id, scope: r.scope, ...accountFromRow(r), firstSeen: r.first_seen, changedAt: r.changed_at };
}

/**
 * Since when an account has been without MFA: the first history row of its current run of
 * `disabled`/`weak` readings. When it has lacked MFA since mfawatch first saw it, that is the
 * first sighting (it may have lacked MFA longer). Null when it has MFA now.
 */
export function withoutMfaSince(store: Store, monitorId: string, scope: string, accountId: string): string | null {
  const row = store.db
    .prepare(
      `SELECT MIN(at) AS since FROM account_history
        WHERE monitor_id = @m AND scope = @s AND account_id = @a AND mfa IN ${LACKING}
          AND id > COALESCE((SELECT MAX(id) FROM account_history WHERE monitor_id = @m AND scope = @s AND account_id = @a AND mfa NOT IN ${LACKING} AND change != 'removed'), 0)`,
    )
    .get({ m: monitorId, s: scope, a: accountId }) as { since: string | null } | undefined;
  return row?.since ?? null;
}

/** Coverage of one monitor at one moment: enabled / (enabled + weak + disabled). */
export interface CoveragePoint {
  at: string;
  accounts: number;
  withMfa: number;
  withoutMfa: number;
  /** null when no account could have MFA. */
  coverage: number | null;
}

/**
 * MFA coverage of a monitor (all its scopes together) after each scan that changed something,
 * replayed from account history: one point per scan, oldest first. Memory grows with the
 * monitor's accounts (one small entry each).
 */
export function coverageHistory(store: Store, monitorId: string): CoveragePoint[] {
  const state = new Map<string, MfaState>();
  const counts = { enabled: 0, lacking: 0, other: 0 };
  const bucket = (mfa: MfaState | undefined): keyof typeof counts | null => (mfa === undefined ? null : mfa === 'enabled' ? 'enabled' : mfa === 'disabled' || mfa === 'weak' ? 'lacking' : 'other');
  const points: CoveragePoint[] = [];
  let current: { scanId: number; at: string } | null = null;
  const push = () => {
    if (!current) return;
    const applicable = counts.enabled + counts.lacking;
    points.push({ at: current.at, accounts: counts.enabled + counts.lacking + counts.other, withMfa: counts.enabled, withoutMfa: counts.lacking, coverage: applicable ? counts.enabled / applicable : null });
  };
  const rows = store.db
    .prepare(`SELECT scope, account_id, scan_id, at, change, mfa FROM account_history WHERE monitor_id = ? ORDER BY id`)
    .iterate(monitorId) as IterableIterator<{ scope: string; account_id: string; scan_id: number; at: string; change: string; mfa: MfaState }>;
  for (const r of rows) {
    if (current && current.scanId !== r.scan_id) push();
    current = { scanId: r.scan_id, at: r.at };
    const key = `${r.scope}\u0000${r.account_id}`;
    const before = bucket(state.get(key));
    if (before) counts[before] -= 1;
    if (r.change === 'removed') {
      state.delete(key);
      continue;
    }
    state.set(key, r.mfa);
    const after = bucket(r.mfa);
    if (after) counts[after] += 1;
  }
  push();
  return points;
}
