/**
 * `retention`: history, change events and finished deliveries older than their limits are removed
 * after a cycle; a delivery still pending is kept however old, current account state is kept,
 * the audit log is never pruned (and still verifies), and what was removed is audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_retention_test_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let clock: PinnedClock;
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { GH_TOKEN: TOKEN }, overrides: { clock } });
const count = (sql: string) => {
  const db = new Database(join(dir.path, 'state.db'), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  clock = new PinnedClock('2026-01-01T10:00:00.000Z');
  configPath = writeConfig(dir.path, {
    database: './state.db',
    retention: { history: '30d', events: '30d', deliveries: '30d' },
    // The webhook stays down: its delivery is retried for 90 days, so it is still pending in March.
    delivery: { runDeadline: '1s', initialBackoff: '100ms', maxAge: '90d' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'out', type: 'stdout' }, { id: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/never', secret: 'not-a-real-secret-0123456789' }],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

describe('retention', () => {
  it('removes old history, events and finished deliveries, keeps pending ones, current state and the audit log', async () => {
    await cli('run'); // baseline on 1 January: history, a baseline event, one delivery sent (stdout) and one pending (webhook down)
    expect(count(`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`)).toBe(1);
    expect(count(`SELECT count(*) AS n FROM outbox WHERE status = 'sent'`)).toBe(1);

    clock.set('2026-03-01T10:00:00.000Z'); // 59 days later
    gh.members.get(2)!.twoFactor = 'disabled';
    const later = await cli('run');
    expect(later.stdout).toContain('mfa_disabled');

    // January's rows are gone, except the baseline event that a pending delivery still refers to.
    expect(count(`SELECT count(*) AS n FROM account_history WHERE at < '2026-02-01'`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM outbox WHERE created_at < '2026-02-01' AND status != 'pending'`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM outbox WHERE created_at < '2026-02-01' AND status = 'pending'`)).toBe(1);
    expect(count(`SELECT count(*) AS n FROM events WHERE type = 'baseline'`)).toBe(1);
    // March's are there, and so is the current state of both accounts.
    expect(count(`SELECT count(*) AS n FROM account_history WHERE at >= '2026-03-01'`)).toBe(1);
    expect(count(`SELECT count(*) AS n FROM accounts`)).toBe(2);
    const audit = (await cli('audit', 'export')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; detail: Record<string, number> });
    const prunes = audit.filter((a) => a.action === 'retention.prune');
    expect(prunes).toHaveLength(1);
    expect(prunes[0]?.detail).toMatchObject({ history: 2, deliveries: 1, events: 0 });
    expect((await cli('audit', 'verify')).code).toBe(0);
    expect(count(`SELECT count(*) AS n FROM audit WHERE at < '2026-02-01'`)).toBeGreaterThan(0);

    // Once the old delivery is given up on (failed, as past delivery.maxAge), its event goes too.
    const db = new Database(join(dir.path, 'state.db'));
    db.prepare(`UPDATE outbox SET status = 'failed' WHERE status = 'pending' AND created_at < '2026-02-01'`).run();
    db.close();
    await cli('run');
    expect(count(`SELECT count(*) AS n FROM events WHERE type = 'baseline'`)).toBe(0);
  });

  it('rejects a limit that is not a duration, with its path', async () => {
    configPath = writeConfig(dir.path, { retention: { events: 'forever' }, monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x' }] }, 'bad.json');
    const out = await cli('config', 'check');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('retention.events: "forever" is not a duration');
  });
});
