/**
 * Monitoring the monitor: freshness of every monitor scope (for /healthz and the stale-data
 * alert) and the dead-man's-switch heartbeat. Silence must itself be noticed: a monitor whose
 * scans stopped succeeding raises `stale_data` once per stale period, and the heartbeat URL stops
 * being called when a cycle is not fully healthy.
 */
import type { App } from '../app.js';
import { markHealthAlert, scanFreshness } from '../../storage/health-alerts.js';
import { fetchWithTimeout } from '../core/abort.js';
import { formatDuration } from '../core/duration.js';
import type { ChangeEvent } from '../core/types.js';
import { queueEventBatches } from '../delivery/outbox.js';
import { severityOf } from '../scan/policy.js';
import { isCovered } from '../retired.js';
import { pruneExpired, type Pruned } from '../../storage/retention.js';

/** Per monitor scope: when it last succeeded and whether that is fresh. */
export interface ScopeFreshness {
  monitorId: string;
  scope: string;
  provider: string;
  label: string;
  lastSuccessAt: string | null;
  ageMs: number | null;
  fresh: boolean;
}

/**
 * The freshness of every configured monitor scope. A scope never scanned successfully is not
 * fresh. A scope that left the config (src/retired.ts) is not watched, so it is not listed.
 */
export function freshness(app: App, now: Date = app.clock.now()): ScopeFreshness[] {
  const out: ScopeFreshness[] = [];
  for (const m of app.monitors) {
    const configured = m.monitor.scopes();
    const scopes = new Map(configured.map((s) => [s.id, s.label]));
    for (const s of app.store.knownScopes()) if (s.monitor_id === m.config.id && !scopes.has(s.scope) && isCovered(configured, s.scope)) scopes.set(s.scope, s.scope);
    for (const [scope, label] of scopes) {
      const f = scanFreshness(app.store, m.config.id, scope);
      const ageMs = f.lastSuccessAt ? now.getTime() - Date.parse(f.lastSuccessAt) : null;
      out.push({ monitorId: m.config.id, scope, provider: m.module.provider, label, lastSuccessAt: f.lastSuccessAt, ageMs, fresh: ageMs !== null && ageMs <= app.config.health.staleAfter });
    }
  }
  return out;
}

/**
 * Raises one `stale_data` event (through the outbox) per monitor scope whose last successful scan
 * (or, never successful, its first scan) is older than health.staleAfter: once per stale period,
 * not every cycle. Returns the events raised.
 */
export function checkStaleData(app: App): ChangeEvent[] {
  const now = app.clock.now();
  const raised: ChangeEvent[] = [];
  for (const m of app.monitors) {
    for (const scope of m.monitor.scopes()) {
      const f = scanFreshness(app.store, m.config.id, scope.id);
      const since = f.lastSuccessAt ?? f.firstScanAt;
      if (!since) continue; // never scanned: nothing is stale yet
      const age = now.getTime() - Date.parse(since);
      if (age <= app.config.health.staleAfter) continue;
      const ref = f.lastSuccessId === null ? 'never' : `scan-${f.lastSuccessId}`;
      const event = app.store.transaction(() => {
        if (!markHealthAlert(app.store, m.config.id, scope.id, 'stale_data', ref, now)) return null;
        const e: Omit<ChangeEvent, 'id'> = {
          type: 'stale_data', severity: severityOf('stale_data', null, null, app.config.severity), monitorId: m.config.id, scope: scope.id, provider: m.module.provider,
          at: now.toISOString(), accountId: null, login: null, before: null, after: null,
          summary: f.lastSuccessAt
            ? `${m.module.provider} ${scope.label}: no successful scan for ${formatDuration(age)} (since ${f.lastSuccessAt}); the MFA state shown is out of date: check \`mfawatch status\` for the last error`
            : `${m.module.provider} ${scope.label}: no scan has succeeded in ${formatDuration(age)} since the first attempt; check \`mfawatch status\` for the error`,
          detail: { lastSuccessAt: f.lastSuccessAt, ageSeconds: Math.round(age / 1000), staleAfterSeconds: Math.round(app.config.health.staleAfter / 1000) },
        };
        const stored: ChangeEvent = { ...e, id: app.store.insertEvent(e, null) };
        const batchId = `stale-${m.config.id}-${scope.id}-${ref}`;
        const source = { monitorId: m.config.id, provider: m.module.provider, type: m.module.type, scope: scope.id, label: scope.label };
        queueEventBatches(app.store, [...app.notifiers.values()], batchId, 'health', source, [stored], now);
        app.store.audit({ at: now, actor: app.actor, action: 'health.stale_data', subject: m.config.id, detail: { scope: scope.id, lastSuccessAt: f.lastSuccessAt, ageSeconds: Math.round(age / 1000) } });
        return stored;
      });
      if (event) {
        raised.push(event);
        app.metrics.events.inc({ monitor: event.monitorId, type: event.type, severity: event.severity });
        app.logger.error({ monitor: m.config.id, scope: scope.id }, event.summary);
      }
    }
  }
  return raised;
}

/**
 * Applies `retention` (storage/retention.ts) when configured; what was removed is audited.
 * Called after each cycle and with the daemon's periodic checks.
 */
export function applyRetention(app: App): Pruned | undefined {
  const limits = app.config.retention;
  if (!limits) return undefined;
  const now = app.clock.now();
  const pruned = pruneExpired(app.store, limits, now);
  if (pruned.history + pruned.events + pruned.deliveries > 0) {
    app.store.audit({ at: now, actor: app.actor, action: 'retention.prune', subject: 'database', detail: { ...pruned } });
    app.logger.info(pruned, 'retention: removed rows older than the configured limits');
  }
  return pruned;
}

/** True when every configured monitor scope's last finished scan succeeded. */
export function allScansHealthy(app: App): boolean {
  return app.monitors.every((m) => m.monitor.scopes().every((s) => app.store.lastScan(m.config.id, s.id)?.status === 'succeeded'));
}

/**
 * Calls the heartbeat (dead-man's-switch) URL with a GET, when configured and every monitor is
 * healthy. A failed heartbeat is logged, never fatal: the switch itself raises the alarm.
 */
export async function sendHeartbeat(app: App, signal?: AbortSignal): Promise<'sent' | 'skipped' | 'failed'> {
  const url = app.config.health.heartbeatUrl;
  if (!url || !allScansHealthy(app)) return 'skipped';
  try {
    const res = await fetchWithTimeout(app.deps.fetch, url.reveal(), { method: 'GET' }, 10_000, [signal]);
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`answered HTTP ${res.status}`);
    return 'sent';
  } catch (err) {
    // Never the URL: it is a secret (it identifies the check).
    const why = err instanceof Error && /^answered HTTP/.test(err.message) ? err.message : ((err as { name?: string }).name ?? 'network error');
    app.logger.warn(`heartbeat (health.heartbeatUrl) failed: ${why}; the dead-man's switch will alert if this persists`);
    return 'failed';
  }
}
