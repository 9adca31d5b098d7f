/**
 * Delivery order and bounds through the CLI (issue 12, items 1 and 2), against the channels'
 * fakes on loopback and a real SQLite file:
 * - PagerDuty answering 503: user5 turns 2FA off (run A), on again (run B); PagerDuty recovers;
 *   user5 turns it off again (run C). PagerDuty must receive trigger(A), resolve(B), trigger(C) in
 *   that order, and the incident ends triggered; a webhook failing alongside sees A, B, C in order.
 *   The clock is pinned and moves only when the dispatcher sleeps, so that run C starts while
 *   batch A waits in backoff: the moment a newer batch used to overtake it.
 * - `mfawatch start` with a receiver that never answers: a healthy channel still gets every batch,
 *   and the daemon stops when asked (its delivery passes are bounded too).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationBatch } from '../../notifiers/types.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_delivery_order_token_0123456789';
const PD_KEY = 'PDKEYdeliveryOrder'.padEnd(32, '7');
const DELIVERY = { timeout: '1500ms', runDeadline: '3s', initialBackoff: '300ms', maxBackoff: '1s' };

let gh: FakeGitHub;
let pd: FakeChannel;
let hook: FakeChannel;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 5, login: 'user5', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(48);
  await gh.start();
  pd = new FakeChannel('pagerduty');
  hook = new FakeChannel('webhook');
  await pd.start();
  await hook.start();
  dir = tempDir();
});
afterEach(async () => {
  await gh.stop();
  await pd.stop();
  await hook.stop();
  dir.cleanup();
});

/**
 * PagerDuty's events about user5 in the order PagerDuty accepted them: "trigger#<mfawatch event
 * id>" (A and C are both triggers: the id tells them apart), "resolve".
 */
const pdActions = () =>
  pd
    .bodies<{ event_action: string; dedup_key: string; payload?: { custom_details?: { mfawatchEventId?: number } } }>()
    .filter((e) => e.dedup_key === 'mfawatch/gh/account/5')
    .map((e) => (e.event_action === 'trigger' ? `trigger#${e.payload?.custom_details?.mfawatchEventId ?? '?'}` : e.event_action));
/** The webhook's changes of user5 ("<type>#<event id>"), in the order it accepted them. */
const hookChanges = () =>
  hook
    .bodies<NotificationBatch>()
    .filter((b) => b.kind === 'changes')
    .flatMap((b) => b.events.filter((e) => e.accountId === '5').map((e) => `${e.type}#${e.id}`));
/** user5's change events (A, B, C), oldest first, as "<type>#<id>". */
function user5Events(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT id, type FROM events WHERE account_id = '5' ORDER BY id`).all() as Array<{ id: number; type: string }>).map((e) => `${e.type}#${e.id}`);
  } finally {
    db.close();
  }
}

describe('delivery order', () => {
  it('PagerDuty 503 during off (A) and on (B), then recovered for off (C): trigger, resolve, trigger, in that order; the webhook sees A, B, C in order', async () => {
    const clock = new PinnedClock('2026-12-01T09:00:00.000Z');
    // Time moves only when mfawatch waits: a backoff of 300 ms is 300 ms of this clock.
    const sleep = async (ms: number) => clock.advance(ms);
    const configPath = writeConfig(dir.path, {
      database: './order.db',
      log: { level: 'warn' },
      delivery: DELIVERY,
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
      notifiers: [
        { id: 'pd', type: 'pagerduty', routingKey: '${PD_KEY}', url: pd.url },
        { id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'order-hmac-secret-0123456789' },
      ],
    });
    const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN, PD_KEY }, overrides: { clock, sleep } });

    expect((await run()).code).toBe(0);
    clock.advance(3_600_000);

    pd.inject({ kind: 'status', status: 503, body: { status: 'error', message: 'Service Unavailable' } }, 1_000);
    hook.inject({ kind: 'status', status: 503, body: 'down' }, 1_000);
    gh.members.get(5)!.twoFactor = 'disabled';
    expect((await run()).code, 'run A: PagerDuty answers 503').toBe(1);
    clock.advance(60_000);
    gh.members.get(5)!.twoFactor = 'enabled';
    expect((await run()).code, 'run B: PagerDuty answers 503').toBe(1);
    expect(pdActions()).toEqual([]);

    // PagerDuty and the webhook recover; run C starts at once, while batch A still waits in backoff.
    pd.clearFaults();
    hook.clearFaults();
    const db = new Database(join(dir.path, 'order.db'), { readonly: true });
    const headDueAt = (db.prepare(`SELECT next_attempt_at FROM outbox WHERE notifier_id = 'pd' AND status = 'pending' ORDER BY id LIMIT 1`).get() as { next_attempt_at: string }).next_attempt_at;
    db.close();
    expect(Date.parse(headDueAt), 'batch A is in backoff when run C starts').toBeGreaterThan(clock.now().getTime());
    gh.members.get(5)!.twoFactor = 'disabled';
    const c = await run();
    expect(c.code, c.stderr).toBe(0);

    const [a, b, c3] = user5Events(join(dir.path, 'order.db'));
    expect([a, b, c3].map((e) => e?.split('#')[0])).toEqual(['mfa_disabled', 'mfa_enabled', 'mfa_disabled']);
    const id = (e: string | undefined) => e?.split('#')[1];
    expect(pdActions(), 'trigger(A), resolve(B), trigger(C)').toEqual([`trigger#${id(a)}`, 'resolve', `trigger#${id(c3)}`]);
    expect(pdActions().at(-1), 'the incident ends triggered, as user5 is without MFA').toMatch(/^trigger#/);
    expect(hookChanges(), 'the webhook saw A, B, C in order').toEqual([a, b, c3]);
    const status = await runCli(['status', '--json', '--config', configPath], { env: { GH_TOKEN: TOKEN, PD_KEY }, overrides: { clock } });
    const monitors = (JSON.parse(status.stdout) as { monitors: Array<{ withoutMfa: Array<{ login: string }> }> }).monitors;
    expect(monitors[0]?.withoutMfa.map((a) => a.login)).toContain('user5');
  });
});

describe('mfawatch start with a receiver that never answers', () => {
  it('a healthy channel gets every batch while the other hangs, and the daemon stops when asked', async () => {
    const configPath = writeConfig(dir.path, {
      database: './daemon.db',
      log: { level: 'warn' },
      // Every second (node-cron's seconds field): each scan that sees a change queues a batch.
      schedule: '* * * * * *',
      delivery: DELIVERY,
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
      notifiers: [
        { id: 'stuck', type: 'pagerduty', routingKey: '${PD_KEY}', url: pd.url },
        { id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'order-hmac-secret-0123456789' },
      ],
    });
    pd.inject({ kind: 'hang' }, 100_000);
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { GH_TOKEN: TOKEN, PD_KEY }, stopSignal });
    const waitFor = async (what: string, test: () => boolean) => {
      for (let i = 0; i < 600 && !test(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(test(), what).toBe(true);
    };
    await waitFor('the baseline reaches the healthy webhook', () => hook.bodies<NotificationBatch>().some((b) => b.kind === 'changes'));
    // Three more batches while PagerDuty holds every request open.
    for (const state of ['disabled', 'enabled', 'disabled'] as const) {
      const before = hookChanges().length;
      gh.members.get(5)!.twoFactor = state;
      await waitFor(`user5 ${state} reaches the healthy webhook`, () => hookChanges().length > before);
    }
    expect(hookChanges()).toEqual(user5Events(join(dir.path, 'daemon.db')));
    expect(pd.requests.length, 'PagerDuty was being tried all along').toBeGreaterThan(0);
    expect(pd.accepted).toHaveLength(0);
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    const db = new Database(join(dir.path, 'daemon.db'), { readonly: true });
    try {
      const pending = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE notifier_id = 'stuck' AND status = 'pending'`).get() as { n: number };
      expect(pending.n, 'what PagerDuty did not take stays queued').toBeGreaterThan(0);
      expect(db.prepare(`SELECT COUNT(*) AS n FROM leases`).get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 60_000);
});
