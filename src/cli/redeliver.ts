/**
 * `mfawatch redeliver [--notifier ID...] [--since 7d]`: after fixing a channel (a new Slack
 * webhook, the right SMTP password), puts the deliveries that failed for good back in the queue
 * and delivers them, so an outage of any length, or a broken channel, still ends with every alert
 * delivered. Audited.
 */
import type { Command } from 'commander';
import { DeliveryStore } from '../../storage/delivery.js';
import { createApp, type App } from '../app.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { UsageError } from '../core/errors.js';
import { LeaseHeldError, takeWorkerLease } from '../lease.js';
import { writeLine, type CliContext } from './context.js';
import { jsonReport } from './json.js';
import { sinceArgument } from './time-args.js';

/**
 * Puts the deliveries to `notifierIds` that failed for good in the last `sinceMs` back in the
 * queue, audited under `actor`; returns how many: the core of `mfawatch redeliver`, also run by
 * the web console. `sinceText` is how the caller said it, for the audit row.
 */
export function requeueFailedDeliveries(app: App, actor: string, notifierIds: readonly string[], sinceMs: number, sinceText: string): number {
  const now = app.clock.now();
  return app.store.transaction(() => {
    const n = new DeliveryStore(app.store).requeueFailed(notifierIds, new Date(now.getTime() - sinceMs), now);
    if (n > 0) app.store.audit({ at: now, actor, action: 'delivery.requeued', subject: notifierIds.join(','), detail: { rows: n, since: sinceText } });
    return n;
  });
}

/** Registers `redeliver`. */
export function registerRedeliverCommand(program: Command, ctx: CliContext): void {
  program
    .command('redeliver')
    .description('queue the deliveries that failed (after you fixed the channel) and deliver them now')
    .option('-n, --notifier <id...>', 'only these notifiers (default: all)')
    .option('--since <when>', 'failed deliveries created since: a duration back from now (7d) or a date (2026-11-01)', '7d')
    .option('--json', 'the outcome as JSON on standard output (mfawatch.redeliver/v1)')
    .action(async (opts: { notifier?: string[]; since: string; json?: boolean }) => {
      const cfg = ctx.config();
      const known = cfg.notifiers.map((n) => n.config.id);
      const unknown = (opts.notifier ?? []).filter((id) => !known.includes(id));
      if (unknown.length) throw new UsageError(`no notifier with id ${unknown.map((u) => `"${u}"`).join(', ')}; configured: ${known.join(', ') || '(none)'}`);
      const ids = opts.notifier?.length ? opts.notifier : known;
      const app = createApp(cfg, ctx.appOverrides);
      let lease: { release(): void } | undefined;
      try {
        let daemon: LeaseHeldError | undefined;
        try {
          lease = takeWorkerLease(app, 'redeliver');
        } catch (err) {
          if (!(err instanceof LeaseHeldError)) throw err;
          daemon = err;
        }
        const now = app.clock.now();
        const since = sinceArgument(opts.since, now);
        const report = (deliveredBy: 'this' | 'daemon' | null, delivery: { sent: number; failed: number; pending: number } | null, requeued: number) => {
          if (opts.json) writeLine(ctx.io.stdout, jsonReport('mfawatch.redeliver/v1', app.clock.now(), { notifiers: ids, since: since.toISOString(), requeued, deliveredBy, delivery }));
        };
        const count = requeueFailedDeliveries(app, app.actor, ids, now.getTime() - since.getTime(), opts.since);
        if (count === 0) {
          report(null, null, 0);
          writeLine(ctx.io.stderr, `nothing to redeliver: no failed delivery to ${ids.join(', ')} since ${displayTimeFormatter(app.config.displayTimezone)(since.toISOString())}`);
          return;
        }
        writeLine(ctx.io.stderr, `${count} failed deliver${count === 1 ? 'y' : 'ies'} queued again`);
        if (daemon) {
          report('daemon', null, count);
          writeLine(ctx.io.stderr, `the running mfawatch (pid ${daemon.holder.holder}) delivers them`);
          return;
        }
        const d = await app.dispatcher.drain(app.config.delivery.runDeadline, new AbortController().signal);
        report('this', { sent: d.sent, failed: d.failed, pending: d.pending }, count);
        writeLine(ctx.io.stderr, `deliveries: ${d.sent} sent, ${d.failed} failed, ${d.pending} still pending`);
        ctx.setExitCode(d.failed === 0 && d.pending === 0 ? 0 : 1);
      } finally {
        lease?.release();
        app.close();
      }
    });
}
