/**
 * Typed errors. A `reason` decides whether the core retries; the message tells the operator what
 * to do next. Error messages never contain secrets: modules build them from status codes and
 * provider error codes, never from request headers or URLs carrying credentials.
 */

/** Why a call to a provider or a channel failed. */
export type ErrorReason =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'rate_limited'
  | 'client'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'aborted';

/** Reasons worth retrying after a pause. */
const TRANSIENT: ReadonlySet<ErrorReason> = new Set(['rate_limited', 'server', 'timeout', 'network']);

/** Returns true when a failure of this reason may succeed if tried again. */
export function isTransient(reason: ErrorReason): boolean {
  return TRANSIENT.has(reason);
}

/** What happens after a failed scan, said in the hints of its errors. */
export const AFTER_SCAN_FAILURE = 'the scan will run again on schedule';
/**
 * What happens after a failed event poll, said in the hints of its errors. The event runner,
 * which knows the backoff, replaces it with when the next poll comes (afterPollFailureIn).
 */
export const AFTER_POLL_FAILURE = 'the poll is retried after its backoff; the scheduled scan still reconciles';
/** What happens after a failed verification of an event's hint (a single-account read). */
export const AFTER_VERIFY_FAILURE = 'the hint is kept and verified again after its backoff; the scheduled scan still reconciles';

/**
 * AFTER_POLL_FAILURE once the runner knows when the source is polled again: `wait` before the
 * daemon's next poll ("40s": the backoff, or the longer wait the provider asked for), or, without
 * it, at the next `mfawatch run`.
 */
export function afterPollFailureIn(wait: string | undefined): string {
  return `${wait === undefined ? 'the next `mfawatch run` polls again' : `the poll is retried in ${wait}`}; the scheduled scan still reconciles`;
}

export interface ProviderErrorOptions {
  reason: ErrorReason;
  /** Provider or channel display name: "GitHub", "Slack". */
  provider: string;
  status?: number | undefined;
  /** Milliseconds the provider asked us to wait (Retry-After, rate-limit reset). */
  retryAfterMs?: number | undefined;
  /** What the operator should do, e.g. "see monitors/github/README.md". */
  hint?: string | undefined;
  cause?: unknown;
}

/** A failure talking to an outside service, with a reason that decides retry. */
export class ProviderError extends Error {
  readonly reason: ErrorReason;
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly hint: string | undefined;

  constructor(message: string, options: ProviderErrorOptions) {
    super(options.hint ? `${message}: ${options.hint}` : message, { cause: options.cause });
    this.name = 'ProviderError';
    this.reason = options.reason;
    this.provider = options.provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.hint = options.hint;
  }

  /**
   * What happened, without the hint (`message` is "what happened: hint"). Derived from `message`,
   * so a message scrubbed of secrets after construction stays scrubbed here.
   */
  get summary(): string {
    return this.hint && this.message.endsWith(`: ${this.hint}`) ? this.message.slice(0, -(this.hint.length + 2)) : this.message;
  }

  /** True when trying again later may succeed. */
  get transient(): boolean {
    return isTransient(this.reason);
  }
}

/** Raised for a config problem; the CLI exits 2. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Raised for a wrong command line; the CLI exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The database file cannot be used as it is (missing for a read-only command, not a regular file,
 * not an SQLite database, not readable by this user). The message names the path and the fix;
 * the CLI exits 2, like a configuration error.
 */
export class DatabaseError extends Error {
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
    this.path = path;
  }
}

/** Maps an HTTP status to a reason. */
export function reasonForStatus(status: number): ErrorReason {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'client';
}

/** Turns anything thrown into a ProviderError, keeping an existing one as it is. */
export function toProviderError(err: unknown, provider: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'AbortError') return new ProviderError(`${provider}: the operation was aborted`, { reason: 'aborted', provider, cause: err });
  if (e?.name === 'TimeoutError') return new ProviderError(`${provider} did not answer in time`, { reason: 'timeout', provider, cause: err });
  const message = e?.message ?? String(err);
  return new ProviderError(`${provider}: ${message}`, { reason: 'network', provider, cause: err });
}
