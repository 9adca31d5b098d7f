/**
 * The AWS IAM responder through the real AWS SDK (@aws-sdk/client-iam) against the one IAM fake
 * (test/fakes/aws-iam.ts: Query protocol, SigV4 verified, several AWS accounts): the
 * AWSRevokeOlderSessions policy, opt-in key deactivation and login-profile deletion, only linked
 * users of the credentials' account (never a same-named user elsewhere, never root), and AWS's
 * error codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsIamResponderSchema } from '../../responders/aws-iam/config.js';
import { createAwsIamResponder, REVOKE_POLICY_NAME } from '../../responders/aws-iam/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { invalidate, linked } from './harness.js';

const MAIN = '111111111111';
const PROD = '222222222222';
const KEY_ID = 'AKIATESTRESPONDER01';
const SECRET = 'aws/secret/access/key/for/tests/only';
const credentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET };
let iam: FakeAws;

beforeEach(async () => {
  iam = new FakeAws();
  iam.addAccount(MAIN, { baseKey: { id: KEY_ID, secret: SECRET } });
  iam.addAccount(PROD, { roles: { 'mfawatch-responder': 'acme-kill' } });
  iam.addUser(MAIN, { name: 'alice', password: true, devices: [], accessKeys: [{ id: 'AKIAALICE00000000001', status: 'Active' }, { id: 'AKIAALICE00000000002', status: 'Inactive' }] });
  iam.addUser(MAIN, { name: 'bob', password: true, devices: ['virtual'] });
  iam.addUser(MAIN, { name: 'root', password: true, devices: ['virtual'] }); // an IAM user unluckily named "root"
  iam.addUser(PROD, { name: 'alice-prod', password: true, devices: [] });
  iam.addUser(PROD, { name: 'bob', password: true, devices: [] }); // another person of the same name, in another account
  await iam.start();
});
afterEach(() => iam.stop());

const arn = (account: string, name: string) => `arn:aws:iam::${account}:user/${name}`;
const target = {
  identity: 'alice@example.com',
  accounts: [linked('aws-iam', 'alice', arn(MAIN, 'alice')), linked('aws-iam', 'alice-prod', arn(PROD, 'alice-prod'))],
};
const responder = (extra: Record<string, unknown> = {}, creds = credentials) =>
  createAwsIamResponder(awsIamResponderSchema.parse({ id: 'aws', type: 'aws-iam', endpoint: iam.url, ...extra }), { ...testDeps({ clock: new PinnedClock('2026-11-22T10:00:00.000Z') }), awsCredentials: creds });
const actions = () => iam.requests.map((q) => new URLSearchParams(q.body).get('Action'));

describe('aws-iam responder', () => {
  it('attaches AWSRevokeOlderSessions with aws:TokenIssueTime = now to each linked user of the configured account', async () => {
    const r = await invalidate(responder({ accountId: MAIN }), target);
    expect(r.outcome).toBe('succeeded');
    const alice = iam.user(MAIN, 'alice');
    const doc = JSON.parse(alice.policies.get(REVOKE_POLICY_NAME) ?? '{}') as Record<string, unknown>;
    expect(doc).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-22T10:00:00.000Z' } } }] });
    expect(iam.user(PROD, 'alice-prod').policies.size).toBe(0); // another account
    expect(alice.keys.map((k) => k.status)).toEqual(['Active', 'Inactive']); // not opted in
    expect(alice.password).toBe(true);
    expect(actions()).toEqual(['GetUser', 'PutUserPolicy']);
    expect(iam.writes()).toEqual([{ account: MAIN, action: 'PutUserPolicy', user: 'alice' }]);
  });

  it('opt-in: deactivates active access keys and deletes the console password; the credential report shows it', async () => {
    const r = await invalidate(responder({ accountId: MAIN, deactivateAccessKeys: true, deleteLoginProfile: true }), target);
    expect(r.outcome).toBe('succeeded');
    const alice = iam.user(MAIN, 'alice');
    expect(alice.keys.map((k) => k.status)).toEqual(['Inactive', 'Inactive']);
    expect(alice.password).toBe(false);
    expect(r.detail).toMatch(/1 access key\(s\) deactivated, console password deleted/);
    expect(iam.writes().map((w) => w.action)).toEqual(['PutUserPolicy', 'UpdateAccessKey', 'DeleteLoginProfile']);
    const row = iam.csv(MAIN).split('\n').find((l) => l.startsWith('alice,'));
    expect(row?.split(',')[3]).toBe('false'); // password_enabled
    expect(row?.split(',')[8]).toBe('false'); // access_key_1_active
  });

  it('a user without a console password: DeleteLoginProfile answers NoSuchEntity, which is not a failure', async () => {
    iam.user(MAIN, 'alice').password = false;
    const r = await invalidate(responder({ accountId: MAIN, deleteLoginProfile: true }), target);
    expect(r.outcome).toBe('succeeded');
    expect(r.detail).toMatch(/had no console password/);
    expect(iam.user(MAIN, 'alice').policies.has(REVOKE_POLICY_NAME)).toBe(true);
  });

  it('dry run calls only reads and lists the writes it would make, with the policy document', async () => {
    const r = await invalidate(responder({ deactivateAccessKeys: true, deleteLoginProfile: true }), target, true);
    expect(r.outcome).toBe('skipped');
    // alice-prod lives in the other account: the credentials' account has no such user.
    expect(actions()).toEqual(['GetUser', 'ListAccessKeys', 'GetUser']);
    expect(r.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['PutUserPolicy', 'UpdateAccessKey', 'DeleteLoginProfile']));
    expect(r.calls.find((c) => c.method === 'PutUserPolicy')?.note).toContain('aws:TokenIssueTime');
    expect(iam.writes()).toEqual([]);
    expect(iam.user(MAIN, 'alice').policies.size).toBe(0);
    // The detail says what would happen, in words that cannot be read as done.
    expect(r.detail).toMatch(/^dry run, nothing changed: alice: would attach AWSRevokeOlderSessions \(cut-off [^)]+\), would deactivate \d+ access key\(s\), would delete the console password/);
    expect(r.detail).not.toMatch(/\battached\b|\bdeactivated\b|\bdeleted\b/);
  });

  it('no linked IAM user, or NoSuchEntity, is not_found; nothing is guessed from the email', async () => {
    expect(await invalidate(responder(), { identity: 'alice@example.com', accounts: [] })).toMatchObject({ outcome: 'not_found' });
    expect(await invalidate(responder(), { identity: 'x@example.com', accounts: [linked('aws-iam', 'ghost', arn(MAIN, 'ghost'))] })).toMatchObject({ outcome: 'not_found' });
    expect(actions().every((a) => a === 'GetUser')).toBe(true);
    expect(iam.writes()).toEqual([]);
  });

  it('regression: a linked user of another account is never confused with a same-named user of the credentials\' account', async () => {
    // bob@example.com is bob in PROD; the responder has no accountId and its credentials act in MAIN,
    // where a different person is also called bob. Before the fix, MAIN's bob was signed out.
    const r = await invalidate(responder(), { identity: 'bob@example.com', accounts: [linked('aws-iam', 'bob', arn(PROD, 'bob'))] });
    expect(r.outcome).toBe('not_found');
    expect(r.detail).toContain(`the credentials reach ${arn(MAIN, 'bob')}, not the linked ${arn(PROD, 'bob')}`);
    expect(iam.writes()).toEqual([]);
    expect(iam.user(MAIN, 'bob').policies.size).toBe(0);
    expect(iam.user(PROD, 'bob').policies.size).toBe(0);
  });

  it('regression: a linked root account is never sent to IAM as a user named "root"', async () => {
    const r = await invalidate(responder({ accountId: MAIN }), { identity: 'ops@example.com', accounts: [linked('aws-iam', 'root', `arn:aws:iam::${MAIN}:root`)] });
    expect(r.outcome).toBe('not_found');
    expect(r.detail).toMatch(/root user of 111111111111.*cannot revoke root sessions/);
    expect(iam.requests).toEqual([]);
    expect(iam.user(MAIN, 'root').policies.size).toBe(0);
  });

  it('roleArn: assumes the role in the linked user\'s account and acts there, never on the same-named user of the credentials\' account', async () => {
    const r = await invalidate(
      responder({ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-responder`, externalId: 'acme-kill', endpoint: { iam: iam.url, sts: iam.url } }),
      { identity: 'bob@example.com', accounts: [linked('aws-iam', 'bob', arn(PROD, 'bob')), linked('aws-iam', 'bob', arn(MAIN, 'bob'))] },
    );
    expect(r.outcome).toBe('succeeded');
    expect(iam.actions()).toEqual(['sts:AssumeRole', 'iam:GetUser', 'iam:PutUserPolicy']); // MAIN's bob is outside the role's account
    expect(iam.writes()).toEqual([{ account: PROD, action: 'PutUserPolicy', user: 'bob' }]);
    expect(iam.user(PROD, 'bob').policies.has(REVOKE_POLICY_NAME)).toBe(true);
    expect(iam.user(MAIN, 'bob').policies.size).toBe(0);
    expect(r.calls[0]).toMatchObject({ method: 'AssumeRole' });
  });

  it('roleArn with a wrong externalId fails as permission and says what to fix; nothing is written', async () => {
    const err = (await invalidate(
      responder({ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-responder`, externalId: 'wrong-id', endpoint: { iam: iam.url, sts: iam.url } }),
      { identity: 'bob@example.com', accounts: [linked('aws-iam', 'bob', arn(PROD, 'bob'))] },
    ).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe('permission');
    expect(err.message).toMatch(/refused to let mfawatch assume arn:aws:iam::222222222222:role\/mfawatch-responder.*trust policy/);
    expect(iam.writes()).toEqual([]);
  });

  it('config: roleArn and accountId must name the same account; externalId needs roleArn', () => {
    const bad = awsIamResponderSchema.safeParse({ id: 'aws', type: 'aws-iam', accountId: MAIN, roleArn: `arn:aws:iam::${PROD}:role/x`, externalId: 'ok-id' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['accountId']);
    const lone = awsIamResponderSchema.safeParse({ id: 'aws', type: 'aws-iam', externalId: 'ok-id' });
    expect(lone.error?.issues.map((i) => i.path.join('.'))).toEqual(['externalId']);
  });

  it('AccessDenied fails as permission naming the action; bad key id or secret fail as auth; the secret never shows', async () => {
    iam.accounts.get(MAIN)!.denied.add('iam:PutUserPolicy');
    const denied = (await invalidate(responder({ accountId: MAIN }), target).catch((e: unknown) => e)) as ProviderError;
    expect(denied).toBeInstanceOf(ProviderError);
    expect(denied.reason).toBe('permission');
    expect(denied.message).toMatch(/iam:PutUserPolicy/);
    const unknownKey = (await invalidate(responder({}, { accessKeyId: 'AKIAWRONG', secretAccessKey: SECRET }), target).catch((e: unknown) => e)) as ProviderError;
    expect(unknownKey.reason).toBe('auth');
    expect(unknownKey.message).toMatch(/InvalidClientTokenId/);
    const wrongSecret = (await invalidate(responder({}, { accessKeyId: KEY_ID, secretAccessKey: 'not-the-secret' }), target).catch((e: unknown) => e)) as ProviderError;
    expect(wrongSecret.reason).toBe('auth');
    expect(wrongSecret.message).toMatch(/SignatureDoesNotMatch/);
    for (const e of [denied, unknownKey, wrongSecret]) expect(`${e.message} ${JSON.stringify(e)}`).not.toContain(SECRET);
    expect(iam.writes().length).toBe(1); // the denied PutUserPolicy, refused
    expect(iam.user(MAIN, 'alice').policies.size).toBe(0);
  });

  it('LimitExceeded (the user\'s inline policies are full) fails and says what to do', async () => {
    iam.user(MAIN, 'alice').policies.set('Big', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['x'.repeat(1900)] }] }));
    const err = (await invalidate(responder({ accountId: MAIN }), target).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe('client');
    expect(err.message).toMatch(/LimitExceeded.*2,048/);
    expect(iam.user(MAIN, 'alice').policies.has(REVOKE_POLICY_NAME)).toBe(false);
  });

  it('an answer it cannot read (GetUser without the user, XML cut short) is malformed, never "not found"; nothing is written', async () => {
    const ns = 'https://iam.amazonaws.com/doc/2010-05-08/';
    const getUser = (q: { body: string }) => new URLSearchParams(q.body).get('Action') === 'GetUser';
    iam.inject({ kind: 'status', status: 200, body: `<GetUserResponse xmlns="${ns}"><GetUserResult></GetUserResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetUserResponse>`, headers: { 'content-type': 'text/xml' } }, 1, getUser);
    const empty = (await invalidate(responder({ accountId: MAIN }), target).catch((e: unknown) => e)) as ProviderError;
    expect(empty.reason).toBe('malformed');
    expect(empty.message).toMatch(/^AWS answered iam:GetUser for alice without the user's ARN: .*nothing was changed$/);
    iam.inject({ kind: 'truncate', body: `<GetUserResponse xmlns="${ns}"><GetUserResult><User><Arn>arn:aws:iam::${MAIN}:us`, contentType: 'text/xml' }, 1, getUser);
    const cut = (await invalidate(responder({ accountId: MAIN, maxAttempts: 1 }), target).catch((e: unknown) => e)) as ProviderError;
    expect(cut.reason).toBe('malformed');
    expect(cut.message).toMatch(/^AWS answered iam:GetUser in account 111111111111 with a body mfawatch cannot read: .*every call of a kill is safe to repeat: run the kill again$/);
    expect(iam.writes()).toEqual([]);
  });

  it('an IAM call that does not answer within requestTimeout fails as timeout and names the call', async () => {
    iam.inject({ kind: 'hang' }, 10, (q) => new URLSearchParams(q.body).get('Action') === 'PutUserPolicy');
    const err = (await invalidate(responder({ accountId: MAIN, requestTimeout: '200ms', maxAttempts: 1 }), target).catch((e: unknown) => e)) as ProviderError;
    expect(err.reason).toBe('timeout');
    expect(err.message).toMatch(/^AWS did not answer iam:PutUserPolicy in account 111111111111 in time: .*raise requestTimeout/);
  });

  it('a 500 from IAM fails as server after the SDK retries', async () => {
    iam.inject({ kind: 'status', status: 500, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>x</Message></Error></ErrorResponse>', headers: { 'content-type': 'text/xml' } }, 10);
    const err = (await invalidate(responder(), target).catch((e: unknown) => e)) as ProviderError;
    expect(err.reason).toBe('server');
  });
});
