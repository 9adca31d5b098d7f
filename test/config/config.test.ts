import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../src/config/load.js';
import { substituteEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const github = (over: Record<string, unknown> = {}) => ({ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', ...over });
const base = (over: Record<string, unknown> = {}) => ({ monitors: [github()], ...over });
const env = { GH_TOKEN: 'ghp_secret_value_123' };

function issuesOf(raw: unknown, e: Record<string, string | undefined> = env): string[] {
  try {
    resolveConfig(raw, e, '/etc/mfawatch/mfawatch.json');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('config validation: each problem named with its JSON path', () => {
  const table: Array<[string, unknown, RegExp]> = [
    ['missing monitors', {}, /^monitors: required/],
    ['empty monitors', { monitors: [] }, /^monitors: configure at least one monitor/],
    ['unknown root key', base({ databse: 'x.db' }), /^\(root\): unknown key "databse"/],
    ['unknown monitor key', base({ monitors: [github({ orgg: 'x' })] }), /^monitors\[0\]: unknown key "orgg"/],
    ['missing org', base({ monitors: [{ id: 'gh', type: 'github', token: 'x' }] }), /^monitors\[0\]\.org: required/],
    ['unknown type lists the known ones', base({ monitors: [github({ type: 'gitlabz' })] }), /^monitors\[0\]\.type: unknown monitor type "gitlabz"; known types: .*github/],
    ['missing type', base({ monitors: [{ id: 'x' }] }), /^monitors\[0\]\.type: required/],
    ['monitor not an object', base({ monitors: ['github'] }), /^monitors\[0\]: must be an object/],
    ['duplicate ids', base({ monitors: [github(), github()] }), /^monitors\[1\]\.id: duplicate id "gh" \(already used by monitors\[0\]\)/],
    ['bad id', base({ monitors: [github({ id: 'has space' })] }), /^monitors\[0\]\.id: must be 1-64 letters/],
    ['bad cron', base({ schedule: 'every hour' }), /^schedule: "every hour" is not a valid cron expression \(minute hour/],
    ['bad monitor cron', base({ monitors: [github({ schedule: '99 * * * *' })] }), /^monitors\[0\]\.schedule: "99 \* \* \* \*" is not a valid cron expression: its minute field has 99, outside 0-59/],
    ['cron hour out of range', base({ schedule: '0 25 * * *' }), /^schedule: "0 25 \* \* \*" is not a valid cron expression: its hour field has 25, outside 0-23/],
    ['cron day of month out of range', base({ schedule: '0 0 1-32 * *' }), /^schedule: .*its day of month field has 32, outside 1-31/],
    ['cron month out of range', base({ schedule: '0 0 1 13 *' }), /^schedule: .*its month field has 13, outside 1-12/],
    ['cron weekday out of range', base({ schedule: '0 0 * * 1,8' }), /^schedule: .*its day of week field has 8, outside 0-7/],
    ['cron seconds out of range', base({ schedule: '60 0 * * * *' }), /^schedule: .*its second field has 60, outside 0-59/],
    ['cron step of zero', base({ schedule: '*/0 * * * *' }), /^schedule: .*its minute field has a step of 0/],
    ['misspelt time zone', base({ timezone: 'Europe/Berlinn' }), /^timezone: "Europe\/Berlinn" is not an IANA time zone name; use e\.g\. "Europe\/Berlin"/],
    ['time zone of the wrong type', base({ timezone: 1 }), /^timezone: must be an IANA time zone name/],
    ['identity that is not an e-mail', base({ identities: { map: { 'github:octocat': 'alice' } } }), /^identities\.map\.github:octocat: must be the e-mail address of the person/],
    ['$comment that is not text', base({ monitors: [{ ...github(), $comment: 1 }] }), /^monitors\[0\]\.\$comment: must be a string or a list of strings/],
    ['bad duration', base({ scanDeadline: 'ten minutes' }), /^scanDeadline: "ten minutes" is not a duration/],
    ['bad URL', base({ monitors: [github({ baseUrl: 'ftp://x' })] }), /^monitors\[0\]\.baseUrl: must be an http:\/\/ or https:\/\/ URL/],
    ['wrong type', base({ monitors: [github({ outsideCollaborators: 'yes' })] }), /^monitors\[0\]\.outsideCollaborators: /],
    ['bad severity override', base({ severity: { mfa_disabled: 'urgent' } }), /^severity\.mfa_disabled: /],
    ['unknown event type in severity', base({ severity: { mfa_gone: 'high' } }), /^severity: unknown key "mfa_gone"/],
    ['unknown notifier type', base({ notifiers: [{ id: 'n', type: 'pager' }] }), /^notifiers\[0\]\.type: unknown notifier type "pager"; known types: .*stdout/],
    ['dangling monitor reference', base({ notifiers: [{ id: 'n', type: 'stdout', monitors: ['nope'] }] }), /^notifiers\[0\]\.monitors\[0\]: no monitor has the id "nope"/],
    ['bad notifier minSeverity', base({ notifiers: [{ id: 'n', type: 'stdout', minSeverity: 'loud' }] }), /^notifiers\[0\]\.minSeverity: must be one of info, low, medium, high, critical/],
    ['unset env var', base(), /^monitors\[0\]\.token: environment variable GH_TOKEN is not set/],
    ['bad identities key', base({ identities: { map: { octocat: 'a@example.com' } } }), /^identities\.map\.octocat: invalid key: keys are "provider:login"/],
  ];
  it.each(table)('%s', (name, raw, message) => {
    const issues = issuesOf(raw, name === 'unset env var' ? {} : env);
    expect(issues.some((i) => message.test(i)), issues.join('\n')).toBe(true);
  });

  it('reports every problem at once, not the first only', () => {
    const issues = issuesOf({ schedule: 'x', monitors: [github({ orgg: 1 }), { id: 'b', type: 'nope' }], notifiers: [{ id: 'n', type: 'stdout', minSeverity: 'x' }] });
    expect(issues.length).toBeGreaterThanOrEqual(4);
  });

  it('an unset variable is reported once, without follow-on noise on the same path', () => {
    expect(issuesOf(base(), {}).filter((i) => i.startsWith('monitors[0].token'))).toHaveLength(1);
  });

  it('never echoes a secret in an error', () => {
    const issues = issuesOf(base({ monitors: [github({ orgg: 'x', baseUrl: 'not a url ${GH_TOKEN}' })] }));
    expect(issues.join('\n')).not.toContain(env.GH_TOKEN);
  });

  it('resolves defaults, env values and a database path relative to the config file', () => {
    const c = resolveConfig(base(), env, '/etc/mfawatch/mfawatch.json');
    expect(c.database).toBe('/etc/mfawatch/mfawatch.db');
    expect(c.schedule).toBe('0 * * * *');
    expect(c.scanDeadline).toBe(15 * 60_000);
    expect(c.autoResponse.enabled).toBe(false);
    const gh = c.monitors[0]!.config as unknown as { token: { reveal(): string }; baseUrl: string };
    expect(gh.token.reveal()).toBe(env.GH_TOKEN);
    expect(gh.baseUrl).toBe('https://api.github.com');
    expect(JSON.stringify(c)).not.toContain(env.GH_TOKEN);
  });
});

describe('substituteEnv', () => {
  it('replaces every reference inside strings, at any depth, and records the paths', () => {
    const r = substituteEnv({ a: ['x-${A}-${B}'], b: { c: '${A}' }, n: 3 }, { A: '1', B: '2' });
    expect(r.value).toEqual({ a: ['x-1-2'], b: { c: '1' }, n: 3 });
    expect([...r.fromEnv].sort()).toEqual(['a[0]', 'b.c']);
    expect(r.issues).toEqual([]);
  });
});

describe('loading the file', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it('a missing file says how to start', () => {
    expect(() => loadConfig(join(dir.path, 'none.json'), env)).toThrow(/no such file; copy config.example.json/);
  });

  it('invalid JSON is a config error', () => {
    const p = join(dir.path, 'bad.json');
    writeFileSync(p, '{ "monitors": [ }');
    expect(() => loadConfig(p, env)).toThrow(/not valid JSON/);
  });

  it('warns when a file others can read holds a literal secret', () => {
    const p = writeConfig(dir.path, { monitors: [github({ token: 'ghp_literal_in_file' })], notifiers: [{ id: 'out', type: 'stdout' }] });
    chmodSync(p, 0o644);
    const c = loadConfig(p, env);
    expect(c.warnings.join('\n')).toMatch(/readable by other users and holds literal secrets at monitors\[0\]\.token/);
    expect(c.warnings.join('\n')).not.toContain('ghp_literal_in_file');
    chmodSync(p, 0o600);
    expect(loadConfig(p, env).warnings).toEqual([]);
    const q = writeConfig(dir.path, base({ notifiers: [{ id: 'out', type: 'stdout' }] }), 'env.json');
    chmodSync(q, 0o644);
    expect(loadConfig(q, env).warnings).toEqual([]);
  });

  it('config check exits 0 for a valid file and 2 with every error for a bad one', async () => {
    const good = writeConfig(dir.path, base());
    const ok = await runCli(['config', 'check', '--config', good], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid \(1 monitor\(s\)/);
    const bad = writeConfig(dir.path, { monitors: [github({ orgg: 1 })], schedule: 'x' }, 'bad.json');
    const out = await runCli(['config', 'check', '--config', bad], { env });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/monitors\[0\]: unknown key "orgg"/);
    expect(out.stderr).toMatch(/schedule: "x" is not a valid cron expression/);
  });

  it('MFAWATCH_CONFIG names the default file; usage errors exit 2', async () => {
    const good = writeConfig(dir.path, base());
    expect((await runCli(['config', 'check'], { env: { ...env, MFAWATCH_CONFIG: good } })).code).toBe(0);
    expect((await runCli(['frobnicate'], { env })).code).toBe(2);
  });

  it('config.example.json at the root is valid', () => {
    // Every referenced variable is set; *_URL variables hold URLs (webhook URLs are validated as such).
    const vars = new Proxy({} as Record<string, string>, { get: (_t, k) => (typeof k !== 'string' ? undefined : k.endsWith('_URL') ? `https://example.com/${k}/1234` : `value-of-${k}-1234`) });
    const c = loadConfig(join(import.meta.dirname, '..', '..', 'config.example.json'), vars);
    expect(c.monitors.length).toBeGreaterThan(0);
  });
});
