/**
 * The event-source runner (src/events/runner.ts) through the contract of monitors/events.ts:
 * cursor and acknowledgement only after the commit, dedupe, coalescing, verification through the
 * scan's commit path, `gone`, unknown users, failing verifications kept and retried, facts, and
 * the precedence between an event and a scan running at the same time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { scanMonitors } from '../../src/cycle.js';
import { EventRunner } from '../../src/events/runner.js';
import type { Observation } from '../../src/core/types.js';
import { PinnedClock, memoryLogger } from '../helpers.js';
import { FakeDirectory, fakeApp, hintEvent } from './fake-monitor.js';

let dir: FakeDirectory;
let clock: PinnedClock;
let app: App;
const never = new AbortController().signal;

const alice = (over: Partial<Observation> = {}): Observation => ({ accountId: '1', login: 'alice', kind: 'member', admin: false, mfa: 'enabled', factors: [], ...over });
const bob = (over: Partial<Observation> = {}): Observation => ({ accountId: '2', login: 'bob', kind: 'member', admin: true, mfa: 'enabled', factors: [], ...over });

const changeEvents = () =>
  app.store.db.prepare(`SELECT type, login, severity, scan_id, detail FROM events WHERE type NOT IN ('baseline') ORDER BY id`).all() as Array<{ type: string; login: string; severity: string; scan_id: number | null; detail: string | null }>;
const outbox = () => app.store.db.prepare(`SELECT batch_id FROM outbox ORDER BY id`).all() as Array<{ batch_id: string }>;
const source = () => app.store.db.prepare(`SELECT * FROM event_sources WHERE monitor_id = 'fake'`).get() as Record<string, unknown>;
const hints = () => app.store.db.prepare(`SELECT * FROM event_hints ORDER BY id`).all() as Array<Record<string, unknown>>;

async function baseline(): Promise<void> {
  await scanMonitors(app, app.monitors, never);
  clock.advance(60_000);
}

beforeEach(() => {
  dir = new FakeDirectory();
  dir.set(alice());
  dir.set(bob());
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  app = fakeApp(dir, clock, undefined);
});
afterEach(() => app.close());

describe('ingest and verification', () => {
  it('a hint is verified at the provider and committed like a scan reading: one event, one outbox row, cursor saved, acknowledged after', async () => {
    await baseline();
    dir.set(alice({ mfa: 'disabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [], cursor: 'c1' });
    const runner = new EventRunner(app);
    const drained = await runner.drain(never);
    expect(drained.verify).toMatchObject({ verified: 1, failed: 0 });
    expect(changeEvents().map((e) => [e.type, e.login, e.severity, e.scan_id])).toEqual([['mfa_disabled', 'alice', 'high', null]]);
    expect(JSON.parse(changeEvents()[0]?.detail ?? '{}')).toMatchObject({ via: 'event', source: 'queue', providerEventIds: ['evt-1'] });
    expect(outbox().filter((r) => r.batch_id.startsWith('events-'))).toHaveLength(1);
    expect(source()).toMatchObject({ cursor: 'c1', received: 1, duplicates: 0, consecutive_failures: 0 });
    expect(dir.acknowledged).toEqual(['c1']);
    // The next poll starts from the committed cursor.
    expect(dir.polledWith).toEqual([undefined, 'c1']);
    expect(app.store.storedAccount('fake', '', '1')?.mfa).toBe('disabled');
  });

  it('the next full scan does not alert a change an event already committed', async () => {
    await baseline();
    dir.set(alice({ mfa: 'disabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    await new EventRunner(app).drain(never);
    clock.advance(60_000);
    const [scan] = await scanMonitors(app, app.monitors, never);
    expect(scan?.status).toBe('succeeded');
    expect(scan?.events).toEqual([]);
    expect(changeEvents()).toHaveLength(1);
  });

  it('a replayed or redelivered event id changes nothing', async () => {
    await baseline();
    dir.set(alice({ mfa: 'disabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    const runner = new EventRunner(app);
    await runner.drain(never);
    dir.set(alice({ mfa: 'enabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    await runner.drain(never);
    expect(dir.reads).toHaveLength(1);
    expect(changeEvents().map((e) => e.type)).toEqual(['mfa_disabled']);
    expect(source()).toMatchObject({ received: 1, duplicates: 1 });
  });

  it('a storm of 1,000 events about one account is one verification and one alert', async () => {
    await baseline();
    dir.set(bob({ mfa: 'disabled' }));
    // Half name bob by id, half by login only: both fold into one hint.
    const storm = Array.from({ length: 1000 }, (_, i) => ({ ...hintEvent(`storm-${i}`, '2'), hint: { account: i % 2 ? { accountId: '2' } : { login: 'bob' }, topic: 'mfa' as const } }));
    dir.queue.push({ events: storm, ignored: [] });
    const drained = await new EventRunner(app).drain(never);
    expect(drained.verify.verified).toBe(1);
    expect(dir.reads).toHaveLength(1);
    expect(changeEvents().map((e) => [e.type, e.login, e.severity])).toEqual([['mfa_disabled', 'bob', 'critical']]);
    expect(hints()).toMatchObject([{ events: 1000, status: 'done', outcome: 'committed' }]);
  });

  it('a failing verification keeps the hint, visible with its error, and retries it later', async () => {
    await baseline();
    dir.set(alice({ mfa: 'disabled' }));
    dir.failReads = 1;
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    const runner = new EventRunner(app);
    const first = await runner.drain(never);
    expect(first.verify).toMatchObject({ verified: 0, failed: 1 });
    expect(hints()).toMatchObject([{ status: 'pending', attempts: 1, last_error: expect.stringMatching(/server: the fake provider answered 503/) }]);
    expect(changeEvents()).toEqual([]);
    // Not due yet in the daemon (backoff); due once the backoff has passed.
    expect((await runner.verifyPending(never)).verified).toBe(0);
    clock.advance(2_001);
    expect((await runner.verifyPending(never)).verified).toBe(1);
    expect(changeEvents().map((e) => e.type)).toEqual(['mfa_disabled']);
    expect(hints()).toMatchObject([{ status: 'done', attempts: 2 }]);
  });

  it('a reading the core cannot use is kept like a failed read (backoff), never retried in a tight loop', async () => {
    await baseline();
    dir.set(alice({ mfa: 'sometimes' as Observation['mfa'] }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    const runner = new EventRunner(app);
    expect((await runner.drain(never)).verify).toMatchObject({ verified: 0, failed: 1 });
    expect(hints()).toMatchObject([{ status: 'pending', attempts: 1, last_error: expect.stringMatching(/^malformed: Fake returned an account mfawatch cannot read/), due_at: '2026-11-22T10:01:02.000Z' }]);
    expect((await runner.verifyPending(never)).failed).toBe(0);
    expect(changeEvents()).toEqual([]);
  });

  it('account_removed only when the provider confirms the account is gone; an unknown user changes nothing', async () => {
    await baseline();
    dir.accounts.delete('1');
    dir.queue.push({ events: [hintEvent('evt-1', '1'), { ...hintEvent('evt-2', '999'), hint: { account: { login: 'nobody' }, topic: 'membership' } }], ignored: [] });
    await new EventRunner(app).drain(never);
    expect(changeEvents().map((e) => [e.type, e.login])).toEqual([['account_removed', 'alice']]);
    expect(hints().map((h) => h.outcome)).toEqual(['committed', 'unknown_account']);
    expect(app.store.storedAccount('fake', '', '1')).toBeNull();
  });

  it('malformed or foreign messages are set aside, counted and shown, never dropped silently', async () => {
    await baseline();
    dir.queue.push({ events: [], ignored: [{ reason: 'foreign', message: 'not an EventBridge envelope', id: 'm-1' }], cursor: 'c1' });
    await new EventRunner(app).drain(never);
    expect(source()).toMatchObject({ ignored: 1, last_ignored: 'foreign: not an EventBridge envelope', cursor: 'c1' });
    expect(changeEvents()).toEqual([]);
  });

  it('a set-aside code the source does not act on is logged at debug, a malformed or uncovered one at WARN; all are counted', async () => {
    const logs = memoryLogger();
    app.close();
    app = fakeApp(dir, clock, undefined, {}, logs.logger);
    await baseline();
    dir.queue.push({
      events: [],
      ignored: [
        { reason: 'irrelevant', message: 'gd_auth_succeed: not a log code mfawatch acts on', id: 'l-1' },
        { reason: 'irrelevant', message: 'gd_send_pn: not a log code mfawatch acts on', id: 'l-2' },
        { reason: 'malformed', message: 'an entry without the documented fields', id: 'l-3' },
        { reason: 'unknown_scope', message: 'an event for an account no scope covers', id: 'l-4' },
      ],
      cursor: 'c1',
    });
    await new EventRunner(app).drain(never);
    expect(source()).toMatchObject({ ignored: 4 });
    const setAside = logs.lines().filter((l) => String(l.msg).startsWith('event set aside'));
    // pino levels: 20 debug, 40 warn.
    expect(setAside.map((l) => [l.reason, l.level])).toEqual([['irrelevant', 20], ['irrelevant', 20], ['malformed', 40], ['unknown_scope', 40]]);
  });

  it('a failing poll is recorded with its error and a backoff; nothing is acknowledged', async () => {
    dir.queue.push(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const drained = await new EventRunner(app).drain(never);
    expect(drained.pollFailures).toHaveLength(1);
    expect(source()).toMatchObject({ consecutive_failures: 1, last_error: expect.stringMatching(/ECONNREFUSED/), next_poll_at: '2026-11-22T10:00:02.000Z' });
    expect(dir.acknowledged).toEqual([]);
  });
});

describe('facts', () => {
  it('a sign-in without MFA is committed as its own event with the event id, time, source IP and user agent', async () => {
    await baseline();
    dir.queue.push({
      events: [{ id: 'ct-1', occurredAt: new Date('2026-11-22T10:00:30.000Z'), scope: '', name: 'ConsoleLogin', fact: { type: 'signin_without_mfa', account: { login: 'bob' }, sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' } }],
      ignored: [],
    });
    await new EventRunner(app).drain(never);
    const [e] = changeEvents();
    expect([e?.type, e?.login, e?.severity]).toEqual(['signin_without_mfa', 'bob', 'critical']);
    expect(JSON.parse(e?.detail ?? '{}')).toMatchObject({ providerEventId: 'ct-1', occurredAt: '2026-11-22T10:00:30.000Z', sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0', eventName: 'ConsoleLogin' });
    expect(outbox().filter((r) => r.batch_id.startsWith('events-'))).toHaveLength(1);
  });
});

describe('an event while a scan of the same scope runs', () => {
  it('a verified reading newer than the scan start wins; the scan neither reverts it nor alerts it again', async () => {
    await baseline();
    // The scan reads alice with 2FA on; while it is still running, she turns it off and the
    // event is verified and committed; then the scan commits its (older) reading.
    let releaseScan: () => void = () => undefined;
    const scanPaused = new Promise<void>((r) => (releaseScan = r));
    const monitor = app.monitors[0]!;
    const original = monitor.monitor.scan.bind(monitor.monitor);
    monitor.monitor.scan = async function* (scope, ctx) {
      for await (const o of original(scope, ctx)) yield o;
      await scanPaused;
    };
    const scanning = scanMonitors(app, app.monitors, never);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(1_000);
    dir.set(alice({ mfa: 'disabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    await new EventRunner(app).drain(never);
    expect(changeEvents().map((e) => e.type)).toEqual(['mfa_disabled']);
    releaseScan();
    const [scan] = await scanning;
    expect(scan?.status).toBe('succeeded');
    expect(scan?.events).toEqual([]);
    expect(app.store.storedAccount('fake', '', '1')?.mfa).toBe('disabled');
    // The next scan (started after the verification) agrees, and says nothing either.
    clock.advance(60_000);
    monitor.monitor.scan = original;
    const [next] = await scanMonitors(app, app.monitors, never);
    expect(next?.events).toEqual([]);
    expect(changeEvents().map((e) => e.type)).toEqual(['mfa_disabled']);
  });

  it('a reading taken before a scan that has committed since is discarded as older', async () => {
    await baseline();
    dir.set(alice({ mfa: 'disabled' }));
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    dir.duringRead = async () => {
      dir.duringRead = undefined;
      clock.advance(1_000);
      // A full scan starts and commits while the verification's read is in flight.
      await scanMonitors(app, app.monitors, never);
    };
    await new EventRunner(app).drain(never);
    expect(hints()).toMatchObject([{ status: 'done', outcome: 'superseded' }]);
    // The scan reported the change, once.
    expect(changeEvents().map((e) => [e.type, e.scan_id !== null])).toEqual([['mfa_disabled', true]]);
  });

  it('before the first complete scan, hints commit nothing (the baseline stores every account silently)', async () => {
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] });
    await new EventRunner(app).drain(never);
    expect(hints()).toMatchObject([{ status: 'done', outcome: 'no_baseline' }]);
    expect(changeEvents()).toEqual([]);
  });
});

describe('facts and auto-response', () => {
  it('a sign-in without MFA can trigger auto-response, under the same guards (exempt, maxPerRun)', async () => {
    app.close();
    app = fakeApp(dir, clock, undefined, {
      responders: [{ id: 'okta', type: 'okta', baseUrl: 'http://127.0.0.1:9', token: 'x' }],
      autoResponse: { enabled: true, dryRun: true, on: ['signin_without_mfa'], minSeverity: 'high', exempt: ['fake:alice'], maxPerRun: 1 },
      identities: { map: { 'fake:alice': 'alice@example.com', 'fake:bob': 'bob@example.com', 'fake:carol': 'carol@example.com' } },
    });
    dir.set({ accountId: '3', login: 'carol', kind: 'member', admin: false, mfa: 'enabled', factors: [] });
    await baseline();
    const signin = (id: string, login: string) => ({ id, occurredAt: new Date('2026-11-22T10:00:30.000Z'), scope: '', name: 'ConsoleLogin', fact: { type: 'signin_without_mfa' as const, account: { login }, sourceIp: '198.51.100.7', userAgent: 'curl/8' } });
    dir.queue.push({ events: [signin('s-1', 'alice'), signin('s-2', 'bob'), signin('s-3', 'carol')], ignored: [] });
    await new EventRunner(app).drain(never);
    const rows = app.store.db.prepare(`SELECT identity, status, dry_run, reason, event_id IS NOT NULL AS has_event FROM responses ORDER BY id`).all() as Array<{ identity: string; status: string; dry_run: number; reason: string | null; has_event: number }>;
    expect(rows.map((r) => [r.identity, r.status, r.dry_run, r.has_event])).toEqual([
      ['alice@example.com', 'blocked', 1, 1],
      ['bob@example.com', 'scheduled', 1, 1],
      ['carol@example.com', 'blocked', 1, 1],
    ]);
    expect(rows[0]?.reason).toMatch(/^exempt/);
    expect(rows[2]?.reason).toMatch(/^max_per_run/);
  });
});

describe('draining (`mfawatch run`)', () => {
  it('a log source that re-reads an overlap window is drained until nothing new, not MAX_DRAIN_POLLS times', async () => {
    await baseline();
    dir.acknowledges = false;
    const overlap = () => ({ events: [hintEvent('evt-1', '1')], ignored: [], cursor: 'w1' });
    // Only duplicates, but the cursor moved: more may follow. Then only duplicates at the same cursor: done.
    dir.queue.push(overlap(), { ...overlap(), cursor: 'w2' }, { ...overlap(), cursor: 'w2' }, overlap(), overlap(), overlap());
    const drained = await new EventRunner(app).drain(never);
    expect(dir.polledWith).toEqual([undefined, 'w1', 'w2']);
    expect(drained.polls).toBe(3);
    expect(source()).toMatchObject({ cursor: 'w2', received: 1, duplicates: 2 });
  });

  it('a queue is drained while it brings messages, duplicates (redeliveries) included', async () => {
    await baseline();
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] }, { events: [hintEvent('evt-1', '1')], ignored: [] }, { events: [hintEvent('evt-2', '2')], ignored: [] });
    const drained = await new EventRunner(app).drain(never);
    expect(drained.polls).toBe(4);
    expect(source()).toMatchObject({ received: 2, duplicates: 1 });
  });
});

describe('polling (`mfawatch start`)', () => {
  it('a source that answers at once (intervalMs 0) is polled again at once while it brings messages, and waits idleIntervalMs after an empty poll', async () => {
    await baseline();
    dir.intervalMs = 0;
    dir.idleIntervalMs = 60_000;
    dir.queue.push({ events: [hintEvent('evt-1', '1')], ignored: [] }, { events: [hintEvent('evt-2', '2')], ignored: [] });
    app.close();
    app = fakeApp(dir, clock, undefined);
    await baseline();
    const stop = new AbortController();
    const running = new EventRunner(app).start(stop.signal);
    // Two batches, then one empty poll; without the idle wait an empty short poll repeats in a tight loop.
    for (let i = 0; i < 50 && dir.polledWith.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    await running;
    expect(dir.polledWith).toHaveLength(3);
  });
});

describe('retention and hostile input', () => {
  it('seen ids and finished hints are pruned after their retention; pending hints never', async () => {
    await baseline();
    dir.queue.push({ events: [hintEvent('old-1', '1'), hintEvent('old-2', '2')], ignored: [] });
    dir.failReads = 0;
    const runner = new EventRunner(app);
    await runner.drain(never);
    const { EventStore, SEEN_EVENT_RETENTION_MS } = await import('../../storage/events.js');
    const events = new EventStore(app.store);
    events.addHint({ monitorId: 'fake', scope: '', accountId: '9', login: null, topic: 'mfa', source: 'queue', eventId: 'p-1', occurredAt: clock.now(), receivedAt: clock.now(), dueAt: new Date('2099-01-01T00:00:00Z') });
    const later = new Date(clock.now().getTime() + SEEN_EVENT_RETENTION_MS + 1000);
    expect(events.prune(later)).toBe(4);
    expect(hints().map((h) => h.status)).toEqual(['pending']);
    // An id seen before the retention ended is still a duplicate; after it, it is new again.
    expect(events.markSeen('fake', 'old-1', clock.now())).toBe(true);
  });

  it('provider text with control characters is shown escaped by status', async () => {
    const { renderEventsStatus } = await import('../../src/cli/status-events.js');
    const { renderStatus } = await import('../../src/cli/status.js');
    const text = renderStatus({
      schema: 'mfawatch.status/v1', generatedAt: clock.now().toISOString(), monitors: [],
      events: { eventSources: [], pendingVerifications: [{ monitorId: 'fake', scope: '', account: 'evil\u001b[2J\u202e', events: 1, since: clock.now().toISOString(), attempts: 1, lastError: 'server: bad\nline', nextAttemptAt: clock.now().toISOString() }], pendingVerificationsTotal: 1 },
    }, clock.now());
    expect(text.includes('\u001b') || text.includes('\u202e')).toBe(false);
    expect(text).toContain('evil\\x1b[2J\\u202e');
    expect(renderEventsStatus({ eventSources: [], pendingVerifications: [], pendingVerificationsTotal: 0 }, clock.now())).toBe('');
  });
});
