/**
 * The small shared pieces the auth0/entra monitors added: the client's retryAfterFromHeaders
 * hook, the client-credentials token cache and the concurrency gate.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../src/core/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import { clientCredentialsToken } from '../../src/http/client-credentials.js';
import { createConcurrencyGate } from '../../src/http/concurrency-gate.js';
import { LoopbackServer, sendJson } from '../fakes/http.js';

let server: LoopbackServer;
let tokens = 0;
beforeEach(async () => {
  tokens = 0;
  server = new LoopbackServer((req, res) => {
    if (req.path === '/token') {
      tokens += 1;
      return sendJson(res, 200, { access_token: `tok-${tokens}`, token_type: 'Bearer', expires_in: Number(new URLSearchParams(req.body).get('lifetime') ?? 3600) });
    }
    sendJson(res, 200, { ok: true });
  });
  await server.start();
});
afterEach(async () => server.stop());

describe('createHttpClient: retryAfterFromHeaders', () => {
  it('waits what the provider headers ask when there is no Retry-After, and only then', async () => {
    const waits: number[] = [];
    const http = createHttpClient({
      provider: 'Acme', baseUrl: server.url, fetch: globalThis.fetch, retries: 1, backoffMs: 1,
      sleep: async (ms) => void waits.push(ms),
      retryAfterFromHeaders: (h, now) => Number(h.get('x-ratelimit-reset')) * 1000 - now,
    });
    server.inject({ kind: 'status', status: 429, body: {}, headers: { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 5) } });
    await http.request({ path: '/x' }, z.object({ ok: z.boolean() }));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(3000);
    server.inject({ kind: 'status', status: 429, body: {}, headers: { 'retry-after': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 5) } });
    await http.request({ path: '/x' });
    expect(waits[1]).toBeLessThan(100); // Retry-After wins
  });
});

describe('clientCredentialsToken', () => {
  const http = () => createHttpClient({ provider: 'Acme', baseUrl: server.url, fetch: globalThis.fetch });
  it('fetches once, shares one request between concurrent callers, and refreshes near expiry or after invalidate()', async () => {
    let lifetime = '3600';
    const seen: string[] = [];
    const token = clientCredentialsToken({ path: '/token', form: () => ({ grant_type: 'client_credentials', lifetime }), onToken: (t) => seen.push(t) });
    const [a, b] = await Promise.all([token.get(http()), token.get(http())]);
    expect([a, b]).toEqual(['tok-1', 'tok-1']);
    expect(await token.get(http())).toBe('tok-1');
    token.invalidate();
    lifetime = '30'; // shorter than the refresh margin: never reused
    expect(await token.get(http())).toBe('tok-2');
    expect(await token.get(http())).toBe('tok-3');
    expect(seen).toEqual(['tok-1', 'tok-2', 'tok-3']);
    const form = new URLSearchParams(server.requests[0]!.body);
    expect(form.get('grant_type')).toBe('client_credentials');
  });
});

describe('createConcurrencyGate', () => {
  it('never runs more than `concurrency` tasks at once', async () => {
    const gate = createConcurrencyGate({ provider: 'Acme', concurrency: 3, sleep: async () => undefined });
    let active = 0;
    let peak = 0;
    await Promise.all([...Array(20).keys()].map(() => gate.run(async () => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2));
      active -= 1;
    })));
    expect(peak).toBe(3);
  });

  it('holds new tasks while the budget is spent, until the window resets', async () => {
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((r) => setTimeout(r, Math.min(ms, 20)));
    };
    const gate = createConcurrencyGate({ provider: 'Acme', concurrency: 2, sleep });
    gate.observe(1, Date.now() + 200);
    let ran = false;
    await gate.run(async () => void (ran = true));
    expect(ran).toBe(true);
    expect(waits[0]).toBeGreaterThan(100); // asked to wait for the reset (+ a margin)
    waits.length = 0;
    gate.observe(50, Date.now() + 60_000); // budget left: no wait
    await gate.run(async () => undefined);
    expect(waits).toEqual([]);
  });

  it('fails as rate_limited instead of waiting past the deadline', async () => {
    const gate = createConcurrencyGate({ provider: 'Acme', concurrency: 2, sleep: async () => undefined, deadline: new Date(Date.now() + 1000) });
    gate.observe(0, Date.now() + 60_000);
    const err = await gate.run(async () => 'ran').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('rate_limited');
  });
});
