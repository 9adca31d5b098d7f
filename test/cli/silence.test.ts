/**
 * Silences: matchers (monitor, scope, type, account pattern, identity), expiry and reason; a
 * matching change is recorded and shown as silenced in `events` but reaches no notifier;
 * monitor health and held scans are never silenced; add and expire are audited.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountState, ChangeEvent, ChangeEventType } from '../../src/core/types.js';
import { globPattern, silenceMatches, type SilenceMatchers } from '../../src/delivery/silences.js';
import { FakeGitHub } from '../fakes/github.js';
import { eventLines, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const account = (login: string, email: string | null = null): AccountState => ({ accountId: `id-${login}`, login, email, displayName: null, kind: 'member', admin: false, mfa: 'disabled', factors: [], url: null });
const event = (type: ChangeEventType, login: string | null, over: Partial<ChangeEvent> = {}): ChangeEvent => ({
  id: 1, type, severity: 'high', monitorId: 'gh-acme', scope: '', provider: 'github', at: '2026-11-22T10:00:00.000Z',
  accountId: login ? `id-${login}` : null, login, before: null, after: login ? account(login, `${login}@example.com`) : null, summary: 's', ...over,
});

describe('silenceMatches', () => {
  const table: Array<[string, SilenceMatchers, ChangeEvent, boolean]> = [
    ['monitor matches', { monitor: 'gh-acme' }, event('mfa_disabled', 'alice'), true],
    ['another monitor', { monitor: 'gh-other' }, event('mfa_disabled', 'alice'), false],
    ['scope must be equal', { scope: '111122223333' }, event('mfa_disabled', 'alice', { scope: '111122223333' }), true],
    ['scope differs', { scope: '111122223333' }, event('mfa_disabled', 'alice'), false],
    ['type in the list', { types: ['mfa_weakened', 'mfa_disabled'] }, event('mfa_disabled', 'alice'), true],
    ['type not in the list', { types: ['mfa_weakened'] }, event('mfa_disabled', 'alice'), false],
    ['account glob on the login', { account: 'bot-*' }, event('mfa_disabled', 'bot-deploy'), true],
    ['account glob, case-insensitive', { account: 'BOT-?' }, event('mfa_disabled', 'bot-1'), true],
    ['account glob on the email', { account: '*@example.com' }, event('mfa_disabled', 'alice'), true],
    ['account glob does not match', { account: 'bot-*' }, event('mfa_disabled', 'alice'), false],
    ['regex characters are literal', { account: 'a.c' }, event('mfa_disabled', 'abc'), false],
    ['identity by the account email', { identity: 'alice@example.com' }, event('mfa_disabled', 'alice'), true],
    ['identity by identities.map', { identity: 'carol@example.com', identityAccounts: ['github:octocat'] }, event('mfa_disabled', 'octocat', { after: account('octocat') }), true],
    ['identity of someone else', { identity: 'bob@example.com' }, event('mfa_disabled', 'alice'), false],
    ['every matcher must match', { monitor: 'gh-acme', types: ['mfa_weakened'] }, event('mfa_disabled', 'alice'), false],
    ['scan_failed is never silenced', { monitor: 'gh-acme' }, event('scan_failed', null), false],
    ['scan_recovered is never silenced', { monitor: 'gh-acme' }, event('scan_recovered', null), false],
    ['stale_data is never silenced', { monitor: 'gh-acme' }, event('stale_data', null), false],
    ['anomaly (a held scan) is never silenced', { monitor: 'gh-acme' }, event('anomaly', null), false],
  ];
  it.each(table)('%s', (_name, matchers, e, expected) => {
    expect(silenceMatches(matchers, e)).toBe(expected);
  });
  it('globPattern escapes everything but * and ?', () => {
    expect(globPattern('a+b(c)*').test('a+b(c)xyz')).toBe(true);
    expect(globPattern('a+b').test('aab')).toBe(false);
  });
});

const GH_TOKEN = 'ghp_silence_owner_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let clock: PinnedClock;
let path: string;

beforeEach(async () => {
  clock = new PinnedClock('2026-11-22T10:00:00.000Z');
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bot-deploy', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 3, login: 'bot-ci', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(20);
  await gh.start();
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    displayTimezone: 'Europe/Berlin',
    delivery: { runDeadline: '2s' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', path], { env: { GH_TOKEN }, overrides: { clock } });
const disable = (id: number) => (gh.members.get(id)!.twoFactor = 'disabled');
const audit = () => new Database(join(dir.path, 'state.db'), { readonly: true }).prepare(`SELECT action, detail FROM audit WHERE action LIKE 'silence.%' ORDER BY id`).all() as Array<{ action: string; detail: string }>;

describe('mfawatch silence', () => {
  it('a matching change is recorded and shown as silenced, but sent to no notifier; expire ends it', async () => {
    expect((await cli('run')).code).toBe(0); // baseline
    const added = await cli('silence', 'add', '--account', 'bot-*', '--type', 'mfa_disabled', '--for', '2d', '--reason', 'bots move to OIDC, SEC-42');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^silence #1 added: type=mfa_disabled account=bot-\*, for 2d until 2026-11-24 11:00 GMT\+1/);
    disable(1);
    disable(2);
    clock.advance(3_600_000);
    const run = await cli('run');
    expect(run.code).toBe(0);
    // alice's change is sent; the bot's is not.
    expect(eventLines<{ login: string }>(run.stdout).map((e) => e.login)).toEqual(['alice']);
    const shown = await cli('events', '--since', '1h');
    expect(shown.stdout).toMatch(/bot-deploy \(id 2\)\n.*\n.*\n\s+SILENCED by silence #1 \(bots move to OIDC, SEC-42\): sent to no notifier/);
    const json = JSON.parse((await cli('events', '--since', '2026-11-22T10:30:00Z', '--json')).stdout) as { events: Array<{ login: string; silenced: { silenceId: number } | null; deliveries: unknown[] }> };
    expect(json.events.map((e) => [e.login, e.silenced?.silenceId ?? null, e.deliveries.length])).toEqual([['alice', null, 1], ['bot-deploy', 1, 0]]);
    const list = await cli('silence', 'list', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject({ schema: 'mfawatch.silences/v1', silences: [{ id: 1, state: 'active', matchers: { monitor: null, types: ['mfa_disabled'], account: 'bot-*', identity: null }, reason: 'bots move to OIDC, SEC-42', silencedEvents: 1, expiredAt: null }] });
    // Expired: the next bot change alerts again.
    const expired = await cli('silence', 'expire', '1', '--reason', 'migration done');
    expect(expired.code).toBe(0);
    expect((await cli('silence', 'expire', '1')).code).toBe(1); // already ended
    disable(3);
    clock.advance(3_600_000);
    expect(eventLines<{ login: string }>((await cli('run')).stdout).map((e) => e.login)).toEqual(['bot-ci']);
    expect(audit().map((a) => a.action)).toEqual(['silence.added', 'silence.expired']);
    expect(JSON.parse(audit()[0]?.detail ?? '{}')).toMatchObject({ silenceId: 1, reason: 'bots move to OIDC, SEC-42', endsAt: '2026-11-24T10:00:00.000Z' });
    expect((await cli('silence', 'list')).stdout).toMatch(/no silences in force/);
    expect((await cli('silence', 'list', '--all')).stdout).toMatch(/#1 {2}EXPIRED .*expired 2026-11-22 12:00 GMT\+1 by .*\(1 event\(s\) silenced\)/);
  });

  it('ends by itself at its expiry', async () => {
    await cli('run');
    await cli('silence', 'add', '--monitor', 'gh-acme', '--for', '1h', '--reason', 'maintenance');
    clock.advance(2 * 3_600_000);
    disable(1);
    expect(eventLines<{ login: string }>((await cli('run')).stdout).map((e) => e.login)).toEqual(['alice']);
  });

  it('a silence of a whole monitor never hides its scan failures', async () => {
    await cli('run');
    await cli('silence', 'add', '--monitor', 'gh-acme', '--for', '1d', '--reason', 'noisy');
    gh.inject({ kind: 'status', status: 500, body: { message: 'Server Error' } }, 1_000);
    const failures: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      clock.advance(60_000);
      failures.push(...eventLines<{ type: string }>((await cli('run')).stdout).map((e) => e.type));
    }
    expect(failures).toContain('scan_failed');
  });

  it('refuses a silence of everything, unsilenceable types, an unknown monitor and a missing expiry', async () => {
    const refuse = async (args: string[], message: RegExp) => {
      const out = await cli('silence', 'add', ...args);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(message);
    };
    await refuse(['--for', '1d', '--reason', 'x'], /at least one matcher/);
    await refuse(['--type', 'scan_failed', '--for', '1d', '--reason', 'x'], /scan_failed cannot be silenced/);
    await refuse(['--type', 'mfa_gone', '--for', '1d', '--reason', 'x'], /unknown event type "mfa_gone"/);
    await refuse(['--monitor', 'nope', '--for', '1d', '--reason', 'x'], /no monitor with id "nope"/);
    await refuse(['--monitor', 'gh-acme', '--reason', 'x'], /exactly one of --for DURATION or --until DATE/);
    await refuse(['--monitor', 'gh-acme', '--for', '200d', '--reason', 'x'], /at most 90 days/);
    await refuse(['--monitor', 'gh-acme', '--until', '2020-01-01', '--reason', 'x'], /not in the future/);
    await refuse(['--identity', 'not-an-email', '--for', '1d', '--reason', 'x'], /is not an email/);
  });
});
