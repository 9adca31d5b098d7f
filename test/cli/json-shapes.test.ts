/**
 * Every `--json` output matches its documented shape in docs/json.md: the same schema ids, the
 * same keys (camelCase, every key present, absent values null), the same value types. Checked
 * structurally against the documented example of each schema, not against a snapshot.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

/** The documented example of each schema: a `### \`schema/vN\`` heading, then a ```json block. */
function documentedShapes(): Map<string, unknown> {
  const doc = readFileSync(new URL('../../docs/json.md', import.meta.url), 'utf8');
  const out = new Map<string, unknown>();
  const re = /^### `([a-z0-9.-]+\/v\d+)`[^\n]*\n[\s\S]*?```json\n([\s\S]*?)\n```/gm;
  for (const m of doc.matchAll(re)) out.set(m[1] as string, JSON.parse(m[2] as string) as unknown);
  return out;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const CAMEL = /^[a-z][a-zA-Z0-9]*$/;

/**
 * Problems of `actual` against the documented `doc`: an object must have exactly the documented
 * keys (an empty documented object `{}` is free-form detail); an array's items match the
 * documented first item; null is allowed for any documented value and a documented null takes any.
 */
function shapeProblems(doc: unknown, actual: unknown, path: string, free: boolean): string[] {
  if (actual === null || doc === null) return [];
  if (kind(doc) !== kind(actual)) return [`${path}: documented ${kind(doc)}, got ${kind(actual)}`];
  if (Array.isArray(doc) && Array.isArray(actual)) {
    if (doc.length === 0) return [];
    return actual.flatMap((item, i) => shapeProblems(doc[0], item, `${path}[${i}]`, free));
  }
  if (kind(doc) === 'object') {
    const d = doc as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    if (Object.keys(d).length === 0 || free) return [];
    const problems: string[] = [];
    for (const k of Object.keys(a)) {
      if (!(k in d)) problems.push(`${path}.${k}: not documented`);
      if (!CAMEL.test(k) && kind(d) === 'object' && path.split('.').at(-1) !== 'byState') problems.push(`${path}.${k}: not camelCase`);
    }
    for (const k of Object.keys(d)) {
      if (!(k in a)) problems.push(`${path}.${k}: documented but missing (absent values must be null)`);
      else problems.push(...shapeProblems(d[k], a[k], `${path}.${k}`, false));
    }
    return problems;
  }
  return [];
}

const GH_TOKEN = 'ghp_json_shapes_token';
const OKTA_TOKEN = '00okta-json-shapes';
const env = { GH_TOKEN, OKTA_TOKEN };
let gh: FakeGitHub;
let okta: FakeOkta;
let dir: ReturnType<typeof tempDir>;
let path: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
const outputs = new Map<string, unknown[]>();

const cli = (...args: string[]) => runCli([...args, '--config', path], { env, overrides: { clock } });
async function json(...args: string[]): Promise<void> {
  const out = await cli(...args);
  // run --json is one line among the stdout notifier's lines; the others print one document.
  const docs = args[0] === 'run' || args[1] === 'export'
    ? out.stdout.split('\n').filter((l) => l.startsWith('{"schema":"mfawatch.run/') || l.startsWith('{"schema":"mfawatch.audit/')).map((l) => JSON.parse(l) as unknown)
    // Others print one pretty document; the stdout notifier's own lines (a kill's announcement,
    // the test message) may come before it on the same stream.
    : [JSON.parse(out.stdout.slice(Math.max(0, out.stdout.indexOf('{\n  "schema": "mfawatch.')))) as unknown];
  expect(docs.length, `${args.join(' ')}: ${out.stderr}`).toBeGreaterThan(0);
  for (const d of docs) {
    const schema = (d as { schema: string }).schema;
    outputs.set(schema, [...(outputs.get(schema) ?? []), d]);
  }
}

beforeAll(async () => {
  gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(30);
  okta = new FakeOkta(OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
  await Promise.all([gh.start(), okta.start()]);
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '2s' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
    responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
    autoResponse: { enabled: true, dryRun: true },
    identities: { map: { 'github:alice': 'alice@example.com', 'github:bob': 'bob@example.com' } },
  });
  await json('run', '--json');
  gh.members.get(1)!.twoFactor = 'disabled';
  gh.members.get(2)!.twoFactor = 'disabled';
  clock.advance(3_600_000);
  await json('run', '--json');
  await json('status', '--json');
  await json('silence', 'add', '--identity', 'bob@example.com', '--for', '1d', '--reason', 'on leave', '--json');
  gh.members.get(2)!.twoFactor = 'enabled';
  clock.advance(3_600_000);
  await json('run', '--json');
  await json('silence', 'list', '--all', '--json');
  await json('events', '--json');
  await json('history', 'alice', '--json');
  await json('whois', 'alice@example.com', '--json');
  await json('report', '--format', 'json');
  await json('kill', 'alice@example.com', '--dry-run', '--json');
  await json('kill', 'alice@example.com', '--yes', '--json');
  await json('notify-test', '--json');
  await json('redeliver', '--json');
  await json('audit', 'verify', '--json');
  await json('audit', 'export');
}, 60_000);
afterAll(async () => {
  await Promise.all([gh.stop(), okta.stop()]);
  dir.cleanup();
});

describe('docs/json.md', () => {
  const documented = documentedShapes();


  it('documents every schema the commands print, and only those', () => {
    expect([...documented.keys()].sort()).toEqual([...outputs.keys()].sort());
  });

  it.each([...documentedShapes().keys()].map((s) => [s]))('%s: the output has the documented keys and types', (schema) => {
    const docs = outputs.get(schema) ?? [];
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(shapeProblems(documented.get(schema), d, schema, false)).toEqual([]);
  });

  it('times in JSON are UTC ISO strings', () => {
    for (const [schema, docs] of outputs) {
      for (const d of docs) {
        const at = (d as { generatedAt?: string; at?: string }).generatedAt ?? (d as { at?: string }).at;
        expect(at, schema).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
    }
  });

  it('a lookup that finds nothing exits 2 with or without --json, and --json prints no document', async () => {
    for (const args of [['whois', 'nobody@example.com'], ['history', 'nobody']]) {
      const text = await cli(...args);
      const asJson = await cli(...args, '--json');
      expect([text.code, asJson.code], args.join(' ')).toEqual([2, 2]);
      expect(asJson.stdout).toBe('');
      expect(asJson.stderr).toContain('nobody');
    }
  });

  it('the shape check catches a missing key, an undocumented key and a wrong type', () => {
    expect(shapeProblems({ a: 1, b: { c: 'x' } }, { a: 1 }, 's', false)).toEqual(['s.b: documented but missing (absent values must be null)']);
    expect(shapeProblems({ a: 1 }, { a: 1, snake_case: 2 }, 's', false)).toEqual(['s.snake_case: not documented', 's.snake_case: not camelCase']);
    expect(shapeProblems({ a: [{ n: 1 }] }, { a: [{ n: 'one' }] }, 's', false)).toEqual(['s.a[0].n: documented number, got string']);
  });
});
