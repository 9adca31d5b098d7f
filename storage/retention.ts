/**
 * `retention`: removing account history, change events and deliveries older than the configured
 * limits. Never what is still needed: a delivery not yet sent (pending) stays however old (an
 * undeliverable alert stays queued), an event stays while a delivery or a session kill refers to
 * it, and the current state of every account (`accounts`) is never touched. The audit log is
 * never pruned: its hash chain, checked by `audit verify`, is the point of it.
 */
import type { Store } from './store.js';

/** The limits in milliseconds; a limit left out keeps that kind of row for good. */
export interface RetentionLimits {
  history?: number | undefined;
  events?: number | undefined;
  deliveries?: number | undefined;
}

/** Rows removed per kind. */
export interface Pruned {
  history: number;
  events: number;
  deliveries: number;
}

/** Removes what is older than `limits` allows at `now`, in one transaction. */
export function pruneExpired(store: Store, limits: RetentionLimits, now: Date): Pruned {
  const before = (ms: number | undefined) => (ms === undefined ? undefined : new Date(now.getTime() - ms).toISOString());
  const historyBefore = before(limits.history);
  const eventsBefore = before(limits.events);
  const deliveriesBefore = before(limits.deliveries);
  return store.transaction(() => {
    const pruned: Pruned = { history: 0, events: 0, deliveries: 0 };
    if (deliveriesBefore) {
      const finished = `SELECT id FROM outbox WHERE status != 'pending' AND created_at < ?`;
      store.db.prepare(`DELETE FROM delivery_attempts WHERE outbox_id IN (${finished})`).run(deliveriesBefore);
      store.db.prepare(`DELETE FROM outbox_events WHERE outbox_id IN (${finished})`).run(deliveriesBefore);
      pruned.deliveries = store.db.prepare(`DELETE FROM outbox WHERE status != 'pending' AND created_at < ?`).run(deliveriesBefore).changes;
    }
    if (eventsBefore) {
      pruned.events = store.db
        .prepare(
          `DELETE FROM events WHERE at < ?
             AND NOT EXISTS (SELECT 1 FROM outbox_events oe WHERE oe.event_id = events.id)
             AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.event_id = events.id)`,
        )
        .run(eventsBefore).changes;
    }
    if (historyBefore) pruned.history = store.db.prepare(`DELETE FROM account_history WHERE at < ?`).run(historyBefore).changes;
    return pruned;
  });
}
