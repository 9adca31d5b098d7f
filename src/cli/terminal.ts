/**
 * Terminal manners at the CLI's edge: colour only where wanted (NO_COLOR, FORCE_COLOR, a TTY),
 * a closed pipe (`mfawatch audit export | head -1`) ends quietly with exit 0, and off a terminal
 * standard error carries only JSON log lines (human lines go to standard output).
 */

/**
 * Whether output may be coloured: FORCE_COLOR (set, not "0" or "false") forces it, NO_COLOR
 * (set and non-empty, https://no-color.org) forbids it, otherwise only on a terminal.
 */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>, isTerminal: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTerminal;
}

/**
 * Ends the process with exit 0, writing nothing, when the reader of `stream` went away (EPIPE):
 * `| head` has what it wanted. Any other write error is rethrown.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WritableStream & { on(event: 'error', fn: (err: NodeJS.ErrnoException) => void): unknown }, exit: (code: number) => never = process.exit): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(0);
    throw err;
  });
}

/** One error as a pino-style JSON log line (level 50), for a standard error that is not a terminal. */
export function jsonErrorLine(message: string, now: Date): string {
  return `${JSON.stringify({ level: 50, time: now.getTime(), app: 'mfawatch', msg: message })}\n`;
}
