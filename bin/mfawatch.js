#!/usr/bin/env node
// Entry point. Runs dist/mfawatch.js, the CLI compiled to plain JavaScript by `npm ci` (the
// package's prepare script, scripts/build.js), while it is up to date with the sources; otherwise
// runs the TypeScript sources through tsx. Both are the same program: the bundle only saves the
// loader's start-up. MFAWATCH_FROM_SOURCE=1 forces the sources.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledEntry } from '../scripts/compiled.js';

const compiled = compiledEntry(dirname(dirname(fileURLToPath(import.meta.url))));
let main;
if (compiled) {
  ({ main } = await import(compiled));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
