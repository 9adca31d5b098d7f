/**
 * `mfawatch backup FILE` (SQLite's online backup API) and the documented restore: a backup taken
 * next to a running store, restored over the database, gives back the state as it was; an
 * existing file is not replaced without --force; an unwritable destination fails with a clear
 * message, leaves no file and leaves the database untouched. Secrets are not needed.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { nativeModuleAdvice } from '../../storage/db.js';
import { MIGRATIONS } from '../../storage/migrations.js';
import { Store } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_backup_test_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const clock = new PinnedClock('2026-11-22T10:00:00.000Z');
const cli = (args: string[], env: Record<string, string> = { GH_TOKEN: TOKEN }) => runCli([...args, '--config', configPath], { env, overrides: { clock } });

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'out', type: 'stdout' }],
  });
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

const mfaOf = async (login: string) => {
  const out = await cli(['history', login, '--json']);
  return (JSON.parse(out.stdout) as { history: Array<{ mfa: string }> }).history.at(-1)?.mfa;
};

describe('mfawatch backup', () => {
  it('copies the database while it is open, without the secrets, and the copy restores the state it had', async () => {
    expect((await cli(['run'])).code).toBe(0);
    const backup = join(dir.path, 'backups', 'mfawatch-1.db');
    // The folder must exist; the config's secrets need not be set.
    const noFolder = await cli(['backup', backup], {});
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toContain(`the folder ${join(dir.path, 'backups')} does not exist; create it first`);
    const target = join(dir.path, 'mfawatch-1.db');

    // Taken while another connection holds the database open and writes (as a daemon would).
    const live = Store.open(join(dir.path, 'state.db'));
    try {
      live.db.prepare(`INSERT INTO reminder_digests (at, accounts, acknowledged) VALUES ('2026-11-22T10:00:00Z', 0, 0)`).run();
      const out = await cli(['backup', target], {});
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`^backed up ${join(dir.path, 'state.db')} to ${target} \\(\\d+ bytes, database schema ${MIGRATIONS.length}\\)`));
    } finally {
      live.close();
    }
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const copy = new Database(target, { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM accounts').get()).toEqual({ n: 2 });
    expect(copy.prepare('SELECT count(*) AS n FROM reminder_digests').get()).toEqual({ n: 1 });
    copy.close();

    // An existing file is kept unless --force.
    const again = await cli(['backup', target], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${target} already exists; pass --force to replace it`);
    expect((await cli(['backup', target, '--force'], {})).code).toBe(0);

    // Things change after the backup...
    gh.members.get(2)!.twoFactor = 'disabled';
    expect((await cli(['run'])).code).toBe(0);
    expect(await mfaOf('bob')).toBe('disabled');

    // ...and the documented restore (stop mfawatch, replace the file, drop the WAL side files) brings the backup's state back.
    for (const side of ['state.db-wal', 'state.db-shm']) rmSync(join(dir.path, side), { force: true });
    copyFileSync(target, join(dir.path, 'state.db'));
    expect(await mfaOf('bob')).toBe('enabled');
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { monitors: Array<{ accounts: number; withoutMfaTotal: number }> };
    expect(status.monitors[0]).toMatchObject({ accounts: 2, withoutMfaTotal: 0 });
    // The next scan after the restore sees the change again, as a change.
    const rerun = await cli(['run']);
    expect(rerun.stdout).toContain('mfa_disabled');
  });

  it('an unwritable destination fails clearly, leaves no file and the database untouched', async () => {
    expect((await cli(['run'])).code).toBe(0);
    const db = join(dir.path, 'state.db');
    const before = readFileSync(db);
    // /proc accepts no new files, even for root (who can write anywhere else).
    const out = await cli(['backup', '/proc/mfawatch-backup.db'], {});
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^mfawatch: backup to \/proc\/mfawatch-backup\.db failed: cannot write in \/proc \(SQLITE_[A-Z_]+\); choose a folder this user may write to \(nothing was written; the database is untouched\)/);
    expect(existsSync('/proc/mfawatch-backup.db')).toBe(false);
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(readdirSync(dir.path).filter((f) => f.includes('partial'))).toEqual([]);
    const folder = await cli(['backup', dir.path], {});
    expect(folder.stderr).toContain(`${dir.path} is a folder; give a file name`);
  });

  it('says so when there is no database yet', async () => {
    const out = await cli(['backup', join(dir.path, 'b.db')], {});
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`there is no database at ${join(dir.path, 'state.db')}`);
  });
});

describe('upgrading the schema', () => {
  it('copies the database as it was before the first migration runs, once', () => {
    const path = join(dir.path, 'old.db');
    // A database left by an mfawatch that knew one migration fewer.
    const old = new Database(path);
    for (const sql of MIGRATIONS.slice(0, -1)) old.exec(sql);
    old.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    old.prepare(`INSERT INTO reminder_digests (at, accounts, acknowledged) VALUES ('2026-11-01T00:00:00Z', 7, 0)`).run();
    old.close();

    const store = Store.open(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
    const copyPath = `${path}.schema-v${MIGRATIONS.length - 1}.bak`;
    const copy = new Database(copyPath, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length - 1);
    expect(copy.prepare('SELECT accounts FROM reminder_digests').get()).toEqual({ accounts: 7 });
    copy.close();
    expect(statSync(copyPath).mode & 0o777).toBe(0o600);
    // Up to date: no copy; a new database: none either.
    Store.open(path).close();
    Store.open(join(dir.path, 'new.db')).close();
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.bak'))).toEqual([`old.db.schema-v${MIGRATIONS.length - 1}.bak`]);
  });
});

describe('a machine where SQLite cannot be loaded', () => {
  it('says what to run and what a build from source needs', () => {
    let missing: unknown;
    try {
      // The error better-sqlite3 raises when its compiled module is not where it looks.
      new Database(':memory:', { nativeBinding: join(dir.path, 'build', 'Release', 'better_sqlite3.node') });
    } catch (err) {
      missing = err;
    }
    expect(nativeModuleAdvice(missing)).toMatch(/^SQLite \(better-sqlite3's native module\) cannot be loaded under Node\.js v\d+.*: Cannot find module .*better_sqlite3\.node'\. Run `npm rebuild better-sqlite3` .* needs python3, make and a C\+\+ compiler/);
    // Built for another Node.js: the message Node.js gives (ERR_DLOPEN_FAILED).
    const abi = Object.assign(new Error("The module '/opt/mfawatch/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127."), { code: 'ERR_DLOPEN_FAILED' });
    expect(nativeModuleAdvice(abi)).toContain('Run `npm rebuild better-sqlite3`');
    expect(nativeModuleAdvice(new Error('SQLITE_CANTOPEN: unable to open database file'))).toBeUndefined();
  });
});
