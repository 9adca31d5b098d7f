/**
 * Deadlines as abort signals that cannot be lost. On Node.js 20, `AbortSignal.any([...])` holds
 * its source signals weakly, and an `AbortSignal.timeout(ms)` that nothing else refers to can be
 * garbage-collected before its timer fires: the combined signal then never aborts
 * (https://github.com/nodejs/node/issues/57736). A request timeout, a scan deadline or a kill
 * deadline built that way could wait forever.
 */

/** Each combined signal → its sources, so that they live exactly as long as it does. */
const sourcesOf = new WeakMap<AbortSignal, readonly AbortSignal[]>();

/**
 * `AbortSignal.any(signals)` that keeps its sources alive for as long as the combined signal is
 * alive itself (while a request holds it, say), and no longer: per-request timeouts cost what
 * `AbortSignal.timeout` costs. `undefined` entries are skipped.
 */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const sources = signals.filter((s): s is AbortSignal => s !== undefined);
  const combined = AbortSignal.any(sources);
  sourcesOf.set(combined, sources);
  return combined;
}

/** A signal that aborts after `ms` (a `TimeoutError`), or when any of `others` aborts. */
export function withTimeout(ms: number, others: ReadonlyArray<AbortSignal | undefined> = []): AbortSignal {
  return anySignal([AbortSignal.timeout(Math.max(0, ms)), ...others]);
}

/**
 * A signal that aborts after `ms` with a `TimeoutError` DOMException, as `AbortSignal.timeout`
 * does, held by its own timer: it fires even when nothing else refers to it. For one long
 * deadline (a scan, a kill, a delivery); the timer does not keep the process alive.
 */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), Math.max(0, ms)).unref();
  return controller.signal;
}
