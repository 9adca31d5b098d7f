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

/** A five- or six-field cron expression, checked with node-cron. */
export const cronExpression = () =>
  z
    .string({ error: expect('must be a cron expression string') })
    .refine((v) => cron.validate(v), 'is not a valid cron expression (e.g. "0 * * * *" for hourly, "*/30 * * * *" for every 30 minutes)');

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
