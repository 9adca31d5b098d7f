/**
 * `mfawatch cancel-kill IDENTITY`: cancels an automatic kill still in its grace period
 * (autoResponse.graceMinutes). Exit 0 when one was cancelled, 1 when none was scheduled.
 * (Meant to merge with the reminders' `mfawatch ack ACCOUNT` into one `ack` command.)
 */
import type { Command } from 'commander';
import { visible } from '../core/text.js';
import { identityContext, responseRunnerFor } from '../response/wiring.js';
import { identityFromArgument, type CommandContext } from './kill.js';

export function registerCancelKillCommand(program: Command, ctx: CommandContext): void {
  program
    .command('cancel-kill')
    .argument('<identity>', 'an email, or PROVIDER:LOGIN')
    .description('cancel an automatic session kill that is still in its grace period')
    .action(async (arg: string) => {
      await ctx.withApp(async (app) => {
        const identity = identityFromArgument(app.store, identityContext(app), arg);
        const cancelled = responseRunnerFor(app).cancel(identity, app.actor);
        if (cancelled.length === 0) {
          ctx.stderr.write(`no session kill of ${visible(identity)} is waiting in a grace period (nothing to cancel)\n`);
          ctx.setExitCode(1);
          return;
        }
        ctx.stdout.write(`cancelled ${cancelled.length} scheduled kill(s) of ${visible(identity)} (was due ${cancelled.map((c) => c.due_at).join(', ')})\n`);
        await app.dispatcher.drain(app.config.delivery.runDeadline);
      });
    });
}
