/**
 * A running scan's progress in its `scans` row (accounts read and requests made so far), so
 * `status` in another process can show it; and the last finished scan of a scope.
 */
import type { ScanRow, Store } from './store.js';

/** Writes a running scan's counts so far (its row is still `running`). */
export function recordScanProgress(store: Store, scanId: number, accounts: number, requests: number): void {
  store.db.prepare(`UPDATE scans SET accounts = ?, requests = ? WHERE id = ? AND status = 'running'`).run(accounts, requests, scanId);
}

/** The scan of a scope running now, if any. */
export function runningScan(store: Store, monitorId: string, scope: string): ScanRow | undefined {
  return store.db.prepare(`SELECT * FROM scans WHERE monitor_id = ? AND scope = ? AND status = 'running' ORDER BY id DESC LIMIT 1`).get(monitorId, scope) as ScanRow | undefined;
}

/** The last scan of a scope that ended (succeeded, failed, held or abandoned). */
export function lastFinishedScan(store: Store, monitorId: string, scope: string): ScanRow | undefined {
  return store.db.prepare(`SELECT * FROM scans WHERE monitor_id = ? AND scope = ? AND status != 'running' ORDER BY id DESC LIMIT 1`).get(monitorId, scope) as ScanRow | undefined;
}
