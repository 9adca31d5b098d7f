/**
 * Held scans (the mass-change guard): a complete scan that would remove or downgrade too many
 * accounts is not committed. Its staged accounts are copied here, into the main database file, so
 * the hold survives the process: the next scan confirms it (same picture: committed) or replaces
 * it, and `mfawatch accept MONITOR` commits it on an operator's word.
 */
import type { Store } from './store.js';

const COLUMNS = 'account_id, login, email, display_name, kind, admin, mfa, factors, url';

export interface HeldScanRow {
  scan_id: number;
  monitor_id: string;
  scope: string;
  fingerprint: string;
  /** JSON list of what the held scan would change (see changeKeys in src/scan/mass-change.ts). */
  change_keys: string;
  summary: string;
  detail: string;
  held_at: string;
  status: 'held' | 'committed' | 'discarded';
  resolved_at: string | null;
}

/** Copies a scan's staged accounts into a durable hold (set-based). */
export function holdStagedScan(store: Store, hold: { scanId: number; monitorId: string; scope: string; fingerprint: string; changeKeys: readonly string[]; summary: string; detail: Record<string, unknown>; at: Date }): void {
  store.db
    .prepare(`INSERT INTO held_scans (scan_id, monitor_id, scope, fingerprint, change_keys, summary, detail, held_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'held')`)
    .run(hold.scanId, hold.monitorId, hold.scope, hold.fingerprint, JSON.stringify(hold.changeKeys), hold.summary, JSON.stringify(hold.detail), hold.at.toISOString());
  store.db.prepare(`INSERT INTO held_accounts (scan_id, ${COLUMNS}) SELECT scan_id, ${COLUMNS} FROM temp.staging WHERE scan_id = ?`).run(hold.scanId);
}

/** The scope's open hold, if any. */
export function openHold(store: Store, monitorId: string, scope: string): HeldScanRow | undefined {
  return store.db.prepare(`SELECT * FROM held_scans WHERE monitor_id = ? AND scope = ? AND status = 'held' ORDER BY scan_id DESC LIMIT 1`).get(monitorId, scope) as HeldScanRow | undefined;
}

/** Every open hold of a monitor instance (all its scopes). */
export function openHoldsOf(store: Store, monitorId: string): HeldScanRow[] {
  return store.db.prepare(`SELECT * FROM held_scans WHERE monitor_id = ? AND status = 'held' ORDER BY scan_id`).all(monitorId) as HeldScanRow[];
}

/** Closes a hold (its accounts are dropped: they are either committed or superseded). */
export function resolveHold(store: Store, scanId: number, status: 'committed' | 'discarded', at: Date): void {
  store.db.prepare(`UPDATE held_scans SET status = ?, resolved_at = ? WHERE scan_id = ? AND status = 'held'`).run(status, at.toISOString(), scanId);
  store.db.prepare(`DELETE FROM held_accounts WHERE scan_id = ?`).run(scanId);
}

/** Loads a hold's accounts back into this connection's staging table, under the held scan's id. */
export function restageHold(store: Store, scanId: number): number {
  store.dropStaging(scanId);
  return store.db.prepare(`INSERT INTO temp.staging (scan_id, ${COLUMNS}) SELECT scan_id, ${COLUMNS} FROM held_accounts WHERE scan_id = ?`).run(scanId).changes;
}
