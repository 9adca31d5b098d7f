/**
 * Writing to the outbox (DESIGN.md "The flow", step 5): one row per (batch, notifier), written by
 * the caller's transaction together with whatever caused it (a scan's events, a digest, a
 * notifier's failure). Nothing is sent here; the dispatcher sends.
 */
import type { BatchKind, BatchSource, NotificationBatch } from '../../notifiers/types.js';
import type { Store } from '../../storage/store.js';
import type { ChangeEvent } from '../core/types.js';
import { acceptsKind, buildBatch, routeEvents, type RoutableNotifier } from './routing.js';
import { withoutSilenced } from './silences.js';

/**
 * Queues the events of one scan as one batch per notifier that wants any of them (silences,
 * routing and kind filters applied). Returns the ids of the notifiers that got a row.
 */
export function queueEventBatches(store: Store, notifiers: readonly RoutableNotifier[], batchId: string, kind: BatchKind, source: BatchSource | null, events: readonly ChangeEvent[], at: Date): string[] {
  const queued: string[] = [];
  // Silenced events stay recorded; they just reach no notifier (src/delivery/silences.ts).
  const loud = withoutSilenced(store, events, at);
  for (const n of notifiers) {
    if (!acceptsKind(n, kind)) continue;
    const routed = routeEvents(loud, n.config, n.module.routeAlso, n.matches);
    if (routed.length === 0) continue;
    const batch = buildBatch(batchId, kind, source, routed, at);
    if (store.enqueue(n.config.id, batchId, kind, batch, routed.map((e) => e.id), at) !== null) queued.push(n.config.id);
  }
  return queued;
}

/** Queues one prepared batch for one notifier (idempotent per notifier and batch id). */
export function queueBatch(store: Store, notifierId: string, batch: NotificationBatch, at: Date): boolean {
  return store.enqueue(notifierId, batch.id, batch.kind, batch, batch.events.map((e) => e.id).filter((id) => id > 0), at) !== null;
}
