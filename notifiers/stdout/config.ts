import { z } from 'zod';
import { notifierConfig } from '../types.js';

/** `{ "id": "siem", "type": "stdout" }`: JSON lines on standard output, for piping into a SIEM. */
export const stdoutConfigSchema = notifierConfig('stdout', {
  /** `event` writes one line per event; `batch` one line per batch. */
  format: z.enum(['event', 'batch']).default('event'),
});

export type StdoutConfig = z.output<typeof stdoutConfigSchema>;
