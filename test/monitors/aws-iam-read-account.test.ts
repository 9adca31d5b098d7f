/**
 * readAccount of the aws-iam monitor through the real IAMClient against the Query-protocol fake:
 * the verified reading of one user (or root) must equal what a scan of the same mode observes of
 * that account (ARN, kind, admin, email, MFA state, factors, credentials), or the next scan would
 * flap the account and alert again. Also: credentials in scans, `gone`, errors.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsIamConfigSchema } from '../../monitors/aws-iam/config.js';
import { createAwsIamMonitor } from '../../monitors/aws-iam/index.js';
import type { Monitor } from '../../monitors/types.js';
import { ProviderError } from '../../src/core/errors.js';
import type { Observation } from '../../src/core/types.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const BASE_KEY = 'AKIAFAKEBASEKEY00001';
const BASE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET';
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

let aws: FakeAws;
beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: BASE_KEY, secret: BASE_SECRET }, rootMfa: 'virtual' });
  await aws.start();
});
afterEach(async () => {
  await aws.stop();
});

function monitorFor(over: Record<string, unknown> = {}): Monitor {
  const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', accountId: MGMT, endpoint: { iam: aws.url, sts: aws.url }, ...over });
  return createAwsIamMonitor(config, testDeps(), { credentials: { accessKeyId: BASE_KEY, secretAccessKey: BASE_SECRET }, retryStrategy: new ConfiguredRetryStrategy(3, 5) });
}

function seed(account = MGMT): void {
  aws.accounts.get(account)!.groups.set('admins', { attached: [ADMIN_POLICY], inline: {} });
  aws.addUser(account, { name: 'alice@acme.example', password: true, devices: ['virtual', 'security_key'], accessKeys: [{ id: 'AKIAALICE00000000001', status: 'Active' }], groups: ['admins'] });
  aws.addUser(account, { name: 'bob', password: true, devices: [], tags: { email: 'Bob@Acme.example' }, accessKeys: [{ id: 'AKIABOB0000000000001', status: 'Inactive' }, { id: 'AKIABOB0000000000002', status: 'Active' }] });
  aws.addUser(account, { name: 'ci-deployer', path: '/service/', password: false, devices: [], accessKey: true, attached: [ADMIN_POLICY] });
  aws.addUser(account, { name: 'carol', password: true, devices: ['hardware_totp'] });
  aws.addUser(account, { name: 'api-with-mfa', password: false, devices: ['virtual'] });
}

const read = (m: Monitor, account: { login?: string; accountId?: string }, scope = MGMT) => m.readAccount!({ id: scope, label: scope }, account, AbortSignal.timeout(10_000));
const iamActions = () => aws.actions().filter((a) => a.startsWith('iam:'));

describe.each([
  ['live', {}],
  ['report', {}],
  ['live', { emailTag: 'email', detectAdmins: true }],
  ['report', { emailTag: 'email', detectAdmins: true }],
])('readAccount equals the scan of the same mode (%s, %j)', (mode, options) => {
  it('for every IAM user (by login) and for root', async () => {
    seed();
    const monitor = monitorFor({ mode, ...options });
    const scan = await collectScan(monitor, testDeps().logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(6);
    for (const o of scan.observations) {
      const reading = await read(monitor, o.kind === 'root' ? { accountId: o.accountId, login: 'root' } : { login: o.login });
      expect(reading).toEqual({ status: 'present', observation: o });
    }
  });
});

describe('readAccount', () => {
  it('reads a user by ARN alone, path included, with the scan\'s calls for that user (live)', async () => {
    seed();
    const monitor = monitorFor({ mode: 'live' });
    aws.requests.length = 0;
    const reading = await read(monitor, { accountId: `arn:aws:iam::${MGMT}:user/service/ci-deployer` });
    expect(reading).toMatchObject({ status: 'present', observation: { accountId: `arn:aws:iam::${MGMT}:user/service/ci-deployer`, login: 'ci-deployer', mfa: 'not_applicable' } });
    expect(iamActions()).toEqual(['iam:GetUser', 'iam:GetLoginProfile', 'iam:ListAccessKeys']);
  });

  it('reflects the change an event announced: a device deactivated, a key created, a password added', async () => {
    seed();
    const monitor = monitorFor({ mode: 'live' });
    const before = await read(monitor, { login: 'alice@acme.example' });
    expect(before).toMatchObject({ observation: { mfa: 'enabled', factors: ['virtual', 'security_key'], credentials: ['password', 'access_key:AKIAALICE00000000001'] } });
    const alice = aws.user(MGMT, 'alice@acme.example');
    alice.devices = [];
    alice.keys.push({ id: 'AKIAALICE00000000002', status: 'Active' });
    expect(await read(monitor, { login: 'alice@acme.example' })).toMatchObject({ observation: { mfa: 'disabled', factors: [], credentials: ['password', 'access_key:AKIAALICE00000000001', 'access_key:AKIAALICE00000000002'] } });
    aws.user(MGMT, 'ci-deployer').password = true;
    expect(await read(monitor, { login: 'ci-deployer' })).toMatchObject({ observation: { mfa: 'disabled', credentials: ['password', expect.stringMatching(/^access_key:AKIA/)] } });
  });

  it('is gone only when IAM says NoSuchEntity, or the name now belongs to a user with another ARN', async () => {
    seed();
    const monitor = monitorFor({ mode: 'live' });
    expect(await read(monitor, { login: 'mallory' })).toEqual({ status: 'gone', account: { login: 'mallory' } });
    const oldArn = { accountId: `arn:aws:iam::${MGMT}:user/old-path/carol`, login: 'carol' };
    expect(await read(monitor, oldArn)).toEqual({ status: 'gone', account: oldArn });
  });

  it('reads root from GetAccountSummary (and its device kind from the virtual devices in live mode)', async () => {
    const monitor = monitorFor({ mode: 'live' });
    const rootArn = `arn:aws:iam::${MGMT}:root`;
    expect(await read(monitor, { accountId: rootArn, login: 'root' })).toMatchObject({ status: 'present', observation: { accountId: rootArn, kind: 'root', admin: true, mfa: 'enabled', factors: ['virtual'] } });
    aws.accounts.get(MGMT)!.rootMfa = null;
    expect(await read(monitor, { accountId: rootArn })).toMatchObject({ observation: { mfa: 'disabled', factors: [] } });
    expect(await read(monitor, { login: 'root' })).toMatchObject({ status: 'present', observation: { accountId: rootArn, kind: 'root', mfa: 'disabled' } });
    expect(iamActions().filter((a) => a === 'iam:GetUser')).toEqual([]);
  });

  it('reads a member account through its audit role', async () => {
    aws.addAccount(PROD, { roles: { 'mfawatch-audit': null } });
    seed(PROD);
    const monitor = monitorFor({ accountId: undefined, accounts: [{ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit` }], mode: 'live' });
    const reading = await read(monitor, { login: 'bob' }, PROD);
    expect(reading).toMatchObject({ status: 'present', observation: { accountId: `arn:aws:iam::${PROD}:user/bob`, mfa: 'disabled' } });
    expect(aws.actions()).toContain('sts:AssumeRole');
  });

  it('refuses an ARN of another account instead of reading a namesake', async () => {
    seed();
    const err = await read(monitorFor(), { accountId: `arn:aws:iam::${PROD}:user/bob` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toMatch(/is not an IAM user or root of that account/);
  });

  it.each(['iam:GetUser', 'iam:GetLoginProfile', 'iam:ListMFADevices'])('names the missing permission when AWS denies %s', async (action) => {
    seed();
    aws.accounts.get(MGMT)!.denied.add(action);
    const err = await read(monitorFor({ mode: 'live' }), { login: 'bob' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('permission');
    expect((err as ProviderError).message).toContain(`AWS denied ${action} in account ${MGMT} (AccessDenied): allow ${action}`);
  });

  it('a throttled reading is rate_limited (retried by the core), with advice for verifications', async () => {
    seed();
    aws.throttle(10, 'GetUser');
    const err = await read(monitorFor({ mode: 'live' }), { login: 'bob' }).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe('rate_limited');
    expect((err as ProviderError).message).toMatch(/the verification is retried with backoff, and the next scan reconciles/);
  });
});

describe('credentials in scans (for credential_added)', () => {
  it('live mode: the console password and each Active access key by id; inactive keys are not credentials', async () => {
    seed();
    const scan = await collectScan(monitorFor({ mode: 'live' }), testDeps().logger, { scopeId: MGMT });
    const by = Object.fromEntries(scan.observations.map((o): [string, Observation] => [o.login, o]));
    expect(by['alice@acme.example']?.credentials).toEqual(['password', 'access_key:AKIAALICE00000000001']);
    expect(by.bob?.credentials).toEqual(['password', 'access_key:AKIABOB0000000000002']);
    expect(by['ci-deployer']?.credentials).toEqual([expect.stringMatching(/^access_key:AKIA/)]);
    expect(by.carol?.credentials).toEqual(['password']);
    expect(by.root?.credentials).toBeUndefined();
  });

  it('report mode: password_enabled and access_key_N_active, keys named by their slot (the report has no key ids)', async () => {
    seed();
    const scan = await collectScan(monitorFor({ mode: 'report' }), testDeps().logger, { scopeId: MGMT });
    const by = Object.fromEntries(scan.observations.map((o): [string, Observation] => [o.login, o]));
    expect(by['alice@acme.example']).toMatchObject({ factors: [], credentials: ['password', 'access_key_1'] });
    expect(by.bob?.credentials).toEqual(['password', 'access_key_2']);
    expect(by['api-with-mfa']?.credentials).toEqual([]);
    expect(by.root?.credentials).toBeUndefined();
    expect(iamActions()).toEqual(['iam:ListAccountAliases', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport', 'iam:GetAccountSummary']); // still a constant number of calls
  });
});

describe('a live-mode policy without iam:ListAccessKeys (written before credentials were tracked)', () => {
  it('keeps scanning without credentials, says so once, and readAccount reads the same', async () => {
    seed();
    aws.accounts.get(MGMT)!.denied.add('iam:ListAccessKeys');
    const monitor = monitorFor({ mode: 'live' });
    const scan = await collectScan(monitor, testDeps().logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(scan.observations.every((o) => o.credentials === undefined)).toBe(true);
    expect(scan.warnings).toEqual([expect.stringMatching(/iam:ListAccessKeys is not allowed in account 111111111111: new access keys are not detected \(credential_added\); allow it/)]);
    const bob = scan.observations.find((o) => o.login === 'bob');
    expect(await read(monitor, { login: 'bob' })).toEqual({ status: 'present', observation: bob });
  });
});
