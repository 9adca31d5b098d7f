/**
 * Opening the database file (issue 12, items 6 and 7), through the CLI: a symbolic link is
 * refused before anything is created or chmod-ed; read-only commands never create a database and
 * fail with "no database at PATH"; SQLite's own errors name the path and the fix; another user
 * gets a clear message, not a raw EPERM.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** A monitor the config needs (these commands scan nothing but `run`): a program printing one account. */
const MONITOR = { id: 'idle', type: 'command', command: [process.execPath, '-e', 'console.log(JSON.stringify({ id: "1", login: "x", mfa: "enabled" }))'] };

let dir: ReturnType<typeof tempDir>;
const configFor = (database: string) => writeConfig(dir.path, { database, monitors: [MONITOR], notifiers: [{ id: 'out', type: 'stdout' }] });
const cli = (config: string, ...args: string[]) => runCli([...args, '--config', config]);

beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe('a database path that is not a regular file', () => {
  it('a symlink to another file: refused, and the target keeps its mode', async () => {
    const target = join(dir.path, 'passwd-like');
    writeFileSync(target, 'root:x:0:0\n', { mode: 0o644 });
    chmodSync(target, 0o644);
    symlinkSync(target, join(dir.path, 'state.db'));
    const out = await cli(configFor('./state.db'), 'run');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/the database path .*state\.db is a symbolic link to .*passwd-like: mfawatch refuses to follow it .*set "database" in the config to the real file's path/);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readFileSync(target, 'utf8')).toBe('root:x:0:0\n');
  });

  it('a dangling symlink: refused, its target is not created', async () => {
    const target = join(dir.path, 'elsewhere', 'created-by-mfawatch');
    mkdirSync(join(dir.path, 'elsewhere'));
    symlinkSync(target, join(dir.path, 'state.db'));
    const out = await cli(configFor('./state.db'), 'run');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/is a symbolic link/);
    expect(existsSync(target)).toBe(false);
  });

  it('a symlinked WAL side file: refused', async () => {
    expect((await cli(configFor('./state.db'), 'run')).code).toBe(0);
    const target = join(dir.path, 'victim');
    writeFileSync(target, 'x', { mode: 0o644 });
    symlinkSync(target, join(dir.path, 'state.db-wal'));
    const out = await cli(configFor('./state.db'), 'run');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/state\.db-wal is a symbolic link/);
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it('a folder: refused, saying the path must name the file', async () => {
    mkdirSync(join(dir.path, 'state.db'));
    const out = await cli(configFor('./state.db'), 'status');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/is not a regular file \(a folder\)/);
  });
});

describe('read-only commands on a mistyped path', () => {
  it.each([['status'], ['events'], ['history', 'alice'], ['whois', 'alice@example.com'], ['audit', 'verify'], ['audit', 'export']])('%s fails with "no database at PATH" (exit 2) and creates nothing', async (...args) => {
    const config = configFor('./typo/stat.db');
    const out = await cli(config, ...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/no database at .*typo\/stat\.db: check "database" in the config/);
    expect(existsSync(join(dir.path, 'typo'))).toBe(false);
  });

  it('status reads an existing database without writing to it', async () => {
    const config = configFor('./state.db');
    expect((await cli(config, 'run')).code).toBe(0);
    chmodSync(join(dir.path, 'state.db'), 0o400);
    const out = await cli(config, 'status');
    expect(out.code, out.stderr).toBe(0);
    expect(statSync(join(dir.path, 'state.db')).mode & 0o777).toBe(0o400);
  });

  it('a file that is not a database: the path and the fix', async () => {
    writeFileSync(join(dir.path, 'state.db'), 'this is not sqlite, just text '.repeat(100), { mode: 0o600 });
    const out = await cli(configFor('./state.db'), 'status');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/state\.db is not a readable mfawatch database \(SQLite: file is not a database\): check "database" in the config points at mfawatch's own file; if it is, restore it from a backup/);
  });
});

/**
 * The folders another user must pass through to run this checkout's CLI with this Node.js. A
 * checkout or a Node.js unpacked under a private temporary folder (mktemp -d is 0700: a fresh
 * clone, .ci/test-on-node) is opened to others (o+x) for the test and closed again after it.
 */
function privateAncestors(): string[] {
  const folders = new Set<string>();
  for (const start of [ROOT, dirname(process.execPath)]) {
    for (let d = start; d !== dirname(d); d = dirname(d)) folders.add(d);
  }
  return [...folders].filter((d) => (statSync(d).mode & 0o001) === 0);
}

describe.skipIf(process.getuid?.() !== 0)('another user', () => {
  const opened: Array<[string, number]> = [];
  beforeEach(() => {
    for (const d of privateAncestors()) {
      // Only folders under the temporary folder are opened; anything else is the machine's choice.
      if (!d.startsWith(tmpdir())) throw new Error(`${d} is not reachable by other users: run this test from a checkout others can read`);
      opened.push([d, statSync(d).mode & 0o7777]);
      chmodSync(d, (statSync(d).mode & 0o7777) | 0o001);
    }
  });
  afterEach(() => {
    for (const [d, mode] of opened.splice(0)) chmodSync(d, mode);
  });

  it('running status on a private database gets a clear message, not a raw EPERM from chmod', async () => {
    chmodSync(dir.path, 0o755);
    const config = configFor('./state.db');
    chmodSync(config, 0o644);
    expect((await cli(config, 'run')).code).toBe(0);
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'status', '--config', config], { cwd: dir.path, uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const code = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', done);
    });
    expect(err).not.toMatch(/EPERM.*chmod/);
    expect(err).toMatch(/cannot read the database at .*state\.db .*run mfawatch as the user that owns it/);
    expect(code).toBe(2);
  }, 30_000);
});
