/**
 * A small organisation for the owner tests: `command` monitors whose program prints the accounts
 * held in a JSON file the test rewrites between runs (the monitor's real line format, through
 * its real child process), and a CLI runner bound to one config.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Clock } from '../../src/core/deps.js';
import { runCli, tempDir, writeConfig, type CliResult } from '../helpers.js';

/** One account line of the command monitor (monitors/command/README.md). */
export interface Line {
  id: string;
  login: string;
  email?: string;
  admin?: boolean;
  mfa: 'enabled' | 'weak' | 'disabled' | 'not_applicable';
  factors?: string[];
  url?: string;
}

const PRINTER = `const fs = require('node:fs'); for (const l of JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))) process.stdout.write(JSON.stringify(l) + '\\n');`;

export class World {
  readonly dir = tempDir('mfawatch-owners-');
  configPath = '';
  readonly #files = new Map<string, string>();

  constructor() {
    writeFileSync(join(this.dir.path, 'print.cjs'), PRINTER);
  }

  /** The config entry of a command monitor `id` printing `lines`. */
  monitor(id: string, lines: Line[]): Record<string, unknown> {
    const file = join(this.dir.path, `${id}.json`);
    this.#files.set(id, file);
    this.set(id, lines);
    return { id, type: 'command', name: id, command: [process.execPath, join(this.dir.path, 'print.cjs'), file], timeout: '20s' };
  }

  /** Replaces what monitor `id` prints next. */
  set(id: string, lines: Line[]): void {
    const file = this.#files.get(id);
    if (!file) throw new Error(`no monitor ${id}`);
    writeFileSync(file, JSON.stringify(lines));
  }

  configure(config: Record<string, unknown>): void {
    this.configPath = writeConfig(this.dir.path, { database: './m.db', ...config });
  }

  /** Runs the CLI on this world's config with the pinned `clock` (and other overrides). */
  cli(args: string[], options: { env?: Record<string, string>; clock?: Clock; stopSignal?: Promise<void> } = {}): Promise<CliResult> {
    return runCli([...args, '--config', this.configPath], { env: options.env ?? {}, overrides: options.clock ? { clock: options.clock } : {}, stopSignal: options.stopSignal });
  }

  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(join(this.dir.path, 'm.db'), { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  cleanup(): void {
    this.dir.cleanup();
  }
}
