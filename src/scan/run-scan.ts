/**
 * One scan of one scope of one monitor instance (DESIGN.md "The flow", steps 2-5):
 * stream observations into staging; if and only if the scan completed, diff against the stored
 * state and write state, history, events and outbox rows in one transaction. A failed, timed-out
 * or abandoned scan commits nothing but the record of its failure.
 */
import type { MonitorCommonConfig, Monitor, ScanContext, ScopeInfo } from '../../monitors/types.js';
import type { BatchSource } from '../../notifiers/types.js';
import type { Store } from '../../storage/store.js';
import type { ConfiguredNotifier } from '../config/load.js';
import type { Clock, Logger } from '../core/deps.js';
import { ProviderError, toProviderError } from '../core/errors.js';
import { MFA_STATES, type ChangeEvent, type Observation } from '../core/types.js';
import { buildBatch, routeEvents } from '../delivery/routing.js';
import { diffAccount, effectiveState, stateDiffers, toAccountState, type EventDraft } from './diff.js';
import type { SeverityOverrides } from './policy.js';
import { recordAutoResponses, type AutoResponseContext } from '../response/decide.js';

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
  /** Auto-response decisions taken in the commit transaction (absent: none). */
  autoResponse?: AutoResponseContext | undefined;
}

export interface ScanOutcome {
  monitorId: string;
  scope: string;
  scanId: number;
  status: 'succeeded' | 'failed' | 'abandoned';
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

/** Scans one scope and commits the result if, and only if, the scan completed. */
export async function scanScope(instance: MonitorCommonConfig, provider: string, monitor: Monitor, scope: ScopeInfo, env: ScanEnvironment): Promise<ScanOutcome> {
  const { store, clock } = env;
  const startedAt = clock.now();
  const deadlineMs = instance.scanDeadline ?? env.scanDeadline;
  // The deadline bounds real waiting (rate limits, timeouts), so it is real time even when the
  // recorded clock is pinned.
  const deadline = new Date(Date.now() + deadlineMs);
  const log = env.logger.child({ monitor: instance.id, ...(scope.id ? { scope: scope.id } : {}) });
  const scanId = store.beginScan({ monitorId: instance.id, scope: scope.id, scopeLabel: scope.label, provider, startedAt });

  const timeout = AbortSignal.timeout(deadlineMs);
  const signal = AbortSignal.any([env.signal, timeout]);
  const warnings: string[] = [];
  let requests = 0;
  let dataAsOf: Date | undefined;
  let label = scope.label;
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
    countRequest: (n = 1) => (requests += n),
    reportRateLimit: () => undefined,
  };
  const source: BatchSource = { monitorId: instance.id, provider, type: provider, scope: scope.id, label };

  let staged = 0;
  try {
    let buffer = [];
    for await (const obs of monitor.scan(scope, ctx)) {
      checkObservation(obs, provider);
      buffer.push(toAccountState(obs));
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
    if (!abandoned && timeout.aborted && error.reason !== 'rate_limited') {
      error = new ProviderError(`the scan did not finish within its deadline of ${Math.round(deadlineMs / 1000)}s`, { reason: 'timeout', provider, hint: 'raise scanDeadline, or check why the provider is slow; nothing was committed', cause: thrown });
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
              type: 'scan_failed', severity: 'high', monitorId: instance.id, scope: scope.id, provider, at: endedAt.toISOString(),
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
  try {
    const outcome = store.transaction(() => commitScan(instance, provider, scope, scanId, env, { endedAt, requests, dataAsOf, warnings, label, source, staged }));
    log.info({ scanId, accounts: outcome.accounts, events: outcome.events.length, baseline: outcome.baseline, requests }, 'scan committed');
    return outcome;
  } finally {
    store.dropStaging(scanId);
  }
}

interface CommitInput {
  endedAt: Date;
  requests: number;
  dataAsOf: Date | undefined;
  warnings: string[];
  label: string;
  source: BatchSource;
  staged: number;
}

function insertEvent(store: Store, e: Omit<ChangeEvent, 'id'>, scanId: number): ChangeEvent {
  return { ...e, id: store.insertEvent(e, scanId) };
}

/** Queues one batch per notifier that wants any of `events`. */
function enqueue(store: Store, env: ScanEnvironment, batchId: string, kind: 'changes' | 'health', source: BatchSource, events: ChangeEvent[], at: Date): void {
  for (const n of env.notifiers) {
    const routed = routeEvents(events, n.config);
    if (routed.length === 0) continue;
    const batch = buildBatch(batchId, kind, source, routed, at);
    store.enqueue(n.config.id, batchId, kind, batch, routed.map((e) => e.id), at);
  }
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
    for (const { before, after } of store.changedAccounts(scanId, instance.id, scope.id)) {
      const next = effectiveState(before, after);
      if (before && !stateDiffers(before, next)) continue;
      for (const d of diffAccount(before, next, env.severity)) addDraft(d);
      store.upsertAccount(instance.id, scope.id, next, endedAt);
      store.addHistory(instance.id, scope.id, scanId, endedAt, before ? 'changed' : 'added', next);
    }
    for (const gone of store.removedAccounts(scanId, instance.id, scope.id)) {
      for (const d of diffAccount(gone, null, env.severity)) addDraft(d);
      store.deleteAccount(instance.id, scope.id, gone.accountId);
      store.addHistory(instance.id, scope.id, scanId, endedAt, 'removed', gone);
    }
  }
  if (wasFailing) {
    addEvent({ ...base, type: 'scan_recovered', severity: 'info', accountId: null, login: null, before: null, after: null, summary: `${provider} ${input.label}: scans succeed again` });
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
  store.audit({ at: endedAt, actor: env.actor, action: baseline ? 'scan.baseline' : 'scan.committed', subject: instance.id, detail: { scanId, scope: scope.id, accounts: counts.accounts, withoutMfa, events: events.length, requests: input.requests } });
  return { monitorId: instance.id, scope: scope.id, scanId, status: 'succeeded', baseline, accounts: counts.accounts, events };
}
