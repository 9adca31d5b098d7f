/**
 * One provider's event source under test: the provider's fake, the real monitor in a real App
 * (SQLite in memory), a committed baseline scan, the real EventRunner after its first poll (the
 * cursor set), a pinned clock. What the operator sees is the real `status` text.
 */
import { createApp, type App } from '../../../src/app.js';
import { buildEventsStatus, renderEventsStatus, type EventSourceStatus } from '../../../src/cli/status-events.js';
import { resolveConfig } from '../../../src/config/load.js';
import type { ChangeEventType } from '../../../src/core/types.js';
import { scanMonitors } from '../../../src/cycle.js';
import { EventRunner } from '../../../src/events/runner.js';
import { PinnedClock, memoryLogger } from '../../helpers.js';
import type { EventFake, ProviderEventHarness } from './types.js';

export const never = new AbortController().signal;

export interface EventRig {
  harness: ProviderEventHarness;
  fake: EventFake;
  app: App;
  runner: EventRunner;
  clock: PinnedClock;
  /** Change events committed since the baseline. */
  alerts(): Array<{ type: string; login: string }>;
  /** The `status` text of the event sources. */
  statusText(): string;
  /** The status of one source (the harness's pulled source unless named). */
  sourceStatus(source?: string): EventSourceStatus;
  /** The line of `status` matching `pattern` within the source's block (the whole text with `anywhere`). */
  line(pattern: RegExp, options?: { source?: string; anywhere?: boolean }): string;
  /** A time just before now, after the cursor: where the rows log their events. */
  recent(): Date;
  /**
   * False, lost and duplicate alerts against one expected change of the subject (or none). With
   * `events` (a fact source: each provider event its own alert), that many distinct events are
   * expected, told apart by provider event id; `login` when the alert is about someone else.
   */
  count(expected: ChangeEventType | null, options?: { events?: number; login?: string }): { falseAlerts: number; lostAlerts: number; duplicateAlerts: number };
  close(): Promise<void>;
}

export async function eventRig(harness: ProviderEventHarness): Promise<EventRig> {
  const fake = await harness.start();
  try {
    const clock = new PinnedClock(harness.clockStart);
    const config = resolveConfig({ database: ':memory:', monitors: [fake.monitorEntry], notifiers: [{ id: 'siem', type: 'stdout' }] }, fake.env);
    // Rate-limit waits a module asks for pass at once: the clock is pinned, the rows assert the wait asked for.
    const app = createApp(config, { clock, logger: memoryLogger().logger, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
    const baseline = await scanMonitors(app, app.monitors, never);
    if (baseline.some((r) => r.status !== 'succeeded')) throw new Error(`the ${harness.provider} baseline scan failed: ${baseline.map((r) => r.error?.message ?? r.status).join('; ')}`);
    const runner = new EventRunner(app);
    const first = await runner.drain(never);
    if (first.pollFailures.length > 0) throw new Error(`the first ${harness.provider} poll failed: ${first.pollFailures.map((f) => f.message).join('; ')}`);
    clock.advance(60_000);
    const sources = () => app.monitors[0]?.monitor.eventSources?.() ?? [];
    const statusOf = () => buildEventsStatus(config, app.store, clock.now(), sources);
    const statusText = () => renderEventsStatus(statusOf(), clock.now());
    const alerts = () => app.store.db.prepare(`SELECT type, login FROM events WHERE type NOT IN ('baseline') ORDER BY id`).all() as Array<{ type: string; login: string }>;
    const providerEventIds = () =>
      (app.store.db.prepare(`SELECT json_extract(detail, '$.providerEventId') AS id FROM events WHERE type NOT IN ('baseline') ORDER BY id`).all() as Array<{ id: string | null }>).map((x) => x.id);
    return {
      harness, fake, app, runner, clock, alerts, statusText,
      sourceStatus(source = harness.source) {
        const s = statusOf().eventSources.find((e) => e.source === source);
        if (!s) throw new Error(`no status of ${harness.monitorId} ${source}`);
        return s;
      },
      line(pattern, options = {}) {
        const lines = statusText().split('\n');
        const start = options.anywhere ? 0 : lines.findIndex((l) => l.startsWith(`  ${harness.monitorId} ${options.source ?? harness.source} (`));
        const end = options.anywhere ? lines.length : lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l));
        return lines.slice(Math.max(0, start), end < 0 ? lines.length : end).find((l) => pattern.test(l))?.trim() ?? '';
      },
      recent: () => new Date(clock.now().getTime() - 10_000),
      count(expected, options = {}) {
        const all = alerts();
        const ids = providerEventIds();
        const login = options.login ?? fake.subjectLogin;
        const real = all.flatMap((a, i) => (expected !== null && a.type === expected && a.login === login ? [ids[i] ?? `alert-${i}`] : []));
        const wanted = expected === null ? 0 : (options.events ?? 1);
        // A hint source's one verified change; a fact source's alerts, one per distinct provider event.
        const distinct = options.events === undefined ? Math.min(real.length, 1) : new Set(real).size;
        return { falseAlerts: all.length - real.length, lostAlerts: Math.max(0, wanted - distinct), duplicateAlerts: real.length - distinct };
      },
      async close() {
        app.close();
        await fake.stop();
      },
    };
  } catch (err) {
    await fake.stop();
    throw err;
  }
}
