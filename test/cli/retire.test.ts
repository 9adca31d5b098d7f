/**
 * Retiring what left the config (issue 16): an AWS account removed from an aws-iam monitor's
 * `accounts`, or a whole monitor removed, no longer shows as failing in `status` and no longer
 * keeps /healthz at 503; its data stays, listed as no longer watched, until `mfawatch forget`,
 * which asks on a terminal (or takes --yes), refuses what is still configured, and is audited.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startObservabilityServer } from '../../src/observability/server.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { memoryLogger, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const KEY = 'AKIAFAKERETIREKEY001';
const SECRET = 'retireSecretKeyThatMustNeverBePrinted0000';

let aws: FakeAws;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');

const roles = (...accounts: string[]) => accounts.map((a) => ({ roleArn: `arn:aws:iam::${a}:role/mfawatch-audit` }));
function configure(orgAccounts: string[], withMgmt = true): void {
  const endpoint = { iam: aws.url, sts: aws.url };
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    health: { failureThreshold: 1 },
    monitors: [...(withMgmt ? [{ id: 'aws-mgmt', type: 'aws-iam', endpoint, maxAttempts: 1 }] : []), { id: 'aws-org', type: 'aws-iam', endpoint, maxAttempts: 1, accounts: roles(...orgAccounts) }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
}
const cli = (args: string[], confirm?: (q: string) => Promise<boolean>) => runCli([...args, '--config', configPath], { env: {}, overrides: { clock }, ...(confirm ? { confirm } : {}) });

async function healthz(): Promise<{ status: number; body: { monitors: Array<{ id: string; scope: string }> } }> {
  const app = createApp(loadConfig(configPath, {}), { clock, logger: memoryLogger().logger });
  const server = await startObservabilityServer(app, '127.0.0.1:0');
  try {
    const res = await fetch(`${server.url}/healthz`);
    return { status: res.status, body: (await res.json()) as { monitors: Array<{ id: string; scope: string }> } };
  } finally {
    await server.close();
    app.close();
  }
}

beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: KEY, secret: SECRET } });
  aws.addAccount(PROD, { alias: 'acme-prod', roles: { 'mfawatch-audit': null } });
  aws.addAccount(DEV, {}); // its audit role is missing: every scan of it fails
  aws.addUser(MGMT, { name: 'alice', password: true, devices: ['virtual'] });
  aws.addUser(PROD, { name: 'pat', password: true, devices: ['hardware_totp'] });
  await aws.start();
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  dir.cleanup();
});

describe('what left the config', () => {
  it('an account removed from the config stops failing status and /healthz; its data stays until forget', async () => {
    configure([PROD, DEV]);
    expect((await cli(['run'])).code).toBe(1); // DEV cannot be scanned
    const failing = JSON.parse((await cli(['status', '--json'])).stdout) as { monitors: Array<{ id: string; scope: string; health: string }> };
    expect(failing.monitors.find((m) => m.scope === DEV)?.health).toBe('failing');
    expect((await healthz()).status).toBe(503);

    // DEV leaves the config: nothing of it counts any more.
    configure([PROD]);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { monitors: Array<{ id: string; scope: string; health: string }>; retired: Array<{ monitorId: string; scope: string; monitorConfigured: boolean }> };
    expect(status.monitors.map((m) => `${m.id}/${m.scope}:${m.health}`).sort()).toEqual([`aws-mgmt/${MGMT}:ok`, `aws-org/${PROD}:ok`]);
    expect(status.retired).toEqual([expect.objectContaining({ monitorId: 'aws-org', scope: DEV, monitorConfigured: true })]);
    const text = await cli(['status']);
    expect(text.stdout).toContain('no longer in the config (not watched; data kept until `mfawatch forget`):');
    expect(text.stdout).toContain(`aws-org/${DEV}`);
    expect(text.stdout).not.toMatch(/FAILED/);
    const health = await healthz();
    expect(health.status).toBe(200);
    expect(health.body.monitors.map((m) => `${m.id}/${m.scope}`).sort()).toEqual([`aws-mgmt/${MGMT}`, `aws-org/${PROD}`]);
    expect((await cli(['run'])).code).toBe(0);

    // forget: refused for what is still configured, asked on a terminal, audited.
    const stillThere = await cli(['forget', `aws-org/${PROD}`, '--yes']);
    expect(stillThere.code).toBe(2);
    expect(stillThere.stderr).toContain(`aws-org/${PROD} is still in the config`);
    const noTerminal = await cli(['forget', `aws-org/${DEV}`]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('not on a terminal: pass --yes to confirm');
    const questions: string[] = [];
    const declined = await cli(['forget', `aws-org/${DEV}`], async (q) => (questions.push(q), false));
    expect(declined.code).toBe(1);
    expect(questions).toEqual([`Forget aws-org/${DEV}: 1 scope(s), 0 account(s) and their history? Change events and the audit log are kept.`]);
    const forgot = await cli(['forget', `aws-org/${DEV}`], async () => true);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toContain(`forgot aws-org/${DEV}`);
    const after = JSON.parse((await cli(['status', '--json'])).stdout) as { retired: unknown[] };
    expect(after.retired).toEqual([]);
    const audit = (await cli(['audit', 'export'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; subject: string; detail: { scope: string | null } });
    expect(audit.filter((a) => a.action === 'forget')).toEqual([expect.objectContaining({ subject: 'aws-org', detail: expect.objectContaining({ scope: DEV }) })]);
    expect((await cli(['forget', `aws-org/${DEV}`, '--yes'])).stderr).toContain(`mfawatch has no data of "aws-org/${DEV}"`);
  });

  it('a monitor removed from the config is listed as no longer watched and forgotten with all its scopes', async () => {
    configure([PROD]);
    expect((await cli(['run'])).code).toBe(0);
    configure([PROD], false);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { monitors: Array<{ id: string }>; retired: Array<{ monitorId: string; scope: string; accounts: number; monitorConfigured: boolean }> };
    expect(status.monitors.map((m) => m.id)).toEqual(['aws-org']);
    expect(status.retired).toEqual([expect.objectContaining({ monitorId: 'aws-mgmt', scope: MGMT, accounts: 2, monitorConfigured: false })]);
    expect((await healthz()).status).toBe(200);
    const forgot = await cli(['forget', 'aws-mgmt', '--yes']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toContain('forgot aws-mgmt: 1 scope(s), 2 account(s) and their history');
    expect((await cli(['history', 'alice'])).code).toBe(2); // the account and its history are gone
    expect((await cli(['history', 'pat'])).code).toBe(0); // the other monitor's are not
  });
});
