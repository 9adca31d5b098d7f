/**
 * Progress of a running scan, for people watching a long one: accounts read, requests made
 * (one per page of a listing, plus look-ups), rate-limit waits and elapsed time. `run` on a
 * terminal redraws one line (src/cli/progress-line.ts); every scan logs a line every
 * PROGRESS_LOG_EVERY requests (the daemon's view); `status` reads the running scan's row.
 */

/** What a running scan has done so far. `startedAt` is real time, for the elapsed time. */
export interface ScanProgress {
  monitorId: string;
  scope: string;
  scanId: number;
  startedAt: number;
  accounts: number;
  requests: number;
  rateLimitWaits: number;
  /** ms spent waiting for rate limits. */
  waitedMs: number;
  /** True once, when the scan ended (committed, held, failed or abandoned). */
  finished: boolean;
}

/** Told of a scan's progress: after each request, every few hundred accounts, and once at its end. */
export type ProgressListener = (p: Readonly<ScanProgress>) => void;

/** A scan logs one progress line every this many requests (pages). */
export const PROGRESS_LOG_EVERY = 100;

/** The running scan's progress is written to its `scans` row every this many accounts. */
export const PROGRESS_ACCOUNTS_EVERY = 500;
