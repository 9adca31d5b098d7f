/**
 * What the core hands every module factory (STYLE.md rule 3: factories with their dependencies
 * passed in). Tests pass a pinned clock and a logger that records lines.
 */
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** The time source; tests pin it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Dependencies of every monitor, notifier and responder factory. */
export interface ModuleDeps {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Where the stdout notifier and the CLI write; tests capture it. */
  stdout: NodeJS.WritableStream;
  /**
   * The IANA time zone of times shown to people (config `displayTimezone`, resolved once at the
   * edge to the system's zone when unset): Slack, Teams and e-mail show times in it, zone named
   * (src/core/display-time.ts). Machine output (webhook, PagerDuty, stdout JSON, OCSF) stays UTC ISO.
   */
  displayTimezone: string;
}
