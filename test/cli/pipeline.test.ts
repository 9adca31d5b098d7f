/**
 * The core pipeline end to end through the CLI, on a temp SQLite file, against the GitHub fake:
 * baseline → changes → unchanged run sends nothing → failed scan changes nothing → recovery.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { FakeGitHub } from '../fakes/github.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_pipeline_owner_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

function events(out: CliResult): Array<Record<string, unknown>> {
  return eventLines(out.stdout);
}

const run = (...extra: string[]) => runCli(['run', '--config', configPath, ...extra], { env: { GH_TOKEN: TOKEN } });
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { GH_TOKEN: TOKEN } });

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'carol', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 4, login: 'dave', role: 'member', twoFactor: 'disabled' });
  gh.generateMembers(230);
  gh.addOutsideCollaborator({ id: 50, login: 'victor', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './state.db',
    health: { failureThreshold: 2 },
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

describe('mfawatch run', () => {
  it('baseline, then exactly the events of DESIGN.md, then silence, then a failed scan that changes nothing', async () => {
    // 1. baseline: one summary event, never one per account
    const first = await run();
    expect(first.code).toBe(0);
    const baseline = events(first);
    expect(baseline.map((e) => e.type)).toEqual(['baseline']);
    expect(baseline[0]?.detail).toMatchObject({ accounts: 235, withoutMfaTotal: expect.any(Number) });
    expect(String(baseline[0]?.summary)).toMatch(/first scan of GitHub acme: 235 accounts/);

    // 2. changes at GitHub
    gh.members.get(2)!.twoFactor = 'disabled'; // bob loses 2FA
    gh.members.get(3)!.twoFactor = 'insecure'; // carol keeps only SMS
    gh.members.get(4)!.twoFactor = 'enabled'; // dave enables 2FA
    gh.members.get(1)!.twoFactor = 'disabled'; // alice (owner) loses 2FA
    gh.members.delete(100_010); // someone leaves
    gh.addMember({ id: 77, login: 'mallory', role: 'admin', twoFactor: 'disabled' }); // owner joins without 2FA
    gh.members.get(100_011)!.role = 'admin'; // promoted
    gh.members.get(100_012)!.login = 'renamed-user'; // rename: same account, no event
    gh.outsideCollaborators.get(50)!.twoFactor = 'disabled'; // outside collaborator loses 2FA
    const second = await run();
    expect(second.code).toBe(0);
    const changes = events(second).map((e) => [e.type, e.login, e.severity]);
    expect(changes).toEqual(
      expect.arrayContaining([
        ['mfa_disabled', 'alice', 'critical'],
        ['mfa_disabled', 'bob', 'high'],
        ['mfa_weakened', 'carol', 'medium'],
        ['mfa_enabled', 'dave', 'info'],
        ['account_removed', 'user100010', 'info'],
        ['account_added', 'mallory', 'critical'],
        ['privilege_changed', 'user100011', 'medium'],
        ['mfa_disabled', 'victor', 'high'],
      ]),
    );
    expect(changes).toHaveLength(8);
    const bob = events(second).find((e) => e.login === 'bob');
    expect(bob).toMatchObject({ accountId: '2', before: { mfa: 'enabled' }, after: { mfa: 'disabled' }, monitorId: 'gh-acme' });

    // 3. unchanged: nothing is sent
    const third = await run();
    expect(third.code).toBe(0);
    expect(events(third)).toEqual([]);

    // 4. a failed scan (page 2 of the member list fails) changes nothing and exits 1
    gh.members.delete(100_020);
    gh.members.get(100_021)!.twoFactor = 'disabled';
    gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 100, (r) => r.query.get('page') === '2');
    const failed = await run();
    expect(failed.code).toBe(1);
    expect(events(failed)).toEqual([]);
    expect(failed.stderr).toMatch(/gh-acme: scan failed: GitHub returned 502/);
    const statusAfterFailure = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<Record<string, unknown>> };
    expect(statusAfterFailure.monitors[0]).toMatchObject({ accounts: 235, health: 'failing', consecutiveFailures: 1, lastScan: { status: 'failed', error: { reason: 'server' } } });

    // 5. the next good scan reports exactly the real changes, nothing spurious
    gh.clearFaults();
    const recovered = await run();
    expect(recovered.code).toBe(0);
    expect(events(recovered).map((e) => [e.type, e.login])).toEqual(
      expect.arrayContaining([
        ['account_removed', 'user100020'],
        ['mfa_disabled', 'user100021'],
      ]),
    );
    expect(events(recovered)).toHaveLength(2);
  });

  it('sends scan_failed after N failures in a row, once, then scan_recovered', async () => {
    expect((await run()).code).toBe(0);
    gh.inject({ kind: 'status', status: 401, body: { message: 'Bad credentials' } }, 1000);
    const f1 = await run();
    expect(f1.code).toBe(1);
    expect(events(f1)).toEqual([]);
    const f2 = await run();
    expect(events(f2).map((e) => [e.type, e.severity])).toEqual([['scan_failed', 'high']]);
    expect(String(events(f2)[0]?.summary)).toMatch(/2 scans in a row failed \(auth\)/);
    const f3 = await run();
    expect(events(f3)).toEqual([]);
    gh.clearFaults();
    const ok = await run();
    expect(events(ok).map((e) => e.type)).toEqual(['scan_recovered']);
  });

  it('stores events even when no notifier is configured', async () => {
    writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url }],
      notifiers: [],
    });
    expect((await run()).code).toBe(0);
    const db = new Database(join(dir.path, 'state.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 1 });
    db.close();
  });

  it('creates the database with mode 0600', async () => {
    await run();
    expect(statSync(join(dir.path, 'state.db')).mode & 0o777).toBe(0o600);
  });

  it('refuses an unknown --monitor with exit 2', async () => {
    const out = await run('--monitor', 'nope');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/no monitor with id "nope"; configured: gh-acme/);
  });
});

describe('mfawatch status, events, history', () => {
  it('status --json has the documented shape with coverage and the accounts without MFA', async () => {
    await run();
    const status = JSON.parse((await cli('status', '--json')).stdout) as { schema: string; monitors: Array<Record<string, unknown>> };
    expect(status.schema).toBe('mfawatch.status/v1');
    const m = status.monitors[0]!;
    expect(m).toMatchObject({ id: 'gh-acme', type: 'github', provider: 'GitHub', label: 'acme', health: 'ok', accounts: 235, consecutiveFailures: 0 });
    const without = m.withoutMfa as Array<{ login: string }>;
    expect(without.map((a) => a.login)).toContain('dave');
    expect(m.withoutMfaTotal).toBe(without.length);
    expect(m.coverage).toBeCloseTo((235 - (m.withoutMfaTotal as number)) / 235, 5);
    const text = await cli('status');
    expect(text.stdout).toMatch(/MFA coverage\s+\d+\.\d%/);
    expect(text.stdout).toMatch(/none\s+dave/);
  });

  it('events shows type, severity, account and delivery state; history shows an account over time', async () => {
    await run();
    gh.members.get(2)!.twoFactor = 'disabled';
    await run();
    const json = JSON.parse((await cli('events', '--json', '--since', '1d')).stdout) as { events: Array<Record<string, unknown>> };
    const bob = json.events.find((e) => e.type === 'mfa_disabled');
    expect(bob).toMatchObject({ login: 'bob', accountId: '2', severity: 'high', deliveries: [{ notifier: 'siem', status: 'sent', attempts: 1 }] });
    const text = (await cli('events')).stdout;
    expect(text).toMatch(/HIGH {5}\d{4}-\d\d-\d\d \d\d:\d\d \S+ {2}mfa_disabled\s+gh-acme bob \(id 2\)/);
    expect(text).toMatch(/before: mfa=enabled .* after: mfa=disabled/);
    const history = (await cli('history', 'bob')).stdout.trim().split('\n');
    expect(history).toHaveLength(2);
    expect(history[0]).toMatch(/added\s+bob .*mfa=enabled/);
    expect(history[1]).toMatch(/changed\s+bob .*mfa=disabled/);
    expect((await cli('history', 'nobody')).code).toBe(2);
    expect((await cli('events', '--since', 'yesterday')).code).toBe(2);
  });
});
