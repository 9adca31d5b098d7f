/**
 * Auto-response end to end: a GitHub member losing 2FA (through the CLI, the GitHub fake and the
 * Okta fake) and an AWS IAM user losing MFA (through the real AWS SDK and the IAM fake) have their
 * sessions killed in the same cycle; every guard holds and tells the team why; grace + cancel;
 * a crash between decision and kill, and one in the middle of a kill.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Monitor, MonitorCommonConfig, MonitorModule } from '../../monitors/types.js';
import { createApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import type { Observation } from '../../src/core/types.js';
import { runCycle, scanMonitors } from '../../src/cycle.js';
import { responseRunnerFor } from '../../src/response/wiring.js';
import { FakeIamForResponder } from '../fakes/aws-iam-responder.js';
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
    const b = batches(out).find((x) => x.kind === 'response');
    expect(b?.title).toMatch(/^\[dry run\]/);
    expect(b?.text).toMatch(/skipped \(dry run\)/);
  });

  it('exempt (break-glass) identities are never touched, and the team is told why', async () => {
    const path = writeConfig(dir.path, baseConfig({ exempt: ['breakglass@example.com'] }));
    await cli(path, 'run');
    disable2fa(3);
    const out = await cli(path, 'run');
    expect(okta.requests).toEqual([]);
    expect(responses()).toMatchObject([{ identity: 'breakglass@example.com', status: 'blocked', reason: expect.stringMatching(/^exempt:/) }]);
    expect(batches(out).find((b) => b.kind === 'response')?.text).toMatch(/exempt from auto-response/);
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
    expect(grace.map((b) => b.title)).toEqual(expect.arrayContaining(['sessions of alice@example.com will be killed in 10 min']));
    expect(grace[0]?.text).toMatch(/mfawatch cancel-kill alice@example.com/);
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
  });
});

describe('auto-response from an AWS change (real AWS SDK against the IAM fake)', () => {
  it('an IAM user linked by its email tag loses MFA: AWSRevokeOlderSessions is attached in the same cycle', async () => {
    const iam = new FakeIamForResponder('AKIAAUTORESPONSE01');
    iam.addUser('carol', '123456789012');
    await iam.start();
    try {
      // Stands in for the aws-iam monitor (another branch): IAM users with their `email` tag.
      const users: Observation[] = [
        { accountId: 'arn:aws:iam::123456789012:user/carol', login: 'carol', email: 'carol@example.com', kind: 'iam_user', admin: true, mfa: 'enabled', factors: ['virtual'] },
        ...Array.from({ length: 30 }, (_, i): Observation => ({ accountId: `arn:aws:iam::123456789012:user/u${i}`, login: `u${i}`, email: null, kind: 'iam_user', admin: false, mfa: 'enabled' })),
      ];
      const monitor: Monitor = { scopes: () => [{ id: '123456789012', label: 'prod' }], scan: async function* () { yield* users; } };
      const awsModule = { type: 'aws-iam', provider: 'AWS IAM', configSchema: {} as MonitorModule['configSchema'], secretKeys: [], create: () => monitor } as unknown as MonitorModule<MonitorCommonConfig>;
      const raw = baseConfig({}, { responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }, { id: 'aws-prod', type: 'aws-iam', endpoint: iam.url, accountId: '123456789012' }] });
      const cfg = resolveConfig(JSON.parse(JSON.stringify(raw)) as unknown, env, join(dir.path, 'mfawatch.json'));
      cfg.monitors = [{ config: { id: 'aws-prod', type: 'aws-iam' }, module: awsModule }];
      const app = createApp(cfg, { clock, logger: memoryLogger().logger });
      responseRunnerFor(app, { awsCredentials: { accessKeyId: 'AKIAAUTORESPONSE01', secretAccessKey: 'test-secret-key' } });
      try {
        await runCycle(app, { signal: new AbortController().signal });
        users[0] = { ...users[0]!, mfa: 'disabled', factors: [] };
        clock.advance(3_600_000);
        const result = await runCycle(app, { signal: new AbortController().signal });
        expect(result.responses).toHaveLength(1);
        expect(result.responses[0]).toMatchObject({ identity: 'carol@example.com', ok: true });
        expect(result.responses[0]?.results.find((r) => r.responderId === 'aws-prod')?.outcome).toBe('succeeded');
        expect(result.responses[0]?.results.find((r) => r.responderId === 'okta')?.outcome).toBe('not_found');
        const doc = JSON.parse(iam.users.get('carol')?.policies.get('AWSRevokeOlderSessions') ?? '{}') as { Statement: Array<{ Condition: unknown }> };
        expect(doc.Statement[0]?.Condition).toEqual({ DateLessThan: { 'aws:TokenIssueTime': clock.now().toISOString() } });
      } finally {
        app.close();
      }
    } finally {
      await iam.stop();
    }
  });
});
