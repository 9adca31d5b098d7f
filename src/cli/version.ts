/**
 * `mfawatch --version`: the package version (semantic versioning, package.json) and the database
 * schema version this build migrates to (storage/migrations.ts). The schema version is what an
 * operator needs before a downgrade: a database migrated by a newer schema is refused by an older
 * mfawatch (storage/db.ts), so restore the backup taken before the upgrade instead.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { MIGRATIONS } from '../../storage/migrations.js';

/** The package version, as published. */
export const PACKAGE_VERSION: string = packageJson.version;

/** The database schema version (`PRAGMA user_version`) this build creates and migrates to. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** The one-line answer of `mfawatch --version`. */
export function versionLine(nodeVersion: string = process.version): string {
  return `mfawatch ${PACKAGE_VERSION} (database schema ${SCHEMA_VERSION}, Node.js ${nodeVersion})`;
}
