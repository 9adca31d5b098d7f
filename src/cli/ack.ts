/**
 * `mfawatch ack ACCOUNT --for 7d --reason "..."`: silences one account's reminder digests until
 * the acknowledgement expires (new changes to the account still alert); `mfawatch unack ACCOUNT
 * --reason "..."` ends it early. Both are recorded in the audit log; `status` lists those in force.
 */
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { CommandContext } from './kill.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { visible } from '../core/text.js';
import { DeliveryStore } from '../../storage/delivery.js';

/** Longest acknowledgement: a year; anything longer should be an exemption in the config. */
const MAX_ACK_MS = 366 * 86_400_000;

/** The accounts matching ACCOUNT (id, login or email), at one monitor when `--monitor` says so; usage errors otherwise. */
function accountsNamed(app: App, account: string, monitor: string | undefined): ReturnType<App['store']['findAccounts']> {
  if (monitor && !app.config.monitors.some((m) => m.config.id === monitor)) {
    throw new UsageError(`no monitor with id "${monitor}"; configured: ${app.config.monitors.map((m) => m.config.id).join(', ')}`);
  }
  const matches = app.store.findAccounts(account).filter((a) => !monitor || a.monitorId === monitor);
  if (matches.length === 0) {
    throw new UsageError(`no account with id, login or email "${account}"${monitor ? ` at ${monitor}` : ''} is known; \`mfawatch status\` lists the accounts without MFA`);
  }
  return matches;
}

/** Where an account is: "gh-acme" or "aws-audit/111122223333". */
function placeOf(a: { monitorId: string; scope: string }): string {
  return `${a.monitorId}${a.scope ? `/${a.scope}` : ''}`;
}

/** The reason of an audited command: required, trimmed. */
function reasonOf(text: string): string {
  const reason = text.trim();
  if (!reason) throw new UsageError('--reason must say why (it goes into the audit log)');
  return reason;
}

/** Checks an acknowledgement's length; the error says what is allowed. */
export function ackDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--for "${text}" is not a duration; use e.g. 12h, 7d, 4w`);
  if (ms > MAX_ACK_MS) throw new UsageError(`--for ${text} is longer than 366 days; acknowledge for less and renew it, so someone looks again`);
  return ms;
}

/**
 * Acknowledges every account named `account` (at `monitor` when given) for `ms`, audited under
 * `actor`: the core of `mfawatch ack`, also run by the web console.
 */
export function acknowledgeAccount(app: App, actor: string, request: { account: string; monitor?: string | undefined; ms: number; reason: string }): { matches: ReturnType<typeof accountsNamed>; until: Date } {
  const reason = reasonOf(request.reason);
  const matches = accountsNamed(app, request.account, request.monitor);
  const now = app.clock.now();
  const until = new Date(now.getTime() + request.ms);
  const ds = new DeliveryStore(app.store);
  app.store.transaction(() => {
    for (const a of matches) {
      const id = ds.addAck({ monitorId: a.monitorId, scope: a.scope, accountId: a.accountId, login: a.login, at: now, until, reason, actor });
      app.store.audit({ at: now, actor, action: 'account.acknowledged', subject: `${placeOf(a)}:${a.accountId}`, detail: { ackId: id, login: a.login, until: until.toISOString(), reason } });
    }
  });
  return { matches, until };
}

/** Ends the acknowledgements of the accounts named `account`, audited under `actor`: the core of `mfawatch unack`. */
export function endAcknowledgements(app: App, actor: string, request: { account: string; monitor?: string | undefined; reason: string }): Array<{ a: ReturnType<typeof accountsNamed>[number]; n: number }> {
  const reason = reasonOf(request.reason);
  const matches = accountsNamed(app, request.account, request.monitor);
  const now = app.clock.now();
  const ds = new DeliveryStore(app.store);
  return app.store.transaction(() =>
    matches.map((a) => {
      const n = ds.endAcks(a, now);
      if (n > 0) app.store.audit({ at: now, actor, action: 'account.unacknowledged', subject: `${placeOf(a)}:${a.accountId}`, detail: { login: a.login, ended: n, reason } });
      return { a, n };
    }),
  );
}

/** Adds the `ack` and `unack` commands. */
export function registerAckCommand(program: Command, ctx: CommandContext): void {
  const { withApp, stdout } = ctx;
  program
    .command('ack')
    .argument('<account>', 'account id, login or email')
    .description("silence one account's reminders for a while (new changes still alert); recorded in the audit log")
    .requiredOption('--for <duration>', 'how long, e.g. 7d, 12h (at most 366d)')
    .requiredOption('--reason <text>', 'why, for the audit log (e.g. "on leave, hardware key ordered")')
    .option('-m, --monitor <id>', 'only the account at this monitor instance')
    .action(async (account: string, opts: { for: string; reason: string; monitor?: string }) => {
      const ms = ackDuration(opts.for);
      const reason = reasonOf(opts.reason);
      await withApp((app) => {
        const { matches, until } = acknowledgeAccount(app, app.actor, { account, monitor: opts.monitor, ms, reason });
        for (const a of matches) {
          const state = a.mfa === 'disabled' || a.mfa === 'weak' ? `without MFA (${a.mfa})` : `currently mfa=${a.mfa}`;
          stdout.write(`acknowledged ${visible(`${a.login} (id ${a.accountId}) at ${placeOf(a)}`)}, ${state}, for ${formatDuration(ms)} until ${until.toISOString()}\n`);
        }
        stdout.write(`reminder digests leave ${matches.length === 1 ? 'it' : 'them'} out until then; a new change still alerts. Reason recorded in the audit log: ${reason}\n`);
      });
    });

  program
    .command('unack')
    .argument('<account>', 'account id, login or email')
    .description('end the acknowledgements of one account now: it is back in the reminder digests; recorded in the audit log')
    .requiredOption('--reason <text>', 'why, for the audit log (e.g. "acked by mistake")')
    .option('-m, --monitor <id>', 'only the account at this monitor instance')
    .action(async (account: string, opts: { reason: string; monitor?: string }) => {
      const reason = reasonOf(opts.reason);
      await withApp((app) => {
        const ended = endAcknowledgements(app, app.actor, { account, monitor: opts.monitor, reason });
        for (const { a } of ended.filter((e) => e.n > 0)) {
          stdout.write(`${visible(`${a.login} (id ${a.accountId}) at ${placeOf(a)}`)}: acknowledgement ended; it is back in the reminder digests\n`);
        }
        if (ended.every((e) => e.n === 0)) {
          ctx.stderr.write(`no acknowledgement of "${account}" is in force (nothing to end); \`mfawatch status\` lists them\n`);
          ctx.setExitCode(1);
        }
      });
    });
}
