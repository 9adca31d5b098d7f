#!/usr/bin/env node
/**
 * Compiles the CLI to one plain-JavaScript ES module, dist/mfawatch.js, so bin/mfawatch.js starts
 * without the tsx loader (which transpiles every TypeScript file at each start). Runs from the
 * package's `prepare` script, so `npm ci` produces it; `npm run build` after editing the sources.
 * Packages stay external (loaded from node_modules as usual). Next to the bundle, dist/inputs.json
 * records the size and mtime of every source file bundled: bin/mfawatch.js uses the bundle only
 * while they all still match (see scripts/compiled.js) and falls back to tsx otherwise.
 *   node scripts/build.js
 */
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE, INPUTS } from './compiled.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * esbuild as tsx installs it: tsx (a dependency) depends on esbuild, so it is present wherever tsx
 * is, hoisted or not. Undefined when it cannot be loaded.
 */
function loadEsbuild() {
  try {
    const fromTsx = createRequire(createRequire(join(ROOT, 'package.json')).resolve('tsx/package.json'));
    return fromTsx('esbuild');
  } catch {
    return undefined;
  }
}

/**
 * Bundles src/cli/main.ts into `outdir` (default dist/) and writes its inputs file.
 * Returns false, after saying why, when esbuild is not available (the CLI then runs through tsx).
 */
export function build(root = ROOT, outdir = join(root, 'dist')) {
  const esbuild = loadEsbuild();
  if (!esbuild) {
    process.stderr.write('mfawatch build: esbuild is not installed; bin/mfawatch.js will run the TypeScript sources through tsx\n');
    return false;
  }
  rmSync(join(outdir, INPUTS), { force: true });
  mkdirSync(outdir, { recursive: true });
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(outdir, BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node.js package.json `engines` admits; the bundle runs unchanged on 22 and 24.
    target: 'node20.19',
    // Dependencies load from node_modules as they do under tsx; only our own sources are bundled.
    packages: 'external',
    // Keeps function and class names (error names, stack traces) as in the sources.
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const s = statSync(resolve(root, file));
    inputs[file] = { size: s.size, mtimeMs: s.mtimeMs };
  }
  // Written last: a build interrupted before this point leaves no inputs file, hence no bundle in use.
  writeFileSync(join(outdir, INPUTS), `${JSON.stringify({ bundle: BUNDLE, inputs }, null, 1)}\n`);
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
