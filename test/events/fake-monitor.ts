/**
 * A monitor that implements the event-source contract (monitors/events.ts) over an in-memory
 * directory, to test the core's runner independently of any provider: what a monitor module
 * hands the core is exactly this (batches of ProviderEvents from `poll`, readings from
 * `readAccount`). Provider modules are tested against their own loopback fakes.
 */
import type { AccountReading, AccountRef, EventBatch, EventSource, ProviderEvent, PulledEventSource } from '../../monitors/events.js';
import type { Monitor, MonitorCommonConfig, MonitorModule } from '../../monitors/types.js';
import { ProviderError } from '../../src/core/errors.js';
import type { Observation } from '../../src/core/types.js';
import { githubConfigSchema } from '../../monitors/github/config.js';
import { resolveConfig } from '../../src/config/load.js';
import { createApp, type App } from '../../src/app.js';
import type { Clock, Logger } from '../../src/core/deps.js';
import { memoryLogger } from '../helpers.js';
import type { Store } from '../../storage/store.js';

export class FakeDirectory {
  readonly accounts = new Map<string, Observation>();
  /** Batches `poll` hands out, in order; an Error is thrown instead. */
  readonly queue: Array<EventBatch | Error> = [];
  /** Cursors `poll` was called with. */
  readonly polledWith: Array<string | undefined> = [];
  /** Batches acknowledged, by cursor. */
  readonly acknowledged: Array<string | undefined> = [];
  /** readAccount calls, and how many of the next ones fail. */
  readonly reads: AccountRef[] = [];
  failReads = 0;
  /** false: a log read with a cursor (no acknowledge), like a source re-reading an overlap window. */
  acknowledges = true;
  /** The source's intervalMs and idleIntervalMs (monitors/events.ts). */
  intervalMs = 10;
  idleIntervalMs: number | undefined;
  /** Runs inside readAccount (a scan committing meanwhile). */
  duringRead: (() => Promise<void> | void) | undefined;

  set(o: Observation): void {
    this.accounts.set(o.accountId, o);
  }

  source(): PulledEventSource {
    return {
      kind: 'pull',
      name: 'queue',
      intervalMs: this.intervalMs,
      ...(this.idleIntervalMs === undefined ? {} : { idleIntervalMs: this.idleIntervalMs }),
      poll: async (cursor) => {
        this.polledWith.push(cursor);
        const next = this.queue.shift();
        if (next instanceof Error) throw next;
        if (!next) return { events: [], ignored: [] };
        if (!this.acknowledges) return next;
        return { ...next, acknowledge: async () => void this.acknowledged.push(next.cursor) };
      },
    };
  }

  monitor(): Monitor {
    const sources: EventSource[] = [this.source()];
    return {
      scopes: () => [{ id: '', label: 'fake' }],
      scan: async function* (this: void) {
        yield* [] as Observation[];
      },
      readAccount: async (_scope, ref): Promise<AccountReading> => {
        this.reads.push(ref);
        await this.duringRead?.();
        if (this.failReads > 0) {
          this.failReads -= 1;
          throw new ProviderError('the fake provider answered 503', { reason: 'server', provider: 'Fake', status: 503 });
        }
        const found = ref.accountId ? this.accounts.get(ref.accountId) : [...this.accounts.values()].find((a) => a.login === ref.login);
        return found ? { status: 'present', observation: { ...found } } : { status: 'gone', account: ref };
      },
      eventSources: () => sources,
    };
  }

  scanningMonitor(): Monitor {
    const base = this.monitor();
    const accounts = this.accounts;
    return {
      ...base,
      scan: async function* () {
        for (const a of [...accounts.values()]) yield { ...a };
      },
    };
  }
}

/** A hint event about one account. */
export function hintEvent(id: string, accountId: string, occurredAt = new Date('2026-11-22T09:59:59.000Z')): ProviderEvent {
  return { id, occurredAt, scope: '', name: 'MfaChanged', hint: { account: { accountId }, topic: 'mfa' } };
}

/** An App whose one monitor (`fake`) is `directory`'s monitor. */
export function fakeApp(directory: FakeDirectory, clock: Clock, store: Store | undefined, raw: Record<string, unknown> = {}, logger: Logger = memoryLogger().logger): App {
  const config = resolveConfig({ database: ':memory:', monitors: [{ id: 'fake', type: 'github', org: 'acme', token: 'x' }], notifiers: [{ id: 'siem', type: 'stdout' }], ...raw }, {});
  const module: MonitorModule<MonitorCommonConfig> = {
    type: 'fake',
    provider: 'Fake',
    configSchema: githubConfigSchema as unknown as MonitorModule<MonitorCommonConfig>['configSchema'],
    secretKeys: [],
    create: () => directory.scanningMonitor(),
  };
  config.monitors = [{ config: { ...config.monitors[0]!.config, type: 'fake' }, module }];
  return createApp(config, { clock, logger, ...(store ? { store } : {}) });
}
