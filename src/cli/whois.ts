/** `mfawatch whois IDENTITY|PROVIDER:LOGIN [--json]`: the accounts linked to one person, and their recent kills. */
import type { Command } from 'commander';
import { ResponseStore } from '../../storage/responses.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { UsageError } from '../core/errors.js';
import { visible, visibleDeep } from '../core/text.js';
import { linkedAccounts } from '../response/identity.js';
import { identityContext } from '../response/wiring.js';
import { identityFromArgument, type CommandContext } from './kill.js';
import { jsonReport } from './json.js';

export function registerWhoisCommand(program: Command, ctx: CommandContext): void {
  program
    .command('whois')
    .argument('<identity>', 'an email, or PROVIDER:LOGIN (e.g. github:octocat)')
    .description('the accounts linked to one person at every monitor, and how each is linked')
    .option('--json', 'machine-readable output (mfawatch.whois/v1)')
    .action(async (arg: string, opts: { json?: boolean }) => {
      await ctx.withApp((app) => {
        const idCtx = identityContext(app);
        const identity = identityFromArgument(app.store, idCtx, arg);
        const accounts = linkedAccounts(app.store, idCtx, identity);
        const get = app.store.db.prepare(`SELECT mfa, admin, kind FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?`);
        const rows = accounts.map((a) => ({ ...a, ...(get.get(a.monitorId, a.scope, a.accountId) as { mfa: string; admin: number; kind: string }) }));
        const responses = new ResponseStore(app.store).forIdentity(identity, 10);
        // Not found, in both forms (as `history`): exit 2, nothing on standard output.
        if (rows.length === 0 && responses.length === 0) throw new UsageError(`no account seen by a configured monitor is linked to ${visible(identity)}: check the address or PROVIDER:LOGIN, and \`mfawatch status\` for what the monitors have seen`);
        if (opts.json) {
          ctx.stdout.write(`${jsonReport('mfawatch.whois/v1', app.clock.now(), { identity, accounts: rows.map((r) => ({ ...r, admin: r.admin === 1 })), responses: responses.map((r) => ({ id: r.id, origin: r.origin, status: r.status, dryRun: r.dry_run === 1, createdAt: r.created_at, dueAt: r.due_at, reason: r.reason, ok: r.ok === null ? null : r.ok === 1 })) })}\n`);
          return;
        }
        const lines = [visible(identity)];
        for (const r of visibleDeep(rows)) lines.push(`  ${r.monitorId}${r.scope ? `/${r.scope}` : ''}  ${r.login} (id ${r.accountId})  kind=${r.kind} admin=${r.admin === 1} mfa=${r.mfa}  linked by ${r.via === 'map' ? 'identities.map' : 'email'}`);
        if (rows.length === 0) lines.push('  (no linked accounts)');
        if (responses.length) {
          lines.push('recent session kills:');
          const formatTime = displayTimeFormatter(app.config.displayTimezone);
          for (const r of visibleDeep(responses)) lines.push(`  #${r.id} ${formatTime(r.created_at)} ${r.origin}${r.dry_run ? ' (dry run)' : ''} ${r.status}${r.reason ? `: ${r.reason}` : ''}`);
        }
        ctx.stdout.write(`${lines.join('\n')}\n`);
      }, 'read');
    });
}
