/**
 * `mfawatch report`: every account of a 1,000-account organisation (no cap) as CSV, JSON, a
 * table and one self-contained HTML file; formula injection neutralised in CSV; hostile provider
 * text escaped in HTML; since when each account has lacked MFA; `status` says how many more there
 * are and how to see them, and folds many scopes into one table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStatus, type MonitorStatus, type StatusReport } from '../../src/cli/status.js';
import { csvCell } from '../../src/report/csv.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

describe('csvCell (OWASP CSV injection)', () => {
  const table: Array<[string | number | boolean | null, string]> = [
    ['alice', 'alice'],
    ['=HYPERLINK("https://evil.example","x")', `"'=HYPERLINK(""https://evil.example"",""x"")"`],
    ['+1+cmd|calc', "'+1+cmd|calc"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "\"'\r=1\""],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['say "hi"', '"say ""hi"""'],
    [null, ''],
    [true, 'true'],
  ];
  it.each(table)('%j → %s', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});

const GH_TOKEN = 'ghp_report_owner_token';
const HOSTILE = '<script>alert(1)</script>';
const FORMULA = '=HYPERLINK("https://evil.example","click")';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let clock: PinnedClock;
let path: string;

beforeEach(async () => {
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.generateMembers(958); // every 50th lacks 2FA, every 97th only has SMS
  for (let id = 10; id < 50; id++) gh.addMember({ id, login: `nomfa${id}`, role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 1, login: HOSTILE, role: 'admin', twoFactor: 'disabled' });
  gh.addMember({ id: 2, login: FORMULA, role: 'member', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    displayTimezone: 'UTC',
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', path], { env: { GH_TOKEN }, overrides: { clock } });

interface ReportJson {
  schema: string;
  filter: { monitor: string | null; withoutMfa: boolean };
  monitors: Array<{ id: string; accounts: number; withoutMfa: number; coverage: number }>;
  scopes: Array<{ monitorId: string; scope: string; accounts: number; withoutMfa: number }>;
  accounts: Array<Record<string, unknown> & { login: string; mfa: string; withoutMfaSince: string | null }>;
}

describe('mfawatch report', () => {
  it('lists every account of a 1,000-account org in CSV, JSON and a table, with since when each lacks MFA', async () => {
    expect((await cli('run')).code).toBe(0);
    gh.members.get(100_000)!.twoFactor = 'disabled'; // loses 2FA an hour after the baseline
    clock.advance(3_600_000);
    expect((await cli('run')).code).toBe(0);
    const lacking = [...gh.members.values()].filter((m) => m.twoFactor !== 'enabled').length;

    const csv = await cli('report', '--format', 'csv');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('monitorId,scope,accountId,login,email,displayName,kind,admin,mfa,factors,firstSeen,changedAt,withoutMfaSince');
    expect(lines).toHaveLength(1 + 1_000);
    expect(lines.find((l) => l.includes('HYPERLINK'))).toContain(`"'=HYPERLINK(""https://evil.example"",""click"")"`);
    expect(lines.find((l) => l.includes(',user100000,'))).toMatch(/,disabled,,2026-11-22T10:00:00\.000Z,2026-11-22T11:00:00\.000Z,2026-11-22T11:00:00\.000Z$/);
    expect(lines.find((l) => l.includes(',user100007,'))).toMatch(/,disabled,.*,2026-11-22T10:00:00\.000Z$/); // lacked it at the baseline

    const json = JSON.parse((await cli('report', '--format', 'json')).stdout) as ReportJson;
    expect(json.schema).toBe('mfawatch.report/v1');
    expect(json.accounts).toHaveLength(1_000);
    expect(json.monitors).toMatchObject([{ id: 'gh-acme', accounts: 1_000, withoutMfa: lacking }]);
    expect(json.scopes).toMatchObject([{ monitorId: 'gh-acme', accounts: 1_000, withoutMfa: lacking }]);
    // Every key present; absent values null.
    const keys = ['monitorId', 'scope', 'accountId', 'login', 'email', 'displayName', 'kind', 'admin', 'mfa', 'factors', 'url', 'firstSeen', 'changedAt', 'withoutMfaSince'];
    for (const a of json.accounts) expect(Object.keys(a)).toEqual(keys);
    expect(json.accounts.find((a) => a.login === 'user100001')).toMatchObject({ email: null, withoutMfaSince: null });

    const only = JSON.parse((await cli('report', '--format', 'json', '--without-mfa', '--monitor', 'gh-acme')).stdout) as ReportJson;
    expect(only.filter).toEqual({ monitor: 'gh-acme', withoutMfa: true });
    expect(only.accounts).toHaveLength(lacking);
    expect(only.accounts.every((a) => a.mfa === 'disabled' || a.mfa === 'weak')).toBe(true);

    const table = await cli('report');
    expect(table.stdout).toMatch(/^coverage per monitor scope\nmonitor\/scope +label +accounts +without MFA +coverage\ngh-acme +acme +1000 +\d+ +\d+\.\d%/);
    expect(table.stdout.split('\n').filter((l) => l.startsWith('gh-acme\t'))).toHaveLength(1_000);

    // status keeps its cap, says how many more there are and how to see all of them.
    const status = await cli('status');
    expect(status.stdout).toMatch(new RegExp(`… and ${lacking - 50} more: \`mfawatch report --without-mfa --monitor gh-acme\` lists all ${lacking}`));
  });

  it('HTML: one self-contained file, a coverage chart, hostile text escaped', async () => {
    await cli('run');
    gh.members.get(100_000)!.twoFactor = 'disabled';
    clock.advance(86_400_000);
    await cli('run');
    const out = join(dir.path, 'report.html');
    const written = await cli('report', '--format', 'html', '--output', out);
    expect(written.code).toBe(0);
    expect(written.stderr).toMatch(/wrote .*report\.html: 1000 account\(s\)/);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    // Self-contained: no script, no external resource of any kind.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=|url\(|@import/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('=HYPERLINK(&quot;https://evil.example&quot;,&quot;click&quot;)');
    // The chart: one SVG per monitor, a step line from the baseline to now, its last value named.
    const svgs = html.match(/<svg [^>]*>[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(1);
    expect(svgs[0]).toMatch(/<title>MFA coverage over time: gh-acme<\/title>/);
    expect(svgs[0]).toMatch(/<path d="M44\.0,[\d.]+H[\d.]+V[\d.]+H628\.0" class="line"\/>/);
    // Without MFA and for how long: the account that lost it a day ago, the others since the baseline.
    expect(html).toMatch(/<td>gh-acme<\/td><td>user100000<\/td><td><\/td><td>member<\/td><td><span class="bad">admin<\/span><\/td><td><span class="bad">none<\/span><\/td><td>2026-11-23 10:00 UTC<\/td><td>0ms<\/td>/);
    expect(html).toMatch(/<td>user100007<\/td>.*<td>2026-11-22 10:00 UTC<\/td><td>1d<\/td>/);
    // Well-formed enough to parse: every table row closed, tags balanced.
    for (const tag of ['table', 'tr', 'svg', 'h2']) expect((html.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length).toBe((html.match(new RegExp(`</${tag}>`, 'g')) ?? []).length);
  });

  it('refuses an unknown format or monitor', async () => {
    expect((await cli('report', '--format', 'xml')).stderr).toMatch(/--format "xml": use one of table, csv, json, html/);
    const unknown = await cli('report', '--monitor', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no monitor with id "nope"/);
  });
});

describe('status with many scopes', () => {
  const scope = (i: number, over: Partial<MonitorStatus> = {}): MonitorStatus => ({
    id: 'aws-org', type: 'aws-iam', provider: 'AWS IAM', scope: `11112222${String(i).padStart(4, '0')}`, label: `account-${i}`, health: 'ok',
    lastScan: { id: i, status: 'succeeded', startedAt: '2026-11-22T09:59:00.000Z', endedAt: '2026-11-22T10:00:00.000Z', requests: 3, error: null },
    lastSuccess: { at: '2026-11-22T10:00:00.000Z', dataAsOf: null, dataAsOfLabel: 'report generated', dataAgeSeconds: 0 }, consecutiveFailures: 0,
    accounts: 10, byState: { enabled: 9, weak: 0, disabled: 1, not_applicable: 0, unknown: 0 }, coverage: 0.9, withoutMfa: [], withoutMfaTotal: 1, notApplicable: [], warnings: [], running: null, ...over,
  });
  it('folds a monitor with more than four scopes into one table with a total row', () => {
    const failing = scope(3, { health: 'failing', lastScan: { id: 3, status: 'failed', startedAt: '2026-11-22T09:59:00.000Z', endedAt: '2026-11-22T10:00:00.000Z', requests: 1, error: { reason: 'permission', message: 'AccessDenied on sts:AssumeRole' } } });
    const report: StatusReport = { schema: 'mfawatch.status/v1', generatedAt: '2026-11-22T10:05:00.000Z', monitors: [scope(1), scope(2), failing, scope(4), scope(5)] };
    const text = renderStatus(report, new Date('2026-11-22T10:05:00.000Z'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('aws-org  (AWS IAM, 5 scopes)');
    expect(lines[1]).toMatch(/^ {2}scope +label +health +last success +accounts +without MFA +coverage$/);
    expect(lines.filter((l) => /^ {2}11112222\d{4} /.test(l))).toHaveLength(5);
    expect(text).toMatch(/111122220003 +account-3 +FAILING \(permission\)/);
    expect(text).toMatch(/ {2}total +5 scopes +1 not ok +50 +5 +90\.0%/);
    expect(text).toMatch(/111122220003: AccessDenied on sts:AssumeRole/);
    expect(text).toMatch(/5 account\(s\) without MFA: `mfawatch report --without-mfa --monitor aws-org` lists them all/);
    expect(text).not.toMatch(/last scan {6}/); // not one block per scope
  });
});
