/**
 * The config file's commands: `config check [--offline]` (validate; offline without the secrets),
 * `config schema` (the JSON Schema editors use) and `init` (a starting config for the monitors
 * named, with notes for the reader and the schema beside it).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import example from '../../config.example.json' with { type: 'json' };
import { MONITORS } from '../../monitors/index.js';
import { configJsonSchemaText } from '../config/json-schema.js';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { writeLine, type CliContext } from './context.js';

/** The schema's file name: shipped in the package, written beside a config by `init`. */
export const SCHEMA_FILE = 'mfawatch.schema.json';

/** What the config commands need beyond the common context: the --config path. */
export interface ConfigCommandsContext extends Pick<CliContext, 'io'> {
  configPath: () => string;
}

/** The `${VAR}` names a value references. */
function variablesIn(value: unknown): string[] {
  return [...JSON.stringify(value).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
}

/** The example entry (config.example.json) of each monitor type: the start `init` gives. */
function exampleMonitor(type: string): Record<string, unknown> | undefined {
  return (example.monitors as Array<Record<string, unknown>>).find((m) => m.type === type);
}

/** The starting config `init` writes for these monitor types. */
export function starterConfig(types: readonly string[]): Record<string, unknown> {
  const monitors = types.map((type) => {
    const example = exampleMonitor(type);
    if (!example) throw new UsageError(`no starting entry for monitor type "${type}"`);
    // Real-time events need set-up at the provider (a webhook, a queue) and `inbound`: a start
    // without them runs as it is; the note says where to add them.
    const entry = Object.fromEntries(Object.entries(example).filter(([key]) => key !== 'events'));
    const events = 'events' in example ? ' Real-time events ("events", seen within seconds): see that README and config.example.json.' : '';
    return {
      $comment: `Replace the example values. Credentials and permissions: monitors/${type}/README.md in the mfawatch sources; every option: config.example.json in the package.${events}`,
      ...entry,
    };
  });
  const variables = [...new Set(variablesIn(monitors))];
  return {
    $schema: `./${SCHEMA_FILE}`,
    $comment: [
      'Written by mfawatch init. Notes like this one ("$comment") are ignored by mfawatch.',
      variables.length
        ? `Secrets stay out of this file: set ${variables.join(', ')} in the environment; "\${NAME}" reads them.`
        : 'Secrets stay out of this file: write "${NAME}" and set NAME in the environment.',
      'Check it without the secrets: mfawatch config check --offline; then with them: mfawatch config check; then mfawatch run.',
      `${SCHEMA_FILE} beside this file lets editors complete and check every key (refresh it after an upgrade: mfawatch config schema > ${SCHEMA_FILE}).`,
    ],
    database: './mfawatch.db',
    schedule: '0 * * * *',
    monitors,
    notifiers: [
      {
        $comment: 'Alerts as JSON lines on standard output. Add Slack, e-mail, Teams, PagerDuty or a webhook: see "notifiers" in config.example.json.',
        id: 'stdout',
        type: 'stdout',
      },
    ],
  };
}

/** Registers `config check`, `config schema` and `init`. */
export function registerConfigCommands(program: Command, ctx: ConfigCommandsContext): void {
  const { io } = ctx;
  const config = program.command('config').description('config file commands');
  config
    .command('check')
    .description('validate the config and exit (0 valid, 2 invalid)')
    .option('--offline', 'check without the secrets: unset ${VAR} references are listed, not errors')
    .action((opts: { offline?: boolean }) => {
      const cfg = loadConfig(ctx.configPath(), io.env, { offline: opts.offline === true });
      for (const w of cfg.warnings) writeLine(io.stderr, `warning: ${w}`);
      writeLine(io.stdout, `${cfg.path}: valid (${cfg.monitors.length} monitor(s), ${cfg.notifiers.length} notifier(s), ${cfg.responders.length} responder(s))`);
      const unresolved = cfg.unresolved ?? [];
      if (unresolved.length > 0) {
        const names = [...new Set(unresolved.map((u) => u.slice(u.lastIndexOf('${') + 2, -1)))];
        writeLine(io.stdout, `not checked offline: ${unresolved.length} value(s) read from ${names.length} environment variable(s) that are not set (${names.join(', ')}); set them and run \`mfawatch config check\`:`);
        for (const u of unresolved) writeLine(io.stdout, `  ${u}`);
      }
    });
  config
    .command('schema')
    .description(`print the JSON Schema of the config file (the package ships it as ${SCHEMA_FILE})`)
    .action(() => {
      io.stdout.write(configJsonSchemaText());
    });

  program
    .command('init')
    .description('write a starting config (--config, default ./mfawatch.json) for the monitors named, and the JSON Schema beside it')
    .option('--monitors <types>', `comma-separated monitor types (${[...MONITORS.keys()].join(', ')})`, 'github')
    .option('--force', 'overwrite existing files')
    .action((opts: { monitors: string; force?: boolean }) => {
      const types = [...new Set(opts.monitors.split(',').map((t) => t.trim()).filter(Boolean))];
      const unknown = types.filter((t) => !MONITORS.has(t));
      if (types.length === 0 || unknown.length > 0) {
        throw new UsageError(`${types.length === 0 ? '--monitors names no type' : `unknown monitor type(s) ${unknown.map((t) => `"${t}"`).join(', ')}`}; known: ${[...MONITORS.keys()].join(', ')}`);
      }
      const path = resolve(ctx.configPath());
      const schemaPath = join(dirname(path), SCHEMA_FILE);
      const existing = [path, schemaPath].filter((p) => existsSync(p));
      if (existing.length > 0 && !opts.force) throw new UsageError(`${existing.join(' and ')} already exist(s); pass --force to overwrite, or --config OTHER.json`);
      const starter = starterConfig(types);
      try {
        writeFileSync(path, `${JSON.stringify(starter, null, 2)}\n`, { mode: 0o600 });
        writeFileSync(schemaPath, configJsonSchemaText());
      } catch (err) {
        throw new UsageError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a writable folder with --config`);
      }
      writeLine(io.stdout, `wrote ${path} (${types.join(', ')}) and ${schemaPath}`);
      writeLine(io.stdout, `next: edit ${basename(path)}, then \`mfawatch config check --offline --config ${path}\``);
    });
}
