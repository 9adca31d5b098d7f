/**
 * `mfawatch accept MONITOR [--scope ID]`: an operator confirms that a scan held by the mass-change
 * guard shows a real change. The held accounts are committed against the current state, the
 * change events emitted (once) and delivered, and the decision audited under the operator's name.
 */
import type { Command } from 'commander';
import { openHoldsOf } from '../../storage/held.js';
import { createApp, type App } from '../app.js';
import { UsageError } from '../core/errors.js';
import { scanEnvironment } from '../cycle.js';
import { LeaseHeldError, takeWorkerLease } from '../lease.js';
import { acceptHeldScan } from '../scan/run-scan.js';
import { visible } from '../core/text.js';
import { writeLine, type CliContext } from './context.js';

/** One held scan accepted. */
export interface AcceptedHold {
  scope: string;
  scanId: number;
  accounts: number;
  changes: number;
}

/**
 * Commits the open held scans of `monitorId` (one scope when given), audited under `actor`: the
 * core of `mfawatch accept`, also run by the web console. Delivery is left to the caller.
 */
export function acceptHeldScans(app: App, actor: string, monitorId: string, scope?: string): AcceptedHold[] {
  const holds = openHoldsOf(app.store, monitorId).filter((h) => scope === undefined || h.scope === scope);
  if (holds.length === 0) throw new UsageError(`monitor "${monitorId}" has no held scan${scope !== undefined ? ` for scope "${scope}"` : ''}; \`mfawatch status\` shows each monitor's last scan`);
  const m = app.monitors.find((x) => x.config.id === monitorId);
  if (!m) throw new UsageError(`no monitor with id "${monitorId}"`);
  const signal = new AbortController().signal;
  const as: App = { ...app, actor };
  return holds.map((hold) => {
    const where = m.monitor.scopes().find((s) => s.id === hold.scope) ?? { id: hold.scope, label: hold.scope };
    const outcome = acceptHeldScan(m.config, m.module.provider, where, hold, scanEnvironment(as, m, signal));
    const changes = outcome.events.filter((e) => e.type !== 'baseline' && e.type !== 'scan_recovered').length;
    return { scope: hold.scope, scanId: hold.scan_id, accounts: outcome.accounts, changes };
  });
}

/** Registers `accept`. */
export function registerAcceptCommand(program: Command, ctx: CliContext): void {
  program
    .command('accept')
    .argument('<monitor>', 'the monitor instance id whose held scan is real')
    .option('--scope <id>', 'only this scope of a multi-scope monitor')
    .description('commit a scan held by the mass-change guard (the change is real), emit its events and deliver them')
    .action(async (monitorId: string, opts: { scope?: string }) => {
      const cfg = ctx.config();
      const instance = cfg.monitors.find((m) => m.config.id === monitorId);
      if (!instance) throw new UsageError(`no monitor with id "${monitorId}"; configured: ${cfg.monitors.map((m) => m.config.id).join(', ')}`);
      const app = createApp(cfg, ctx.appOverrides);
      let lease: { release(): void } | undefined;
      try {
        // With a daemon running, the commit (one SQLite transaction) is safe alongside it, but
        // delivering is the lease holder's job: two dispatchers could send one batch twice.
        let daemon: LeaseHeldError | undefined;
        try {
          lease = takeWorkerLease(app, 'accept');
        } catch (err) {
          if (!(err instanceof LeaseHeldError)) throw err;
          daemon = err;
        }
        for (const r of acceptHeldScans(app, app.actor, monitorId, opts.scope)) {
          writeLine(ctx.io.stderr, `${visible(`${monitorId}${r.scope ? `/${r.scope}` : ''}`)}: held scan ${r.scanId} accepted and committed: ${r.accounts} accounts, ${r.changes} change(s)`);
        }
        if (daemon) {
          writeLine(ctx.io.stderr, `the events are queued; the running mfawatch (pid ${daemon.holder.holder}) delivers them`);
          return;
        }
        const d = await app.dispatcher.drain(app.config.delivery.runDeadline, new AbortController().signal);
        if (d.sent || d.failed || d.pending) writeLine(ctx.io.stderr, `deliveries: ${d.sent} sent, ${d.failed} failed, ${d.pending} still pending`);
        ctx.setExitCode(d.failed === 0 && d.pending === 0 ? 0 : 1);
      } finally {
        lease?.release();
        app.close();
      }
    });
}
