import { z } from 'zod';
import { notifierConfig } from '../types.js';

/** `{ "id": "siem", "type": "stdout" }`: JSON lines on standard output, for piping into a SIEM. */
export const stdoutConfigSchema = notifierConfig('stdout', {
  /** `event` writes one line per event; `batch` one line per batch; `ocsf` one OCSF 1.3.0 event per line (notifiers/ocsf.ts). */
  format: z.enum(['event', 'batch', 'ocsf']).default('event'),
});

export type StdoutConfig = z.output<typeof stdoutConfigSchema>;
