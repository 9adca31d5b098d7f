/**
 * AWS Organizations discovery (`organization` on an aws-iam monitor), end to end through
 * `mfawatch run` with the real SDK clients against the Organizations fake (AWS JSON 1.1) and the
 * IAM/STS fake (Query): an organization of 30 accounts is scanned from one monitor entry, a 31st
 * account appears and is baselined (announced) at the next scan, a suspended account is left
 * out, an account whose role cannot be assumed fails on its own while the others scan, and a
 * denied ListAccounts says which action was denied and commits nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeOrganizations, ROOT_ID } from '../fakes/organizations.js';
import { eventLines, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const MGMT = '999999999999';
const KEY = 'AKIAFAKEORGANIZATION1';
const SECRET = 'organizationSecretKeyThatMustNeverBePrint';
const ROLE = 'MfawatchAudit';
const member = (i: number) => String(100_000_000_000 + i);

let aws: FakeAws;
let org: FakeOrganizations;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: {}, overrides: { clock } });

function addOrgAccount(id: string, options: { role?: boolean; state?: 'ACTIVE' | 'SUSPENDED' } = {}): void {
  aws.addAccount(id, { alias: `acme-${id.slice(-2)}`, roles: options.role === false ? {} : { [ROLE]: null } });
  aws.addUser(id, { name: `dev-${id.slice(-2)}`, password: true, devices: ['virtual'] });
  org.accounts.push({ id, name: `Acme ${id.slice(-2)}`, state: options.state ?? 'ACTIVE' });
}

beforeEach(async () => {
  aws = new FakeAws();
  org = new FakeOrganizations();
  org.managementAccount = MGMT;
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: KEY, secret: SECRET }, roles: { [ROLE]: null } });
  org.accounts.push({ id: MGMT, name: 'Acme management', state: 'ACTIVE' });
  for (let i = 1; i <= 29; i++) addOrgAccount(member(i));
  await aws.start();
  await org.start();
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    health: { failureThreshold: 1 },
    monitors: [{ id: 'aws-org', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url, organizations: org.url }, maxAttempts: 1, organization: { roleName: ROLE } }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  await org.stop();
  dir.cleanup();
});

describe('aws-iam organization', () => {
  it('scans every ACTIVE account of a 30-account organization from one entry, and baselines a 31st at the next scan', async () => {
    addOrgAccount(member(90), { state: 'SUSPENDED' });
    const first = await cli('run');
    expect(first.code, first.stderr).toBe(0);
    expect(org.listCalls()).toBe(2); // 31 accounts listed over two pages of 20
    const baselines = eventLines<{ type: string; scope: string }>(first.stdout).filter((e) => e.type === 'baseline');
    expect(baselines).toHaveLength(30);
    expect(baselines.map((e) => e.scope)).not.toContain(member(90));
    expect(first.stderr).toContain(`aws-org/${member(1)}: baseline ok`);
    // Every account was reached through the role, in that account.
    expect(aws.actions().filter((a) => a === 'sts:AssumeRole')).toHaveLength(30);

    addOrgAccount(member(31));
    const second = await cli('run');
    expect(second.code, second.stderr).toBe(0);
    const announced = eventLines<{ type: string; scope: string; summary: string }>(second.stdout).filter((e) => e.type === 'baseline');
    expect(announced.map((e) => e.scope)).toEqual([member(31)]);
    expect(second.stderr).toContain(`aws-org/${member(31)}: baseline ok, 2 accounts`);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<{ scope: string; label: string; health: string }> };
    expect(status.monitors).toHaveLength(31);
    expect(status.monitors.every((m) => m.health === 'ok')).toBe(true);
  });

  it('an account whose role cannot be assumed fails on its own (scan_failed), the others scan', async () => {
    addOrgAccount(member(50), { role: false });
    const out = await cli('run');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`aws-org/${member(50)}: scan failed: STS refused to let mfawatch assume arn:aws:iam::${member(50)}:role/${ROLE}`));
    const events = eventLines<{ type: string; scope: string }>(out.stdout);
    expect(events.filter((e) => e.type === 'scan_failed').map((e) => e.scope)).toEqual([member(50)]);
    expect(events.filter((e) => e.type === 'baseline')).toHaveLength(30);
  });

  it('a denied ListAccounts says which action, from where, and commits nothing', async () => {
    org.denied = 'You don\'t have permissions to access this resource.';
    const out = await cli('run');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`aws-org: scan failed: AWS Organizations refused organizations:ListAccounts from account ${MGMT} (AccessDeniedException)`);
    expect(aws.actions().filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('include and exclude pick accounts by organizational unit, nested units included', async () => {
    org.units.set('ou-ab12-prod0001', ROOT_ID);
    org.units.set('ou-ab12-prodeu01', 'ou-ab12-prod0001');
    for (const [i, ou] of [[1, 'ou-ab12-prod0001'], [2, 'ou-ab12-prodeu01'], [3, 'ou-ab12-prodeu01']] as const) {
      const account = org.accounts.find((a) => a.id === member(i));
      if (account) account.parent = ou;
    }
    configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'aws-org', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url, organizations: org.url }, maxAttempts: 1, organization: { roleName: ROLE, include: ['ou-ab12-prod0001'], exclude: [member(3)] } }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const out = await cli('run');
    expect(out.code, out.stderr).toBe(0);
    expect(eventLines<{ type: string; scope: string }>(out.stdout).filter((e) => e.type === 'baseline').map((e) => e.scope).sort()).toEqual([member(1), member(2)]);
  });

  it('include and exclude pick accounts by id; organization excludes accountId/accounts', async () => {
    configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'aws-org', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url, organizations: org.url }, maxAttempts: 1, organization: { roleName: ROLE, include: [member(1), member(2), member(3)], exclude: [member(2)] } }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const out = await cli('run');
    expect(out.code, out.stderr).toBe(0);
    expect(eventLines<{ type: string; scope: string }>(out.stdout).filter((e) => e.type === 'baseline').map((e) => e.scope).sort()).toEqual([member(1), member(3)]);
    const bad = writeConfig(dir.path, { monitors: [{ id: 'a', type: 'aws-iam', accountId: MGMT, organization: { roleName: 'bad name!' } }] }, 'bad.json');
    const check = await runCli(['config', 'check', '--config', bad]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('monitors[0].organization.roleName: must be an IAM role name');
    expect(check.stderr).toContain('monitors[0].organization: use "organization" (every account of the organization) or "accountId"/"accounts", not both');
  });
});
