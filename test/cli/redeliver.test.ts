/**
 * `mfawatch redeliver`: a channel that rejected alerts for good (a removed webhook: 404) is fixed,
 * and the failed deliveries are queued again and delivered, exactly once; audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../storage/store.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_redeliver_token';
let gh: FakeGitHub;
let hook: FakeChannel;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  await gh.start();
  hook = new FakeChannel('webhook');
  await hook.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './r.db',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'redeliver-secret-1234' }, { id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  await hook.stop();
  dir.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { T: TOKEN } });

describe('mfawatch redeliver', () => {
  it('queues the deliveries that failed for good and delivers them once the channel is fixed', async () => {
    hook.inject({ kind: 'status', status: 404, body: 'no such hook' }, 100);
    const first = await cli('run');
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/deliveries: \d+ sent, 1 failed, 0 still pending/);
    // The other notifier was told, and says how to recover.
    expect(first.stdout).toMatch(/mfawatch redeliver --notifier soar/);
    expect(hook.accepted).toHaveLength(0);

    hook.clearFaults();
    expect((await cli('redeliver', '--notifier', 'nope')).code).toBe(2);
    const again = await cli('redeliver', '--notifier', 'soar');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/1 failed delivery queued again/);
    expect(hook.accepted).toHaveLength(1);
    expect(JSON.parse(hook.accepted[0]!.body)).toMatchObject({ kind: 'changes', events: [{ type: 'baseline' }] });

    const nothing = await cli('redeliver');
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toMatch(/nothing to redeliver/);
    // A time for people: in displayTimezone, zone named, not UTC ISO.
    expect(nothing.stderr).toMatch(/ since \d{4}-\d\d-\d\d \d\d:\d\d [A-Z][A-Za-z+\-\d:]*\n/);
    expect(hook.accepted).toHaveLength(1);

    const store = Store.open(`${dir.path}/r.db`);
    try {
      expect(store.auditRows().filter((r) => r.action === 'delivery.requeued').map((r) => JSON.parse(r.detail) as unknown)).toEqual([{ rows: 1, since: '7d' }]);
    } finally {
      store.close();
    }
  });
});
