import { z } from 'zod';
import { duration, expect, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * Any in-house system: a program that prints its accounts as JSON lines on standard output.
 * See monitors/command/README.md for the line format and the rules.
 */
export const commandConfigSchema = monitorConfig('command', {
  /** The program and its arguments, run without a shell: ["/opt/hr/list-accounts", "--json"]. */
  command: z
    .array(z.string({ error: expect('each element a string') }).min(1, 'must not be empty'), { error: expect('the program and its arguments as a list, e.g. ["/usr/local/bin/list-accounts", "--format=jsonl"]') })
    .min(1, 'must name at least the program'),
  /** The program's whole environment (nothing else is inherited). Values are treated as secrets: use "${ENV_NAME}". */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), secret()).default({}),
  /** Working directory of the program (default: mfawatch's). */
  cwd: z.string().min(1).optional(),
  /** Name of the watched system, shown in alerts and `status` (default: the program's file name). */
  name: z.string().min(1).max(100).optional(),
  /** The program is killed (with its process group) after this long (default 60s). */
  timeout: duration().default(60_000),
  /** Accept a run that prints no account at all (default false: an empty listing fails the scan). */
  allowEmpty: z.boolean().default(false),
});

export type CommandConfig = z.output<typeof commandConfigSchema>;
