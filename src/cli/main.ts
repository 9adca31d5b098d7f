/**
 * The command line (DESIGN.md "Command line"). Exit codes: 0 ok, 1 a monitor or delivery failed,
 * 2 bad config or usage.
 */
import { Command, CommanderError, Option } from 'commander';
import type { DatabaseAccess } from '../../storage/db.js';
import { createApp, type App, type AppOverrides } from '../app.js';
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import { ConfigError, DatabaseError, UsageError } from '../core/errors.js';
import { visible, visibleDeep, visibleLines } from '../core/text.js';
import { crashHookFor } from '../core/crash-point.js';
import { runCycle } from '../cycle.js';
import { takeWorkerLease } from '../lease.js';
import { startObservabilityServer } from '../observability/server.js';
import { startConsole } from '../console/server.js';
import { startDaemon } from '../scheduler.js';
import { startInboundServer } from '../events/inbound.js';
import { decideAutoResponse, registerAnswerRoutes } from '../owners/index.js';
import { registerAcceptCommand } from './accept.js';
import { colorEnabled, exitQuietlyOnClosedPipe, jsonErrorLine } from './terminal.js';
import { ProgressLines } from './progress-line.js';
import { systemClock } from '../core/deps.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { registerAuditCommand } from './audit.js';
import { registerBackupCommand } from './backup.js';
import { registerCancelKillCommand } from './cancel-kill.js';
import { registerConfigCommands } from './config-commands.js';
import { registerConsoleCommand } from './console.js';
import { registerForgetCommand } from './forget.js';
import { registerKillCommand, type CommandContext } from './kill.js';
import { registerAckCommand } from './ack.js';
import { registerNotifyTestCommand } from './notify-test.js';
import { registerRedeliverCommand } from './redeliver.js';
import { renderEvent } from './render.js';
import { registerWhoisCommand } from './whois.js';
import { versionLine } from './version.js';
import { registerSilenceCommand } from './silence.js';
import { registerReportCommand } from './report.js';
import { sinceArgument } from './time-args.js';
import { jsonReport, jsonText, runJson } from './json.js';
import { SilenceStore } from '../../storage/silences.js';
import { buildStatus, renderStatus, unhealthyParts } from './status.js';

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
  /**
   * Whether standard error is a terminal. `false`: it carries only JSON log lines (errors too),
   * and human lines go to standard output. Unset: human lines on standard error, as on a terminal.
   */
  stderrIsTerminal?: boolean | undefined;
}

const defaultIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, stderrIsTerminal: process.stderr.isTTY === true });

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Runs the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: readonly string[], processIo: CliIo = defaultIo()): Promise<number> {
  let exitCode = 0;
  // `mfawatch audit export | head -1`: the reader leaving is no error.
  if (processIo.stdout === process.stdout) exitQuietlyOnClosedPipe(process.stdout);
  // Off a terminal, standard error carries only JSON log lines; human lines go to standard output.
  const jsonStderr = processIo.stderrIsTerminal === false;
  const io: CliIo = jsonStderr ? { ...processIo, stderr: processIo.stdout } : processIo;
  const now = () => (processIo.overrides?.clock ?? systemClock).now();
  const reportError = (message: string) => processIo.stderr.write(jsonStderr ? jsonErrorLine(message, now()) : `mfawatch: ${visibleLines(message)}\n`);
  const program = new Command('mfawatch')
    .description('Watches the MFA state of every account at your identity providers and tells you the moment it changes.')
    .addOption(new Option('-c, --config <file>', 'config file').default(io.env.MFAWATCH_CONFIG ?? './mfawatch.json'))
    .version(versionLine(), '-V, --version', 'the version, and the database schema version it migrates to')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => processIo.stderr.write(jsonStderr ? jsonErrorLine(s.trim(), now()) : s) })
    .showHelpAfterError();

  const config = (): ResolvedConfig => loadConfig(program.opts<{ config: string }>().config, io.env);
  // Test-only (src/core/crash-point.ts): read once, here at the edge.
  const crashPoint = crashHookFor(io.env.MFAWATCH_TEST_CRASH_POINT);
  const appOverrides: AppOverrides = { stdout: io.stdout, logColor: colorEnabled(io.env, processIo.stderrIsTerminal === true), ...(crashPoint ? { crashPoint } : {}), ...io.overrides };
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
    .option('--json', 'the cycle\'s outcome as one JSON line on standard output (mfawatch.run/v1) instead of summary lines')
    .action(async (opts: { monitor?: string[]; json?: boolean }) => {
      const cfg = config();
      const unknown = (opts.monitor ?? []).filter((id) => !cfg.monitors.some((m) => m.config.id === id));
      if (unknown.length) throw new UsageError(`no monitor with id ${unknown.map((u) => `"${u}"`).join(', ')}; configured: ${cfg.monitors.map((m) => m.config.id).join(', ')}`);
      const app = createApp(cfg, appOverrides);
      let lease: { release(): void } | undefined;
      try {
        lease = takeWorkerLease(app, 'run');
        // On a terminal, one redrawn line per running scan (off one, the scan's log lines say it).
        const progress = processIo.stderrIsTerminal === true && !opts.json ? new ProgressLines(processIo.stderr) : undefined;
        const result = await runCycle(app, { monitorIds: opts.monitor, signal: new AbortController().signal, onProgress: progress ? (p) => progress.update(p) : undefined }).finally(() => progress?.clear());
        exitCode = result.exitCode;
        if (opts.json) {
          write(io.stdout, jsonReport('mfawatch.run/v1', app.clock.now(), runJson(result), true));
          return;
        }
        const ev = result.events;
        for (const f of ev.pollFailures) write(io.stderr, `${visible(f.monitorId)}: event source ${f.source} failed: ${visible(f.message)}`);
        // Off is not a failure (exit code unchanged), but said on every run while it lasts.
        for (const o of ev.sourcesOff) write(io.stderr, `${visible(o.monitorId)}: event source ${o.source} is OFF: ${visible(o.reason)}; ${visible(o.hint)}`);
        if (ev.received || ev.verify.verified || ev.verify.failed) write(io.stderr, `events: ${ev.received} received, ${ev.verify.verified} account(s) verified, ${ev.verify.events.length} change(s)${ev.verify.failed ? `, ${ev.verify.failed} verification(s) failed (kept; see mfawatch status)` : ''}`);
        const o = result.owners;
        if (o && (o.opened.opened || o.deadlines.reminded || o.deadlines.escalated.length || o.deadlines.closed || o.delivery?.sent || o.delivery?.failed)) {
          write(io.stderr, `owners: ${o.opened.opened} case(s) opened${o.opened.unreachable ? ` (${o.opened.unreachable} owner(s) unreachable: the team is told)` : ''}, ${o.deadlines.reminded} reminded, ${o.deadlines.escalated.length} escalated, ${o.deadlines.closed} closed; notices ${o.delivery?.sent ?? 0} sent, ${o.delivery?.failed ?? 0} failed, ${o.delivery?.retrying ?? 0} to retry (mfawatch status lists open cases)`);
        }
        for (const s of result.scans) {
          const name = visible(`${s.monitorId}${s.scope ? `/${s.scope}` : ''}`);
          if (s.status === 'succeeded') write(io.stderr, `${name}: ${s.baseline ? 'baseline' : 'scan'} ok, ${s.accounts} accounts, ${s.events.filter((e) => e.type !== 'baseline').length} change(s)`);
          else if (s.status === 'held') write(io.stderr, `${name}: scan HELD: ${visible(s.events[0]?.summary ?? '')}`);
          else write(io.stderr, `${name}: scan ${s.status}: ${visible(s.error?.message ?? '')}`);
        }
        for (const r of result.responses) write(io.stderr, `auto-response ${visible(r.identity)}: ${r.dryRun ? 'would kill (dry run): ' : ''}${r.results.map((x) => `${x.responderId} ${x.outcome === 'skipped' ? 'would call' : x.outcome}`).join(', ')}`);
        const d = result.delivery;
        if (d.sent || d.failed || d.pending) write(io.stderr, `deliveries: ${d.sent} sent, ${d.failed} failed, ${d.pending} still pending${d.pending ? ' (retried on the next run)' : ''}`);
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
        // Owners' "was this you?" links are served on the same listener (src/owners/links.ts).
        const answers = Boolean(app.config.owners?.enabled && app.config.owners.publicUrl);
        const answerRoutes = answers
          ? (s: Parameters<typeof registerAnswerRoutes>[0]) => registerAnswerRoutes(s, app, { decide: (e, now) => decideAutoResponse(app, e, `owner-answer-${e.id}`, now), onAnswered: () => void daemon.dispatchNow() })
          : undefined;
        const inbound = app.config.inbound && (pushed.length > 0 || answers)
          ? await startInboundServer(app, daemon.events, app.config.inbound.listen, app.config.inbound.bodyLimit, answerRoutes).catch(async (err: unknown) => {
              await daemon.stop();
              await webConsole?.close();
              await server?.close();
              lease.release();
              throw new Error(`cannot receive webhooks on ${app.config.inbound?.listen ?? ''} (inbound.listen): ${(err as Error).message}`);
            })
          : undefined;
        if (inbound) app.logger.info({ url: inbound.url, hooks: pushed.map((b) => `/hooks/${b.instance.config.id}`) }, 'receiving webhooks');
        if (inbound && answers) app.logger.info({ url: inbound.url }, 'serving owner answer links under /owners/answer/');
        if (answers && !app.config.inbound) app.logger.error('owners.publicUrl is set but no "inbound" is configured: owner answer links cannot be answered; add "inbound": { "listen": "127.0.0.1:8787" }');
        if (!inbound && pushed.length > 0) app.logger.error({ monitors: pushed.map((b) => b.instance.config.id) }, 'these monitors have pushed event sources (webhooks) but no "inbound" is configured: their deliveries cannot arrive; add "inbound": { "listen": "127.0.0.1:8787" }');
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
    .option('--fail-on <condition>', 'exit 1 when it holds, for scripts: "unhealthy" (a monitor scope failing or held, or a notifier failing)')
    .action(async (opts: { json?: boolean; failOn?: string }) => {
      if (opts.failOn !== undefined && opts.failOn !== 'unhealthy') throw new UsageError(`--fail-on "${opts.failOn}": the condition is "unhealthy"`);
      await withApp((app) => {
        const now = app.clock.now();
        const monitorOf = (id: string) => app.monitors.find((m) => m.config.id === id)?.monitor;
        const report = buildStatus(app.config, app.store, now, (id) => [...(monitorOf(id)?.scopes() ?? [])], (id) => monitorOf(id)?.eventSources?.() ?? []);
        write(io.stdout, opts.json ? jsonText(report) : renderStatus(report, now, displayTimeFormatter(app.config.displayTimezone)));
        if (opts.failOn === 'unhealthy') {
          const unhealthy = unhealthyParts(report);
          if (unhealthy.length) {
            write(io.stderr, `unhealthy: ${unhealthy.join(', ')}`);
            exitCode = 1;
          }
        }
      }, 'read');
    });

  program
    .command('events')
    .description('recent change events and their delivery state')
    .option('--since <when>', 'how far back: a duration (1h, 7d) or a date (2026-11-01)', '7d')
    .option('--limit <n>', 'at most this many (newest)', '200')
    .option('--json', 'machine-readable output (mfawatch.events/v1)')
    .action(async (opts: { since: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      await withApp((app) => {
        const now = app.clock.now();
        const since = sinceArgument(opts.since, now);
        const found = app.store.eventsSince(since, limit);
        // A silenced event was recorded but sent to no notifier: say which silence kept it quiet.
        const silencedBy = new SilenceStore(app.store).silencedBy(found.map((e) => e.id));
        const events = found.map((e) => ({ ...e, silenced: silencedBy.get(e.id) ?? null }));
        if (opts.json) write(io.stdout, jsonReport('mfawatch.events/v1', now, { events: events.map((e) => ({ ...e, detail: e.detail ?? null })) }));
        else {
          const formatTime = displayTimeFormatter(app.config.displayTimezone);
          write(io.stdout, events.length ? events.map((e) => renderEvent(e, formatTime)).join('\n\n') : `no events since ${formatTime(since.toISOString())}`);
        }
      }, 'read');
    });

  program
    .command('history')
    .argument('<account>', 'account id, login or email')
    .description("an account's recorded states over time, at every monitor")
    .option('--json', 'machine-readable output (mfawatch.history/v2)')
    .action(async (account: string, opts: { json?: boolean }) => {
      await withApp((app) => {
        const rows = app.store.history(account);
        if (rows.length === 0) throw new UsageError(`no account with id, login or email "${account}" has been seen`);
        if (opts.json) {
          // v2: camelCase like every other output (v1 had the database's column names).
          const history = rows.map((r) => ({ monitorId: r.monitor_id, scope: r.scope, accountId: r.account_id, at: r.at, change: r.change, login: r.login, email: r.email, kind: r.kind, admin: r.admin === 1, mfa: r.mfa, factors: JSON.parse(r.factors) as string[] }));
          write(io.stdout, jsonReport('mfawatch.history/v2', app.clock.now(), { account, history }));
          return;
        }
        const formatTime = displayTimeFormatter(app.config.displayTimezone);
        for (const r of rows.map(visibleDeep)) write(io.stdout, `${formatTime(r.at)}  ${r.monitor_id}${r.scope ? `/${r.scope}` : ''}  ${r.change.padEnd(8)} ${r.login} (id ${r.account_id})  mfa=${r.mfa} admin=${r.admin === 1} kind=${r.kind}`);
      }, 'read');
    });

  const commandContext: CommandContext = { stdout: io.stdout, stderr: io.stderr, withApp, setExitCode: (code) => (exitCode = code), confirm: io.confirm };
  registerKillCommand(program, commandContext);
  registerWhoisCommand(program, commandContext);
  registerCancelKillCommand(program, commandContext);
  registerAckCommand(program, commandContext);
  registerForgetCommand(program, commandContext);
  registerSilenceCommand(program, commandContext);
  registerReportCommand(program, commandContext);
  registerNotifyTestCommand(program, withApp, io, (code) => (exitCode = Math.max(exitCode, code)));

  registerConfigCommands(program, { io, configPath: () => program.opts<{ config: string }>().config });
  registerBackupCommand(program, { io, configPath: () => program.opts<{ config: string }>().config, setExitCode: (c) => (exitCode = c) });

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
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof DatabaseError) {
      reportError(err.message);
      return 2;
    }
    reportError((err as Error).message ?? String(err));
    return 1;
  }
}
