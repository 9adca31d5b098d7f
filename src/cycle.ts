/**
 * One cycle (`mfawatch run`): scan every selected monitor scope with bounded concurrency, then
 * deliver what the scans queued. Also used by the daemon for one monitor at a time.
 */
import type { Monitor, ScopeInfo } from '../monitors/types.js';
import type { App, MonitorInstance } from './app.js';
import type { DeliveryTally } from './delivery/dispatcher.js';
import { queueReminderIfDue } from './delivery/reminders.js';
import { applyRetention, checkStaleData, sendHeartbeat } from './observability/health.js';
import { autoResponseContext, responseRunnerFor } from './response/wiring.js';
import type { RunTally } from './response/decide.js';
import type { KillReport } from './response/runner.js';
import { scanScope, type ScanEnvironment, type ScanOutcome } from './scan/run-scan.js';
import { EventRunner, type DrainResult } from './events/runner.js';
import { deliverOwners, updateOwnerCases, type OwnerPass } from './owners/index.js';
import type { ProgressListener } from './scan/progress.js';

/** Scopes scanned at the same time, across monitors. */
const SCAN_CONCURRENCY = 4;

export interface CycleResult {
  scans: ScanOutcome[];
  /** What the event sources brought (drained once before the scans). */
  events: DrainResult;
  delivery: DeliveryTally & { pending: number };
  /** Auto-response kills run in this cycle. */
  responses: KillReport[];
  /** Owner cases opened, reminded, escalated and closed in this cycle (null: owners off). */
  owners: OwnerPass | null;
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

/** The scan environment of one monitor instance in this app. */
export function scanEnvironment(app: App, instance: MonitorInstance, signal: AbortSignal, run?: RunTally, onProgress?: ProgressListener): ScanEnvironment {
  const guard = app.config.health.massChange;
  return {
    store: app.store,
    clock: app.clock,
    logger: app.logger,
    notifiers: [...app.notifiers.values()],
    severity: app.config.severity,
    failureThreshold: app.config.health.failureThreshold,
    scanDeadline: app.config.scanDeadline,
    signal,
    actor: app.actor,
    massChange: guard === false ? undefined : guard,
    onRateLimit: (remaining) => app.metrics.rateLimitRemaining.set({ monitor: instance.config.id }, remaining),
    crashPoint: app.crashPoint,
    autoResponse: autoResponseContext(app, { ...instance.config, type: instance.module.type }, run),
    onProgress,
  };
}

/** A monitor whose every scan fails with `error`: how a failure to resolve scopes is recorded. */
function failingMonitor(error: unknown): Monitor {
  return {
    scopes: () => [],
    // eslint-disable-next-line require-yield
    async *scan() {
      throw error;
    },
  };
}

/**
 * The scans one instance needs this cycle: its scopes, asked of the provider when the monitor
 * must (resolveScopes). When that fails, the failure is scanned (and so recorded, audited and
 * counted towards scan_failed) under every scope the instance had before, or under scope ''.
 */
async function scopeJobs(app: App, m: MonitorInstance, signal: AbortSignal): Promise<Array<{ m: MonitorInstance; monitor: Monitor; scope: ScopeInfo }>> {
  if (!m.monitor.resolveScopes) return m.monitor.scopes().map((scope) => ({ m, monitor: m.monitor, scope }));
  try {
    const scopes = await m.monitor.resolveScopes(signal);
    return scopes.map((scope) => ({ m, monitor: m.monitor, scope }));
  } catch (err) {
    const known = app.store.knownScopes().filter((s) => s.monitor_id === m.config.id && s.scope !== '');
    const scopes = known.length ? known.map((s) => ({ id: s.scope, label: app.store.lastScan(m.config.id, s.scope)?.scope_label || s.scope })) : [{ id: '', label: m.config.id }];
    const monitor = failingMonitor(err);
    return scopes.map((scope) => ({ m, monitor, scope }));
  }
}

/** Scans every scope of the given monitor instances. */
export async function scanMonitors(app: App, instances: readonly MonitorInstance[], signal: AbortSignal, onProgress?: ProgressListener, options: { directoryRead?: boolean } = {}): Promise<ScanOutcome[]> {
  const jobs = (await Promise.all(instances.map((m) => scopeJobs(app, m, signal)))).flat();
  // What these monitors' notifier matchers name (teams, groups, OUs), once per scan, after the
  // scopes are known (an organization's accounts are placed in its OUs) (src/delivery/matchers.ts).
  // With `directoryRead` (runCycle read it before the events), only what is new since: accounts
  // an organization gained this cycle.
  await app.directory.refresh(signal, instances.map((m) => m.config.id), { missingOnly: options.directoryRead === true });
  // autoResponse.maxPerRun caps the kills of all these scans together.
  const run: RunTally = { killsDecided: 0 };
  return mapWithConcurrency(jobs, SCAN_CONCURRENCY, async ({ m, monitor, scope }) => {
    const t0 = performance.now();
    const outcome = await scanScope(m.config, m.module.provider, monitor, scope, scanEnvironment(app, m, signal, run, onProgress));
    app.metrics.recordScan({ monitorId: m.config.id, provider: m.module.provider, status: outcome.status, seconds: (performance.now() - t0) / 1000, events: outcome.events });
    return outcome;
  });
}

/**
 * One full cycle: scan, check for stale data, then deliver until done or the delivery deadline;
 * then the heartbeat when everything is healthy.
 */
export async function runCycle(app: App, options: { monitorIds?: readonly string[] | undefined; signal: AbortSignal; onProgress?: ProgressListener | undefined }): Promise<CycleResult> {
  const selected = options.monitorIds?.length ? app.monitors.filter((m) => options.monitorIds?.includes(m.config.id)) : app.monitors;
  app.store.abandonRunningScans(app.clock.now());
  const runner = responseRunnerFor(app);
  runner.recoverInterrupted();
  // Event sources first (a cron-driven deployment picks events up too): their verified readings
  // are committed before the scans start, so a scan never holds an older reading than they do.
  // Routing reads teams, groups and OUs before the events too: a cron-driven `run` is a new
  // process, and events routed before the read would reach every team's channel (unknown matches).
  // An organization's accounts are those of the last cycle here; new ones are placed by the scans.
  await app.directory.refresh(options.signal, selected.map((m) => m.config.id));
  const events = await new EventRunner(app).drain(options.signal, options.monitorIds);
  const scans = await scanMonitors(app, selected, options.signal, options.onProgress, { directoryRead: true });
  checkStaleData(app);
  queueReminders(app);
  // Owner cases for what these scans committed, and their deadlines (a cron-driven deployment escalates too).
  const owners = updateOwnerCases(app);
  app.crashPoint?.('after-commit');
  // Kills decided by these scans run now, before the deliveries that announce them.
  const responses = await runner.runDue(options.signal);
  if (owners) owners.delivery = await deliverOwners(app, options.signal);
  const delivery = await app.dispatcher.drain(app.config.delivery.runDeadline, options.signal);
  app.metrics.recordDeliveries(delivery);
  applyRetention(app);
  const eventsOk = events.pollFailures.length === 0 && events.verify.failed === 0;
  const ok = eventsOk && scans.every((s) => s.status === 'succeeded') && delivery.failed === 0 && delivery.pending === 0 && responses.every((r) => r.ok);
  if (ok) await sendHeartbeat(app, options.signal);
  return { scans, events, delivery, responses, owners, exitCode: ok ? 0 : 1 };
}

/** Queues the reminder digest when one is due (src/delivery/reminders.ts). */
export function queueReminders(app: App): void {
  queueReminderIfDue({ store: app.store, clock: app.clock, logger: app.logger, notifiers: [...app.notifiers.values()], settings: app.config.reminders, actor: app.actor });
}
