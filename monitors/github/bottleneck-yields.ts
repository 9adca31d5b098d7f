/**
 * @octokit/plugin-throttling and @octokit/plugin-retry pass every request through Bottleneck
 * (bottleneck/light.js 2.19.5, its last release, 2019): three limiters per request. Bottleneck
 * yields to the event loop with `setTimeout(fn, 0)` several times per job, and Node clamps every
 * timer to at least 1 ms, so each request waited about 14 ms doing nothing: 14 s of a 100,000-member
 * scan (1,043 requests), 2.5 minutes of a 1,000,000-member one (measured by `npm run bench`).
 *
 * This makes Bottleneck's zero-delay yields `setImmediate` (the same "after pending I/O" turn,
 * without the clamp). Every real wait (a rate-limit wait, a retry backoff, a minTime spacing) is
 * untouched and still goes through setTimeout, so the plugins behave exactly as before.
 * It patches Bottleneck's shared prototypes, once per process, and only when they have the shape
 * of 2.19.5; another version is left alone (slower, still correct).
 */
import Bottleneck from 'bottleneck/light.js';

type Job = {
  doRun(): void;
  doExecute(limiter: unknown, clearGlobalState: () => boolean, run: (wait: number) => unknown, free: (options: unknown, eventInfo: unknown) => unknown): unknown;
  doExpire(clearGlobalState: () => boolean, run: (wait: number) => unknown, free: (options: unknown, eventInfo: unknown) => unknown): unknown;
  options: { expiration?: number | null };
};

interface LimiterInternals {
  _store: object;
  _limiter: unknown;
  _scheduled: Record<number, { timeout: unknown; expiration: NodeJS.Timeout | undefined; job: Job }>;
  _run(index: number, job: Job, wait: number): unknown;
  _free(index: number, job: Job, options: unknown, eventInfo: unknown): unknown;
  _clearGlobalState(index: number): boolean;
}

interface DatastoreInternals {
  Promise: PromiseConstructor;
  yieldLoop(t?: number): Promise<void>;
}

let installed = false;

/** Installs the zero-delay yields (idempotent); returns whether Bottleneck has them. */
export function installZeroDelayYields(): boolean {
  if (installed) return true;
  const limiterProto = Bottleneck.prototype as unknown as LimiterInternals;
  const probe = new Bottleneck() as unknown as LimiterInternals;
  const storeProto = Object.getPrototypeOf(probe._store) as DatastoreInternals;
  void (probe as unknown as Bottleneck).disconnect();
  if ((Bottleneck as unknown as { version?: string }).version !== '2.19.5' || typeof storeProto.yieldLoop !== 'function' || typeof limiterProto._run !== 'function') return false;

  storeProto.yieldLoop = function yieldLoop(this: DatastoreInternals, t = 0): Promise<void> {
    return new this.Promise<void>((resolve) => (t > 0 ? setTimeout(resolve, t) : setImmediate(resolve)));
  };

  const originalRun = limiterProto._run;
  // Bottleneck 2.19.5's _run, with setImmediate for a zero wait. (Bottleneck never clears
  // `timeout` once scheduled except in stop(), which mfawatch does not call.)
  limiterProto._run = function run(this: LimiterInternals, index: number, job: Job, wait: number): unknown {
    if (wait > 0) return originalRun.call(this, index, job, wait);
    job.doRun();
    const clearGlobalState = this._clearGlobalState.bind(this, index);
    const again = this._run.bind(this, index, job);
    const free = this._free.bind(this, index, job);
    const expiration = job.options.expiration;
    return (this._scheduled[index] = {
      timeout: setImmediate(() => job.doExecute(this._limiter, clearGlobalState, again, free)),
      expiration: expiration != null ? setTimeout(() => job.doExpire(clearGlobalState, again, free), expiration) : undefined,
      job,
    });
  };
  installed = true;
  return true;
}
