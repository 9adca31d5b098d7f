/**
 * One cycle (`mfawatch run`): scan every selected monitor scope with bounded concurrency, then
 * deliver what the scans queued. Also used by the daemon for one monitor at a time.
 */
import type { App, MonitorInstance } from './app.js';
import type { DeliveryTally } from './delivery/dispatcher.js';
import { autoResponseContext, responseRunnerFor } from './response/wiring.js';
import type { KillReport } from './response/runner.js';
import { scanScope, type ScanOutcome } from './scan/run-scan.js';

/** Scopes scanned at the same time, across monitors. */
const SCAN_CONCURRENCY = 4;

export interface CycleResult {
  scans: ScanOutcome[];
  delivery: DeliveryTally & { pending: number };
  /** Auto-response kills run in this cycle. */
  responses: KillReport[];
  /** 0: all scans and deliveries succeeded; 1: a scan or a delivery failed or is still pending. */
  exitCode: 0 | 1;
}

/** Runs `tasks` with at most `limit` at once; results in input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Scans every scope of the given monitor instances. */
export async function scanMonitors(app: App, instances: readonly MonitorInstance[], signal: AbortSignal): Promise<ScanOutcome[]> {
  const jobs = instances.flatMap((m) => m.monitor.scopes().map((scope) => ({ m, scope })));
  return mapWithConcurrency(jobs, SCAN_CONCURRENCY, ({ m, scope }) =>
    scanScope(m.config, m.module.provider, m.monitor, scope, {
      store: app.store,
      clock: app.clock,
      logger: app.logger,
      notifiers: [...app.notifiers.values()],
      severity: app.config.severity,
      failureThreshold: app.config.health.failureThreshold,
      scanDeadline: app.config.scanDeadline,
      signal,
      actor: app.actor,
      autoResponse: autoResponseContext(app, { ...m.config, type: m.module.type }),
    }),
  );
}

/** One full cycle: scan, then deliver until done or the delivery deadline. */
export async function runCycle(app: App, options: { monitorIds?: readonly string[] | undefined; signal: AbortSignal }): Promise<CycleResult> {
  const selected = options.monitorIds?.length ? app.monitors.filter((m) => options.monitorIds?.includes(m.config.id)) : app.monitors;
  app.store.abandonRunningScans(app.clock.now());
  const runner = responseRunnerFor(app);
  runner.recoverInterrupted();
  const scans = await scanMonitors(app, selected, options.signal);
  // Kills decided by these scans run now, before the deliveries that announce them.
  const responses = await runner.runDue(options.signal);
  const delivery = await app.dispatcher.drain(app.config.delivery.runDeadline, options.signal);
  const ok = scans.every((s) => s.status === 'succeeded') && delivery.failed === 0 && delivery.pending === 0 && responses.every((r) => r.ok);
  return { scans, delivery, responses, exitCode: ok ? 0 : 1 };
}
