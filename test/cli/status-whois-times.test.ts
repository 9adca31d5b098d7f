/**
 * Times that `status` and `whois` print for people are in displayTimezone with the zone named
 * (a failing notifier's "since", an acknowledgement's "until", a kill's start, an owner case's
 * escalation, whois' recent kills); their --json keeps UTC ISO.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseStore } from '../../storage/responses.js';
import { Store } from '../../storage/store.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import { renderStatus, type StatusReport } from '../../src/cli/status.js';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d/;

describe('status for people: times in displayTimezone', () => {
  it('a failing notifier, an acknowledgement, a running kill and an escalated owner case', () => {
    const report: StatusReport = {
      schema: 'mfawatch.status/v1', generatedAt: '2026-11-22T10:05:00.000Z', monitors: [],
      notifiers: [{ id: 'slack-sec', type: 'slack', health: 'failing', pending: 1, oldestPending: '2026-11-22T09:00:00.000Z', failedLast7d: 0, consecutiveFailures: 3, failingSince: '2026-11-22T09:00:00.000Z', lastError: 'Slack answered 500' }],
      acknowledgements: [{ monitorId: 'gh', scope: '', accountId: '4', login: 'dave', until: '2026-11-29T10:00:00.000Z', reason: 'key ordered', actor: 'root' }],
      kills: [{ id: 7, identity: 'bob@example.com', origin: 'manual', state: 'running', dryRun: false, createdAt: '2026-11-22T10:04:00.000Z', dueAt: '2026-11-22T10:04:00.000Z', reason: null, failures: [] }],
      ownerCases: [{ case: 1, monitorId: 'gh', scope: '', accountId: '2', login: 'bob', event: 'mfa_disabled', identity: 'bob@example.com', unreachable: null, notices: [], openedAt: '2026-11-22T08:00:00.000Z', deadline: '2026-11-22T09:00:00.000Z', escalatedAt: '2026-11-22T09:00:00.000Z' }],
    };
    const text = renderStatus(report, new Date('2026-11-22T10:05:00.000Z'), displayTimeFormatter('Europe/Berlin'));
    expect(text).toContain('3 failed attempt(s) in a row since 2026-11-22 10:00 GMT+1: Slack answered 500');
    expect(text).toContain('dave (id 4) at gh until 2026-11-29 11:00 GMT+1 by root: key ordered');
    expect(text).toContain('#7 bob@example.com  RUNNING  manual, 2026-11-22 11:04 GMT+1: since 2026-11-22 11:04 GMT+1');
    expect(text).toContain('bob at gh: mfa_disabled, ESCALATED 2026-11-22 10:00 GMT+1; owner bob@example.com');
    expect(text).not.toMatch(ISO);
  });
});

describe('whois for people: recent kills in displayTimezone', () => {
  const TOKEN = 'ghp_whois_times_token';
  let gh: FakeGitHub;
  let dir: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
    await gh.start();
    dir = tempDir();
  });
  afterEach(async () => {
    await gh.stop();
    dir.cleanup();
  });

  it('text in Berlin time, zone named; --json in UTC ISO', async () => {
    const path = writeConfig(dir.path, {
      database: './state.db', displayTimezone: 'Europe/Berlin',
      monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH}', baseUrl: gh.url, retries: 0 }],
      identities: { map: { 'github:alice': 'alice@example.com' } },
    });
    const cli = (...args: string[]) => runCli([...args, '--config', path], { env: { GH: TOKEN } });
    expect((await cli('run')).code).toBe(0);
    const store = Store.open(join(dir.path, 'state.db'));
    try {
      new ResponseStore(store).insert({ identity: 'alice@example.com', origin: 'manual', status: 'blocked', dryRun: false, reason: 'cooldown: already killed 5m ago', createdAt: new Date('2026-11-22T10:00:00.000Z'), dueAt: new Date('2026-11-22T10:00:00.000Z'), actor: 'root' });
    } finally {
      store.close();
    }
    const text = await cli('whois', 'alice@example.com');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('  #1 2026-11-22 11:00 GMT+1 manual blocked: cooldown: already killed 5m ago');
    expect(text.stdout).not.toMatch(ISO);
    const json = JSON.parse((await cli('whois', 'alice@example.com', '--json')).stdout) as { responses: Array<{ createdAt: string }> };
    expect(json.responses[0]?.createdAt).toBe('2026-11-22T10:00:00.000Z');
  });
});
