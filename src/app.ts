/**
 * Wiring: one App per process, built from the resolved config. Modules are created here with
 * their dependencies passed in; nothing else constructs them.
 */
import { userInfo } from 'node:os';
import type { Monitor } from '../monitors/types.js';
import type { Notifier } from '../notifiers/types.js';
import { Store } from '../storage/store.js';
import type { ConfiguredMonitor, ConfiguredNotifier, ResolvedConfig } from './config/load.js';
import { sleep, systemClock, type Clock, type Logger, type ModuleDeps } from './core/deps.js';
import { createLogger } from './core/logger.js';
import { Dispatcher } from './delivery/dispatcher.js';

export interface MonitorInstance extends ConfiguredMonitor {
  monitor: Monitor;
}

export interface NotifierInstance extends ConfiguredNotifier {
  notifier: Notifier;
  channel: string;
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
  close(): void;
}

export interface AppOverrides extends Partial<ModuleDeps> {
  /** An open store to use instead of opening config.database. */
  store?: Store;
}

/** The OS user, for the audit log ("system" when it cannot be read). */
export function currentActor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'system';
  }
}

/** Builds the app: opens the database, creates every configured module. */
export function createApp(config: ResolvedConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? createLogger({ level: config.log.level });
  const clock = overrides.clock ?? systemClock;
  const deps: ModuleDeps = {
    fetch: overrides.fetch ?? globalThis.fetch,
    clock,
    logger,
    sleep: overrides.sleep ?? sleep,
    stdout: overrides.stdout ?? process.stdout,
  };
  const store = overrides.store ?? Store.open(config.database);
  const actor = currentActor();
  const monitors = config.monitors.map((m) => ({ ...m, monitor: m.module.create(m.config, { ...deps, logger: logger.child({ monitor: m.config.id }) }) }));
  const notifiers = new Map<string, NotifierInstance>(
    config.notifiers.map((n) => [n.config.id, { ...n, channel: n.module.channel, notifier: n.module.create(n.config, { ...deps, logger: logger.child({ notifier: n.config.id }) }) }]),
  );
  const dispatcher = new Dispatcher({ store, notifiers, clock, logger, settings: config.delivery, sleep: deps.sleep, actor });
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
    close: () => {
      if (!overrides.store) store.close();
    },
  };
}
