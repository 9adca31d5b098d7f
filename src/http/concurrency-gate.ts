/**
 * A small gate for fan-out calls (one request per account): at most `concurrency` tasks at once,
 * and no new task while the provider's announced budget (x-ratelimit-remaining) is at or below
 * `reserve` and its window has not reset yet. Waits never pass the scan deadline: a wait that
 * would fails the task as rate_limited.
 * (Kept separate from any other rate helper so the lead can merge them; it has no provider logic.)
 */
import { ProviderError } from '../core/errors.js';

export interface ConcurrencyGateOptions {
  provider: string;
  concurrency: number;
  /** Requests to keep in hand for the next window (default 1). */
  reserve?: number | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
}

export interface ConcurrencyGate {
  /** Runs `task` once a slot is free and the budget allows. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Feeds the provider's budget from an answer's headers (remaining requests, window reset as epoch ms). */
  observe(remaining: number, resetAtMs: number | undefined): void;
}

export function createConcurrencyGate(options: ConcurrencyGateOptions): ConcurrencyGate {
  const reserve = options.reserve ?? 1;
  let active = 0;
  const queue: Array<() => void> = [];
  let budget: { remaining: number; resetAtMs: number } | null = null;

  const release = () => {
    active -= 1;
    queue.shift()?.();
  };

  async function waitForBudget(): Promise<void> {
    while (budget && budget.remaining <= reserve && budget.resetAtMs > Date.now()) {
      const wait = budget.resetAtMs - Date.now() + 50;
      if (options.deadline && Date.now() + wait >= options.deadline.getTime()) {
        throw new ProviderError(`${options.provider} rate limit: the budget is used up until ${new Date(budget.resetAtMs).toISOString()}, past the scan deadline`, {
          reason: 'rate_limited', provider: options.provider, retryAfterMs: wait, hint: 'the scan will run again on schedule; lower the concurrency or scan less often',
        });
      }
      await options.sleep(wait, options.signal);
      // The window has reset; let the next answer tell the new budget.
      if (budget && budget.resetAtMs <= Date.now()) budget = null;
    }
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= options.concurrency) await new Promise<void>((resolve) => queue.push(resolve));
      active += 1;
      try {
        await waitForBudget();
        return await task();
      } finally {
        release();
      }
    },
    observe(remaining: number, resetAtMs: number | undefined): void {
      if (!Number.isFinite(remaining)) return;
      budget = { remaining, resetAtMs: resetAtMs ?? Date.now() + 1000 };
    },
  };
}
