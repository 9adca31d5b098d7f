/**
 * `mfawatch backup FILE [--force]`: an online copy of the database (storage/backup.ts), safe while
 * the daemon runs. Needs only the config's `database`, not the secrets: the config is read as
 * `config check --offline` reads it. Restore: README "Backups and retention".
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BackupError, backupDatabase } from '../../storage/backup.js';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { writeLine } from './context.js';
import type { ConfigCommandsContext } from './config-commands.js';

/** Registers `backup`. */
export function registerBackupCommand(program: Command, ctx: ConfigCommandsContext & { setExitCode(code: number): void }): void {
  program
    .command('backup')
    .argument('<file>', 'where to write the copy (a new file)')
    .description("copy the database with SQLite's online backup API, safe while mfawatch runs")
    .option('--force', 'replace FILE when it exists')
    .action(async (file: string, opts: { force?: boolean }) => {
      const cfg = loadConfig(ctx.configPath(), ctx.io.env, { offline: true });
      if (cfg.database === ':memory:') throw new UsageError('the config\'s "database" is ":memory:": there is nothing on disk to back up');
      try {
        const done = await backupDatabase(cfg.database, resolve(file), { overwrite: opts.force === true });
        writeLine(ctx.io.stdout, `backed up ${cfg.database} to ${done.path} (${done.bytes} bytes, database schema ${done.schemaVersion})`);
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        writeLine(ctx.io.stderr, `mfawatch: ${err.message}`);
        ctx.setExitCode(1);
      }
    });
}
