/**
 * Running one kill: every selected responder at once, each bounded by one deadline, each result
 * in plain words with the API calls it made (or, in a dry run, would make).
 */
import type { ApiCall, Responder, ResponseTarget } from '../../responders/types.js';
import { timeoutSignal } from '../core/abort.js';
import { formatDuration } from '../core/duration.js';
import { ProviderError, toProviderError, type ErrorReason } from '../core/errors.js';

/** A responder instance built from the config. */
export interface ResponderInstance {
  id: string;
  type: string;
  service: string;
  responder: Responder;
}

export type ServiceOutcome = 'succeeded' | 'failed' | 'not_found' | 'unsupported' | 'skipped';

/** The result at one service. */
export interface ServiceResult {
  responderId: string;
  type: string;
  service: string;
  outcome: ServiceOutcome;
  detail: string;
  calls: ApiCall[];
  error?: { reason: ErrorReason; message: string } | undefined;
  durationMs: number;
}

export interface InvalidateEverywhereOptions {
  dryRun: boolean;
  /** ms for the whole kill. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** After the kill deadline, how long a responder that honours its signal has to report its own failure. */
const REPORT_GRACE_MS = 250;

/** Runs every responder concurrently for `target`; never throws, a failure is a result. */
export async function invalidateEverywhere(responders: readonly ResponderInstance[], target: ResponseTarget, options: InvalidateEverywhereOptions): Promise<ServiceResult[]> {
  const deadline = AbortSignal.any([timeoutSignal(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  return Promise.all(
    responders.map(async (r): Promise<ServiceResult> => {
      const calls: ApiCall[] = [];
      const t0 = performance.now();
      // A responder that ignores the signal still cannot hold the kill past its deadline; one that
      // honours it gets a moment to say what it was failing at ("Slack returned 503 …").
      let late: (() => void) | undefined;
      const expired = new Promise<never>((_, reject) => {
        late = () => setTimeout(() => reject(deadline.reason), REPORT_GRACE_MS);
        if (deadline.aborted) late();
        else deadline.addEventListener('abort', late, { once: true });
      });
      expired.catch(() => undefined);
      // Once this service has answered, its deadline has nothing left to cut.
      const settled = () => late && deadline.removeEventListener('abort', late);
      try {
        const answer = await Promise.race([r.responder.invalidate(target, { dryRun: options.dryRun, signal: deadline, record: (c) => calls.push(c) }), expired]).finally(settled);
        return { responderId: r.id, type: r.type, service: r.service, outcome: answer.outcome, detail: answer.detail, calls, durationMs: Math.round(performance.now() - t0) };
      } catch (thrown) {
        let err = toProviderError(thrown, r.service);
        // Cut off with nothing to say (mid-request, or a responder that ignores its signal): say so.
        // A responder that was retrying a real failure reports that failure instead.
        if (deadline.aborted && !options.signal?.aborted && (err.reason === 'aborted' || thrown === deadline.reason)) {
          err = new ProviderError(`${r.service} did not finish within the kill deadline of ${formatDuration(options.timeoutMs)}`, { reason: 'timeout', provider: r.service, hint: 'run the kill again, or raise autoResponse.killTimeout / --timeout' });
        }
        const message = err.message;
        return { responderId: r.id, type: r.type, service: r.service, outcome: 'failed', detail: message, calls, error: { reason: err.reason, message }, durationMs: Math.round(performance.now() - t0) };
      }
    }),
  );
}

/** A kill is complete when no service failed and at least one service acted (or would, in a dry run). */
export function killComplete(results: readonly ServiceResult[]): boolean {
  return results.every((r) => r.outcome !== 'failed') && results.some((r) => r.outcome === 'succeeded' || r.outcome === 'skipped');
}

/** True when no responder knows the identity at all. */
export function nobodyKnows(results: readonly ServiceResult[]): boolean {
  return results.length > 0 && results.every((r) => r.outcome === 'not_found' || r.outcome === 'unsupported');
}

/** A fixed-width table of per-service results. */
export function renderResults(results: readonly ServiceResult[], showCalls: boolean): string {
  const rows = results.map((r) => [r.responderId, r.service, r.outcome === 'skipped' ? 'skipped (dry run)' : r.outcome, r.detail]);
  const head = ['responder', 'service', 'result', 'detail'];
  const widths = [0, 1, 2].map((i) => Math.max(head[i]?.length ?? 0, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ');
  const out = [line(head), ...rows.map(line)];
  if (showCalls) {
    for (const r of results) {
      if (r.calls.length === 0) continue;
      out.push('', `${r.responderId} (${r.service}) ${r.outcome === 'skipped' ? 'would call' : 'called'}:`);
      for (const c of r.calls) out.push(`  ${c.method} ${c.url}${c.note ? `  # ${c.note}` : ''}`);
    }
  }
  return out.join('\n');
}
