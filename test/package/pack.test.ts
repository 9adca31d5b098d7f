/**
 * The published package: `npm pack` (which runs `prepack`, the build) on a copy of this tree, the
 * tarball installed into an empty folder the way deploy/Dockerfile installs it (the package
 * extracted, its dependencies those of package-lock.json without the dev ones, the bin linked as
 * npm links it), and `mfawatch --version`, `config check` and `demo` run from there, with no
 * TypeScript source and no dev dependency in reach.
 *
 * The dependencies are the repository's installed node_modules, linked: `npm install` of the
 * tarball would resolve every dependency against the registry again (minutes, and a network).
 * What linking cannot show, that the bundle imports only production dependencies, is checked
 * against package-lock.json instead.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../storage/migrations.js';
import { tempDir } from '../helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };

/** What is never copied into the staging tree: installed, generated or local files. */
const NOT_STAGED = new Set(['node_modules', 'dist', '.git', 'coverage', '.vitest', 'mfawatch.json']);
const NOT_STAGED_PATHS = new Set(['bench/.work', 'test/reliability/.results']);

let work: ReturnType<typeof tempDir>;
let installed: string;
let packedFiles: string[];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return result;
}

beforeAll(() => {
  work = tempDir('mfawatch-pack-');
  // A copy of the tree, so `prepack` builds into the copy's dist/ and never under another suite.
  const stage = join(work.path, 'stage');
  cpSync(ROOT, stage, {
    recursive: true,
    filter: (src) => {
      const rel = relative(ROOT, src);
      return !NOT_STAGED.has(rel.split('/')[0] ?? '') && !NOT_STAGED_PATHS.has(rel) && !/\.db(-wal|-shm)?$/.test(rel);
    },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  const out = join(work.path, 'out');
  mkdirSync(out);
  const pack = run('npm', ['pack', '--json', '--pack-destination', out], stage);
  expect(pack.status, pack.stderr).toBe(0);
  // Lifecycle scripts print to stdout before npm's JSON.
  const report = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(out, report[0]?.filename ?? '');
  packedFiles = (report[0]?.files ?? []).map((f) => f.path).sort();

  // Installed as deploy/Dockerfile does: extracted, dependencies beside it, the bin linked.
  installed = join(work.path, 'empty');
  const packageDir = join(installed, 'node_modules', pkg.name);
  mkdirSync(packageDir, { recursive: true });
  const tar = run('tar', ['xzf', tarball, '-C', packageDir, '--strip-components=1'], installed);
  expect(tar.status, tar.stderr).toBe(0);
  symlinkSync(join(ROOT, 'node_modules'), join(packageDir, 'node_modules'));
  mkdirSync(join(installed, 'node_modules', '.bin'));
  for (const [name, target] of Object.entries(pkg.bin)) {
    chmodSync(join(packageDir, target), 0o755);
    symlinkSync(join('..', pkg.name, target), join(installed, 'node_modules', '.bin', name));
  }
}, 180_000);

afterAll(() => work?.cleanup());

/** Runs the installed `mfawatch` from the empty folder, with nothing of this repository's environment. */
function mfawatch(...args: string[]): SpawnSyncReturns<string> {
  return run(join(installed, 'node_modules', '.bin', 'mfawatch'), args, installed, { PATH: process.env.PATH ?? '', HOME: installed, GH_TOKEN: 'ghp_not_a_real_token' });
}

describe('the packed tarball', () => {
  it('holds the compiled CLI, its loader and the documents, and no sources or tests', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'SECURITY.md', 'config.example.json', 'mfawatch.schema.json', 'bin/mfawatch.js', 'dist/mfawatch.js', 'scripts/compiled.js']));
    expect(packedFiles.filter((f) => /^(src|test|monitors|notifiers|responders|storage|bench|deploy)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(installed, 'node_modules', pkg.name, 'package.json'), 'utf8')) as { private?: boolean };
    expect(manifest.private).toBeUndefined();
  });

  it('imports only production dependencies (what `npm install` of the tarball brings)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const bundle = readFileSync(join(installed, 'node_modules', pkg.name, 'dist', 'mfawatch.js'), 'utf8');
    const specifiers = new Set([...bundle.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3] ?? ''));
    const packages = [...specifiers].filter((s) => !s.startsWith('node:') && !s.startsWith('.') && !builtinModules.includes(s));
    expect(packages.length).toBeGreaterThan(5);
    const notProduction = packages
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] ?? s)))
      .filter((name) => {
        const entry = lock.packages[`node_modules/${name}`];
        return entry === undefined || entry.dev === true;
      });
    expect(notProduction).toEqual([]);
  });

  it('runs --version, config check and the demo from an empty folder', () => {
    const version = mfawatch('--version');
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(`mfawatch ${pkg.version} (database schema ${MIGRATIONS.length}, Node.js ${process.version})`);

    writeFileSync(
      join(installed, 'mfawatch.json'),
      JSON.stringify({ database: './state/mfawatch.db', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}' }], notifiers: [{ id: 'out', type: 'stdout' }] }),
    );
    const check = mfawatch('config', 'check');
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain('valid (1 monitor(s), 1 notifier(s)');

    const demo = mfawatch('demo');
    expect(demo.status, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout).toContain('demo: every change was detected; the unchanged cycle sent nothing');
    // Neither the demo nor the check left a file behind in the folder they ran from.
    expect(readdirSync(installed).sort()).toEqual(['mfawatch.json', 'node_modules']);
    // Three processes, one of them the demo's three cycles: room for a loaded CI machine.
  }, 120_000);
});
