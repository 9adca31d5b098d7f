/**
 * The dispatcher (DESIGN.md "The flow", step 6): delivers outbox rows to their notifiers, retries
 * transient failures with exponential backoff up to a maximum age, records every attempt, and
 * marks a row sent only after the notifier resolved. Permanent failures (4xx, bad config) are
 * marked failed at once. A crash at any point leaves the row pending, so it is sent after restart.
 *
 * Like Alertmanager's retry stage, this is the only place that retries: notifiers make one
 * attempt and throw a ProviderError whose reason says whether another may help.
 *
 * When one notifier keeps failing (`delivery.alertAfter` failed attempts in a row, or any
 * permanent failure), one `delivery_failure` batch goes out through the other notifiers, and one
 * "recovered" batch when it delivers again: never one alert per failed row.
 *
 * One process delivers at a time: `run` and `start` hold the worker lease (src/lease.ts). A row
 * being sent when the process dies stays pending and is sent again after restart (at least once;
 * the batch id is the same on every attempt, so receivers can drop a duplicate).
 */
import type { NotificationBatch, Notifier, NotifierCommonConfig, NotifierModule } from '../../notifiers/types.js';
import { DeliveryStore } from '../../storage/delivery.js';
import type { OutboxRow, Store } from '../../storage/store.js';
import { timeoutSignal } from '../core/abort.js';
import type { Clock, Logger } from '../core/deps.js';
import { ProviderError, toProviderError } from '../core/errors.js';
import { redactSecrets, secretUrlParts } from '../core/secret.js';
import { secretsIn } from '../scan/run-scan.js';
import { severityAtLeast } from '../core/types.js';
import { queueBatch } from './outbox.js';
import { acceptsKind } from './routing.js';

export interface DeliverySettings {
  maxAge: number;
  initialBackoff: number;
  maxBackoff: number;
  timeout: number;
  /** Failed attempts in a row after which a notifier counts as failing and the others are told. */
  alertAfter?: number | undefined;
}

/** A configured notifier, as the dispatcher sees it. */
export interface DispatchTarget {
  notifier: Notifier;
  channel: string;
  config: NotifierCommonConfig;
  module: Pick<NotifierModule, 'kinds' | 'routeAlso'>;
}

export interface DispatcherDeps {
  store: Store;
  notifiers: ReadonlyMap<string, DispatchTarget>;
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

const DEFAULT_ALERT_AFTER = 3;

/** The delay before attempt number `attempts + 1`: doubling from `initial`, capped, at least what the channel asked. */
export function backoffDelay(attempts: number, settings: Pick<DeliverySettings, 'initialBackoff' | 'maxBackoff'>, retryAfterMs?: number): number {
  const exponential = Math.min(settings.maxBackoff, settings.initialBackoff * 2 ** Math.max(0, attempts - 1));
  return Math.max(exponential, retryAfterMs ?? 0);
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #delivery: DeliveryStore;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#delivery = new DeliveryStore(deps.store);
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
    // Real elapsed time bounds the loop too, so a clock that does not move (tests pin it) cannot keep it waiting.
    const realUntil = Date.now() + deadlineMs;
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
      if (clock.now().getTime() + Math.max(0, wait) > until || Date.now() + Math.max(0, wait) > realUntil) return { ...total, pending: pending.length };
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
      store.transaction(() => {
        store.recordAttempt(row.id, { at: started, ok: false, reason: 'client', error, durationMs: 0 }, { status: 'failed' });
        store.audit({ at: started, actor: this.#deps.actor, action: 'delivery.failed', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, reason: 'client', error } });
      });
      log.error(error);
      return 'failed';
    }
    const batch = JSON.parse(row.payload) as NotificationBatch;
    const t0 = performance.now();
    const timeout = timeoutSignal(settings.timeout);
    try {
      const sendSignal = AbortSignal.any([timeout, ...(signal ? [signal] : [])]);
      await target.notifier.send(batch, { signal: sendSignal });
      const at = clock.now();
      const before = store.transaction(() => {
        store.recordAttempt(row.id, { at, ok: true, durationMs: performance.now() - t0 }, { status: 'sent' });
        store.audit({ at, actor: this.#deps.actor, action: 'delivery.sent', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, attempts: row.attempts + 1 } });
        const health = this.#delivery.recordSuccess(row.notifier_id);
        if (health.alertedAt) this.#queueHealthNotice(row.notifier_id, target, health.failingSince ?? health.alertedAt, health.consecutiveFailures, null, 'recovered', at);
        return health;
      });
      log.info({ attempts: row.attempts + 1 }, `delivered to ${target.channel}`);
      if (before.alertedAt) log.info(`${target.channel} notifier "${row.notifier_id}" delivers again; the other notifiers are told once`);
      return 'sent';
    } catch (thrown) {
      let err = toProviderError(thrown, target.channel);
      const at = clock.now();
      const durationMs = performance.now() - t0;
      if (signal?.aborted) {
        // Shutdown, not the channel's fault: the row stays pending and is due at once on restart.
        store.recordAttempt(row.id, { at, ok: false, reason: 'aborted', error: 'mfawatch was stopping; the delivery will be retried', durationMs }, { status: 'pending', nextAttemptAt: at });
        log.info('delivery interrupted by shutdown; it stays queued');
        return 'retrying';
      }
      if (timeout.aborted && (err.reason === 'aborted' || err.reason === 'network')) {
        err = new ProviderError(`${target.channel} did not accept the message within ${Math.round(settings.timeout / 1000)}s`, { reason: 'timeout', provider: target.channel, hint: 'check the channel status and connectivity; mfawatch will retry', cause: thrown });
      }
      // Last line of defence: whatever a notifier put in its message, none of its configured
      // secrets (nor the token parts of a secret URL) reaches the database, a log or another channel.
      err.message = redactSecrets(err.message, secretsIn(target.config).flatMap((x) => secretUrlParts(x)));
      const attempts = row.attempts + 1;
      const age = at.getTime() - Date.parse(row.created_at);
      const nextAt = at.getTime() + backoffDelay(attempts, settings, err.retryAfterMs);
      const giveUp = !err.transient || nextAt - Date.parse(row.created_at) > settings.maxAge;
      const attempt = { at, ok: false, reason: err.reason, error: err.message, durationMs };
      const alertAfter = settings.alertAfter ?? DEFAULT_ALERT_AFTER;
      if (giveUp) {
        const why = err.transient ? `gave up after ${attempts} attempts over ${Math.round(age / 60_000)} min` : 'not retried: the channel rejected it';
        store.transaction(() => {
          store.recordAttempt(row.id, attempt, { status: 'failed' });
          store.audit({ at, actor: this.#deps.actor, action: 'delivery.failed', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, attempts, reason: err.reason, error: err.message } });
          const health = this.#delivery.recordFailure(row.notifier_id, at, err.message);
          if (!health.alertedAt) this.#raiseFailing(row.notifier_id, target, health.failingSince ?? at.toISOString(), health.consecutiveFailures, err.message, at);
        });
        log.error({ attempts, reason: err.reason }, `delivery to ${target.channel} failed (${why}): ${err.message}`);
        return 'failed';
      }
      store.transaction(() => {
        store.recordAttempt(row.id, attempt, { status: 'pending', nextAttemptAt: new Date(nextAt) });
        const health = this.#delivery.recordFailure(row.notifier_id, at, err.message);
        if (!health.alertedAt && health.consecutiveFailures >= alertAfter) {
          this.#raiseFailing(row.notifier_id, target, health.failingSince ?? at.toISOString(), health.consecutiveFailures, err.message, at);
        }
      });
      log.warn({ attempts, reason: err.reason, retryAt: new Date(nextAt).toISOString() }, `delivery to ${target.channel} failed, will retry: ${err.message}`);
      return 'retrying';
    }
  }

  /** Marks the notifier as alerted and queues one `delivery_failure` batch to the others. */
  #raiseFailing(notifierId: string, target: DispatchTarget, since: string, failures: number, lastError: string, at: Date): void {
    this.#delivery.markAlerted(notifierId, at);
    this.#queueHealthNotice(notifierId, target, since, failures, lastError, 'failing', at);
  }

  /** Queues one notice about a notifier's health to every other notifier able to take it (inside the caller's transaction). */
  #queueHealthNotice(notifierId: string, target: DispatchTarget, since: string, failures: number, lastError: string | null, state: 'failing' | 'recovered', at: Date): void {
    const failing = state === 'failing';
    const batch: NotificationBatch = {
      id: `notifier-${state}-${notifierId}-${Date.parse(since)}`,
      kind: 'delivery_failure',
      title: failing
        ? `mfawatch cannot deliver alerts to ${target.channel} (notifier ${notifierId})`
        : `mfawatch delivers to ${target.channel} again (notifier ${notifierId})`,
      text: failing
        ? `Alerts for notifier "${notifierId}" have failed ${failures} time(s) in a row since ${since}. Last error: ${lastError ?? 'unknown'}. ` +
          'Transient failures are retried until delivery.maxAge; check the channel (webhook URL, credentials, outage) and `mfawatch status` for what is pending or failed. ' +
          `Once it is fixed, \`mfawatch redeliver --notifier ${notifierId}\` sends what failed.`
        : `Notifier "${notifierId}" delivered again after failing since ${since}. Alerts queued meanwhile are being delivered.`,
      severity: failing ? 'high' : 'info',
      source: null,
      events: [],
      createdAt: at.toISOString(),
      notifierHealth: { notifierId, channel: target.channel, state, since, failures, lastError },
    };
    const recipients: string[] = [];
    for (const [id, other] of this.#deps.notifiers) {
      if (id === notifierId || !acceptsKind(other, 'delivery_failure')) continue;
      // A recovery reaches the same notifiers as the alert did, whatever their minSeverity.
      if (!severityAtLeast('high', other.config.minSeverity)) continue;
      if (this.#delivery.health(id).consecutiveFailures > 0) continue;
      if (queueBatch(this.#deps.store, id, batch, at)) recipients.push(id);
    }
    this.#deps.store.audit({ at, actor: this.#deps.actor, action: failing ? 'notifier.failing' : 'notifier.recovered', subject: notifierId, detail: { since, failures, lastError, toldNotifiers: recipients } });
    if (recipients.length === 0 && failing) {
      this.#deps.logger.error({ notifier: notifierId }, `notifier "${notifierId}" keeps failing and no other notifier can be told; check it now (mfawatch events shows what is pending)`);
    }
  }
}
