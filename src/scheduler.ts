/**
 * The daemon (`mfawatch start`): each monitor instance on its cron schedule (the instance's own or
 * the global one), never two scans of one instance at once, the dispatcher delivering
 * continuously, and a clean stop on SIGTERM/SIGINT (running scans are abandoned uncommitted).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { App, MonitorInstance } from './app.js';
import { queueReminders, scanMonitors } from './cycle.js';
import { checkStaleData, sendHeartbeat } from './observability/health.js';
import { responseRunnerFor } from './response/wiring.js';
import { EventRunner } from './events/runner.js';

/** How often the dispatcher looks for due deliveries between scans. */
const DISPATCH_INTERVAL_MS = 5_000;
/** How often the daemon looks for monitors whose data went stale (alerts are deduplicated). */
const STALE_CHECK_INTERVAL_MS = 60_000;

export interface Daemon {
  /** Resolves once stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
  /** Scans one instance now (unless it is already running); for the start-up scan and tests. */
  scanNow(id: string): Promise<void>;
  /** The event sources' runner (the inbound receiver hands it webhook deliveries). */
  events: EventRunner;
}

/** Starts the schedules and the dispatcher loop. */
export function startDaemon(app: App): Daemon {
  const shutdown = new AbortController();
  const running = new Map<string, Promise<void>>();
  const tasks: ScheduledTask[] = [];
  let dispatching: Promise<unknown> = Promise.resolve();

  const runner = responseRunnerFor(app);
  // Scheduled kills (due now, or at the end of their grace period) run before each delivery pass.
  const dispatch = () => {
    dispatching = dispatching
      .then(() => runner.runDue(shutdown.signal))
      .then(() => {
        queueReminders(app);
        return app.dispatcher.deliverDue(shutdown.signal);
      })
      .then((tally) => app.metrics.recordDeliveries(tally))
      .catch((err: unknown) => app.logger.error({ err }, 'dispatcher pass failed'));
    return dispatching;
  };

  const scan = (m: MonitorInstance): Promise<void> => {
    const already = running.get(m.config.id);
    if (already) {
      app.logger.warn({ monitor: m.config.id }, 'previous scan still running; this run is skipped');
      return already;
    }
    const job = scanMonitors(app, [m], shutdown.signal)
      .then(() => {
        checkStaleData(app);
        return dispatch();
      })
      .then(() => sendHeartbeat(app, shutdown.signal))
      .then(() => undefined)
      .catch((err: unknown) => app.logger.error({ err, monitor: m.config.id }, 'scan crashed'))
      .finally(() => running.delete(m.config.id));
    running.set(m.config.id, job);
    return job;
  };

  app.store.abandonRunningScans(app.clock.now());
  runner.recoverInterrupted();
  // Event sources beside the schedules: whatever they commit is delivered at once.
  const events = new EventRunner(app, { onCommitted: () => void dispatch() });
  const eventsDone = events.start(shutdown.signal).catch((err: unknown) => app.logger.error({ err }, 'event sources stopped'));
  for (const b of events.bindings) app.logger.info({ monitor: b.instance.config.id, source: b.source.name, kind: b.source.kind }, 'event source started');
  for (const m of app.monitors) {
    const expression = m.config.schedule ?? app.config.schedule;
    tasks.push(cron.schedule(expression, () => void scan(m), { name: m.config.id, noOverlap: true, ...(app.config.timezone ? { timezone: app.config.timezone } : {}) }));
    app.logger.info({ monitor: m.config.id, schedule: expression }, 'scheduled');
  }
  const timer = setInterval(() => void dispatch(), DISPATCH_INTERVAL_MS);
  const staleTimer = setInterval(() => {
    try {
      if (checkStaleData(app).length > 0) void dispatch();
    } catch (err) {
      app.logger.error({ err }, 'stale-data check failed');
    }
  }, STALE_CHECK_INTERVAL_MS);
  void dispatch();

  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      app.logger.info('stopping: abandoning running scans, finishing the current delivery');
      for (const t of tasks) await t.stop();
      clearInterval(timer);
      clearInterval(staleTimer);
      shutdown.abort(new Error('mfawatch is stopping'));
      await Promise.allSettled([...running.values(), eventsDone]);
      await dispatching.catch(() => undefined);
      resolveDone();
    })();
    return stopping;
  };

  return {
    done,
    stop,
    events,
    scanNow: async (id) => {
      const m = app.monitors.find((x) => x.config.id === id);
      if (m) await scan(m);
    },
  };
}
