#!/usr/bin/env node
// Entry point. Runs dist/mfawatch.js, the CLI compiled to plain JavaScript by `npm ci` (the
// package's prepare script, scripts/build.js), while it is up to date with the sources; otherwise
// runs the TypeScript sources through tsx. Both are the same program: the bundle only saves the
// loader's start-up. MFAWATCH_FROM_SOURCE=1 forces the sources. The published package ships only
// the bundle (built by `prepack`), which it always runs.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_ENTRY, compiledEntry } from '../scripts/compiled.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiled = compiledEntry(root);
let main;
if (compiled) {
  ({ main } = await import(compiled));
} else if (!existsSync(join(root, SOURCE_ENTRY))) {
  process.stderr.write(`mfawatch: this installation in ${root} has neither its compiled CLI (dist/mfawatch.js) nor its sources; install the published package again (npm install -g mfawatch)\n`);
  process.exit(1);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
