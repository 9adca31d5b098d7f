/**
 * `mfawatch kill IDENTITY|PROVIDER:LOGIN [--only ids] [--dry-run] [--yes] [--timeout 60s]`:
 * signs one person out of every configured service at once and shows a result per service.
 * Exit 0 only when every service that knows the person succeeded; 1 when one failed, or when no
 * service knows them; 2 for a usage error.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { App } from '../app.js';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { visible, visibleDeep } from '../core/text.js';
import { identityArgumentProblem, linkedAccounts, resolveIdentityArgument, type IdentityContext } from '../response/identity.js';
import { nobodyKnows, renderResults } from '../response/invalidate.js';
import { identityContext, responseRunnerFor } from '../response/wiring.js';
import type { DatabaseAccess } from '../../storage/db.js';
import type { Store } from '../../storage/store.js';
import type { LinkedAccount } from '../../responders/types.js';
import type { ResolvedConfig } from '../config/load.js';

/** What a command file needs from main.ts. */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Opens the app around `fn`; `read`: a command that only reads (the database must exist). */
  withApp: <T>(fn: (app: App) => Promise<T> | T, access?: DatabaseAccess) => Promise<T>;
  setExitCode: (code: number) => void;
  /** Asks a yes/no question on a terminal; null when there is no terminal. */
  confirm?: ((question: string) => Promise<boolean>) | null | undefined;
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Asks on the process terminal; null when stdin or stdout is not a TTY. */
export function terminalConfirm(): ((question: string) => Promise<boolean>) | null {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return null;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}

/** Resolves IDENTITY or PROVIDER:LOGIN to an identity, or throws a UsageError that says why not. */
export function identityFromArgument(store: Store, ctx: IdentityContext, arg: string): string {
  const problem = identityArgumentProblem(arg);
  if (problem) throw new UsageError(`${JSON.stringify(arg)} is not an identity: ${problem}; give an email (alice@example.com) or PROVIDER:LOGIN (github:octocat)`);
  const { identity, matched } = resolveIdentityArgument(store, ctx, arg);
  if (identity) return identity;
  if (matched.length === 0) throw new UsageError(`no account "${arg}" has been seen by a configured monitor; give an email, or a PROVIDER:LOGIN that mfawatch has seen`);
  throw new UsageError(`"${arg}" is not linked to one person (${matched.length} account(s), ${matched.some((m) => m.email) ? 'with different emails' : 'with no email'}); add it to identities.map, or give the email`);
}

/** Whom a kill signs out, where, and which of their accounts mfawatch knows. */
export interface KillPlan {
  identity: string;
  accounts: LinkedAccount[];
  targets: ResolvedConfig['responders'];
  /** The identity is in autoResponse.exempt (a manual kill still applies). */
  exempt: boolean;
}

/**
 * Resolves a kill's identity and responders, or throws a UsageError saying what is wrong: the
 * first step of `mfawatch kill`, also taken by the web console.
 */
export function planKill(app: App, arg: string, only: readonly string[] | undefined): KillPlan {
  if (app.config.responders.length === 0) throw new UsageError('no responders are configured: add entries to "responders" (see README, "Session invalidation")');
  const unknown = (only ?? []).filter((o) => !app.config.responders.some((r) => r.config.id === o || r.module.type === o));
  if (unknown.length) throw new UsageError(`--only: no responder with id or type ${unknown.map((u) => `"${u}"`).join(', ')}; configured: ${app.config.responders.map((r) => r.config.id).join(', ')}`);
  const idCtx = identityContext(app);
  const identity = identityFromArgument(app.store, idCtx, arg);
  const accounts = linkedAccounts(app.store, idCtx, identity);
  const targets = app.config.responders.filter((r) => !only || only.includes(r.config.id) || only.includes(r.module.type));
  return { identity, accounts, targets, exempt: app.config.autoResponse.exempt.some((e) => e.toLowerCase() === identity) };
}

export function registerKillCommand(program: Command, ctx: CommandContext): void {
  program
    .command('kill')
    .argument('<identity>', 'an email, or PROVIDER:LOGIN of an account mfawatch has seen (e.g. github:octocat)')
    .description("sign one person out of every configured service at once; a result per service")
    .option('--only <ids>', 'only these responders (comma-separated ids or types, e.g. okta,aws-iam)')
    .option('--dry-run', 'show the exact API calls it would make; change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--timeout <duration>', 'deadline for the whole kill (default autoResponse.killTimeout)')
    .action(async (arg: string, opts: { only?: string; dryRun?: boolean; yes?: boolean; timeout?: string }) => {
      await ctx.withApp(async (app) => {
        const dryRun = opts.dryRun === true;
        const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
        let timeoutMs: number | undefined;
        if (opts.timeout !== undefined) {
          timeoutMs = parseDuration(opts.timeout);
          if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout "${opts.timeout}" is not a duration; use e.g. 30s, 2m`);
        }
        const plan = planKill(app, arg, only);
        const { identity, accounts, targets } = plan;
        const shown = visible(identity);
        write(ctx.stderr, `${dryRun ? '[dry run] ' : ''}kill the sessions of ${shown} at: ${targets.map((r) => `${r.config.id} (${r.module.service})`).join(', ')}`);
        write(ctx.stderr, accounts.length ? `linked accounts: ${accounts.map((a) => visible(`${a.monitorId}:${a.login} (${a.via})`)).join(', ')}` : 'linked accounts: none seen by the monitors (services that look people up by email still will)');
        if (plan.exempt) write(ctx.stderr, `note: ${shown} is exempt from auto-response (autoResponse.exempt); a manual kill still applies`);
        if (!dryRun && !opts.yes) {
          const confirm = ctx.confirm === undefined ? terminalConfirm() : ctx.confirm;
          if (!confirm) throw new UsageError('not on a terminal: pass --yes to confirm the kill (or --dry-run to see what it would do)');
          if (!(await confirm(`Sign ${shown} out of ${targets.length} service(s) now?`))) {
            write(ctx.stderr, 'cancelled; nothing was done');
            ctx.setExitCode(1);
            return;
          }
        }
        const report = await responseRunnerFor(app).kill({ identity, only, dryRun, timeoutMs });
        write(ctx.stdout, renderResults(visibleDeep(report.results), dryRun));
        await app.dispatcher.drain(app.config.delivery.runDeadline);
        if (nobodyKnows(report.results)) {
          write(ctx.stderr, `no configured service knows ${shown}: check the identity, or link its accounts with identities.map`);
          ctx.setExitCode(1);
          return;
        }
        const failed = report.results.filter((r) => r.outcome === 'failed');
        if (failed.length) write(ctx.stderr, `${failed.length} service(s) failed: ${failed.map((f) => f.responderId).join(', ')}; run the command again once fixed (a kill is safe to repeat)`);
        ctx.setExitCode(report.ok ? 0 : 1);
      });
    });
}
