/**
 * The dispatcher (DESIGN.md "The flow", step 6): delivers outbox rows to their notifiers, retries
 * transient failures with exponential backoff up to a maximum age, records every attempt, and
 * marks a row sent only after the notifier resolved. Permanent failures (4xx, bad config) are
 * marked failed at once. A crash at any point leaves the row pending, so it is sent after restart.
 */
import type { NotificationBatch, Notifier } from '../../notifiers/types.js';
import type { OutboxRow, Store } from '../../storage/store.js';
import type { Clock, Logger } from '../core/deps.js';
import { toProviderError } from '../core/errors.js';

export interface DeliverySettings {
  maxAge: number;
  initialBackoff: number;
  maxBackoff: number;
  timeout: number;
}

export interface DispatcherDeps {
  store: Store;
  notifiers: ReadonlyMap<string, { notifier: Notifier; channel: string }>;
  clock: Clock;
  logger: Logger;
  settings: DeliverySettings;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  actor: string;
}

export interface DeliveryTally {
  sent: number;
  failed: number;
  retrying: number;
}

/** The delay before attempt number `attempts + 1`: doubling from `initial`, capped, at least what the channel asked. */
export function backoffDelay(attempts: number, settings: Pick<DeliverySettings, 'initialBackoff' | 'maxBackoff'>, retryAfterMs?: number): number {
  const exponential = Math.min(settings.maxBackoff, settings.initialBackoff * 2 ** Math.max(0, attempts - 1));
  return Math.max(exponential, retryAfterMs ?? 0);
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /** Attempts every due row once. */
  async deliverDue(signal?: AbortSignal): Promise<DeliveryTally> {
    const tally: DeliveryTally = { sent: 0, failed: 0, retrying: 0 };
    for (;;) {
      if (signal?.aborted) break;
      const due = this.#deps.store.dueDeliveries(this.#deps.clock.now(), 50);
      if (due.length === 0) break;
      for (const row of due) {
        if (signal?.aborted) break;
        const result = await this.#attempt(row, signal);
        tally[result] += 1;
      }
    }
    return tally;
  }

  /**
   * Delivers until nothing is due or pending, or until `deadlineMs` passes (then what is still
   * pending stays queued for the next run). Used by `mfawatch run`.
   */
  async drain(deadlineMs: number, signal?: AbortSignal): Promise<DeliveryTally & { pending: number }> {
    const { clock, store } = this.#deps;
    const until = clock.now().getTime() + deadlineMs;
    const total: DeliveryTally = { sent: 0, failed: 0, retrying: 0 };
    for (;;) {
      const t = await this.deliverDue(signal);
      total.sent += t.sent;
      total.failed += t.failed;
      total.retrying += t.retrying;
      const pending = store.pendingDeliveries();
      const next = pending[0];
      if (!next || signal?.aborted) return { ...total, pending: pending.length };
      const wait = Date.parse(next.next_attempt_at) - clock.now().getTime();
      if (clock.now().getTime() + Math.max(0, wait) > until) return { ...total, pending: pending.length };
      await this.#deps.sleep(Math.max(0, wait), signal).catch(() => undefined);
    }
  }

  async #attempt(row: OutboxRow, signal?: AbortSignal): Promise<keyof DeliveryTally> {
    const { store, clock, logger, settings } = this.#deps;
    const target = this.#deps.notifiers.get(row.notifier_id);
    const started = clock.now();
    const log = logger.child({ notifier: row.notifier_id, outboxId: row.id, batch: row.batch_id });
    if (!target) {
      const error = `notifier "${row.notifier_id}" is no longer configured; the batch cannot be delivered`;
      store.recordAttempt(row.id, { at: started, ok: false, reason: 'client', error, durationMs: 0 }, { status: 'failed' });
      log.error(error);
      return 'failed';
    }
    const batch = JSON.parse(row.payload) as NotificationBatch;
    const t0 = performance.now();
    try {
      const sendSignal = AbortSignal.any([AbortSignal.timeout(settings.timeout), ...(signal ? [signal] : [])]);
      await target.notifier.send(batch, { signal: sendSignal });
      const at = clock.now();
      store.transaction(() => {
        store.recordAttempt(row.id, { at, ok: true, durationMs: performance.now() - t0 }, { status: 'sent' });
        store.audit({ at, actor: this.#deps.actor, action: 'delivery.sent', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, attempts: row.attempts + 1 } });
      });
      log.info({ attempts: row.attempts + 1 }, `delivered to ${target.channel}`);
      return 'sent';
    } catch (thrown) {
      const err = toProviderError(thrown, target.channel);
      const at = clock.now();
      const attempts = row.attempts + 1;
      const age = at.getTime() - Date.parse(row.created_at);
      const nextAt = at.getTime() + backoffDelay(attempts, settings, err.retryAfterMs);
      const giveUp = !err.transient || nextAt - Date.parse(row.created_at) > settings.maxAge;
      const attempt = { at, ok: false, reason: err.reason, error: err.message, durationMs: performance.now() - t0 };
      if (giveUp) {
        const why = err.transient ? `gave up after ${attempts} attempts over ${Math.round(age / 60_000)} min` : 'not retried: the channel rejected it';
        store.transaction(() => {
          store.recordAttempt(row.id, attempt, { status: 'failed' });
          store.audit({ at, actor: this.#deps.actor, action: 'delivery.failed', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, attempts, reason: err.reason, error: err.message } });
        });
        log.error({ attempts, reason: err.reason }, `delivery to ${target.channel} failed (${why}): ${err.message}`);
        return 'failed';
      }
      store.recordAttempt(row.id, attempt, { status: 'pending', nextAttemptAt: new Date(nextAt) });
      log.warn({ attempts, reason: err.reason, retryAt: new Date(nextAt).toISOString() }, `delivery to ${target.channel} failed, will retry: ${err.message}`);
      return 'retrying';
    }
  }
}
