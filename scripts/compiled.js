/**
 * Whether bin/mfawatch.js may run the compiled bundle (dist/mfawatch.js, written by
 * scripts/build.js) instead of the TypeScript sources: only while every source file it was built
 * from still has the size and mtime recorded at build time. An edited, added-to or checked-out
 * tree falls back to tsx until `npm run build`, so the CLI never runs code older than its sources.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The bundle's file name inside the build directory. */
export const BUNDLE = 'mfawatch.js';
/** The build's record of its inputs, inside the build directory. */
export const INPUTS = 'inputs.json';

/** The CLI's TypeScript entry, relative to the package root; absent from the published package. */
export const SOURCE_ENTRY = 'src/cli/main.ts';

/**
 * The file URL of the bundle in `outdir` when it is up to date with the sources under `root`;
 * undefined when it is missing or stale, or when MFAWATCH_FROM_SOURCE=1 asks for the sources.
 * The published package (package.json `files`) ships the bundle without the sources it was built
 * from: there the bundle is the program, with nothing to be stale against.
 */
export function compiledEntry(root, outdir = join(root, 'dist'), env = process.env) {
  if (env.MFAWATCH_FROM_SOURCE === '1') return undefined;
  if (!existsSync(join(root, SOURCE_ENTRY))) return existsSync(join(outdir, BUNDLE)) ? pathToFileURL(join(outdir, BUNDLE)).href : undefined;
  let record;
  try {
    record = JSON.parse(readFileSync(join(outdir, INPUTS), 'utf8'));
  } catch {
    return undefined;
  }
  if (record?.bundle !== BUNDLE || typeof record.inputs !== 'object' || record.inputs === null) return undefined;
  for (const [file, recorded] of Object.entries(record.inputs)) {
    let s;
    try {
      s = statSync(resolve(root, file));
    } catch {
      return undefined;
    }
    if (s.size !== recorded.size || s.mtimeMs !== recorded.mtimeMs) return undefined;
  }
  try {
    statSync(join(outdir, BUNDLE));
  } catch {
    return undefined;
  }
  return pathToFileURL(join(outdir, BUNDLE)).href;
}
