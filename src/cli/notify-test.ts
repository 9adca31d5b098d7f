/**
 * `mfawatch notify-test [--notifier ID...]`: sends a test message through each notifier now, not
 * through the outbox, and reports each result with what to do when it failed. Exit 0 when every
 * notifier accepted it, 1 when one failed, 2 for an unknown notifier id.
 */
import type { Command } from 'commander';
import type { NotificationBatch } from '../../notifiers/types.js';
import type { App } from '../app.js';
import { timeoutSignal } from '../core/abort.js';
import { toProviderError } from '../core/errors.js';
import { UsageError } from '../core/errors.js';
import { jsonReport } from './json.js';
import { visible } from '../core/text.js';
import { timeFormatFor } from '../delivery/render.js';

type WithApp = <T>(fn: (app: App) => Promise<T> | T) => Promise<T>;

/** Adds the `notify-test` command; `setExitCode` receives 1 when a notifier failed. */
export function registerNotifyTestCommand(program: Command, withApp: WithApp, io: { stdout: NodeJS.WritableStream }, setExitCode: (code: number) => void): void {
  program
    .command('notify-test')
    .description('send a test message through each notifier now and report the result (exit 1 when one failed)')
    .option('-n, --notifier <id...>', 'only these notifiers')
    .option('--json', 'each result as JSON on standard output (mfawatch.notify-test/v1)')
    .action(async (opts: { notifier?: string[]; json?: boolean }) => {
      await withApp(async (app) => {
        const all = [...app.notifiers.values()];
        const unknown = (opts.notifier ?? []).filter((id) => !app.notifiers.has(id));
        if (unknown.length) throw new UsageError(`no notifier with id ${unknown.map((u) => `"${u}"`).join(', ')}; configured: ${all.map((n) => n.config.id).join(', ') || '(none)'}`);
        const chosen = opts.notifier?.length ? all.filter((n) => opts.notifier?.includes(n.config.id)) : all;
        if (chosen.length === 0) throw new UsageError('no notifier is configured; add one to "notifiers" (see config.example.json)');
        let failed = 0;
        const results: Array<{ notifier: string; channel: string; ok: boolean; ms: number; error: { reason: string; status: number | null; message: string } | null }> = [];
        const say = (line: string) => {
          if (!opts.json) io.stdout.write(line);
        };
        for (const n of chosen) {
          const now = app.clock.now();
          const batch: NotificationBatch = {
            id: `test-${n.config.id}-${now.getTime()}`,
            kind: 'test',
            title: `mfawatch test message for notifier "${n.config.id}"`,
            // The time in the readers' format: displayTimezone for people (Slack, e-mail), UTC ISO for machines.
            text: `Sent by \`mfawatch notify-test\` (user ${app.actor}) at ${timeFormatFor(n.module, app.deps.displayTimezone)(now.toISOString())}. If you can read this, mfawatch alerts reach this channel. Nothing changed at any provider.`,
            severity: 'info',
            source: null,
            events: [],
            createdAt: now.toISOString(),
          };
          const t0 = performance.now();
          try {
            await n.notifier.send(batch, { signal: timeoutSignal(app.config.delivery.timeout) });
            const ms = Math.round(performance.now() - t0);
            results.push({ notifier: n.config.id, channel: n.channel, ok: true, ms, error: null });
            say(`${n.config.id} (${n.channel}): ok, accepted in ${ms} ms\n`);
            app.store.audit({ at: app.clock.now(), actor: app.actor, action: 'notify.test', subject: n.config.id, detail: { ok: true, ms } });
          } catch (thrown) {
            failed += 1;
            const err = toProviderError(thrown, n.channel);
            results.push({ notifier: n.config.id, channel: n.channel, ok: false, ms: Math.round(performance.now() - t0), error: { reason: err.reason, status: err.status ?? null, message: err.message } });
            say(`${n.config.id} (${n.channel}): FAILED (${err.reason}${err.status ? `, HTTP ${err.status}` : ''}): ${visible(err.message)}\n`);
            app.store.audit({ at: app.clock.now(), actor: app.actor, action: 'notify.test', subject: n.config.id, detail: { ok: false, reason: err.reason, error: err.message } });
          }
        }
        if (opts.json) io.stdout.write(`${jsonReport('mfawatch.notify-test/v1', app.clock.now(), { results })}\n`);
        if (failed > 0) setExitCode(1);
      });
    });
}
