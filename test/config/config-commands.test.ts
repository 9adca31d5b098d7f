/**
 * The config commands of issue 16: the warnings of a valid config that would not do what its
 * author expects, `config check --offline`, `config schema` (and the shipped schema file) and
 * `init`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MONITORS } from '../../monitors/index.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';
import { loadConfig, resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const github = { id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}' };
const stdout = { id: 'out', type: 'stdout' };
const env = { GH_TOKEN: 'ghp_secret_value_123' };

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.cleanup());

describe('warnings of a valid config', () => {
  it('no notifier at all: changes would reach nobody', () => {
    expect(resolveConfig({ monitors: [github] }, env).warnings).toEqual([expect.stringMatching(/^notifiers: none configured, so changes are only recorded .* nobody is told; add one/)]);
    expect(resolveConfig({ monitors: [github], notifiers: [stdout] }, env).warnings).toEqual([]);
  });

  it('a responder that acts only on linked accounts, without a monitor that could link them', () => {
    const aws = { id: 'aws', type: 'aws-iam' };
    const cfg = resolveConfig({ monitors: [github], notifiers: [stdout], responders: [{ id: 'okta', type: 'okta', baseUrl: 'https://acme.okta.com', token: 'x' }, aws] }, env);
    expect(cfg.warnings).toEqual([
      'responders[1]: the AWS IAM responder acts only on accounts that a monitor of type "aws-iam" links to a person, and no such monitor is configured, so it would find no one to sign out; add one for the same accounts, or remove the responder',
    ]);
    // With an aws-iam monitor the accounts can be linked; Okta looks people up by e-mail anyway.
    expect(resolveConfig({ monitors: [github, { id: 'aws-m', type: 'aws-iam' }], notifiers: [stdout], responders: [aws] }, env).warnings).toEqual([]);
    const gh = resolveConfig({ monitors: [{ id: 'aws-m', type: 'aws-iam' }], notifiers: [stdout], responders: [{ id: 'sso', type: 'github', org: 'acme', token: 'x' }] }, env);
    expect(gh.warnings.join('\n')).toMatch(/^responders\[0\]: the GitHub responder acts only on accounts that a monitor of type "github" links/);
  });

  it('config check prints them on stderr and still exits 0', async () => {
    const path = writeConfig(dir.path, { monitors: [github] });
    const out = await runCli(['config', 'check', '--config', path], { env });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^warning: notifiers: none configured/m);
  });
});

describe('config check --offline', () => {
  const config = {
    monitors: [github, { id: 'okta', type: 'okta', baseUrl: '${OKTA_URL}', token: '${OKTA_TOKEN}' }],
    notifiers: [{ id: 'slack', type: 'slack', webhookUrl: '${SLACK_WEBHOOK_URL}' }],
    health: { heartbeatUrl: 'https://hc-ping.com/${PING_KEY}' },
  };

  it('validates without the secrets and lists every unresolved reference with its path', async () => {
    const path = writeConfig(dir.path, config);
    // Online, the same file fails on each unset variable.
    const online = await runCli(['config', 'check', '--config', path], { env: {} });
    expect(online.code).toBe(2);
    const offline = await runCli(['config', 'check', '--offline', '--config', path], { env: { GH_TOKEN: 'x' } });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('valid (2 monitor(s), 1 notifier(s), 0 responder(s))');
    expect(offline.stdout).toContain('not checked offline: 4 value(s) read from 4 environment variable(s) that are not set (OKTA_URL, OKTA_TOKEN, SLACK_WEBHOOK_URL, PING_KEY)');
    for (const line of ['monitors[1].baseUrl: ${OKTA_URL}', 'monitors[1].token: ${OKTA_TOKEN}', 'notifiers[0].webhookUrl: ${SLACK_WEBHOOK_URL}', 'health.heartbeatUrl: ${PING_KEY}']) {
      expect(offline.stdout).toContain(`  ${line}\n`);
    }
  });

  it('still reports every other error, with its path', () => {
    const path = writeConfig(dir.path, { ...config, timezone: 'Mars/Olympus', monitors: [{ ...github, orgg: 1 }] });
    let issues: readonly string[] = [];
    try {
      loadConfig(path, {}, { offline: true });
    } catch (err) {
      if (err instanceof ConfigError) issues = err.issues;
    }
    expect(issues).toEqual([expect.stringMatching(/^timezone: "Mars\/Olympus" is not an IANA time zone name/), 'monitors[0]: unknown key "orgg" (check the spelling against config.example.json)']);
  });

  it('lists nothing when every variable is set', () => {
    const cfg = loadConfig(writeConfig(dir.path, { monitors: [github], notifiers: [stdout] }), env, { offline: true });
    expect(cfg.unresolved).toEqual([]);
  });
});

describe('config schema', () => {
  it('prints the JSON Schema generated from the zod schemas, which the package ships as mfawatch.schema.json', async () => {
    const out = await runCli(['config', 'schema']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(configJsonSchemaText());
    // The shipped file is this output; regenerate it with `mfawatch config schema > mfawatch.schema.json`.
    expect(readFileSync(join(ROOT, 'mfawatch.schema.json'), 'utf8')).toBe(out.stdout);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('mfawatch.schema.json');

    const schema = JSON.parse(out.stdout) as {
      $schema: string;
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { type?: string; items?: { oneOf: Array<{ title: string; properties: Record<string, { const?: string }>; required: string[]; additionalProperties: boolean }> } }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['monitors']);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['$schema', '$comment', 'database', 'timezone', 'health', 'autoResponse', 'identities']));
    // One entry schema per registered monitor, picked by its "type", strict like the module's own.
    const monitors = schema.properties.monitors?.items?.oneOf ?? [];
    expect(monitors.map((m) => m.title)).toEqual([...MONITORS.keys()]);
    const gh = monitors.find((m) => m.title === 'github');
    expect(gh?.properties.type?.const).toBe('github');
    expect(gh?.required).toEqual(expect.arrayContaining(['id', 'type', 'org', 'token']));
    expect(gh?.additionalProperties).toBe(false);
    expect(Object.keys(gh?.properties ?? {})).toContain('$comment');
    expect(schema.properties.notifiers?.items?.oneOf.map((n) => n.title)).toContain('slack');
  });

  it('"$schema" in the file is accepted', () => {
    expect(resolveConfig({ $schema: './mfawatch.schema.json', monitors: [github], notifiers: [stdout] }, env).monitors).toHaveLength(1);
  });
});

describe('init', () => {
  it('writes a starting config for the monitors named, with notes and the schema beside it, that config check accepts', async () => {
    const path = join(dir.path, 'mfawatch.json');
    const out = await runCli(['init', '--monitors', 'github,aws-iam', '--config', path]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`wrote ${path} (github, aws-iam) and ${join(dir.path, 'mfawatch.schema.json')}`);
    const written = JSON.parse(readFileSync(path, 'utf8')) as { $schema: string; $comment: string[]; monitors: Array<{ type: string; $comment: string }>; notifiers: Array<{ type: string }> };
    expect(written.$schema).toBe('./mfawatch.schema.json');
    expect(written.$comment.join('\n')).toContain('set GITHUB_TOKEN in the environment');
    expect(written.monitors.map((m) => m.type)).toEqual(['github', 'aws-iam']);
    expect(written.monitors[0]?.$comment).toContain('monitors/github/README.md');
    expect(written.notifiers.map((n) => n.type)).toEqual(['stdout']);
    expect(readFileSync(join(dir.path, 'mfawatch.schema.json'), 'utf8')).toBe(configJsonSchemaText());

    const offline = await runCli(['config', 'check', '--offline', '--config', path]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('monitors[0].token: ${GITHUB_TOKEN}');
    const check = await runCli(['config', 'check', '--config', path], { env: { GITHUB_TOKEN: 'ghp_x' } });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).not.toContain('warning');
  });

  it('has a start for every monitor type, each one valid', async () => {
    for (const type of MONITORS.keys()) {
      const path = join(dir.path, `${type}.json`);
      const out = await runCli(['init', '--monitors', type, '--config', path, '--force']);
      expect(out.code, `${type}: ${out.stderr}`).toBe(0);
      const check = await runCli(['config', 'check', '--offline', '--config', path]);
      expect(check.code, `${type}: ${check.stderr}`).toBe(0);
    }
  });

  it('never overwrites without --force, and refuses unknown monitor types', async () => {
    const path = writeConfig(dir.path, { monitors: [github] });
    const before = readFileSync(path, 'utf8');
    const again = await runCli(['init', '--config', path]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exist(s); pass --force to overwrite');
    expect(readFileSync(path, 'utf8')).toBe(before);
    const unknown = await runCli(['init', '--monitors', 'github,gitlabz', '--config', join(dir.path, 'new.json')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown monitor type\(s\) "gitlabz"; known: github, aws-iam/);
  });

  it('says so when the folder cannot be written', async () => {
    const ro = join(dir.path, 'ro');
    writeFileSync(ro, 'a file, not a folder');
    const out = await runCli(['init', '--config', join(ro, 'mfawatch.json')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/cannot write .*ro\/mfawatch\.json \(ENOTDIR\); choose a writable folder with --config/);
  });
});
