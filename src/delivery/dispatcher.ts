/**
 * The dispatcher (DESIGN.md "The flow", step 6): delivers outbox rows to their notifiers, retries
 * transient failures with exponential backoff up to a maximum age, records every attempt, and
 * marks a row sent only after the notifier resolved. Permanent failures (4xx, bad config) are
 * marked failed at once. A crash at any point leaves the row pending, so it is sent after restart.
 *
 * Like Alertmanager's retry stage, this is the only place that retries: notifiers make one
 * attempt and throw a ProviderError whose reason says whether another may help.
 *
 * Deliveries to one notifier are first in, first out: only the head of its queue (its oldest
 * pending row) is ever attempted, so a newer batch never overtakes an older one waiting in backoff
 * (PagerDuty must see trigger, resolve, trigger in the order they happened, never the resolve
 * last). The head leaves the queue when it is sent, rejected (a permanent failure) or past
 * `delivery.maxAge`; then the next row goes. Notifiers are independent: each has its own lane, all
 * lanes run at once, so one hanging or failing channel never delays another.
 *
 * Every pass is bounded: no attempt starts after its deadline (`delivery.runDeadline`), and an
 * attempt ends within `delivery.timeout` even when the notifier ignores its abort signal, so a
 * pass ends within its deadline plus one timeout whatever the receivers do. What is left stays
 * queued for the next pass.
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
import { formatDuration, formatDurationExact } from '../core/duration.js';
import { ProviderError, toProviderError } from '../core/errors.js';
import { redactSecrets, secretUrlParts } from '../core/secret.js';
import { secretsIn } from '../scan/run-scan.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { severityAtLeast } from '../core/types.js';
import { queueBatch } from './outbox.js';
import { isoTime, timeFormatFor, type TimeFormat } from './render.js';
import { acceptsKind } from './routing.js';

export interface DeliverySettings {
  maxAge: number;
  initialBackoff: number;
  maxBackoff: number;
  timeout: number;
  /** Failed attempts in a row after which a notifier counts as failing and the others are told. */
  alertAfter?: number | undefined;
  /** How long one delivery pass may start attempts (`delivery.runDeadline`); default one minute. */
  runDeadline?: number | undefined;
}

/** A configured notifier, as the dispatcher sees it. */
export interface DispatchTarget {
  notifier: Notifier;
  channel: string;
  config: NotifierCommonConfig;
  module: Pick<NotifierModule, 'kinds' | 'routeAlso' | 'readers'>;
}

export interface DispatcherDeps {
  store: Store;
  notifiers: ReadonlyMap<string, DispatchTarget>;
  clock: Clock;
  logger: Logger;
  settings: DeliverySettings;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  actor: string;
  /**
   * The zone of times in words for people (config `displayTimezone`): the delivery errors that
   * `events`, `status` and the console show, and notices to channels people read. Logs, the audit
   * log and channels read by machines keep UTC ISO.
   */
  displayTimezone: string;
}

export interface DeliveryTally {
  sent: number;
  failed: number;
  retrying: number;
}

const DEFAULT_ALERT_AFTER = 3;
const DEFAULT_PASS_DEADLINE = 60_000;

/**
 * The delay before attempt number `attempts + 1`: doubling from `initialBackoff`, at least what the
 * channel asked (Retry-After), never more than `maxBackoff`. A Retry-After of hours or years must
 * neither give the batch up after one attempt (only `maxAge` does that) nor hold the notifier's
 * queue longer than the operator allowed.
 */
export function backoffDelay(attempts: number, settings: Pick<DeliverySettings, 'initialBackoff' | 'maxBackoff'>, retryAfterMs?: number): number {
  const exponential = Math.min(settings.maxBackoff, settings.initialBackoff * 2 ** Math.max(0, attempts - 1));
  return Math.min(settings.maxBackoff, Math.max(exponential, retryAfterMs ?? 0));
}

/** The bounds of one delivery pass. */
interface PassLimits {
  /** No attempt starts (and no wait for a backoff ends) at or after this time, by the clock (ms). */
  until: number;
  /** The same bound in real time (Date.now()): a clock that does not move (tests pin it) cannot keep a pass going. */
  realUntil: number;
  /** Wait for a queue head in backoff that falls due before the deadline (`run`), or leave it to the next pass (the daemon's passes, every few seconds). */
  waitForBackoff: boolean;
}

/** How a lane ended: its queue is empty (it may be started again when rows arrive), or it is done for this pass. */
type LaneEnd = 'empty' | 'stopped';

/**
 * `work`, or a rejection with the signal's reason as soon as the signal aborts, whichever comes
 * first: a notifier that does not honour its signal cannot hold its lane past the timeout. The
 * abandoned work may still finish; its outcome is ignored (the row is retried, at least once).
 */
function settleBy<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #delivery: DeliveryStore;
  /** Set while a pass runs: called when a health notice was queued, so that an idle lane starts. */
  #wake: (() => void) | undefined;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.#delivery = new DeliveryStore(deps.store);
  }

  /**
   * One pass of the daemon: delivers, notifier by notifier and all at once, every row that is due
   * and heads its queue, until each queue is empty or its head waits for a backoff. No attempt
   * starts after `delivery.runDeadline`.
   */
  async deliverDue(signal?: AbortSignal): Promise<DeliveryTally> {
    const { pending: _pending, ...tally } = await this.#pass(this.#limits(this.#deps.settings.runDeadline ?? DEFAULT_PASS_DEADLINE, false), signal);
    return tally;
  }

  /**
   * Delivers until nothing is pending or until `deadlineMs` passes, waiting out backoffs that end
   * before it; then what is still pending stays queued for the next run. Ends within `deadlineMs`
   * plus one `delivery.timeout`. Used by `mfawatch run`.
   */
  async drain(deadlineMs: number, signal?: AbortSignal): Promise<DeliveryTally & { pending: number }> {
    return this.#pass(this.#limits(deadlineMs, true), signal);
  }

  #limits(deadlineMs: number, waitForBackoff: boolean): PassLimits {
    return { until: this.#deps.clock.now().getTime() + deadlineMs, realUntil: Date.now() + deadlineMs, waitForBackoff };
  }

  /** Runs one lane per notifier with pending rows, all at once, until every lane is done. */
  async #pass(limits: PassLimits, signal: AbortSignal | undefined): Promise<DeliveryTally & { pending: number }> {
    const tally: DeliveryTally = { sent: 0, failed: 0, retrying: 0 };
    const lanes = new Map<string, Promise<void>>();
    const done = new Set<string>();
    const crashes: unknown[] = [];
    let wake: () => void = () => undefined;
    this.#wake = () => wake();
    try {
      for (;;) {
        if (!signal?.aborted) {
          for (const id of this.#delivery.notifiersWithPending()) {
            if (lanes.has(id) || done.has(id)) continue;
            const lane = this.#lane(id, limits, tally, signal).then(
              (end) => {
                if (end === 'stopped') done.add(id);
              },
              (err: unknown) => {
                // A lane that crashed (the database, say) stops; the others finish, then the pass throws.
                crashes.push(err);
                done.add(id);
              },
            ).finally(() => lanes.delete(id));
            lanes.set(id, lane);
          }
        }
        if (lanes.size === 0) break;
        await Promise.race([...lanes.values(), new Promise<void>((resolve) => (wake = resolve))]);
      }
    } finally {
      this.#wake = undefined;
    }
    if (crashes.length) throw crashes[0];
    return { ...tally, pending: this.#deps.store.pendingDeliveries().length };
  }

  /** Delivers one notifier's queue, head first, within the pass's limits. */
  async #lane(notifierId: string, limits: PassLimits, tally: DeliveryTally, signal: AbortSignal | undefined): Promise<LaneEnd> {
    const { clock } = this.#deps;
    for (;;) {
      if (signal?.aborted) return 'stopped';
      const head = this.#delivery.queueHead(notifierId);
      if (!head) return 'empty';
      const now = clock.now().getTime();
      const wait = Math.max(0, Date.parse(head.next_attempt_at) - now);
      // Nothing starts, and nothing is waited for, past the deadline: it stays queued for the next pass.
      if (now + wait >= limits.until || Date.now() + wait >= limits.realUntil) return 'stopped';
      if (wait > 0) {
        if (!limits.waitForBackoff) return 'stopped';
        await this.#deps.sleep(wait, signal).catch(() => undefined);
        continue;
      }
      tally[await this.#attempt(head, signal)] += 1;
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
      await settleBy(target.notifier.send(batch, { signal: sendSignal }), sendSignal);
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
        store.recordAttempt(row.id, { at, ok: false, reason: 'aborted', error: 'mfawatch was stopping; the delivery stays queued and is sent after the restart', durationMs }, { status: 'pending', nextAttemptAt: at });
        log.info('delivery interrupted by shutdown; it stays queued');
        return 'retrying';
      }
      if (timeout.aborted && err.status === undefined) {
        // Whatever the notifier made of its aborted signal, the cause is the delivery timeout: say which.
        err = new ProviderError(`${target.channel} did not accept the message within ${formatDurationExact(settings.timeout)} (delivery.timeout)`, { reason: 'timeout', provider: target.channel, hint: 'check the channel status and connectivity', cause: thrown });
      }
      // Last line of defence: whatever a notifier put in its message, none of its configured
      // secrets (nor the token parts of a secret URL) reaches the database, a log or another channel.
      const secrets = secretsIn(target.config).flatMap((x) => secretUrlParts(x));
      const said = redactSecrets(err.message, secrets);
      const attempts = row.attempts + 1;
      const created = Date.parse(row.created_at);
      const delay = backoffDelay(attempts, settings, err.retryAfterMs);
      const nextAt = at.getTime() + delay;
      const giveUp = !err.transient || nextAt - created > settings.maxAge;
      // The channel's own words, then what mfawatch does about it (notifiers never promise a retry: only this knows).
      const outcome = (time: TimeFormat) => !err.transient
        ? `not retried: the channel rejected it; once the cause is fixed, \`mfawatch redeliver --notifier ${row.notifier_id}\` sends it`
        : giveUp
          ? `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${formatDuration(at.getTime() - created)} (the next would pass delivery.maxAge, ${formatDurationExact(settings.maxAge)}); once the channel works, \`mfawatch redeliver --notifier ${row.notifier_id}\` sends it`
          : `next attempt at ${time(new Date(nextAt).toISOString())}${err.retryAfterMs !== undefined && err.retryAfterMs > delay ? ` (the channel asked to wait ${formatDuration(err.retryAfterMs)}; mfawatch waits at most delivery.maxBackoff, ${formatDurationExact(settings.maxBackoff)}, and keeps trying until delivery.maxAge)` : ''}`;
      // Stored for people (`events`, `status`, the console): times in the display zone. The JSON
      // log line and the audit log keep UTC ISO.
      const error = `${said}; ${outcome(displayTimeFormatter(this.#deps.displayTimezone))}`;
      const logged = `${said}; ${outcome(isoTime)}`;
      const attempt = { at, ok: false, reason: err.reason, error, durationMs };
      const alertAfter = settings.alertAfter ?? DEFAULT_ALERT_AFTER;
      if (giveUp) {
        store.transaction(() => {
          store.recordAttempt(row.id, attempt, { status: 'failed' });
          store.audit({ at, actor: this.#deps.actor, action: 'delivery.failed', subject: row.notifier_id, detail: { outboxId: row.id, batch: row.batch_id, attempts, reason: err.reason, error: logged } });
          const health = this.#delivery.recordFailure(row.notifier_id, at, error);
          if (!health.alertedAt) this.#raiseFailing(row.notifier_id, target, health.failingSince ?? at.toISOString(), health.consecutiveFailures, said, at);
        });
        log.error({ attempts, reason: err.reason }, `delivery to ${target.channel} failed: ${logged}`);
        return 'failed';
      }
      store.transaction(() => {
        store.recordAttempt(row.id, attempt, { status: 'pending', nextAttemptAt: new Date(nextAt) });
        const health = this.#delivery.recordFailure(row.notifier_id, at, error);
        if (!health.alertedAt && health.consecutiveFailures >= alertAfter) {
          this.#raiseFailing(row.notifier_id, target, health.failingSince ?? at.toISOString(), health.consecutiveFailures, said, at);
        }
      });
      log.warn({ attempts, reason: err.reason, retryAt: new Date(nextAt).toISOString() }, `delivery to ${target.channel} failed: ${logged}`);
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
    // Each recipient gets the words in its readers' time format: the display zone for people, UTC ISO for machines.
    const batchFor = (time: TimeFormat): NotificationBatch => ({
      id: `notifier-${state}-${notifierId}-${Date.parse(since)}`,
      kind: 'delivery_failure',
      title: failing
        ? `mfawatch cannot deliver alerts to ${target.channel} (notifier ${notifierId})`
        : `mfawatch delivers to ${target.channel} again (notifier ${notifierId})`,
      text: failing
        ? `Alerts for notifier "${notifierId}" have failed ${failures} time(s) in a row since ${time(since)}. Last error: ${lastError ?? 'unknown'}. ` +
          'Transient failures are retried until delivery.maxAge; check the channel (webhook URL, credentials, outage) and `mfawatch status` for what is pending or failed. ' +
          `Once it is fixed, \`mfawatch redeliver --notifier ${notifierId}\` sends what failed.`
        : `Notifier "${notifierId}" delivered again after failing since ${time(since)}. Alerts queued meanwhile are being delivered.`,
      severity: failing ? 'high' : 'info',
      source: null,
      events: [],
      createdAt: at.toISOString(),
      notifierHealth: { notifierId, channel: target.channel, state, since, failures, lastError },
    });
    const recipients: string[] = [];
    for (const [id, other] of this.#deps.notifiers) {
      if (id === notifierId || !acceptsKind(other, 'delivery_failure')) continue;
      // A recovery reaches the same notifiers as the alert did, whatever their minSeverity.
      if (!severityAtLeast('high', other.config.minSeverity)) continue;
      if (this.#delivery.health(id).consecutiveFailures > 0) continue;
      if (queueBatch(this.#deps.store, id, batchFor(timeFormatFor(other.module, this.#deps.displayTimezone)), at)) recipients.push(id);
    }
    if (recipients.length) this.#wake?.();
    this.#deps.store.audit({ at, actor: this.#deps.actor, action: failing ? 'notifier.failing' : 'notifier.recovered', subject: notifierId, detail: { since, failures, lastError, toldNotifiers: recipients } });
    if (recipients.length === 0 && failing) {
      this.#deps.logger.error({ notifier: notifierId }, `notifier "${notifierId}" keeps failing and no other notifier can be told; check it now (mfawatch events shows what is pending)`);
    }
  }
}
