/**
 * Points in time on the command line: every `--since` (and `silence add --until`) takes a
 * duration measured from now ("7d", "30m") or a date ("2026-11-01", "2026-11-01T09:00:00Z";
 * a date without a zone is UTC, as ISO 8601 date-only forms are).
 */
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses a duration or a date; `direction` says whether a duration counts back or forward from `now`. */
export function pointInTime(option: string, text: string, now: Date, direction: 'back' | 'forward'): Date {
  const ms = parseDuration(text);
  if (ms !== undefined && ms >= 0) return new Date(now.getTime() + (direction === 'back' ? -ms : ms));
  const trimmed = text.trim();
  // Date.parse reads a date-time without a zone as local time; say UTC explicitly.
  const withZone = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(trimmed) ? `${trimmed.replace(' ', 'T')}Z` : trimmed;
  const at = Date.parse(withZone);
  if (ISO_DATE.test(trimmed) && Number.isFinite(at)) return new Date(at);
  const example = direction === 'back' ? '30m, 24h, 7d' : '12h, 7d, 4w';
  throw new UsageError(`${option} "${text}" is neither a duration (${example}) nor a date (2026-11-01 or 2026-11-01T09:00:00Z)`);
}

/** `--since`: a duration back from now, or a date. */
export function sinceArgument(text: string, now: Date, option = '--since'): Date {
  return pointInTime(option, text, now, 'back');
}
