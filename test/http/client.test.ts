import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secret.js';
import { createHttpClient, parseLinkHeader, parseRetryAfter, waitForResetHeader } from '../../src/http/client.js';
import { LoopbackServer, sendJson } from '../fakes/http.js';

const SECRET = new Secret('s3cr3t-token-value');
let server: LoopbackServer;
let answer: (res: ServerResponse) => void;
beforeEach(async () => {
  answer = (res) => sendJson(res, 200, { ok: true });
  server = new LoopbackServer((_req, res) => answer(res));
  await server.start();
});
afterEach(async () => server.stop());

const client = (over: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({
    provider: 'Acme',
    baseUrl: server.url,
    fetch: globalThis.fetch,
    headers: () => ({ authorization: `Bearer ${SECRET.reveal()}` }),
    retries: 2,
    backoffMs: 5,
    secrets: [SECRET],
    ...over,
  });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('createHttpClient', () => {
  it('sends JSON with the headers and validates the answer', async () => {
    const res = await client().request({ path: '/v1/x', query: { a: 1, skip: undefined } }, z.object({ ok: z.boolean() }));
    expect(res.data.ok).toBe(true);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/x');
    expect(req.query.get('a')).toBe('1');
    expect(req.query.has('skip')).toBe(false);
    expect(req.headers.authorization).toBe(`Bearer ${SECRET.reveal()}`);
  });

  it.each([
    [401, 'auth'],
    [403, 'permission'],
    [404, 'not_found'],
    [400, 'client'],
  ] as const)('%i is %s and is not retried', async (status, reason) => {
    server.inject({ kind: 'status', status, body: { error: `bad ${SECRET.reveal()}` } }, 10);
    const err = await failure(client().request({ path: '/x' }));
    expect(err.reason).toBe(reason);
    expect(err.status).toBe(status);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 5xx and 429 (honouring Retry-After) and then succeeds', async () => {
    server.inject({ kind: 'status', status: 503 }, 1);
    server.inject({ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, 1);
    const res = await client().request({ path: '/x' });
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the retries with the last reason', async () => {
    server.inject({ kind: 'status', status: 500 }, 10);
    const err = await failure(client().request({ path: '/x' }));
    expect(err.reason).toBe('server');
    expect(server.requests).toHaveLength(3);
  });

  it('fails as rate_limited without waiting when Retry-After is longer than it may wait', async () => {
    server.inject({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, 10);
    const err = await failure(client({ maxWaitMs: 1000 }).request({ path: '/x' }));
    expect(err.reason).toBe('rate_limited');
    expect(err.message).toMatch(/longer than mfawatch may wait/);
    expect(server.requests).toHaveLength(1);
  });

  // A kill against a service that kept failing used to end as "did not finish within the kill
  // deadline": the caller's signal stopped the retries and the cause was lost.
  it('stopped by the caller while retrying, it reports the failure it was retrying, not "cancelled"', async () => {
    server.inject({ kind: 'status', status: 503 }, 10);
    const stop = new AbortController();
    const pending = failure(client({ backoffMs: 60_000, maxWaitMs: 120_000 }).request({ path: '/x', signal: stop.signal }));
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(1));
    stop.abort();
    const waiting = await pending;
    expect(waiting.reason).toBe('server');
    expect(waiting.status).toBe(503);
    expect(waiting.message).toBe('Acme returned 503 for GET /x (still failing after 1 try when the time allowed ran out): the scan will run again on schedule');

    // Aborted while the retry itself is in flight: the earlier failure again.
    server.clearFaults();
    server.inject({ kind: 'status', status: 502 }, 1);
    server.inject({ kind: 'hang' }, 10);
    const again = new AbortController();
    const inFlight = failure(client({ backoffMs: 5, afterFailure: 'run the kill again' }).request({ path: '/x', signal: again.signal }));
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(3));
    again.abort();
    const err = await inFlight;
    expect(err.reason).toBe('server');
    expect(err.message).toBe('Acme returned 502 for GET /x (still failing after 1 try when the time allowed ran out): run the kill again');

    // Aborted on the first try: nothing to report but the cancellation.
    const first = new AbortController();
    const cancelled = failure(client().request({ path: '/x', signal: first.signal }));
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(4));
    first.abort();
    expect((await cancelled).reason).toBe('aborted');
  });

  it('a truncated JSON body is malformed; valid JSON of the wrong shape too', async () => {
    server.inject({ kind: 'truncate', body: '{"users": [' });
    expect((await failure(client({ retries: 0 }).request({ path: '/x' }))).reason).toBe('malformed');
    answer = (res) => sendJson(res, 200, { users: 'nope' });
    const err = await failure(client().request({ path: '/x' }, z.object({ users: z.array(z.string()) })));
    expect(err.reason).toBe('malformed');
    expect(err.message).toMatch(/unexpected shape \(at users/);
  });

  it('a hang is a timeout; a refused connection is a network error', async () => {
    server.inject({ kind: 'hang' }, 10);
    expect((await failure(client({ retries: 0, timeoutMs: 200 }).request({ path: '/x' }))).reason).toBe('timeout');
    const url = server.url;
    await server.stop();
    const err = await failure(createHttpClient({ provider: 'Acme', baseUrl: url, fetch: globalThis.fetch, retries: 0 }).request({ path: '/x' }));
    expect(err.reason).toBe('network');
    expect(err.message).toMatch(/could not reach Acme/);
    server = new LoopbackServer(() => undefined);
    await server.start();
  });

  // Found by the fault matrix: a 400 ms timeout read "within 0s"; a reset mid-body said "could
  // not reach" (check the base URL) although the provider had answered; a long rate-limit wait
  // repeated its hint twice.
  it('words a sub-second timeout in ms, a reset mid-body as a broken answer, a too-long wait with its hint once', async () => {
    server.inject({ kind: 'hang' }, 10);
    const timeout = await failure(client({ retries: 0, timeoutMs: 200 }).request({ path: '/x' }));
    expect(timeout.message).toMatch(/did not answer GET \/x within 200ms: .*raise requestTimeout/);
    server.clearFaults();
    server.inject({ kind: 'reset' }, 10);
    const reset = await failure(client({ retries: 0 }).request({ path: '/x' }));
    expect(reset.reason).toBe('network');
    expect(reset.message).toMatch(/^the connection to Acme broke while reading the answer to GET \/x \(.+\): the scan will run again on schedule/);
    expect(reset.message).not.toMatch(/could not reach|base URL/);
    server.clearFaults();
    server.inject({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, 10);
    const limited = await failure(client({ maxWaitMs: 1000, describeError: () => ({ message: 'Acme rate limit reached', hint: 'scan less often' }) }).request({ path: '/x' }));
    expect(limited.message).toBe('Acme rate limit reached; the requested wait (60 min) is longer than mfawatch may wait: scan less often');
  });

  it('describeError words the failure; secrets are scrubbed from messages', async () => {
    server.inject({ kind: 'status', status: 403, body: { code: 'E1' } });
    const err = await failure(
      client({ describeError: (status, body) => ({ message: `Acme returned ${status} (${(body as { code: string }).code}) for token ${SECRET.reveal()}`, hint: 'grant acme.read' }) }).request({ path: '/x' }),
    );
    expect(err.message).toBe('Acme returned 403 (E1) for token [redacted]: grant acme.read');
  });

  it('hidePath keeps the path of a secret URL out of every message and out of describeError', async () => {
    const seen: string[] = [];
    server.inject({ kind: 'status', status: 500, body: 'x' });
    const hidden = client({ retries: 0, hidePath: true, describeError: (_s, _b, req) => (seen.push(req.path), undefined) });
    const err = await failure(hidden.request({ path: '/services/T1/B1/pathSECRET123' }));
    expect(err.message).toBe('Acme returned 500 for GET (secret URL)');
    expect(seen).toEqual(['(secret URL)']);
    const url = server.url;
    await server.stop();
    const down = await failure(createHttpClient({ provider: 'Acme', baseUrl: url, fetch: globalThis.fetch, retries: 0, hidePath: true }).request({ path: '/hooks/pathSECRET123' }));
    expect(down.message).not.toContain('pathSECRET123');
    expect(down.message).toMatch(/could not reach Acme for GET \(secret URL\)/);
    server = new LoopbackServer(() => undefined);
    await server.start();
  });

  it('acceptStatus makes a status an answer', async () => {
    server.inject({ kind: 'status', status: 404, body: { error: 'no such user' } });
    const res = await client().request({ path: '/x', acceptStatus: [404] });
    expect(res.status).toBe(404);
  });
});

describe('header parsers', () => {
  it('parses a Link header', () => {
    expect(parseLinkHeader('<https://a/x?page=2>; rel="next", <https://a/x?page=5>; rel="last"')).toEqual({ next: 'https://a/x?page=2', last: 'https://a/x?page=5' });
    expect(parseLinkHeader(null)).toEqual({});
  });
  it('waitForResetHeader: the wait until an epoch-second reset header, only when none remain if asked', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const reset = String(now / 1000 + 90);
    const okta = waitForResetHeader('x-rate-limit-reset');
    expect(okta(new Headers({ 'x-rate-limit-reset': reset }), now)).toBe(90_000);
    expect(okta(new Headers({ 'x-rate-limit-reset': String(now / 1000 - 5) }), now)).toBe(0);
    expect(okta(new Headers({ 'x-rate-limit-reset': 'soon' }), now)).toBeUndefined();
    expect(okta(new Headers(), now)).toBeUndefined();
    const github = waitForResetHeader('x-ratelimit-reset', 'x-ratelimit-remaining');
    expect(github(new Headers({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '12' }), now)).toBeUndefined();
    expect(github(new Headers({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }), now)).toBe(90_000);
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
