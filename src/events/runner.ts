/**
 * The event-source runner (DESIGN.md "Seeing changes as they happen"): one per App, driving every
 * event source of every monitor instance with an `events` block.
 *
 * - **Ingest** (one SQLite transaction per batch or webhook delivery): provider event ids are
 *   deduplicated (set-aside entries too: each is counted once), facts are committed as change events (outbox and auto-response included), hints
 *   are stored as pending verifications (one per account: many events about one account coalesce
 *   into one), and the source's cursor is saved. Only after the commit is the batch acknowledged
 *   (SQS DeleteMessage) or the webhook answered 2xx. A crash before the commit re-reads the same
 *   events; dedupe makes that harmless.
 * - **Verify**: each due hint is re-read at the provider (`Monitor.readAccount`) and the verified
 *   reading committed through the scan's own diff/policy/outbox/auto-response path
 *   (commitAccountReading). A failed read keeps the hint, due again after a backoff; its error is
 *   shown in `status`; the scheduled scan still reconciles.
 * - **Pull**: `mfawatch start` polls each pulled source at its interval (backoff after failures,
 *   the error shown in `status`); `mfawatch run` drains each once (until a poll brings nothing new,
 *   or MAX_DRAIN_POLLS) and verifies every pending hint.
 * - **Off**: a source whose provider refuses it for good (EventBatch.disabled: a licence the
 *   tenant lacks) is recorded as off with the reason, warned about once, and polled no more by this
 *   runner; the next process tries it once again.
 */
import type { AccountReading, AccountRef, EventBatch, EventSource, IgnoredEvent, ProviderEvent, PulledEventSource, PushedEventSource, SourceOff } from '../../monitors/events.js';
import type { ScopeInfo } from '../../monitors/types.js';
import { EventStore, type HintRow } from '../../storage/events.js';
import type { App, MonitorInstance } from '../app.js';
import { timeoutSignal } from '../core/abort.js';
import { sleep } from '../core/deps.js';
import { AFTER_POLL_FAILURE, afterPollFailureIn, toProviderError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { redactSecrets } from '../core/secret.js';
import { CHANGE_EVENT_TYPES, type ChangeEvent, type ChangeEventType } from '../core/types.js';
import { mapWithConcurrency, scanEnvironment } from '../cycle.js';
import type { RunTally } from '../response/decide.js';
import { commitAccountReading, commitFacts, secretsIn, type FactInput } from '../scan/run-scan.js';

/** Hints about one account arriving within this window are verified once. */
export const COALESCE_MS = 250;
/** Verifications run at the same time (across accounts and monitors). */
const VERIFY_CONCURRENCY = 4;
/** Hints taken per verification pass. */
const VERIFY_BATCH = 200;
/** Longest one readAccount may take. */
const VERIFY_TIMEOUT_MS = 60_000;
/** How often the daemon looks for due hints (also woken by every ingest). */
const VERIFY_TICK_MS = 250;
/** `mfawatch run`: most polls of one pulled source before it moves on. */
export const MAX_DRAIN_POLLS = 50;
/** Backoff of failed polls and verifications: first delay, doubling, capped. */
const BACKOFF_FIRST_MS = 2_000;
const BACKOFF_MAX_MS = 5 * 60_000;
/**
 * The seen-id key of a set-aside entry: kept apart from the ids of events acted on, so an entry
 * set aside never makes an event of the same id look like a replay.
 */
const SET_ASIDE_PREFIX = 'set-aside:';
/** Prune seen ids and old hints at most this often. */
const PRUNE_EVERY_MS = 3_600_000;

/** Delay before retry `attempt` (1-based) of something that failed. */
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt - 1));
}

/** One event source of one monitor instance. */
export interface SourceBinding {
  instance: MonitorInstance;
  source: EventSource;
}

/** What ingesting one batch did. */
export interface IngestTally {
  received: number;
  duplicates: number;
  ignored: number;
  hints: number;
  coalesced: number;
  facts: ChangeEvent[];
}

/** What one verification pass did. */
export interface VerifyTally {
  verified: number;
  failed: number;
  events: ChangeEvent[];
}

/** A source that is off (EventBatch.disabled), for `mfawatch run`'s output. */
export interface SourceOffReport extends SourceOff {
  monitorId: string;
  source: string;
}

/** What `mfawatch run` drained. */
export interface DrainResult {
  polls: number;
  pollFailures: Array<{ monitorId: string; source: string; message: string }>;
  /** Sources the provider refused for good in this drain: off, not failed (no exit 1). */
  sourcesOff: SourceOffReport[];
  received: number;
  verify: VerifyTally;
}

const FACT_TYPES: ReadonlySet<string> = new Set<ChangeEventType>(CHANGE_EVENT_TYPES);

/** Drives the event sources of one App. */
export class EventRunner {
  readonly #app: App;
  readonly #events: EventStore;
  readonly #bindings: SourceBinding[];
  /** Called after anything was committed (the daemon delivers at once). */
  readonly #onCommitted: () => void;
  #wake: (() => void) | null = null;
  #lastPrune = 0;
  /** Sources that reported themselves off in this process (`monitorId\0source`): polled no more. */
  readonly #off = new Map<string, SourceOff>();

  constructor(app: App, options: { onCommitted?: () => void } = {}) {
    this.#app = app;
    this.#events = new EventStore(app.store);
    this.#onCommitted = options.onCommitted ?? (() => undefined);
    this.#bindings = app.monitors.flatMap((instance) => (instance.monitor.eventSources?.() ?? []).map((source) => ({ instance, source })));
    for (const b of this.#bindings) this.#events.ensureSource(b.instance.config.id, b.source.name, b.source.kind);
  }

  /** Every configured source. */
  get bindings(): readonly SourceBinding[] {
    return this.#bindings;
  }

  /** The pushed source behind `POST /hooks/<monitorId>`, if that monitor has one. */
  pushed(monitorId: string): { instance: MonitorInstance; source: PushedEventSource } | undefined {
    for (const b of this.#bindings) if (b.instance.config.id === monitorId && b.source.kind === 'push') return { instance: b.instance, source: b.source };
    return undefined;
  }

  #pulled(): Array<{ instance: MonitorInstance; source: PulledEventSource }> {
    return this.#bindings.flatMap((b) => (b.source.kind === 'pull' && !this.isOff(b.instance.config.id, b.source.name) ? [{ instance: b.instance, source: b.source }] : []));
  }

  /** Whether a source reported itself off in this process (it is not polled again until a restart). */
  isOff(monitorId: string, sourceName: string): boolean {
    return this.#off.has(`${monitorId}\0${sourceName}`);
  }

  #scope(instance: MonitorInstance, id: string): ScopeInfo {
    const known = instance.monitor.scopes().find((s) => s.id === id);
    return known ?? { id, label: this.#app.store.lastScan(instance.config.id, id)?.scope_label || id || instance.config.id };
  }

  // ── ingest ───────────────────────────────────────────────────────────────

  /**
   * Commits one batch in one transaction: dedupe, facts, hints, the cursor. Throws when the
   * database write fails (then nothing of the batch is kept and it must not be acknowledged).
   */
  ingest(instance: MonitorInstance, sourceName: string, batch: EventBatch, options: { poll: boolean }): IngestTally {
    const app = this.#app;
    const monitorId = instance.config.id;
    const now = app.clock.now();
    const tally: IngestTally = { received: 0, duplicates: 0, ignored: 0, hints: 0, coalesced: 0, facts: [] };
    const results: string[] = [];
    let lastIgnored: string | null = null;
    const setAside: IgnoredEvent[] = [];
    const env = scanEnvironment(app, instance, new AbortController().signal);
    app.store.transaction(() => {
      for (const i of batch.ignored) {
        // A source that re-reads an overlap window (Entra, Google, GitLab, Slack) returns the same
        // set-aside entry on every poll: it is counted (and logged) once, by its provider id. Its
        // re-reads are duplicates, like a re-read event. An entry without an id is told apart by
        // its key (a digest of its body), when the source gives one.
        const key = i.id ?? i.key;
        if (key !== undefined && !this.#events.markSeen(monitorId, `${SET_ASIDE_PREFIX}${key}`, now)) {
          tally.duplicates += 1;
          results.push('duplicate');
          continue;
        }
        tally.ignored += 1;
        lastIgnored = `${i.reason}: ${i.message}`;
        results.push(`ignored_${i.reason}`);
        setAside.push(i);
      }
      const facts = new Map<string, FactInput[]>();
      let lastEventAt: Date | null = null;
      for (const event of batch.events) {
        if (!this.#events.markSeen(monitorId, event.id, now)) {
          tally.duplicates += 1;
          results.push('duplicate');
          continue;
        }
        tally.received += 1;
        results.push('accepted');
        if (!lastEventAt || event.occurredAt > lastEventAt) lastEventAt = event.occurredAt;
        if (event.hint) this.#addHint(monitorId, sourceName, event, now, tally);
        if (event.fact) {
          if (!FACT_TYPES.has(event.fact.type)) {
            tally.ignored += 1;
            lastIgnored = `irrelevant: ${event.name}: mfawatch has no change event for "${event.fact.type}" yet`;
            results.push('ignored_irrelevant');
            continue;
          }
          const list = facts.get(event.scope) ?? [];
          list.push({
            type: event.fact.type as ChangeEventType, eventId: event.id, eventName: event.name, source: sourceName, occurredAt: event.occurredAt,
            account: event.fact.account, admin: event.fact.admin, kind: event.fact.kind, sourceIp: event.fact.sourceIp, userAgent: event.fact.userAgent, detail: event.fact.detail,
          });
          facts.set(event.scope, list);
        }
      }
      for (const [scope, list] of facts) tally.facts.push(...commitFacts(instance.config, instance.module.provider, this.#scope(instance, scope), env, list));
      this.#events.recordBatch(monitorId, sourceName, {
        at: now, cursor: batch.cursor, received: tally.received, duplicates: tally.duplicates, ignored: tally.ignored, lastIgnored, lastEventAt,
        requests: options.poll ? (batch.requests ?? 1) : 0, poll: options.poll, disabled: batch.disabled,
      });
      app.crashPoint?.('mid-event-commit');
    });
    for (const i of setAside) {
      // A code the source does not act on is routine (every ordinary login at Auth0 or GitLab):
      // counted in `status`, logged at debug. A malformed entry or an uncovered scope needs a look.
      const level = i.reason === 'irrelevant' ? 'debug' : 'warn';
      app.logger[level]({ monitor: monitorId, source: sourceName, reason: i.reason, eventId: i.id }, `event set aside: ${i.message}`);
    }
    if (batch.disabled && !this.isOff(monitorId, sourceName)) {
      this.#off.set(`${monitorId}\0${sourceName}`, batch.disabled);
      app.metrics.eventsReceived.inc({ monitor: monitorId, source: sourceName, result: 'source_off' });
      app.logger.warn({ monitor: monitorId, source: sourceName }, `event source ${sourceName} is OFF until mfawatch restarts: ${batch.disabled.reason}; ${batch.disabled.hint}`);
    }
    for (const result of results) app.metrics.eventsReceived.inc({ monitor: monitorId, source: sourceName, result });
    this.#observe(tally.facts, sourceName);
    if (tally.hints > 0) this.#wake?.();
    if (tally.facts.length > 0) this.#onCommitted();
    return tally;
  }

  #addHint(monitorId: string, sourceName: string, event: ProviderEvent, now: Date, tally: IngestTally): void {
    const hint = event.hint;
    if (!hint) return;
    const accountId = this.#events.findAccountId(monitorId, event.scope, hint.account);
    if (!accountId && !hint.account.login) {
      // The contract asks for an id or a login; a module that sent neither is told in the log.
      this.#app.logger.warn({ monitor: monitorId, source: sourceName, eventId: event.id, name: event.name }, 'an event hint names no account (neither id nor login); nothing to verify');
      return;
    }
    const added = this.#events.addHint({
      monitorId, scope: event.scope, accountId, login: hint.account.login ?? null, topic: hint.topic, source: sourceName, eventId: event.id,
      occurredAt: event.occurredAt, receivedAt: now, dueAt: new Date(now.getTime() + COALESCE_MS),
    });
    tally.hints += 1;
    if (added.coalesced) tally.coalesced += 1;
  }

  /** Detection lag and event counts of committed change events. */
  #observe(events: readonly ChangeEvent[], sourceName: string): void {
    const now = this.#app.clock.now().getTime();
    for (const e of events) {
      this.#app.metrics.events.inc({ monitor: e.monitorId, type: e.type, severity: e.severity });
      const occurred = Date.parse(String((e.detail as { occurredAt?: unknown } | undefined)?.occurredAt ?? ''));
      if (Number.isFinite(occurred)) this.#app.metrics.detectionLag.observe({ monitor: e.monitorId, source: sourceName }, Math.max(0, (now - occurred) / 1000));
    }
  }

  /** Records a pushed request the source refused, for `status` and metrics. */
  refused(instance: MonitorInstance, sourceName: string, result: string, reason: string): void {
    this.#events.recordRefused(instance.config.id, sourceName, this.#app.clock.now(), reason);
    this.#app.metrics.eventsReceived.inc({ monitor: instance.config.id, source: sourceName, result });
  }

  // ── pull ─────────────────────────────────────────────────────────────────

  /**
   * Polls a pulled source once, commits what it brought, then acknowledges. `by` says who polls
   * again after a failure, for the error's hint: the daemon's loop after the backoff, or the next
   * `mfawatch run` (a drain).
   */
  async pollOnce(instance: MonitorInstance, source: PulledEventSource, signal: AbortSignal, by: 'daemon' | 'run' = 'daemon'): Promise<{ ok: true; items: number; progressed: boolean; disabled?: SourceOff } | { ok: false; message: string }> {
    const app = this.#app;
    const monitorId = instance.config.id;
    const row = this.#events.source(monitorId, source.name);
    let batch: EventBatch;
    try {
      batch = await source.poll(row?.cursor ?? undefined, signal);
    } catch (err) {
      if (signal.aborted) return { ok: false, message: 'stopped' };
      const error = toProviderError(err, instance.module.provider);
      const now = app.clock.now();
      const failures = (row?.consecutive_failures ?? 0) + 1;
      const retryIn = Math.max(error.retryAfterMs ?? 0, backoffDelay(failures));
      // The module's hint says "after its backoff"; here it is known when.
      const message = redactSecrets(error.message, secretsIn(instance.config)).replace(AFTER_POLL_FAILURE, afterPollFailureIn(by === 'daemon' ? formatDuration(retryIn) : undefined));
      this.#events.recordPollFailure(monitorId, source.name, now, `${error.reason}: ${message}`, new Date(now.getTime() + retryIn));
      app.metrics.eventsReceived.inc({ monitor: monitorId, source: source.name, result: 'poll_failed' });
      app.logger.error({ monitor: monitorId, source: source.name, reason: error.reason, failures, retryInMs: retryIn }, `event source ${source.name} failed: ${message}`);
      return { ok: false, message };
    }
    const tally = this.ingest(instance, source.name, batch, { poll: true });
    // A source that re-reads an overlap window by design (Entra, Google, GitLab, Slack) answers every
    // poll with the same events again: it progressed only if something was new or its cursor moved.
    // A queue (acknowledged batches) is consumed by reading it.
    const progressed = batch.acknowledge !== undefined || tally.received > 0 || (batch.cursor !== undefined && batch.cursor !== (row?.cursor ?? undefined));
    if (batch.acknowledge) {
      try {
        await batch.acknowledge(signal);
      } catch (err) {
        // Committed already: the provider redelivers, and dedupe makes the redelivery harmless.
        app.logger.warn({ monitor: monitorId, source: source.name, err: (err as Error).message }, 'acknowledging a committed batch failed; it will be redelivered and skipped as a duplicate');
      }
    }
    return { ok: true, items: batch.events.length + batch.ignored.length, progressed, ...(batch.disabled ? { disabled: batch.disabled } : {}) };
  }

  // ── verify ───────────────────────────────────────────────────────────────

  /**
   * Verifies pending hints: those due now, or every pending one (`all`, for `mfawatch run`).
   * Kills decided in one pass share one maxPerRun tally.
   */
  async verifyPending(signal: AbortSignal, options: { all?: boolean } = {}): Promise<VerifyTally> {
    const app = this.#app;
    const now = app.clock.now();
    const tally: VerifyTally = { verified: 0, failed: 0, events: [] };
    const run: RunTally = { killsDecided: 0 };
    let afterId = 0;
    for (;;) {
      const due = this.#events.dueHints(options.all ? null : now, VERIFY_BATCH, afterId);
      if (due.length === 0 || signal.aborted) break;
      await mapWithConcurrency(due, VERIFY_CONCURRENCY, (hint) => this.#verify(hint, signal, run, tally));
      afterId = due[due.length - 1]?.id ?? afterId;
      if (due.length < VERIFY_BATCH) break;
    }
    this.#maybePrune();
    if (tally.events.length > 0) this.#onCommitted();
    return tally;
  }

  async #verify(hint: HintRow, signal: AbortSignal, run: RunTally, tally: VerifyTally): Promise<void> {
    const app = this.#app;
    if (signal.aborted) return;
    const instance = app.monitors.find((m) => m.config.id === hint.monitor_id);
    if (!instance?.monitor.readAccount) {
      this.#events.finishHint(hint.id, instance ? 'not_supported' : 'monitor_not_configured', app.clock.now());
      return;
    }
    const scope = this.#scope(instance, hint.scope);
    const account = { ...(hint.account_id ? { accountId: hint.account_id } : {}), ...(hint.login ? { login: hint.login } : {}) };
    const readStartedAt = app.clock.now();
    const eventsBefore = hint.events;
    let reading: AccountReading;
    try {
      reading = await instance.monitor.readAccount(scope, account, AbortSignal.any([signal, timeoutSignal(VERIFY_TIMEOUT_MS)]));
    } catch (err) {
      if (signal.aborted) return;
      const error = toProviderError(err, instance.module.provider);
      const message = redactSecrets(error.message, secretsIn(instance.config));
      const now = app.clock.now();
      const retryIn = Math.max(error.retryAfterMs ?? 0, backoffDelay(hint.attempts + 1));
      this.#events.failHint(hint.id, `${error.reason}: ${message}`, now, new Date(now.getTime() + retryIn));
      tally.failed += 1;
      app.metrics.eventsReceived.inc({ monitor: hint.monitor_id, source: hint.source, result: 'verify_failed' });
      app.logger.error({ monitor: hint.monitor_id, hint: hint.id, login: hint.login, accountId: hint.account_id, attempts: hint.attempts + 1, retryInMs: retryIn }, `verifying an account after an event failed (kept, retried): ${message}`);
      return;
    }
    const env = scanEnvironment(app, instance, signal, run);
    let outcome: ReturnType<typeof commitAccountReading>;
    try {
      outcome = this.#commitReading(hint, instance, scope, env, account, reading, readStartedAt, eventsBefore);
    } catch (err) {
      // A reading the core cannot use (malformed) or a database that refused the write: kept,
      // retried after the backoff like a failed read, never retried in a tight loop.
      const error = toProviderError(err, instance.module.provider);
      const message = redactSecrets(error.message, secretsIn(instance.config));
      const now = app.clock.now();
      this.#events.failHint(hint.id, `${error.reason}: ${message}`, now, new Date(now.getTime() + backoffDelay(hint.attempts + 1)));
      tally.failed += 1;
      app.metrics.eventsReceived.inc({ monitor: hint.monitor_id, source: hint.source, result: 'verify_failed' });
      app.logger.error({ monitor: hint.monitor_id, hint: hint.id }, `committing a verified reading failed (kept, retried): ${message}`);
      return;
    }
    tally.verified += 1;
    tally.events.push(...outcome.events);
    app.metrics.eventsReceived.inc({ monitor: hint.monitor_id, source: hint.source, result: 'verified' });
    this.#observe(outcome.events, hint.source);
    if (outcome.events.length > 0) app.logger.info({ monitor: hint.monitor_id, hint: hint.id, events: outcome.events.map((e) => e.type) }, 'verified change committed');
  }

  /** Commits one verified reading and closes (or keeps) its hint, in one transaction. */
  #commitReading(
    hint: HintRow,
    instance: MonitorInstance,
    scope: ScopeInfo,
    env: ReturnType<typeof scanEnvironment>,
    account: AccountRef,
    reading: AccountReading,
    readStartedAt: Date,
    eventsBefore: number,
  ): ReturnType<typeof commitAccountReading> {
    const app = this.#app;
    return app.store.transaction(() => {
      const result = commitAccountReading(instance.config, instance.module.provider, scope, env, {
        account, reading, readStartedAt, source: hint.source, eventIds: JSON.parse(hint.event_ids) as string[], occurredAt: new Date(hint.occurred_at),
      });
      const now = app.clock.now();
      const current = this.#events.hint(hint.id);
      // Events about this account that arrived while it was being read may say something the
      // read did not see: keep the hint for one more verification instead of closing it.
      if (current && current.events > eventsBefore) this.#events.failHint(hint.id, 'more events arrived during verification', now, new Date(now.getTime() + COALESCE_MS));
      else this.#events.finishHint(hint.id, result.status, now);
      return result;
    });
  }

  #maybePrune(): void {
    const now = this.#app.clock.now();
    if (now.getTime() - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now.getTime();
    this.#events.prune(now);
  }

  // ── `mfawatch run` ───────────────────────────────────────────────────────

  /**
   * Polls each pulled source until it brings nothing new (nothing, or only events already seen with
   * its cursor unchanged) or MAX_DRAIN_POLLS, then verifies every pending hint.
   */
  async drain(signal: AbortSignal, monitorIds?: readonly string[]): Promise<DrainResult> {
    const result: DrainResult = { polls: 0, pollFailures: [], sourcesOff: [], received: 0, verify: { verified: 0, failed: 0, events: [] } };
    const selected = this.#pulled().filter((b) => !monitorIds?.length || monitorIds.includes(b.instance.config.id));
    await Promise.all(
      selected.map(async ({ instance, source }) => {
        for (let i = 0; i < MAX_DRAIN_POLLS && !signal.aborted; i++) {
          const polled = await this.pollOnce(instance, source, signal, 'run');
          result.polls += 1;
          if (!polled.ok) {
            result.pollFailures.push({ monitorId: instance.config.id, source: source.name, message: polled.message });
            return;
          }
          result.received += polled.items;
          if (polled.disabled) {
            result.sourcesOff.push({ monitorId: instance.config.id, source: source.name, ...polled.disabled });
            return;
          }
          if (polled.items === 0 || !polled.progressed) return;
        }
      }),
    );
    result.verify = await this.verifyPending(signal, { all: true });
    return result;
  }

  // ── `mfawatch start` ─────────────────────────────────────────────────────

  /** Runs every pulled source's poll loop and the verifier until `signal` aborts. */
  start(signal: AbortSignal): Promise<void> {
    const loops = this.#pulled().map(({ instance, source }) => this.#pollLoop(instance, source, signal));
    return Promise.all([...loops, this.#verifyLoop(signal)]).then(() => undefined);
  }

  async #pollLoop(instance: MonitorInstance, source: PulledEventSource, signal: AbortSignal): Promise<void> {
    const app = this.#app;
    // A restart honours the backoff of a source that was failing.
    const next = this.#events.source(instance.config.id, source.name)?.next_poll_at;
    const initialWait = next ? Date.parse(next) - app.clock.now().getTime() : 0;
    if (initialWait > 0) await sleep(Math.min(initialWait, BACKOFF_MAX_MS), signal).catch(() => undefined);
    while (!signal.aborted) {
      let wait = source.intervalMs;
      try {
        const polled = await this.pollOnce(instance, source, signal);
        // Off (a licence the tenant lacks): no more polls in this process; `status` says so.
        if (polled.ok && polled.disabled) return;
        if (!polled.ok) {
          const row = this.#events.source(instance.config.id, source.name);
          wait = row?.next_poll_at ? Math.max(0, Date.parse(row.next_poll_at) - app.clock.now().getTime()) : backoffDelay(1);
        } else if (source.intervalMs === 0) {
          wait = polled.items > 0 ? 0 : (source.idleIntervalMs ?? 0);
        }
      } catch (err) {
        // The database refused the commit: nothing was acknowledged; try again after a pause.
        app.logger.error({ monitor: instance.config.id, source: source.name, err: (err as Error).message }, 'committing events failed; they will be read again');
        wait = backoffDelay(1);
      }
      await sleep(wait, signal).catch(() => undefined);
    }
  }

  async #verifyLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.verifyPending(signal);
      } catch (err) {
        this.#app.logger.error({ err: (err as Error).message }, 'verification pass failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, VERIFY_TICK_MS);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.#wake = () => setTimeout(done, COALESCE_MS);
        signal.addEventListener('abort', done, { once: true });
      });
      this.#wake = null;
    }
  }
}
