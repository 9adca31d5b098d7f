/**
 * The AWS IAM responder through the real AWS SDK (@aws-sdk/client-iam) against a loopback fake
 * speaking the IAM Query protocol: the AWSRevokeOlderSessions policy, opt-in key deactivation and
 * login-profile deletion, only linked users of the configured account, and AWS's error codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsIamResponderSchema } from '../../responders/aws-iam/config.js';
import { createAwsIamResponder, REVOKE_POLICY_NAME } from '../../responders/aws-iam/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { FakeIamForResponder } from '../fakes/aws-iam-responder.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { invalidate, linked } from './harness.js';

const KEY_ID = 'AKIATESTRESPONDER01';
const SECRET = 'aws/secret/access/key/for/tests/only';
const credentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET };
let iam: FakeIamForResponder;

beforeEach(async () => {
  iam = new FakeIamForResponder(KEY_ID);
  iam.addUser('alice', '111111111111', [{ id: 'AKIAALICE1', status: 'Active' }, { id: 'AKIAALICE2', status: 'Inactive' }]);
  iam.addUser('alice-prod', '222222222222');
  await iam.start();
});
afterEach(() => iam.stop());

const target = {
  identity: 'alice@example.com',
  accounts: [linked('aws-iam', 'alice', 'arn:aws:iam::111111111111:user/alice'), linked('aws-iam', 'alice-prod', 'arn:aws:iam::222222222222:user/alice-prod')],
};
const responder = (extra: Record<string, unknown> = {}, creds = credentials) =>
  createAwsIamResponder(awsIamResponderSchema.parse({ id: 'aws', type: 'aws-iam', endpoint: iam.url, ...extra }), { ...testDeps({ clock: new PinnedClock('2026-11-22T10:00:00.000Z') }), awsCredentials: creds });

describe('aws-iam responder', () => {
  it('attaches AWSRevokeOlderSessions with aws:TokenIssueTime = now to each linked user of the configured account', async () => {
    const r = await invalidate(responder({ accountId: '111111111111' }), target);
    expect(r.outcome).toBe('succeeded');
    const doc = JSON.parse(iam.users.get('alice')?.policies.get(REVOKE_POLICY_NAME) ?? '{}') as Record<string, unknown>;
    expect(doc).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-22T10:00:00.000Z' } } }] });
    expect(iam.users.get('alice-prod')?.policies.size).toBe(0); // another account
    expect(iam.users.get('alice')?.keys[0]?.status).toBe('Active'); // not opted in
    expect(iam.users.get('alice')?.loginProfile).toBe(true);
    const actions = iam.requests.map((q) => new URLSearchParams(q.body).get('Action'));
    expect(actions).toEqual(['GetUser', 'PutUserPolicy']);
  });

  it('opt-in: deactivates active access keys and deletes the console password', async () => {
    const r = await invalidate(responder({ accountId: '111111111111', deactivateAccessKeys: true, deleteLoginProfile: true }), target);
    expect(r.outcome).toBe('succeeded');
    expect(iam.users.get('alice')?.keys.map((k) => k.status)).toEqual(['Inactive', 'Inactive']);
    expect(iam.users.get('alice')?.loginProfile).toBe(false);
    expect(r.detail).toMatch(/1 access key\(s\) deactivated, console password deleted/);
  });

  it('dry run calls only reads and lists the writes it would make, with the policy document', async () => {
    const r = await invalidate(responder({ deactivateAccessKeys: true, deleteLoginProfile: true }), target, true);
    expect(r.outcome).toBe('skipped');
    expect(iam.requests.map((q) => new URLSearchParams(q.body).get('Action'))).toEqual(['GetUser', 'ListAccessKeys', 'GetUser', 'ListAccessKeys']);
    expect(r.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['PutUserPolicy', 'UpdateAccessKey', 'DeleteLoginProfile']));
    expect(r.calls.find((c) => c.method === 'PutUserPolicy')?.note).toContain('aws:TokenIssueTime');
    expect(iam.users.get('alice')?.policies.size).toBe(0);
  });

  it('no linked IAM user, or NoSuchEntity, is not_found; nothing is guessed from the email', async () => {
    expect(await invalidate(responder(), { identity: 'alice@example.com', accounts: [] })).toMatchObject({ outcome: 'not_found' });
    expect(await invalidate(responder(), { identity: 'x@example.com', accounts: [linked('aws-iam', 'ghost', 'arn:aws:iam::111111111111:user/ghost')] })).toMatchObject({ outcome: 'not_found' });
    expect(iam.requests.every((q) => new URLSearchParams(q.body).get('Action') === 'GetUser')).toBe(true);
  });

  it('AccessDenied fails as permission naming the action; bad credentials fail as auth; the secret never shows', async () => {
    iam.denied.add('PutUserPolicy');
    const denied = (await invalidate(responder({ accountId: '111111111111' }), target).catch((e: unknown) => e)) as ProviderError;
    expect(denied).toBeInstanceOf(ProviderError);
    expect(denied.reason).toBe('permission');
    expect(denied.message).toMatch(/iam:PutUserPolicy/);
    const bad = (await invalidate(responder({}, { accessKeyId: 'AKIAWRONG', secretAccessKey: SECRET }), target).catch((e: unknown) => e)) as ProviderError;
    expect(bad.reason).toBe('auth');
    for (const e of [denied, bad]) expect(`${e.message} ${JSON.stringify(e)}`).not.toContain(SECRET);
  });

  it('a 500 from IAM fails as server after the SDK retries', async () => {
    iam.inject({ kind: 'status', status: 500, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>x</Message></Error></ErrorResponse>', headers: { 'content-type': 'text/xml' } }, 10);
    const err = (await invalidate(responder(), target).catch((e: unknown) => e)) as ProviderError;
    expect(err.reason).toBe('server');
  });
});
