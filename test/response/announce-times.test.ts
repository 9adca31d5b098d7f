/**
 * Times in kill announcements are for the channel's readers: Slack, Teams and e-mail (people) get
 * them in displayTimezone with the zone named, the webhook and stdout (machines) keep UTC ISO.
 * Through the real ResponseRunner, real SQLite and the real notifier modules' configs; what each
 * notifier would be sent is read from its outbox row.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFIERS } from '../../notifiers/index.js';
import type { NotificationBatch } from '../../notifiers/types.js';
import { ResponseStore } from '../../storage/responses.js';
import { Store } from '../../storage/store.js';
import type { ConfiguredNotifier } from '../../src/config/load.js';
import { ResponseRunner } from '../../src/response/runner.js';
import { PinnedClock, memoryLogger, tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let store: Store;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');

function configured(type: 'slack' | 'webhook', raw: Record<string, unknown>): ConfiguredNotifier {
  const module = NOTIFIERS.get(type)!;
  return { module, config: module.configSchema.parse({ id: type, type, ...raw }) };
}

function runner(): ResponseRunner {
  return new ResponseRunner({
    store,
    responders: [],
    identities: { map: {}, monitorTypes: new Map() },
    notifiers: [configured('slack', { webhookUrl: 'https://hooks.slack.com/services/T0/B0/abcdef' }), configured('webhook', { url: 'https://soar.example.com/in', secret: 'shared-secret-123456' })],
    clock,
    logger: memoryLogger().logger,
    actor: 'test',
    killTimeout: 60_000,
    displayTimezone: 'Europe/Berlin',
  });
}

const sentTo = (notifier: string) => store.db.prepare(`SELECT payload FROM outbox WHERE notifier_id = ? ORDER BY id`).all(notifier).map((r) => JSON.parse((r as { payload: string }).payload) as NotificationBatch);

beforeEach(() => {
  dir = tempDir();
  store = Store.open(join(dir.path, 'a.db'));
});
afterEach(() => {
  store.close();
  dir.cleanup();
});

describe('kill announcements: times for their readers', () => {
  it('a cancelled kill says when it was due: Berlin time to Slack, UTC ISO to the webhook', () => {
    new ResponseStore(store).insert({ identity: 'alice@example.com', origin: 'auto', status: 'scheduled', dryRun: false, createdAt: clock.now(), dueAt: new Date('2026-11-22T10:10:00.000Z'), actor: 'test' });
    expect(runner().cancel('alice@example.com', 'bob')).toHaveLength(1);
    expect(sentTo('slack').map((b) => b.text)).toEqual(['The kill scheduled for 2026-11-22 11:10 GMT+1 will not run.']);
    expect(sentTo('webhook').map((b) => b.text)).toEqual(['The kill scheduled for 2026-11-22T10:10:00.000Z will not run.']);
  });

  it('an interrupted kill says when it started: Berlin time to Slack, UTC ISO to the webhook', () => {
    new ResponseStore(store).insert({ identity: 'alice@example.com', origin: 'manual', status: 'running', dryRun: false, createdAt: clock.now(), dueAt: clock.now(), actor: 'test' });
    clock.advance(3_600_000);
    expect(runner().recoverInterrupted()).toHaveLength(1);
    expect(sentTo('slack')[0]?.text).toMatch(/^mfawatch stopped while killing the sessions of alice@example\.com \(started 2026-11-22 11:00 GMT\+1\)\. /);
    expect(sentTo('webhook')[0]?.text).toMatch(/^mfawatch stopped while killing the sessions of alice@example\.com \(started 2026-11-22T10:00:00\.000Z\)\. /);
  });
});
