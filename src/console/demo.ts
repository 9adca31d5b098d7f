/**
 * `mfawatch demo --console`: after the demo's cycles, serves the web console on loopback over the
 * demo's database and prints a one-time responder link, until Ctrl-C (or the CLI's stop signal).
 */
import { createApp } from '../app.js';
import { loadConfig } from '../config/load.js';
import type { CliIo } from '../cli/main.js';
import type { Logger } from '../core/deps.js';
import { ConsoleStore } from '../../storage/console.js';
import { startConsole } from './server.js';

/** Serves the console for the demo's config until stopped; resolves when it has closed. */
export async function serveDemoConsole(configPath: string, env: Readonly<Record<string, string | undefined>>, io: CliIo, logger: Logger): Promise<void> {
  const app = createApp(loadConfig(configPath, env), { logger, ...io.overrides });
  try {
    const server = await startConsole(app);
    try {
      const now = app.clock.now();
      const link = new ConsoleStore(app.store).createLink({ role: 'responder', createdBy: 'demo', at: now, expiresAt: new Date(now.getTime() + 15 * 60_000) });
      app.store.audit({ at: now, actor: 'demo', action: 'console.link_created', subject: `link#${link.id}`, detail: { role: 'responder' } });
      io.stdout.write(`\n── The web console is on ${server.url}\n  Open this one-time link (it signs in once, within 15 minutes):\n  ${server.url}/link?token=${link.token}\n  Ctrl-C stops the demo.\n`);
      await (io.stopSignal ?? new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }));
    } finally {
      await server.close();
    }
  } finally {
    app.close();
  }
}
