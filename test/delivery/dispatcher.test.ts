/**
 * The dispatcher against real notifiers and receivers on loopback, with a real SQLite file and a
 * pinned clock (time moves only when the test moves it): retries of transient failures with
 * backoff, Retry-After, 4xx not retried, maxAge, timeouts, shutdown, and one delivery_failure
 * alert per failing notifier (and one recovery notice).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFIERS } from '../../notifiers/index.js';
import type { NotificationBatch } from '../../notifiers/types.js';
import { Store } from '../../storage/store.js';
import { Dispatcher, type DispatchTarget, type DeliverySettings } from '../../src/delivery/dispatcher.js';
import { FakeChannel } from '../fakes/channels.js';
import { PinnedClock, memoryLogger, tempDir } from '../helpers.js';
import { sampleBatch } from '../notifiers/sample.js';

const HOOK_TOKEN = 'hookTOKENabcdef123456';
const SETTINGS: DeliverySettings = { maxAge: 3_600_000, initialBackoff: 1_000, maxBackoff: 60_000, timeout: 1_500, alertAfter: 3 };

let dir: ReturnType<typeof tempDir>;
let store: Store;
let hook: FakeChannel;
let slack: FakeChannel;
let clock: PinnedClock;
let logs: ReturnType<typeof memoryLogger>;

function target(type: 'webhook' | 'slack', id: string, url: string): [string, DispatchTarget] {
  const module = NOTIFIERS.get(type)!;
  const raw = type === 'webhook' ? { id, type, url: `${url}/in?token=${HOOK_TOKEN}`, secret: 'shared-secret-123456' } : { id, type, webhookUrl: `${url}/services/T/B/${HOOK_TOKEN}` };
  const config = module.configSchema.parse(raw);
  return [id, { notifier: module.create(config, { fetch: globalThis.fetch, clock, logger: logs.logger, sleep: async () => undefined, stdout: process.stdout, displayTimezone: 'UTC' }), channel: module.channel, config, module }];
}

function dispatcher(s: Store = store, settings: DeliverySettings = SETTINGS): Dispatcher {
  return new Dispatcher({
    store: s,
    notifiers: new Map([target('webhook', 'soar', hook.url), target('slack', 'slack-sec', slack.url)]),
    clock,
    logger: logs.logger,
    settings,
    sleep: async () => undefined,
    actor: 'test',
    displayTimezone: 'Europe/Berlin',
  });
}

const row = (id: number) => store.outboxRow(id)!;
const attempts = (id: number) => store.db.prepare('SELECT ok, reason, error FROM delivery_attempts WHERE outbox_id = ? ORDER BY id').all(id) as Array<{ ok: number; reason: string | null; error: string | null }>;
const enqueue = (notifier = 'soar', batch: NotificationBatch = sampleBatch()) => store.enqueue(notifier, batch.id, batch.kind, batch, [], clock.now())!;
const failureBatches = () => store.db.prepare(`SELECT notifier_id, batch_id, status, payload FROM outbox WHERE kind = 'delivery_failure' ORDER BY id`).all() as Array<{ notifier_id: string; batch_id: string; status: string; payload: string }>;

beforeEach(async () => {
  dir = tempDir();
  store = Store.open(join(dir.path, 'd.db'));
  hook = new FakeChannel('webhook');
  slack = new FakeChannel('slack');
  await hook.start();
  await slack.start();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  logs = memoryLogger();
});
afterEach(async () => {
  await hook.stop();
  await slack.stop();
  store.close();
  dir.cleanup();
});

describe('dispatcher', () => {
  it('a receiver that fails 4 times then recovers gets the batch exactly once, after doubling backoffs', async () => {
    const id = enqueue();
    hook.inject({ kind: 'status', status: 503, body: 'down' }, 4);
    const d = dispatcher(store, { ...SETTINGS, alertAfter: 10 });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(await d.deliverDue()).toEqual({ sent: 0, failed: 0, retrying: 1 });
      // Nothing is due again before the backoff has passed.
      expect(await d.deliverDue()).toEqual({ sent: 0, failed: 0, retrying: 0 });
      const wait = Date.parse(row(id).next_attempt_at) - clock.now().getTime();
      waits.push(wait);
      clock.advance(wait);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(await d.deliverDue()).toEqual({ sent: 1, failed: 0, retrying: 0 });
    expect(hook.accepted).toHaveLength(1);
    expect(hook.requests).toHaveLength(5);
    expect(row(id)).toMatchObject({ status: 'sent', attempts: 5, last_error: null });
    expect(attempts(id).map((a) => [a.ok, a.reason])).toEqual([[0, 'server'], [0, 'server'], [0, 'server'], [0, 'server'], [1, null]]);
    // More passes send nothing more.
    clock.advance(3_600_000);
    expect(await d.deliverDue()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    expect(hook.requests).toHaveLength(5);
    expect(logs.text()).not.toContain(HOOK_TOKEN);
  });

  it('honours Retry-After of a 429 when it is longer than the backoff', async () => {
    const id = enqueue();
    hook.inject({ kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': '30' } });
    await dispatcher().deliverDue();
    expect(Date.parse(row(id).next_attempt_at) - clock.now().getTime()).toBe(30_000);
    expect(attempts(id)[0]?.reason).toBe('rate_limited');
  });

  it.each([
    ['seconds', String(3 * 365 * 86_400)],
    ['an HTTP date', new Date(Date.parse('2029-11-22T10:00:00.000Z')).toUTCString()],
  ])('a 429 whose Retry-After (%s) is years away waits at most maxBackoff, is retried until maxAge, and says so', async (_what, retryAfter) => {
    const id = enqueue();
    hook.inject({ kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': retryAfter } }, 100);
    const d = dispatcher(store, { ...SETTINGS, maxAge: 300_000, alertAfter: 100 });
    await d.deliverDue();
    expect(row(id)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(Date.parse(row(id).next_attempt_at) - clock.now().getTime()).toBe(SETTINGS.maxBackoff);
    const first = attempts(id)[0]?.error ?? '';
    // Stored for people (`events`, `status`, the console): in displayTimezone, zone named.
    expect(first).toMatch(/^the webhook receiver answered HTTP 429; next attempt at 2026-11-22 11:01 GMT\+1 \(the channel asked to wait \d+d( \d+h)?; mfawatch waits at most delivery\.maxBackoff, 1m, and keeps trying until delivery\.maxAge\)$/);
    expect(first.match(/retry|again|next attempt/g)).toHaveLength(1);
    for (let i = 0; i < 10 && row(id).status === 'pending'; i++) {
      clock.set(row(id).next_attempt_at);
      await d.deliverDue();
    }
    // Attempts a minute apart, at 0 to 5 minutes; a seventh would start past the 5 minutes of maxAge.
    expect(row(id)).toMatchObject({ status: 'failed', attempts: 6 });
    expect(row(id).last_error).toMatch(/gave up after 6 attempts over 5m \(the next would pass delivery\.maxAge, 5m\); once the channel works, `mfawatch redeliver --notifier soar` sends it$/);
    expect(row(id).last_error).not.toMatch(/next attempt|will retry/);
  });

  it('one log line per failed attempt says once what happened and once what mfawatch does next', async () => {
    enqueue();
    hook.inject({ kind: 'status', status: 503, body: 'down', headers: { 'content-type': 'text/plain' } });
    await dispatcher().deliverDue();
    const line = logs.lines().find((l) => String(l.msg).startsWith('delivery to webhook failed'));
    // A JSON log line keeps UTC ISO, whatever displayTimezone says; the stored error is for people.
    expect(line?.msg).toBe('delivery to webhook failed: the webhook receiver answered HTTP 503: down; next attempt at 2026-11-22T10:00:01.000Z');
    expect(String(line?.msg).match(/retry|retried|again|next attempt/g)).toHaveLength(1);
    expect(store.db.prepare(`SELECT error FROM delivery_attempts`).get()).toEqual({ error: 'the webhook receiver answered HTTP 503: down; next attempt at 2026-11-22 11:00 GMT+1' });
  });

  it('a newer batch never overtakes an older one waiting in backoff for the same notifier; other notifiers go on', async () => {
    const older = enqueue('soar', { ...sampleBatch(), id: 'scan-1' });
    hook.inject({ kind: 'status', status: 503, body: 'down' });
    const d = dispatcher();
    await d.deliverDue();
    expect(row(older)).toMatchObject({ status: 'pending', attempts: 1 });
    const newer = enqueue('soar', { ...sampleBatch(), id: 'scan-2' });
    const elsewhere = enqueue('slack-sec', { ...sampleBatch(), id: 'scan-2' });
    // scan-2 is due, scan-1 is not: scan-2 waits for it at the webhook, Slack takes scan-2 at once.
    expect(await d.deliverDue()).toEqual({ sent: 1, failed: 0, retrying: 0 });
    expect(row(newer)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(row(elsewhere).status).toBe('sent');
    clock.set(row(older).next_attempt_at);
    expect(await d.deliverDue()).toEqual({ sent: 2, failed: 0, retrying: 0 });
    expect(hook.bodies<{ id: string }>().map((b) => b.id)).toEqual(['scan-1', 'scan-2']);
  });

  it('a head that fails for good (4xx) lets the next batch go', async () => {
    const first = enqueue('soar', { ...sampleBatch(), id: 'scan-1' });
    const second = enqueue('soar', { ...sampleBatch(), id: 'scan-2' });
    hook.inject({ kind: 'status', status: 400, body: 'bad' });
    await dispatcher().deliverDue();
    expect(row(first).status).toBe('failed');
    expect(row(second).status).toBe('sent');
  });

  it('a notifier that ignores its abort signal cannot hold its lane past the timeout', async () => {
    const [id, real] = target('webhook', 'soar', hook.url);
    const deaf: DispatchTarget = { ...real, notifier: { send: () => new Promise<void>(() => undefined) } };
    const d = new Dispatcher({ store, notifiers: new Map([[id, deaf]]), clock, logger: logs.logger, settings: { ...SETTINGS, timeout: 200 }, sleep: async () => undefined, actor: 'test', displayTimezone: 'Europe/Berlin' });
    const rowId = enqueue();
    expect(await d.deliverDue()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    expect(attempts(rowId)[0]).toMatchObject({ reason: 'timeout' });
    expect(attempts(rowId)[0]?.error).toMatch(/^webhook did not accept the message within 200ms \(delivery\.timeout\)/);
  });

  it('a 4xx is marked failed at once, not retried, audited, and the other notifiers get one delivery_failure alert', async () => {
    const a = enqueue();
    const b = enqueue('soar', { ...sampleBatch(), id: 'scan-43' });
    hook.inject({ kind: 'status', status: 400, body: { error: 'bad' } }, 10);
    const d = dispatcher();
    const t = await d.deliverDue();
    expect(t.failed).toBe(2);
    expect(row(a)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row(b)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(hook.requests).toHaveLength(2);
    clock.advance(86_400_000);
    await d.deliverDue();
    expect(hook.requests).toHaveLength(2);
    expect(store.auditRows().filter((r) => r.action === 'delivery.failed')).toHaveLength(2);
    // One alert, not one per failed row, delivered through Slack.
    expect(failureBatches().map((f) => [f.notifier_id, f.status])).toEqual([['slack-sec', 'sent']]);
    expect(slack.accepted).toHaveLength(1);
    const message = slack.bodies<{ text: string }>()[0]!;
    expect(message.text).toMatch(/HIGH: mfawatch cannot deliver alerts to webhook \(notifier soar\)/);
    expect(JSON.stringify(slack.bodies())).toMatch(/rejected the batch with HTTP 400/);
    expect(JSON.stringify(slack.bodies())).not.toContain(HOOK_TOKEN);
  });

  it('a failing notice says "since" in displayTimezone to a channel people read, in UTC ISO to one machines read', async () => {
    // The webhook fails: Slack (people) is told.
    const toHook = enqueue('soar');
    hook.inject({ kind: 'status', status: 502, body: 'bad gateway' }, 3);
    const d = dispatcher();
    for (let i = 0; i < 3; i++) {
      await d.deliverDue();
      clock.set(row(toHook).next_attempt_at);
    }
    const slackText = JSON.stringify(slack.bodies());
    expect(slackText).toContain('have failed 3 time(s) in a row since 2026-11-22 11:00 GMT+1. Last error: the webhook receiver answered HTTP 502.');
    expect(slackText).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    await d.deliverDue();
    expect(row(toHook).status).toBe('sent');
    // Slack fails: the webhook (machines) is told, its words and its notifierHealth in UTC ISO.
    clock.set('2026-11-22T12:00:00.000Z');
    const toSlack = enqueue('slack-sec', { ...sampleBatch(), id: 'scan-2' });
    slack.inject({ kind: 'status', status: 500, body: 'oops' }, 3);
    for (let i = 0; i < 3; i++) {
      await d.deliverDue();
      clock.set(row(toSlack).next_attempt_at);
    }
    const notice = hook.bodies<NotificationBatch>().find((b) => b.kind === 'delivery_failure' && b.notifierHealth?.notifierId === 'slack-sec');
    expect(notice?.text).toContain('in a row since 2026-11-22T12:00:00.000Z. Last error:');
    expect(notice?.notifierHealth?.since).toBe('2026-11-22T12:00:00.000Z');
  });

  it('after alertAfter transient failures in a row: one alert; later failures add none; the recovery is told once', async () => {
    const id = enqueue();
    hook.inject({ kind: 'status', status: 502, body: 'bad gateway' }, 6);
    const d = dispatcher();
    for (let i = 0; i < 6; i++) {
      await d.deliverDue();
      clock.set(row(id).next_attempt_at);
    }
    const failing = failureBatches();
    expect(failing).toHaveLength(1);
    expect(failing[0]?.batch_id).toMatch(/^notifier-failing-soar-/);
    expect(JSON.parse(failing[0]!.payload)).toMatchObject({ kind: 'delivery_failure', severity: 'high', notifierHealth: { notifierId: 'soar', state: 'failing', failures: 3 } });
    await d.deliverDue();
    expect(row(id).status).toBe('sent');
    const after = failureBatches();
    expect(after).toHaveLength(2);
    expect(after[1]?.batch_id).toMatch(/^notifier-recovered-soar-/);
    expect(slack.bodies<{ text: string }>().map((b) => b.text.split(' — ')[0])).toEqual([
      '[mfawatch] HIGH: mfawatch cannot deliver alerts to webhook (notifier soar)',
      '[mfawatch] INFO: mfawatch delivers to webhook again (notifier soar)',
    ]);
    // Further successes say nothing more.
    enqueue('soar', { ...sampleBatch(), id: 'scan-44' });
    await d.deliverDue();
    expect(failureBatches()).toHaveLength(2);
    expect(store.auditRows().map((r) => r.action).filter((a) => a.startsWith('notifier.'))).toEqual(['notifier.failing', 'notifier.recovered']);
  });

  it('gives up on a transient failure once the next try would pass maxAge', async () => {
    const id = enqueue();
    hook.inject({ kind: 'status', status: 500, body: 'x' }, 100);
    const d = dispatcher(store, { ...SETTINGS, maxAge: 10_000, alertAfter: 100 });
    for (let i = 0; i < 10 && row(id).status === 'pending'; i++) {
      await d.deliverDue();
      clock.set(row(id).next_attempt_at);
    }
    expect(row(id)).toMatchObject({ status: 'failed', attempts: 4 });
  });

  it('a receiver that never answers is a transient timeout, not a permanent failure', async () => {
    const id = enqueue();
    hook.inject({ kind: 'hang' }, 1);
    expect(await dispatcher().deliverDue()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    expect(row(id).status).toBe('pending');
    expect(attempts(id)[0]).toMatchObject({ ok: 0, reason: 'timeout' });
    expect(attempts(id)[0]?.error).toMatch(/^webhook did not accept the message within 1\.5s \(delivery\.timeout\): check the channel status and connectivity; next attempt at /);
  });

  it('a shutdown during a send leaves the row pending and due at once', async () => {
    const id = enqueue();
    hook.inject({ kind: 'hang' }, 1);
    const ac = new AbortController();
    const running = dispatcher(store, { ...SETTINGS, timeout: 60_000 }).deliverDue(ac.signal);
    for (let i = 0; i < 200 && hook.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await running;
    expect(row(id)).toMatchObject({ status: 'pending' });
    expect(Date.parse(row(id).next_attempt_at)).toBeLessThanOrEqual(clock.now().getTime());
    expect(attempts(id)[0]?.reason).toBe('aborted');
    expect(failureBatches()).toEqual([]);
  });

  it('scrubs a notifier\'s own secrets from whatever it throws before recording or logging it', async () => {
    const [id, real] = target('webhook', 'soar', hook.url);
    const leaky: DispatchTarget = { ...real, notifier: { send: () => Promise.reject(new Error(`socket closed talking to ${hook.url}/in?token=${HOOK_TOKEN} (token ${HOOK_TOKEN})`)) } };
    const d = new Dispatcher({ store, notifiers: new Map([[id, leaky]]), clock, logger: logs.logger, settings: SETTINGS, sleep: async () => undefined, actor: 'test', displayTimezone: 'Europe/Berlin' });
    const rowId = enqueue();
    await d.deliverDue();
    expect(row(rowId).last_error).toMatch(/\[redacted\]/);
    expect(row(rowId).last_error).not.toContain(HOOK_TOKEN);
    expect(logs.text()).not.toContain(HOOK_TOKEN);
  });

  it('a row for a notifier that is no longer configured fails with a clear error', async () => {
    const id = enqueue('gone');
    expect((await dispatcher().deliverDue()).failed).toBe(1);
    expect(row(id).last_error).toMatch(/notifier "gone" is no longer configured/);
  });
});
