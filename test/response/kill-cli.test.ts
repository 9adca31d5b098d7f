/**
 * `mfawatch kill`: every responder at once, a result per service, mixed outcomes, exit codes,
 * dry run with the exact calls, confirmation, audit and announcement.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FakeEntra, FakeOkta, FakeSlack } from '../fakes/responders.js';
import { memoryLogger, runCli, tempDir, writeConfig } from '../helpers.js';
import { PassThrough } from 'node:stream';

const env = { OKTA_TOKEN: '00okta-kill-secret', SLACK_TOKEN: 'xoxp-kill-secret', ENTRA_SECRET: 'entra-kill-secret' };
let okta: FakeOkta;
let slack: FakeSlack;
let entra: FakeEntra;
let dir: ReturnType<typeof tempDir>;
let path: string;

beforeEach(async () => {
  okta = new FakeOkta(env.OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
  slack = new FakeSlack(env.SLACK_TOKEN);
  slack.users.push({ id: 'W0ALICE', email: 'alice@example.com' });
  slack.enterprise = false;
  entra = new FakeEntra('t1', 'c1', env.ENTRA_SECRET);
  entra.users.push({ id: 'obj-alice', userPrincipalName: 'alice@example.com', mail: 'alice@example.com' });
  await Promise.all([okta.start(), slack.start(), entra.start()]);
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x-unused-token', baseUrl: 'http://127.0.0.1:9' }],
    notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
    responders: [
      { id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' },
      { id: 'slack', type: 'slack', baseUrl: slack.url, token: '${SLACK_TOKEN}' },
      { id: 'entra', type: 'entra', tenantId: 't1', clientId: 'c1', clientSecret: '${ENTRA_SECRET}', graphUrl: entra.url, loginUrl: entra.url, requestTimeout: '500ms' },
    ],
  });
});
afterEach(async () => {
  await Promise.all([okta.stop(), slack.stop(), entra.stop()]);
  dir.cleanup();
});

const fastSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 10)));
const kill = (...args: string[]) => runCli(['kill', ...args, '--config', path], { env, overrides: { sleep: fastSleep } });
const db = () => new Database(join(dir.path, 'state.db'), { readonly: true });

describe('mfawatch kill', () => {
  it('runs every responder, shows one row per service; exit 1 when one failed', async () => {
    entra.inject({ kind: 'status', status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } }, 10, (r) => r.path.endsWith('revokeSignInSessions'));
    const out = await kill('alice@example.com', '--yes');
    expect(out.code).toBe(1);
    const rows = out.stdout.split('\n').filter((l) => /^(okta|slack|entra)\s/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows.find((l) => l.startsWith('okta'))).toMatch(/succeeded/);
    expect(rows.find((l) => l.startsWith('slack'))).toMatch(/unsupported .*Enterprise Grid/);
    expect(rows.find((l) => l.startsWith('entra'))).toMatch(/failed .*503/);
    expect(out.stderr).toMatch(/1 service\(s\) failed: entra/);
    expect(okta.cleared).toEqual(['00ualice+oauth']);
    const audit = db().prepare(`SELECT actor, action, subject, detail FROM audit WHERE action LIKE 'response.%' ORDER BY id`).all() as Array<{ actor: string; action: string; subject: string; detail: string }>;
    expect(audit.map((a) => a.action)).toEqual(['response.manual', 'response.done']);
    expect(audit[1]?.subject).toBe('alice@example.com');
    expect(audit[1]?.actor.length).toBeGreaterThan(0);
    expect(JSON.parse(audit[1]?.detail ?? '{}')).toMatchObject({ ok: false, results: expect.arrayContaining([expect.objectContaining({ responder: 'okta', outcome: 'succeeded' })]) });
    const announced = out.stdout.split('\n').filter((l) => l.startsWith('{"schema":"mfawatch.batch/v1"')).map((l) => JSON.parse(l) as { kind: string; title: string; severity: string });
    expect(announced).toEqual([expect.objectContaining({ kind: 'response', severity: 'critical', title: expect.stringMatching(/session kill incomplete for alice@example.com \(by /) })]);
    for (const secret of Object.values(env)) expect(out.stdout + out.stderr).not.toContain(secret);
    // `status` keeps the incomplete kill in view, with the failing service and what to do.
    const status = await runCli(['status', '--config', path], { env });
    expect(status.stdout).toMatch(/session kills needing attention/);
    expect(status.stdout).toMatch(/#\d+ alice@example\.com {2}FAILED {2}manual, .*: entra: Entra ID returned 503 .*; run `mfawatch kill alice@example\.com` once fixed/);
    const json = JSON.parse((await runCli(['status', '--json', '--config', path], { env })).stdout) as { kills: Array<{ state: string; failures: Array<{ responder: string }> }> };
    expect(json.kills).toMatchObject([{ state: 'failed', failures: [{ responder: 'entra' }] }]);
  });

  it('exit 0 when every applicable service succeeded (--only)', async () => {
    const out = await kill('alice@example.com', '--yes', '--only', 'okta,entra');
    expect(out.code).toBe(0);
    expect(entra.revoked).toEqual(['obj-alice']);
    expect(slack.requests).toEqual([]);
  });

  it('--dry-run prints the exact calls and changes nothing', async () => {
    const out = await kill('alice@example.com', '--dry-run');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`DELETE ${okta.url}/api/v1/users/00ualice/sessions?oauthTokens=true`);
    expect(out.stdout).toContain(`POST ${slack.url}/admin.users.session.reset`);
    expect(out.stdout).toContain(`POST ${entra.url}/v1.0/users/obj-alice/revokeSignInSessions`);
    expect(okta.cleared).toEqual([]);
    expect(entra.revoked).toEqual([]);
    expect(slack.reset).toEqual([]);
    // It prints; it posts nothing (no batch reaches the stdout notifier), and it is still audited.
    expect(out.stderr).toMatch(/would kill \(dry run\) the sessions of alice@example.com at:/);
    expect(out.stdout).not.toContain('"schema":"mfawatch.batch/v1"');
    expect((db().prepare(`SELECT action FROM audit WHERE action LIKE 'response.%' ORDER BY id`).all() as Array<{ action: string }>).map((a) => a.action)).toEqual(['response.manual', 'response.dry_run']);
  });

  it('asks for confirmation; off a terminal it needs --yes', async () => {
    const refused = await kill('alice@example.com');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let asked = '';
    const code = await main(['node', 'mfawatch', 'kill', 'alice@example.com', '--config', path], {
      stdout, stderr, env, overrides: { logger: memoryLogger().logger }, confirm: async (q) => ((asked = q), false),
    });
    expect(asked).toMatch(/Sign alice@example.com out of 3 service\(s\) now\?/);
    expect(code).toBe(1);
    expect(okta.requests).toEqual([]);
  });

  it('an identity no responder knows is an error', async () => {
    const out = await kill('nobody@example.com', '--yes');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/no configured service knows nobody@example.com/);
    // One short low notice at most, never a critical "kill incomplete".
    const announced = out.stdout.split('\n').filter((l) => l.startsWith('{"schema":"mfawatch.batch/v1"')).map((l) => JSON.parse(l) as { title: string; severity: string; text: string });
    expect(announced).toEqual([expect.objectContaining({ severity: 'low', title: expect.stringMatching(/^kill of nobody@example.com \(by .*\): no configured service knows them$/) })]);
    expect(announced[0]?.text.split('\n')).toHaveLength(1);
  });

  it('usage errors: unknown --only, unknown PROVIDER:LOGIN', async () => {
    expect((await kill('alice@example.com', '--yes', '--only', 'pagerduty')).code).toBe(2);
    const unknown = await kill('github:ghost', '--yes');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no account "github:ghost" has been seen/);
  });
});
