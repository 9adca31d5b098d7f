/**
 * What left the config: a monitor instance removed from `monitors`, or a scope (an AWS account of
 * `accounts`) removed from its entry. Its data stays in the database (history is evidence) until
 * `mfawatch forget`, but it is no longer watched, so it must not count as failing or stale in
 * `status`, `/healthz` or the heartbeat: a Kubernetes probe on /healthz would otherwise restart
 * the daemon in a loop for something nobody asked it to watch.
 */
import type { Store } from '../storage/store.js';

/** A monitor scope the database knows and the config no longer covers. */
export interface RetiredScope {
  monitorId: string;
  scope: string;
  label: string;
  /** Whether the monitor instance itself is still configured (only this scope left it). */
  monitorConfigured: boolean;
  lastScanAt: string;
  accounts: number;
}

/**
 * Whether a scope the database knows is covered by the config. `configured` is what the monitor
 * instance covers as far as it knows without asking the provider (Monitor.scopes()); undefined
 * when the instance is not configured at all. An instance that knows no scope yet learns them
 * from the provider (an AWS account found through STS): the scopes it scanned before stand.
 */
export function isCovered(configured: ReadonlyArray<{ id: string }> | undefined, scope: string): boolean {
  if (configured === undefined) return false;
  if (configured.length === 0) return true;
  return configured.some((s) => s.id === scope);
}

/** Every scope the database knows that the config no longer covers, by monitor and scope. */
export function retiredScopes(store: Store, scopesOf: (monitorId: string) => ReadonlyArray<{ id: string }> | undefined): RetiredScope[] {
  const out: RetiredScope[] = [];
  for (const { monitor_id: monitorId, scope } of store.knownScopes()) {
    const configured = scopesOf(monitorId);
    if (isCovered(configured, scope)) continue;
    const last = store.lastScan(monitorId, scope);
    if (!last) continue;
    out.push({ monitorId, scope, label: last.scope_label || scope || monitorId, monitorConfigured: configured !== undefined, lastScanAt: last.ended_at ?? last.started_at, accounts: store.storedCounts(monitorId, scope).accounts });
  }
  return out;
}
