/**
 * Routing and batching (pure): which events of one scan reach which notifier, as one batch per
 * notifier per scan, never one message per account.
 */
import type { BatchKind, BatchSource, NotificationBatch, NotifierCommonConfig, NotifierModule } from '../../notifiers/types.js';
import { maxSeverity, severityAtLeast, type ChangeEvent, type Severity } from '../core/types.js';

/** What routing needs to know of a configured notifier. */
export interface RoutableNotifier {
  config: Pick<NotifierCommonConfig, 'id' | 'minSeverity' | 'monitors' | 'events'>;
  module: Pick<NotifierModule, 'kinds' | 'routeAlso'>;
  /** The notifier's `match` list as a predicate (src/delivery/matchers.ts); absent: every event. */
  matches?: ((event: ChangeEvent) => boolean) | undefined;
}

/**
 * The events of `events` that `notifier` wants: its minSeverity, monitors and events filters,
 * plus whatever its module needs regardless of severity (`routeAlso`, e.g. PagerDuty resolutions);
 * `matches` (its `match` list) limits all of them to what its team owns.
 */
export function routeEvents(
  events: readonly ChangeEvent[],
  notifier: Pick<NotifierCommonConfig, 'minSeverity' | 'monitors' | 'events'>,
  routeAlso?: ((event: ChangeEvent) => boolean) | undefined,
  matches?: ((event: ChangeEvent) => boolean) | undefined,
): ChangeEvent[] {
  return events.filter((e) => {
    if (notifier.monitors && !notifier.monitors.includes(e.monitorId)) return false;
    if (matches && !matches(e)) return false;
    if (routeAlso?.(e)) return true;
    return severityAtLeast(e.severity, notifier.minSeverity) && (!notifier.events || notifier.events.includes(e.type));
  });
}

/** True when the notifier's channel delivers batches of this kind. */
export function acceptsKind(notifier: RoutableNotifier, kind: BatchKind): boolean {
  return !notifier.module.kinds || notifier.module.kinds.includes(kind);
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
