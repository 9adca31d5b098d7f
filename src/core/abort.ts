/**
 * Deadlines as abort signals that cannot be lost. On Node.js 20 a signal of
 * `AbortSignal.timeout(ms)` that only an `AbortSignal.any([...])` composite refers to can be
 * garbage-collected before its timer fires, and then never aborts
 * (https://github.com/nodejs/node/issues/57736): a request timeout, a scan deadline or a kill
 * deadline built that way could wait forever. Here the timer holds its controller strongly.
 */

/**
 * A signal that aborts after `ms` with a `TimeoutError` DOMException, as `AbortSignal.timeout`
 * does, and is safe to combine with `AbortSignal.any`. The timer does not keep the process alive.
 */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), Math.max(0, ms)).unref();
  return controller.signal;
}
