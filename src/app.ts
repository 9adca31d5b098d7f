/**
 * Wiring: one App per process, built from the resolved config. Modules are created here with
 * their dependencies passed in; nothing else constructs them.
 */
import { userInfo } from 'node:os';
import type { Monitor } from '../monitors/types.js';
import type { Notifier } from '../notifiers/types.js';
import type { DatabaseAccess } from '../storage/db.js';
import { Store } from '../storage/store.js';
import type { ConfiguredMonitor, ConfiguredNotifier, ResolvedConfig } from './config/load.js';
import type { CrashPoint } from './core/crash-point.js';
import { sleep, systemClock, type Clock, type Logger, type ModuleDeps } from './core/deps.js';
import { systemTimeZone } from './core/display-time.js';
import { createLogger } from './core/logger.js';
import { Dispatcher } from './delivery/dispatcher.js';
import type { RoutingDirectory } from './delivery/directory.js';
import { createRoutingDirectory } from './delivery/directories/index.js';
import { eventMatcher } from './delivery/matchers.js';
import type { ChangeEvent } from './core/types.js';
import { Metrics } from './observability/metrics.js';

export interface MonitorInstance extends ConfiguredMonitor {
  monitor: Monitor;
}

export interface NotifierInstance extends ConfiguredNotifier {
  notifier: Notifier;
  channel: string;
  /** Its `match` list as a predicate (src/delivery/matchers.ts); absent: every event. */
  matches?: ((event: ChangeEvent) => boolean) | undefined;
}

export interface App {
  config: ResolvedConfig;
  store: Store;
  logger: Logger;
  clock: Clock;
  deps: ModuleDeps;
  monitors: MonitorInstance[];
  notifiers: Map<string, NotifierInstance>;
  dispatcher: Dispatcher;
  /** Who acts, for the audit log: the OS user running mfawatch. */
  actor: string;
  /** This app's Prometheus metrics (its own registry). */
  metrics: Metrics;
  /** Test-only crash points (src/core/crash-point.ts); undefined in production. */
  crashPoint: ((at: CrashPoint) => void) | undefined;
  /** What notifier matchers name (GitHub teams, Okta and Google groups, AWS OUs), read once per scan of a monitor. */
  directory: RoutingDirectory;
  close(): void;
}

export interface AppOverrides extends Partial<ModuleDeps> {
  /** An open store to use instead of opening config.database. */
  store?: Store;
  /** Test-only crash points, read from MFAWATCH_TEST_CRASH_POINT at the CLI edge. */
  crashPoint?: ((at: CrashPoint) => void) | undefined;
  /** Colour in human-readable logs (NO_COLOR / FORCE_COLOR, decided at the CLI edge). */
  logColor?: boolean | undefined;
}

/** The OS user, for the audit log ("system" when it cannot be read). */
export function currentActor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'system';
  }
}

/**
 * Builds the app: opens the database, creates every configured module. `read`: a command that only
 * reads (status, events, history, whois): the database must exist and is opened read-only.
 */
export function createApp(config: ResolvedConfig, overrides: AppOverrides = {}, access: DatabaseAccess = 'write'): App {
  const logger = overrides.logger ?? createLogger({ level: config.log.level, color: overrides.logColor });
  const clock = overrides.clock ?? systemClock;
  const deps: ModuleDeps = {
    fetch: overrides.fetch ?? globalThis.fetch,
    clock,
    logger,
    sleep: overrides.sleep ?? sleep,
    stdout: overrides.stdout ?? process.stdout,
    displayTimezone: overrides.displayTimezone ?? config.displayTimezone ?? systemTimeZone(),
  };
  const store = overrides.store ?? Store.open(config.database, access);
  const actor = currentActor();
  const monitors = config.monitors.map((m) => ({ ...m, monitor: m.module.create(m.config, { ...deps, logger: logger.child({ monitor: m.config.id }) }) }));
  const crashPoint = overrides.crashPoint;
  // Matchers' groups and OUs are read with the credentials of the monitor that holds them.
  const directory = createRoutingDirectory(monitors, config.notifiers, {
    fetch: deps.fetch, sleep: deps.sleep, logger,
    knownScopes: (monitorId) => store.knownScopes().filter((s) => s.monitor_id === monitorId).map((s) => s.scope),
  });
  const identities = { map: config.identities.map, monitorTypes: new Map(config.monitors.map((m) => [m.config.id, m.module.type])) };
  const notifiers = new Map<string, NotifierInstance>(
    config.notifiers.map((n) => {
      const created = n.module.create(n.config, { ...deps, logger: logger.child({ notifier: n.config.id }) });
      // The test-only `after-send` point: the channel accepted the batch, the outbox does not know yet.
      const notifier: Notifier = crashPoint
        ? { send: async (batch, ctx) => { await created.send(batch, ctx); crashPoint('after-send'); } }
        : created;
      return [n.config.id, { ...n, channel: n.module.channel, notifier, matches: eventMatcher(n.config.match, identities, directory) }];
    }),
  );
  const dispatcher = new Dispatcher({ store, notifiers, clock, logger, settings: config.delivery, sleep: deps.sleep, actor, displayTimezone: deps.displayTimezone });
  for (const warning of config.warnings) logger.warn(warning);
  return {
    config,
    store,
    logger,
    clock,
    deps,
    monitors,
    notifiers,
    dispatcher,
    actor,
    metrics: new Metrics(),
    crashPoint,
    directory,
    close: () => {
      if (!overrides.store) store.close();
    },
  };
}
