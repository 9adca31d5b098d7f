/**
 * Listings cut at a row or page boundary (issue 12, item 10) and mass "all clear" (item 5),
 * through the CLI against the GitHub fake: a cut that leaves no trace in the listing itself must
 * not become `account_removed`, and 2FA listings answering empty must not become `mfa_enabled`.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import type { RecordedRequest } from '../fakes/http.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_truncation_owner_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN } });
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { GH_TOKEN: TOKEN } });
const events = (out: CliResult) => eventLines<{ type: string; login: string | null; summary: string; detail?: Record<string, unknown> }>(out.stdout);
const query = <T>(sql: string): T => {
  const db = new Database(join(dir.path, 'state.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T;
  } finally {
    db.close();
  }
};
const accounts = () => query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM accounts')[0]?.n;
const lastScan = () => query<Array<{ status: string; error_message: string | null; warnings: string }>>('SELECT status, error_message, warnings FROM scans ORDER BY id DESC LIMIT 1')[0];

function configure(): void {
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, outsideCollaborators: false }],
    notifiers: [{ id: 'out', type: 'stdout' }],
  });
}

afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

describe('a member listing cut at a page boundary (250 members, pages of 100)', () => {
  beforeEach(async () => {
    gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    gh.generateMembers(250);
    await gh.start();
    dir = tempDir();
    configure();
    const baseline = await run();
    expect(baseline.code, baseline.stderr).toBe(0);
  });

  it('a last page cut from 50 to 40 rows without a Link header fails against the member count: no false removal', async () => {
    gh.boundaryQuirk = { kind: 'short_last', rows: 40 };
    const cut = await run();
    expect(cut.code).toBe(1);
    expect(events(cut).filter((e) => e.type === 'account_removed')).toEqual([]);
    expect(lastScan()).toMatchObject({ status: 'failed' });
    expect(lastScan()?.error_message).toMatch(/GitHub listed 240 members of acme where the organisation counts 250 .*nothing was committed/);
    expect(accounts()).toBe(250);
    gh.boundaryQuirk = null;
    const good = await run();
    expect(good.code).toBe(0);
    expect(events(good).filter((e) => e.type !== 'scan_recovered')).toEqual([]);
  });

  it('a first page whose rel="last" lies (page 3 never fetched) fails against the member count', async () => {
    gh.boundaryQuirk = { kind: 'last_lies' };
    const before = gh.requests.length;
    const cut = await run();
    expect(cut.code).toBe(1);
    expect(gh.requests.slice(before).filter((r) => r.query.get('filter') === 'all' && !r.query.get('role') && r.query.get('page') === '3')).toEqual([]);
    expect(events(cut).filter((e) => e.type === 'account_removed')).toEqual([]);
    expect(lastScan()?.error_message).toMatch(/listed 200 members of acme where the organisation counts 250/);
    expect(accounts()).toBe(250);
  });

  describe('where GitHub gives no member count (GraphQL refused)', () => {
    beforeEach(() => {
      gh.memberCount = null;
    });

    it('the cut page\'s 10 members are kept until a second scan agrees; the next good scan clears them: no event at all', async () => {
      gh.boundaryQuirk = { kind: 'short_last', rows: 40 };
      const cut = await run();
      expect(cut.code, cut.stderr).toBe(0);
      expect(events(cut)).toEqual([]);
      expect(accounts()).toBe(250);
      expect(lastScan()?.warnings).toMatch(/10 accounts missing from this listing .* are kept until the next scan confirms they are gone/);
      const status = await cli('status');
      expect(status.stdout).toMatch(/10 accounts missing from this listing/);
      gh.boundaryQuirk = null;
      const good = await run();
      expect(events(good)).toEqual([]);
      expect(query<unknown[]>('SELECT * FROM pending_removals')).toEqual([]);
      // A real departure later still needs its second scan, and then is reported once.
      gh.members.delete(100_005);
      expect(events(await run())).toEqual([]);
      const confirmed = await run();
      expect(events(confirmed).map((e) => [e.type, e.login])).toEqual([['account_removed', 'user100005']]);
      expect(accounts()).toBe(249);
      expect(events(await run())).toEqual([]);
    });

    it('a rel="last" lie losing 50 of 250 (exactly 20%) is held by the inclusive guard', async () => {
      gh.boundaryQuirk = { kind: 'last_lies' };
      const cut = await run();
      expect(cut.code).toBe(1);
      expect(events(cut).map((e) => e.type)).toEqual(['anomaly']);
      expect(events(cut)[0]?.summary).toMatch(/remove 50 and downgrade 0 of 250 accounts \(20%, at or above the 20% guard\)/);
      expect(lastScan()).toMatchObject({ status: 'held' });
      expect(accounts()).toBe(250);
    });
  });
});

describe('a mass "all clear": the 2FA listings answer 200 []', () => {
  const twoFactorListing = (r: RecordedRequest) => ['2fa_disabled', '2fa_insecure'].includes(r.query.get('filter') ?? '');

  beforeEach(async () => {
    gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    // 50 members, 11 without MFA (8 without 2FA, one of them an owner; 3 with SMS only).
    for (let i = 1; i <= 50; i++) {
      gh.addMember({ id: i, login: `m${i}`, role: i === 1 ? 'admin' : 'member', twoFactor: i <= 8 ? 'disabled' : i <= 11 ? 'insecure' : 'enabled' });
    }
    await gh.start();
    dir = tempDir();
    configure();
    expect((await run()).code).toBe(0);
  });

  it('is held with one anomaly alert naming the admin; coverage is unchanged; nothing is resolved', async () => {
    gh.inject({ kind: 'status', status: 200, body: [] }, 1000, twoFactorListing);
    const held = await run();
    expect(held.code).toBe(1);
    expect(events(held).map((e) => e.type)).toEqual(['anomaly']);
    expect(events(held)[0]?.summary).toMatch(/MFA turned on for 11 of the 11 accounts without MFA \(1 admin among them\) at once .*mfawatch accept gh/);
    expect(events(held)[0]?.detail).toMatchObject({ upgraded: 11 });
    const status = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<{ withoutMfa: unknown[]; lastScan: { status: string } }> };
    expect(status.monitors[0]?.lastScan.status).toBe('held');
    expect(query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM accounts WHERE mfa != 'enabled'`)[0]?.n).toBe(11);
    // The provider recovers: the hold is discarded, nothing was ever "enabled".
    gh.clearFaults();
    const back = await run();
    expect(back.code).toBe(0);
    expect(events(back)).toEqual([]);
  });

  it('mfawatch accept commits it on an operator\'s word: 11 mfa_enabled, once', async () => {
    gh.inject({ kind: 'status', status: 200, body: [] }, 1000, twoFactorListing);
    await run();
    const accepted = await cli('accept', 'gh');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(events(accepted).filter((e) => e.type === 'mfa_enabled')).toHaveLength(11);
  });

  it('a few people enabling 2FA is not held', async () => {
    for (const id of [2, 3]) gh.members.get(id)!.twoFactor = 'enabled';
    const out = await run();
    expect(out.code).toBe(0);
    expect(events(out).map((e) => e.type)).toEqual(['mfa_enabled', 'mfa_enabled']);
  });
});
