/**
 * AWS events end to end: CloudTrail records in EventBridge envelopes on the SQS fake (AWS JSON
 * protocol) → `mfawatch run` drains the queue → the user is verified at the IAM fake → the Slack
 * fake receives the alert naming that user. A console sign-in without MFA is a
 * `signin_without_mfa` alert (root: critical). Messages are deleted once committed, and neither a
 * second run nor the next scan alerts any of it again. Report mode, so the scan's credential report
 * is older than the events: the verified readings must win over it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeChannel } from '../fakes/channels.js';
import { iamCallMessage, signInMessage } from '../fakes/cloudtrail-events.js';
import { FakeSqs } from '../fakes/sqs.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const MGMT = '111111111111';
const KEY = 'AKIAFAKEEVENTSKEY001';
const SECRET = 'eventsPipelineSecretThatMustNeverPrint00';
const SLACK_SECRET = 'slackEventsPipelineSecret0123';

let aws: FakeAws;
let sqs: FakeSqs;
let slack: FakeChannel;
let queueUrl: string;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { SLACK_SECRET }, overrides: { clock } });
const slackTexts = () => slack.bodies<{ text: string; blocks?: unknown }>().map((b) => `${b.text}\n${JSON.stringify(b.blocks ?? [])}`);

beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: KEY, secret: SECRET }, rootMfa: 'hardware_totp' });
  aws.addUser(MGMT, { name: 'alice', password: true, devices: ['virtual'] });
  aws.addUser(MGMT, { name: 'bob', password: true, devices: ['virtual'] });
  aws.addUser(MGMT, { name: 'carol', password: true, devices: ['virtual'] });
  await aws.start();
  sqs = new FakeSqs();
  await sqs.start();
  sqs.addKey(KEY, SECRET, MGMT);
  queueUrl = sqs.createQueue(MGMT, 'mfawatch-iam-events');
  slack = new FakeChannel('slack');
  await slack.start();
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
  configure('report');
});

function configure(mode: 'report' | 'live', waitTimeSeconds = 0): void {
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '3s', initialBackoff: '100ms' },
    monitors: [
      {
        id: 'aws-mgmt', type: 'aws-iam', mode, accountId: MGMT, endpoint: { iam: aws.url, sts: aws.url }, maxAttempts: 1,
        events: { sqs: { queueUrl, endpoint: sqs.url, region: 'us-east-1', waitTimeSeconds } },
      },
    ],
    notifiers: [{ id: 'slack-sec', type: 'slack', webhookUrl: `${slack.url}/services/T1/B1/\${SLACK_SECRET}`, minSeverity: 'medium' }],
  });
}
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  await sqs.stop();
  await slack.stop();
  dir.cleanup();
});

describe('mfawatch run with aws-iam events from SQS', () => {
  it('a DeactivateMFADevice on the queue alerts Slack naming the user, once; a ConsoleLogin without MFA is signin_without_mfa (root critical)', async () => {
    const first = await cli('run');
    expect(first.code).toBe(0);
    expect(slack.accepted).toHaveLength(0); // the baseline is info

    // alice loses her device at 09:58; the credential report (07:00) does not show it yet.
    clock.advance(60_000);
    aws.user(MGMT, 'alice').devices = [];
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: MGMT, requestParameters: { userName: 'alice', serialNumber: `arn:aws:iam::${MGMT}:mfa/alice` }, time: '2026-11-22T09:58:00Z', caller: 'alice' }));
    const bobSignIn = signInMessage({ account: MGMT, user: 'bob', mfa: false, time: '2026-11-22T09:59:00Z', sourceIp: '203.0.113.50', eventId: '5c7e6d1a-0b8e-4f57-9a43-7d0c2b1e9f01' });
    sqs.send(queueUrl, bobSignIn);
    sqs.send(queueUrl, signInMessage({ account: MGMT, user: 'root', mfa: false, time: '2026-11-22T09:59:30Z', region: 'us-east-1' }));
    sqs.send(queueUrl, signInMessage({ account: MGMT, user: 'carol', mfa: true, time: '2026-11-22T09:59:40Z' })); // with MFA: nothing
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: '777777777777', requestParameters: { userName: 'stranger' } })); // no scope covers it
    const second = await cli('run');
    expect(second.code).toBe(0);
    // The stray account is reported where the operator looks, not dropped.
    const status = await cli('status');
    expect(status.stdout).toMatch(/set aside.*777777777777/);
    const texts = slackTexts().join('\n---\n');
    expect(texts).toMatch(/alice/);
    expect(texts).toMatch(/HIGH: alice disabled/i);
    expect(texts).toMatch(/bob/);
    expect(texts).toMatch(/203\.0\.113\.50/);
    expect(texts).toMatch(/CRITICAL/);
    expect(texts).not.toMatch(/carol/);
    expect(sqs.depth(queueUrl)).toBe(0); // deleted once committed

    const events = JSON.parse((await cli('events', '--json')).stdout) as { events: Array<{ type: string; login: string | null; severity: string }> };
    const changes = events.events.filter((e) => e.type !== 'baseline').map((e) => `${e.type}:${e.login}:${e.severity}`).sort();
    expect(changes).toEqual(['mfa_disabled:alice:high', 'signin_without_mfa:bob:high', 'signin_without_mfa:root:critical']);

    // Nothing again: not from a redelivered message, not from the next scan's (older) report.
    const delivered = slack.accepted.length;
    clock.advance(3_600_000);
    sqs.send(queueUrl, bobSignIn); // the same CloudTrail event delivered again
    const third = await cli('run');
    expect(third.code).toBe(0);
    const after = JSON.parse((await cli('events', '--json')).stdout) as { events: Array<{ type: string; login: string | null }> };
    expect(after.events.filter((e) => e.type !== 'baseline')).toHaveLength(3);
    expect(slack.accepted).toHaveLength(delivered);
    expect(sqs.depth(queueUrl)).toBe(0);
    expect(`${first.stderr}${second.stderr}${third.stderr}`).not.toContain(SECRET);
  });

  it('live mode: a CreateAccessKey is verified and alerted once as credential_added naming the new key; the next scan repeats nothing', async () => {
    configure('live');
    expect((await cli('run')).code).toBe(0);
    aws.user(MGMT, 'carol').keys.push({ id: 'AKIACAROLNEWKEY00001', status: 'Active' });
    sqs.send(queueUrl, iamCallMessage('CreateAccessKey', { account: MGMT, requestParameters: { userName: 'carol' }, responseElements: { accessKey: { userName: 'carol', accessKeyId: 'AKIACAROLNEWKEY00001', status: 'Active', createDate: 'Nov 22, 2026 9:59:00 AM' } }, time: '2026-11-22T09:59:00Z' }));
    expect((await cli('run')).code).toBe(0);
    const texts = slackTexts().join('\n');
    expect(texts).toMatch(/carol/);
    expect(texts).toMatch(/AKIACAROLNEWKEY00001/);
    const events = JSON.parse((await cli('events', '--json')).stdout) as { events: Array<{ type: string; login: string | null }> };
    expect(events.events.filter((e) => e.type !== 'baseline').map((e) => `${e.type}:${e.login}`)).toEqual(['credential_added:carol']);
    const delivered = slack.accepted.length;
    clock.advance(3_600_000);
    expect((await cli('run')).code).toBe(0); // a live scan that sees the key too
    expect(slack.accepted).toHaveLength(delivered);
  });

  it('mfawatch start: a DeactivateMFADevice sent while the long poll waits reaches Slack naming the user; stopping ends the 20 s poll at once', async () => {
    configure('report', 20);
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { SLACK_SECRET }, stopSignal });
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    // The baseline is scanned and the source is waiting in a long poll.
    await until(() => aws.actions().includes('iam:GetCredentialReport') && sqs.operations().includes('ReceiveMessage'));
    aws.user(MGMT, 'alice').devices = [];
    sqs.send(queueUrl, iamCallMessage('DeactivateMFADevice', { account: MGMT, requestParameters: { userName: 'alice' }, time: '2026-11-22T09:58:00Z' }));
    await until(() => slackTexts().some((t) => /alice/.test(t)) && sqs.depth(queueUrl) === 0);
    stop();
    const out = await running;
    expect(out.code, out.stderr).toBe(0);
    expect(slackTexts().filter((t) => /alice/.test(t))).toHaveLength(1);
    expect(sqs.depth(queueUrl)).toBe(0);
  });
});
