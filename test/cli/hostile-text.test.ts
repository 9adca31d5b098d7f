/**
 * A hostile login through the whole CLI: a `command` monitor prints an account whose login holds
 * terminal escape sequences (screen clear, an OSC 8 hyperlink), a carriage return, a line feed
 * that forges a summary line and a right-to-left override, and whose URL tries to end a Slack link
 * early. `status`, `events`, `history` and `whois` show every such character as a visible escape;
 * their `--json` forms keep the login byte-exact; the Slack and Teams messages the run sent (to
 * loopback receivers) carry no mention, no attacker link and no raw control character.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasUnsafeCharacters } from '../../src/core/text.js';
import { FakeChannel } from '../fakes/channels.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const FORGED = 'FORGED-LINE';
/** Clears the screen, adds a hyperlink, overwrites its row, forges a status line, reverses text. */
const LOGIN = `mallory\u001b[2J\u001b[H\u001b]8;;http://evil.example/phish\u0007click\u001b]8;;\u0007\rroot\n  ${FORGED} accounts 10: 10 with MFA\u202eevil`;
const URL = 'http://evil.example/> <!channel> <http://x.example';
const DAY = 86_400_000;

let dir: ReturnType<typeof tempDir>;
let slack: FakeChannel;
let teams: FakeChannel;
let configPath: string;
let accountsFile: string;
const clock = new PinnedClock('2026-11-01T09:00:00.000Z');

function writeAccounts(hostileMfa: 'enabled' | 'disabled'): void {
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: `u-${i}`, login: `user${i}`, mfa: 'enabled' }));
  lines.push(JSON.stringify({ id: 'u-666', login: LOGIN, email: 'mallory@example.com', admin: true, mfa: hostileMfa, factors: hostileMfa === 'enabled' ? [`totp\u001b[31m`] : [], url: URL }));
  writeFileSync(accountsFile, `${lines.join('\n')}\n`);
}

beforeEach(async () => {
  dir = tempDir();
  slack = new FakeChannel('slack');
  teams = new FakeChannel('teams');
  await slack.start();
  await teams.start();
  accountsFile = join(dir.path, 'accounts.jsonl');
  writeAccounts('enabled');
  configPath = writeConfig(dir.path, {
    database: './hostile.db',
    delivery: { runDeadline: '5s', initialBackoff: '100ms' },
    monitors: [{ id: 'hr', type: 'command', name: 'HR portal', command: [process.execPath, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(accountsFile)}, 'utf8'))`] }],
    notifiers: [
      { id: 'slack-sec', type: 'slack', webhookUrl: `${slack.url}/services/T1/B1/secret` },
      { id: 'teams-sec', type: 'teams', webhookUrl: `${teams.url}/workflows/x` },
    ],
  });
  clock.set('2026-11-01T09:00:00.000Z');
});

afterEach(async () => {
  await slack.stop();
  await teams.stop();
  dir.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', configPath], { overrides: { clock } });

/** No control or bidi character but the line breaks, and no line that starts with the forged text. */
function expectSafeTerminalText(text: string): void {
  expect(hasUnsafeCharacters(text.replace(/\n/g, ' ')), JSON.stringify(text)).toBe(false);
  for (const line of text.split('\n')) expect(line.trimStart().startsWith(FORGED), JSON.stringify(line)).toBe(false);
}

describe('hostile login through the CLI', () => {
  it('status, events, history and whois show escapes; --json keeps the login exact; Slack and Teams carry no injection', async () => {
    expect((await cli('run')).code).toBe(0);
    clock.advance(DAY);
    writeAccounts('disabled');
    const run = await cli('run');
    expect(run.code).toBe(0);
    expectSafeTerminalText(run.stderr);

    const status = await cli('status');
    expect(status.code).toBe(0);
    expectSafeTerminalText(status.stdout);
    expect(status.stdout).toContain('mallory\\x1b[2J\\x1b[H\\x1b]8;;http://evil.example/phish\\x07click\\x1b]8;;\\x07\\rroot\\n  FORGED-LINE accounts 10: 10 with MFA\\u202eevil [admin]');

    const events = await cli('events');
    expect(events.code).toBe(0);
    expectSafeTerminalText(events.stdout);
    expect(events.stdout).toMatch(/mfa_disabled\s+hr mallory\\x1b\[2J/);
    expect(events.stdout).toContain('before: mfa=enabled(totp\\x1b[31m)');

    const history = await cli('history', 'u-666');
    expect(history.code).toBe(0);
    expectSafeTerminalText(history.stdout);
    expect(history.stdout.trimEnd().split('\n')).toHaveLength(2);

    const whois = await cli('whois', 'mallory@example.com');
    expect(whois.code).toBe(0);
    expectSafeTerminalText(whois.stdout);
    expect(whois.stdout).toContain('mallory\\x1b[2J');

    // JSON stays exact: the login round-trips byte for byte.
    const statusJson = JSON.parse((await cli('status', '--json')).stdout) as { monitors: Array<{ withoutMfa: Array<{ login: string }> }> };
    expect(statusJson.monitors[0]!.withoutMfa.map((a) => a.login)).toEqual([LOGIN]);
    const eventsJson = JSON.parse((await cli('events', '--json')).stdout) as { events: Array<{ type: string; login: string | null; after: { url: string | null } | null }> };
    const disabled = eventsJson.events.find((e) => e.type === 'mfa_disabled')!;
    expect(disabled.login).toBe(LOGIN);
    expect(disabled.after?.url).toBe(URL);

    // The run's Slack message: no live mention, only the account's own (re-serialised) link.
    const slackRaw = slack.accepted.map((r) => r.body).join('\n');
    expect(slack.accepted.length).toBeGreaterThan(0);
    const texts = slack.bodies<{ text: string; blocks: Array<{ text?: { text: string }; elements?: Array<{ text: string }> }> }>().flatMap((b) => [b.text, ...b.blocks.flatMap((x) => [x.text?.text ?? '', ...(x.elements ?? []).map((e) => e.text)])]);
    for (const t of texts) {
      expectSafeTerminalText(t);
      expect(t).not.toContain('<!channel>');
      for (const [, inner] of t.matchAll(/<([^>]*)>/g)) expect(inner!.split('|')[0]).toBe('http://evil.example/%3E%20%3C!channel%3E%20%3Chttp://x.example');
    }
    expect(slackRaw).not.toContain('\\u001b');
    // Teams: the card's texts carry the escapes, no raw control character and no forged line.
    const cardStrings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') cardStrings.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(teams.bodies());
    expect(cardStrings.length).toBeGreaterThan(0);
    for (const t of cardStrings) expectSafeTerminalText(t);
    expect(cardStrings).toContain('**MFA disabled**: mallory\\\\x1b\\[2J\\\\x1b\\[H\\\\x1b\\]8;;http://evil.example/phish\\\\x07click\\\\x1b\\]8;;\\\\x07\\\\rroot\\\\n  FORGED-LINE accounts 10: 10 with MFA\\\\u202eevil (admin) disabled MFA');
  });
});
