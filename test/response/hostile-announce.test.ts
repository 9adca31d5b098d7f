/**
 * Kill announcements compose several lines from provider text (the event's summary, a responder's
 * detail). A login with a line feed, a carriage return or a bidi override must not add a line to
 * them ("- Okta (okta): done" that never happened) nor reach a channel raw. Through the CLI: a
 * `command` monitor, the Okta fake and the stdout notifier.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasUnsafeCharacters } from '../../src/core/text.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const OKTA_TOKEN = '00okta-hostile-announce-token';
const FORGED = '- Okta (okta): succeeded: FORGED';
const hostile = (name: string) => `${name}\n${FORGED}\r\u202e`;

let okta: FakeOkta;
let dir: ReturnType<typeof tempDir>;
let accountsFile: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');

function writeAccounts(lost: boolean): void {
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `u-${i}`, login: `user${i}`, mfa: 'enabled' }));
  lines.push(JSON.stringify({ id: 'u-alice', login: hostile('alice'), email: 'alice@example.com', admin: true, mfa: lost ? 'disabled' : 'enabled' }));
  lines.push(JSON.stringify({ id: 'u-glass', login: hostile('breakglass'), email: 'breakglass@example.com', admin: true, mfa: lost ? 'disabled' : 'enabled' }));
  writeFileSync(accountsFile, `${lines.join('\n')}\n`);
}

beforeEach(async () => {
  okta = new FakeOkta(OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
  await okta.start();
  dir = tempDir();
  accountsFile = join(dir.path, 'accounts.jsonl');
  clock.set('2026-11-22T10:00:00.000Z');
});
afterEach(async () => {
  await okta.stop();
  dir.cleanup();
});

describe('kill announcements with hostile provider text', () => {
  it('the kill and the held-back announcements keep one line per fact; provider text is escaped', async () => {
    writeAccounts(false);
    const path = writeConfig(dir.path, {
      database: './state.db',
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [{ id: 'hr', type: 'command', name: 'HR portal', command: [process.execPath, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(accountsFile)}, 'utf8'))`] }],
      notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
      responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
      autoResponse: { enabled: true, dryRun: false, exempt: ['breakglass@example.com'] },
    });
    const cli = (...args: string[]) => runCli([...args, '--config', path], { env: { OKTA_TOKEN }, overrides: { clock } });
    expect((await cli('run')).code).toBe(0);
    writeAccounts(true);
    clock.advance(3_600_000);
    const out = await cli('run');
    expect(out.code).toBe(0);
    expect(okta.cleared).toEqual(['00ualice+oauth']);

    const responses = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{"schema":"mfawatch.batch/v1"'))
      .map((l) => JSON.parse(l) as { kind: string; title: string; text: string; events: Array<{ login: string }> })
      .filter((b) => b.kind === 'response');
    const done = responses.find((b) => b.title.startsWith('sessions killed for alice@example.com'));
    // The message that says breakglass's kill was held back (its title wording is not pinned here).
    const held = responses.find((b) => b !== done && b.text.includes('breakglass'));
    expect(done && held).toBeTruthy();
    // Because: …, one line per service; nothing forged in between.
    expect(done!.text.split('\n')).toHaveLength(2);
    expect(done!.text.split('\n')[0]).toBe('Because: alice\\n- Okta (okta): succeeded: FORGED\\r\\u202e (admin) disabled MFA');
    expect(done!.text.split('\n')[1]).toMatch(/^- Okta \(okta\): succeeded: cleared all sessions/);
    // The held-back account is on one line, its login escaped (the wording around it is not pinned here).
    const heldLines = held!.text.split('\n');
    expect(heldLines.filter((l) => l.includes('breakglass'))).toEqual([expect.stringMatching(/^- breakglass\\n- Okta \(okta\): succeeded: FORGED\\r\\u202e \(admin\) disabled MFA/)]);
    for (const b of responses) {
      expect(hasUnsafeCharacters(`${b.title} ${b.text.replace(/\n/g, ' ')}`)).toBe(false);
      expect(b.text.split('\n').filter((l) => l.startsWith(FORGED))).toEqual([]);
      // The events inside the JSON batch stay exact.
      expect(b.events[0]?.login).toMatch(/\n- Okta \(okta\): succeeded: FORGED\r\u202e$/);
    }

    // `kill --dry-run` names the linked accounts on stderr, escaped, one line.
    const dry = await cli('kill', 'alice@example.com', '--dry-run');
    expect(dry.code).toBe(0);
    const linked = dry.stderr.split('\n').filter((l) => l.startsWith('linked accounts:'));
    expect(linked).toEqual(['linked accounts: hr:alice\\n- Okta (okta): succeeded: FORGED\\r\\u202e (email)']);
    expect(hasUnsafeCharacters(dry.stdout.replace(/\n/g, ' '))).toBe(false);
  });
});
