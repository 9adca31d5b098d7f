/** What a command registered from its own file gets from the CLI (src/cli/main.ts). */
import type { AppOverrides } from '../app.js';
import type { ResolvedConfig } from '../config/load.js';
import type { CliIo } from './main.js';

export interface CliContext {
  io: CliIo;
  /** Loads and validates the config named by --config (throws ConfigError: exit 2). */
  config: () => ResolvedConfig;
  /** Dependencies for createApp (test overrides, crash points). */
  appOverrides: AppOverrides;
  setExitCode(code: number): void;
}

/** Writes one line. */
export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
