/**
 * Events through the real CLI and the GitHub fake: `mfawatch run` drains the fast probe (a member
 * turning 2FA off is alerted from the event, and the scan of the same run does not repeat it);
 * `status` shows the source, its cost and a failing verification; `mfawatch start` receives a
 * signed webhook on `inbound.listen` and the alert follows.
 */
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { FakeGitHub } from '../fakes/github.js';
import { delivery, organizationEvent } from '../fakes/github-webhooks.js';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_cli_events_owner';
const SECRET = 'cli-events-webhook-secret';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;

const env = { T: TOKEN, S: SECRET };
function config(extra: Record<string, unknown> = {}, events: Record<string, unknown> = { probe: '60s' }) {
  return writeConfig(dir.path, {
    database: './state.db',
    schedule: '0 0 1 1 *',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0, events }],
    notifiers: [{ id: 'out', type: 'stdout' }],
    ...extra,
  });
}

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(30);
  await gh.start();
  dir = tempDir();
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('mfawatch run with the GitHub probe', () => {
  it('alerts a member who turned 2FA off from the probe, once; the scan of the same run says nothing more', async () => {
    const path = config();
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    gh.members.get(2)!.twoFactor = 'disabled';
    const out = await runCli(['run', '--config', path], { env });
    expect(out.code, out.stderr).toBe(0);
    const lines = eventLines<{ type: string; login: string; detail?: { via?: string } }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(lines.map((e) => [e.type, e.login, e.detail?.via])).toEqual([['mfa_disabled', 'bob', 'event']]);
    expect(out.stderr).toMatch(/events: 1 received, 1 account\(s\) verified, 1 change\(s\)/);
    expect(out.stderr).toMatch(/gh: scan ok, 32 accounts, 0 change\(s\)/);

    const status = await runCli(['status', '--config', path], { env });
    expect(status.stdout).toMatch(/gh probe \(pulled\): ok/);
    expect(status.stdout).toMatch(/cost {11}2 request\(s\) per poll, about 120 per hour/);
    const json = JSON.parse((await runCli(['status', '--json', '--config', path], { env })).stdout) as { events: { eventSources: Array<Record<string, unknown>> } };
    expect(json.events.eventSources[0]).toMatchObject({ monitorId: 'gh', source: 'probe', kind: 'pull', health: 'ok', received: 1, requestsPerPoll: 2, requestsPerHour: 120 });
  });

  it('a verification that fails is kept, visible in status, and the exit code says so; the next run finishes it', async () => {
    const path = config();
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    gh.members.get(2)!.twoFactor = 'disabled';
    // The probe's listing works; the verification's GET /user/2 fails.
    gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 1, (r) => r.path === '/user/2');
    const failed = await runCli(['run', '--config', path, '--monitor', 'gh'], { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/1 verification\(s\) failed \(kept; see mfawatch status\)/);
    const status = await runCli(['status', '--config', path], { env });
    expect(status.stdout).toMatch(/pending verifications \(1\)/);
    expect(status.stdout).toMatch(/gh bob: 1 event\(s\) since .*1 failed attempt\(s\), last: server: GitHub returned 502/);
    // The scan of that same run saw bob's change and reported it (the scan reconciles); the hint
    // is verified on the next run and finds the state already right: no second alert.
    const again = await runCli(['run', '--config', path], { env });
    expect(again.code, again.stderr).toBe(0);
    const db = new Database(join(dir.path, 'state.db'), { readonly: true });
    try {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM events WHERE type = 'mfa_disabled'`).get()).toEqual({ n: 1 });
      expect(db.prepare(`SELECT status, outcome FROM event_hints`).all()).toEqual([{ status: 'done', outcome: 'unchanged' }]);
    } finally {
      db.close();
    }
  });
});

describe('mfawatch start with the webhook', () => {
  it('receives a signed delivery on inbound.listen and the alert follows; a bad signature is refused', async () => {
    const port = await freePort();
    const path = config({ inbound: { listen: `127.0.0.1:${port}` } }, { webhookSecret: '${S}', probe: false });
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', path], { env, stopSignal });
    const db = () => new Database(join(dir.path, 'state.db'), { readonly: true });
    const count = (sql: string) => {
      const d = db();
      try {
        return (d.prepare(sql).get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        d.close();
      }
    };
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    await until(() => count(`SELECT COUNT(*) AS n FROM scans WHERE status = 'succeeded'`) > 0);
    gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
    const post = (d: { headers: Record<string, string>; body: string }) => fetch(`http://127.0.0.1:${port}/hooks/gh`, { method: 'POST', headers: d.headers, body: d.body });
    const payload = organizationEvent('acme', 'member_added', { id: 7, login: 'mallory' });
    expect((await post(delivery('wrong', 'organization', payload))).status).toBe(401);
    expect((await post(delivery(SECRET, 'organization', payload))).status).toBe(202);
    await until(() => count(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND batch_id LIKE 'events-%'`) > 0);
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    const alerts = eventLines<{ type: string; login: string; severity: string }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(alerts.map((e) => [e.type, e.login, e.severity])).toEqual([['account_added', 'mallory', 'critical']]);
    expect(out.stderr).toMatch(/receiving webhooks/);
  });
});

describe('mfawatch start with the probe', () => {
  it('a member turning 2FA off is alerted within one probe interval, from the daemon’s poll loop', async () => {
    const path = config({}, { probe: '10s' });
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', path], { env, stopSignal });
    const read = <T>(sql: string, fallback: T): T => {
      try {
        const d = new Database(join(dir.path, 'state.db'), { readonly: true });
        try {
          return d.prepare(sql).get() as T;
        } finally {
          d.close();
        }
      } catch {
        return fallback;
      }
    };
    const until = async (what: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    };
    // The baseline scan and the probe's first poll (which records the list) at start.
    await until(() => read<{ n: number }>(`SELECT COUNT(*) AS n FROM scans WHERE status = 'succeeded'`, { n: 0 }).n > 0 && read<{ polls: number } | undefined>(`SELECT polls FROM event_sources WHERE source = 'probe'`, undefined)?.polls === 1, 20_000);
    gh.members.get(2)!.twoFactor = 'disabled';
    await until(() => read<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND batch_id LIKE 'events-%'`, { n: 0 }).n > 0, 25_000);
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    const alerts = eventLines<{ type: string; login: string; detail?: { source?: string } }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(alerts.map((e) => [e.type, e.login, e.detail?.source])).toEqual([['mfa_disabled', 'bob', 'probe']]);
  }, 40_000);
});
