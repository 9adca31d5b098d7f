/**
 * Opening the SQLite database: created with mode 0600 (it holds who lacks MFA), WAL journal,
 * migrations applied. One connection per process; better-sqlite3 is synchronous, so each
 * statement and transaction is atomic with respect to the event loop.
 *
 * The path must be a regular file (or absent, for a command that writes): a symbolic link is
 * refused before anything is created or chmod-ed, so whoever can write to the database folder
 * cannot make a root-run mfawatch change the mode of, or create, a file elsewhere. Read-only
 * commands (`status`, `events`, `history`, `whois`, `audit`) never create, chmod or migrate
 * unless they must migrate: they open the file read-only and fail when it is missing.
 */
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError } from '../src/core/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** `write`: create when absent, keep private, migrate. `read`: the file must exist; opened read-only. */
export type DatabaseAccess = 'write' | 'read';

const FIX_PATH = 'check "database" in the config';

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(path, err);
  }
}

function unreadable(path: string, err: unknown): DatabaseError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'EACCES' || code === 'EPERM') {
    return new DatabaseError(`cannot use the database at ${path} (${code}): it or its folder belongs to another user (mfawatch keeps it private, mode 0600); run mfawatch as the user that owns it`, path, { cause: err });
  }
  return new DatabaseError(`cannot use the database at ${path} (${code}: ${(err as Error).message}); ${FIX_PATH}`, path, { cause: err });
}

/** Refuses a path that exists and is not a regular file (a symlink, dangling or not; a folder; a device). */
function requireRegularFile(path: string, stat: Stats): void {
  if (stat.isSymbolicLink()) {
    let target = '';
    try {
      target = ` to ${readlinkSync(path)}`;
    } catch {
      // unreadable link target: say only that it is a link
    }
    throw new DatabaseError(`the database path ${path} is a symbolic link${target}: mfawatch refuses to follow it (it would create or chmod a file elsewhere); set "database" in the config to the real file's path`, path);
  }
  if (!stat.isFile()) {
    throw new DatabaseError(`the database path ${path} is not a regular file (${stat.isDirectory() ? 'a folder' : 'a device, socket or pipe'}); ${FIX_PATH}: it names the database file itself`, path);
  }
}

/**
 * Makes `path` (or a WAL side file) private: opened with O_NOFOLLOW and chmod-ed through the
 * descriptor, so a symlink swapped in meanwhile is refused, never followed. `create`: O_CREAT.
 */
function makePrivate(path: string, create: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | (create ? constants.O_CREAT | constants.O_WRONLY : 0), 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') requireRegularFile(path, lstatSync(path));
    throw unreadable(path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) requireRegularFile(path, stat);
    if ((stat.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
  } catch (err) {
    if (err instanceof DatabaseError) throw err;
    throw unreadable(path, err);
  } finally {
    closeSync(fd);
  }
}

/** SQLite's own errors, with the path and what to do. */
function explainSqliteError(path: string, err: unknown, access: DatabaseAccess): Error {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseError(`${path} is not a readable mfawatch database (SQLite: ${message}): ${FIX_PATH} points at mfawatch's own file; if it is, restore it from a backup (or move it away: mfawatch then starts a new one with a new baseline)`, path, { cause: err });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new DatabaseError(`cannot ${access === 'read' ? 'read' : 'open'} the database at ${path} (SQLite: ${message}): it or its folder belongs to another user, or is read-only (mfawatch keeps it private, mode 0600); run mfawatch as the user that owns it`, path, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Opens the database at `path`. `write` (the default): creates it (and its folder) when needed,
 * makes it private, migrates. `read`: it must exist (else "no database at PATH"); opened read-only,
 * migrated only when this mfawatch is newer than the file.
 */
export function openDatabase(path: string, access: DatabaseAccess = 'write'): Db {
  if (path === ':memory:') return configure(new Database(path), 'write');
  const stat = lstatOrNull(path);
  if (stat) requireRegularFile(path, stat);
  if (access === 'read') {
    if (!stat) throw new DatabaseError(`no database at ${path}: ${FIX_PATH} (relative paths are read from the config file's folder), or run \`mfawatch run\` once to create it`, path);
    const db = tryOpen(path, access, () => new Database(path, { readonly: true, fileMustExist: true }));
    const current = tryOpen(path, access, () => db.pragma('user_version', { simple: true }) as number);
    if (current >= MIGRATIONS.length) return configure(db, 'read');
    // An older file: migrate it once (as a writer would), then read.
    db.close();
    return openDatabase(path, 'write');
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw unreadable(dirname(path), err);
  }
  makePrivate(path, !stat);
  // SQLite opens the WAL side files by name: a link planted there would be followed.
  for (const side of [`${path}-wal`, `${path}-shm`]) {
    const sideStat = lstatOrNull(side);
    if (sideStat) requireRegularFile(side, sideStat);
  }
  const db = tryOpen(path, access, () => configure(new Database(path), 'write'));
  // WAL side files carry the same data: keep them private too.
  for (const side of [`${path}-wal`, `${path}-shm`]) {
    const sideStat = lstatOrNull(side);
    if (sideStat) makePrivate(side, false);
  }
  return db;
}

function tryOpen<T>(path: string, access: DatabaseAccess, open: () => T): T {
  try {
    return open();
  } catch (err) {
    throw explainSqliteError(path, err, access);
  }
}

function configure(db: Db, access: DatabaseAccess): Db {
  if (access === 'write') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (access === 'write') migrate(db);
  return db;
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
