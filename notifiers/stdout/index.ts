import type { ModuleDeps } from '../../src/core/deps.js';
import type { Notifier, NotifierModule, NotificationBatch } from '../types.js';
import { stdoutConfigSchema, type StdoutConfig } from './config.js';
import { batchToOcsf } from '../ocsf.js';

/** Writes batches as JSON lines (one per event, one per batch, or one OCSF event per change) to standard output. */
export function createStdoutNotifier(config: StdoutConfig, deps: Pick<ModuleDeps, 'stdout'>): Notifier {
  const write = (line: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      deps.stdout.write(`${JSON.stringify(line)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  return {
    async send(batch: NotificationBatch): Promise<void> {
      if (config.format === 'ocsf') {
        // Only change events have an OCSF class; health notices, digests and kill reports do not.
        for (const event of batchToOcsf(batch)) await write(event);
        return;
      }
      if (config.format === 'batch' || batch.events.length === 0) {
        await write({ schema: 'mfawatch.batch/v1', ...batch });
        return;
      }
      for (const event of batch.events) {
        await write({ schema: 'mfawatch.event/v1', batchId: batch.id, batchKind: batch.kind, ...event });
      }
    },
  };
}

export const stdoutNotifier: NotifierModule<StdoutConfig> = {
  type: 'stdout',
  channel: 'standard output',
  configSchema: stdoutConfigSchema,
  secretKeys: [],
  create: createStdoutNotifier,
};
