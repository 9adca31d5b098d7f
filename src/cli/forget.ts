/**
 * `mfawatch forget MONITOR[/SCOPE] [--yes]`: removes the stored data of a monitor instance (or one
 * scope: an AWS account) that left the config. Until then it is listed by `status` as no longer
 * watched, and never counts as failing. Refused while the config still covers it (its next scan
 * would only start over with a new baseline). Asks on a terminal, like `kill`; `--yes` otherwise.
 * Audited.
 */
import type { Command } from 'commander';
import { forgetMonitorData } from '../../storage/forget.js';
import { UsageError } from '../core/errors.js';
import { isCovered, retiredScopes } from '../retired.js';
import { terminalConfirm, type CommandContext } from './kill.js';

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Registers `forget`. */
export function registerForgetCommand(program: Command, ctx: CommandContext): void {
  program
    .command('forget')
    .argument('<target>', 'MONITOR (every scope) or MONITOR/SCOPE (e.g. aws-org/111122223333), as `status` lists it')
    .description('remove the stored data (accounts, history, scans) of a monitor or scope that left the config; audited')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (target: string, opts: { yes?: boolean }) => {
      const slash = target.indexOf('/');
      const monitorId = slash < 0 ? target : target.slice(0, slash);
      const scope = slash < 0 ? undefined : target.slice(slash + 1);
      await ctx.withApp(async (app) => {
        const configured = app.monitors.find((m) => m.config.id === monitorId);
        const configuredScopes = configured ? configured.monitor.scopes() : undefined;
        const known = app.store.knownScopes().filter((s) => s.monitor_id === monitorId && (scope === undefined || s.scope === scope));
        if (known.length === 0) {
          const retired = retiredScopes(app.store, (id) => app.monitors.find((m) => m.config.id === id)?.monitor.scopes());
          throw new UsageError(`mfawatch has no data of "${target}"${retired.length ? `; no longer in the config: ${retired.map((r) => `${r.monitorId}${r.scope ? `/${r.scope}` : ''}`).join(', ')}` : ''}`);
        }
        const stillWatched = known.filter((s) => isCovered(configuredScopes, s.scope));
        if (stillWatched.length > 0) {
          throw new UsageError(
            `${target} is still in the config (${stillWatched.map((s) => `${monitorId}${s.scope ? `/${s.scope}` : ''}`).join(', ')}); remove it from the config first: forgetting what is still watched would only make its next scan a new baseline`,
          );
        }
        const accounts = known.reduce((n, s) => n + app.store.storedCounts(monitorId, s.scope).accounts, 0);
        const what = `${target}: ${known.length} scope(s), ${accounts} account(s) and their history`;
        if (!opts.yes) {
          const confirm = ctx.confirm === undefined ? terminalConfirm() : ctx.confirm;
          if (!confirm) throw new UsageError('not on a terminal: pass --yes to confirm');
          if (!(await confirm(`Forget ${what}? Change events and the audit log are kept.`))) {
            write(ctx.stderr, 'nothing forgotten');
            ctx.setExitCode(1);
            return;
          }
        }
        const now = app.clock.now();
        const counts = app.store.transaction(() => {
          const removed = forgetMonitorData(app.store, monitorId, scope);
          app.store.audit({ at: now, actor: app.actor, action: 'forget', subject: monitorId, detail: { scope: scope ?? null, scopes: known.map((s) => s.scope), removed } });
          return removed;
        });
        write(ctx.stdout, `forgot ${what} (${counts.scans} scan(s), ${counts.history} history row(s)); change events and the audit log are kept`);
      });
    });
}
