/**
 * The notification flow through the CLI end to end, with a pinned clock: a change reaches Slack
 * and email once, in plain words; an unchanged account without MFA is not re-alerted on every
 * run but listed in a reminder digest each `reminders.interval`; `ack` silences one account's
 * reminders (audited); `notify-test` reports each channel.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationBatch } from '../../notifiers/types.js';
import { Store } from '../../storage/store.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_flow_token';
const SLACK_SECRET = 'SLACKflowSECRET999';
const DAY = 86_400_000;

let gh: FakeGitHub;
let slack: FakeChannel;
let hook: FakeChannel;
let smtp: SMTPServer;
let mails: Array<{ to: string[]; raw: string }>;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let clock: PinnedClock;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'dave', role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 4, login: 'erin', role: 'member', twoFactor: 'insecure' });
  await gh.start();
  slack = new FakeChannel('slack');
  hook = new FakeChannel('webhook');
  await slack.start();
  await hook.start();
  mails = [];
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
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
  dir = tempDir();
  clock = new PinnedClock('2026-11-01T09:00:00.000Z');
  configPath = writeConfig(dir.path, {
    database: './flow.db',
    displayTimezone: 'UTC',
    delivery: { runDeadline: '5s', initialBackoff: '100ms' },
    reminders: { interval: '7d' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [
      { id: 'slack-sec', type: 'slack', webhookUrl: `${slack.url}/services/T1/B1/\${SLACK_SECRET}`, minSeverity: 'medium' },
      { id: 'mail-sec', type: 'email', smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, starttls: 'never' }, from: 'mfawatch@example.com', to: ['security@example.com'], minSeverity: 'medium' },
      { id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'flow-secret-0123456789' },
    ],
  });
});
afterEach(async () => {
  await gh.stop();
  await slack.stop();
  await hook.stop();
  await new Promise<void>((r) => smtp.close(() => r()));
  dir.cleanup();
});

const env = { GH_TOKEN: TOKEN, SLACK_SECRET };
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env, overrides: { clock } });
const hookBatches = () => hook.bodies<NotificationBatch>();

/** The Subject header, unfolded, with RFC 2047 Q-encoded words decoded. */
function subject(raw: string): string {
  const line = /^Subject: (.*)$/m.exec(raw.replace(/\r?\n[ \t]+/g, ' '))?.[1] ?? '';
  return line
    .replace(/\?= =\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_w, text: string) => Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'))
    .trim();
}

describe('notification flow', () => {
  it('a change reaches Slack and email once in plain words; unchanged accounts produce a weekly digest, not an alert storm; ack silences one', async () => {
    // Baseline: info only → the webhook (minSeverity info) gets the summary, Slack and email do not.
    expect((await cli('run')).code).toBe(0);
    expect(hookBatches().map((b) => b.kind)).toEqual(['changes']);
    expect(slack.accepted).toHaveLength(0);
    expect(mails).toHaveLength(0);

    // bob loses 2FA: one Slack message and one mail, in plain words, with severity.
    clock.advance(DAY);
    gh.members.get(2)!.twoFactor = 'disabled';
    const changed = await cli('run');
    expect(changed.code).toBe(0);
    expect(slack.accepted).toHaveLength(1);
    const message = slack.bodies<{ text: string; blocks: Array<{ text?: { text: string } }> }>()[0]!;
    expect(message.text).toMatch(/HIGH: bob disabled two-factor authentication \(GitHub acme\)/);
    expect(JSON.stringify(message.blocks)).toContain('<https://github.com/bob|bob (id 2)>');
    expect(mails).toHaveLength(1);
    expect(mails[0]?.raw).toMatch(/^Subject: \[mfawatch\] HIGH: bob disabled two-factor authentication/m);
    expect(changed.stderr).not.toContain(SLACK_SECRET);

    // Unchanged runs every day: no alert anywhere (dave, erin and now bob stay without MFA).
    for (let i = 0; i < 4; i++) {
      clock.advance(DAY);
      expect((await cli('run')).code).toBe(0);
    }
    expect(slack.accepted).toHaveLength(1);
    expect(mails).toHaveLength(1);
    expect(hookBatches()).toHaveLength(2);

    // A week after the first scan: one digest per notifier, listing who is still without MFA and for how long.
    clock.set('2026-11-08T09:30:00.000Z');
    expect((await cli('run')).code).toBe(0);
    const digest = hookBatches().at(-1)!;
    expect(digest.kind).toBe('reminder');
    expect(digest.reminder?.accounts.map((a) => [a.login, a.mfa])).toEqual([['bob', 'disabled'], ['dave', 'disabled'], ['erin', 'weak']]);
    expect(digest.reminder?.accounts.find((a) => a.login === 'bob')?.withoutMfaSince).toBe('2026-11-02T09:00:00.000Z');
    expect(digest.reminder?.accounts.find((a) => a.login === 'dave')?.withoutMfaSince).toBe('2026-11-01T09:00:00.000Z');
    expect(slack.accepted).toHaveLength(2);
    expect(slack.bodies<{ text: string }>()[1]?.text).toMatch(/reminder: 3 accounts still without MFA/);
    expect(JSON.stringify(slack.bodies()[1])).toMatch(/dave.*no MFA for 7d/);
    expect(mails).toHaveLength(2);
    expect(mails[1]?.raw).toMatch(/^Subject: \[mfawatch\] MEDIUM: reminder: 3 accounts still without MFA/m);

    // Not again until the interval has passed.
    clock.advance(DAY);
    await cli('run');
    expect(hookBatches().filter((b) => b.kind === 'reminder')).toHaveLength(1);

    // ack: dave is silenced (audited); unknown accounts and bad durations are usage errors.
    const ack = await cli('ack', 'dave', '--for', '30d', '--reason', 'on leave, hardware key ordered');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(/acknowledged dave \(id 3\) at gh-acme, without MFA \(disabled\), for 30d until 2026-12-09 09:30 UTC/);
    expect((await cli('ack', 'nobody', '--for', '7d', '--reason', 'x')).code).toBe(2);
    expect((await cli('ack', 'dave', '--for', 'forever', '--reason', 'x')).code).toBe(2);
    expect((await cli('ack', 'dave', '--for', '7d')).code).toBe(2);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { acknowledgements: unknown[]; notifiers: Array<Record<string, unknown>> };
    expect(status.acknowledgements).toEqual([{ monitorId: 'gh-acme', scope: '', accountId: '3', login: 'dave', until: '2026-12-09T09:30:00.000Z', reason: 'on leave, hardware key ordered', actor: expect.any(String) }]);
    expect(status.notifiers.map((n) => [n.id, n.health, n.pending])).toEqual([['slack-sec', 'ok', 0], ['mail-sec', 'ok', 0], ['soar', 'ok', 0]]);
    expect((await cli('status')).stdout).toMatch(/acknowledged \(left out of reminder digests\)\n {2}dave \(id 3\) at gh-acme until 2026-12-09 09:30 UTC/);

    clock.set('2026-11-15T09:31:00.000Z');
    await cli('run');
    const second = hookBatches().filter((b) => b.kind === 'reminder').at(-1)!;
    expect(second.reminder?.accounts.map((a) => a.login)).toEqual(['bob', 'erin']);
    expect(second.reminder?.acknowledged).toBe(1);
    expect(second.text).toMatch(/2 accounts are still without MFA \(1 acknowledged account not listed\)/);

    // unack: dave is back in the digests at once (audited); nothing left to end exits 1.
    const unack = await cli('unack', 'dave', '--reason', 'acked by mistake');
    expect(unack.code).toBe(0);
    expect(unack.stdout).toMatch(/dave \(id 3\) at gh-acme: acknowledgement ended; it is back in the reminder digests/);
    const again = await cli('unack', 'dave', '--reason', 'twice');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no acknowledgement of "dave" is in force/);
    expect((await cli('unack', 'dave', '--reason', ' ')).code).toBe(2);
    expect((JSON.parse((await cli('status', '--json')).stdout) as { acknowledgements: unknown[] }).acknowledgements).toEqual([]);
    clock.set('2026-11-22T09:32:00.000Z');
    await cli('run');
    expect(hookBatches().filter((b) => b.kind === 'reminder').at(-1)?.reminder?.accounts.map((a) => a.login)).toEqual(['bob', 'dave', 'erin']);

    const store = Store.open(`${dir.path}/flow.db`);
    try {
      const audit = store.auditRows().filter((r) => r.action === 'account.acknowledged');
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]!.detail)).toMatchObject({ login: 'dave', reason: 'on leave, hardware key ordered', until: '2026-12-09T09:30:00.000Z' });
      expect(audit[0]?.subject).toBe('gh-acme:3');
      const ended = store.auditRows().filter((r) => r.action === 'account.unacknowledged');
      expect(ended.map((r) => [r.subject, (JSON.parse(r.detail) as { reason: string }).reason])).toEqual([['gh-acme:3', 'acked by mistake']]);
    } finally {
      store.close();
    }
  });

  it('the configured displayTimezone reaches the notifiers: Slack and e-mail show Berlin time, zone named; the webhook keeps UTC ISO', async () => {
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, displayTimezone: 'Europe/Berlin' }), { mode: 0o600 });
    expect((await cli('notify-test')).code).toBe(0);
    // The pinned clock: 2026-11-01T09:00:00Z, 10:00 in Berlin (CET).
    const context = slack.bodies<{ blocks: Array<{ type: string; elements?: Array<{ text: string }> }> }>()[0]?.blocks.find((b) => b.type === 'context');
    expect(context?.elements?.[0]?.text).toMatch(/ · 2026-11-01 10:00 GMT\+1$/);
    expect(mails[0]?.raw).toContain('2026-11-01 10:00 GMT+1');
    expect(hookBatches()[0]?.createdAt).toBe('2026-11-01T09:00:00.000Z');
    // The words of the test message too: Berlin time where people read them, UTC ISO in the webhook's JSON.
    expect(JSON.stringify(slack.bodies()[0])).toContain('(user ');
    expect(JSON.stringify(slack.bodies()[0])).toMatch(/\) at 2026-11-01 10:00 GMT\+1\. If you can read this/);
    expect(mails[0]?.raw).toMatch(/\) at 2026-11-01 10:00 GMT\+1\. If you can read this/);
    expect(hookBatches()[0]?.text).toMatch(/\) at 2026-11-01T09:00:00\.000Z\. If you can read this/);
  });

  it('notify-test sends through each notifier and reports each result; exit 1 when one fails, 2 for an unknown id', async () => {
    const ok = await cli('notify-test');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/slack-sec \(Slack\): ok/);
    expect(ok.stdout).toMatch(/mail-sec \(email\): ok/);
    expect(ok.stdout).toMatch(/soar \(webhook\): ok/);
    expect(hookBatches()[0]).toMatchObject({ kind: 'test', title: 'mfawatch test message for notifier "soar"' });
    expect(subject(mails[0]?.raw ?? '')).toBe('[mfawatch] INFO: mfawatch test message for notifier "mail-sec"');

    slack.inject({ kind: 'status', status: 404, body: 'no_service', headers: { 'content-type': 'text/html' } });
    const failed = await cli('notify-test', '--notifier', 'slack-sec');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/slack-sec \(Slack\): FAILED \(not_found, HTTP 404\): Slack answered 404 \(no_service\).*update SLACK_WEBHOOK_URL/);
    expect(failed.stdout + failed.stderr).not.toContain(SLACK_SECRET);

    expect((await cli('notify-test', '--notifier', 'nope')).code).toBe(2);
  });
});
