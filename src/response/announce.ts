/**
 * Telling the team about kills and about kills the guards held back: one `response` batch per
 * occasion, queued in the outbox for every notifier whose minSeverity (and monitors filter) lets
 * it through, delivered by the dispatcher like every other batch. Times in the words are for the
 * channel's readers: the display zone where people read them, UTC ISO where machines do.
 */
import type { NotificationBatch, NotifierCommonConfig, NotifierModule } from '../../notifiers/types.js';
import type { Store } from '../../storage/store.js';
import { severityAtLeast, type ChangeEvent, type Severity } from '../core/types.js';
import { timeFormatFor, type TimeFormat } from '../delivery/render.js';

export interface Announcement {
  /** Stable id (idempotency key), e.g. "response-12-done". */
  id: string;
  title: string;
  /** The words; a function when they hold times, given the time format of each channel's readers. */
  text: string | ((time: TimeFormat) => string);
  severity: Severity;
  monitorId?: string | null | undefined;
  events: ChangeEvent[];
}

/**
 * Queues the announcement for every notifier that wants it; returns how many. `displayTimezone`
 * (config `displayTimezone`; default: the system's) is the zone of the times in words for people.
 */
export function announce(store: Store, notifiers: readonly { config: NotifierCommonConfig; module?: Pick<NotifierModule, 'kinds' | 'readers'> }[], a: Announcement, at: Date, displayTimezone?: string): number {
  const words = a.text;
  const textFor = typeof words === 'string' ? () => words : (n: { module?: Pick<NotifierModule, 'readers'> }) => words(timeFormatFor(n.module, displayTimezone));
  let queued = 0;
  for (const n of notifiers) {
    // Channels that take no `response` batches (PagerDuty: a kill is no incident) are skipped.
    if (n.module?.kinds && !n.module.kinds.includes('response')) continue;
    if (!severityAtLeast(a.severity, n.config.minSeverity)) continue;
    if (a.monitorId && n.config.monitors && !n.config.monitors.includes(a.monitorId)) continue;
    const batch: NotificationBatch = { id: a.id, kind: 'response', title: a.title, text: textFor(n), severity: a.severity, source: null, events: a.events, createdAt: at.toISOString() };
    if (store.enqueue(n.config.id, a.id, 'response', batch, a.events.map((e) => e.id).filter((id) => id > 0), at) !== null) queued += 1;
  }
  return queued;
}
