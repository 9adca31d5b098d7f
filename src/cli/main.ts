/**
 * The command line (DESIGN.md "Command line"). Exit codes: 0 ok, 1 a monitor or delivery failed,
 * 2 bad config or usage.
 */
import { Command, CommanderError, Option } from 'commander';
import type { DatabaseAccess } from '../../storage/db.js';
import { createApp, type App, type AppOverrides } from '../app.js';
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import { ConfigError, DatabaseError, UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { visible, visibleDeep, visibleLines } from '../core/text.js';
import { crashHookFor } from '../core/crash-point.js';
import { runCycle } from '../cycle.js';
import { takeWorkerLease } from '../lease.js';
import { startObservabilityServer } from '../observability/server.js';
import { startConsole } from '../console/server.js';
import { startDaemon } from '../scheduler.js';
import { startInboundServer } from '../events/inbound.js';
import { registerAcceptCommand } from './accept.js';
import { registerAuditCommand } from './audit.js';
import { registerCancelKillCommand } from './cancel-kill.js';
import { registerConsoleCommand } from './console.js';
import { registerKillCommand, type CommandContext } from './kill.js';
import { registerAckCommand } from './ack.js';
import { registerNotifyTestCommand } from './notify-test.js';
import { registerRedeliverCommand } from './redeliver.js';
import { renderEvent } from './render.js';
import { registerWhoisCommand } from './whois.js';
import { buildStatus, renderStatus } from './status.js';

/** Streams and environment of one CLI invocation; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Dependencies for the app (a pinned clock, a test logger). */
  overrides?: AppOverrides | undefined;
  /** Yes/no questions (`kill`); default: the terminal when there is one, else none. */
  confirm?: ((question: string) => Promise<boolean>) | null | undefined;
  /** Resolves when the daemon should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<void> | undefined;
}

const defaultIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Runs the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode = 0;
  const program = new Command('mfawatch')
    .description('Watches the MFA state of every account at your identity providers and tells you the moment it changes.')
    .addOption(new Option('-c, --config <file>', 'config file').default(io.env.MFAWATCH_CONFIG ?? './mfawatch.json'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  const config = (): ResolvedConfig => loadConfig(program.opts<{ config: string }>().config, io.env);
  // Test-only (src/core/crash-point.ts): read once, here at the edge.
  const crashPoint = crashHookFor(io.env.MFAWATCH_TEST_CRASH_POINT);
  const appOverrides: AppOverrides = { stdout: io.stdout, ...(crashPoint ? { crashPoint } : {}), ...io.overrides };
  const withApp = async <T>(fn: (app: App) => Promise<T> | T, access: DatabaseAccess = 'write'): Promise<T> => {
    const app = createApp(config(), appOverrides, access);
    try {
      return await fn(app);
    } finally {
      app.close();
    }
  };

  program
    .command('run')
    .description('run one cycle now: scan, diff, deliver; exit 0 when all ok, 1 when a monitor or delivery failed')
    .option('-m, --monitor <id...>', 'only these monitor instances')
    .action(async (opts: { monitor?: string[] }) => {
      const cfg = config();
      const unknown = (opts.monitor ?? []).filter((id) => !cfg.monitors.some((m) => m.config.id === id));
      if (unknown.length) throw new UsageError(`no monitor with id ${unknown.map((u) => `"${u}"`).join(', ')}; configured: ${cfg.monitors.map((m) => m.config.id).join(', ')}`);
      const app = createApp(cfg, appOverrides);
      let lease: { release(): void } | undefined;
      try {
        lease = takeWorkerLease(app, 'run');
        const result = await runCycle(app, { monitorIds: opts.monitor, signal: new AbortController().signal });
        const ev = result.events;
        for (const f of ev.pollFailures) write(io.stderr, `${visible(f.monitorId)}: event source ${f.source} failed: ${visible(f.message)}`);
        if (ev.received || ev.verify.verified || ev.verify.failed) write(io.stderr, `events: ${ev.received} received, ${ev.verify.verified} account(s) verified, ${ev.verify.events.length} change(s)${ev.verify.failed ? `, ${ev.verify.failed} verification(s) failed (kept; see mfawatch status)` : ''}`);
        for (const s of result.scans) {
          const name = visible(`${s.monitorId}${s.scope ? `/${s.scope}` : ''}`);
          if (s.status === 'succeeded') write(io.stderr, `${name}: ${s.baseline ? 'baseline' : 'scan'} ok, ${s.accounts} accounts, ${s.events.filter((e) => e.type !== 'baseline').length} change(s)`);
          else if (s.status === 'held') write(io.stderr, `${name}: scan HELD: ${visible(s.events[0]?.summary ?? '')}`);
          else write(io.stderr, `${name}: scan ${s.status}: ${visible(s.error?.message ?? '')}`);
        }
        for (const r of result.responses) write(io.stderr, `${r.dryRun ? '[dry run] ' : ''}auto-response ${visible(r.identity)}: ${r.results.map((x) => `${x.responderId} ${x.outcome}`).join(', ')}`);
        const d = result.delivery;
        if (d.sent || d.failed || d.pending) write(io.stderr, `deliveries: ${d.sent} sent, ${d.failed} failed, ${d.pending} still pending${d.pending ? ' (retried on the next run)' : ''}`);
        exitCode = result.exitCode;
      } finally {
        lease?.release();
        app.close();
      }
    });

  program
    .command('start')
    .description('run as a daemon: every monitor on its schedule, deliveries continuously; stops on SIGTERM/SIGINT')
    .option('--no-initial-scan', 'do not scan every monitor once at start')
    .action(async (opts: { initialScan: boolean }) => {
      await withApp(async (app) => {
        let lost = (): void => undefined;
        const lease = takeWorkerLease(app, 'start', () => lost());
        const listen = app.config.observability?.listen;
        const server = listen ? await startObservabilityServer(app, listen).catch((err: unknown) => {
          lease.release();
          throw new Error(`cannot serve /healthz and /metrics on ${listen} (observability.listen): ${(err as Error).message}`);
        }) : undefined;
        if (server) app.logger.info({ url: server.url }, 'serving /healthz and /metrics');
        const consoleListen = app.config.console?.listen;
        const webConsole = consoleListen ? await startConsole(app).catch(async (err: unknown) => {
          await server?.close();
          lease.release();
          throw new Error(`cannot serve the web console on ${consoleListen} (console.listen): ${(err as Error).message}`);
        }) : undefined;
        if (webConsole) app.logger.info({ url: webConsole.url, publicUrl: app.config.console?.publicUrl }, 'serving the web console; `mfawatch console link` prints a sign-in link');
        const daemon = startDaemon(app);
        const pushed = daemon.events.bindings.filter((b) => b.source.kind === 'push');
        const inbound = app.config.inbound && pushed.length > 0
          ? await startInboundServer(app, daemon.events, app.config.inbound.listen, app.config.inbound.bodyLimit).catch(async (err: unknown) => {
              await daemon.stop();
              await webConsole?.close();
              await server?.close();
              lease.release();
              throw new Error(`cannot receive webhooks on ${app.config.inbound?.listen ?? ''} (inbound.listen): ${(err as Error).message}`);
            })
          : undefined;
        if (inbound) app.logger.info({ url: inbound.url, hooks: pushed.map((b) => `/hooks/${b.instance.config.id}`) }, 'receiving webhooks');
        else if (pushed.length > 0) app.logger.error({ monitors: pushed.map((b) => b.instance.config.id) }, 'these monitors have pushed event sources (webhooks) but no "inbound" is configured: their deliveries cannot arrive; add "inbound": { "listen": "127.0.0.1:8787" }');
        lost = () => {
          exitCode = 1;
          void daemon.stop();
        };
        const stopSignal =
          io.stopSignal ??
          new Promise<void>((resolve) => {
            process.once('SIGTERM', resolve);
            process.once('SIGINT', resolve);
          });
        void stopSignal.then(() => daemon.stop());
        try {
          if (opts.initialScan) await Promise.all(app.monitors.map((m) => daemon.scanNow(m.config.id)));
          await daemon.done;
        } finally {
          await inbound?.close();
          await webConsole?.close();
          await server?.close();
          lease.release();
        }
      });
    });

  program
    .command('status')
    .description('per monitor: last scan and its result, accounts, MFA coverage, accounts without MFA')
    .option('--json', 'machine-readable output (mfawatch.status/v1)')
    .action(async (opts: { json?: boolean }) => {
      await withApp((app) => {
        const now = app.clock.now();
        const monitorOf = (id: string) => app.monitors.find((m) => m.config.id === id)?.monitor;
        const report = buildStatus(app.config, app.store, now, (id) => [...(monitorOf(id)?.scopes() ?? [])], (id) => monitorOf(id)?.eventSources?.() ?? []);
        write(io.stdout, opts.json ? JSON.stringify(report, null, 2) : renderStatus(report, now));
      }, 'read');
    });

  program
    .command('events')
    .description('recent change events and their delivery state')
    .option('--since <duration>', 'how far back, e.g. 1h, 7d', '7d')
    .option('--limit <n>', 'at most this many (newest)', '200')
    .option('--json', 'machine-readable output (mfawatch.events/v1)')
    .action(async (opts: { since: string; limit: string; json?: boolean }) => {
      const since = parseDuration(opts.since);
      if (since === undefined) throw new UsageError(`--since "${opts.since}" is not a duration; use e.g. 30m, 24h, 7d`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      await withApp((app) => {
        const now = app.clock.now();
        const events = app.store.eventsSince(new Date(now.getTime() - since), limit);
        if (opts.json) write(io.stdout, JSON.stringify({ schema: 'mfawatch.events/v1', generatedAt: now.toISOString(), events }, null, 2));
        else write(io.stdout, events.length ? events.map(renderEvent).join('\n\n') : `no events in the last ${opts.since}`);
      }, 'read');
    });

  program
    .command('history')
    .argument('<account>', 'account id, login or email')
    .description("an account's recorded states over time, at every monitor")
    .option('--json', 'machine-readable output')
    .action(async (account: string, opts: { json?: boolean }) => {
      await withApp((app) => {
        const rows = app.store.history(account);
        if (rows.length === 0) throw new UsageError(`no account with id, login or email "${account}" has been seen`);
        if (opts.json) {
          write(io.stdout, JSON.stringify({ schema: 'mfawatch.history/v1', account, history: rows.map((r) => ({ ...r, admin: r.admin === 1, factors: JSON.parse(r.factors) as string[] })) }, null, 2));
          return;
        }
        for (const r of rows.map(visibleDeep)) write(io.stdout, `${r.at}  ${r.monitor_id}${r.scope ? `/${r.scope}` : ''}  ${r.change.padEnd(8)} ${r.login} (id ${r.account_id})  mfa=${r.mfa} admin=${r.admin === 1} kind=${r.kind}`);
      }, 'read');
    });

  const commandContext: CommandContext = { stdout: io.stdout, stderr: io.stderr, withApp, setExitCode: (code) => (exitCode = code), confirm: io.confirm };
  registerKillCommand(program, commandContext);
  registerWhoisCommand(program, commandContext);
  registerCancelKillCommand(program, commandContext);
  registerAckCommand(program, commandContext);
  registerNotifyTestCommand(program, withApp, io, (code) => (exitCode = Math.max(exitCode, code)));

  program
    .command('config')
    .description('config file commands')
    .command('check')
    .description('validate the config and exit (0 valid, 2 invalid)')
    .action(() => {
      const cfg = config();
      for (const w of cfg.warnings) write(io.stderr, `warning: ${w}`);
      write(io.stdout, `${cfg.path}: valid (${cfg.monitors.length} monitor(s), ${cfg.notifiers.length} notifier(s), ${cfg.responders.length} responder(s))`);
    });

  registerAcceptCommand(program, { io, config, appOverrides, setExitCode: (c) => (exitCode = c) });
  registerAuditCommand(program, { io, config, appOverrides, setExitCode: (c) => (exitCode = c) });
  registerRedeliverCommand(program, { io, config, appOverrides, setExitCode: (c) => (exitCode = c) });
  registerConsoleCommand(program, { io, config, appOverrides, setExitCode: (c) => (exitCode = c) });

  program
    .command('demo')
    .description('the whole pipeline against a simulated GitHub organisation on loopback; no credentials, no network')
    .option('--console', 'then serve the web console over the demo data and print a one-time link (until Ctrl-C)')
    .action(async (opts: { console?: boolean }) => {
      const { runDemo } = await import('../demo/demo.js');
      exitCode = await runDemo(io, { console: opts.console === true });
    });

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof ConfigError) {
      write(io.stderr, `mfawatch: ${visibleLines(err.message)}`);
      return 2;
    }
    if (err instanceof UsageError || err instanceof DatabaseError) {
      write(io.stderr, `mfawatch: ${visibleLines(err.message)}`);
      return 2;
    }
    write(io.stderr, `mfawatch: ${visibleLines((err as Error).message ?? String(err))}`);
    return 1;
  }
}
