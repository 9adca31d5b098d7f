/**
 * Routing and batching (pure): which events of one scan reach which notifier, as one batch per
 * notifier per scan, never one message per account.
 */
import type { BatchKind, BatchSource, NotificationBatch, NotifierCommonConfig } from '../../notifiers/types.js';
import { maxSeverity, severityAtLeast, type ChangeEvent, type Severity } from '../core/types.js';

/** The events of `events` that `notifier` wants (minSeverity, monitors and events filters). */
export function routeEvents(events: readonly ChangeEvent[], notifier: Pick<NotifierCommonConfig, 'minSeverity' | 'monitors' | 'events'>): ChangeEvent[] {
  return events.filter(
    (e) =>
      severityAtLeast(e.severity, notifier.minSeverity) &&
      (!notifier.monitors || notifier.monitors.includes(e.monitorId)) &&
      (!notifier.events || notifier.events.includes(e.type)),
  );
}

/** The most urgent severity of a list of events (info for none). */
export function highestSeverity(events: readonly ChangeEvent[]): Severity {
  return events.reduce<Severity>((s, e) => maxSeverity(s, e.severity), 'info');
}

/** A one-line title: "GitHub acme: 3 changes, highest critical". */
export function batchTitle(source: BatchSource | null, events: readonly ChangeEvent[]): string {
  const where = source ? `${source.provider} ${source.label || source.monitorId}` : 'mfawatch';
  if (events.length === 1 && events[0]) return `${where}: ${events[0].summary}`;
  return `${where}: ${events.length} changes, highest ${highestSeverity(events)}`;
}

/** Builds the batch of `events` for one source. */
export function buildBatch(id: string, kind: BatchKind, source: BatchSource | null, events: ChangeEvent[], createdAt: Date, text?: string): NotificationBatch {
  return { id, kind, title: batchTitle(source, events), text, severity: highestSeverity(events), source, events, createdAt: createdAt.toISOString() };
}
