/**
 * `mfawatch ack ACCOUNT --for 7d --reason "..."`: silences one account's reminder digests until
 * the acknowledgement expires (new changes to the account still alert). Recorded in the audit log.
 */
import type { Command } from 'commander';
import type { App } from '../app.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { DeliveryStore } from '../../storage/delivery.js';

/** Longest acknowledgement: a year; anything longer should be an exemption in the config. */
const MAX_ACK_MS = 366 * 86_400_000;

type WithApp = <T>(fn: (app: App) => Promise<T> | T) => Promise<T>;

/** Adds the `ack` command. */
export function registerAckCommand(program: Command, withApp: WithApp, io: { stdout: NodeJS.WritableStream }): void {
  program
    .command('ack')
    .argument('<account>', 'account id, login or email')
    .description("silence one account's reminders for a while (new changes still alert); recorded in the audit log")
    .requiredOption('--for <duration>', 'how long, e.g. 7d, 12h (at most 366d)')
    .requiredOption('--reason <text>', 'why, for the audit log (e.g. "on leave, hardware key ordered")')
    .option('-m, --monitor <id>', 'only the account at this monitor instance')
    .action(async (account: string, opts: { for: string; reason: string; monitor?: string }) => {
      const ms = parseDuration(opts.for);
      if (ms === undefined || ms <= 0) throw new UsageError(`--for "${opts.for}" is not a duration; use e.g. 12h, 7d, 4w`);
      if (ms > MAX_ACK_MS) throw new UsageError(`--for ${opts.for} is longer than 366 days; acknowledge for less and renew it, so someone looks again`);
      const reason = opts.reason.trim();
      if (!reason) throw new UsageError('--reason must say why (it goes into the audit log)');
      await withApp((app) => {
        if (opts.monitor && !app.config.monitors.some((m) => m.config.id === opts.monitor)) {
          throw new UsageError(`no monitor with id "${opts.monitor}"; configured: ${app.config.monitors.map((m) => m.config.id).join(', ')}`);
        }
        const matches = app.store.findAccounts(account).filter((a) => !opts.monitor || a.monitorId === opts.monitor);
        if (matches.length === 0) {
          throw new UsageError(`no account with id, login or email "${account}"${opts.monitor ? ` at ${opts.monitor}` : ''} is known; \`mfawatch status\` lists the accounts without MFA`);
        }
        const now = app.clock.now();
        const until = new Date(now.getTime() + ms);
        const ds = new DeliveryStore(app.store);
        app.store.transaction(() => {
          for (const a of matches) {
            const id = ds.addAck({ monitorId: a.monitorId, scope: a.scope, accountId: a.accountId, login: a.login, at: now, until, reason, actor: app.actor });
            app.store.audit({ at: now, actor: app.actor, action: 'account.acknowledged', subject: `${a.monitorId}${a.scope ? `/${a.scope}` : ''}:${a.accountId}`, detail: { ackId: id, login: a.login, until: until.toISOString(), reason } });
          }
        });
        for (const a of matches) {
          const state = a.mfa === 'disabled' || a.mfa === 'weak' ? `without MFA (${a.mfa})` : `currently mfa=${a.mfa}`;
          io.stdout.write(`acknowledged ${a.login} (id ${a.accountId}) at ${a.monitorId}${a.scope ? `/${a.scope}` : ''}, ${state}, for ${formatDuration(ms)} until ${until.toISOString()}\n`);
        }
        io.stdout.write(`reminder digests leave ${matches.length === 1 ? 'it' : 'them'} out until then; a new change still alerts. Reason recorded in the audit log: ${reason}\n`);
      });
    });
}
