/**
 * `mfawatch demo`: the real pipeline (config file, CLI, GitHub monitor through Octokit, SQLite,
 * diff, outbox, notifier) against a simulated GitHub organisation served on 127.0.0.1.
 * No credentials, no network. Three cycles: a baseline, a cycle with changes, an unchanged cycle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeChannel } from '../../test/fakes/channels.js';
import { FakeGitHub } from '../../test/fakes/github.js';
import { delivery, organizationEvent } from '../../test/fakes/github-webhooks.js';
import { createServer } from 'node:net';
import type { NotificationBatch } from '../../notifiers/types.js';
import type { CliIo } from '../cli/main.js';
import { renderEvent } from '../cli/render.js';
import { createLogger } from '../core/logger.js';

const DEMO_TOKEN = 'ghp_demo_owner_token_not_a_real_secret';
const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret-not-a-real-secret';

/** A free loopback port for the demo's webhook receiver. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function seedOrg(gh: FakeGitHub): void {
  const people: Array<[number, string, 'admin' | 'member', 'enabled' | 'insecure' | 'disabled']> = [
    [1001, 'alice', 'admin', 'enabled'],
    [1002, 'bob', 'member', 'enabled'],
    [1003, 'carol', 'member', 'enabled'],
    [1004, 'dave', 'member', 'enabled'],
    [1005, 'erin', 'member', 'enabled'],
    [1006, 'frank', 'member', 'enabled'],
    [1007, 'grace', 'admin', 'enabled'],
    [1008, 'heidi', 'member', 'enabled'],
    [1009, 'ivan', 'member', 'enabled'],
    [1010, 'judy', 'member', 'enabled'],
    [1011, 'peggy', 'member', 'insecure'],
    [1012, 'trent', 'member', 'disabled'],
  ];
  for (const [id, login, role, twoFactor] of people) gh.addMember({ id, login, role, twoFactor });
  // Enough generated members to page through (per_page=100).
  for (let i = 0; i < 230; i++) gh.addMember({ id: 20_000 + i, login: `dev-${String(i).padStart(3, '0')}`, role: 'member', twoFactor: 'enabled' });
  gh.addOutsideCollaborator({ id: 3001, login: 'victor-contractor', twoFactor: 'enabled' });
  gh.addOutsideCollaborator({ id: 3002, login: 'walter-agency', twoFactor: 'disabled' });
}

function changeOrg(gh: FakeGitHub): string[] {
  const member = (id: number) => {
    const m = gh.members.get(id);
    if (!m) throw new Error(`demo org has no member ${id}`);
    return m;
  };
  member(1002).twoFactor = 'disabled';
  member(1003).twoFactor = 'insecure';
  gh.members.delete(1004);
  gh.addMember({ id: 1013, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
  member(1006).role = 'admin';
  member(1011).twoFactor = 'enabled';
  return [
    'bob turns off two-factor authentication',
    'carol removes her security key and keeps only SMS',
    'dave leaves the organisation',
    'mallory joins as an owner without two-factor authentication',
    'frank is made an owner',
    'peggy replaces SMS with an authenticator app',
  ];
}

/** Runs the demo; resolves to 0 when the pipeline detected what it should. */
export async function runDemo(io: CliIo, options: { console?: boolean } = {}): Promise<number> {
  const say = (s = '') => io.stdout.write(`${s}\n`);
  const gh = new FakeGitHub({ org: 'acme-demo', tokens: { [DEMO_TOKEN]: { owner: true } } });
  seedOrg(gh);
  await gh.start();
  // A Slack incoming-webhook receiver on loopback, to show the message the team would read.
  const slack = new FakeChannel('slack');
  await slack.start();
  const dir = mkdtempSync(join(tmpdir(), 'mfawatch-demo-'));
  const configPath = join(dir, 'mfawatch.json');
  const port = await freePort();
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        database: './demo.db',
        ...(options.console ? { console: { listen: '127.0.0.1:0' } } : {}),
        // Schedules that never fire during the demo: cycle 4 shows events, not scans.
        schedule: '0 0 1 1 *',
        inbound: { listen: `127.0.0.1:${port}` },
        monitors: [{ id: 'github-acme', type: 'github', org: 'acme-demo', token: '${DEMO_GITHUB_TOKEN}', baseUrl: gh.apiUrl, events: { webhookSecret: '${DEMO_WEBHOOK_SECRET}', probe: false } }],
        notifiers: [
          { id: 'console', type: 'stdout', format: 'batch' },
          { id: 'slack-sec', type: 'slack', webhookUrl: `${slack.url}/services/TDEMO/BDEMO/demo`, minSeverity: 'medium' },
        ],
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );

  // The stdout notifier's JSON lines are captured and shown as a reader would see an alert.
  let captured = '';
  const notifierOut = new Writable({ write: (c: Buffer, _e, cb) => ((captured += c.toString('utf8')), cb()) });
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const logger = createLogger({ level: 'warn', destination: quiet });
  const env = { ...io.env, DEMO_GITHUB_TOKEN: DEMO_TOKEN, DEMO_WEBHOOK_SECRET };
  const { main } = await import('../cli/main.js');
  const cli = (args: string[], stdout: NodeJS.WritableStream = notifierOut, stopSignal?: Promise<void>) =>
    main(['node', 'mfawatch', ...args, '--config', configPath], { stdout, stderr: quiet, env, overrides: { logger, ...io.overrides }, ...(stopSignal ? { stopSignal } : {}) });

  const alertsOf = (): NotificationBatch[] => {
    const batches = captured.split('\n').filter(Boolean).map((l) => JSON.parse(l) as NotificationBatch);
    captured = '';
    return batches;
  };
  const showAlerts = (batches: NotificationBatch[]) => {
    if (batches.length === 0) say('  (no alert: nothing changed)');
    for (const b of batches) {
      say(`  ┌ ALERT [${b.severity.toUpperCase()}] ${b.title}`);
      for (const e of b.events) for (const line of renderEvent(e).split('\n')) say(`  │ ${line}`);
      say('  └');
    }
  };

  /** Prints the Slack messages received since the last call, as plain text. */
  let slackSeen = 0;
  const showSlack = () => {
    const messages = slack.bodies<{ text: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> }>().slice(slackSeen);
    slackSeen += messages.length;
    for (const m of messages) {
      say('── What the Slack channel shows (one message for the whole scan, changes of medium severity and up):');
      const plain = (t: string) => t.replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)').replace(/\*/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      for (const b of m.blocks) {
        const text = b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '';
        for (const line of plain(text).split('\n')) say(`  ┃ ${line}`);
        if (b.type === 'section') say('  ┃');
      }
      say();
    }
  };

  let ok: boolean;
  try {
    say('mfawatch demo: a simulated GitHub organisation "acme-demo" on ' + gh.apiUrl);
    say(`(${gh.members.size} members, ${gh.outsideCollaborators.size} outside collaborators; database in ${dir})`);
    say();
    say('── Cycle 1: first scan. The state is stored and summarised once (baseline), not one alert per account.');
    const c1 = await cli(['run']);
    const firstRequests = gh.listRequests().length;
    showAlerts(alertsOf());
    say(`  exit code ${c1}; ${firstRequests} GitHub requests for ${gh.members.size + gh.outsideCollaborators.size} accounts (per_page=100)`);
    say();

    say('── Meanwhile, at GitHub:');
    for (const c of changeOrg(gh)) say(`  • ${c}`);
    say();
    say('── Cycle 2: the changes, each with one meaning and a severity.');
    const c2 = await cli(['run']);
    const second = alertsOf();
    showAlerts(second);
    say(`  exit code ${c2}`);
    say();
    showSlack();

    say('── Cycle 3: nothing changed, so nothing is sent.');
    const c3 = await cli(['run']);
    const third = alertsOf();
    showAlerts(third);
    say(`  exit code ${c3}`);
    say();

    say('── Cycle 4: as it happens. The daemon (`mfawatch start`) receives GitHub\'s organisation webhook on');
    say(`   http://127.0.0.1:${port}/hooks/github-acme; oscar joins without two-factor authentication.`);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (stop = r));
    const daemon = cli(['start', '--no-initial-scan'], notifierOut, stopped);
    gh.addMember({ id: 1014, login: 'oscar', role: 'member', twoFactor: 'disabled' });
    const hook = delivery(DEMO_WEBHOOK_SECRET, 'organization', organizationEvent('acme-demo', 'member_added', { id: 1014, login: 'oscar' }));
    const slackBefore = slack.bodies().length;
    let answer = 0;
    const sentAt = performance.now();
    for (let i = 0; i < 100 && answer === 0; i++) {
      // The receiver starts with the daemon: retry until it listens.
      answer = await fetch(`http://127.0.0.1:${port}/hooks/github-acme`, { method: 'POST', headers: hook.headers, body: hook.body }).then((r) => r.status, () => 0);
      if (answer === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const postedAt = performance.now();
    while (slack.bodies().length === slackBefore && performance.now() - postedAt < 10_000) await new Promise((r) => setTimeout(r, 5));
    const alertMs = performance.now() - postedAt;
    const fourth = alertsOf();
    say(`  webhook answered ${answer} (stored before the answer); waited ${Math.round(postedAt - sentAt)} ms for the receiver to listen`);
    showAlerts(fourth);
    say(`  the Slack alert arrived ${(alertMs / 1000).toFixed(2)} s after the webhook was delivered (verified at GitHub first)`);
    say();
    showSlack();
    stop();
    const c4 = await daemon;

    say('── mfawatch status');
    await cli(['status'], io.stdout);

    const types: string[] = second.flatMap((b) => b.events.map((e) => e.type));
    const expected = ['mfa_disabled', 'mfa_weakened', 'account_removed', 'account_added', 'privilege_changed', 'mfa_enabled'];
    const missing = expected.filter((t) => !types.includes(t));
    const live = fourth.flatMap((b) => b.events).some((e) => e.type === 'account_added' && e.login === 'oscar');
    ok = c1 === 0 && c2 === 0 && c3 === 0 && c4 === 0 && missing.length === 0 && third.length === 0 && live && answer === 202;
    say(ok ? 'demo: every change was detected; the unchanged cycle sent nothing; the webhook\'s change was alerted as it happened.' : `demo FAILED: missing events ${missing.join(', ') || '(none)'}; exit codes ${c1}/${c2}/${c3}/${c4}; webhook ${answer}, live alert ${live ? 'yes' : 'no'}`);
    say('Next: copy config.example.json to mfawatch.json, set your tokens in the environment, and run `npx mfawatch run`.');
    if (options.console && ok) await (await import('../console/demo.js')).serveDemoConsole(configPath, env, io, logger);
  } finally {
    await gh.stop();
    await slack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}
