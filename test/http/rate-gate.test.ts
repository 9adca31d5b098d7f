import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { RateGate, budgetFromOktaHeaders } from '../../src/http/rate-gate.js';

/** A task that resolves when told to, so in-flight counts are observable without timing. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RateGate', () => {
  it('never runs more than `concurrency` tasks at once', async () => {
    const gate = new RateGate({ provider: 'Acme', concurrency: 3 });
    const pending = Array.from({ length: 10 }, () => deferred());
    let running = 0;
    let maxRunning = 0;
    const all = pending.map((d) =>
      gate.run(async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await d.promise;
        running -= 1;
      }),
    );
    await tick();
    expect(running).toBe(3);
    for (const d of pending) {
      d.resolve();
      await tick();
    }
    await Promise.all(all);
    expect(maxRunning).toBe(3);
    expect(gate.maxInFlight).toBe(3);
  });

  it('pauses until the reported reset (plus skew) when the budget reaches the reserve, then resumes', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const gate = new RateGate({ provider: 'Acme', concurrency: 4, now: () => now, skewMs: 500, reserve: () => 2, sleep: async (ms) => void (slept.push(ms), (now += ms)) });
    gate.observe({ remaining: 5, limit: 100, resetAt: now + 7_000 });
    const ran: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => gate.run(async () => void ran.push(i))));
    expect(ran).toHaveLength(6);
    // 5 left, reserve 2: three may go, then one pause of (reset - now) + skew, then the rest
    expect(slept).toEqual([7_500]);
    expect(gate.waits).toBe(1);
  });

  it('comes back to full concurrency after a pause', async () => {
    let paused = false;
    let now = 0;
    const gate = new RateGate({ provider: 'Acme', concurrency: 4, now: () => now, skewMs: 0, reserve: () => 2, sleep: async (ms) => void ((paused = true), (now += ms)) });
    gate.observe({ remaining: 5, limit: 100, resetAt: 1_000 });
    let running = 0;
    let maxAfterPause = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        gate.run(async () => {
          running += 1;
          if (paused) maxAfterPause = Math.max(maxAfterPause, running);
          await tick();
          running -= 1;
        }),
      ),
    );
    expect(gate.waits).toBe(1);
    expect(maxAfterPause).toBe(4);
  });

  it('follows fresher budgets reported by answers', async () => {
    const slept: number[] = [];
    let now = 0;
    const gate = new RateGate({ provider: 'Acme', concurrency: 1, now: () => now, skewMs: 0, reserve: () => 1, sleep: async (ms) => void (slept.push(ms), (now += ms)) });
    let remaining = 4;
    for (let i = 0; i < 8; i++) {
      await gate.run(async () => {
        remaining -= 1;
        gate.observe({ remaining, resetAt: 1_000 });
        if (remaining <= 1) remaining = 10; // the window resets while we sleep
      });
    }
    expect(slept).toEqual([1_000]);
  });

  it('a sleep that ends early is topped up until the reset, by the clock', async () => {
    let now = 0;
    const slept: number[] = [];
    const gate = new RateGate({ provider: 'Acme', concurrency: 1, now: () => now, skewMs: 0, reserve: () => 1, sleep: async (ms) => void (slept.push(ms), (now += Math.min(ms, 300))) });
    gate.observe({ remaining: 1, resetAt: 1_000 });
    await gate.run(async () => undefined);
    expect(slept).toEqual([1_000, 700, 400, 100]);
    expect(now).toBeGreaterThanOrEqual(1_000);
  });

  it('fails as rate_limited, without waiting, when the reset is past the deadline', async () => {
    const slept: number[] = [];
    const gate = new RateGate({ provider: 'Acme', concurrency: 2, now: () => 0, deadline: new Date(30_000), sleep: async (ms) => void slept.push(ms) });
    gate.observe({ remaining: 1, limit: 600, resetAt: 60_000 });
    const err = await gate.run(async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('rate_limited');
    expect((err as ProviderError).message).toMatch(/after the scan deadline/);
    expect(slept).toEqual([]);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const gate = new RateGate({ provider: 'Acme', concurrency: 1, signal: controller.signal });
    controller.abort();
    const err = await gate.run(async () => 1).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe('aborted');
  });

  it('reads Okta headers (reset in epoch seconds)', () => {
    const h = new Headers({ 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '12', 'x-rate-limit-reset': '1609459200' });
    expect(budgetFromOktaHeaders(h)).toEqual({ remaining: 12, limit: 600, resetAt: 1_609_459_200_000 });
    expect(budgetFromOktaHeaders(new Headers())).toBeUndefined();
  });
});
