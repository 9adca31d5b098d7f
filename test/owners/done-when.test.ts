/**
 * Issue 15's "Done when", as one story through real wires: the GitHub fake (2FA, team members),
 * the IAM/STS fake driven by the AWS SDK (live mode: MFA devices), an SMTP server on loopback
 * for owner mail, webhook receivers per team channel, the answer link over HTTP, and the Okta
 * responder fake for the kill; `mfawatch run` on a pinned clock, each run a fresh process state.
 *
 * Carol turns off 2FA at GitHub → carol@ gets the notice with the deadline → only her GitHub
 * team's channel gets the alert → 24 h later, still without 2FA, the escalation goes out once
 * (to her team's channel only: escalation honours the matchers) → a new MFA device on bob's AWS
 * user → bob answers "no, it wasn't me" → a critical owner_reported_compromise and, with the
 * policy on, the kill.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { decideAutoResponse, registerAnswerRoutes } from '../../src/owners/index.js';
import { responseRunnerFor } from '../../src/response/wiring.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, memoryLogger, runCli, tempDir, writeConfig } from '../helpers.js';

const GH_TOKEN = 'ghp_done_when_token';
const ACCOUNT = '111122223333';
const KEY = 'AKIAFAKEDONEWHEN0001';
const SECRET = 'doneWhenSecretKeyThatMustNeverBePrinted';
const HOUR = 3_600_000;

interface Mail {
  to: string[];
  raw: string;
}

let gh: FakeGitHub;
let aws: FakeAws;
let okta: FakeOkta;
let payments: FakeChannel;
let infra: FakeChannel;
let smtp: SMTPServer;
let mails: Mail[];
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let inbound: InboundServer | null = null;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
const env = { GH_TOKEN };
const run = () => runCli(['run', '--config', configPath], { env, overrides: { clock } });
const text = (m: Mail) => m.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
const titles = (c: FakeChannel) => c.accepted.map((r) => (JSON.parse(r.body) as { title: string }).title);
const mailsTo = (addr: string) => mails.filter((m) => m.to.includes(addr));
const received = (c: FakeChannel) => c.accepted.flatMap((r) => (JSON.parse(r.body) as { events: Array<{ type: string; login: string | null }> }).events.map((e) => `${e.type}:${e.login ?? ''}`));

beforeEach(async () => {
  mails = [];
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'carol', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'dave', twoFactor: 'enabled' });
  gh.addMember({ id: 5, login: 'erin', twoFactor: 'enabled' });
  gh.teams.set('payments', [1]);
  gh.teams.set('infra', [3]);
  aws = new FakeAws();
  aws.addAccount(ACCOUNT, { alias: 'acme-prod', baseKey: { id: KEY, secret: SECRET } });
  aws.addUser(ACCOUNT, { name: 'bob', password: true, devices: ['virtual'] });
  okta = new FakeOkta('okta-token');
  okta.users = [{ id: '00ubob', login: 'bob@example.com', email: 'bob@example.com' }];
  payments = new FakeChannel('webhook');
  infra = new FakeChannel('webhook');
  await Promise.all([gh.start(), aws.start(), okta.start(), payments.start(), infra.start()]);
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './m.db',
    displayTimezone: 'UTC',
    delivery: { runDeadline: '3s', initialBackoff: '1s' },
    monitors: [
      { id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, outsideCollaborators: false },
      { id: 'aws', type: 'aws-iam', mode: 'live', accountId: ACCOUNT, endpoint: aws.url, maxAttempts: 1 },
    ],
    notifiers: [
      { id: 'mail-sec', type: 'email', smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, starttls: 'never' }, from: 'mfawatch@example.com', to: ['security@example.com'], minSeverity: 'critical' },
      { id: 'payments', type: 'webhook', url: `${payments.url}/in`, secret: 'payments-secret-123', match: [{ githubTeams: ['acme/payments'] }, { scopes: [ACCOUNT] }] },
      { id: 'infra', type: 'webhook', url: `${infra.url}/in`, secret: 'infra-secret-1234', match: [{ githubTeams: ['acme/infra'] }] },
    ],
    responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: 'okta-token' }],
    autoResponse: { enabled: true, dryRun: false, on: ['owner_reported_compromise'], minSeverity: 'high' },
    identities: { map: { 'github:carol': 'carol@example.com', 'aws-iam:bob': 'bob@example.com' } },
    owners: { deadline: '24h', contact: 'security@example.com', publicUrl: 'https://mfawatch.example.com', email: { via: 'mail-sec' }, escalateTo: ['payments', 'infra'] },
  });
});

afterEach(async () => {
  await inbound?.close();
  inbound = null;
  vi.unstubAllEnvs();
  await new Promise<void>((r) => smtp.close(() => r()));
  await Promise.all([gh.stop(), aws.stop(), okta.stop(), payments.stop(), infra.stop()]);
  dir.cleanup();
});

describe('issue 15, done when', () => {
  it('carol: notice with the deadline, her team alone alerted, one escalation at 24 h; bob: "no" to a new AWS MFA device → critical event and kill', async () => {
    const baseline = await run();
    expect(baseline.code, baseline.stderr).toBe(0);
    payments.accepted.length = 0;
    infra.accepted.length = 0;

    // Carol turns off 2FA at GitHub.
    // (erin too: in no team and linked to nobody.)
    for (const id of [1, 5]) {
      const member = gh.members.get(id);
      if (member) member.twoFactor = 'disabled';
    }
    const changed = await run();
    expect(changed.code, changed.stderr).toBe(0);
    const toCarol = mailsTo('carol@example.com');
    expect(toCarol).toHaveLength(1);
    expect(text(toCarol[0] as Mail)).toContain('Deadline: 2026-11-23 10:00 UTC.');
    expect(mails.every((m) => m.to.every((t) => t === 'carol@example.com'))).toBe(true);
    expect(received(payments)).toEqual(['mfa_disabled:carol']);
    expect(received(infra)).toEqual([]);
    // erin's owner cannot be told; no escalation channel's matchers take her, so all of them hear it
    // (an alert twice beats none).
    for (const c of [payments, infra]) expect(titles(c)).toContain('mfawatch could not tell the owner of erin at GitHub acme');
    expect(titles(payments).filter((t) => t.includes('could not tell the owner of carol'))).toEqual([]);

    // 24 h later, still without 2FA: the escalation, once, to her team's channel only.
    clock.advance(24 * HOUR + 60_000);
    payments.accepted.length = 0;
    infra.accepted.length = 0;
    expect((await run()).code).toBe(0);
    clock.advance(HOUR);
    expect((await run()).code).toBe(0);
    expect(received(payments).sort()).toEqual(['owner_deadline_passed:carol', 'owner_deadline_passed:erin']);
    expect(received(infra)).toEqual(['owner_deadline_passed:erin']);

    // A new MFA device appears on bob's AWS user: "was this you?" by mail, with the links.
    aws.user(ACCOUNT, 'bob').devices = ['virtual', 'security_key'];
    const added = await run();
    expect(added.code, added.stderr).toBe(0);
    const toBob = mailsTo('bob@example.com');
    expect(toBob).toHaveLength(1);
    // Bob clicks "no, it wasn't me" (the link of that line in the plain-text part).
    const plain = text(toBob[0] as Mail).split('Content-Type: text/html')[0] ?? '';
    const noLink = /No, it wasn't me: (https:\/\/mfawatch\.example\.com\/owners\/answer\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(plain)?.[1];
    expect(noLink).toBeDefined();
    const app = createApp(loadConfig(configPath, env), { clock, logger: memoryLogger().logger });
    inbound = await startInboundServer(app, new EventRunner(app), '127.0.0.1:0', undefined, (s) => registerAnswerRoutes(s, app, { decide: (e, now) => decideAutoResponse(app, e, `owner-answer-${e.id}`, now) }));
    const close = inbound.close;
    inbound.close = async () => {
      await close();
      app.close();
    };
    const post = await fetch((noLink ?? '').replace('https://mfawatch.example.com', inbound.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(post.status).toBe(200);
    expect(await post.text()).toMatch(/security team has been alerted/);
    const reported = app.store.db.prepare("SELECT type, severity, login FROM events WHERE type = 'owner_reported_compromise'").all();
    expect(reported).toEqual([{ type: 'owner_reported_compromise', severity: 'critical', login: 'bob' }]);
    // With the policy on, the guarded kill runs at the responder.
    const kills = await responseRunnerFor(app).runDue(new AbortController().signal);
    expect(kills.map((k) => k.ok)).toEqual([true]);
    expect(okta.cleared[0]).toMatch(/^00ubob/);
  });
});
