import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandConfigSchema } from '../../monitors/command/config.js';
import { createCommandMonitor } from '../../monitors/command/index.js';
import { ProviderError } from '../../src/core/errors.js';
import { type CliResult, eventLines, runCli, tempDir, testDeps, writeConfig } from '../helpers.js';
import { collectScan } from './scan-harness.js';

const NODE = process.execPath;
let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.cleanup();
});

/** A monitor running `node -e script`. */
function monitorFor(script: string, over: Record<string, unknown> = {}) {
  const config = commandConfigSchema.parse({ id: 'cmd', type: 'command', command: [NODE, '-e', script], name: 'hr-portal', ...over });
  const deps = testDeps();
  return { monitor: createCommandMonitor(config, deps), deps };
}

const print = (text: string) => `process.stdout.write(${JSON.stringify(text)})`;
const lines = (...objects: unknown[]) => objects.map((o) => JSON.stringify(o)).join('\n');

describe('command monitor: what it reports', () => {
  it('reads one account per line, with defaults, blank lines, CRLF and no final newline', async () => {
    const out = `${lines({ id: 17, login: 'alice', email: 'Alice@Example.com', admin: true, mfa: 'enabled', factors: ['totp'], url: 'https://hr.example.com/u/17' })}\r\n\n${lines({ id: 'u-2', login: 'bob', mfa: 'disabled' })}\n${lines({ id: 'svc', login: 'backup', mfa: 'not_applicable', kind: 'service_account' })}`;
    const { monitor, deps } = monitorFor(print(out));
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toEqual([
      { accountId: '17', login: 'alice', email: 'alice@example.com', displayName: null, kind: 'user', admin: true, mfa: 'enabled', factors: ['totp'], url: 'https://hr.example.com/u/17' },
      { accountId: 'u-2', login: 'bob', email: null, displayName: null, kind: 'user', admin: false, mfa: 'disabled', factors: [], url: null },
      { accountId: 'svc', login: 'backup', email: null, displayName: null, kind: 'service_account', admin: false, mfa: 'not_applicable', factors: [], url: null },
    ]);
    expect(monitor.scopes()).toEqual([{ id: '', label: 'hr-portal' }]);
  });

  it('streams a large listing line by line', async () => {
    const script = `for (let i = 0; i < 20000; i++) process.stdout.write(JSON.stringify({ id: i, login: 'u' + i, mfa: i % 7 ? 'enabled' : 'weak' }) + '\\n')`;
    const { monitor, deps } = monitorFor(script);
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toHaveLength(20000);
    expect(scan.observations.filter((o) => o.mfa === 'weak')).toHaveLength(2858);
  });

  it('gives the program only the configured environment (never mfawatch\'s own secrets)', async () => {
    const { monitor, deps } = monitorFor(`process.stdout.write(JSON.stringify({ id: 1, login: Object.keys(process.env).sort().join(','), mfa: process.env.HR_TOKEN === 'hr-secret-123' ? 'enabled' : 'disabled' }))`, { env: { HR_TOKEN: 'hr-secret-123', LANG: 'C' } });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations[0]).toMatchObject({ login: 'HR_TOKEN,LANG', mfa: 'enabled' });
  });
});

describe('command monitor: failures fail the scan', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['a line that is not JSON', print(`${lines({ id: 1, login: 'a', mfa: 'enabled' })}\nnot json\n`), 'malformed', /hr-portal: line 2 of the output is not JSON/],
    ['an invalid mfa value', print(`${lines({ id: 1, login: 'a', mfa: 'enabled' }, { id: 2, login: 'b', mfa: 'on' })}\n`), 'malformed', /line 2 is not a valid account \(mfa: must be one of enabled, weak, disabled, not_applicable, unknown\)/],
    ['a missing login', print(lines({ id: 1, mfa: 'enabled' })), 'malformed', /line 1 is not a valid account \(login: must be a string/],
    ['an unknown key (a typo)', print(lines({ id: 1, login: 'a', mfa: 'enabled', admn: true })), 'malformed', /line 1 is not a valid account \(.*admn/],
    ['a bad email', print(lines({ id: 1, login: 'a', mfa: 'enabled', email: 'not-an-address' })), 'malformed', /email: must be an e-mail address/],
    ['a valid JSON value of the wrong shape', print('[1,2,3]\n'), 'malformed', /line 1 is not a valid account/],
    ['a repeated id', print(lines({ id: 1, login: 'a', mfa: 'enabled' }, { id: '1', login: 'b', mfa: 'enabled' })), 'malformed', /line 2 repeats account id "1": nothing was committed; fix the program/],
    ['a non-zero exit after valid lines', `${print(lines({ id: 1, login: 'a', mfa: 'enabled' }))}; console.error('database unreachable'); process.exit(3)`, 'server', /hr-portal: the program exited with code 3; its standard error ended with: database unreachable/],
    ['death by a signal', `${print(lines({ id: 1, login: 'a', mfa: 'enabled' }))}; process.kill(process.pid, 'SIGKILL')`, 'server', /was killed by SIGKILL/],
    ['an empty listing', 'process.exit(0)', 'malformed', /exited 0 but printed no account.*nothing was committed; check why the program printed nothing.*allowEmpty/],
  ];
  it.each(cases)('%s fails the scan', async (_name, script, reason, message) => {
    const { monitor, deps } = monitorFor(script);
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeInstanceOf(ProviderError);
    expect((scan.error as ProviderError).reason).toBe(reason);
    expect((scan.error as Error).message).toMatch(message);
  });

  it('accepts an empty listing when allowEmpty is set', async () => {
    const { monitor, deps } = monitorFor('process.exit(0)', { allowEmpty: true });
    const scan = await collectScan(monitor, deps.logger);
    expect(scan.error).toBeUndefined();
    expect(scan.observations).toEqual([]);
  });

  it('kills the program and everything it started at the timeout', async () => {
    // The grandchild inherits stdout and would keep the listing open for 30s if only the child died.
    const script = `require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'inherit' }); ${print(lines({ id: 1, login: 'a', mfa: 'enabled' }) + '\n')}; setTimeout(() => {}, 30000)`;
    const { monitor, deps } = monitorFor(script, { timeout: '500ms' });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as ProviderError).reason).toBe('timeout');
    expect((scan.error as Error).message).toMatch(/did not finish within 500ms and was killed/);
  });

  it('a program that cannot start fails as a config problem', async () => {
    const config = commandConfigSchema.parse({ id: 'cmd', type: 'command', command: [join(dir.path, 'missing-program')] });
    const deps = testDeps();
    const scan = await collectScan(createCommandMonitor(config, deps), deps.logger);
    expect((scan.error as ProviderError).reason).toBe('client');
    expect((scan.error as Error).message).toMatch(/could not start .*missing-program \(ENOENT\)/);
  });

  it('stops the program when the scan is cancelled', async () => {
    const { monitor, deps } = monitorFor(`${print(lines({ id: 1, login: 'a', mfa: 'enabled' }) + '\n')}; setTimeout(() => {}, 30000)`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const scan = await collectScan(monitor, deps.logger, { signal: controller.signal });
    expect((scan.error as ProviderError).reason).toBe('aborted');
  });

  it('never repeats an env secret the program printed on standard error', async () => {
    const { monitor, deps } = monitorFor(`console.error('login failed with token ' + process.env.HR_TOKEN); process.exit(1)`, { env: { HR_TOKEN: 'hr-secret-123' } });
    const scan = await collectScan(monitor, deps.logger);
    expect((scan.error as Error).message).toMatch(/login failed with token \[redacted\]/);
    expect(JSON.stringify(scan.error)).not.toContain('hr-secret-123');
    expect(deps.logs.text()).not.toContain('hr-secret-123');
    const config = commandConfigSchema.parse({ id: 'cmd', type: 'command', command: ['x'], env: { HR_TOKEN: 'hr-secret-123' } });
    expect(JSON.stringify(config)).not.toContain('hr-secret-123');
  });
});

describe('command monitor: end to end through the CLI', () => {
  it('baseline, then a change in the program\'s output → the right events', async () => {
    const listing = join(dir.path, 'accounts.jsonl');
    writeFileSync(listing, `${lines({ id: 1, login: 'alice', email: 'alice@example.com', admin: true, mfa: 'enabled' }, { id: 2, login: 'bob', mfa: 'enabled' })}\n`);
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      monitors: [{ id: 'hr', type: 'command', name: 'HR portal', command: [NODE, '-e', 'process.stdout.write(require("fs").readFileSync(process.env.LISTING))'], env: { LISTING: '${LISTING_FILE}' } }],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    const run = () => runCli(['run', '--config', configPath], { env: { LISTING_FILE: listing } });
    const events = (out: CliResult) => eventLines(out.stdout);
    const first = await run();
    expect(first.code).toBe(0);
    expect(events(first).map((e) => e.type)).toEqual(['baseline']);
    writeFileSync(listing, `${lines({ id: 1, login: 'alice', email: 'alice@example.com', admin: true, mfa: 'disabled' }, { id: 3, login: 'carol', mfa: 'weak', factors: ['sms'] })}\n`);
    const second = await run();
    expect(second.code).toBe(0);
    // A program's output carries no count: bob's removal waits for a second scan to agree.
    expect(events(second).map((e) => [e.type, e.login, e.severity]).sort()).toEqual([
      ['account_added', 'carol', 'medium'],
      ['mfa_disabled', 'alice', 'critical'],
    ]);
    const confirmed = await run();
    expect(confirmed.code).toBe(0);
    expect(events(confirmed).map((e) => [e.type, e.login, e.severity])).toEqual([['account_removed', 'bob', 'info']]);
    // a bad line fails the scan and changes nothing
    writeFileSync(listing, `${lines({ id: 1, login: 'alice', mfa: 'enabled' })}\n{"id": 3}\n`);
    const third = await run();
    expect(third.code).toBe(1);
    expect(events(third)).toEqual([]);
    expect(third.stderr).toMatch(/line 2 is not a valid account/);
  });
});
