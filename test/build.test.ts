/**
 * The compiled CLI (scripts/build.js → dist/mfawatch.js) that bin/mfawatch.js runs instead of the
 * TypeScript sources: it is built from the sources, runs the same CLI, and is used only while
 * every source file it came from is unchanged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build } from '../scripts/build.js';
import { compiledEntry } from '../scripts/compiled.js';
import { tempDir, writeConfig } from './helpers.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const entry = compiledEntry;

let dir: ReturnType<typeof tempDir>;
let outdir: string;
beforeEach(() => {
  dir = tempDir();
  // Inside the package (dist/ is git-ignored), so the bundle finds node_modules as dist/mfawatch.js does.
  outdir = join(ROOT, 'dist', `test-${process.pid}`);
});
afterEach(() => {
  dir.cleanup();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the compiled CLI', () => {
  it('bundles every source the CLI imports, and runs the same commands as the sources', () => {
    expect(build(ROOT, outdir)).toBe(true);
    const inputs = Object.keys((JSON.parse(readFileSync(join(outdir, 'inputs.json'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    expect(inputs).toEqual(expect.arrayContaining(['src/cli/main.ts', 'monitors/index.ts', 'monitors/github/index.ts', 'notifiers/stdout/index.ts', 'storage/store.ts']));
    expect(inputs.some((f) => f.includes('node_modules'))).toBe(false);

    const bundle = entry(ROOT, outdir, {});
    expect(bundle).toBe(`file://${join(outdir, 'mfawatch.js')}`);
    const config = writeConfig(dir.path, { database: './state.db', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: 'http://127.0.0.1:9' }] });
    // What bin/mfawatch.js does with the bundle, for this build directory.
    const runner = join(outdir, 'run.js');
    writeFileSync(runner, `const { main } = await import(${JSON.stringify(bundle)});\nprocess.exitCode = await main(process.argv);\n`);
    const run = (...args: string[]) => spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', GH_TOKEN: 'x' } });
    const sourceRun = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/mfawatch.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', GH_TOKEN: 'x', MFAWATCH_FROM_SOURCE: '1' } });
    for (const args of [['config', 'check', '--config', config], ['--help'], ['run', '--config', join(dir.path, 'missing.json')]]) {
      const compiled = run(...args);
      const source = sourceRun(...args);
      // Off a terminal errors are JSON log lines: their time is the only part allowed to differ.
      const untimed = (text: string) => text.replace(/"time":\d+/g, '"time":0');
      expect({ code: compiled.status, stdout: compiled.stdout, stderr: untimed(compiled.stderr) }, args.join(' ')).toEqual({ code: source.status, stdout: source.stdout, stderr: untimed(source.stderr) });
    }
    expect(run('config', 'check', '--config', config).stdout).toContain('valid (1 monitor(s)');
    // Seven CLI processes, three of them through the TypeScript loader: room for a loaded machine.
  }, 120_000);

  it('is used only while every source it was built from is unchanged', () => {
    expect(build(ROOT, outdir)).toBe(true);
    expect(entry(ROOT, outdir, {})).toBeDefined();
    expect(entry(ROOT, outdir, { MFAWATCH_FROM_SOURCE: '1' })).toBeUndefined();

    // A source edited after the build (here: only its mtime moves, as a checkout or an editor does).
    const record = JSON.parse(readFileSync(join(outdir, 'inputs.json'), 'utf8')) as { inputs: Record<string, { size: number; mtimeMs: number }> };
    const first = Object.keys(record.inputs)[0] as string;
    const stale = { ...record, inputs: { ...record.inputs, [first]: { ...record.inputs[first], mtimeMs: 1 } } };
    writeFileSync(join(outdir, 'inputs.json'), JSON.stringify(stale));
    expect(entry(ROOT, outdir, {})).toBeUndefined();

    // A source file that no longer exists.
    writeFileSync(join(outdir, 'inputs.json'), JSON.stringify({ ...record, inputs: { ...record.inputs, 'src/gone.ts': { size: 1, mtimeMs: 1 } } }));
    expect(entry(ROOT, outdir, {})).toBeUndefined();

    // No build at all, or an interrupted one.
    expect(entry(ROOT, join(dir.path, 'nothing'), {})).toBeUndefined();
    writeFileSync(join(outdir, 'inputs.json'), '{"bundle": "mfawatch.js", "inp');
    expect(entry(ROOT, outdir, {})).toBeUndefined();
    expect(existsSync(join(outdir, 'mfawatch.js'))).toBe(true);
  });

  it('notices a source touched on disk after the build', () => {
    expect(build(ROOT, outdir)).toBe(true);
    const record = JSON.parse(readFileSync(join(outdir, 'inputs.json'), 'utf8')) as { inputs: Record<string, { size: number; mtimeMs: number }> };
    // A scratch input, so the real sources are never touched.
    const file = join(dir.path, 'input.ts');
    writeFileSync(file, 'export {};\n');
    utimesSync(file, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    record.inputs[file] = { size: 11, mtimeMs: new Date('2026-01-01T00:00:00Z').getTime() };
    writeFileSync(join(outdir, 'inputs.json'), JSON.stringify(record));
    expect(entry(ROOT, outdir, {})).toBeDefined();
    utimesSync(file, new Date(), new Date());
    expect(entry(ROOT, outdir, {})).toBeUndefined();
  });
});
