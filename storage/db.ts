/**
 * Opening the SQLite database: created with mode 0600 (it holds who lacks MFA), WAL journal,
 * migrations applied. One connection per process; better-sqlite3 is synchronous, so each
 * statement and transaction is atomic with respect to the event loop.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * What to do when better-sqlite3's native module cannot be loaded: not built (no prebuilt binary
 * fitted and nothing could compile it) or built for another Node.js (NODE_MODULE_VERSION). The
 * message says what to run and what a build from source needs; undefined for any other error.
 */
export function nativeModuleAdvice(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  if (!/Could not locate the bindings file|NODE_MODULE_VERSION|better_sqlite3\.node/.test(message) && code !== 'ERR_DLOPEN_FAILED') return undefined;
  const first = message.split('\n')[0] ?? message;
  return (
    `SQLite (better-sqlite3's native module) cannot be loaded under Node.js ${process.version}: ${first}. ` +
    'Run `npm rebuild better-sqlite3` in the folder mfawatch is installed in (for a global install: `npm install -g mfawatch` again); ' +
    'it uses a prebuilt binary where one fits this platform and Node.js version, and otherwise compiles one, which needs python3, make and a C++ compiler ' +
    '(Debian/Ubuntu: apt-get install python3 make g++; Alpine: apk add python3 make g++; macOS: xcode-select --install)'
  );
}

/** Opens (creating when needed) and migrates the database at `path`. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    const advice = nativeModuleAdvice(err);
    if (advice) throw new Error(advice, { cause: err });
    throw err;
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (path !== ':memory:') backupBeforeMigrating(db, path);
  migrate(db);
  if (path !== ':memory:') {
    // WAL side files carry the same data: keep them private too.
    for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
  }
  return db;
}

/**
 * Before migrations change an existing database's schema, a copy of it as it was:
 * `<database>.schema-v<N>.bak` (N its schema version), mode 0600, made with `VACUUM INTO` (a
 * consistent snapshot, taken synchronously here). Going back to the older mfawatch means
 * restoring that copy: the older one refuses the newer schema. Kept if it already exists (an
 * upgrade interrupted and started again keeps the first, pre-upgrade copy).
 */
function backupBeforeMigrating(db: Db, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === 0 || current >= MIGRATIONS.length) return;
  const copy = `${path}.schema-v${current}.bak`;
  if (existsSync(copy)) return;
  try {
    db.prepare('VACUUM INTO ?').run(copy);
    chmodSync(copy, 0o600);
  } catch (err) {
    throw new Error(`cannot back up the database to ${copy} before upgrading its schema from version ${current} to ${MIGRATIONS.length} (${(err as Error).message}); free space or fix the folder's permissions, then start mfawatch again (nothing was changed)`, { cause: err });
  }
}

/** Applies the migrations the database does not have yet. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database schema (version ${current}) is newer than this mfawatch (knows ${MIGRATIONS.length}); upgrade mfawatch`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v];
    if (sql === undefined) continue;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
