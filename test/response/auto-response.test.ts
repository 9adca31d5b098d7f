/**
 * Auto-response end to end: a GitHub member losing 2FA (through the CLI, the GitHub fake and the
 * Okta fake) and an AWS IAM user losing MFA (the real aws-iam monitor and responder through the CLI,
 * the real AWS SDK and the IAM fake) have their sessions killed in the same cycle, and nobody else; every guard holds and tells the team why; grace + cancel;
 * a crash between decision and kill, and one in the middle of a kill.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { responseRunnerFor } from '../../src/response/wiring.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, memoryLogger, runCli, tempDir, writeConfig, type CliResult } from '../helpers.js';

const GH_TOKEN = 'ghp_auto_response_owner';
const OKTA_TOKEN = '00okta-auto-response-token';
let gh: FakeGitHub;
let okta: FakeOkta;
let dir: ReturnType<typeof tempDir>;
let clock: PinnedClock;

const env = { GH_TOKEN, OKTA_TOKEN };
function baseConfig(autoResponse: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    database: './state.db',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
    responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
    autoResponse: { enabled: true, dryRun: false, ...autoResponse },
    identities: { map: { 'github:alice': 'alice@example.com', 'github:bob': 'bob@example.com', 'github:breakglass': 'breakglass@example.com' } },
    ...extra,
  };
}
const cli = (path: string, ...args: string[]) => runCli([...args, '--config', path], { env, overrides: { clock } });
const batches = (out: CliResult) =>
  out.stdout.split('\n').filter((l) => l.startsWith('{"schema":"mfawatch.batch/v1"')).map((l) => JSON.parse(l) as { kind: string; title: string; text?: string });
const responses = () => new Database(join(dir.path, 'state.db'), { readonly: true }).prepare('SELECT * FROM responses ORDER BY id').all() as Array<Record<string, unknown>>;
const auditActions = () => (new Database(join(dir.path, 'state.db'), { readonly: true }).prepare('SELECT action FROM audit ORDER BY id').all() as Array<{ action: string }>).map((r) => r.action);
function disable2fa(id: number): void {
  const m = gh.members.get(id);
  if (m) m.twoFactor = 'disabled';
}

beforeEach(async () => {
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'breakglass', role: 'admin', twoFactor: 'enabled' });
  gh.generateMembers(40);
  okta = new FakeOkta(OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' }, { id: '00ubob', login: 'bob@example.com', email: 'bob@example.com' });
  await Promise.all([gh.start(), okta.start()]);
  dir = tempDir();
});
afterEach(async () => {
  await Promise.all([gh.stop(), okta.stop()]);
  dir.cleanup();
});

describe('auto-response from a GitHub change', () => {
  it('a member who loses 2FA is signed out in the same cycle, the kill is audited and announced', async () => {
    const path = writeConfig(dir.path, baseConfig({}));
    expect((await cli(path, 'run')).code).toBe(0); // baseline: never a kill
    expect(okta.cleared).toEqual([]);
    disable2fa(1);
    clock.advance(3_600_000);
    const out = await cli(path, 'run');
    expect(out.code).toBe(0);
    expect(okta.cleared).toEqual(['00ualice+oauth']);
    expect(responses()).toMatchObject([{ identity: 'alice@example.com', origin: 'auto', status: 'done', ok: 1, dry_run: 0 }]);
    expect(auditActions()).toEqual(expect.arrayContaining(['response.scheduled', 'response.done']));
    const done = batches(out).find((b) => b.kind === 'response');
    expect(done?.title).toMatch(/sessions killed for alice@example.com \(auto-response\)/);
    expect(done?.text).toMatch(/Okta \(okta\): succeeded/);
    // An unchanged next run kills nobody again.
    clock.advance(3_600_000);
    await cli(path, 'run');
    expect(okta.cleared).toHaveLength(1);
  });

  it('dry run: reports what it would do and changes nothing', async () => {
    const path = writeConfig(dir.path, baseConfig({ dryRun: true }));
    await cli(path, 'run');
    disable2fa(1);
    const out = await cli(path, 'run');
    expect(okta.cleared).toEqual([]);
    expect(okta.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(responses()).toMatchObject([{ identity: 'alice@example.com', status: 'done', dry_run: 1 }]);
    // One info message that says "would kill"; the dry run's own result is printed, not posted.
    const posted = batches(out).filter((x) => x.kind === 'response') as Array<{ title: string; text?: string; severity?: string }>;
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ title: 'would kill (dry run) the sessions of alice@example.com', severity: 'info' });
    expect(posted[0]?.text).toMatch(/would kill \(dry run\) the sessions of alice@example.com\nDry run/);
    expect(out.stdout + out.stderr).not.toMatch(/sessions killed|killed for/);
    expect(out.stderr).toMatch(/auto-response alice@example.com: would kill \(dry run\): okta would call/);
  });

  it('dry run with a kill held back: still one info message for the cycle', async () => {
    const path = writeConfig(dir.path, baseConfig({ dryRun: true, exempt: ['breakglass@example.com'] }));
    await cli(path, 'run');
    disable2fa(1);
    disable2fa(3);
    const out = await cli(path, 'run');
    const posted = batches(out).filter((x) => x.kind === 'response') as Array<{ title: string; text?: string; severity?: string }>;
    expect(posted).toEqual([expect.objectContaining({ severity: 'info', title: 'would kill (dry run) the sessions of alice@example.com; auto-response (dry run) held back for 1 account(s)' })]);
    expect(posted[0]?.text).toMatch(/breakglass \(admin\) disabled .*: would not kill \(dry run\)\. .*exempt from auto-response/);
  });

  it('maxPerRun caps the kills of the whole run, across monitors, not of each scan', async () => {
    const monitors = ['gh-acme', 'gh-acme-again'].map((id) => ({ id, type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }));
    const path = writeConfig(dir.path, baseConfig({ maxPerRun: 1 }, { monitors }));
    await cli(path, 'run');
    disable2fa(1);
    disable2fa(2);
    const out = await cli(path, 'run');
    // Each scan sees alice and bob: per scan, the cap would let one kill through in each of them.
    expect(okta.cleared).toHaveLength(1);
    const rows = responses();
    expect(rows.filter((r) => r.status === 'done')).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'blocked' && String(r.reason).startsWith('max_per_run: the cap of 1 automatic kill(s) per run'))).not.toHaveLength(0);
    expect(batches(out).some((b) => b.kind === 'response' && /held back/.test(b.title))).toBe(true);
  });

  it('exempt (break-glass) identities are never touched, and the team is told why', async () => {
    const path = writeConfig(dir.path, baseConfig({ exempt: ['breakglass@example.com'] }));
    await cli(path, 'run');
    disable2fa(3);
    const out = await cli(path, 'run');
    expect(okta.requests).toEqual([]);
    expect(responses()).toMatchObject([{ identity: 'breakglass@example.com', status: 'blocked', reason: expect.stringMatching(/^exempt:/) }]);
    expect(batches(out).find((b) => b.kind === 'response')?.text).toMatch(/exempt from auto-response/);
    expect((await cli(path, 'status')).stdout).toMatch(/#\d+ breakglass@example\.com {2}BLOCKED {2}auto, .*: held back: exempt:/);
  });

  it('mass-change breaker: when many accounts change at once nobody is killed, and one alert explains', async () => {
    const path = writeConfig(dir.path, baseConfig({ massChangeShare: 0.05 }));
    await cli(path, 'run');
    for (const id of [1, 2, 100_000, 100_001, 100_002]) disable2fa(id);
    const out = await cli(path, 'run');
    expect(okta.requests).toEqual([]);
    expect(responses().every((r) => r.status === 'blocked' && String(r.reason).startsWith('mass_change'))).toBe(true);
    const alerts = batches(out).filter((b) => b.kind === 'response');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.title).toMatch(/held back: 5 of 43 accounts changed in one scan/);
  });

  it('maxPerRun and cooldown hold across runs', async () => {
    const path = writeConfig(dir.path, baseConfig({ maxPerRun: 1, cooldown: '1d' }));
    await cli(path, 'run');
    disable2fa(1);
    disable2fa(2);
    await cli(path, 'run');
    expect(okta.cleared).toHaveLength(1);
    expect(responses().map((r) => r.status)).toEqual(['done', 'blocked']);
    expect(String(responses()[1]?.reason)).toMatch(/^max_per_run/);
    // alice re-enables and loses 2FA again within the cooldown: not killed twice.
    gh.members.get(1)!.twoFactor = 'enabled';
    clock.advance(60_000);
    await cli(path, 'run');
    disable2fa(1);
    clock.advance(60_000);
    await cli(path, 'run');
    expect(okta.cleared).toHaveLength(1);
    expect(String(responses().at(-1)?.reason)).toMatch(/^cooldown/);
  });

  it('grace: announced first, killed only once due; `cancel-kill` stops it', async () => {
    const path = writeConfig(dir.path, baseConfig({ graceMinutes: 10 }));
    await cli(path, 'run');
    disable2fa(1);
    disable2fa(2);
    const out = await cli(path, 'run');
    expect(okta.cleared).toEqual([]);
    const grace = batches(out).filter((b) => b.kind === 'response');
    expect(grace.map((b) => b.title)).toEqual(['sessions of alice@example.com, bob@example.com will be killed in 10 min']);
    expect(grace[0]?.text).toMatch(/mfawatch cancel-kill alice@example.com/);
    expect(grace[0]?.text).toMatch(/mfawatch cancel-kill bob@example.com/);
    const waiting = (await cli(path, 'status')).stdout;
    expect(waiting).toMatch(/#\d+ alice@example\.com {2}SCHEDULED {2}auto, .*: due in 10m; stop it with `mfawatch cancel-kill alice@example\.com`/);
    expect(waiting).toMatch(/#\d+ bob@example\.com {2}SCHEDULED/);
    const cancel = await cli(path, 'cancel-kill', 'github:alice');
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled 1 scheduled kill\(s\) of alice@example.com/);
    expect((await cli(path, 'cancel-kill', 'alice@example.com')).code).toBe(1); // nothing left to cancel
    clock.advance(5 * 60_000);
    await cli(path, 'run');
    expect(okta.cleared).toEqual([]); // bob is still in his grace period
    clock.advance(6 * 60_000);
    await cli(path, 'run');
    expect(okta.cleared).toEqual(['00ubob+oauth']);
    expect(responses().map((r) => `${String(r.identity)} ${String(r.status)}`)).toEqual(['alice@example.com cancelled', 'bob@example.com done']);
    expect((await cli(path, 'status')).stdout).not.toMatch(/session kills needing attention/); // cancelled and done: nothing to do
  });
});

describe('crash safety: a pending kill is never lost and never run twice', () => {
  it('a crash between the decision and the kill: the next run kills exactly once', async () => {
    const path = writeConfig(dir.path, baseConfig({}));
    await cli(path, 'run');
    disable2fa(1);
    // The scan commits its decision, then the process dies before running it.
    const cfg = resolveConfig(JSON.parse(JSON.stringify(baseConfig({}))) as unknown, env, path);
    const crashed = createApp(cfg, { clock, logger: memoryLogger().logger });
    await scanMonitors(crashed, crashed.monitors, new AbortController().signal);
    crashed.close();
    expect(responses()).toMatchObject([{ status: 'scheduled' }]);
    expect(okta.cleared).toEqual([]);
    await cli(path, 'run');
    await cli(path, 'run');
    expect(okta.cleared).toEqual(['00ualice+oauth']);
  });

  it('a crash in the middle of a kill: marked interrupted, never re-run, the team is told', async () => {
    const path = writeConfig(dir.path, baseConfig({}));
    await cli(path, 'run');
    disable2fa(1);
    const cfg = resolveConfig(JSON.parse(JSON.stringify(baseConfig({}))) as unknown, env, path);
    const crashed = createApp(cfg, { clock, logger: memoryLogger().logger });
    await scanMonitors(crashed, crashed.monitors, new AbortController().signal);
    const row = responseRunnerFor(crashed).responses.due(clock.now())[0];
    expect(row && responseRunnerFor(crashed).responses.claim(row.id, clock.now())).toBe(true); // claimed, then the process dies
    crashed.close();
    clock.advance(5 * 60_000);
    const out = await cli(path, 'run');
    expect(okta.cleared).toEqual([]);
    expect(responses()).toMatchObject([{ status: 'interrupted' }]);
    const told = batches(out).find((b) => b.kind === 'response');
    expect(told?.title).toMatch(/session kill of alice@example.com was interrupted/);
    expect(told?.text).toMatch(/mfawatch kill alice@example.com/);
    expect(out.code).toBe(0);
    expect((await cli(path, 'status')).stdout).toMatch(/#\d+ alice@example\.com {2}INTERRUPTED {2}auto, .*: mfawatch stopped while this kill was running; which services were reached is unknown: check each service, then `mfawatch kill alice@example\.com`/);
  });
});

describe('auto-response from an AWS change (the real aws-iam monitor and responder, real AWS SDK, the IAM fake)', () => {
  const MGMT = '111111111111';
  const PROD = '222222222222';
  const AWS_KEY = 'AKIAAUTORESPONSE0001';
  const AWS_SECRET = 'autoResponseSecretKeyNeverPrinted000000';
  let aws: FakeAws;

  beforeEach(async () => {
    aws = new FakeAws();
    aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: AWS_KEY, secret: AWS_SECRET }, rootMfa: 'virtual' });
    aws.addAccount(PROD, { alias: 'acme-prod', roles: { 'mfawatch-audit': null } });
    // alice: console user linked by the monitor's emailTag; she holds an access key too.
    aws.addUser(MGMT, { name: 'alice', password: true, devices: ['virtual'], tags: { email: 'alice@example.com' }, accessKeys: [{ id: 'AKIAALICEKEY00000001', status: 'Active' }] });
    // carol: linked because her user name is an email; keeps MFA.
    aws.addUser(MGMT, { name: 'carol@example.com', password: true, devices: ['security_key'] });
    // An API-only user tagged with bob's email: its MFA is not applicable, it must never get bob killed.
    aws.addUser(MGMT, { name: 'deploy-bot', password: false, devices: ['virtual'], tags: { email: 'bob@example.com' }, accessKey: true });
    aws.addUser(MGMT, { name: 'dave', password: true, devices: ['hardware_totp'] });
    // In prod, alice is "asmith" (tagged); prod's own "alice" is another person, not linked: never touched.
    aws.addUser(PROD, { name: 'asmith', password: true, devices: ['virtual'], tags: { email: 'alice@example.com' } });
    aws.addUser(PROD, { name: 'alice', password: true, devices: ['virtual'] });
    await aws.start();
    // Credentials reach the SDK through its default chain (environment), as in production.
    vi.stubEnv('AWS_ACCESS_KEY_ID', AWS_KEY);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', AWS_SECRET);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await aws.stop();
  });

  const awsConfig = (autoResponse: Record<string, unknown> = {}) =>
    writeConfig(dir.path, {
      database: './state.db',
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [
        { id: 'aws-mgmt', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, emailTag: 'email', maxAttempts: 1 },
        { id: 'aws-org', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, emailTag: 'email', maxAttempts: 1, accounts: [{ roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit` }] },
      ],
      notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
      responders: [
        { id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' },
        { id: 'aws-mgmt', type: 'aws-iam', endpoint: aws.url, accountId: MGMT },
        { id: 'aws-prod', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, roleArn: `arn:aws:iam::${PROD}:role/mfawatch-audit` },
      ],
      autoResponse: { enabled: true, dryRun: false, ...autoResponse },
    });
  const policyOf = (account: string, user: string) => JSON.parse(aws.user(account, user).policies.get('AWSRevokeOlderSessions') ?? 'null') as { Statement: Array<{ Effect: string; Condition: unknown }> } | null;
  const events = () => new Database(join(dir.path, 'state.db'), { readonly: true }).prepare("SELECT type, login, severity FROM events WHERE type != 'baseline' ORDER BY id").all() as Array<{ type: string; login: string; severity: string }>;

  it('a console user linked by its email tag loses MFA: mfa_disabled is committed and AWSRevokeOlderSessions attached in the same cycle; root and API-only losses kill nobody', async () => {
    const path = awsConfig();
    const first = await cli(path, 'run');
    expect(first.code).toBe(0); // baseline: never a kill
    expect(aws.writes()).toEqual([]);

    const mgmt = aws.accounts.get(MGMT)!;
    aws.user(MGMT, 'alice').devices = [];
    aws.user(MGMT, 'deploy-bot').devices = []; // API-only: MFA not applicable either way
    mgmt.rootMfa = null; // root has no person behind it to sign out
    clock.advance(3_600_000);
    const out = await cli(path, 'run');
    expect(out.code).toBe(0);
    expect(events()).toEqual(expect.arrayContaining([
      { type: 'mfa_disabled', login: 'alice', severity: 'high' },
      { type: 'mfa_disabled', login: 'root', severity: 'critical' },
    ]));
    expect(events()).toHaveLength(2);

    // The kill, in the same cycle: the policy with the cut-off = now on alice's users in both accounts.
    const cutOff = { Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': clock.now().toISOString() } } };
    expect(policyOf(MGMT, 'alice')?.Statement[0]).toEqual(cutOff);
    expect(policyOf(PROD, 'asmith')?.Statement[0]).toEqual(cutOff);
    // Nobody else: no other write in any account, prod's own "alice" untouched, no other Okta user.
    expect(aws.writes()).toEqual(expect.arrayContaining([{ account: MGMT, action: 'PutUserPolicy', user: 'alice' }, { account: PROD, action: 'PutUserPolicy', user: 'asmith' }]));
    expect(aws.writes()).toHaveLength(2);
    expect(policyOf(PROD, 'alice')).toBeNull();
    expect(aws.user(MGMT, 'alice').keys[0]?.status).toBe('Active'); // not opted in
    expect(okta.cleared).toEqual(['00ualice+oauth']);
    // Root's loss is held back (no person is linked to it) and recorded; alice's kill is done.
    expect(responses()).toMatchObject([
      { identity: '(unlinked) aws-mgmt/111111111111:root', origin: 'auto', status: 'blocked', reason: expect.stringMatching(/^no_identity: root is not linked to a person/) },
      { identity: 'alice@example.com', origin: 'auto', status: 'done', ok: 1, dry_run: 0, monitor_id: 'aws-mgmt' },
    ]);
    expect(auditActions()).toEqual(expect.arrayContaining(['response.scheduled', 'response.done']));
    expect(batches(out).map((b) => b.title)).toEqual(['AWS IAM acme-mgmt (111111111111): 2 changes, highest critical', 'killing the sessions of alice@example.com now; auto-response held back for 1 account(s)', 'sessions killed for alice@example.com (auto-response)']);
    expect(batches(out).find((b) => b.title.includes('auto-response held back'))?.text).toMatch(/root is not linked to a person/);
    const done = batches(out).find((b) => b.kind === 'response' && /sessions killed/.test(b.title));
    expect(done?.title).toMatch(/sessions killed for alice@example.com \(auto-response\)/);
    expect(done?.text).toMatch(/AWS IAM \(aws-mgmt\): succeeded/);
    expect(done?.text).toMatch(/AWS IAM \(aws-prod\): succeeded/);
    expect(done?.text).toMatch(/AWSRevokeOlderSessions attached/);
    expect(out.stdout + out.stderr).not.toContain(AWS_SECRET);

    // The next cycle sees the same state: nobody is killed again.
    clock.advance(3_600_000);
    expect((await cli(path, 'run')).code).toBe(0);
    expect(aws.writes()).toHaveLength(2);
    expect(responses()).toHaveLength(2);
  });

  it('an IAM user whose name is an email, in dry run: reported, nothing written', async () => {
    const path = awsConfig({ dryRun: true });
    await cli(path, 'run');
    aws.user(MGMT, 'carol@example.com').devices = [];
    clock.advance(3_600_000);
    const out = await cli(path, 'run');
    expect(out.code).toBe(0);
    expect(aws.writes()).toEqual([]);
    expect(responses()).toMatchObject([{ identity: 'carol@example.com', status: 'done', dry_run: 1 }]);
    const posted = batches(out).filter((x) => x.kind === 'response');
    expect(posted.map((b) => b.title)).toEqual(['would kill (dry run) the sessions of carol@example.com']);
    expect(out.stderr).toMatch(/auto-response carol@example.com: would kill \(dry run\): .*aws-mgmt would call/);
  });

  it('`mfawatch kill alice@example.com` through the real CLI: the policy, keys and console password per the config', async () => {
    const path = awsConfig();
    await cli(path, 'run'); // the monitor links alice's IAM user to her email
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { responders: Array<Record<string, unknown>> };
    raw.responders[1] = { ...raw.responders[1], deactivateAccessKeys: true, deleteLoginProfile: true };
    writeFileSync(path, JSON.stringify(raw));
    const out = await cli(path, 'kill', 'alice@example.com', '--yes');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/AWS IAM.*succeeded/);
    const alice = aws.user(MGMT, 'alice');
    expect(policyOf(MGMT, 'alice')?.Statement[0]?.Condition).toEqual({ DateLessThan: { 'aws:TokenIssueTime': clock.now().toISOString() } });
    expect(alice.keys.map((k) => k.status)).toEqual(['Inactive']);
    expect(alice.password).toBe(false);
    // Responders run concurrently: the order holds within one account only.
    expect(aws.writes().filter((w) => w.account === MGMT)).toEqual([
      { account: MGMT, action: 'PutUserPolicy', user: 'alice' },
      { account: MGMT, action: 'UpdateAccessKey', user: 'alice' },
      { account: MGMT, action: 'DeleteLoginProfile', user: 'alice' },
    ]);
    expect(aws.writes().filter((w) => w.account !== MGMT)).toEqual([{ account: PROD, action: 'PutUserPolicy', user: 'asmith' }]);
    expect(policyOf(PROD, 'alice')).toBeNull();
    expect(okta.cleared).toEqual(['00ualice+oauth']);
    expect(responses()).toMatchObject([{ identity: 'alice@example.com', origin: 'manual', status: 'done', ok: 1 }]);
    expect(auditActions()).toEqual(expect.arrayContaining(['response.done']));
    expect(out.stdout + out.stderr).not.toContain(AWS_SECRET);
  });
});
