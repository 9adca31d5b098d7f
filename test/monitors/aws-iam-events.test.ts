/**
 * The aws-iam monitor's events: CloudTrail records in EventBridge envelopes translated into
 * hints and facts (pure), hostile bodies, unknown accounts, and the `sqs` source through the real
 * SQSClient against the JSON-protocol fake on loopback (long poll, visibility timeout, delete only
 * on acknowledge, AccessDenied, QueueDoesNotExist, throttling, an unreachable endpoint).
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLED_IAM_CALLS, translateMessage, type Translation } from '../../monitors/aws-iam/cloudtrail.js';
import { awsIamConfigSchema } from '../../monitors/aws-iam/config.js';
import { createAwsIamMonitor } from '../../monitors/aws-iam/index.js';
import type { EventBatch, ProviderEvent, PulledEventSource } from '../../monitors/events.js';
import { ProviderError } from '../../src/core/errors.js';
import { consoleLogin, iamCall, iamCallMessage, SAMPLE_CONSOLE_LOGIN_WITHOUT_MFA, SAMPLE_USER_AGENT, signInMessage } from '../fakes/cloudtrail-events.js';
import { eventBridgeEvent, FakeSqs } from '../fakes/sqs.js';
import { testDeps } from '../helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PROD = '111122223333';
const DEV = '444455556666';
const SECURITY = '999988887777';
const live = { scopes: new Set([PROD, DEV]), readingsSeeFactors: true };
const report = { ...live, readingsSeeFactors: false };

function event(t: Translation): ProviderEvent {
  if (!('event' in t)) throw new Error(`expected an event, got ignored: ${t.ignored.reason}: ${t.ignored.message}`);
  return t.event;
}
function ignored(t: Translation) {
  if (!('ignored' in t)) throw new Error(`expected ignored, got event ${t.event.name}`);
  return t.ignored;
}

describe('CloudTrail → ProviderEvent: IAM API calls', () => {
  it.each([
    ['EnableMFADevice', 'factor'],
    ['DeactivateMFADevice', 'mfa'],
    ['CreateLoginProfile', 'credential'],
    ['DeleteLoginProfile', 'credential'],
    ['CreateAccessKey', 'credential'],
    ['DeleteUser', 'membership'],
    ['AttachUserPolicy', 'admin'],
    ['PutUserPolicy', 'admin'],
    ['AddUserToGroup', 'admin'],
  ])('%s names the user in requestParameters.userName: a %s hint, keyed by the CloudTrail eventID and eventTime', (name, topic) => {
    const body = iamCallMessage(name, { account: PROD, requestParameters: { userName: 'alice', serialNumber: `arn:aws:iam::${PROD}:mfa/alice` }, eventId: 'e0a1b2c3-0000-4000-8000-000000000001', time: '2026-11-22T09:00:07Z' });
    const e = event(translateMessage(body, 'm-1', live));
    expect(e).toEqual({ id: 'e0a1b2c3-0000-4000-8000-000000000001', occurredAt: new Date('2026-11-22T09:00:07Z'), scope: PROD, name, hint: { account: { login: 'alice' }, topic } });
  });

  it('CreateUser carries the new user\'s ARN (path included) from responseElements', () => {
    const body = iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: 'erin', path: '/ops/' }, responseElements: { user: { path: '/ops/', userName: 'erin', userId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${PROD}:user/ops/erin`, createDate: 'Nov 22, 2026 9:00:00 AM' } } });
    expect(event(translateMessage(body, 'm', live)).hint).toEqual({ account: { login: 'erin', accountId: `arn:aws:iam::${PROD}:user/ops/erin` }, topic: 'membership' });
  });

  it('EnableMFADevice is also a factor_added fact in report mode only, where the reading cannot see factors (one source per alert)', () => {
    const body = iamCallMessage('EnableMFADevice', { account: PROD, requestParameters: { userName: 'alice', serialNumber: `arn:aws:iam::${PROD}:mfa/alice-phone` } });
    expect(event(translateMessage(body, 'm', live)).fact).toBeUndefined();
    const fact = event(translateMessage(body, 'm', report)).fact;
    expect(fact).toMatchObject({ type: 'factor_added', account: { login: 'alice' }, kind: 'iam_user', sourceIp: '198.51.100.7', detail: { eventName: 'EnableMFADevice', serialNumber: `arn:aws:iam::${PROD}:mfa/alice-phone` } });
  });

  it('CreateAccessKey and CreateLoginProfile are hints only: the verified reading\'s diff is the one source of credential_added', () => {
    for (const name of ['CreateAccessKey', 'CreateLoginProfile']) {
      for (const options of [live, report]) {
        const e = event(translateMessage(iamCallMessage(name, { account: PROD, requestParameters: { userName: 'bob' } }), 'm', options));
        expect(e.fact).toBeUndefined();
        expect(e.hint?.topic).toBe('credential');
      }
    }
  });

  it('a call without userName acted on its caller: an IAM user managing their own keys or device, or root', () => {
    const own = event(translateMessage(iamCallMessage('CreateAccessKey', { account: PROD, requestParameters: {}, caller: 'carol' }), 'm', live));
    expect(own.hint).toEqual({ account: { login: 'carol', accountId: `arn:aws:iam::${PROD}:user/carol` }, topic: 'credential' });
    const root = event(translateMessage(iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { serialNumber: `arn:aws:iam::${PROD}:mfa/root-account-mfa-device` }, caller: 'root' }), 'm', live));
    expect(root.hint).toEqual({ account: { login: 'root', accountId: `arn:aws:iam::${PROD}:root` }, topic: 'mfa' });
    const selfDevice = event(translateMessage(iamCallMessage('CreateVirtualMFADevice', { account: PROD, requestParameters: { virtualMFADeviceName: 'carol-phone', path: '/' }, caller: 'carol' }), 'm', live));
    expect(selfDevice.hint).toEqual({ account: { login: 'carol', accountId: `arn:aws:iam::${PROD}:user/carol` }, topic: 'factor' });
    const deleted = event(translateMessage(iamCallMessage('DeleteVirtualMFADevice', { account: PROD, requestParameters: { serialNumber: `arn:aws:iam::${PROD}:mfa/carol-phone` }, caller: 'carol' }), 'm', live));
    expect(deleted.hint?.topic).toBe('mfa');
  });

  it('a virtual device created or deleted by a role names no user: ignored as irrelevant, with the reason', () => {
    const i = ignored(translateMessage(iamCallMessage('CreateVirtualMFADevice', { account: PROD, requestParameters: { virtualMFADeviceName: 'x' }, caller: { role: 'Admin' } }), 'm', live));
    expect(i.reason).toBe('irrelevant');
    expect(i.message).toMatch(/EnableMFADevice \/ DeactivateMFADevice name the user/);
  });

  it('a failed call changed nothing; a call mfawatch does not act on is irrelevant', () => {
    const failed = ignored(translateMessage(iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'alice' }, errorCode: 'AccessDenied', eventId: 'ev-failed' }), 'm', live));
    expect(failed).toMatchObject({ reason: 'irrelevant', id: 'ev-failed' });
    expect(failed.message).toMatch(/failed \(AccessDenied\)/);
    expect(ignored(translateMessage(iamCallMessage('CreateRole', { account: PROD, requestParameters: { roleName: 'x' } }), 'm', live)).reason).toBe('irrelevant');
  });
});

describe('CloudTrail → ProviderEvent: console sign-ins', () => {
  it('the documented sample "IAM user, successful sign-in without MFA" is a signin_without_mfa fact with its IP, user agent, id and time', () => {
    const body = eventBridgeEvent('AWS Console Sign In via CloudTrail', 'aws.signin', { ...SAMPLE_CONSOLE_LOGIN_WITHOUT_MFA });
    const e = event(translateMessage(body, 'm', { scopes: new Set(['111122223333']), readingsSeeFactors: true }));
    expect(e).toEqual({
      id: '3fcfb182-98f8-4744-bd45-10a395ab61cb', occurredAt: new Date('2014-07-16T15:49:27Z'), scope: '111122223333', name: 'ConsoleLogin',
      fact: {
        type: 'signin_without_mfa', account: { accountId: 'arn:aws:iam::111122223333:user/JaneDoe', login: 'JaneDoe' }, kind: 'iam_user',
        sourceIp: '192.0.2.110', userAgent: SAMPLE_USER_AGENT,
        detail: { eventName: 'ConsoleLogin', eventId: '3fcfb182-98f8-4744-bd45-10a395ab61cb', eventTime: '2014-07-16T15:49:27.000Z', region: 'us-east-2', loginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true' },
      },
    });
  });

  it('reads the sign-in detail-type in both of AWS\'s spellings ("Sign In" and "Signin")', () => {
    const body = eventBridgeEvent('AWS Console Signin via CloudTrail', 'aws.signin', consoleLogin({ account: PROD, user: 'alice' }));
    expect(event(translateMessage(body, 'm', live)).fact?.type).toBe('signin_without_mfa');
  });

  it('root signing in without MFA is an admin fact of kind root (critical by policy)', () => {
    const e = event(translateMessage(signInMessage({ account: PROD, user: 'root' }), 'm', live));
    expect(e.fact).toMatchObject({ type: 'signin_without_mfa', account: { accountId: `arn:aws:iam::${PROD}:root`, login: 'root' }, kind: 'root', admin: true });
  });

  it('a sign-in with MFA, a failed sign-in and a federated sign-in are not facts', () => {
    expect(ignored(translateMessage(signInMessage({ account: PROD, user: 'alice', mfa: true }), 'm', live)).message).toMatch(/used MFA/);
    expect(ignored(translateMessage(signInMessage({ account: PROD, user: 'alice', success: false }), 'm', live)).message).toMatch(/failed sign-in is not a sign-in/);
    const federated = consoleLogin({ account: PROD, user: 'alice' });
    federated.userIdentity = { type: 'AssumedRole', principalId: 'AROAEXAMPLE:alice@example.com', arn: `arn:aws:sts::${PROD}:assumed-role/Okta/alice@example.com`, accountId: PROD };
    expect(ignored(translateMessage(eventBridgeEvent('AWS Console Sign In via CloudTrail', 'aws.signin', federated), 'm', live)).message).toMatch(/"AssumedRole" sign-in: MFA is the identity provider's/);
  });

  it('an MFAUsed that is neither Yes nor No is malformed, not a guess', () => {
    const d = consoleLogin({ account: PROD, user: 'alice' });
    (d.additionalEventData as Record<string, unknown>).MFAUsed = 'Maybe';
    expect(ignored(translateMessage(eventBridgeEvent('AWS Console Sign In via CloudTrail', 'aws.signin', d), 'm', live)).reason).toBe('malformed');
  });

  it('a sign-in recorded outside us-east-1 (regional endpoint, or the global one with an alias cookie) is read the same way', () => {
    const e = event(translateMessage(signInMessage({ account: DEV, user: 'bob', region: 'eu-north-1' }), 'm', live));
    expect(e.scope).toBe(DEV);
    expect(e.fact?.detail?.region).toBe('eu-north-1');
  });
});

describe('CloudTrail → ProviderEvent: hostile and foreign bodies', () => {
  it.each([
    ['not JSON', 'malformed', '<html>proxy error</html>', /not JSON/],
    ['a JSON array', 'malformed', '[1,2,3]', /not an object/],
    ['an SNS notification', 'foreign', JSON.stringify({ Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: '{}' }), /raw message delivery/],
    ['not an EventBridge event', 'foreign', JSON.stringify({ Records: [{ eventName: 'ConsoleLogin' }] }), /not an EventBridge event/],
    ['another source', 'foreign', eventBridgeEvent('EC2 Instance State-change Notification', 'aws.ec2', { 'instance-id': 'i-1', state: 'running' }, { account: PROD }), /"aws.ec2"/],
    ['aws.iam with another detail-type', 'foreign', eventBridgeEvent('AWS Service Event via CloudTrail', 'aws.iam', iamCall('CreateUser', { account: PROD })), /not one mfawatch reads/],
    ['an eventSource that does not match the source', 'foreign', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), eventSource: 'sts.amazonaws.com' }), /eventSource is "sts.amazonaws.com"/],
    ['no eventID', 'malformed', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), eventID: undefined }), /detail.eventID/],
    ['an eventID that is not an id', 'malformed', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), eventID: '../../etc/passwd' }), /detail.eventID is not an event id/],
    ['an eventTime that is not a time', 'malformed', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), eventTime: 'yesterday' }), /detail.eventTime/],
    ['an impossible eventTime', 'malformed', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), eventTime: '2026-13-45T99:99:99Z' }), /impossible eventTime/],
    ['a user name that is not an IAM name', 'malformed', iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: '<script>alert(1)</script>' } }), /not an IAM user name/],
    ['a user name that is an object', 'malformed', iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: { $ne: null } } }), /not an IAM user name/],
    ['an account id that is not 12 digits', 'malformed', eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', { ...iamCall('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'a' } }), recipientAccountId: '1234' }, { account: '1234' }), /recipientAccountId/],
  ])('%s → %s', (_name, reason, body, message) => {
    const i = ignored(translateMessage(body, 'msg-7', live));
    expect(i.reason).toBe(reason);
    expect(i.message).toMatch(message);
  });

  it('an event for an account no scope covers is reported as unknown_scope with what to do, never routed elsewhere', () => {
    const i = ignored(translateMessage(iamCallMessage('DeactivateMFADevice', { account: '777777777777', requestParameters: { userName: 'alice' }, eventId: 'ev-stray' }), 'm', live));
    expect(i).toMatchObject({ reason: 'unknown_scope', id: 'ev-stray' });
    expect(i.message).toMatch(/AWS account 777777777777, which this monitor does not cover: add the account to "accounts", or stop forwarding its events/);
  });

  it('the envelope account is used when the record has no recipientAccountId; the record wins when both are there', () => {
    const d = iamCall('DeactivateMFADevice', { account: DEV, requestParameters: { userName: 'a' } });
    delete d.recipientAccountId;
    expect(event(translateMessage(eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', d, { account: DEV }), 'm', live)).scope).toBe(DEV);
    const both = iamCall('DeactivateMFADevice', { account: DEV, requestParameters: { userName: 'a' } });
    expect(event(translateMessage(eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', both, { account: PROD }), 'm', live)).scope).toBe(DEV);
  });

  it('provider text kept in a fact is stripped of control characters and capped', () => {
    const body = signInMessage({ account: PROD, user: 'alice', userAgent: `evil\u0007\u001b[31m\nagent${'x'.repeat(5000)}`, sourceIp: '203.0.113.9\r\nX-Injected: 1' });
    const fact = event(translateMessage(body, 'm', live)).fact!;
    expect(fact.userAgent).not.toMatch(/\p{Cc}/u);
    expect(fact.userAgent!.length).toBeLessThanOrEqual(512);
    expect(fact.sourceIp).toBe('203.0.113.9  X-Injected: 1');
  });

  it('a user ARN of another account in a sign-in is refused, not attributed', () => {
    const d = consoleLogin({ account: PROD, user: 'alice' });
    (d.userIdentity as Record<string, unknown>).arn = `arn:aws:iam::${DEV}:user/alice`;
    expect(ignored(translateMessage(eventBridgeEvent('AWS Console Sign In via CloudTrail', 'aws.signin', d), 'm', live)).reason).toBe('malformed');
  });
});

describe('the README\'s EventBridge rule', () => {
  it('forwards exactly the IAM calls the translation acts on, in the CloudFormation and the Terraform templates', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'monitors', 'aws-iam', 'README.md'), 'utf8');
    const lists = [...readme.matchAll(/eventName(?:"|:|\s+=)[^[\n]*\[([^\]]+)\]/g)]
      .map((m) => [...(m[1] as string).matchAll(/"?([A-Za-z]+)"?/g)].map((x) => x[1] as string).sort())
      .filter((list) => list.includes('EnableMFADevice')); // the sign-in rules list ConsoleLogin only
    expect(lists).toHaveLength(3); // CloudFormation collector and forwarder, Terraform
    for (const list of lists) expect(list).toEqual([...HANDLED_IAM_CALLS].sort());
  });
});

describe('events config', () => {
  const base = { id: 'aws', type: 'aws-iam', accountId: PROD };
  it('accepts events.sqs with defaults (20 s long poll, 10 messages)', () => {
    const c = awsIamConfigSchema.parse({ ...base, events: { sqs: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${SECURITY}/mfawatch-iam` } } });
    expect(c.events?.sqs).toEqual({ queueUrl: `https://sqs.us-east-1.amazonaws.com/${SECURITY}/mfawatch-iam`, waitTimeSeconds: 20, maxMessages: 10 });
  });
  it.each([
    [{ sqs: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/mfawatch-iam' } }, /events.sqs.queueUrl: must be an SQS queue URL/],
    [{ sqs: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${SECURITY}/q`, waitTimeSeconds: 30 } }, /events.sqs.waitTimeSeconds: must be 0-20/],
    [{ sqs: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${SECURITY}/q`, maxMessages: 11 } }, /events.sqs.maxMessages: must be 1-10/],
    [{ sqs: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${SECURITY}/q`, visibility: 30 } }, /events.sqs/],
    [{ webhookSecret: 'x' }, /events/],
  ])('refuses %j', (events, message) => {
    const r = awsIamConfigSchema.safeParse({ ...base, events });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(message);
  });
});

const KEY = 'AKIAFAKESQSKEY000001';
const SECRET = 'sqsSecretForTests/abcdefghijklmnopqrstu';

describe('the sqs event source, through the real SQSClient against the JSON-protocol fake', () => {
  let sqs: FakeSqs;
  let queueUrl: string;
  beforeEach(async () => {
    sqs = new FakeSqs();
    await sqs.start();
    sqs.addKey(KEY, SECRET, SECURITY);
    queueUrl = sqs.createQueue(SECURITY, 'mfawatch-iam');
  });
  afterEach(async () => {
    await sqs.stop();
  });

  function source(over: Record<string, unknown> = {}, sqsOver: Record<string, unknown> = {}): PulledEventSource {
    const config = awsIamConfigSchema.parse({
      id: 'aws', type: 'aws-iam', mode: 'live',
      accounts: [{ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit` }, { roleArn: `arn:aws:iam::${DEV}:role/mfawatch-audit` }],
      events: { sqs: { queueUrl, endpoint: sqs.url, region: 'us-east-1', waitTimeSeconds: 1, ...sqsOver } },
      ...over,
    });
    const monitor = createAwsIamMonitor(config, testDeps(), { credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, retryStrategy: new ConfiguredRetryStrategy(3, 5) });
    const sources = monitor.eventSources?.() ?? [];
    expect(sources).toHaveLength(1);
    const s = sources[0] as PulledEventSource;
    expect(s).toMatchObject({ kind: 'pull', name: 'sqs', intervalMs: 0 });
    return s;
  }
  const poll = (s: PulledEventSource) => s.poll(undefined, AbortSignal.timeout(10_000));
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  };

  it('long-polls with the configured wait and batch size, and translates each message', async () => {
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'alice' }, eventId: 'ev-1' }));
    sqs.send(queueUrl, signInMessage({ account: DEV, user: 'root', eventId: 'ev-2' }));
    const batch = await poll(source({}, { maxMessages: 7 }));
    expect(batch.events.map((e) => [e.id, e.scope, e.name])).toEqual([['ev-1', PROD, 'DeactivateMFADevice'], ['ev-2', DEV, 'ConsoleLogin']]);
    expect(batch.ignored).toEqual([]);
    expect(batch.cursor).toBeUndefined(); // SQS keeps the position: visibility timeout + delete
    const receive = JSON.parse(sqs.requests[0]!.body) as Record<string, unknown>;
    expect(sqs.requests[0]!.headers['x-amz-target']).toBe('AmazonSQS.ReceiveMessage');
    expect(sqs.requests[0]!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(receive).toMatchObject({ QueueUrl: queueUrl, MaxNumberOfMessages: 7, WaitTimeSeconds: 1 });
  });

  it('a message sent while the receive waits is returned by that receive (long poll)', async () => {
    const s = source({}, { waitTimeSeconds: 5 });
    const pending = poll(s);
    await new Promise((r) => setTimeout(r, 100));
    sqs.send(queueUrl, iamCallMessage('CreateAccessKey', { account: PROD, requestParameters: { userName: 'bob' }, eventId: 'ev-late' }));
    const batch = await pending;
    expect(batch.events.map((e) => e.id)).toEqual(['ev-late']);
    expect(sqs.operations()).toEqual(['ReceiveMessage']);
  });

  it('a long poll waits by itself; a short poll (waitTimeSeconds 0) is repeated at most once a second when the queue is empty', () => {
    expect(source({}, { waitTimeSeconds: 20 })).toMatchObject({ intervalMs: 0, idleIntervalMs: 0 });
    expect(source({}, { waitTimeSeconds: 0 })).toMatchObject({ intervalMs: 0, idleIntervalMs: 1_000 });
  });

  it('an empty queue answers an empty batch with nothing to acknowledge', async () => {
    const batch = await poll(source({}, { waitTimeSeconds: 0 }));
    expect(batch).toEqual({ events: [], ignored: [] });
  });

  it('deletes nothing until acknowledge, then exactly the handles it received, ignored messages included', async () => {
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'alice' } }));
    sqs.send(queueUrl, 'garbage');
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: '777777777777', requestParameters: { userName: 'x' } }));
    const s = source();
    const batch: EventBatch = await poll(s);
    expect(batch.events).toHaveLength(1);
    expect(batch.ignored.map((i) => i.reason)).toEqual(['malformed', 'unknown_scope']);
    expect(sqs.operations()).toEqual(['ReceiveMessage']);
    expect(sqs.depth(queueUrl)).toBe(3);
    // A message sent after the receive is not the batch's: acknowledge must not delete it.
    sqs.send(queueUrl, iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: 'newbie' } }));
    const received = [...sqs.issuedHandles];
    expect(received).toHaveLength(3);
    await batch.acknowledge!(AbortSignal.timeout(5_000));
    expect(sqs.operations()).toEqual(['ReceiveMessage', 'DeleteMessageBatch']);
    expect([...sqs.deletedHandles].sort()).toEqual([...received].sort());
    expect(sqs.depth(queueUrl)).toBe(1);
  });

  it('an unacknowledged message comes back after the visibility timeout (a crash before commit loses nothing)', async () => {
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'alice' }, eventId: 'ev-again' }));
    const s = source({}, { waitTimeSeconds: 0 });
    expect((await poll(s)).events.map((e) => e.id)).toEqual(['ev-again']);
    expect((await poll(s)).events).toEqual([]); // in flight: hidden
    sqs.advance(31_000);
    const again = await poll(s);
    expect(again.events.map((e) => e.id)).toEqual(['ev-again']); // same eventID: the core's dedupe makes it harmless
    await again.acknowledge!(AbortSignal.timeout(5_000));
    expect(sqs.depth(queueUrl)).toBe(0);
  });

  it('acknowledging a stale batch (the message was redelivered meanwhile) deletes nothing and fails nothing', async () => {
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: PROD, requestParameters: { userName: 'alice' } }));
    const s = source({}, { waitTimeSeconds: 0 });
    const first = await poll(s);
    sqs.advance(31_000);
    const second = await poll(s);
    await first.acknowledge!(AbortSignal.timeout(5_000));
    expect(sqs.depth(queueUrl)).toBe(1);
    await second.acknowledge!(AbortSignal.timeout(5_000));
    expect(sqs.depth(queueUrl)).toBe(0);
  });

  it('deletes a full receive of 10 messages in one DeleteMessageBatch call (its maximum)', async () => {
    for (let i = 0; i < 10; i++) sqs.send(queueUrl, iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: `u${i}` } }));
    const s = source({}, { waitTimeSeconds: 0 });
    const batch = await poll(s);
    expect(batch.events).toHaveLength(10);
    await batch.acknowledge!(AbortSignal.timeout(5_000));
    const entries = sqs.requests.filter((r) => r.headers['x-amz-target'] === 'AmazonSQS.DeleteMessageBatch').map((r) => (JSON.parse(r.body) as { Entries: unknown[] }).Entries.length);
    expect(entries).toEqual([10]);
    expect(sqs.depth(queueUrl)).toBe(0);
  });

  it('AccessDenied on ReceiveMessage names the missing action and where to allow it', async () => {
    sqs.denied.add('ReceiveMessage');
    const err = await failure(poll(source()));
    expect(err.reason).toBe('permission');
    expect(err.message).toContain(`AWS denied sqs:ReceiveMessage in account ${SECURITY} (queue mfawatch-iam) (AccessDenied)`);
    expect(err.message).toContain('allow sqs:ReceiveMessage');
    expect(err.message).toContain('monitors/aws-iam/README.md');
  });

  it('AccessDenied on DeleteMessageBatch fails acknowledge with sqs:DeleteMessage (the IAM action behind the batch call)', async () => {
    sqs.send(queueUrl, iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: 'u' } }));
    sqs.denied.add('DeleteMessageBatch');
    const batch = await poll(source());
    const err = await failure(batch.acknowledge!(AbortSignal.timeout(5_000)));
    expect(err.reason).toBe('permission');
    expect(err.message).toContain('allow sqs:DeleteMessage');
    expect(sqs.depth(queueUrl)).toBe(1);
  });

  it('a queue that does not exist says which queue and what to check', async () => {
    const err = await failure(poll(source({}, { queueUrl: `${sqs.url}/${SECURITY}/no-such-queue` })));
    expect(err.reason).toBe('not_found');
    expect(err.message).toMatch(new RegExp(`the SQS queue no-such-queue of account ${SECURITY} does not exist in us-east-1: check "events.sqs.queueUrl"`));
  });

  it('throttling is retried by the SDK; throttling past the retries is rate_limited (transient)', async () => {
    sqs.send(queueUrl, iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: 'u' } }));
    sqs.throttle(2);
    expect((await poll(source())).events).toHaveLength(1);
    sqs.throttle(10);
    const err = await failure(poll(source()));
    expect(err.reason).toBe('rate_limited');
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/throttled sqs:ReceiveMessage/);
  });

  it('an unreachable endpoint is a network error (transient), naming the queue', async () => {
    const url = sqs.url;
    await sqs.stop();
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', accountId: PROD, events: { sqs: { queueUrl: `${url}/${SECURITY}/mfawatch-iam`, endpoint: url, waitTimeSeconds: 0 } } });
    const s = createAwsIamMonitor(config, testDeps(), { credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, retryStrategy: new ConfiguredRetryStrategy(2, 5) }).eventSources!()[0] as PulledEventSource;
    const err = await failure(s.poll(undefined, AbortSignal.timeout(10_000)));
    expect(err.reason).toBe('network');
    expect(err.message).toContain('queue mfawatch-iam');
    await sqs.start();
  });

  it('a body that does not match its MD5OfBody (cut or rewritten on the way) fails the poll as malformed; the message stays queued', async () => {
    const body = iamCallMessage('CreateUser', { account: PROD, requestParameters: { userName: 'u' } });
    sqs.send(queueUrl, body);
    sqs.inject({ kind: 'status', status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'h-1', MD5OfBody: '0'.repeat(32), Body: body.slice(0, 40) }] }) });
    const err = await failure(poll(source()));
    expect(err.reason).toBe('malformed');
    expect(err.message).toMatch(/does not match its MD5OfBody/);
    expect(sqs.depth(queueUrl)).toBe(1);
  });

  it('signs for the queue URL\'s Region when no region is configured', async () => {
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', accountId: PROD, events: { sqs: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${SECURITY}/mfawatch-iam`, endpoint: sqs.url, waitTimeSeconds: 0 } } });
    const s = createAwsIamMonitor(config, testDeps(), { credentials: { accessKeyId: KEY, secretAccessKey: SECRET } }).eventSources!()[0] as PulledEventSource;
    expect(await s.poll(undefined, AbortSignal.timeout(10_000))).toEqual({ events: [], ignored: [] });
    expect(sqs.requests[0]!.headers.authorization).toMatch(/\/eu-west-1\/sqs\/aws4_request/);
  });

  it('a wrong secret is an auth error, not a permission one', async () => {
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', accountId: PROD, events: { sqs: { queueUrl, endpoint: sqs.url, waitTimeSeconds: 0 } } });
    const s = createAwsIamMonitor(config, testDeps(), { credentials: { accessKeyId: KEY, secretAccessKey: 'wrong' }, retryStrategy: new ConfiguredRetryStrategy(1, 5) }).eventSources!()[0] as PulledEventSource;
    const err = await failure(s.poll(undefined, AbortSignal.timeout(10_000)));
    expect(err.reason).toBe('auth');
  });

  it('an instance without events has no event source', () => {
    const config = awsIamConfigSchema.parse({ id: 'aws', type: 'aws-iam', accountId: PROD });
    expect(createAwsIamMonitor(config, testDeps()).eventSources?.()).toEqual([]);
  });
});
