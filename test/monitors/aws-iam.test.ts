/**
 * The AWS IAM monitor through the real IAMClient/STSClient against the Query-protocol fake on
 * loopback: report and live modes, polling, throttling, AccessDenied, malformed reports, root,
 * API-only users, several accounts through AssumeRole.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsIamConfigSchema } from '../../monitors/aws-iam/config.js';
import { grantsEverything } from '../../monitors/aws-iam/admins.js';
import { createAwsIamMonitor } from '../../monitors/aws-iam/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeAws, REPORT_HEADER } from '../fakes/aws-iam.js';
import { testDeps } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const MGMT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const BASE_KEY = 'AKIAFAKEBASEKEY00001';
const BASE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET';

let aws: FakeAws;
beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: BASE_KEY, secret: BASE_SECRET }, rootMfa: 'hardware_totp' });
  await aws.start();
});
afterEach(async () => {
  await aws.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, reportTimeout: '1m', ...over });
  const deps = testDeps();
  const monitor = createAwsIamMonitor(config, deps, {
    credentials: { accessKeyId: BASE_KEY, secretAccessKey: BASE_SECRET },
    // The SDK's standard retry with 5 ms between attempts, so throttling tests stay fast.
    retryStrategy: new ConfiguredRetryStrategy(3, 5),
  });
  return { monitor, deps };
}

function seedMgmt(): void {
  aws.addUser(MGMT, { name: 'alice@acme.example', password: true, devices: ['virtual'] });
  aws.addUser(MGMT, { name: 'bob', password: true, devices: [], tags: { email: 'Bob@Acme.example' } });
  aws.addUser(MGMT, { name: 'ci-deployer', path: '/service/', password: false, devices: [], accessKey: true });
  aws.addUser(MGMT, { name: 'carol', password: true, devices: ['security_key'] });
  aws.addUser(MGMT, { name: 'dan', password: true, devices: ['hardware_totp'] });
  aws.addUser(MGMT, { name: 'api-with-mfa', password: false, devices: ['virtual'] });
}

const iamActions = () => aws.actions().filter((a) => a.startsWith('iam:'));

describe('aws-iam monitor, report mode', () => {
  it('reads every user from the credential report: console users by MFA, API-only users not applicable, root as kind root', async () => {
    seedMgmt();
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    expect(monitor.scopes()).toEqual([{ id: MGMT, label: MGMT }]);
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(by.root).toMatchObject({ accountId: `arn:aws:iam::${MGMT}:root`, kind: 'root', admin: true, mfa: 'enabled' });
    expect(by['alice@acme.example']).toMatchObject({ accountId: `arn:aws:iam::${MGMT}:user/alice@acme.example`, kind: 'iam_user', mfa: 'enabled', email: 'alice@acme.example', url: 'https://console.aws.amazon.com/iam/home#/users/details/alice%40acme.example' });
    expect(by.bob).toMatchObject({ mfa: 'disabled', email: null }); // tags are read only when emailTag is set
    expect(by['ci-deployer']).toMatchObject({ accountId: `arn:aws:iam::${MGMT}:user/service/ci-deployer`, mfa: 'not_applicable' });
    expect(by['api-with-mfa']).toMatchObject({ mfa: 'not_applicable' });
    expect(by.carol).toMatchObject({ mfa: 'enabled', factors: [] });
    expect(scan.observations).toHaveLength(7);
    expect(scan.dataAsOf?.toISOString()).toBe('2026-11-22T07:00:00.000Z');
    expect(scan.label).toBe(`acme-mgmt (${MGMT})`);
    expect(aws.actions()).toEqual(['sts:GetCallerIdentity', 'iam:ListAccountAliases', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport', 'iam:GetAccountSummary']);
    expect(scan.requests).toBe(5);
    // The report's 6 user rows match GetAccountSummary's Users: its removals need no second scan.
    expect(scan.counted).toBe('all');
  });

  it('makes the same number of IAM calls for 3 users and for 2,500 users', async () => {
    for (let i = 0; i < 3; i++) aws.addUser(MGMT, { name: `u${i}`, password: true, devices: ['virtual'] });
    const small = await collectScan(monitorFor({ accountId: MGMT }).monitor, testDeps().logger, { scopeId: MGMT });
    const smallCalls = iamActions();
    aws.requests.length = 0;
    for (let i = 3; i < 2500; i++) aws.addUser(MGMT, { name: `u${i}`, password: i % 2 === 0, devices: i % 3 === 0 ? ['virtual'] : [] });
    const big = await collectScan(monitorFor({ accountId: MGMT }).monitor, testDeps().logger, { scopeId: MGMT });
    expect(small.error ?? big.error).toBeUndefined();
    expect(big.observations).toHaveLength(2501);
    expect(iamActions()).toEqual(smallCalls);
    expect(smallCalls).toHaveLength(4);
  });

  it('polls GenerateCredentialReport with backoff while the report is STARTED / INPROGRESS, then reads it', async () => {
    seedMgmt();
    aws.accounts.get(MGMT)!.reportPendingPolls = 3;
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(iamActions()).toEqual(['iam:ListAccountAliases', 'iam:GenerateCredentialReport', 'iam:GenerateCredentialReport', 'iam:GenerateCredentialReport', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport', 'iam:GetAccountSummary']);
    expect(scan.observations).toHaveLength(7);
  });

  it('gives up with a timeout, committing nothing, when the report is not ready within reportTimeout', async () => {
    seedMgmt();
    aws.accounts.get(MGMT)!.reportPendingPolls = 1000;
    const { monitor, deps } = monitorFor({ accountId: MGMT, reportTimeout: '5s' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    expect(scan.error).toBeInstanceOf(ProviderError);
    expect((scan.error as ProviderError).reason).toBe('timeout');
    expect((scan.error as ProviderError).message).toMatch(/still being generated.*raise reportTimeout/);
  });

  it('retries throttling through the SDK and then succeeds', async () => {
    seedMgmt();
    aws.throttle(2, 'GetCredentialReport');
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(iamActions().filter((a) => a === 'iam:GetCredentialReport')).toHaveLength(3);
    expect(scan.requests).toBe(7); // every attempt on the wire is counted
  });

  it('fails as rate_limited when throttling outlasts the bounded retries', async () => {
    seedMgmt();
    aws.throttle(10, 'GenerateCredentialReport');
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    expect((scan.error as ProviderError).reason).toBe('rate_limited');
    expect((scan.error as ProviderError).message).toMatch(/throttled iam:GenerateCredentialReport/);
    expect(iamActions().filter((a) => a === 'iam:GenerateCredentialReport')).toHaveLength(3);
  });

  it.each(['iam:GenerateCredentialReport', 'iam:GetCredentialReport'])('names the missing action when AWS denies %s', async (action) => {
    seedMgmt();
    aws.accounts.get(MGMT)!.denied.add(action);
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('permission');
    expect(err.status).toBe(403);
    expect(err.message).toContain(`AWS denied ${action} in account ${MGMT} (AccessDenied)`);
    expect(err.message).toContain(`allow ${action}`);
    expect(err.message).toContain('monitors/aws-iam/README.md');
  });

  it('scans without the alias when iam:ListAccountAliases is denied', async () => {
    seedMgmt();
    aws.accounts.get(MGMT)!.denied.add('iam:ListAccountAliases');
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(scan.label).toBeUndefined();
  });

  const root = `<root_account>,arn:aws:iam::${MGMT}:root,2024-03-01T12:00:00+00:00,not_supported,2026-11-20T08:15:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;
  const user = (name: string, pw: string, mfa: string) => `${name},arn:aws:iam::${MGMT}:user/${name},2025-01-15T09:30:00+00:00,${pw},no_information,2024-03-01T12:00:00+00:00,N/A,${mfa},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;
  it.each([
    ['a row cut off mid-line (truncated)', `${REPORT_HEADER}\n${root}\n${user('alice', 'true', 'true')}\nbob,arn:aws:iam::${MGMT}:user/bob,2025-01`, /line 4: 3 fields where the header has 22/],
    ['no <root_account> row', `${REPORT_HEADER}\n${user('alice', 'true', 'true')}\n`, /no <root_account> row/],
    ['a header without mfa_active', `user,arn,password_enabled\n<root_account>,arn:aws:iam::${MGMT}:root,not_supported\n`, /lacks the column mfa_active/],
    ['a value that is not a boolean', `${REPORT_HEADER}\n${root}\n${user('alice', 'maybe', 'true')}\n`, /password_enabled is "maybe"/],
    ['an unclosed quoted field', `${REPORT_HEADER}\n${root}\n"alice,arn:aws`, /never closed/],
    ['an ARN of another account', `${REPORT_HEADER}\n${root}\n${user('alice', 'true', 'true').replace(`::${MGMT}:`, '::999999999999:')}\n`, /belongs to account 999999999999/],
    ['not CSV at all', '<html><body>proxy error</body></html>', /lacks the columns? /],
  ])('fails the scan and yields nothing for a malformed report: %s', async (_name, csv, message) => {
    aws.accounts.get(MGMT)!.reportOverride = csv;
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('malformed');
    expect(err.message).toMatch(message);
    expect(err.message).toContain('nothing was committed');
  });

  it('reads the root row whatever its password column says, and reports root without MFA as disabled', async () => {
    aws.accounts.get(MGMT)!.rootMfa = null;
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toEqual([expect.objectContaining({ login: 'root', kind: 'root', admin: true, mfa: 'disabled' })]);
  });

  it('links identities through the configured email tag (GetAccountAuthorizationDetails, paged by 1,000)', async () => {
    seedMgmt();
    for (let i = 0; i < 1200; i++) aws.addUser(MGMT, { name: `svc${i}`, password: false, devices: [] });
    aws.addUser(MGMT, { name: 'erin', password: true, devices: [], tags: { 'owner-email': 'erin@acme.example' } });
    const { monitor, deps } = monitorFor({ accountId: MGMT, emailTag: 'owner-email' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(by.erin?.email).toBe('erin@acme.example');
    expect(by.bob?.email).toBeNull(); // bob's tag is "email", not "owner-email"
    expect(iamActions().filter((a) => a === 'iam:GetAccountAuthorizationDetails')).toHaveLength(2);
  });

  it('detectAdmins: AdministratorAccess or IAMFullAccess (direct or through a group), or Allow * on * (inline or a customer policy\'s default version) makes an admin', async () => {
    const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    const readOnly = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: '*' }] });
    const account = aws.accounts.get(MGMT)!;
    account.groups.set('admins', { attached: ['arn:aws:iam::aws:policy/AdministratorAccess'], inline: {} });
    account.groups.set('ops', { attached: [], inline: { 'ops-everything': JSON.stringify({ Statement: { Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] } }) } });
    account.groups.set('readers', { attached: ['arn:aws:iam::aws:policy/ReadOnlyAccess'], inline: { read: readOnly } });
    account.managedPolicies.set(`arn:aws:iam::${MGMT}:policy/break-glass`, allowAll);
    account.managedPolicies.set(`arn:aws:iam::${MGMT}:policy/s3-read`, readOnly);
    aws.addUser(MGMT, { name: 'direct', password: true, devices: [], attached: ['arn:aws:iam::aws:policy/AdministratorAccess'] });
    aws.addUser(MGMT, { name: 'iamfull', password: true, devices: [], attached: ['arn:aws:iam::aws:policy/IAMFullAccess'] });
    aws.addUser(MGMT, { name: 'via-group', password: true, devices: [], groups: ['readers', 'admins'] });
    aws.addUser(MGMT, { name: 'via-group-inline', password: true, devices: [], groups: ['ops'] });
    aws.addUser(MGMT, { name: 'via-customer-policy', password: true, devices: [], attached: [`arn:aws:iam::${MGMT}:policy/break-glass`] });
    aws.addUser(MGMT, { name: 'inline', password: true, devices: ['virtual'] });
    aws.user(MGMT, 'inline').policies.set('everything', allowAll);
    aws.addUser(MGMT, { name: 'reader', password: true, devices: [], groups: ['readers'], attached: [`arn:aws:iam::${MGMT}:policy/s3-read`] });
    aws.addUser(MGMT, { name: 'signed-out', password: true, devices: [] });
    // A Deny of everything (what the aws-iam responder attaches) is no admin grant.
    aws.user(MGMT, 'signed-out').policies.set('AWSRevokeOlderSessions', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'] }] }));
    // 1,200 more users: the policies come on a later page than the users they are attached to.
    for (let i = 0; i < 1200; i++) aws.addUser(MGMT, { name: `svc${i}`, password: false, devices: [] });
    const { monitor, deps } = monitorFor({ accountId: MGMT, detectAdmins: true });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    const admins = scan.observations.filter((o) => o.admin).map((o) => o.login).sort();
    expect(admins).toEqual(['direct', 'iamfull', 'inline', 'root', 'via-customer-policy', 'via-group', 'via-group-inline']);
    const listings = aws.requests.filter((r) => new URLSearchParams(r.body).get('Action') === 'GetAccountAuthorizationDetails');
    expect(listings).toHaveLength(2);
    const first = new URLSearchParams(listings[0]?.body);
    expect(['1', '2', '3'].map((n) => first.get(`Filter.member.${n}`))).toEqual(['User', 'Group', 'LocalManagedPolicy']);
    // Live mode reads the same listing.
    const live = monitorFor({ accountId: MGMT, detectAdmins: true, mode: 'live' });
    const liveScan = await collectScan(live.monitor, live.deps.logger, { scopeId: MGMT });
    expect(liveScan.error).toBeUndefined();
    expect(liveScan.observations.filter((o) => o.admin).map((o) => o.login).sort()).toEqual(admins);
  });

  it.each([
    ['Allow * on *', { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, true],
    ['Allow iam:* on * (can grant itself anything)', { Statement: { Effect: 'Allow', Action: 'IAM:*', Resource: ['*'] } }, true],
    ['Allow * on one bucket', { Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::logs/*' }] }, false],
    ['Deny * on *', { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }, false],
    ['NotAction (not evaluated)', { Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] }, false],
  ])('grantsEverything: %s → %s', (_name, doc, expected) => {
    expect(grantsEverything(JSON.stringify(doc))).toBe(expected);
    expect(grantsEverything(encodeURIComponent(JSON.stringify(doc)))).toBe(expected); // as IAM sends it
    expect(grantsEverything('%7B%22Statement')).toBe(false); // unreadable: not admin
  });

  it('detectAdmins off (the default): no listing, and IAM users are never admin', async () => {
    aws.addUser(MGMT, { name: 'direct', password: true, devices: [], attached: ['arn:aws:iam::aws:policy/AdministratorAccess'] });
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations.find((o) => o.login === 'direct')?.admin).toBe(false);
    expect(iamActions()).not.toContain('iam:GetAccountAuthorizationDetails');
  });

  it('refuses credentials of another account than the configured accountId', async () => {
    const { monitor, deps } = monitorFor({ accountId: '999999999999' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: '999999999999' });
    expect((scan.error as ProviderError).message).toMatch(/credentials belong to account 111111111111, not 999999999999/);
    expect(iamActions()).toEqual([]);
  });

  it('learns the account id with STS GetCallerIdentity when none is configured (resolveScopes)', async () => {
    seedMgmt();
    const { monitor, deps } = monitorFor();
    expect(monitor.scopes()).toEqual([]);
    const scopes = await monitor.resolveScopes?.(AbortSignal.timeout(10_000));
    expect(scopes).toEqual([{ id: MGMT, label: MGMT }]);
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(monitor.scopes()).toEqual([{ id: MGMT, label: `acme-mgmt (${MGMT})` }]);
  });

  it('says what to do with invalid credentials, and never prints the secret key', async () => {
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, accountId: MGMT });
    const deps = testDeps();
    const monitor = createAwsIamMonitor(config, deps, { credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: BASE_SECRET }, retryStrategy: new ConfiguredRetryStrategy(2, 5) });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/AWS rejected the credentials for sts:GetCallerIdentity.*InvalidClientTokenId/);
    expect(`${err.message} ${JSON.stringify(err)} ${deps.logs.text()}`).not.toContain(BASE_SECRET);
  });

  it('fails as auth when the secret key is wrong (the fake verifies the SigV4 signature)', async () => {
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, accountId: MGMT });
    const deps = testDeps();
    const wrong = 'wrongSecretKeyWrongSecretKeyWrongSecret0';
    const monitor = createAwsIamMonitor(config, deps, { credentials: { accessKeyId: BASE_KEY, secretAccessKey: wrong }, retryStrategy: new ConfiguredRetryStrategy(2, 5) });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/SignatureDoesNotMatch/);
    expect(`${err.message} ${deps.logs.text()}`).not.toContain(wrong);
  });

  it('fails as network when the endpoint does not answer, and as malformed when it answers garbage', async () => {
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    aws.inject({ kind: 'truncate', status: 200, body: '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>', contentType: 'text/xml' });
    const garbled = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect((garbled.error as ProviderError).reason).toBe('malformed');
    await aws.stop();
    const down = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect((down.error as ProviderError).reason).toBe('network');
    await aws.start(); // afterEach stops it again
  });
});

describe('aws-iam monitor, HTTP failures', () => {
  const serviceFailure = '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>Internal failure</Message></Error><RequestId>1b7e8a5e-0000-4000-8000-000000000000</RequestId></ErrorResponse>';
  const isGetReport = (r: { body: string }) => new URLSearchParams(r.body).get('Action') === 'GetCredentialReport';

  it('retries a 500 ServiceFailure and succeeds', async () => {
    seedMgmt();
    aws.inject({ kind: 'status', status: 500, body: serviceFailure, headers: { 'content-type': 'text/xml' } }, 1, isGetReport);
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(7);
  });

  it('fails as server after the retries when IAM keeps answering 5xx', async () => {
    seedMgmt();
    aws.inject({ kind: 'status', status: 503, body: serviceFailure.replace('ServiceFailure', 'ServiceUnavailable'), headers: { 'content-type': 'text/xml' } }, 10, isGetReport);
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    const err = scan.error as ProviderError;
    expect(err.reason).toBe('server');
    expect(err.message).toMatch(/AWS returned 503 \(ServiceUnavailable\) for iam:GetCredentialReport in account 111111111111 after retries/);
  });

  it('fails as timeout when IAM never answers within requestTimeout', async () => {
    seedMgmt();
    aws.inject({ kind: 'hang' }, 10, isGetReport);
    const { monitor, deps } = monitorFor({ accountId: MGMT, requestTimeout: '200ms' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    expect((scan.error as ProviderError).reason).toBe('timeout');
    expect((scan.error as ProviderError).message).toMatch(/did not answer iam:GetCredentialReport/);
  });

  it('fails as malformed when a 200 answer is cut off mid-XML', async () => {
    seedMgmt();
    aws.inject({ kind: 'truncate', status: 200, body: '<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetCredentialReportResult><Content>dXNlcixhcm4K', contentType: 'text/xml' }, 10, isGetReport);
    const { monitor, deps } = monitorFor({ accountId: MGMT });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations).toEqual([]);
    expect((scan.error as ProviderError).reason).toBe('malformed');
  });
});

describe('aws-iam monitor, live mode', () => {
  it('reads users, virtual devices and per-user calls, with hardware vs virtual factors', async () => {
    seedMgmt();
    aws.accounts.get(MGMT)!.rootMfa = 'virtual';
    const { monitor, deps } = monitorFor({ accountId: MGMT, mode: 'live' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.error).toBeUndefined();
    const by = Object.fromEntries(scan.observations.map((o) => [o.login, o]));
    expect(by.root).toMatchObject({ kind: 'root', mfa: 'enabled', factors: ['virtual'] });
    expect(by['alice@acme.example']).toMatchObject({ mfa: 'enabled', factors: ['virtual'] });
    expect(by.bob).toMatchObject({ mfa: 'disabled', factors: [] });
    expect(by.carol).toMatchObject({ mfa: 'enabled', factors: ['security_key'] });
    expect(by.dan).toMatchObject({ mfa: 'enabled', factors: ['hardware_totp'] });
    expect(by['ci-deployer']).toMatchObject({ mfa: 'not_applicable' });
    expect(by['api-with-mfa']).toMatchObject({ mfa: 'not_applicable', factors: ['virtual'] });
    expect(scan.dataAsOf).toBeUndefined();
    const calls = iamActions();
    expect(calls.filter((a) => a === 'iam:GetLoginProfile')).toHaveLength(6);
    // ListMFADevices only for console users without a virtual device: bob, carol, dan
    expect(calls.filter((a) => a === 'iam:ListMFADevices')).toHaveLength(3);
    expect(calls.filter((a) => a === 'iam:ListUsers')).toHaveLength(1);
  });

  it('reports a hardware root device as hardware and a denied per-user call as a failed scan', async () => {
    seedMgmt();
    aws.accounts.get(MGMT)!.denied.add('iam:ListMFADevices');
    const { monitor, deps } = monitorFor({ accountId: MGMT, mode: 'live' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations[0]).toMatchObject({ kind: 'root', factors: ['hardware'] });
    expect((scan.error as ProviderError).message).toContain('AWS denied iam:ListMFADevices');
  });
});

// Found by the fault matrix: a ListUsers page answered without its Users list, or answered as an
// empty last page, silently ended the listing: 100 of 1,100 users (under the mass-change guard's
// 20%) would have been reported removed. A ListMFADevices answer without its list read as "no
// device": MFA disabled.
describe('aws-iam monitor, live mode: an answer that drops data fails the scan', () => {
  const xml = (action: string, result: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
  const actionIs = (action: string, more: (p: URLSearchParams) => boolean = () => true) => (r: { body: string }) => {
    const p = new URLSearchParams(r.body);
    return p.get('Action') === action && more(p);
  };
  const manyUsers = () => {
    for (let i = 0; i < 1100; i++) aws.addUser(MGMT, { name: `u${i}`, password: true, devices: ['virtual'] });
  };

  it('a ListUsers page without its Users list', async () => {
    manyUsers();
    aws.inject({ kind: 'status', status: 200, body: xml('ListUsers', '<IsTruncated>false</IsTruncated>'), headers: { 'content-type': 'text/xml' } }, 1, actionIs('ListUsers', (p) => p.has('Marker')));
    const { monitor, deps } = monitorFor({ accountId: MGMT, mode: 'live' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/IAM ListUsers in account \d{12} answered without its Users list.*nothing was committed/);
  });

  it('a ListUsers page answered as an empty last page: fewer users than GetAccountSummary counts', async () => {
    manyUsers();
    aws.inject({ kind: 'status', status: 200, body: xml('ListUsers', '<Users/><IsTruncated>false</IsTruncated>'), headers: { 'content-type': 'text/xml' } }, 1, actionIs('ListUsers', (p) => p.has('Marker')));
    const { monitor, deps } = monitorFor({ accountId: MGMT, mode: 'live' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect((scan.error as ProviderError).reason).toBe('malformed');
    expect((scan.error as ProviderError).message).toMatch(/listed 1000 users where GetAccountSummary counts 1100: a page was lost.*the next scan will retry/);
  });

  it('a ListMFADevices answer without its list is not "no device"', async () => {
    aws.addUser(MGMT, { name: 'bob', password: true, devices: ['hardware_totp'] });
    aws.inject({ kind: 'status', status: 200, body: xml('ListMFADevices', '<IsTruncated>false</IsTruncated>'), headers: { 'content-type': 'text/xml' } }, 1, actionIs('ListMFADevices'));
    const { monitor, deps } = monitorFor({ accountId: MGMT, mode: 'live' });
    const scan = await collectScan(monitor, deps.logger, { scopeId: MGMT });
    expect(scan.observations.find((o) => o.login === 'bob')).toBeUndefined();
    expect((scan.error as ProviderError).message).toMatch(/ListMFADevices .* answered without its MFADevices list/);
  });
});

describe('aws-iam monitor, many accounts through AssumeRole', () => {
  it('one scope per account; each scan assumes its own role; a refused role fails only its account', async () => {
    aws.addAccount(PROD, { alias: 'acme-prod', roles: { 'mfawatch-audit': 'ext-123' } });
    aws.addAccount(DEV, { roles: {} });
    aws.addUser(PROD, { name: 'pat', password: true, devices: [] });
    const { monitor, deps } = monitorFor({
      accounts: [
        { roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit`, externalId: 'ext-123', sessionName: 'mfawatch-test' },
        { roleArn: `arn:aws:iam::${DEV}:role/mfawatch-audit`, label: 'dev' },
      ],
    });
    expect(monitor.scopes()).toEqual([{ id: PROD, label: PROD }, { id: DEV, label: 'dev' }]);
    const prod = await collectScan(monitor, deps.logger, { scopeId: PROD });
    expect(prod.error).toBeUndefined();
    expect(prod.observations.map((o) => o.accountId)).toEqual([`arn:aws:iam::${PROD}:root`, `arn:aws:iam::${PROD}:user/pat`]);
    expect(prod.label).toBe(`acme-prod (${PROD})`);
    const assume = aws.requests.find((r) => new URLSearchParams(r.body).get('Action') === 'AssumeRole');
    expect(Object.fromEntries(new URLSearchParams(assume?.body))).toMatchObject({ RoleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit`, ExternalId: 'ext-123', RoleSessionName: 'mfawatch-test', Version: '2011-06-15' });
    const dev = await collectScan(monitor, deps.logger, { scopeId: DEV });
    const err = dev.error as ProviderError;
    expect(err.reason).toBe('permission');
    expect(err.message).toMatch(/STS refused to let mfawatch assume arn:aws:iam::333333333333:role\/mfawatch-audit.*trust policy/);
    // The temporary credentials STS handed out never reach a log line or an error.
    expect(`${deps.logs.text()} ${err.message}`).not.toMatch(/fakeSecretForAssumedRole|FakeSessionToken/);
  });

  it('rejects a config listing one account twice, or both accountId and accounts', () => {
    const r = awsIamConfigSchema.safeParse({ id: 'a', type: 'aws-iam', accountId: MGMT, accounts: [{ roleArn: `arn:aws:iam::${PROD}:role/a` }, { roleArn: `arn:aws:iam::${PROD}:role/b` }] });
    expect(r.success).toBe(false);
    const messages = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^accountId: use either/), expect.stringMatching(/^accounts.1.roleArn: account 222222222222 is already listed/)]));
  });
});
