/**
 * Telling the team about kills and about kills the guards held back: one `response` batch per
 * occasion, queued in the outbox for every notifier whose minSeverity (and monitors filter) lets
 * it through, delivered by the dispatcher like every other batch.
 */
import type { NotificationBatch, NotifierCommonConfig, NotifierModule } from '../../notifiers/types.js';
import type { Store } from '../../storage/store.js';
import { severityAtLeast, type ChangeEvent, type Severity } from '../core/types.js';

export interface Announcement {
  /** Stable id (idempotency key), e.g. "response-12-done". */
  id: string;
  title: string;
  text: string;
  severity: Severity;
  monitorId?: string | null | undefined;
  events: ChangeEvent[];
}

/** Queues the announcement for every notifier that wants it; returns how many. */
export function announce(store: Store, notifiers: readonly { config: NotifierCommonConfig; module?: Pick<NotifierModule, 'kinds'> }[], a: Announcement, at: Date): number {
  const batch: NotificationBatch = { id: a.id, kind: 'response', title: a.title, text: a.text, severity: a.severity, source: null, events: a.events, createdAt: at.toISOString() };
  let queued = 0;
  for (const n of notifiers) {
    // Channels that take no `response` batches (PagerDuty: a kill is no incident) are skipped.
    if (n.module?.kinds && !n.module.kinds.includes('response')) continue;
    if (!severityAtLeast(a.severity, n.config.minSeverity)) continue;
    if (a.monitorId && n.config.monitors && !n.config.monitors.includes(a.monitorId)) continue;
    if (store.enqueue(n.config.id, a.id, 'response', batch, a.events.map((e) => e.id).filter((id) => id > 0), at) !== null) queued += 1;
  }
  return queued;
}
