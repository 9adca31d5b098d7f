/**
 * `mfawatch run` and `status` end to end against the AWS IAM/STS fake, with credentials from the
 * environment (the SDK's own provider chain, never the config file) and state in a temp SQLite
 * file: console users and root losing MFA alert, API-only users never do, and every AWS account
 * is committed on its own.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAws } from '../fakes/aws-iam.js';
import { type CliResult, eventLines, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const KEY = 'AKIAFAKEPIPELINEKEY1';
const SECRET = 'pipelineSecretKeyThatMustNeverBePrinted00';

let aws: FakeAws;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');

function events(out: CliResult): Array<Record<string, unknown>> {
  return eventLines(out.stdout);
}
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: {}, overrides: { clock } });

beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: KEY, secret: SECRET }, rootMfa: 'virtual' });
  aws.addAccount(PROD, { alias: 'acme-prod', roles: { 'mfawatch-audit': null } });
  aws.addAccount(DEV, {});
  aws.addUser(MGMT, { name: 'alice@acme.example', password: true, devices: ['virtual'] });
  aws.addUser(MGMT, { name: 'bob', password: true, devices: [] });
  aws.addUser(MGMT, { name: 'ci-deployer', password: false, devices: [], accessKey: true });
  aws.addUser(PROD, { name: 'pat', password: true, devices: ['hardware_totp'] });
  await aws.start();
  // Credentials reach the SDK through its own default chain (environment provider), as in production.
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
  const endpoint = { iam: aws.url, sts: aws.url };
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [
      { id: 'aws-mgmt', type: 'aws-iam', endpoint, maxAttempts: 1 },
      { id: 'aws-org', type: 'aws-iam', endpoint, maxAttempts: 1, accounts: [{ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit` }, { roleArn: `arn:aws:iam::${DEV}:role/mfawatch-audit`, label: 'dev' }] },
    ],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  dir.cleanup();
});

describe('mfawatch run with aws-iam', () => {
  it('baselines each account, alerts console users and root losing MFA (root critical), never API-only users, isolates a failing account', async () => {
    const first = await cli('run');
    expect(first.code).toBe(1); // the dev account's role cannot be assumed
    expect(first.stderr).toContain(`aws-mgmt/${MGMT}: baseline ok, 4 accounts`);
    expect(first.stderr).toContain(`aws-org/${PROD}: baseline ok, 2 accounts`);
    expect(first.stderr).toMatch(new RegExp(`aws-org/${DEV}: scan failed: STS refused to let mfawatch assume`));
    const baselines = events(first);
    expect(baselines.map((e) => `${e.type}:${e.scope}`).sort()).toEqual([`baseline:${MGMT}`, `baseline:${PROD}`]);
    expect(String(baselines.find((e) => e.scope === MGMT)?.summary)).toContain('acme-mgmt (111111111111): 4 accounts, 1 without MFA');

    // Changes in AWS; the next credential report (generated 07:00) shows them.
    const mgmt = aws.accounts.get(MGMT)!;
    mgmt.users.get('alice@acme.example')!.devices = [];
    mgmt.users.get('ci-deployer')!.devices = ['virtual']; // API-only: no alert either way
    mgmt.rootMfa = null;
    mgmt.reportGeneratedAt = new Date('2026-11-22T07:00:00Z');
    const second = await cli('run');
    const changes = events(second);
    expect(changes.map((e) => [e.type, e.login, e.severity, e.scope])).toEqual(
      expect.arrayContaining([
        ['mfa_disabled', 'alice@acme.example', 'high', MGMT],
        ['mfa_disabled', 'root', 'critical', MGMT],
      ]),
    );
    expect(changes).toHaveLength(2);
    expect(changes.some((e) => e.login === 'ci-deployer')).toBe(false);
    expect(String(changes.find((e) => e.login === 'root')?.summary)).toBe('the root account disabled MFA');

    // The API-only user loses its device again: still silent.
    mgmt.users.get('ci-deployer')!.devices = [];
    const third = await cli('run');
    // Only the dev account's health alert (third failure in a row); nothing about ci-deployer.
    expect(events(third).map((e) => [e.type, e.scope])).toEqual([['scan_failed', DEV]]);

    const status = await cli('status');
    expect(status.stdout).toContain(`aws-mgmt/${MGMT}  (AWS IAM acme-mgmt (${MGMT}))`);
    expect(status.stdout).toContain('credential report generated 3h ago');
    expect(status.stdout).toContain('4: 0 with MFA, 0 weak, 3 without, 1 not applicable (API-only)');
    expect(status.stdout).toMatch(/none {4}root \[admin\] \[root\]/);
    expect(status.stdout).toContain('API-only (1, MFA not applicable): ci-deployer');
    expect(status.stdout).toMatch(new RegExp(`aws-org/${DEV}  \\(AWS IAM dev\\)\\n  last scan      FAILED \\(permission\\)`));
    const json = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<{ scope: string; lastSuccess: { dataAsOfLabel: string } | null }> };
    expect(json.monitors.find((m) => m.scope === MGMT)?.lastSuccess?.dataAsOfLabel).toBe('credential report generated');
    for (const out of [first, second, third, status]) expect(out.stdout + out.stderr).not.toContain(SECRET);
  });

  it('records a failure to learn the account id as a failed scan, then drops that row once the account is known', async () => {
    aws.accounts.get(MGMT)!.denied.add('sts:GetCallerIdentity');
    const failed = await cli('run', '--monitor', 'aws-mgmt');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/aws-mgmt: scan failed: AWS denied sts:GetCallerIdentity/);
    let status = await cli('status');
    expect(status.stdout).toMatch(/aws-mgmt {2}\(AWS IAM aws-mgmt\)\n {2}last scan {6}FAILED \(permission\)/);

    aws.accounts.get(MGMT)!.denied.clear();
    const ok = await cli('run', '--monitor', 'aws-mgmt');
    expect(ok.code).toBe(0);
    status = await cli('status');
    expect(status.stdout).toContain(`aws-mgmt/${MGMT}  (AWS IAM acme-mgmt (${MGMT}))`);
    expect(status.stdout).not.toMatch(/^aws-mgmt {2}\(/m);
  });

  it('says where credentials come from when the default provider chain finds none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    const out = await cli('run', '--monitor', 'aws-mgmt');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/aws-mgmt: scan failed: no AWS credentials were found for sts:GetCallerIdentity.*AWS_PROFILE/);
  });
});
