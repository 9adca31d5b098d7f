/**
 * Secret hygiene, one shared test for every module: each module entry below configures its secrets
 * with known values (through "${ENV}", as operators do), can make its provider fail (including a
 * hostile provider that echoes the credential back in its error body) and succeed. The whole
 * pipeline then runs through the CLI (good cycle, failing cycles, recovery), and `status`,
 * `events`, `history` and `audit export` are read. No secret value may appear in any log line,
 * error, CLI output, notification, or byte of the database files.
 *
 * ADDING A MODULE: add one entry to SECRET_MODULES (its config fragment with the secret in the
 * environment, `fail()` and `succeed()` on its fake). Tokens, webhook URLs, passwords, AWS keys
 * and private keys all belong here as they arrive.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { DIRECTORY_READONLY, FakeGoogle, makeServiceAccount } from '../fakes/google.js';
import { FakeOkta } from '../fakes/okta.js';
import { FakeSlack } from '../fakes/slack.js';
import { runCli, tempDir, writeConfig, type CliResult } from '../helpers.js';

interface StartedModule {
  /** Config fragments merged into the shared config. */
  monitors?: Array<Record<string, unknown>>;
  notifiers?: Array<Record<string, unknown>>;
  health?: Record<string, unknown>;
  env: Record<string, string>;
  /** The secret values that must never leave. */
  secrets: string[];
  fail(): void;
  succeed(): void;
  stop(): Promise<void>;
}

interface SecretModule {
  name: string;
  start(): Promise<StartedModule>;
}

const GITHUB_TOKEN = 'ghp_SECRETHYGIENE_0123456789abcdefABCDEF';
const HEARTBEAT_KEY = 'hb-5f2c1e7a-secret-check-key';
const OKTA_TOKEN = '00SECRETHYGIENE-okta-0123456789abcdef';
const SLACK_TOKEN = 'xoxp-SECRETHYGIENE-slack-0123456789';
const SLACK_PATH_TOKEN = 'slackHOOKsecretPATH0123456789';
const HOOK_URL_TOKEN = 'webhookURLsecretTOKEN0123456789';
const HOOK_HMAC = 'webhookHMACsecret0123456789';
const PD_ROUTING_KEY = 'pdROUTINGkeySECRET0123456789abcd';
const TEAMS_SIG = 'teamsSIGsecret0123456789abcdef';
const SMTP_PASSWORD = 'smtpPASSWORDsecret0123456789';

/** A notification channel fake that, when failing, echoes `echo` back in a 4xx error body. */
function channelModule(kind: 'slack' | 'webhook' | 'pagerduty' | 'teams', notifier: (url: string) => Record<string, unknown>, env: (url: string) => Record<string, string>, secrets: (url: string) => string[]): SecretModule {
  return {
    name: `notifier ${kind}`,
    async start() {
      const fake = new FakeChannel(kind);
      const url = await fake.start();
      const echo = secrets(url).join(' ');
      return {
        notifiers: [notifier(url)],
        env: env(url),
        secrets: secrets(url),
        fail: () => fake.inject({ kind: 'status', status: kind === 'webhook' ? 403 : kind === 'slack' ? 404 : 400, body: kind === 'pagerduty' ? { status: 'invalid event', message: echo, errors: [echo] } : `rejected ${echo}`, headers: { 'content-type': 'text/plain' } }, 1000),
        succeed: () => fake.clearFaults(),
        stop: () => fake.stop(),
      };
    },
  };
}

const SECRET_MODULES: SecretModule[] = [
  {
    name: 'monitor github (token)',
    async start() {
      const gh = new FakeGitHub({ tokens: { [GITHUB_TOKEN]: { owner: true } } });
      gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
      gh.generateMembers(30);
      await gh.start();
      return {
        monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${MFAWATCH_GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
        env: { MFAWATCH_GH_TOKEN: GITHUB_TOKEN },
        secrets: [GITHUB_TOKEN],
        // A hostile provider: the error body echoes the credential back.
        fail: () => gh.inject({ kind: 'status', status: 400, body: { message: `Problems parsing request from token ${GITHUB_TOKEN}`, token: GITHUB_TOKEN } }, 1000, (r) => r.query.get('filter') === 'all'),
        succeed: () => gh.clearFaults(),
        stop: () => gh.stop(),
      };
    },
  },
  {
    name: 'monitor okta (API token)',
    async start() {
      const okta = new FakeOkta({ tokens: { [`SSWS ${OKTA_TOKEN}`]: { factors: true, roles: true } } });
      okta.addUser({ id: '00ualice', login: 'alice@example.com', factors: [{ factorType: 'webauthn' }] });
      okta.generateUsers(20);
      await okta.start();
      return {
        monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${MFAWATCH_OKTA_TOKEN}', retries: 0 }],
        env: { MFAWATCH_OKTA_TOKEN: OKTA_TOKEN },
        secrets: [OKTA_TOKEN],
        fail: () => okta.inject({ kind: 'status', status: 400, body: { errorCode: 'E0000001', errorSummary: `Api validation failed: SSWS ${OKTA_TOKEN}`, errorCauses: [{ errorSummary: OKTA_TOKEN }] } }, 1000),
        succeed: () => okta.clearFaults(),
        stop: () => okta.stop(),
      };
    },
  },
  {
    name: 'monitor slack (user token)',
    async start() {
      const slack = new FakeSlack({ [SLACK_TOKEN]: { userId: 'U0ALICE', scopes: ['users:read', 'users:read.email'] } });
      slack.addMember({ id: 'U0ALICE', name: 'alice', email: 'alice@example.com', isAdmin: true, has2fa: true, twoFactorType: 'app' });
      slack.generateMembers(20);
      await slack.start();
      return {
        monitors: [{ id: 'slack', type: 'slack', token: '${MFAWATCH_SLACK_TOKEN}', baseUrl: `${slack.url}/api`, retries: 0 }],
        env: { MFAWATCH_SLACK_TOKEN: SLACK_TOKEN },
        secrets: [SLACK_TOKEN],
        fail: () => slack.inject({ kind: 'status', status: 200, body: { ok: false, error: `invalid_auth ${SLACK_TOKEN}`, needed: SLACK_TOKEN, provided: SLACK_TOKEN } }, 1000),
        succeed: () => slack.clearFaults(),
        stop: () => slack.stop(),
      };
    },
  },
  {
    name: 'monitor google-workspace (service-account private key)',
    async start() {
      const sa = makeServiceAccount();
      const google = new FakeGoogle();
      google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY] });
      google.addUser({ id: '1', primaryEmail: 'alice@acme.example', isAdmin: true, isEnrolledIn2Sv: true });
      google.generateUsers(20);
      await google.start();
      const pemLines = sa.keyJson.private_key.split('\n').filter((l) => l.length > 40);
      return {
        monitors: [{ id: 'gws', type: 'google-workspace', subject: 'alice@acme.example', serviceAccountKey: '${MFAWATCH_GOOGLE_SA_KEY}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0 }],
        env: { MFAWATCH_GOOGLE_SA_KEY: JSON.stringify(sa.keyJson) },
        secrets: [JSON.stringify(sa.keyJson), ...pemLines],
        fail: () => google.inject({ kind: 'status', status: 400, body: { error: 'invalid_grant', error_description: `bad key ${sa.keyJson.private_key}` } }, 1000, (r) => r.path === '/token'),
        succeed: () => google.clearFaults(),
        stop: () => google.stop(),
      };
    },
  },
  {
    name: 'notifier stdout (the notification channel itself)',
    async start() {
      return { notifiers: [{ id: 'siem', type: 'stdout', format: 'event' }], env: {}, secrets: [], fail: () => undefined, succeed: () => undefined, stop: async () => undefined };
    },
  },
  channelModule(
    'slack',
    () => ({ id: 'slack-sec', type: 'slack', webhookUrl: '${MFAWATCH_SLACK_URL}' }),
    (url) => ({ MFAWATCH_SLACK_URL: `${url}/services/T1/B1/${SLACK_PATH_TOKEN}` }),
    (url) => [SLACK_PATH_TOKEN, `${url}/services/T1/B1/${SLACK_PATH_TOKEN}`],
  ),
  channelModule(
    'webhook',
    () => ({ id: 'soar', type: 'webhook', url: '${MFAWATCH_HOOK_URL}', secret: '${MFAWATCH_HOOK_SECRET}' }),
    (url) => ({ MFAWATCH_HOOK_URL: `${url}/in?token=${HOOK_URL_TOKEN}`, MFAWATCH_HOOK_SECRET: HOOK_HMAC }),
    () => [HOOK_URL_TOKEN, HOOK_HMAC],
  ),
  channelModule(
    'pagerduty',
    (url) => ({ id: 'pd', type: 'pagerduty', routingKey: '${MFAWATCH_PD_KEY}', url }),
    () => ({ MFAWATCH_PD_KEY: PD_ROUTING_KEY }),
    () => [PD_ROUTING_KEY],
  ),
  channelModule(
    'teams',
    () => ({ id: 'teams-sec', type: 'teams', webhookUrl: '${MFAWATCH_TEAMS_URL}' }),
    (url) => ({ MFAWATCH_TEAMS_URL: `${url}/workflows/invoke?sig=${TEAMS_SIG}` }),
    () => [TEAMS_SIG],
  ),
  {
    name: 'notifier email (SMTP password)',
    async start() {
      let failing = false;
      const smtp = new SMTPServer({
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        logger: false,
        // A hostile server: its refusal echoes the password back.
        onAuth: (auth, _s, cb) => (failing || auth.password !== SMTP_PASSWORD ? cb(Object.assign(new Error(`Authentication failed for ${auth.username}/${auth.password ?? ''}`), { responseCode: 535 })) : cb(null, { user: auth.username })),
        onData: (stream, _s, cb) => {
          stream.resume();
          stream.on('end', () => cb());
        },
      });
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
      const port = (smtp.server.address() as AddressInfo).port;
      return {
        notifiers: [{ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port, starttls: 'never', auth: { user: 'mfawatch', pass: '${MFAWATCH_SMTP_PASSWORD}' } }, from: 'mfawatch@example.com', to: ['security@example.com'] }],
        env: { MFAWATCH_SMTP_PASSWORD: SMTP_PASSWORD },
        secrets: [SMTP_PASSWORD],
        fail: () => (failing = true),
        succeed: () => (failing = false),
        stop: () => new Promise<void>((r) => smtp.close(() => r())),
      };
    },
  },
  {
    name: 'health.heartbeatUrl (secret URL)',
    async start() {
      let failing = false;
      const server: Server = createServer((req, res) => {
        res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
        res.end(failing ? `no such check ${req.url ?? ''}` : 'OK');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/${HEARTBEAT_KEY}`;
      return {
        health: { heartbeatUrl: '${MFAWATCH_HEARTBEAT_URL}' },
        env: { MFAWATCH_HEARTBEAT_URL: url },
        secrets: [HEARTBEAT_KEY, url],
        fail: () => (failing = true),
        succeed: () => (failing = false),
        stop: () => new Promise<void>((r) => server.close(() => r())),
      };
    },
  },
];

let dir: ReturnType<typeof tempDir>;
let started: Array<{ name: string; m: StartedModule }>;

beforeEach(async () => {
  dir = tempDir('mfawatch-secrets-');
  started = [];
  for (const s of SECRET_MODULES) started.push({ name: s.name, m: await s.start() });
});
afterEach(async () => {
  for (const s of started) await s.m.stop();
  dir.cleanup();
});

describe('secret hygiene across every module', () => {
  it('no secret reaches logs, errors, CLI output, notifications or the database', async () => {
    const env = Object.assign({}, ...started.map((s) => s.m.env)) as Record<string, string>;
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      health: { failureThreshold: 1, ...Object.assign({}, ...started.map((s) => s.m.health ?? {})) },
      delivery: { runDeadline: '1s', initialBackoff: '100ms' },
      monitors: started.flatMap((s) => s.m.monitors ?? []),
      notifiers: started.flatMap((s) => s.m.notifiers ?? []),
    });
    const outputs: Array<[string, CliResult]> = [];
    const cli = async (label: string, ...args: string[]) => {
      const r = await runCli([...args, '--config', configPath], { env });
      outputs.push([label, r]);
      return r;
    };
    expect((await cli('run (good)', 'run')).code).toBe(0);
    for (const s of started) s.m.fail();
    expect((await cli('run (failing)', 'run')).code).toBe(1);
    expect((await cli('run (failing again)', 'run')).code).toBe(1);
    for (const s of started) s.m.succeed();
    expect((await cli('run (recovered)', 'run')).code).toBe(0);
    await cli('status', 'status');
    await cli('status --json', 'status', '--json');
    await cli('events', 'events');
    await cli('events --json', 'events', '--json');
    await cli('history', 'history', 'alice');
    await cli('audit export', 'audit', 'export');
    await cli('audit verify', 'audit', 'verify');
    await cli('config check', 'config', 'check');
    for (const s of started) s.m.fail();
    await cli('notify-test (failing)', 'notify-test');

    // The failure really happened and was reported (so the test can see a leak if there is one).
    const failing = outputs.find(([l]) => l === 'run (failing)')?.[1];
    expect(failing?.stderr).toMatch(/GitHub returned 400/);
    expect(failing?.stderr).toMatch(/Okta returned 400/);
    expect(failing?.stderr).toMatch(/Slack auth\.test answered "unrecognised_error"/);
    expect(failing?.stderr).toMatch(/Google refused the service-account token \(invalid_grant/);
    expect(failing?.stdout).toMatch(/"type":"scan_failed"/);

    const leaks: string[] = [];
    const secrets = started.flatMap((s) => s.m.secrets.map((v) => ({ module: s.name, v })));
    for (const [label, r] of outputs) {
      for (const { module, v } of secrets) {
        if (r.stdout.includes(v)) leaks.push(`${module}: secret in stdout of \`${label}\``);
        if (r.stderr.includes(v)) leaks.push(`${module}: secret in stderr/logs of \`${label}\``);
      }
    }
    for (const file of ['state.db', 'state.db-wal']) {
      const p = join(dir.path, file);
      if (!existsSync(p)) continue;
      const bytes = readFileSync(p).toString('latin1');
      for (const { module, v } of secrets) if (bytes.includes(v)) leaks.push(`${module}: secret in ${file}`);
    }
    expect(leaks).toEqual([]);
  });
});
