/**
 * Online backups of the database with SQLite's backup API (through better-sqlite3's
 * `db.backup()`): a consistent copy taken page by page while mfawatch keeps running (a daemon
 * writing meanwhile is fine; SQLite restarts the copy of pages written during it). The copy is
 * written beside the destination under a temporary name, checked, and only then renamed into
 * place, so a failure (full disk, unwritable folder) leaves no partial file and never touches the
 * database itself.
 */
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** What a finished backup holds. */
export interface BackupResult {
  path: string;
  bytes: number;
  /** The copy's schema version (`PRAGMA user_version`). */
  schemaVersion: number;
}

/** Why a backup could not be made, in words an operator can act on. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

function explain(err: unknown, destination: string): string {
  const code = (err as { code?: string }).code ?? '';
  const folder = dirname(destination);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `the disk holding ${folder} is full; free space or back up to another disk (nothing was written; the database is untouched)`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR_WRITE') {
    return `cannot write in ${folder} (${code}); choose a folder this user may write to (nothing was written; the database is untouched)`;
  }
  return `${(err as Error).message ?? String(err)} (${code || 'error'}); nothing was written and the database is untouched`;
}

/**
 * Copies the database at `source` to `destination` with the online backup API. Refuses to
 * overwrite an existing file unless `overwrite`. The copy gets mode 0600 (it holds who lacks MFA).
 */
export async function backupDatabase(source: string, destination: string, options: { overwrite?: boolean } = {}): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source} (the config's "database"); nothing to back up`);
  if (existsSync(destination)) {
    if (statSync(destination).isDirectory()) throw new BackupError(`${destination} is a folder; give a file name, e.g. ${join(destination, 'mfawatch-backup.db')}`);
    if (!options.overwrite) throw new BackupError(`${destination} already exists; pass --force to replace it, or choose another name`);
  }
  const folder = dirname(destination);
  if (!existsSync(folder)) throw new BackupError(`the folder ${folder} does not exist; create it first`);
  const partial = join(folder, `.${basename(destination)}.partial-${process.pid}`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(partial);
    const copy = new Database(partial, { readonly: true, fileMustExist: true });
    let schemaVersion: number;
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`the copy failed SQLite's check (${String(check)}); nothing was kept`);
      schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    } finally {
      copy.close();
    }
    chmodSync(partial, 0o600);
    renameSync(partial, destination);
    return { path: destination, bytes: statSync(destination).size, schemaVersion };
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(`backup to ${destination} failed: ${explain(err, destination)}`);
  } finally {
    db.close();
  }
}
