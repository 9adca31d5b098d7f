/**
 * The one JSON style of every `--json` output (docs/json.md): an object with `schema` (a
 * versioned id such as `mfawatch.kill/v1`) and `generatedAt` (UTC ISO) first, camelCase keys,
 * and every documented key present: an absent value is `null`, never a missing key.
 */
import type { CycleResult } from '../cycle.js';
import type { ServiceResult } from '../response/invalidate.js';

/** Serialises one report, its schema id and generation time first. `compact` for one line (JSON lines). */
export function jsonReport(schema: string, generatedAt: Date, body: Record<string, unknown>, compact = false): string {
  return JSON.stringify({ schema, generatedAt: generatedAt.toISOString(), ...body }, (_key, value: unknown) => (value === undefined ? null : value), compact ? undefined : 2);
}

/** One service's kill result, every key present. */
export function serviceResultJson(r: ServiceResult): Record<string, unknown> {
  return {
    responderId: r.responderId, type: r.type, service: r.service, outcome: r.outcome, detail: r.detail, durationMs: r.durationMs,
    error: r.error ? { reason: r.error.reason, message: r.error.message } : null,
    calls: r.calls.map((c) => ({ method: c.method, url: c.url, note: c.note ?? null })),
  };
}

/** Serialises a report that already carries its `schema` and `generatedAt`; undefined becomes null. */
export function jsonText(value: unknown, compact = false): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v), compact ? undefined : 2);
}

/** `run --json` (mfawatch.run/v1): each scan, each auto-response kill, the deliveries, the event sources off and the exit code. */
export function runJson(result: CycleResult): Record<string, unknown> {
  return {
    exitCode: result.exitCode,
    scans: result.scans.map((s) => ({
      monitorId: s.monitorId, scope: s.scope, scanId: s.scanId, status: s.status, baseline: s.baseline, accounts: s.accounts,
      changes: s.events.filter((e) => e.type !== 'baseline').length,
      error: s.error ? { reason: s.error.reason, message: s.error.message } : null,
    })),
    responses: result.responses.map((r) => ({ responseId: r.responseId, identity: r.identity, dryRun: r.dryRun, ok: r.ok, results: r.results.map(serviceResultJson) })),
    delivery: { sent: result.delivery.sent, failed: result.delivery.failed, pending: result.delivery.pending },
    eventSourcesOff: result.events.sourcesOff.map((o) => ({ monitorId: o.monitorId, source: o.source, reason: o.reason, hint: o.hint })),
  };
}
