/**
 * Owner notices end to end, through real wires: `mfawatch run` on a pinned clock, owner mail to
 * an SMTP server on loopback (smtp-server), Slack DMs and Twilio SMS to loopback fakes driven by
 * @slack/web-api and fetch, answer links over HTTP on the inbound receiver, SQLite on disk (every
 * `run` is a fresh process state: deadlines survive restarts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { decideAutoResponse, registerAnswerRoutes } from '../../src/owners/index.js';
import { responseRunnerFor } from '../../src/response/wiring.js';
import { FakeSlackApi, FakeTwilio } from '../fakes/owner-channels.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, eventLines, memoryLogger } from '../helpers.js';
import { World, type Line } from './world.js';

interface Mail {
  to: string[];
  raw: string;
}

const SID = `AC${'a1'.repeat(16)}`;
const TWILIO_TOKEN = 'twilio-auth-token-not-to-leak';
const SLACK_TOKEN = 'xoxb-owner-bot-token';
const HOUR = 3_600_000;
const HOSTILE = '<img src=x onerror=alert(1)>\u202e';

let w: World;
let smtp: SMTPServer;
let smtpPort = 0;
let mails: Mail[] = [];
let refuse = new Set<string>();
/** Recipients answered 450 (mailbox busy, try later) on their next delivery attempts. */
let busy = new Map<string, number>();
/** The SMTP password the server accepts (AUTH is optional: without a login the server takes mail too). */
const SMTP_PASSWORD = 'smtp-owner-pass';
let slack: FakeSlackApi;
let twilio: FakeTwilio;
let okta: FakeOkta;
let clock: PinnedClock;

const carol = (over: Partial<Line> = {}): Line => ({ id: 'u-carol', login: 'carol', email: 'carol@example.com', admin: true, mfa: 'enabled', factors: ['totp'], ...over });
const bob = (over: Partial<Line> = {}): Line => ({ id: 'u-bob', login: 'bob', mfa: 'enabled', factors: ['webauthn'], ...over });
const dave = (over: Partial<Line> = {}): Line => ({ id: 'u-dave', login: 'dave', mfa: 'enabled', factors: ['totp'], ...over });
const erin = (over: Partial<Line> = {}): Line => ({ id: 'u-erin', login: 'erin', email: 'erin@example.com', mfa: 'enabled', factors: ['totp'], ...over });
const filler = (n: number): Line[] => Array.from({ length: n }, (_, i) => ({ id: `u-f${i}`, login: `f${i}`, email: `f${i}@example.com`, mfa: 'enabled', factors: ['totp'] }));

/** The body of the mail, quoted-printable soft breaks and escapes undone. */
const text = (m: Mail) => m.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
/** The Subject header, unfolded. */
const subject = (m: Mail) => /^Subject: ([^\r\n]*(?:\r?\n [^\r\n]*)*)/m.exec(m.raw)?.[1]?.replace(/\r?\n /g, ' ');
const mailsTo = (addr: string) => mails.filter((m) => m.to.includes(addr));
const run = () => w.cli(['run'], { clock });
const eventsOut = (stdout: string) => eventLines<{ batchId: string; type: string; severity: string; login: string; summary: string }>(stdout);
const batches = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{"schema":"mfawatch.batch/v1"')).map((l) => JSON.parse(l) as { id: string; kind: string; title: string; text?: string; events: Array<{ type: string; login: string; severity: string }> });

function configure(extra: Record<string, unknown> = {}, lines: Line[] = [carol(), bob(), dave(), erin()], owners: Record<string, unknown> = {}): void {
  w.configure({
    displayTimezone: 'UTC',
    delivery: { runDeadline: '2s', initialBackoff: '1s' },
    health: { massChange: { share: 0.5, minAccounts: 4 } },
    monitors: [w.monitor('hr', lines)],
    notifiers: [
      { id: 'mail-sec', type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, starttls: 'never' }, from: 'mfawatch@example.com', to: ['security@example.com'], minSeverity: 'critical' },
      { id: 'team', type: 'stdout' },
    ],
    identities: { map: { 'command:bob': 'bob@example.com' }, phones: { 'carol@example.com': '+15551230001' } },
    owners: {
      deadline: '24h', contact: 'security@example.com or #security', publicUrl: 'https://mfawatch.example.com', exempt: ['erin@example.com'],
      email: { via: 'mail-sec' }, slack: { token: SLACK_TOKEN, apiUrl: `${slack.url}/api/` },
      sms: { accountSid: SID, authToken: TWILIO_TOKEN, from: '+15005550006', baseUrl: twilio.url },
      escalateTo: ['team'],
      ...owners,
    },
    ...extra,
  });
}

beforeEach(async () => {
  w = new World();
  mails = [];
  refuse = new Set();
  busy = new Map();
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'], authOptional: true, allowInsecureAuth: true, logger: false,
    onAuth(auth, _s, cb) {
      if (auth.username === 'mfawatch' && auth.password === SMTP_PASSWORD) cb(null, { user: 'mfawatch' });
      else cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _s, cb) {
      const left = busy.get(address.address) ?? 0;
      if (refuse.has(address.address)) cb(Object.assign(new Error(`<${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
      else if (left > 0) {
        busy.set(address.address, left - 1);
        cb(Object.assign(new Error(`<${address.address}>: Mailbox busy, try later`), { responseCode: 450 }));
      } else cb();
    },
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
  smtpPort = (smtp.server.address() as AddressInfo).port;
  slack = new FakeSlackApi(SLACK_TOKEN);
  slack.users.set('carol@example.com', 'U0CAROL');
  slack.users.set('bob@example.com', 'U0BOB');
  await slack.start();
  twilio = new FakeTwilio(SID, TWILIO_TOKEN);
  await twilio.start();
  okta = new FakeOkta('okta-token');
  await okta.start();
});

afterEach(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await slack.stop();
  await twilio.stop();
  await okta.stop();
  w.cleanup();
});

describe('owner notices, deadline and escalation', () => {
  it('tells carol (mail, Slack DM, SMS for the critical loss) about her own account only, the team about dave who has no identity, never erin (exempt); reminds at 12 h, escalates once at 24 h, thanks her when MFA is back', async () => {
    configure();
    expect((await run()).code).toBe(0); // baseline
    expect(mails).toEqual([]);

    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave({ mfa: 'disabled', factors: [] }), erin({ mfa: 'disabled', factors: [] })]);
    const changed = await run();
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toContain('owners: 2 case(s) opened (1 owner(s) unreachable: the team is told), 0 reminded, 0 escalated, 0 closed; notices 3 sent, 0 failed, 0 to retry');

    // carol: one mail to her alone, naming her account, the deadline, the page to fix it, the contact.
    const toCarol = mailsTo('carol@example.com');
    expect(toCarol).toHaveLength(1);
    const body = text(toCarol[0] as Mail);
    expect(subject(toCarol[0] as Mail)).toBe('Action needed: two-factor authentication was turned off on your Command hr account');
    expect(body).toContain('Where: Command hr, account carol');
    expect(body).toContain('Deadline: 2026-11-23 10:00 UTC.');
    expect(body).toContain('When: 2026-11-22 10:00 UTC');
    expect(body).toContain('Questions, or if something looks wrong: security@example.com or #security');
    for (const other of ['bob', 'dave', 'erin']) expect(body).not.toContain(other);
    expect(mails.filter((m) => m.to.some((t) => /dave|erin|bob/.test(t)))).toEqual([]);
    // Slack: looked up by e-mail, DM to her user id; SMS: critical (she is an admin) and her number is known.
    expect(slack.messages.map((m) => m.channel)).toEqual(['U0CAROL']);
    expect(slack.messages[0]?.text).toMatch(/\*Deadline:\* 2026-11-23 10:00 UTC/);
    expect(twilio.sent).toHaveLength(1);
    expect(twilio.sent[0]).toMatchObject({ to: '+15551230001', from: '+15005550006' });
    expect(twilio.sent[0]?.body).toMatch(/two-factor authentication was turned off on your Command hr account\. Fix within 1d\./);

    // dave: nobody to tell; the team hears who could not be reached and why. erin: exempt, silence.
    const told = batches(changed.stdout).filter((b) => b.kind === 'response');
    expect(told.map((b) => b.title)).toEqual(['mfawatch could not tell the owner of dave at Command hr']);
    expect(told[0]?.text).toMatch(/no identity is linked to dave at hr: add "identities.map": \{ "command:dave"/);
    expect(w.query<{ login: string }>("SELECT login FROM owner_cases WHERE status = 'open' ORDER BY login").map((c) => c.login)).toEqual(['carol', 'dave']);
    expect(w.query<{ subject: string }>("SELECT subject FROM audit WHERE action = 'owner.exempt'")).toEqual([{ subject: 'hr:u-erin' }]);

    const status = await w.cli(['status'], { clock });
    expect(status.stdout).toMatch(/owner cases open \(2\):\n {2}carol at hr: mfa_disabled, deadline in 1d; owner carol@example.com\n {4}notice by email sent/);
    expect(status.stdout).toMatch(/dave at hr: mfa_disabled, deadline in 1d; owner unknown\n {4}not told: no identity/);

    // 12 h later, still without MFA: one reminder (a new process: the deadline came from the database).
    clock.advance(12 * HOUR);
    await run();
    expect(mailsTo('carol@example.com').map(subject)).toEqual([
      'Action needed: two-factor authentication was turned off on your Command hr account',
      'Reminder: two-factor authentication was turned off on your Command hr account',
    ]);
    clock.advance(HOUR);
    await run();
    expect(mailsTo('carol@example.com')).toHaveLength(2);

    // Past 24 h: escalated once to owners.escalateTo, as owner_deadline_passed.
    clock.advance(11 * HOUR + 60_000);
    const late = await run();
    const escalations = eventsOut(late.stdout).filter((e) => e.batchId.startsWith('owner-deadline-'));
    expect(escalations.map((e) => [e.type, e.login, e.severity, e.summary]).sort()).toEqual([
      ['owner_deadline_passed', 'carol', 'critical', 'carol has not re-enabled MFA at Command hr, 1d after the notice'],
      ['owner_deadline_passed', 'dave', 'high', 'dave has not re-enabled MFA at Command hr, 1d after the notice'],
    ]);
    // Only owners.escalateTo hears of it: the critical-only mail notifier mail-sec is not in it.
    expect(mailsTo('security@example.com').filter((m) => text(m).includes('has not re-enabled'))).toEqual([]);
    clock.advance(HOUR);
    const again = await run();
    expect(eventsOut(again.stdout).filter((e) => e.batchId.startsWith('owner-deadline-'))).toEqual([]);
    expect(w.query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = 'owner_deadline_passed'")[0]?.n).toBe(2);

    // carol turns MFA back on: her case closes and she is thanked; dave's stays open.
    w.set('hr', [carol(), bob(), dave({ mfa: 'disabled', factors: [] }), erin({ mfa: 'disabled', factors: [] })]);
    await run();
    expect(subject(mailsTo('carol@example.com').at(-1) as Mail)).toBe('Thank you: two-factor authentication is back on your Command hr account');
    expect(w.query<{ login: string }>("SELECT login FROM owner_cases WHERE status = 'open'").map((c) => c.login)).toEqual(['dave']);
    expect(twilio.sent).toHaveLength(2); // the notice and the reminder by SMS; no thanks by SMS
  });

  it('a bounce and a Slack user that cannot be found are told to the team; the case stays open', async () => {
    configure();
    await run();
    refuse.add('carol@example.com');
    slack.users.delete('carol@example.com');
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    const out = await run();
    const told = batches(out.stdout).filter((b) => b.id.startsWith('owner-undeliverable-'));
    expect(told.map((b) => b.title).sort()).toEqual(['mfawatch could not reach the owner of carol at hr by email', 'mfawatch could not reach the owner of carol at hr by slack']);
    expect(told.map((b) => b.text).join('\n')).toMatch(/refused the owner's address carol@example\.com \(550 .*User unknown\): the owner's address was refused: check the identity's e-mail/);
    expect(told.map((b) => b.text).join('\n')).toMatch(/users\.lookupByEmail answered "users_not_found"/);
    expect(slack.messages).toEqual([]);
    expect(w.query<{ status: string }>("SELECT status FROM owner_cases WHERE login = 'carol'")).toEqual([{ status: 'open' }]);
    expect(w.query<{ channel: string; status: string }>("SELECT channel, status FROM owner_notices ORDER BY channel")).toEqual([
      { channel: 'email', status: 'failed' }, { channel: 'slack', status: 'failed' }, { channel: 'sms', status: 'sent' },
    ]);
    expect(out.stderr).not.toContain(SLACK_TOKEN);
  });

  it("a refused Twilio login is the channel's failure: the SMS stays queued with what to check, the team is not told carol is unreachable, and no token reaches output or the database", async () => {
    configure();
    await run();
    twilio.authToken = 'the-real-token-differs';
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    const out = await run();
    expect(batches(out.stdout).filter((b) => b.id.startsWith('owner-undeliverable-'))).toEqual([]);
    const [sms] = w.query<{ status: string; last_error: string }>("SELECT status, last_error FROM owner_notices WHERE channel = 'sms'");
    expect(sms?.status).toBe('pending');
    expect(sms?.last_error).toMatch(/^the owner's SMS could not be sent: Twilio refused the login with HTTP 401 \(Twilio error 20003: Authenticate\): check owners.sms.accountSid and the auth token; the notice stays queued and is retried$/);
    const dump = JSON.stringify(w.query('SELECT * FROM owner_notices')) + JSON.stringify(w.query('SELECT * FROM audit')) + JSON.stringify(w.query('SELECT * FROM outbox')) + JSON.stringify(w.query('SELECT * FROM owner_state'));
    for (const secret of [TWILIO_TOKEN, SLACK_TOKEN, Buffer.from(`${SID}:${TWILIO_TOKEN}`).toString('base64')]) {
      expect(dump).not.toContain(secret);
      expect(out.stdout + out.stderr).not.toContain(secret);
    }
  });

  it("a refused Slack bot token is the channel's failure: the DM stays queued with what to check, and the team is not told carol is unreachable", async () => {
    configure({}, undefined, { slack: { token: 'xoxb-revoked-or-wrong', apiUrl: `${slack.url}/api/` } });
    await run();
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    const out = await run();
    expect(batches(out.stdout).filter((b) => b.id.startsWith('owner-undeliverable-'))).toEqual([]);
    expect(slack.messages).toEqual([]);
    expect(w.query<{ status: string; last_error: string }>("SELECT status, last_error FROM owner_notices WHERE channel = 'slack'")).toEqual([{
      status: 'pending', last_error: `the owner's Slack message could not be sent: Slack users.lookupByEmail answered "invalid_auth": check owners.slack.token (a bot token, xoxb-); the notice stays queued and is retried`,
    }]);
    expect(out.stdout + out.stderr).not.toContain('xoxb-revoked-or-wrong');
  });

  it('a temporary SMTP refusal keeps the notice queued: the next run delivers it, once, and the team is not bothered', async () => {
    configure();
    await run();
    busy.set('carol@example.com', 1);
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    const first = await run();
    expect(mailsTo('carol@example.com')).toEqual([]);
    expect(w.query<{ status: string; attempts: number; last_error: string }>("SELECT status, attempts, last_error FROM owner_notices WHERE channel = 'email'")).toEqual([
      { status: 'pending', attempts: 1, last_error: expect.stringMatching(/did not take the owner mail.*450/) as unknown as string },
    ]);
    expect(batches(first.stdout).filter((b) => b.id.startsWith('owner-undeliverable-'))).toEqual([]);
    clock.advance(60_000);
    await run();
    await run();
    expect(mailsTo('carol@example.com')).toHaveLength(1);
    expect(w.query<{ status: string; attempts: number }>("SELECT status, attempts FROM owner_notices WHERE channel = 'email'")).toEqual([{ status: 'sent', attempts: 2 }]);
  });

  it("a refused SMTP login is the channel's failure, not carol's address: the notice stays queued with what to check, the team is not told she is unreachable, and the next run after the fix delivers it", async () => {
    const withPassword = (pass: string) => configure({
      notifiers: [
        { id: 'mail-sec', type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, starttls: 'never', auth: { user: 'mfawatch', pass } }, from: 'mfawatch@example.com', to: ['security@example.com'], minSeverity: 'critical' },
        { id: 'team', type: 'stdout' },
      ],
    });
    withPassword('wrong-password');
    await run();
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    const out = await run();
    expect(mailsTo('carol@example.com')).toEqual([]);
    expect(batches(out.stdout).filter((b) => b.id.startsWith('owner-undeliverable-'))).toEqual([]);
    const [notice] = w.query<{ status: string; last_error: string }>("SELECT status, last_error FROM owner_notices WHERE channel = 'email'");
    expect(notice?.status).toBe('pending');
    expect(notice?.last_error).toMatch(new RegExp(`^the owner mail could not be sent: the SMTP login was refused by 127\\.0\\.0\\.1:${smtpPort} \\(535 5\\.7\\.8 Authentication credentials invalid\\): check smtp\\.auth\\.user and its password variable of the email notifier "mail-sec" \\(owners\\.email\\.via\\); the notice stays queued and is retried$`));
    expect(notice?.last_error).not.toMatch(/address|identities\.map/);
    expect(out.stdout + out.stderr).not.toContain('wrong-password');
    expect((await w.cli(['status'], { clock })).stdout).toMatch(/notice by email pending \(the owner mail could not be sent: the SMTP login was refused/);

    withPassword(SMTP_PASSWORD);
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    clock.advance(60_000);
    await run();
    expect(mailsTo('carol@example.com')).toHaveLength(1);
    expect(w.query<{ status: string; attempts: number }>("SELECT status, attempts FROM owner_notices WHERE channel = 'email'")).toEqual([{ status: 'sent', attempts: 2 }]);
  });

  it('the escalation tells people when the owner was told and reminded in displayTimezone (UTC ISO stays in the event)', async () => {
    configure({ displayTimezone: 'Europe/Berlin' }, undefined, { escalateTo: ['mail-sec'] });
    await run();
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    await run();
    clock.advance(12 * HOUR);
    await run();
    clock.advance(12 * HOUR + 60_000);
    await run();
    const escalation = mailsTo('security@example.com').map(text).find((t) => t.includes('has not re-enabled MFA'));
    expect(escalation).toContain('The owner (carol@example.com) was told at 2026-11-22 11:00 GMT+1 and reminded at 2026-11-22 23:00 GMT+1.');
    // carol reads her deadline in the organisation's zone, with UTC beside it (she may be anywhere).
    expect(text(mailsTo('carol@example.com')[0] as Mail)).toContain('Deadline: 2026-11-23 11:00 GMT+1 (10:00 UTC).');
    expect(w.query<{ detail: string }>("SELECT detail FROM events WHERE type = 'owner_deadline_passed'")[0]?.detail).toContain('"openedAt":"2026-11-22T10:00:00.000Z"');
  });

  it("the team's mail about an undeliverable notice gives the case's deadline in displayTimezone", async () => {
    const smtpAt = { host: '127.0.0.1', port: smtpPort, starttls: 'never' };
    configure({
      displayTimezone: 'Europe/Berlin',
      notifiers: [
        { id: 'mail-sec', type: 'email', smtp: smtpAt, from: 'mfawatch@example.com', to: ['security@example.com'], minSeverity: 'critical' },
        { id: 'mail-team', type: 'email', smtp: smtpAt, from: 'mfawatch@example.com', to: ['team@example.com'] },
      ],
    }, undefined, { escalateTo: ['mail-team'] });
    await run();
    refuse.add('carol@example.com');
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), dave(), erin()]);
    await run();
    const told = mailsTo('team@example.com').map(text).find((t) => t.includes('could not reach the owner of carol'));
    expect(told).toContain('The case stays open (deadline 2026-11-23 11:00 GMT+1)');
  });

  it('a flood held by the mass-change guard e-mails nobody until it is accepted', async () => {
    configure({}, [carol(), bob(), ...filler(6)]);
    await run();
    w.set('hr', [carol({ mfa: 'disabled', factors: [] }), bob(), ...filler(6).map((f, i) => (i < 4 ? { ...f, mfa: 'disabled' as const, factors: [] } : f))]);
    const held = await run();
    expect(held.stderr).toMatch(/scan HELD/);
    expect(mails.filter((m) => !m.to.includes('security@example.com'))).toEqual([]);
    expect(slack.messages).toEqual([]);
    expect((await w.cli(['accept', 'hr'], { clock })).code).toBe(0);
    await run();
    expect(mailsTo('carol@example.com')).toHaveLength(1);
    expect(mails.filter((m) => m.to.some((t) => /^f\d@/.test(t)))).toHaveLength(4);
  });

  it('config: owners.email.via must name an email notifier, escalateTo existing notifiers', async () => {
    configure();
    w.configure({
      monitors: [w.monitor('hr', [carol()])],
      notifiers: [{ id: 'team', type: 'stdout' }],
      owners: { email: { via: 'team' }, escalateTo: ['nope'] },
    });
    const out = await w.cli(['config', 'check']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('owners.email.via: notifier "team" is of type "stdout", not "email"');
    expect(out.stderr).toContain('owners.escalateTo[0]: no notifier has the id "nope"');
  });
});

describe('"was this you?" links over HTTP', () => {
  let inbound: InboundServer | null = null;
  afterEach(async () => {
    await inbound?.close();
    inbound = null;
  });

  /** Serves the answer routes on the inbound receiver of an app on this world's database, as `start` does. */
  async function serve(): Promise<{ url: string; app: ReturnType<typeof createApp> }> {
    const app = createApp(loadConfig(w.configPath, {}), { clock, logger: memoryLogger().logger });
    inbound = await startInboundServer(app, new EventRunner(app), '127.0.0.1:0', undefined, (s) => registerAnswerRoutes(s, app, { decide: (e, now) => decideAutoResponse(app, e, `owner-answer-${e.id}`, now) }));
    const close = inbound.close;
    inbound.close = async () => {
      await close();
      app.close();
    };
    return { url: inbound.url, app };
  }

  /** The yes/no links of the last Slack DM, pointed at the local server. */
  function links(base: string): { yes: string; no: string } {
    const msg = slack.messages.at(-1)?.text ?? '';
    const yes = /<([^|>]+)\|Yes, it was me>/.exec(msg)?.[1] ?? '';
    const no = /<([^|>]+)\|No, it wasn't me>/.exec(msg)?.[1] ?? '';
    const local = (u: string) => u.replace('https://mfawatch.example.com', base);
    return { yes: local(yes), no: local(no) };
  }

  it("bob's 'no' to a new MFA device raises a critical event and, with the policy on, a kill; the other link is then used up; GET answers nothing", async () => {
    configure({
      responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: 'okta-token' }],
      autoResponse: { enabled: true, dryRun: false, on: ['owner_reported_compromise'], minSeverity: 'high' },
    });
    okta.users = [{ id: '00ubob', login: 'bob@example.com', email: 'bob@example.com' }];
    await run();
    w.set('hr', [carol(), bob({ factors: ['webauthn', HOSTILE] }), dave(), erin()]);
    await run();
    expect(mailsTo('bob@example.com')).toHaveLength(1);
    // Provider text escaped for each channel: HTML entities in the mail, Slack's &lt; in the DM, bidi visible.
    const [plain = '', html = ''] = text(mailsTo('bob@example.com')[0] as Mail).split('Content-Type: text/html');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;\\u202e');
    expect(plain).toContain('bob registered a new MFA factor: <img src=x onerror=alert(1)>\\u202e');
    expect(plain + html).not.toContain('\u202e');
    expect(slack.messages.at(-1)?.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(slack.messages.at(-1)?.text).not.toContain('<img');
    expect(subject(mailsTo('bob@example.com')[0] as Mail)).toBe('Was this you? a new two-factor device was registered on your Command hr account');
    const { url, app } = await serve();
    const l = links(url);
    expect(l.no).toMatch(/\/owners\/answer\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    // A prefetcher's GET shows a confirmation form and records nothing.
    const get = await fetch(l.no);
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-store');
    const page = await get.text();
    expect(page).toMatch(/<form method="post"/);
    expect(page).not.toMatch(/bob|Command|hr account/);
    expect(w.query<{ answer: string | null }>('SELECT answer FROM owner_cases')).toEqual([{ answer: null }]);

    const post = await fetch(l.no, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(post.status).toBe(200);
    expect(await post.text()).toMatch(/security team has been alerted/);
    expect(w.query<{ answer: string; status: string }>('SELECT answer, status FROM owner_cases')).toEqual([{ answer: 'no', status: 'closed' }]);
    expect(w.query<{ type: string; severity: string; login: string }>("SELECT type, severity, login FROM events WHERE type = 'owner_reported_compromise'")).toEqual([{ type: 'owner_reported_compromise', severity: 'critical', login: 'bob' }]);
    expect(w.query<{ action: string; actor: string }>("SELECT action, actor FROM audit WHERE action = 'owner.answered'")).toEqual([{ action: 'owner.answered', actor: 'bob@example.com' }]);
    // The guarded kill, decided under the usual guards, runs.
    const kills = await responseRunnerFor(app).runDue(new AbortController().signal);
    expect(kills.map((k) => k.ok)).toEqual([true]);
    expect(okta.cleared[0]).toMatch(/^00ubob/);

    // Reused (the same link, or the other answer): refused, nothing more recorded.
    for (const again of [l.no, l.yes]) {
      const r = await fetch(again, { method: 'POST', body: '' });
      expect(r.status).toBe(404);
      expect(await r.text()).toMatch(/not valid.*Nothing was recorded/);
    }
    expect(w.query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = 'owner_reported_compromise'")[0]?.n).toBe(1);
  });

  it('refuses tampered, forged and expired links without recording anything; a valid yes is recorded once', async () => {
    configure();
    await run();
    w.set('hr', [carol(), bob({ factors: ['webauthn', 'totp'] }), dave(), erin()]);
    await run();
    const { url } = await serve();
    const l = links(url);
    const [body = '', sig = ''] = (l.yes.split('/').at(-1) ?? '').split('.');
    const flip = (s: string) => `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1) ?? ''}`;
    const claims = Buffer.from(body, 'base64url');
    claims.writeUInt8(2, 9); // yes → no
    const otherBody = claims.toString('base64url');
    const bad = [
      `${url}/owners/answer/${body}.${flip(sig)}`, // tampered signature
      `${url}/owners/answer/${otherBody}.${sig}`, // tampered claims (yes → no) under the yes signature
      `${url}/owners/answer/${body}`, // no signature
      `${url}/owners/answer/${otherBody}.${createHmac('sha256', randomBytes(32)).update(`mfawatch-owner-answer.v1.${otherBody}`).digest('base64url')}`, // forged: signed with another key
      `${url}/owners/answer/<script>alert(1)</script>`,
    ];
    for (const b of bad) {
      for (const method of ['GET', 'POST']) {
        const r = await fetch(b, { method, ...(method === 'POST' ? { body: '' } : {}) });
        expect(r.status).toBe(404);
        expect(await r.text()).not.toContain('<script>alert');
      }
    }
    expect(w.query<{ answer: string | null; status: string }>('SELECT answer, status FROM owner_cases')).toEqual([{ answer: null, status: 'open' }]);

    // Expired: past owners.linkTtl (7 days) the link is refused and the case is not answered.
    clock.advance(7 * 24 * HOUR + 1);
    expect((await fetch(l.yes, { method: 'POST', body: '' })).status).toBe(404);
    expect(w.query<{ answer: string | null }>('SELECT answer FROM owner_cases')).toEqual([{ answer: null }]);
    clock.advance(-(7 * 24 * HOUR + 1));
    const ok = await fetch(l.yes, { method: 'POST', body: '' });
    expect(ok.status).toBe(200);
    expect(w.query<{ answer: string; status: string }>('SELECT answer, status FROM owner_cases')).toEqual([{ answer: 'yes', status: 'closed' }]);
    expect(w.query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = 'owner_reported_compromise'")[0]?.n).toBe(0);
  });
});

describe('the daemon serves answer links on inbound.listen', () => {
  it('mfawatch start with no webhook monitor still serves /owners/answer/; a "no" is recorded and delivered at once', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    configure({ inbound: { listen: `127.0.0.1:${port}` }, schedule: '0 0 1 1 *' });
    await run();
    w.set('hr', [carol(), bob({ factors: ['webauthn', 'totp'] }), dave(), erin()]);
    await run();
    const no = (/<([^|>]+)\|No, it wasn't me>/.exec(slack.messages.at(-1)?.text ?? '')?.[1] ?? '').replace('https://mfawatch.example.com', `http://127.0.0.1:${port}`);
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const daemon = w.cli(['start', '--no-initial-scan'], { clock, stopSignal });
    let answered: Response | null = null;
    for (let i = 0; i < 200 && !answered; i++) {
      answered = await fetch(no, { method: 'POST', body: '' }).catch(() => null);
      if (!answered) await new Promise((r) => setTimeout(r, 25));
    }
    expect(answered?.status).toBe(200);
    for (let i = 0; i < 200 && w.query("SELECT id FROM outbox WHERE batch_id LIKE 'owner-answer-%' AND status = 'sent'").length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    stop();
    const out = await daemon;
    expect(out.code, out.stderr).toBe(0);
    expect(eventsOut(out.stdout).map((e) => [e.type, e.login, e.severity])).toEqual([['owner_reported_compromise', 'bob', 'critical']]);
    expect(out.stderr).toMatch(/serving owner answer links under \/owners\/answer\//);
  });
});

