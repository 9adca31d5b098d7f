/**
 * Building the response side of an App: responder instances from the config, the identity
 * context, the policy, and one ResponseRunner per App.
 */
import type { ResponderDeps } from '../../responders/types.js';
import type { App } from '../app.js';
import type { MonitorCommonConfig } from '../../monitors/types.js';
import type { AutoResponseContext, RunTally } from './decide.js';
import type { AutoResponsePolicy } from './guards.js';
import type { IdentityContext } from './identity.js';
import type { ResponderInstance } from './invalidate.js';
import { ResponseRunner } from './runner.js';

export type ResponderExtras = Pick<ResponderDeps, 'awsCredentials'>;

const runners = new WeakMap<App, ResponseRunner>();

/** Monitor id → type, and identities.map. */
export function identityContext(app: Pick<App, 'config'>): IdentityContext {
  return { map: app.config.identities.map, monitorTypes: new Map(app.config.monitors.map((m) => [m.config.id, m.module.type])) };
}

export function autoResponsePolicy(app: Pick<App, 'config'>): AutoResponsePolicy {
  return { ...app.config.autoResponse };
}

/** What a scan of `monitor` needs to decide auto-responses. */
export function autoResponseContext(app: App, monitor: MonitorCommonConfig & { type: string }, run?: RunTally): AutoResponseContext {
  return {
    policy: autoResponsePolicy(app), identities: identityContext(app), monitorType: monitor.type, notifiers: [...app.notifiers.values()], actor: app.actor, run,
    onBlocked: (guard) => app.metrics.killsBlocked.inc({ guard }),
    displayTimezone: app.deps.displayTimezone,
  };
}

/** The App's response runner, built on first use (`extras` only matter on that first call). */
export function responseRunnerFor(app: App, extras: ResponderExtras = {}): ResponseRunner {
  const existing = runners.get(app);
  if (existing) return existing;
  const responders: ResponderInstance[] = app.config.responders.map((r) => ({
    id: r.config.id,
    type: r.module.type,
    service: r.module.service,
    responder: r.module.create(r.config, { ...app.deps, logger: app.logger.child({ responder: r.config.id }), ...extras }),
  }));
  const runner = new ResponseRunner({
    store: app.store,
    responders,
    identities: identityContext(app),
    notifiers: [...app.notifiers.values()],
    clock: app.clock,
    logger: app.logger,
    actor: app.actor,
    killTimeout: app.config.autoResponse.killTimeout,
    onKill: (k) => app.metrics.recordKill(k),
    displayTimezone: app.deps.displayTimezone,
  });
  runners.set(app, runner);
  return runner;
}
