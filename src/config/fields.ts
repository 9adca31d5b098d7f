/**
 * Building blocks for module config schemas, so that every module words its checks the same way
 * and secrets are wrapped the moment they are read.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { Secret } from '../core/secret.js';
import { SEVERITIES, type Severity } from '../core/types.js';

/** A zod error callback: "required" when the key is missing, `expectation` otherwise. */
export const expect =
  (expectation: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `required (${expectation})` : expectation;

/** An instance id: letters, digits, dot, dash, underscore; used in CLI flags and the database. */
export const instanceId = () =>
  z
    .string({ error: expect('a string id') })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit');

/** A credential: a non-empty string, wrapped in a Secret so it cannot be logged. */
export const secret = () =>
  z
    .string({ error: expect('must be a string; use "${ENV_NAME}" to read it from the environment') })
    .min(1, 'must not be empty')
    .transform((v) => new Secret(v));

/** An http(s) URL. */
export const httpUrl = () =>
  z
    .string({ error: expect('must be a URL string') })
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL');

/** A secret http(s) URL, such as a Slack incoming-webhook URL. */
export const secretUrl = () => httpUrl().transform((v) => new Secret(v));

/** The fields of a cron expression with their ranges; the optional seconds field comes first. */
const CRON_FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // 7 is Sunday as well as 0, as in node-cron.
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

/**
 * Which field of a cron expression holds a number out of its range (`"0 25 * * *"`: hour 25), so
 * the error can say so; undefined when every number is in range (other mistakes are node-cron's).
 */
export function cronRangeProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const fields = parts.length === 6 ? CRON_FIELDS : CRON_FIELDS.slice(1);
  for (const [i, part] of parts.entries()) {
    const field = fields[i];
    if (!field) continue;
    for (const item of part.split(',')) {
      const [range = '', step] = item.split('/');
      if (step !== undefined && /^\d+$/.test(step) && Number(step) === 0) return `its ${field.name} field has a step of 0 ("${item}")`;
      for (const value of range.split('-')) {
        if (!/^\d+$/.test(value)) continue;
        const n = Number(value);
        if (n < field.min || n > field.max) return `its ${field.name} field has ${n}, outside ${field.min}-${field.max}`;
      }
    }
  }
  return undefined;
}

/** A five- or six-field cron expression, checked with node-cron; a number out of range is named. */
export const cronExpression = () =>
  z.string({ error: expect('must be a cron expression string') }).superRefine((v, ctx) => {
    if (cron.validate(v)) return;
    const range = cronRangeProblem(v);
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a valid cron expression${range ? `: ${range}` : ''} (minute hour day-of-month month day-of-week, e.g. "0 * * * *" for hourly, "*/30 * * * *" for every 30 minutes)`,
    });
  });

/** An IANA time zone name ("Europe/Berlin", "UTC"), as the schedules and Intl understand it. */
export const timeZone = () =>
  z.string({ error: expect('must be an IANA time zone name such as "Europe/Berlin" or "UTC"') }).superRefine((v, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: v });
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not an IANA time zone name; use e.g. "Europe/Berlin", "America/New_York" or "UTC" (the list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)` });
    }
  });

/** An e-mail address (an identity), as the rest of mfawatch recognises one. */
export const EMAIL = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;

/** An e-mail address. */
export const email = (what = 'an e-mail address') => z.string({ error: expect(`must be ${what}`) }).regex(EMAIL, `must be ${what}, e.g. "alice@example.com"`);

/** A duration ("90s", "15m", "2h", "7d") converted to milliseconds. */
export const duration = () =>
  z
    .string({ error: expect('must be a duration string such as "30s", "15m", "2h" or "7d"') })
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; use e.g. "30s", "15m", "2h" or "7d"` });
        return z.NEVER;
      }
      return ms;
    });

/** A severity name. */
export const severity = () => z.enum(SEVERITIES as [Severity, ...Severity[]], { error: expect(`must be one of ${SEVERITIES.join(', ')}`) });
