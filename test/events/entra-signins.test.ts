/**
 * Entra sign-ins without MFA through the whole event path: the beta sign-in log polled by the
 * runner against the Entra fake, `signin_without_mfa` committed once (critical for an admin) and
 * never again on the next poll's overlap; and a tenant without the P1/P2 licence, whose sign-ins
 * source is OFF in `status` (why and what to do) while the directory audits keep working.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildEventsStatus, renderEventsStatus } from '../../src/cli/status-events.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { EventRunner } from '../../src/events/runner.js';
import type { PulledEventSource } from '../../monitors/events.js';
import { NO_SIGNIN_LICENCE_WARNING } from '../../monitors/entra/index.js';
import { FakeEntra } from '../fakes/entra.js';
import { PinnedClock, memoryLogger } from '../helpers.js';

const never = new AbortController().signal;
let fake: FakeEntra;
let clock: PinnedClock;
let config: ResolvedConfig;
let app: App;

beforeEach(async () => {
  fake = new FakeEntra();
  fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
  fake.add({ id: 'b2', userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
  await fake.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  config = resolveConfig({
    database: ':memory:',
    monitors: [{
      id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${S}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0,
      events: { signIns: true },
    }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { S: fake.clientSecret });
  app = createApp(config, { clock, logger: memoryLogger().logger });
});
afterEach(async () => {
  app.close();
  await fake.stop();
});

const changes = () => app.store.db.prepare(`SELECT type, login, severity FROM events WHERE type != 'baseline' ORDER BY id`).all();
const statusText = () => renderEventsStatus(buildEventsStatus(config, app.store, clock.now(), (id) => app.monitors.find((m) => m.config.id === id)?.monitor.eventSources?.() ?? []), clock.now());

describe('sign-ins without MFA through the runner', () => {
  it('a single-factor sign-in of an admin is one critical signin_without_mfa; the overlap re-read does not repeat it', async () => {
    await scanMonitors(app, app.monitors, never);
    const runner = new EventRunner(app);
    await runner.drain(never);
    clock.advance(60_000);
    fake.addSignIn({ id: 'si-1', createdDateTime: '2026-11-22T10:00:30Z', userId: 'a1', userPrincipalName: 'alice@contoso.com', errorCode: 0 });
    fake.addSignIn({ id: 'si-2', createdDateTime: '2026-11-22T10:00:40Z', userId: 'b2', userPrincipalName: 'bob@contoso.com', errorCode: 0, authenticationRequirement: 'multiFactorAuthentication' });
    await runner.drain(never);
    expect(changes()).toEqual([{ type: 'signin_without_mfa', login: 'alice@contoso.com', severity: 'critical' }]);
    clock.advance(60_000);
    // The overlap re-read brings only what was seen: one request, and the drain stops.
    const before = fake.signInRequests().length;
    await runner.drain(never);
    expect(fake.signInRequests().length - before).toBe(1);
    await scanMonitors(app, app.monitors, never);
    expect(changes()).toHaveLength(1);
    expect(statusText()).toMatch(/entra sign-ins \(pulled\): ok/);
  });

  it('after downtime, a backlog longer than one poll\'s page cap is read over successive polls: every sign-in alerted once, none twice', async () => {
    await scanMonitors(app, app.monitors, never);
    const runner = new EventRunner(app);
    await runner.drain(never);
    fake.signInPageSize = 1;
    // 22 single-factor sign-ins at 1 a page: more pages than one poll reads (20).
    for (let i = 1; i <= 22; i++) fake.addSignIn({ id: `si-${i}`, createdDateTime: `2026-11-22T10:01:${String(i).padStart(2, '0')}Z`, userId: 'a1', userPrincipalName: 'alice@contoso.com', errorCode: 0 });
    clock.advance(30 * 60_000);
    const bound = runner.bindings.find((b) => b.instance.config.id === 'entra' && b.source.name === 'sign-ins');
    const poll = () => runner.pollOnce(bound!.instance, bound!.source as PulledEventSource, never);
    const alerted = () => (app.store.db.prepare(`SELECT detail FROM events WHERE type = 'signin_without_mfa' ORDER BY id`).all() as Array<{ detail: string }>).map((e) => (JSON.parse(e.detail) as { providerEventId: string }).providerEventId);
    await poll();
    expect(alerted()).toEqual(Array.from({ length: 20 }, (_, i) => `si-${i + 1}`));
    await poll();
    expect(alerted()).toEqual(Array.from({ length: 22 }, (_, i) => `si-${i + 1}`));
    // Caught up: the next poll re-reads the overlap; nothing is alerted twice.
    clock.advance(60_000);
    await poll();
    expect(changes()).toHaveLength(22);
  });

  it('no P1/P2 licence: the source OFF in status with what to do, no further sign-in requests, directory audits still read', async () => {
    fake.premium = false;
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: '2026-11-22T09:58:00Z', target: { id: 'b2', userPrincipalName: 'bob@contoso.com' }, id: 'Directory_1' });
    const runner = new EventRunner(app);
    const first = await runner.drain(never);
    expect(first.pollFailures).toEqual([]);
    expect(first.sourcesOff.map((o) => o.source)).toEqual(['sign-ins']);
    const text = statusText();
    expect(text).toMatch(/entra sign-ins \(pulled\): OFF\n\s+off since\s+0ms ago: the tenant has no Entra ID P1\/P2 licence/);
    expect(text).toContain(NO_SIGNIN_LICENCE_WARNING);
    expect(text).toMatch(/entra directory-audits \(pulled\): ok\n\s+last event\s+2m ago/);
    const asked = fake.signInRequests().length;
    clock.advance(60_000);
    const second = await runner.drain(never);
    expect(second.pollFailures).toEqual([]);
    expect(fake.signInRequests()).toHaveLength(asked);
    // Off is a state of the source, not an event set aside.
    expect(statusText()).toMatch(/entra sign-ins \(pulled\): OFF\n.*\n.*\n.*\n\s+events\s+0 received, 0 duplicate\(s\) skipped, 0 set aside\n/);
  });
});
