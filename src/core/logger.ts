/**
 * Structured logs: pino JSON lines on stderr, pretty on a TTY. Secrets are Secret objects that
 * serialise as "[redacted]"; the redact paths are a second line of defence for raw headers.
 * On a TTY, messages (which can quote provider text: a login, a program's standard error) have
 * their control and bidi characters shown as escapes; JSON lines keep them exact.
 */
import pino, { type LoggerOptions as PinoOptions } from 'pino';
import type { Logger } from './deps.js';
import { visible } from './text.js';

export interface LoggerOptions {
  level: string;
  /** Human-readable output (default: when stderr is a TTY). */
  pretty?: boolean | undefined;
  /** Where JSON lines go (default: stderr); tests pass a stream to read them. */
  destination?: NodeJS.WritableStream | undefined;
  /** Colour in pretty output (default: yes; the CLI honours NO_COLOR and FORCE_COLOR). */
  color?: boolean | undefined;
}

const REDACT = [
  'headers.authorization',
  '*.headers.authorization',
  'request.headers.authorization',
  '*.request.headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'webhookUrl',
  '*.webhookUrl',
];

/** The pino hook of the pretty (TTY) logger: string arguments (the message and its format values) made visible. */
export const visibleMessages: NonNullable<NonNullable<PinoOptions['hooks']>['logMethod']> = function (args, method) {
  method.apply(this, args.map((a) => (typeof a === 'string' ? visible(a) : a)) as Parameters<typeof method>);
};

/** Creates the process logger. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stderr.isTTY === true);
  const base = { level: options.level, base: { app: 'mfawatch' }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination);
  if (pretty) {
    return pino({ ...base, hooks: { logMethod: visibleMessages } }, pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: options.color ?? true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app' } }));
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}
