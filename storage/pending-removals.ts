/**
 * Removals waiting for confirmation. A listing cut at a page or row boundary (a last page answered
 * short without a Link header, a credential report cut at a line end) looks exactly like a shorter
 * list. Where the provider gives no count to check a listing against, an account missing from a
 * complete scan is only marked here; it is removed (and `account_removed` emitted) when the next
 * complete scan misses it too. An account seen again is simply no longer pending.
 */
import type { Store } from './store.js';

/** The account ids of a scope whose removal an earlier scan proposed. */
export function pendingRemovals(store: Store, monitorId: string, scope: string): Set<string> {
  const rows = store.db.prepare(`SELECT account_id FROM pending_removals WHERE monitor_id = ? AND scope = ?`).all(monitorId, scope) as Array<{ account_id: string }>;
  return new Set(rows.map((r) => r.account_id));
}

/** Replaces the scope's pending removals with `accountIds` (proposed by scan `scanId`). */
export function replacePendingRemovals(store: Store, monitorId: string, scope: string, scanId: number, accountIds: readonly string[], at: Date): void {
  store.db.prepare(`DELETE FROM pending_removals WHERE monitor_id = ? AND scope = ?`).run(monitorId, scope);
  const insert = store.db.prepare(`INSERT INTO pending_removals (monitor_id, scope, account_id, scan_id, since) VALUES (?, ?, ?, ?, ?)`);
  for (const id of accountIds) insert.run(monitorId, scope, id, scanId, at.toISOString());
}
