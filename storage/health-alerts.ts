/**
 * Deduplication of monitor-health alerts that are raised by a periodic check rather than by a
 * scan (stale data): one alert per (monitor scope, kind, reference), where the reference names
 * the stale period (the last successful scan it is measured from).
 */
import type { Store } from './store.js';

/** Records that `kind` was alerted for `ref`; false when it already was (nothing written). */
export function markHealthAlert(store: Store, monitorId: string, scope: string, kind: string, ref: string, at: Date): boolean {
  const current = store.db.prepare(`SELECT ref FROM health_alerts WHERE monitor_id = ? AND scope = ? AND kind = ?`).get(monitorId, scope, kind) as { ref: string } | undefined;
  if (current?.ref === ref) return false;
  store.db
    .prepare(`INSERT INTO health_alerts (monitor_id, scope, kind, ref, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (monitor_id, scope, kind) DO UPDATE SET ref = excluded.ref, at = excluded.at`)
    .run(monitorId, scope, kind, ref, at.toISOString());
  return true;
}

/** When the scope last had a successful scan, and the first scan ever (for a scope that never succeeded). */
export function scanFreshness(store: Store, monitorId: string, scope: string): { lastSuccessId: number | null; lastSuccessAt: string | null; firstScanAt: string | null } {
  const ok = store.db.prepare(`SELECT id, ended_at FROM scans WHERE monitor_id = ? AND scope = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`).get(monitorId, scope) as { id: number; ended_at: string } | undefined;
  const first = store.db.prepare(`SELECT started_at FROM scans WHERE monitor_id = ? AND scope = ? ORDER BY id LIMIT 1`).get(monitorId, scope) as { started_at: string } | undefined;
  return { lastSuccessId: ok?.id ?? null, lastSuccessAt: ok?.ended_at ?? null, firstScanAt: first?.started_at ?? null };
}
