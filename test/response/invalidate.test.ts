/** invalidateEverywhere: concurrency, one deadline for all, failures as results; the verdict helpers. */
import { describe, expect, it } from 'vitest';
import type { Responder } from '../../responders/types.js';
import { LoopbackServer } from '../fakes/http.js';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import { invalidateEverywhere, killComplete, nobodyKnows, renderResults, type ServiceResult } from '../../src/response/invalidate.js';

const target = { identity: 'alice@example.com', accounts: [] };
const inst = (id: string, responder: Responder) => ({ id, type: id, service: id.toUpperCase(), responder });

describe('invalidateEverywhere', () => {
  it('runs all responders at once; a responder that ignores the deadline is cut off as failed; others keep their results', async () => {
    let started = 0;
    const hang: Responder = { invalidate: () => ((started += 1), new Promise(() => undefined)) };
    const ok: Responder = { invalidate: async (_t, o) => (started += 1, o.record({ method: 'POST', url: 'http://x/kill' }), { outcome: 'succeeded', detail: 'done' }) };
    const boom: Responder = { invalidate: async () => { started += 1; throw new ProviderError('X returned 403: lacks scope', { reason: 'permission', provider: 'X' }); } };
    const results = await invalidateEverywhere([inst('hang', hang), inst('ok', ok), inst('boom', boom)], target, { dryRun: false, timeoutMs: 200 });
    expect(started).toBe(3);
    expect(results.map((r) => `${r.responderId}:${r.outcome}`)).toEqual(['hang:failed', 'ok:succeeded', 'boom:failed']);
    expect(results[0]?.error?.reason).toBe('timeout');
    expect(results[0]?.detail).toMatch(/^HANG did not finish within the kill deadline of 200ms: run the kill again/);
    expect(results[1]?.calls).toEqual([{ method: 'POST', url: 'http://x/kill' }]);
    expect(results[2]?.error).toEqual({ reason: 'permission', message: 'X returned 403: lacks scope' });
    expect(renderResults(results, true)).toMatch(/ok \(OK\) called:\n {2}POST http:\/\/x\/kill/);
  });

  it('a responder retrying a real failure when the deadline ends reports that failure, not a bare "did not finish"', async () => {
    const server = new LoopbackServer(() => undefined);
    await server.start();
    try {
      server.inject({ kind: 'status', status: 503, body: { ok: false } }, 100);
      const http = createHttpClient({ provider: 'Acme', baseUrl: server.url, fetch: globalThis.fetch, backoffMs: 150, afterFailure: 'run the kill again' });
      const retrying: Responder = {
        invalidate: async (_t, o) => {
          await http.request({ method: 'POST', path: '/sessions/reset', signal: o.signal });
          return { outcome: 'succeeded', detail: 'done' };
        },
      };
      const [result] = await invalidateEverywhere([inst('acme', retrying)], target, { dryRun: false, timeoutMs: 300 });
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.reason).toBe('server');
      expect(result?.detail).toMatch(/^Acme returned 503 for POST \/sessions\/reset \(still failing after [12] tr(y|ies) when the time allowed ran out\): run the kill again$/);
    } finally {
      await server.stop();
    }
  });
});

const r = (outcome: ServiceResult['outcome']): ServiceResult => ({ responderId: outcome, type: 't', service: 's', outcome, detail: '', calls: [], durationMs: 0 });
describe('verdicts', () => {
  it.each([
    [['succeeded', 'not_found'], true, false],
    [['succeeded', 'failed'], false, false],
    [['skipped', 'unsupported'], true, false],
    [['not_found', 'unsupported'], false, true],
    [[], false, false],
  ] as const)('%j → complete %s, nobody knows %s', (outcomes, complete, nobody) => {
    const results = outcomes.map((o) => r(o));
    expect(killComplete(results)).toBe(complete);
    expect(nobodyKnows(results)).toBe(nobody);
  });
});
