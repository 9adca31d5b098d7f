/**
 * A small gate for fan-out calls (one request per account): at most `concurrency` tasks at once,
 * and no new task while the provider's announced budget (x-ratelimit-remaining) is at or below
 * `reserve` until its window resets. Waits never pass the scan deadline: a wait that would fails
 * the task as rate_limited.
 *
 * This is the functional face of RateGate (src/http/rate-gate.ts), kept for the modules written
 * against it (auth0): one implementation of rate-limit-aware concurrency, two ways to call it.
 */
import { RateGate } from './rate-gate.js';

export interface ConcurrencyGateOptions {
  provider: string;
  concurrency: number;
  /** Requests to keep in hand for the next window (default 1). */
  reserve?: number | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
  /** What happens after a failure of these calls, when not a scan's (RateGateOptions.afterFailure). */
  afterFailure?: string | undefined;
}

export interface ConcurrencyGate {
  /** Runs `task` once a slot is free and the budget allows. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Feeds the provider's budget from an answer's headers (remaining requests, window reset as epoch ms). */
  observe(remaining: number, resetAtMs: number | undefined): void;
}

export function createConcurrencyGate(options: ConcurrencyGateOptions): ConcurrencyGate {
  const reserve = options.reserve ?? 1;
  const gate = new RateGate({
    provider: options.provider,
    concurrency: options.concurrency,
    reserve: () => reserve,
    skewMs: 50,
    sleep: options.sleep,
    deadline: options.deadline,
    signal: options.signal,
    afterFailure: options.afterFailure,
  });
  return {
    run: (task) => gate.run(task),
    observe(remaining: number, resetAtMs: number | undefined): void {
      if (!Number.isFinite(remaining)) return;
      gate.observe({ remaining, resetAt: resetAtMs ?? Date.now() + 1000 });
    },
  };
}
