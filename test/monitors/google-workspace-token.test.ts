/**
 * The google-workspace monitor keeps its service-account access token across polls and re-reads
 * (monitors/google-workspace/service-account.ts): one token request per scope until shortly
 * before the token expires, counted by the call that sent it (a scan still asks for its own); a token Google refuses (401) is
 * dropped; and a call that aborts while the token is being fetched does not take the token
 * request down with it for the calls waiting on the same token.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { googleWorkspaceConfigSchema } from '../../monitors/google-workspace/config.js';
import { createGoogleWorkspaceMonitor } from '../../monitors/google-workspace/index.js';
import { DIRECTORY_READONLY, FakeGoogle, REPORTS_READONLY, makeServiceAccount } from '../fakes/google.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const sa = makeServiceAccount();
const KEY = JSON.stringify(sa.keyJson);
const ADMIN = 'admin@acme.example';
const never = new AbortController().signal;
const scope = { id: '', label: 'acme.example' };

let google: FakeGoogle;
let clock: PinnedClock;
beforeEach(async () => {
  google = new FakeGoogle();
  google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, REPORTS_READONLY] });
  google.addUser({ id: '1001', primaryEmail: ADMIN, fullName: 'Ada Admin', isAdmin: true, isEnrolledIn2Sv: true });
  google.addUser({ id: '1002', primaryEmail: 'bob@acme.example', fullName: 'Bob B', isEnrolledIn2Sv: true });
  await google.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await google.stop();
});

function monitorFor(fetchFn: typeof fetch = globalThis.fetch) {
  const config = googleWorkspaceConfigSchema.parse({ id: 'gws', type: 'google-workspace', subject: ADMIN, serviceAccountKey: KEY, apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0, events: { roleGrants: false } });
  const deps = testDeps({ clock, fetch: fetchFn });
  const monitor = createGoogleWorkspaceMonitor(config, deps);
  const source = monitor.eventSources?.().find((s) => s.name === 'reports');
  if (source?.kind !== 'pull') throw new Error('no pulled source');
  return { monitor, deps, source: source as PulledEventSource };
}

const tokenRequests = () => google.requests.filter((r) => r.path === '/token').length;

describe('access token reuse', () => {
  it('one token per scope serves every poll and re-read until five minutes before it expires; only the call that sent the token request counts it; a scan asks for its own', async () => {
    const { monitor, deps, source } = monitorFor();
    const first = await source.poll(undefined, never);
    const second = await source.poll(first.cursor, never);
    expect(tokenRequests()).toBe(1);
    // 2sv_disable and 2sv_enroll, plus the token request only in the first poll.
    expect([first.requests, second.requests]).toEqual([3, 2]);
    expect(google.assertions.map((a) => a.scope)).toEqual([REPORTS_READONLY]);

    // The directory scope has a token of its own, shared by the re-reads; a scan checks the
    // credential with a token of its own (token + one page).
    expect(await monitor.readAccount?.(scope, { accountId: '1002' }, never)).toMatchObject({ status: 'present' });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.requests).toBe(2);
    expect(await monitor.readAccount?.(scope, { login: ADMIN }, never)).toMatchObject({ status: 'present' });
    expect(google.assertions.map((a) => a.scope)).toEqual([REPORTS_READONLY, DIRECTORY_READONLY, DIRECTORY_READONLY]);

    // The fake's tokens last 3599 s; in the last five minutes a new one is requested.
    const before = tokenRequests();
    clock.advance(3599_000 - 5 * 60_000 - 1_000);
    await source.poll(second.cursor, never);
    expect(tokenRequests()).toBe(before);
    clock.advance(2_000);
    const late = await source.poll(second.cursor, never);
    expect(tokenRequests()).toBe(before + 1);
    expect(late.requests).toBe(3);
  });

  it('a token Google refuses (401) fails that poll and is dropped: the next poll requests a new one', async () => {
    const { source } = monitorFor();
    const first = await source.poll(undefined, never);
    google.tokens.clear(); // revoked at Google
    await expect(source.poll(first.cursor, never)).rejects.toMatchObject({ status: 401 });
    expect(tokenRequests()).toBe(1);
    const again = await source.poll(first.cursor, never);
    expect(tokenRequests()).toBe(2);
    expect(again.requests).toBe(3);
  });

  it('a poll aborted while the token is being fetched stops at once; a call waiting for the same token still gets it', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let reached: () => void = () => undefined;
    const atGate = new Promise<void>((r) => (reached = r));
    // Token requests wait at the gate until released: the token is "being fetched".
    const gatedFetch: typeof fetch = async (input, init) => {
      if (new URL(input instanceof Request ? input.url : String(input)).pathname === '/token') {
        reached();
        await held;
      }
      return globalThis.fetch(input, init);
    };
    const { monitor, source } = monitorFor(gatedFetch);
    const controller = new AbortController();
    const aborted = source.poll(undefined, controller.signal);
    await atGate; // the aborted poll's token request (reports scope) is under way
    const sameScope = source.poll(undefined, never);
    const waiting = monitor.readAccount?.(scope, { accountId: '1002' }, never);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ reason: 'timeout' });
    release();
    expect((await sameScope).events).toEqual([]);
    expect(await waiting).toMatchObject({ status: 'present' });
    // One token per scope: the aborted poll's token request ran on and served the other poll.
    expect(google.assertions.map((a) => a.scope).sort()).toEqual([DIRECTORY_READONLY, REPORTS_READONLY].sort());
  });
});
