/**
 * One scan of one scope of one monitor instance (DESIGN.md "The flow", steps 2-5):
 * stream observations into staging; if and only if the scan completed, diff against the stored
 * state and write state, history, events and outbox rows in one transaction. A failed, timed-out
 * or abandoned scan commits nothing but the record of its failure.
 */
import type { AccountReading, AccountRef } from '../../monitors/events.js';
import type { MonitorCommonConfig, Monitor, ScanContext, ScopeInfo } from '../../monitors/types.js';
import type { BatchSource } from '../../notifiers/types.js';
import { EventStore } from '../../storage/events.js';
import { holdStagedScan, openHold, resolveHold, restageHold, type HeldScanRow } from '../../storage/held.js';
import { pendingRemovals, replacePendingRemovals } from '../../storage/pending-removals.js';
import type { Store } from '../../storage/store.js';
import type { ConfiguredNotifier } from '../config/load.js';
import { timeoutSignal } from '../core/abort.js';
import type { CrashPoint } from '../core/crash-point.js';
import type { Clock, Logger } from '../core/deps.js';
import { ProviderError, toProviderError } from '../core/errors.js';
import { redactSecrets, Secret } from '../core/secret.js';
import { MFA_STATES, type AccountState, type ChangeEvent, type Observation } from '../core/types.js';
import { queueEventBatches } from '../delivery/outbox.js';
import { diffAccount, effectiveState, mfaTerm, stateDiffers, toAccountState, type EventDraft } from './diff.js';
import { assessMassChange, confirmsHold, isDowngrade, isUpgrade, type MassChangeSettings } from './mass-change.js';
import { severityOf, type SeverityOverrides } from './policy.js';
import { recordAutoResponses, type AutoResponseContext } from '../response/decide.js';
import { recordScanProgress } from '../../storage/progress.js';
import { PROGRESS_ACCOUNTS_EVERY, PROGRESS_LOG_EVERY, type ProgressListener, type ScanProgress } from './progress.js';

/** Rows staged per SQLite transaction while a scan streams. */
const STAGE_BATCH = 2_000;
/** Accounts without MFA listed by name in a baseline event (the count is always exact). */
const BASELINE_LIST_LIMIT = 100;

export interface ScanEnvironment {
  store: Store;
  clock: Clock;
  logger: Logger;
  notifiers: readonly ConfiguredNotifier[];
  severity: SeverityOverrides;
  failureThreshold: number;
  /** Default scan deadline in ms when the instance sets none. */
  scanDeadline: number;
  /** Aborts on shutdown: the scan is abandoned, nothing committed. */
  signal: AbortSignal;
  /** Who is acting, for the audit log. */
  actor: string;
  /** The mass-change guard; absent: every complete scan is committed. */
  massChange?: MassChangeSettings | undefined;
  /** Receives the provider's remaining rate-limit budget (metrics). */
  onRateLimit?: ((remaining: number, resetAt: Date | undefined) => void) | undefined;
  /** Test-only crash points (see src/core/crash-point.ts); absent in production. */
  crashPoint?: ((at: CrashPoint) => void) | undefined;
  /** Auto-response decisions taken in the commit transaction (absent: none). */
  autoResponse?: AutoResponseContext | undefined;
  /** Told of the scan's progress (src/scan/progress.ts): `run`'s line on a terminal. */
  onProgress?: ProgressListener | undefined;
}

export interface ScanOutcome {
  monitorId: string;
  scope: string;
  scanId: number;
  /** `held`: complete, but held by the mass-change guard (nothing committed, one anomaly event). */
  status: 'succeeded' | 'failed' | 'abandoned' | 'held';
  baseline: boolean;
  accounts: number;
  events: ChangeEvent[];
  error?: ProviderError;
}

function checkObservation(o: Observation, provider: string): void {
  const ok =
    typeof o.accountId === 'string' && o.accountId.length > 0 &&
    typeof o.login === 'string' &&
    typeof o.kind === 'string' &&
    typeof o.admin === 'boolean' &&
    MFA_STATES.includes(o.mfa);
  if (!ok) {
    throw new ProviderError(`${provider} returned an account mfawatch cannot read`, { reason: 'malformed', provider, hint: 'the provider answer did not have the expected shape; nothing was committed' });
  }
}

/** Every Secret in a module's config (any depth). */
export function secretsIn(config: unknown, seen = new Set<unknown>()): Secret[] {
  if (config instanceof Secret) return [config];
  if (config === null || typeof config !== 'object' || seen.has(config)) return [];
  seen.add(config);
  return Object.values(config).flatMap((v) => secretsIn(v, seen));
}

/** Scans one scope and commits the result if, and only if, the scan completed. */
export async function scanScope(instance: MonitorCommonConfig, provider: string, monitor: Monitor, scope: ScopeInfo, env: ScanEnvironment): Promise<ScanOutcome> {
  const listener = env.onProgress;
  if (!listener) return scanOnce(instance, provider, monitor, scope, env);
  let last: ScanProgress | undefined;
  try {
    return await scanOnce(instance, provider, monitor, scope, { ...env, onProgress: (p) => listener((last = p)) });
  } finally {
    if (last) listener({ ...last, finished: true });
  }
}

async function scanOnce(instance: MonitorCommonConfig, provider: string, monitor: Monitor, scope: ScopeInfo, env: ScanEnvironment): Promise<ScanOutcome> {
  const { store, clock } = env;
  const startedAt = clock.now();
  const deadlineMs = instance.scanDeadline ?? env.scanDeadline;
  // The deadline bounds real waiting (rate limits, timeouts), so it is real time even when the
  // recorded clock is pinned.
  const deadline = new Date(Date.now() + deadlineMs);
  const log = env.logger.child({ monitor: instance.id, ...(scope.id ? { scope: scope.id } : {}) });
  const scanId = store.beginScan({ monitorId: instance.id, scope: scope.id, scopeLabel: scope.label, provider, startedAt });

  const timeout = timeoutSignal(deadlineMs);
  const signal = AbortSignal.any([env.signal, timeout]);
  const warnings: string[] = [];
  let requests = 0;
  let dataAsOf: Date | undefined;
  let label = scope.label;
  const progress: ScanProgress = { monitorId: instance.id, scope: scope.id, scanId, startedAt: Date.now(), accounts: 0, requests: 0, rateLimitWaits: 0, waitedMs: 0, finished: false };
  const tell = () => env.onProgress?.(progress);
  const progressFields = () => ({ scanId, accounts: progress.accounts, requests, rateLimitWaits: progress.rateLimitWaits, elapsedMs: Date.now() - progress.startedAt });
  const counted: CountedListings = { all: false, kinds: new Set() };
  const ctx: ScanContext = {
    signal,
    deadline,
    logger: log,
    setDataAsOf: (at) => (dataAsOf = at),
    setScopeLabel: (l) => (label = l),
    warn: (m) => {
      if (!warnings.includes(m)) warnings.push(m);
      log.warn({ scanId }, m);
    },
    countRequest: (n = 1) => {
      const before = requests;
      requests += n;
      progress.requests = requests;
      // The daemon's view of a long scan: a line every PROGRESS_LOG_EVERY requests (pages).
      if (Math.floor(requests / PROGRESS_LOG_EVERY) > Math.floor(before / PROGRESS_LOG_EVERY)) log.info(progressFields(), 'scan progress');
      tell();
    },
    reportRateLimit: (remaining, resetAt) => env.onRateLimit?.(remaining, resetAt),
    reportWait: (ms) => {
      progress.rateLimitWaits += 1;
      progress.waitedMs += ms;
      log.info({ ...progressFields(), waitMs: ms }, 'waiting for the provider\'s rate limit');
      tell();
    },
    listingCounted: (kinds) => {
      if (!kinds) counted.all = true;
      else for (const k of kinds) counted.kinds.add(k);
    },
  };
  const source: BatchSource = { monitorId: instance.id, provider, type: provider, scope: scope.id, label };

  let staged = 0;
  try {
    let buffer = [];
    for await (const obs of monitor.scan(scope, ctx)) {
      checkObservation(obs, provider);
      buffer.push(toAccountState(obs));
      progress.accounts += 1;
      if (progress.accounts % PROGRESS_ACCOUNTS_EVERY === 0) {
        recordScanProgress(store, scanId, progress.accounts, requests);
        tell();
      }
      if (buffer.length >= STAGE_BATCH) {
        store.stage(scanId, buffer);
        staged += buffer.length;
        buffer = [];
      }
      if (signal.aborted) break;
    }
    store.stage(scanId, buffer);
    staged += buffer.length;
    if (signal.aborted) throw signal.reason;
  } catch (thrown) {
    store.dropStaging(scanId);
    const abandoned = env.signal.aborted;
    let error = toProviderError(thrown, provider);
    // Last line of defence: whatever a module put in its message, no configured secret of this
    // instance reaches the database, the logs or a notification.
    error.message = redactSecrets(error.message, secretsIn(instance));
    if (!abandoned && timeout.aborted && error.reason !== 'rate_limited') {
      // A provider that kept failing until the deadline: say what it was failing with.
      const cause = error.reason !== 'aborted' && thrown !== timeout.reason ? ` (it was failing with: ${error.summary})` : '';
      error = new ProviderError(`the scan did not finish within its deadline of ${Math.round(deadlineMs / 1000)}s${cause}`, { reason: 'timeout', provider, hint: 'raise scanDeadline, or check why the provider is slow; nothing was committed', cause: thrown });
    }
    const endedAt = clock.now();
    return store.transaction(() => {
      store.finishScan(scanId, {
        status: abandoned ? 'abandoned' : 'failed',
        endedAt,
        requests,
        errorReason: abandoned ? 'aborted' : error.reason,
        errorMessage: abandoned ? 'mfawatch was stopping; the scan was abandoned and nothing was committed' : error.message,
        warnings,
      });
      store.audit({ at: endedAt, actor: env.actor, action: abandoned ? 'scan.abandoned' : 'scan.failed', subject: instance.id, detail: { scanId, scope: scope.id, reason: error.reason, message: error.message, requests } });
      const events: ChangeEvent[] = [];
      if (!abandoned) {
        log.error({ scanId, reason: error.reason, status: error.status }, error.message);
        const failures = store.consecutiveFailures(instance.id, scope.id);
        if (failures === env.failureThreshold) {
          events.push(
            insertEvent(store, {
              type: 'scan_failed', severity: severityOf('scan_failed', null, null, env.severity), monitorId: instance.id, scope: scope.id, provider, at: endedAt.toISOString(),
              accountId: null, login: null, before: null, after: null,
              summary: `${provider} ${label}: ${failures} scans in a row failed (${error.reason}): ${error.message}`,
              detail: { failures, reason: error.reason, message: error.message },
            }, scanId),
          );
          enqueue(store, env, `scan-${scanId}`, 'health', source, events, endedAt);
        }
      }
      return { monitorId: instance.id, scope: scope.id, scanId, status: abandoned ? 'abandoned' : 'failed', baseline: false, accounts: 0, events, error } satisfies ScanOutcome;
    });
  }

  const endedAt = clock.now();
  // How long the diff and the writes held the database (an operator's view of scan cost; `npm run bench` reads it).
  const commitStarted = performance.now();
  const commitCpu = process.cpuUsage();
  const timings: NonNullable<CommitInput['timings']> = {};
  try {
    const outcome = store.transaction(() => commitScan(instance, provider, scope, scanId, env, { startedAt, endedAt, requests, dataAsOf, warnings, label, source, staged, timings, counted }));
    const cpu = process.cpuUsage(commitCpu);
    const cost = { commitMs: Math.round(performance.now() - commitStarted), commitCpuMs: Math.round((cpu.user + cpu.system) / 1000), ...timings };
    if (outcome.status === 'held') log.warn({ scanId, accounts: outcome.accounts, requests, ...cost }, `scan held by the mass-change guard: ${outcome.events[0]?.summary ?? ''}`);
    else log.info({ scanId, accounts: outcome.accounts, events: outcome.events.length, baseline: outcome.baseline, requests, ...cost }, 'scan committed');
    return outcome;
  } finally {
    store.dropStaging(scanId);
  }
}

/** Which account kinds' listings the monitor checked against a provider count (ScanContext.listingCounted). */
interface CountedListings {
  all: boolean;
  kinds: Set<string>;
}

interface CommitInput {
  /** When the scan began reading: a verified reading of an account committed after it wins. */
  startedAt: Date;
  endedAt: Date;
  requests: number;
  dataAsOf: Date | undefined;
  warnings: string[];
  label: string;
  source: BatchSource;
  staged: number;
  /** An operator accepted a held scan: the mass-change guard is not applied. */
  accepted?: boolean;
  /** Listings checked against a provider count: their removals need no second scan (absent: none). */
  counted?: CountedListings;
  /** Filled by commitScan when given: how long the diff queries took (none on a baseline). */
  timings?: { diffMs?: number };
}

function insertEvent(store: Store, e: Omit<ChangeEvent, 'id'>, scanId: number): ChangeEvent {
  return { ...e, id: store.insertEvent(e, scanId) };
}

/** Queues one batch per notifier that wants any of `events` (src/delivery/outbox.ts). */
function enqueue(store: Store, env: ScanEnvironment, batchId: string, kind: 'changes' | 'health' | 'anomaly', source: BatchSource, events: ChangeEvent[], at: Date): void {
  queueEventBatches(store, env.notifiers, batchId, kind, source, events, at);
}

function commitScan(instance: MonitorCommonConfig, provider: string, scope: ScopeInfo, scanId: number, env: ScanEnvironment, input: CommitInput): ScanOutcome {
  const { store } = env;
  const { endedAt } = input;
  const at = endedAt.toISOString();
  const baseline = !store.hasBaseline(instance.id, scope.id);
  const wasFailing = store.consecutiveFailures(instance.id, scope.id) >= env.failureThreshold;
  const events: ChangeEvent[] = [];
  const base = { monitorId: instance.id, scope: scope.id, provider, at };
  const addEvent = (e: Omit<ChangeEvent, 'id'>) => events.push({ ...e, id: store.insertEvent(e, scanId) });
  const addDraft = (d: EventDraft) => addEvent({ ...base, ...d });
  const term = mfaTerm(provider);

  if (baseline) {
    store.commitBaselineFromStaging(scanId, instance.id, scope.id, endedAt);
    const counts = store.stagedCounts(scanId);
    const without = store.stagedWithoutMfa(scanId, BASELINE_LIST_LIMIT);
    const withoutTotal = counts.byState.disabled + counts.byState.weak;
    addEvent({
      ...base,
      type: 'baseline',
      severity: 'info',
      accountId: null,
      login: null,
      before: null,
      after: null,
      summary: `first scan of ${provider} ${input.label}: ${counts.accounts} accounts, ${withoutTotal} without MFA${counts.byState.weak ? ` (${counts.byState.weak} with only weak MFA)` : ''}`,
      detail: {
        accounts: counts.accounts,
        byState: counts.byState,
        admins: counts.admins,
        withoutMfa: without.map((a) => ({ accountId: a.accountId, login: a.login, mfa: a.mfa, admin: a.admin, kind: a.kind })),
        withoutMfaTotal: withoutTotal,
      },
    });
  } else {
    // The diff: two set-based queries over the staged scan and the stored state (timed for the log).
    const diffStarted = performance.now();
    // An account verified at the provider (after an event) since this scan began reading holds a
    // newer fact than the scan's reading of it: the scan leaves it as it is (docs/RELIABILITY.md,
    // "Events and scans"). Everything else is diffed against the state as it is now, so a change
    // an event already committed is not reported again.
    const verified = new EventStore(store).verifiedSince(instance.id, scope.id, input.startedAt);
    const changed = store
      .changedAccounts(scanId, instance.id, scope.id)
      .map(({ before, after }) => ({ before, next: effectiveState(before, after) }))
      .filter(({ before, next }) => (!before || stateDiffers(before, next)) && !verified.has(next.accountId));
    const removed = store.removedAccounts(scanId, instance.id, scope.id).filter((a) => !verified.has(a.accountId));
    if (input.timings) input.timings.diffMs = Math.round(performance.now() - diffStarted);
    const guard = guardMassChange(instance, provider, scope, scanId, env, input, changed, removed);
    if (guard !== 'commit' && guard !== 'confirmed') return guard;
    for (const { before, next } of changed) {
      for (const d of diffAccount(before, next, env.severity, term)) addDraft(d);
      store.upsertAccount(instance.id, scope.id, next, endedAt);
      store.addHistory(instance.id, scope.id, scanId, endedAt, before ? 'changed' : 'added', next);
    }
    // A removal is committed when the provider's count vouches for the listing, when an operator
    // accepted or a second scan confirmed a held picture, or when the previous complete scan
    // missed the same account; otherwise it waits for the next scan (storage/pending-removals.ts).
    const settled = input.accepted === true || guard === 'confirmed';
    const pending = settled ? new Set<string>() : pendingRemovals(store, instance.id, scope.id);
    const isCounted = (a: AccountState) => settled || input.counted?.all === true || input.counted?.kinds.has(a.kind) === true;
    const deferred = removed.filter((a) => !isCounted(a) && !pending.has(a.accountId));
    replacePendingRemovals(store, instance.id, scope.id, scanId, deferred.map((a) => a.accountId), endedAt);
    if (deferred.length) {
      input.warnings.push(`${deferred.length} account${deferred.length === 1 ? '' : 's'} missing from this listing (${deferred.slice(0, 3).map((a) => a.login).join(', ')}${deferred.length > 3 ? ', …' : ''}) ${deferred.length === 1 ? 'is' : 'are'} kept until the next scan confirms ${deferred.length === 1 ? 'it is' : 'they are'} gone: ${provider} gives no count to check the listing against, and a listing cut short looks the same`);
    }
    const deferredIds = new Set(deferred.map((a) => a.accountId));
    for (const gone of removed.filter((a) => !deferredIds.has(a.accountId))) {
      for (const d of diffAccount(gone, null, env.severity, term)) addDraft(d);
      store.deleteAccount(instance.id, scope.id, gone.accountId);
      store.addHistory(instance.id, scope.id, scanId, endedAt, 'removed', gone);
    }
  }
  if (wasFailing) {
    addEvent({ ...base, type: 'scan_recovered', severity: severityOf('scan_recovered', null, null, env.severity), accountId: null, login: null, before: null, after: null, summary: `${provider} ${input.label}: scans succeed again` });
  }

  enqueue(store, env, `scan-${scanId}`, 'changes', { ...input.source, label: input.label }, events, endedAt);
  const counts = store.storedCounts(instance.id, scope.id);
  const withoutMfa = counts.byState.disabled + counts.byState.weak;
  if (env.autoResponse && !baseline) {
    recordAutoResponses(store, env.autoResponse, { events, scanId, monitorId: instance.id, scope: scope.id, scopeAccounts: counts.accounts, now: endedAt });
  }
  store.finishScan(scanId, {
    status: 'succeeded', endedAt, scopeLabel: input.label, baseline, accounts: counts.accounts, withoutMfa,
    changes: events.filter((e) => e.type !== 'baseline' && e.type !== 'scan_recovered').length,
    requests: input.requests, dataAsOf: input.dataAsOf, warnings: input.warnings,
  });
  store.audit({ at: endedAt, actor: env.actor, action: baseline ? 'scan.baseline' : input.accepted ? 'scan.accepted' : 'scan.committed', subject: instance.id, detail: { scanId, scope: scope.id, accounts: counts.accounts, withoutMfa, events: events.length, requests: input.requests } });
  env.crashPoint?.('mid-commit');
  return { monitorId: instance.id, scope: scope.id, scanId, status: 'succeeded', baseline, accounts: counts.accounts, events };
}

/**
 * Applies the mass-change guard inside the commit transaction. Returns the `held` outcome when the
 * scan must be held; `confirmed` when a following scan confirms the held picture (two complete
 * scans agree: its removals need no further scan); `commit` otherwise (no mass change, or an
 * operator accepted it). An open hold is closed either way.
 */
function guardMassChange(
  instance: MonitorCommonConfig,
  provider: string,
  scope: ScopeInfo,
  scanId: number,
  env: ScanEnvironment,
  input: CommitInput,
  changed: ReadonlyArray<{ before: AccountState | null; next: AccountState }>,
  removed: readonly AccountState[],
): ScanOutcome | 'commit' | 'confirmed' {
  const { store } = env;
  const open = openHold(store, instance.id, scope.id);
  const closeOpen = (status: 'committed' | 'discarded') => {
    if (open && open.scan_id !== scanId) resolveHold(store, open.scan_id, status, input.endedAt);
  };
  if (!env.massChange || input.accepted) {
    closeOpen('discarded');
    return 'commit';
  }
  const downgraded = changed.flatMap(({ before, next }) => (before && isDowngrade(before, next) ? [{ before, after: next }] : []));
  const upgraded = changed.flatMap(({ before, next }) => (before && isUpgrade(before, next) ? [{ before, after: next }] : []));
  const counts = store.storedCounts(instance.id, scope.id);
  const stored = counts.accounts;
  const storedWithoutMfa = counts.byState.disabled + counts.byState.weak;
  const decision = assessMassChange({ stored, seen: input.staged, removed, downgraded, upgraded, storedWithoutMfa }, env.massChange);
  if (!decision.hold) {
    closeOpen('discarded');
    return 'commit';
  }
  if (open && confirmsHold({ fingerprint: open.fingerprint, keys: JSON.parse(open.change_keys) as string[] }, decision)) {
    // A second complete scan shows the same picture: it is real. Commit this scan (its events are
    // emitted now, once; accounts that changed meanwhile are reported as they are now).
    closeOpen('committed');
    store.audit({ at: input.endedAt, actor: env.actor, action: 'scan.hold_confirmed', subject: instance.id, detail: { scanId, heldScanId: open.scan_id, scope: scope.id } });
    return 'confirmed';
  }
  closeOpen('discarded');
  return holdScan(instance, provider, scope, scanId, env, input, decision, { stored, removed, downgraded, upgraded });
}

function holdScan(
  instance: MonitorCommonConfig,
  provider: string,
  scope: ScopeInfo,
  scanId: number,
  env: ScanEnvironment,
  input: CommitInput,
  decision: { summary: string; fingerprint: string; keys: string[]; affected: number; share: number },
  picture: { stored: number; removed: readonly AccountState[]; downgraded: ReadonlyArray<{ before: AccountState; after: AccountState }>; upgraded: ReadonlyArray<{ before: AccountState; after: AccountState }> },
): ScanOutcome {
  const { store } = env;
  const at = input.endedAt.toISOString();
  const advice = `nothing was committed; if the change is real, the next scan confirms it, or run \`mfawatch accept ${instance.id}\``;
  const sample = (list: readonly AccountState[]) => list.slice(0, BASELINE_LIST_LIMIT).map((a) => a.login);
  const detail = {
    stored: picture.stored,
    seen: input.staged,
    removed: picture.removed.length,
    downgraded: picture.downgraded.length,
    upgraded: picture.upgraded.length,
    share: Number(decision.share.toFixed(4)),
    removedLogins: sample(picture.removed),
    downgradedLogins: sample(picture.downgraded.map((d) => d.after)),
    upgradedLogins: sample(picture.upgraded.map((u) => u.after)),
    fingerprint: decision.fingerprint,
    accept: `mfawatch accept ${instance.id}`,
  };
  holdStagedScan(store, { scanId, monitorId: instance.id, scope: scope.id, fingerprint: decision.fingerprint, changeKeys: decision.keys, summary: decision.summary, detail, at: input.endedAt });
  const event = insertEvent(store, {
    type: 'anomaly', severity: severityOf('anomaly', null, null, env.severity), monitorId: instance.id, scope: scope.id, provider, at,
    accountId: null, login: null, before: null, after: null, summary: `${provider} ${input.label}: ${decision.summary}; ${advice}`, detail,
  }, scanId);
  // Its own batch id: the scan's `scan-ID` batch is used if the hold is accepted later.
  enqueue(store, env, `anomaly-${scanId}`, 'anomaly', { ...input.source, label: input.label }, [event], input.endedAt);
  store.finishScan(scanId, {
    status: 'held', endedAt: input.endedAt, scopeLabel: input.label, accounts: input.staged, changes: 0, requests: input.requests, dataAsOf: input.dataAsOf, warnings: input.warnings,
    errorReason: 'mass_change', errorMessage: `${decision.summary}; ${advice}`,
  });
  store.audit({ at: input.endedAt, actor: env.actor, action: 'scan.held', subject: instance.id, detail: { scanId, scope: scope.id, ...detail, removedLogins: undefined, downgradedLogins: undefined, upgradedLogins: undefined } });
  return { monitorId: instance.id, scope: scope.id, scanId, status: 'held', baseline: false, accounts: input.staged, events: [event] };
}

/**
 * Commits a held scan on an operator's word (`mfawatch accept`): its accounts are restaged and
 * committed against the current state, the change events emitted once, the hold closed.
 */
export function acceptHeldScan(instance: MonitorCommonConfig, provider: string, scope: ScopeInfo, hold: HeldScanRow, env: ScanEnvironment): ScanOutcome {
  const { store } = env;
  const endedAt = env.clock.now();
  const staged = restageHold(store, hold.scan_id);
  const row = store.db.prepare(`SELECT scope_label, requests, warnings, started_at FROM scans WHERE id = ?`).get(hold.scan_id) as { scope_label: string; requests: number; warnings: string; started_at: string } | undefined;
  const label = row?.scope_label || scope.label;
  const source: BatchSource = { monitorId: instance.id, provider, type: provider, scope: scope.id, label };
  try {
    return store.transaction(() => {
      const outcome = commitScan(instance, provider, scope, hold.scan_id, env, {
        startedAt: row ? new Date(row.started_at) : endedAt, endedAt, requests: row?.requests ?? 0, dataAsOf: undefined, warnings: row ? (JSON.parse(row.warnings) as string[]) : [], label, source, staged, accepted: true,
      });
      resolveHold(store, hold.scan_id, 'committed', endedAt);
      return outcome;
    });
  } finally {
    store.dropStaging(hold.scan_id);
  }
}

/** What a verification read, and what led to it. */
export interface ReadingInput {
  /** The account asked about (for `gone`, and for a login-only hint). */
  account: AccountRef;
  reading: AccountReading;
  /** When the read began: a scan that started later and has committed since holds newer facts. */
  readStartedAt: Date;
  /** The event source and provider event ids behind the verification (event detail, audit). */
  source: string;
  eventIds: readonly string[];
  /** Earliest provider time of those events. */
  occurredAt: Date;
}

/** What committing one verified reading did. */
export type ReadingOutcome =
  | { status: 'committed'; events: ChangeEvent[]; commitId: number }
  /** The reading matched the stored state: nothing to say. */
  | { status: 'unchanged'; events: [] }
  /** No baseline yet: the first scan stores every account (this one included) without alerts. */
  | { status: 'no_baseline'; events: [] }
  /** A scan that began after this read has committed: its reading is newer. */
  | { status: 'superseded'; events: [] }
  /** `gone` for an account mfawatch never stored (an unknown user): nothing to remove. */
  | { status: 'unknown_account'; events: [] };

/**
 * Commits the verified reading of one account through the same diff, policy, outbox and
 * auto-response as a scan's reading of it (`commitScan`), against the state as it is now. Call
 * inside a transaction; nothing is sent here. `gone` removes the account only because the provider
 * confirmed it; never for a missing event.
 */
export function commitAccountReading(instance: MonitorCommonConfig, provider: string, scope: ScopeInfo, env: ScanEnvironment, input: ReadingInput): ReadingOutcome {
  const { store } = env;
  const events = new EventStore(store);
  const now = env.clock.now();
  if (!store.hasBaseline(instance.id, scope.id)) return { status: 'no_baseline', events: [] };
  const last = store.lastScan(instance.id, scope.id, 'succeeded');
  if (last && Date.parse(last.started_at) > input.readStartedAt.getTime()) return { status: 'superseded', events: [] };

  let accountId: string | null;
  let next: AccountState | null = null;
  if (input.reading.status === 'present') {
    checkObservation(input.reading.observation, provider);
    accountId = input.reading.observation.accountId;
  } else {
    accountId = events.findAccountId(instance.id, scope.id, input.reading.account) ?? events.findAccountId(instance.id, scope.id, input.account);
  }
  const before = accountId ? store.storedAccount(instance.id, scope.id, accountId) : null;
  if (input.reading.status === 'present') next = effectiveState(before, toAccountState(input.reading.observation));
  if (!accountId || (!before && !next)) return { status: 'unknown_account', events: [] };
  events.recordVerified(instance.id, scope.id, accountId, now, next !== null);
  if (before && next && !stateDiffers(before, next)) return { status: 'unchanged', events: [] };

  const at = now.toISOString();
  const label = store.lastScan(instance.id, scope.id)?.scope_label || scope.label;
  const via = { via: 'event', source: input.source, providerEventIds: input.eventIds.slice(0, 20), occurredAt: input.occurredAt.toISOString() };
  const committed: ChangeEvent[] = [];
  for (const d of diffAccount(before, next, env.severity, mfaTerm(provider))) {
    const e: Omit<ChangeEvent, 'id'> = { monitorId: instance.id, scope: scope.id, provider, at, ...d, detail: { ...d.detail, ...via } };
    committed.push({ ...e, id: store.insertEvent(e, null) });
  }
  if (next) {
    store.upsertAccount(instance.id, scope.id, next, now);
    // History rows of event-driven changes carry scan id 0: no scan produced them.
    store.addHistory(instance.id, scope.id, 0, now, before ? 'changed' : 'added', next);
  } else if (before) {
    store.deleteAccount(instance.id, scope.id, before.accountId);
    store.addHistory(instance.id, scope.id, 0, now, 'removed', before);
  }
  const commitId = events.newCommit(instance.id, scope.id, 'verification', now);
  const source: BatchSource = { monitorId: instance.id, provider, type: provider, scope: scope.id, label };
  enqueue(store, env, `events-${commitId}`, 'changes', source, committed, now);
  if (env.autoResponse) {
    recordAutoResponses(store, env.autoResponse, { events: committed, scanId: null, commitKey: `events-${commitId}`, monitorId: instance.id, scope: scope.id, scopeAccounts: store.storedCounts(instance.id, scope.id).accounts, now });
  }
  store.audit({ at: now, actor: env.actor, action: 'events.verified', subject: instance.id, detail: { commitId, scope: scope.id, accountId, source: input.source, providerEventIds: input.eventIds.slice(0, 20), events: committed.map((e) => e.type) } });
  return { status: 'committed', events: committed, commitId };
}

/** A fact that exists only as an event, resolved to a stored account where there is one. */
export interface FactInput {
  type: ChangeEvent['type'];
  eventId: string;
  eventName: string;
  source: string;
  occurredAt: Date;
  account: AccountRef | undefined;
  admin?: boolean | undefined;
  kind?: string | undefined;
  sourceIp?: string | null | undefined;
  userAgent?: string | null | undefined;
  detail?: Record<string, string | number | boolean | null> | undefined;
}

/**
 * Commits facts (a sign-in without MFA, a factor or credential the event itself reports) as change
 * events, queued and open to auto-response like any event. Call inside a transaction.
 */
export function commitFacts(instance: MonitorCommonConfig, provider: string, scope: ScopeInfo, env: ScanEnvironment, facts: readonly FactInput[]): ChangeEvent[] {
  if (facts.length === 0) return [];
  const { store } = env;
  const events = new EventStore(store);
  const now = env.clock.now();
  const at = now.toISOString();
  const committed: ChangeEvent[] = [];
  for (const f of facts) {
    const accountId = f.account ? events.findAccountId(instance.id, scope.id, f.account) : null;
    const stored = accountId ? store.storedAccount(instance.id, scope.id, accountId) : null;
    const login = stored?.login ?? f.account?.login ?? f.account?.accountId ?? '(unknown account)';
    // The account as stored, with what the event itself says (a root sign-in is an admin's).
    const state: AccountState = {
      ...(stored ?? { accountId: accountId ?? f.account?.accountId ?? login, login, email: null, displayName: null, kind: f.kind ?? 'user', admin: false, mfa: 'unknown', factors: [], url: null }),
      ...(f.admin !== undefined ? { admin: stored?.admin === true || f.admin } : {}),
      ...(f.kind !== undefined && !stored ? { kind: f.kind } : {}),
    };
    const who = state.kind === 'root' ? 'the root account' : state.admin ? `${login} (admin)` : login;
    const summary =
      f.type === 'signin_without_mfa'
        ? `${who} signed in without MFA${f.sourceIp ? ` from ${f.sourceIp}` : ''}`
        : f.type === 'factor_added'
          ? `${who} registered a new MFA factor (${f.eventName})`
          : f.type === 'credential_added'
            ? `${who} got a new long-lived credential (${f.eventName})`
            : f.type === 'mfa_requirement_disabled'
              ? `the requirement of two-factor authentication was turned off (${f.eventName}${f.account ? `, by ${login}` : ''})`
              : `${login}: ${f.type}`;
    const e: Omit<ChangeEvent, 'id'> = {
      type: f.type, severity: severityOf(f.type, null, state, env.severity), monitorId: instance.id, scope: scope.id, provider, at,
      accountId: stored?.accountId ?? f.account?.accountId ?? null, login, before: stored, after: state, summary,
      detail: { via: 'event', source: f.source, providerEventId: f.eventId, eventName: f.eventName, occurredAt: f.occurredAt.toISOString(), sourceIp: f.sourceIp ?? null, userAgent: f.userAgent ?? null, ...f.detail },
    };
    committed.push({ ...e, id: store.insertEvent(e, null) });
  }
  const commitId = events.newCommit(instance.id, scope.id, 'facts', now);
  const label = store.lastScan(instance.id, scope.id)?.scope_label || scope.label;
  enqueue(store, env, `events-${commitId}`, 'changes', { monitorId: instance.id, provider, type: provider, scope: scope.id, label }, committed, now);
  if (env.autoResponse) {
    recordAutoResponses(store, env.autoResponse, { events: committed, scanId: null, commitKey: `events-${commitId}`, monitorId: instance.id, scope: scope.id, scopeAccounts: store.storedCounts(instance.id, scope.id).accounts, now });
  }
  store.audit({ at: now, actor: env.actor, action: 'events.facts', subject: instance.id, detail: { commitId, scope: scope.id, events: committed.map((e) => ({ type: e.type, login: e.login, providerEventId: (e.detail as { providerEventId?: string }).providerEventId })) } });
  return committed;
}
