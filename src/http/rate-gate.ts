/**
 * A rate-limit-aware concurrency gate for providers that report their budget in response headers
 * (Okta's X-Rate-Limit-Limit / -Remaining / -Reset, GitHub's x-ratelimit-*, GitLab's RateLimit-*).
 *
 * It runs tasks with at most `concurrency` in flight, and never lets in-flight requests eat into the
 * last `reserve` requests of the window: when the reported budget gets that low, new tasks wait
 * until the window resets (the reported reset time, plus a little skew), instead of firing into a
 * wall of 429s. A wait that would end past the deadline fails at once as `rate_limited`, so a scan
 * never hangs until the scheduler kills it.
 *
 * Waits use the injected `sleep` and last until the reported reset by the clock (`now`); after it
 * the budget is unknown until the next answer reports it.
 */
import { sleep as defaultSleep } from '../core/deps.js';
import { AFTER_SCAN_FAILURE, ProviderError } from '../core/errors.js';

/** The budget one answer reported. */
export interface RateBudget {
  /** Requests left in the current window. */
  remaining: number;
  /** Size of the window, when the provider says. */
  limit?: number | undefined;
  /** When the window resets (epoch ms). */
  resetAt?: number | undefined;
}

export interface RateGateOptions {
  /** Display name for errors: "Okta". */
  provider: string;
  /** Most tasks in flight at once (≥ 1). */
  concurrency: number;
  /**
   * Requests of each window left unused, for other clients of the same tenant (the admin console,
   * other integrations). Default: 10% of the reported limit, at least 2.
   */
  reserve?: ((limit: number | undefined) => number) | undefined;
  /** Extra wait after the reported reset, for clock skew between us and the provider (default 1 s). */
  skewMs?: number | undefined;
  /** Never wait past this time. */
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Real time in ms (default Date.now): rate-limit resets are wall-clock times. */
  now?: (() => number) | undefined;
  /** Told about each pause, for logs. */
  onWait?: ((ms: number, budget: RateBudget) => void) | undefined;
  /**
   * What happens after a wait too long for the deadline fails these calls (ScanContext.afterFailure
   * of an event poll or verification); absent for a scan (AFTER_SCAN_FAILURE).
   */
  afterFailure?: string | undefined;
}

/** Parses Okta-style X-Rate-Limit-* headers (reset in epoch seconds). */
export function budgetFromOktaHeaders(headers: Headers): RateBudget | undefined {
  const remaining = Number(headers.get('x-rate-limit-remaining') ?? NaN);
  if (!Number.isFinite(remaining)) return undefined;
  const limit = Number(headers.get('x-rate-limit-limit') ?? NaN);
  const reset = Number(headers.get('x-rate-limit-reset') ?? NaN);
  return { remaining, limit: Number.isFinite(limit) ? limit : undefined, resetAt: Number.isFinite(reset) ? reset * 1000 : undefined };
}

const defaultReserve = (limit: number | undefined) => Math.max(2, Math.ceil((limit ?? 0) * 0.1));

/** See the module comment. */
export class RateGate {
  readonly #o: RateGateOptions;
  readonly #reserve: (limit: number | undefined) => number;
  #inFlight = 0;
  /** Requests started since the last reported budget (they are not yet in `remaining`). */
  #sinceReport = 0;
  #budget: RateBudget | undefined;
  #queue: Array<() => void> = [];
  #pausing: Promise<void> | null = null;
  /** Most tasks that were ever in flight at once (for tests and benchmarks). */
  maxInFlight = 0;
  /** Pauses taken for the budget. */
  waits = 0;

  constructor(options: RateGateOptions) {
    if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.#o = options;
    this.#reserve = options.reserve ?? defaultReserve;
  }

  /** Records the budget an answer reported. Call it for every answer (onResponse). */
  observe(budget: RateBudget | undefined): void {
    if (!budget) return;
    this.#budget = budget;
    this.#sinceReport = 0;
  }

  /** Runs `task` when a slot and the budget allow. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#inFlight -= 1;
      this.#queue.shift()?.();
    }
  }

  async #acquire(): Promise<void> {
    for (;;) {
      if (this.#o.signal?.aborted) throw new ProviderError(`${this.#o.provider}: the scan was cancelled`, { reason: 'aborted', provider: this.#o.provider });
      if (this.#pausing) {
        await this.#pausing;
        continue;
      }
      if (this.#inFlight >= this.#o.concurrency) {
        await new Promise<void>((resolve) => this.#queue.push(resolve));
        continue;
      }
      const b = this.#budget;
      if (b && b.remaining - this.#sinceReport - this.#inFlight <= this.#reserve(b.limit)) {
        if (this.#inFlight > 0) {
          // Let the requests in flight report a fresher budget first.
          await new Promise<void>((resolve) => this.#queue.push(resolve));
          continue;
        }
        this.#pausing = this.#pause(b).finally(() => (this.#pausing = null));
        await this.#pausing;
        continue;
      }
      this.#inFlight += 1;
      this.#sinceReport += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
      return;
    }
  }

  async #pause(b: RateBudget): Promise<void> {
    const clock = this.#o.now ?? Date.now;
    const now = clock();
    const ms = Math.max(0, (b.resetAt ?? now + 60_000) - now) + (this.#o.skewMs ?? 1_000);
    const provider = this.#o.provider;
    if (this.#o.deadline && now + ms >= this.#o.deadline.getTime()) {
      const after = this.#o.afterFailure;
      throw new ProviderError(`${provider} rate-limit budget is nearly spent (${b.remaining} requests left) and the window resets in ${Math.round(ms / 1000)}s, after the ${after === undefined ? 'scan deadline' : 'deadline of these requests'}`, {
        reason: 'rate_limited', provider, retryAfterMs: ms,
        hint: after === undefined ? `${AFTER_SCAN_FAILURE}; lower concurrency, raise scanDeadline or ask the provider for a higher limit` : `${after}; lower concurrency or ask the provider for a higher limit`,
      });
    }
    this.waits += 1;
    this.#o.onWait?.(ms, b);
    const sleep = this.#o.sleep ?? defaultSleep;
    await sleep(ms, this.#o.signal);
    // A sleep can end before the window does (a timer woken early, a shortened sleep in tests):
    // the reset time, by the clock, decides.
    for (let now2 = clock(); b.resetAt !== undefined && now2 < b.resetAt; now2 = clock()) {
      await sleep(b.resetAt - now2 + (this.#o.skewMs ?? 1_000), this.#o.signal);
    }
    // The window has reset: the budget is unknown until the next answer reports it. Every task that
    // queued behind the low budget looks again, so concurrency comes back to `concurrency` at once.
    this.#budget = undefined;
    this.#sinceReport = 0;
    const waiting = this.#queue;
    this.#queue = [];
    for (const wake of waiting) wake();
  }
}
