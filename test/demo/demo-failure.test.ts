/**
 * `npm run demo` that fails says why: the underlying error of each failed cycle is printed, not
 * only "demo FAILED" with exit codes.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDemo, whyFailed } from '../../src/demo/demo.js';
import { Store } from '../../storage/store.js';
import { tempDir } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe('demo failures', () => {
  it('prints the underlying error of a failed cycle', async () => {
    // A database that cannot be used stands for any failure at start-up (e.g. better-sqlite3
    // built for another Node.js version): the CLI fails before it scans.
    const broken = Store.open(join(dir.path, 'broken.db'));
    broken.close();
    let out = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
    const code = await runDemo({ stdout, stderr: stdout, env: {}, overrides: { store: broken } });
    expect(code).toBe(1);
    expect(out).toMatch(/ {2}why: mfawatch: .*database connection is not open/);
    expect(out).toMatch(/demo FAILED: missing events .*; exit codes 1\/1\/1/);
  }, 60_000);

  it('whyFailed keeps messages and warning/error log lines, not info lines', () => {
    const output = ['mfawatch: cannot open ./x.db', JSON.stringify({ level: 30, msg: 'scan committed' }), JSON.stringify({ level: 50, msg: 'scan failed', err: { message: 'ECONNREFUSED' } }), JSON.stringify({ level: 40, msg: 'slow' })].join('\n');
    expect(whyFailed(output)).toEqual(['mfawatch: cannot open ./x.db', 'scan failed: ECONNREFUSED', 'slow']);
  });
});
