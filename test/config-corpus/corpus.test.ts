/**
 * The bad-config corpus: malformed configs, each run through the real CLI (`mfawatch config
 * check`), each rejected with exit 2 and a message naming the JSON path of the problem. Add a row
 * for every config mistake an operator reports. Figures go to docs/RELIABILITY.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { writeResults, type CorpusFigures } from '../reliability/results.js';

const gh = (over: Record<string, unknown> = {}) => ({ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', ...over });
const ok = (over: Record<string, unknown> = {}) => ({ monitors: [gh()], ...over });
const out = (over: Record<string, unknown> = {}) => ({ id: 'siem', type: 'stdout', ...over });
const ENV = { GH_TOKEN: 'ghp_corpus_token_value' };

interface Case {
  name: string;
  /** The file's text (a string) or a value written as JSON. */
  config: unknown;
  /** The JSON path the message must start with (after "  - "). */
  path: string;
  env?: Record<string, string>;
}

const CORPUS: Case[] = [
  { name: 'not JSON at all', config: '{ "monitors": [ ', path: '<file>' },
  { name: 'root is a list', config: [ok()], path: '(root)' },
  { name: 'unknown root key (typo)', config: ok({ databse: 'x.db' }), path: '(root)' },
  { name: 'database empty', config: ok({ database: '' }), path: 'database' },
  { name: 'database a number', config: ok({ database: 5 }), path: 'database' },
  { name: 'monitors missing', config: {}, path: 'monitors' },
  { name: 'monitors an object', config: { monitors: { gh: gh() } }, path: 'monitors' },
  { name: 'monitors empty', config: { monitors: [] }, path: 'monitors' },
  { name: 'monitor is null', config: { monitors: [null] }, path: 'monitors[0]' },
  { name: 'monitor without type', config: { monitors: [{ id: 'gh', org: 'acme' }] }, path: 'monitors[0].type' },
  { name: 'unknown monitor type', config: { monitors: [gh({ type: 'githib' })] }, path: 'monitors[0].type' },
  { name: 'unknown monitor key', config: { monitors: [gh({ organisation: 'acme' })] }, path: 'monitors[0]' },
  { name: 'org missing', config: { monitors: [{ id: 'gh', type: 'github', token: '${GH_TOKEN}' }] }, path: 'monitors[0].org' },
  { name: 'org a number', config: { monitors: [gh({ org: 42 })] }, path: 'monitors[0].org' },
  { name: 'token missing', config: { monitors: [{ id: 'gh', type: 'github', org: 'acme' }] }, path: 'monitors[0].token' },
  { name: 'token env var not set', config: ok(), path: 'monitors[0].token', env: {} },
  { name: 'token empty', config: { monitors: [gh({ token: '' })] }, path: 'monitors[0].token' },
  { name: 'baseUrl ftp', config: { monitors: [gh({ baseUrl: 'ftp://github.example.com' })] }, path: 'monitors[0].baseUrl' },
  { name: 'baseUrl not a URL', config: { monitors: [gh({ baseUrl: 'github.example.com/api' })] }, path: 'monitors[0].baseUrl' },
  { name: 'retries out of range', config: { monitors: [gh({ retries: 99 })] }, path: 'monitors[0].retries' },
  { name: 'requestTimeout not a duration', config: { monitors: [gh({ requestTimeout: '30 seconds' })] }, path: 'monitors[0].requestTimeout' },
  { name: 'outsideCollaborators a string', config: { monitors: [gh({ outsideCollaborators: 'yes' })] }, path: 'monitors[0].outsideCollaborators' },
  { name: 'monitor cron bad', config: { monitors: [gh({ schedule: '61 * * * *' })] }, path: 'monitors[0].schedule' },
  { name: 'root cron bad', config: ok({ schedule: 'hourly' }), path: 'schedule' },
  { name: 'duplicate monitor ids', config: { monitors: [gh(), gh({ org: 'other' })] }, path: 'monitors[1].id' },
  { name: 'monitor id with a space', config: { monitors: [gh({ id: 'git hub' })] }, path: 'monitors[0].id' },
  { name: 'scanDeadline a number', config: ok({ scanDeadline: 900 }), path: 'scanDeadline' },
  { name: 'failureThreshold zero', config: ok({ health: { failureThreshold: 0 } }), path: 'health.failureThreshold' },
  { name: 'staleAfter not a duration', config: ok({ health: { staleAfter: 'a day' } }), path: 'health.staleAfter' },
  { name: 'heartbeatUrl not a URL', config: ok({ health: { heartbeatUrl: 'hc-ping.com/abc' } }), path: 'health.heartbeatUrl' },
  { name: 'massChange share above 1', config: ok({ health: { massChange: { share: 1.5 } } }), path: 'health.massChange.share' },
  { name: 'unknown health key', config: ok({ health: { failureTreshold: 3 } }), path: 'health' },
  { name: 'delivery maxAge bad', config: ok({ delivery: { maxAge: 'forever' } }), path: 'delivery.maxAge' },
  { name: 'log level bad', config: ok({ log: { level: 'verbose' } }), path: 'log.level' },
  { name: 'observability listen without port', config: ok({ observability: { listen: '127.0.0.1' } }), path: 'observability.listen' },
  { name: 'unknown notifier type', config: ok({ notifiers: [{ id: 'n', type: 'pagerduty-classic' }] }), path: 'notifiers[0].type' },
  { name: 'duplicate notifier ids', config: ok({ notifiers: [out(), out()] }), path: 'notifiers[1].id' },
  { name: 'dangling monitor reference', config: ok({ notifiers: [out({ monitors: ['gh-prod'] })] }), path: 'notifiers[0].monitors[0]' },
  { name: 'notifier minSeverity unknown', config: ok({ notifiers: [out({ minSeverity: 'urgent' })] }), path: 'notifiers[0].minSeverity' },
  { name: 'notifier events unknown type', config: ok({ notifiers: [out({ events: ['mfa_lost'] })] }), path: 'notifiers[0].events[0]' },
  { name: 'stdout format unknown', config: ok({ notifiers: [out({ format: 'xml' })] }), path: 'notifiers[0].format' },
  { name: 'severity override unknown severity', config: ok({ severity: { mfa_disabled: 'urgent' } }), path: 'severity.mfa_disabled' },
  { name: 'severity override unknown event', config: ok({ severity: { mfa_lost: 'high' } }), path: 'severity' },
  { name: 'autoResponse maxPerRun negative', config: ok({ autoResponse: { maxPerRun: -1 } }), path: 'autoResponse.maxPerRun' },
  { name: 'identities key without provider', config: ok({ identities: { map: { octocat: 'a@example.com' } } }), path: 'identities.map.octocat' },
];

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir('mfawatch-corpus-')));
afterEach(() => dir.cleanup());

const figures: CorpusFigures = { configs: 0, rejectedWithExit2: 0, namedThePath: 0 };

describe('bad config corpus: exit 2 and the JSON path named', () => {
  it('has at least 30 configs', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = join(dir.path, 'mfawatch.json');
    writeFileSync(file, typeof c.config === 'string' ? c.config : JSON.stringify(c.config, null, 2), { mode: 0o600 });
    const result = await runCli(['config', 'check', '--config', file], { env: c.env ?? ENV });
    const path = c.path === '<file>' ? file : c.path;
    const lines = result.stderr.split('\n');
    const named = lines.some((l) => l.startsWith(`  - ${path}:`) || l.startsWith(`mfawatch: invalid configuration:`) && l.includes(`${path}:`));
    figures.configs += 1;
    if (result.code === 2) figures.rejectedWithExit2 += 1;
    if (named) figures.namedThePath += 1;
    expect(result.code, result.stderr).toBe(2);
    expect(named, result.stderr).toBe(true);
    expect(result.stderr).not.toContain(ENV.GH_TOKEN);
  });
});

afterAll(() => {
  if (figures.configs === CORPUS.length) writeResults('config-corpus', figures);
});
