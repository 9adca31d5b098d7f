/** Durations in config and on the command line: "90s", "15m", "2h", "7d", "1w" (or a plain number of ms). */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** Parses a duration; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, amount, unit] = m;
  if (amount === undefined || unit === undefined) return undefined;
  const ms = Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats milliseconds the way an operator reads them: "3d 4h", "12m", "40s". */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms)}ms`;
  if (abs < 60_000) return `${Math.round(ms / 1_000)}s`;
  if (abs < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (abs < 86_400_000) {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.round((abs % 3_600_000) / 60_000);
    return m ? `${h}h ${m}m` : `${h}h`;
  }
  const d = Math.floor(abs / 86_400_000);
  const h = Math.round((abs % 86_400_000) / 3_600_000);
  return h ? `${d}d ${h}h` : `${d}d`;
}

/**
 * Formats a configured duration exactly, for messages that quote a setting back: 1500 → "1.5s"
 * (formatDuration's "2s" would misstate a 1,500 ms timeout), 400 → "400ms", 90000 → "90s",
 * 3600000 → "1h", 259200000 → "3d".
 */
export function formatDurationExact(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Number((ms / 1_000).toFixed(3))}s`;
}
