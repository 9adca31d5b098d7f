/**
 * `run` on a terminal: one line per running scan, redrawn in place (at most every
 * `minIntervalMs`), with the accounts read, requests made, rate-limit waits and the elapsed time.
 * Only ever written to a terminal: off one, the scan's log lines say the same every
 * PROGRESS_LOG_EVERY requests.
 */
import { formatDuration } from '../core/duration.js';
import type { ScanProgress } from '../scan/progress.js';

/** "gh-acme: 12,300 accounts, 124 requests, 1 rate-limit wait (1m), 2m 5s". */
export function formatProgress(p: Readonly<ScanProgress>, now: number): string {
  const name = `${p.monitorId}${p.scope ? `/${p.scope}` : ''}`;
  const waits = p.rateLimitWaits ? `, ${p.rateLimitWaits} rate-limit wait${p.rateLimitWaits === 1 ? '' : 's'} (${formatDuration(p.waitedMs)})` : '';
  return `${name}: ${p.accounts.toLocaleString('en-US')} accounts, ${p.requests.toLocaleString('en-US')} requests${waits}, ${formatDuration(Math.max(0, now - p.startedAt))}`;
}

// ANSI cursor control: up N lines, to column 1, clear to the end of the screen.
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const CLEAR_BELOW = '\r\x1b[J';

export class ProgressLines {
  readonly #stream: NodeJS.WritableStream;
  readonly #now: () => number;
  readonly #minIntervalMs: number;
  readonly #columns: () => number;
  readonly #running = new Map<string, Readonly<ScanProgress>>();
  #drawn = 0;
  #lastDraw = Number.NEGATIVE_INFINITY;

  constructor(stream: NodeJS.WritableStream, options: { now?: () => number; minIntervalMs?: number; columns?: () => number } = {}) {
    this.#stream = stream;
    this.#now = options.now ?? Date.now;
    this.#minIntervalMs = options.minIntervalMs ?? 100;
    this.#columns = options.columns ?? (() => (stream as { columns?: number }).columns ?? 100);
  }

  /** Takes one progress report; redraws when due, or at once when a scan ended. */
  update(p: Readonly<ScanProgress>): void {
    const key = `${p.monitorId}\u0000${p.scope}`;
    if (p.finished) this.#running.delete(key);
    else this.#running.set(key, { ...p });
    const now = this.#now();
    if (!p.finished && now - this.#lastDraw < this.#minIntervalMs) return;
    this.#lastDraw = now;
    const width = Math.max(20, this.#columns() - 1);
    const lines = [...this.#running.values()].map((r) => {
      const text = formatProgress(r, now);
      return text.length > width ? `${text.slice(0, width - 1)}…` : text;
    });
    this.#stream.write(`${up(this.#drawn)}${CLEAR_BELOW}${lines.map((l) => `${l}\n`).join('')}`);
    this.#drawn = lines.length;
  }

  /** Removes the progress lines (before the summary is printed). */
  clear(): void {
    if (this.#drawn === 0) return;
    this.#stream.write(`${up(this.#drawn)}${CLEAR_BELOW}`);
    this.#drawn = 0;
  }
}
