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
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAuth0 } from '../fakes/auth0.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { DIRECTORY_READONLY, FakeGoogle, makeServiceAccount } from '../fakes/google.js';
import { FakeOkta } from '../fakes/okta.js';
import { FakeSlack } from '../fakes/slack.js';
import { FakeAuth0 as FakeAuth0Sessions, FakeEntra as FakeEntraSessions, FakeGithubSso as FakeGithubSessions, FakeGoogle as FakeGoogleSessions, FakeOkta as FakeOktaSessions, FakeSlack as FakeSlackSessions } from '../fakes/responders.js';
import { runCli, tempDir, writeConfig, type CliResult } from '../helpers.js';

interface StartedModule {
  /** Config fragments merged into the shared config. */
  monitors?: Array<Record<string, unknown>>;
  notifiers?: Array<Record<string, unknown>>;
  responders?: Array<Record<string, unknown>>;
  /** identities.map entries (a responder that acts only on monitor-linked accounts). */
  identities?: Record<string, string>;
  health?: Record<string, unknown>;
  env: Record<string, string>;
  /** The secret values that must never leave (read after the runs: tokens issued meanwhile count too). */
  readonly secrets: string[];
  /** What the failing cycle's output must show, so that the test sees the failure it checks for leaks. */
  failure?: RegExp;
  /** For a responder: what the failing `mfawatch kill` must show. */
  killFailure?: RegExp;
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
const AUTH0_SECRET = 'a0-SECRETHYGIENE-client-secret-7f3e9d';
const ENTRA_SECRET = 'entra~SECRETHYGIENE~client~secret~41bc';
const GITLAB_TOKEN = 'glpat-SECRETHYGIENE-0123456789ab';
const COMMAND_SECRET = 'hrkey-SECRETHYGIENE-90ab7c';
const AWS_KEY_ID = 'AKIASECRETHYGIENE001';
const AWS_SECRET_KEY = 'SECRETHYGIENE/aws+secret/access/key0123456789';
const RESP_OKTA_TOKEN = '00SECRETHYGIENE-okta-kill-token-4e2a';
const RESP_ENTRA_SECRET = 'entra~SECRETHYGIENE~kill~secret~9c1d';
const RESP_AUTH0_SECRET = 'a0-SECRETHYGIENE-kill-secret-0f7b';
const RESP_SLACK_TOKEN = 'xoxp-SECRETHYGIENE-kill-5d8e';
const RESP_GH_TOKEN = 'ghp_SECRETHYGIENE_kill_token_7c4d2e';
const OKTA_TOKEN = '00SECRETHYGIENE-okta-0123456789abcdef';
const OKTA_HOOK_SECRET = 'SECRETHYGIENE-okta-event-hook-7b3f';
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
        failure: /GitHub returned 400/,
      };
    },
  },
  {
    name: 'monitor auth0 (client secret, access tokens)',
    async start() {
      const fake = new FakeAuth0();
      fake.clientSecret = AUTH0_SECRET;
      fake.add({ user_id: 'auth0|alice', email: 'alice@example.com', methods: [{ type: 'totp' }] });
      fake.add({ user_id: 'auth0|bob', email: 'bob@example.com', methods: [] });
      await fake.start();
      const echo = () => `Invalid request from client secret ${AUTH0_SECRET} with token ${fake.tokensIssued.at(-1) ?? ''}`;
      return {
        monitors: [{ id: 'a0', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${MFAWATCH_A0_SECRET}', baseUrl: fake.url, retries: 0 }],
        env: { MFAWATCH_A0_SECRET: AUTH0_SECRET },
        get secrets() {
          return [AUTH0_SECRET, ...fake.tokensIssued];
        },
        fail: () => fake.inject({ kind: 'status', status: 400, body: { statusCode: 400, error: 'Bad Request', get message() { return echo(); }, errorCode: 'invalid_query_string' } }, 1000, (r) => r.path === '/api/v2/users'),
        succeed: () => fake.clearFaults(),
        stop: () => fake.stop(),
        failure: /Auth0 returned 400/,
      };
    },
  },
  {
    name: 'monitor entra (client secret, access tokens)',
    async start() {
      const fake = new FakeEntra();
      fake.clientSecret = ENTRA_SECRET;
      fake.add({ id: 'e-1', userPrincipalName: 'alice@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
      await fake.start();
      return {
        monitors: [{ id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${MFAWATCH_ENTRA_SECRET}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0 }],
        env: { MFAWATCH_ENTRA_SECRET: ENTRA_SECRET },
        get secrets() {
          return [ENTRA_SECRET, ...fake.tokensIssued];
        },
        // Both ends hostile: the token endpoint and Graph echo the credentials back.
        fail: () => {
          fake.inject({ kind: 'status', status: 401, body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${ENTRA_SECRET}` } }, 1, (r) => r.path.endsWith('/token'));
          fake.inject({ kind: 'status', status: 400, body: { error: { code: 'BadRequest', message: `token ${fake.tokensIssued.at(-1) ?? ''} secret ${ENTRA_SECRET}` } } }, 1000, (r) => r.path.endsWith('/userRegistrationDetails'));
        },
        succeed: () => fake.clearFaults(),
        stop: () => fake.stop(),
        failure: /Microsoft (Graph returned 400|Entra ID refused the client-credentials token request)/,
      };
    },
  },
  {
    name: 'monitor gitlab (token)',
    async start() {
      const fake = new FakeGitlab();
      fake.tokens = { [GITLAB_TOKEN]: { admin: true, groupOwner: true } };
      fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
      fake.add({ id: 2, username: 'bob', twoFactor: false });
      await fake.start();
      return {
        monitors: [{ id: 'gl', type: 'gitlab', baseUrl: fake.url, token: '${MFAWATCH_GL_TOKEN}', retries: 0 }],
        env: { MFAWATCH_GL_TOKEN: GITLAB_TOKEN },
        secrets: [GITLAB_TOKEN],
        fail: () => fake.inject({ kind: 'status', status: 400, body: { message: `400 Bad request - private token ${GITLAB_TOKEN} is malformed` } }, 1000),
        succeed: () => fake.clearFaults(),
        stop: () => fake.stop(),
        failure: /GitLab returned 400/,
      };
    },
  },
  {
    name: 'monitor command (secret environment of the program)',
    async start() {
      const dir = tempDir('mfawatch-secrets-command-');
      const program = join(dir.path, 'list.cjs');
      const mode = join(dir.path, 'mode');
      writeFileSync(mode, 'good');
      // Prints an account; when failing, echoes its secret to stderr and exits 2.
      writeFileSync(program, `#!${process.execPath}\nconst fs = require('node:fs');\nif (fs.readFileSync(process.argv[2], 'utf8') === 'fail') { process.stderr.write('HR API refused key ' + process.env.HR_API_KEY + '\\n'); process.exit(2); }\nprocess.stdout.write(JSON.stringify({ id: 'hr-1', login: 'carol', mfa: 'enabled' }) + '\\n');\n`);
      chmodSync(program, 0o755);
      return {
        monitors: [{ id: 'hr', type: 'command', command: [program, mode], env: { HR_API_KEY: '${MFAWATCH_HR_KEY}' }, timeout: '5s' }],
        env: { MFAWATCH_HR_KEY: COMMAND_SECRET },
        secrets: [COMMAND_SECRET],
        fail: () => writeFileSync(mode, 'fail'),
        succeed: () => writeFileSync(mode, 'good'),
        stop: async () => dir.cleanup(),
        failure: /the program exited with code 2; its standard error ended with: HR API refused key \[redacted\]/,
      };
    },
  },
  {
    name: 'monitor aws-iam (access key id, secret access key)',
    async start() {
      const aws = new FakeAws();
      const account = aws.addAccount('444455556666', { baseKey: { id: AWS_KEY_ID, secret: AWS_SECRET_KEY } });
      aws.addUser('444455556666', { name: 'dave', password: true, devices: ['virtual'] });
      await aws.start();
      // The SDK's default provider chain reads the keys from the environment.
      process.env.AWS_ACCESS_KEY_ID = AWS_KEY_ID;
      process.env.AWS_SECRET_ACCESS_KEY = AWS_SECRET_KEY;
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const hostile = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>Signature of ${AWS_KEY_ID} / ${AWS_SECRET_KEY} rejected</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
      return {
        monitors: [{ id: 'aws', type: 'aws-iam', accountId: '444455556666', endpoint: { iam: aws.url, sts: aws.url }, maxAttempts: 1 }],
        // The responder signs with the same keys and acts on dave, whom the map links to alice.
        responders: [{ id: 'aws-kill', type: 'aws-iam', accountId: '444455556666', endpoint: aws.url, maxAttempts: 1 }],
        identities: { 'aws-iam:dave': 'alice@example.com' },
        env: {},
        secrets: [AWS_SECRET_KEY, AWS_KEY_ID],
        fail: () => {
          account.denied.add('iam:GenerateCredentialReport');
          aws.inject({ kind: 'status', status: 400, body: hostile, headers: { 'content-type': 'text/xml' } }, 1000, (r) => ['ListAccountAliases', 'PutUserPolicy'].includes(new URLSearchParams(r.body).get('Action') ?? ''));
        },
        succeed: () => {
          account.denied.clear();
          aws.clearFaults();
        },
        stop: async () => {
          delete process.env.AWS_ACCESS_KEY_ID;
          delete process.env.AWS_SECRET_ACCESS_KEY;
          delete process.env.AWS_EC2_METADATA_DISABLED;
          await aws.stop();
        },
        failure: /AWS (returned 400|denied iam:)/,
        killFailure: /aws-kill +AWS IAM +failed/,
      };
    },
  },
  {
    name: 'monitor okta (API token, event hook Authorization)',
    async start() {
      const okta = new FakeOkta({ tokens: { [`SSWS ${OKTA_TOKEN}`]: { factors: true, roles: true } } });
      okta.addUser({ id: '00ualice', login: 'alice@example.com', factors: [{ factorType: 'webauthn' }] });
      okta.generateUsers(20);
      await okta.start();
      return {
        monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${MFAWATCH_OKTA_TOKEN}', retries: 0, events: { hook: { authorization: '${MFAWATCH_OKTA_HOOK}' } } }],
        env: { MFAWATCH_OKTA_TOKEN: OKTA_TOKEN, MFAWATCH_OKTA_HOOK: OKTA_HOOK_SECRET },
        secrets: [OKTA_TOKEN, OKTA_HOOK_SECRET],
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
  ...responderEntries(),
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

/**
 * The responders (`mfawatch kill`): each fake knows alice@example.com; failing, it echoes the
 * credential back in a 4xx body. The GitHub responder acts on the github monitor's alice, linked
 * by identities.map; the AWS responder (in the aws-iam monitor's entry above) signs with the same
 * AWS keys (the SDK's default chain) and acts on the IAM user dave, linked the same way.
 */
function responderEntries(): SecretModule[] {
  const echo400 = (server: { inject: FakeGitHub['inject'] }, body: (secret: string) => unknown, secret: string) => () => server.inject({ kind: 'status', status: 400, body: body(secret) }, 1000);
  const ALICE = 'alice@example.com';
  return [
    {
      name: 'responder okta (API token)',
      async start() {
        const fake = new FakeOktaSessions(RESP_OKTA_TOKEN);
        fake.users.push({ id: '00ualice', login: ALICE, email: ALICE });
        await fake.start();
        return {
          responders: [{ id: 'okta-kill', type: 'okta', baseUrl: fake.url, token: '${MFAWATCH_RESP_OKTA}' }],
          env: { MFAWATCH_RESP_OKTA: RESP_OKTA_TOKEN },
          secrets: [RESP_OKTA_TOKEN],
          fail: echo400(fake, (t) => ({ errorCode: 'E0000001', errorSummary: `Api validation failed: SSWS ${t}`, errorCauses: [{ errorSummary: t }] }), RESP_OKTA_TOKEN),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /okta-kill +Okta +failed/,
        };
      },
    },
    {
      name: 'responder entra (client secret)',
      async start() {
        const fake = new FakeEntraSessions('tenant-kill', 'client-kill', RESP_ENTRA_SECRET);
        fake.users.push({ id: 'obj-alice', userPrincipalName: 'alice@acme.onmicrosoft.com', mail: ALICE });
        await fake.start();
        return {
          responders: [{ id: 'entra-kill', type: 'entra', tenantId: 'tenant-kill', clientId: 'client-kill', clientSecret: '${MFAWATCH_RESP_ENTRA}', graphUrl: fake.url, loginUrl: fake.url }],
          env: { MFAWATCH_RESP_ENTRA: RESP_ENTRA_SECRET },
          secrets: [RESP_ENTRA_SECRET],
          fail: echo400(fake, (t) => ({ error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${t}` }), RESP_ENTRA_SECRET),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /entra-kill +Entra ID +failed/,
        };
      },
    },
    {
      name: 'responder auth0 (client secret)',
      async start() {
        const fake = new FakeAuth0Sessions('m2m-kill', RESP_AUTH0_SECRET);
        fake.users.push({ user_id: 'auth0|alice', email: ALICE, email_verified: true });
        await fake.start();
        return {
          responders: [{ id: 'auth0-kill', type: 'auth0', baseUrl: fake.url, clientId: 'm2m-kill', clientSecret: '${MFAWATCH_RESP_AUTH0}' }],
          env: { MFAWATCH_RESP_AUTH0: RESP_AUTH0_SECRET },
          secrets: [RESP_AUTH0_SECRET],
          fail: echo400(fake, (t) => ({ statusCode: 400, error: 'Bad Request', message: `client_secret ${t} rejected`, errorCode: 'invalid_body' }), RESP_AUTH0_SECRET),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /auth0-kill +Auth0 +failed/,
        };
      },
    },
    {
      name: 'responder slack (admin token)',
      async start() {
        const fake = new FakeSlackSessions(RESP_SLACK_TOKEN);
        fake.users.push({ id: 'W0ALICE', email: ALICE });
        await fake.start();
        return {
          responders: [{ id: 'slack-kill', type: 'slack', token: '${MFAWATCH_RESP_SLACK}', baseUrl: fake.url }],
          env: { MFAWATCH_RESP_SLACK: RESP_SLACK_TOKEN },
          secrets: [RESP_SLACK_TOKEN],
          fail: echo400(fake, (t) => ({ ok: false, error: 'invalid_arg_name', detail: `token ${t}` }), RESP_SLACK_TOKEN),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /slack-kill +Slack +failed/,
        };
      },
    },
    {
      name: 'responder github (org admin token)',
      async start() {
        const fake = new FakeGithubSessions('acme', RESP_GH_TOKEN);
        fake.credentials.push({ login: 'alice', credential_id: 42, credential_type: 'personal access token' });
        await fake.start();
        return {
          responders: [{ id: 'gh-kill', type: 'github', org: 'acme', token: '${MFAWATCH_RESP_GH}', baseUrl: fake.url }],
          // alice of the github monitor's organisation.
          identities: { 'github:alice': ALICE },
          env: { MFAWATCH_RESP_GH: RESP_GH_TOKEN },
          secrets: [RESP_GH_TOKEN],
          fail: echo400(fake, (t) => ({ message: `Problems parsing JSON for token ${t}`, documentation_url: 'https://docs.github.com/rest' }), RESP_GH_TOKEN),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /gh-kill +GitHub +failed/,
        };
      },
    },
    {
      name: 'responder google-workspace (service-account private key)',
      async start() {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const saEmail = 'mfawatch-kill@acme-sec.iam.gserviceaccount.com';
        const key = JSON.stringify({ type: 'service_account', client_email: saEmail, private_key: pem, token_uri: 'https://oauth2.googleapis.com/token' });
        const fake = new FakeGoogleSessions(saEmail, publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'admin@example.com');
        fake.users.add(ALICE);
        await fake.start();
        // The PEM's body lines, each long enough to be unmistakable, and the key file itself.
        const pemLines = pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
        return {
          responders: [{ id: 'gws-kill', type: 'google-workspace', adminEmail: 'admin@example.com', serviceAccountKey: '${MFAWATCH_RESP_GWS_KEY}', baseUrl: fake.url, tokenUrl: `${fake.url}/token` }],
          env: { MFAWATCH_RESP_GWS_KEY: key },
          secrets: [key, ...pemLines],
          fail: echo400(fake, () => ({ error: 'invalid_grant', error_description: `Invalid JWT Signature for key ${pemLines[1] ?? ''}` }), ''),
          succeed: () => fake.clearFaults(),
          stop: () => fake.stop(),
          killFailure: /gws-kill +Google Workspace +failed/,
        };
      },
    },
  ];
}

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
      // `run` starts no delivery after runDeadline: room for the nine baseline mails over SMTP with auth.
      delivery: { runDeadline: '5s', initialBackoff: '100ms' },
      monitors: started.flatMap((s) => s.m.monitors ?? []),
      notifiers: started.flatMap((s) => s.m.notifiers ?? []),
      responders: started.flatMap((s) => s.m.responders ?? []),
      identities: { map: Object.assign({}, ...started.map((s) => s.m.identities ?? {})) as Record<string, string> },
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
    const killFailing = await cli('kill (failing)', 'kill', 'alice@example.com', '--yes');
    for (const s of started) s.m.succeed();
    expect((await cli('run (recovered)', 'run')).code).toBe(0);
    expect((await cli('kill (recovered)', 'kill', 'alice@example.com', '--yes')).code, 'every responder kills once it works').toBe(0);
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
    for (const s of started) if (s.m.failure) expect(failing?.stderr, s.name).toMatch(s.m.failure);
    expect(failing?.stderr).toMatch(/Okta returned 400/);
    expect(failing?.stderr).toMatch(/Slack auth\.test answered "unrecognised_error"/);
    expect(failing?.stderr).toMatch(/Google refused the service-account token \(invalid_grant/);
    expect(failing?.stdout).toMatch(/"type":"scan_failed"/);
    expect(killFailing.code, 'a failing kill exits 1').toBe(1);
    for (const s of started) if (s.m.killFailure) expect(`${killFailing.stdout}${killFailing.stderr}`, s.name).toMatch(s.m.killFailure);

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
