/**
 * The monitor contract: a monitor yields observations as it pages through a provider's API.
 * Everything else (deadlines, persistence, diff, retries beyond the provider SDK's own) is the
 * core's job.
 */
import { z } from 'zod';
import { cronExpression, duration, instanceId } from '../src/config/fields.js';
import type { Logger, ModuleDeps } from '../src/core/deps.js';
import { AFTER_POLL_FAILURE, AFTER_VERIFY_FAILURE } from '../src/core/errors.js';
import type { Observation } from '../src/core/types.js';
import type { MonitorEventCapabilities } from './events.js';

/** Config keys every monitor instance accepts, whatever its type. */
export const monitorCommonShape = {
  id: instanceId(),
  /** Cron expression overriding the global `schedule` for this instance. */
  schedule: cronExpression().optional(),
  /** How long one scan may take before it is abandoned (default: the global `scanDeadline`). */
  scanDeadline: duration().optional(),
} as const;

/** The parsed common keys. */
export interface MonitorCommonConfig {
  id: string;
  type: string;
  schedule?: string | undefined;
  scanDeadline?: number | undefined;
}

/** Builds a module's strict config schema: the common keys, `type` fixed to the module's, and its own keys. */
export function monitorConfig<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ ...monitorCommonShape, type: z.literal(type), ...shape });
}

/**
 * One independently committed part of a monitor instance: a GitHub org is one scope; a
 * multi-account AWS instance has one scope per AWS account, so one account failing never touches
 * another's state. `id` is '' for single-scope monitors.
 */
export interface ScopeInfo {
  id: string;
  label: string;
}

/** What the core gives a monitor for one scan. */
export interface ScanContext {
  /** Aborts at the scan deadline or on shutdown; pass it to every request. */
  readonly signal: AbortSignal;
  /** When the scan must be done; rate-limit waits past it must fail instead. */
  readonly deadline: Date;
  readonly logger: Logger;
  /** The provider's own time of the data, when older than now (AWS credential report). */
  setDataAsOf(at: Date): void;
  /** A better label for the scope, learned during the scan (an AWS account alias). */
  setScopeLabel(label: string): void;
  /** A caveat of a complete scan (e.g. "weak 2FA cannot be detected"), shown in `status`. */
  warn(message: string): void;
  /** Counts HTTP requests made, for `status` and the benchmarks. */
  countRequest(n?: number): void;
  /** Reports the provider's remaining rate-limit budget, for metrics. */
  reportRateLimit(remaining: number, resetAt?: Date): void;
  /**
   * Says the listing of these account kinds (every kind when omitted) was checked against a count
   * the provider gives (a total, a member count, GetAccountSummary's Users): an account missing
   * from it is gone, and its removal is committed at once. Without it, a removal is committed only
   * when the next complete scan agrees, since a listing cut at a page or row boundary looks like a
   * shorter list. Optional for contexts that never remove (one-account readings).
   */
  listingCounted?(kinds?: readonly string[]): void;
  /** Reports a wait for the provider's rate limit about to start (ms), for progress and logs. */
  reportWait?(ms: number): void;
  /**
   * What happens after a transient failure of these calls, for the hints of their errors (the
   * HTTP client's `afterFailure`): AFTER_SCAN_FAILURE when absent (a scan); an event poll or a
   * verification says its own (eventCallContext).
   */
  readonly afterFailure?: string;
}

/** A configured monitor instance. */
export interface Monitor extends MonitorEventCapabilities {
  /**
   * The scopes this instance covers as far as it knows without asking the provider; each is
   * scanned and committed on its own. `status` uses it (no network).
   */
  scopes(): readonly ScopeInfo[];
  /**
   * Optional: asks the provider which scopes there are, before each cycle (an AWS instance
   * without a configured account id learns it from STS GetCallerIdentity). When present, the core
   * scans what it returns instead of `scopes()`; a rejection is recorded as a failed scan of the
   * instance's previously known scopes (or of scope '' when there are none), so it counts
   * towards `scan_failed` like any failed scan.
   */
  resolveScopes?(signal: AbortSignal): Promise<readonly ScopeInfo[]>;
  /**
   * Yields every account of the scope exactly once. Throwing (a ProviderError, ideally) means the
   * scan is incomplete: the core then commits nothing.
   */
  scan(scope: ScopeInfo, ctx: ScanContext): AsyncIterable<Observation>;
}

/** A monitor type: its folder name, its schema and its factory. */
export interface MonitorModule<C extends MonitorCommonConfig = MonitorCommonConfig> {
  /** The config `type`, equal to the folder name under monitors/. */
  readonly type: string;
  /** Display name of the provider: "GitHub", "AWS IAM". */
  readonly provider: string;
  /** Strict schema of one config entry (built with monitorConfig). */
  readonly configSchema: z.ZodType<C, unknown>;
  /** JSON paths (relative to the entry) of secret values, for the literal-secret warning. */
  readonly secretKeys: readonly string[];
  /**
   * How `status` names the provider's time of the data set with `setDataAsOf`, e.g.
   * "credential report generated" (default "data as of").
   */
  readonly dataAsOfLabel?: string;
  create(config: C, deps: ModuleDeps): Monitor;
}

/** Erases a module's own config type for the registry; the core only hands it configs its schema produced. */
export function registerMonitor<C extends MonitorCommonConfig>(module: MonitorModule<C>): MonitorModule<MonitorCommonConfig> {
  return module as unknown as MonitorModule<MonitorCommonConfig>;
}

/** What the calls of an event context are for: one poll of an event source, or one verification. */
export type EventCallPurpose = 'poll' | 'verify';

/** What happens after a transient failure of an event poll or verification, for error hints. */
export function afterEventFailure(purpose: EventCallPurpose): string {
  return purpose === 'poll' ? AFTER_POLL_FAILURE : AFTER_VERIFY_FAILURE;
}

/**
 * The context for the calls of one event verification (`readAccount`) or one event poll: no scan
 * around it, so no data time, label or rate-limit report; warnings go to the log and requests to
 * `counter`. The deadline bounds the calls: `budgetMs` from now. Error hints say what follows a
 * failure of this `purpose` (the poll's or the verification's backoff), not the next scan.
 */
export function eventCallContext(signal: AbortSignal, budgetMs: number, logger: Logger, monitorId: string, counter: { requests: number }, purpose: EventCallPurpose): ScanContext {
  return {
    signal,
    afterFailure: afterEventFailure(purpose),
    deadline: new Date(Date.now() + budgetMs),
    logger,
    setDataAsOf: () => undefined,
    setScopeLabel: () => undefined,
    warn: (m) => logger.warn({ monitor: monitorId }, m),
    countRequest: (n = 1) => (counter.requests += n),
    reportRateLimit: () => undefined,
  };
}
