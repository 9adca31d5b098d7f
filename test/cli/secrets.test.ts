/**
 * Secret hygiene of the whole notification path: with every channel failing in its own way,
 * no webhook URL token, HMAC secret, routing key or SMTP password appears in any log line, any
 * command output, or anywhere in the database file (errors are stored per attempt).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const SECRETS = {
  GH_TOKEN: 'ghp_secretsTestToken000',
  SLACK_URL_TOKEN: 'slackPATHsecret0001',
  HOOK_URL_TOKEN: 'hookQUERYsecret0002',
  HOOK_HMAC: 'hookHMACsecret0003',
  PD_KEY: 'PDroutingKEYsecret0004abcdef0123',
  SMTP_PASS: 'smtpPASSWORDsecret0005',
};

let gh: FakeGitHub;
let slack: FakeChannel;
let hook: FakeChannel;
let pd: FakeChannel;
let smtp: SMTPServer;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [SECRETS.GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'disabled' });
  await gh.start();
  slack = new FakeChannel('slack');
  hook = new FakeChannel('webhook');
  pd = new FakeChannel('pagerduty');
  for (const s of [slack, hook, pd]) await s.start();
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth: (_a, _s, cb) => cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 })),
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './s.db',
    delivery: { runDeadline: '1s', initialBackoff: '10s', alertAfter: 1 },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [
      { id: 'slack-sec', type: 'slack', webhookUrl: `${slack.url}/services/T1/B1/\${SLACK_URL_TOKEN}` },
      { id: 'soar', type: 'webhook', url: `${hook.url}/in?token=\${HOOK_URL_TOKEN}`, secret: '${HOOK_HMAC}' },
      { id: 'pd', type: 'pagerduty', routingKey: '${PD_KEY}', url: pd.url },
      { id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, starttls: 'never', auth: { user: 'mfawatch', pass: '${SMTP_PASS}' } }, from: 'a@example.com', to: ['b@example.com'] },
    ],
  });
});
afterEach(async () => {
  for (const s of [gh, slack, hook, pd]) await s.stop();
  await new Promise<void>((r) => smtp.close(() => r()));
  dir.cleanup();
});

function expectNoSecret(where: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) expect(text.includes(value), `${name} found in ${where}`).toBe(false);
}

describe('secrets', () => {
  it('never reach logs, command output or the database, whatever the channels answer', async () => {
    slack.inject({ kind: 'status', status: 404, body: 'no_service', headers: { 'content-type': 'text/html' } }, 100);
    hook.inject({ kind: 'reset' }, 100);
    pd.inject({ kind: 'status', status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: [`routing key ${SECRETS.PD_KEY} unknown`] } }, 100);
    const env = { ...SECRETS };
    const run = await runCli(['run', '--config', configPath], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Slack answered 404 \(no_service\)/);
    expect(run.stderr).toMatch(/refused the login/);
    expectNoSecret('run output and logs', run.stdout + run.stderr);
    const events = await runCli(['events', '--json', '--config', configPath], { env });
    expect(events.stdout).toMatch(/"lastError":/);
    expectNoSecret('events --json', events.stdout + events.stderr);
    const status = await runCli(['status', '--config', configPath], { env });
    expect(status.stdout).toMatch(/slack-sec\s+slack\s+FAILING, 1 failed in 7 days/);
    expect(status.stdout).toMatch(/Slack answered 404 \(no_service\)/);
    expectNoSecret('status', status.stdout + status.stderr);
    const statusJson = await runCli(['status', '--json', '--config', configPath], { env });
    expectNoSecret('status --json', statusJson.stdout);
    const test = await runCli(['notify-test', '--config', configPath], { env });
    expect(test.code).toBe(1);
    expectNoSecret('notify-test', test.stdout + test.stderr);
    for (const f of readdirSync(dir.path).filter((n) => n.startsWith('s.db'))) expectNoSecret(f, readFileSync(join(dir.path, f)).toString('latin1'));
  });
});
