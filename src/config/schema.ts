/**
 * The root of the config file (DESIGN.md "Configuration contract"). Module entries are checked by
 * their own module's schema in load.ts, so each error names the module's own keys.
 */
import { z } from 'zod';
import { CHANGE_EVENT_TYPES, type ChangeEventType } from '../core/types.js';
import { parseListen } from '../observability/listen.js';
import { Secret } from '../core/secret.js';
import { cronExpression, duration, expect, httpUrl, secret, secretUrl, severity } from './fields.js';

const severityOverride = z.union([severity(), z.strictObject({ default: severity().optional(), admin: severity().optional() })], {
  error: 'must be a severity name, or { "default": severity, "admin": severity }',
});

const severityShape = Object.fromEntries(CHANGE_EVENT_TYPES.map((t) => [t, severityOverride.optional()])) as Record<ChangeEventType, z.ZodOptional<typeof severityOverride>>;

export const rootSchema = z.strictObject({
  /** Editors' JSON schema hint; ignored. */
  $schema: z.string().optional(),
  /** SQLite file; a relative path is relative to the config file's folder. */
  database: z.string({ error: expect('a file path') }).min(1).default('./mfawatch.db'),
  /** Default cron schedule of every monitor (hourly). */
  schedule: cronExpression().default('0 * * * *'),
  /** IANA time zone for schedules (default: the system's). */
  timezone: z.string().optional(),
  /** Longest a scan may run before it is abandoned uncommitted. */
  scanDeadline: duration().default(15 * 60_000),
  /** Per-event-type severity overrides of DESIGN.md's table. */
  severity: z.strictObject(severityShape).default({}),
  health: z
    .strictObject({
      /** Consecutive failed scans of one monitor before a `scan_failed` alert. */
      failureThreshold: z.number().int().min(1).max(100).default(3),
      /** A monitor scope with no successful scan for this long raises `stale_data` (once) and fails /healthz. */
      staleAfter: duration().default(86_400_000),
      /** Dead-man's switch: GET this URL after each fully healthy cycle (a secret: it identifies the check). */
      heartbeatUrl: secretUrl().optional(),
      /** The mass-change guard (see src/scan/mass-change.ts); `false` turns it off. */
      massChange: z
        .union([
          z.literal(false),
          z.strictObject({
            /** Share of a monitor's accounts (0-1) that one scan may remove or downgrade before it is held. */
            share: z.number({ error: expect('a share between 0 and 1, e.g. 0.2 for 20%') }).gt(0).max(1).default(0.2),
            /** Changes touching fewer accounts than this are never held. */
            minAccounts: z.number().int().min(1).default(5),
            /** Share of the accounts without MFA (0-1) that one scan may report as turned to MFA before it is held (a mass "all clear"). */
            upgradeShare: z.number({ error: expect('a share between 0 and 1, e.g. 0.5 for 50%') }).gt(0).max(1).default(0.5),
            /** Upgrades of fewer accounts than this are never held. */
            upgradeMinAccounts: z.number().int().min(1).default(5),
          }),
        ], { error: 'must be false or { "share": 0.2, "minAccounts": 5, "upgradeShare": 0.5, "upgradeMinAccounts": 5 }' })
        .default({ share: 0.2, minAccounts: 5, upgradeShare: 0.5, upgradeMinAccounts: 5 }),
    })
    .default({ failureThreshold: 3, staleAfter: 86_400_000, massChange: { share: 0.2, minAccounts: 5, upgradeShare: 0.5, upgradeMinAccounts: 5 } }),
  /** The daemon's /healthz and /metrics endpoint; absent: not served. */
  observability: z
    .strictObject({
      /** HOST:PORT to listen on; loopback by default. */
      listen: z
        .string({ error: expect('HOST:PORT, e.g. "127.0.0.1:9464"') })
        .refine((v) => parseListen(v) !== undefined, 'must be HOST:PORT, e.g. "127.0.0.1:9464" or "[::1]:9464"')
        .default('127.0.0.1:9464'),
    })
    .optional(),
  /** The receiver of provider pushes (webhooks): `POST /hooks/<monitor-id>`; needed by monitors whose `events` are pushed. */
  inbound: z
    .strictObject({
      /** HOST:PORT to listen on; loopback by default (TLS is terminated by a reverse proxy in front). */
      listen: z
        .string({ error: expect('HOST:PORT, e.g. "127.0.0.1:8787"') })
        .refine((v) => parseListen(v) !== undefined, 'must be HOST:PORT, e.g. "127.0.0.1:8787" or "[::1]:8787"')
        .default('127.0.0.1:8787'),
      /** Largest request body accepted (bytes); larger ones get 413 (default 1 MB; GitHub caps payloads at 25 MB, most are a few kB). */
      bodyLimit: z.number({ error: expect('a number of bytes') }).int().min(1024).max(26_214_400).default(1_048_576),
    })
    .optional(),
  /** The web console (src/console), served by `mfawatch start`; absent: not served. */
  console: z
    .strictObject({
      /** HOST:PORT to listen on; loopback by default (put a TLS reverse proxy in front). */
      listen: z
        .string({ error: expect('HOST:PORT, e.g. "127.0.0.1:8080"') })
        .refine((v) => parseListen(v) !== undefined, 'must be HOST:PORT, e.g. "127.0.0.1:8080" or "[::1]:8080"')
        .default('127.0.0.1:8080'),
      /** The URL people open (the reverse proxy's); cookies are Secure when it is https. Default: http://<listen>. */
      publicUrl: httpUrl().refine((v) => new URL(v).pathname === '/' && !new URL(v).search, 'must be an origin without a path, e.g. "https://mfawatch.example.com"').optional(),
      /** OpenID Connect sign-in (authorization code with PKCE). Redirect URI: <publicUrl>/auth/callback. */
      oidc: z
        .strictObject({
          issuer: httpUrl(),
          clientId: z.string({ error: expect('the client id the IdP gave the console') }).min(1),
          clientSecret: secret().optional(),
          /** Extra scopes beyond "openid email profile". */
          scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be one OAuth scope token')).default([]),
        })
        .optional(),
      /** Who may look: emails or patterns ("*@example.com"). Responders may look too. */
      viewers: z.array(z.string().min(1)).default([]),
      /** Who may act (kill, cancel, ack, accept, redeliver): emails or patterns. */
      responders: z.array(z.string().min(1)).default([]),
      /** A session ends this long after sign-in. */
      sessionTtl: duration().default(12 * 3_600_000),
      /** ...or after this long without a request. */
      idleTimeout: duration().default(3_600_000),
      /** A kill or an accept needs a sign-in younger than this (else: sign in again). */
      reauthAfter: duration().default(5 * 60_000),
      /** Key that signs session cookies (a secret; default: a random key per start, which signs everyone out on restart). */
      sessionSecret: z
        .string({ error: expect('a string of at least 32 random characters; use "${ENV_NAME}" (e.g. from `openssl rand -base64 48`)') })
        .min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 48`), from the environment')
        .transform((v) => new Secret(v))
        .optional(),
    })
    .optional(),
  delivery: z
    .strictObject({
      /** Give up on a delivery that has failed transiently for this long. */
      maxAge: duration().default(3 * 86_400_000),
      /** First retry delay; doubles per attempt. */
      initialBackoff: duration().default(30_000),
      /** Longest retry delay, a channel's Retry-After included (a longer ask is capped, not a reason to give up). */
      maxBackoff: duration().default(3_600_000),
      /**
       * How long `mfawatch run` starts and retries deliveries before it exits (it ends within this
       * plus one `timeout`); each delivery pass of `mfawatch start` is bounded by it too.
       */
      runDeadline: duration().default(60_000),
      /** Per-send timeout. */
      timeout: duration().default(30_000),
      /** Failed attempts in a row after which a notifier counts as failing and the other notifiers are told (once). */
      alertAfter: z.number({ error: expect('a whole number of attempts') }).int().min(1).max(100).default(3),
    })
    .default({ maxAge: 3 * 86_400_000, initialBackoff: 30_000, maxBackoff: 3_600_000, runDeadline: 60_000, timeout: 30_000, alertAfter: 3 }),
  /** Reminder digests of the accounts that stay without MFA (notifiers issue). */
  reminders: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Time between two digests, e.g. "7d"; the first comes this long after the first complete scan. */
      interval: duration().default(7 * 86_400_000),
      /** Only these notifier ids get digests (default: every notifier whose channel takes them). */
      notifiers: z.array(z.string()).min(1).optional(),
      /** Accounts listed by name in one digest (the count is always exact). */
      maxListed: z.number().int().min(1).max(1000).default(100),
    })
    .default({ enabled: true, interval: 7 * 86_400_000, maxListed: 100 }),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  monitors: z.array(z.unknown(), { error: expect('a list of monitor entries') }).min(1, 'configure at least one monitor'),
  notifiers: z.array(z.unknown(), { error: expect('a list of notifier entries') }).default([]),
  responders: z.array(z.unknown(), { error: expect('a list of responder entries') }).default([]),
  autoResponse: z
    .strictObject({
      /** Kill sessions automatically when a committed change calls for it (default off). */
      enabled: z.boolean().default(false),
      /** Report what would be done, change nothing (default on). */
      dryRun: z.boolean().default(true),
      on: z.array(z.enum(['mfa_disabled', 'mfa_weakened', 'account_added', 'privilege_changed', 'signin_without_mfa', 'factor_added', 'credential_added'])).default(['mfa_disabled']),
      minSeverity: severity().default('high'),
      /** Break-glass identities (emails) or accounts ("provider:login") never touched. */
      exempt: z.array(z.string().refine((v) => /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/.test(v) || /^[a-z0-9-]+:.+$/i.test(v), 'must be an identity (an email) or an account ("provider:login", e.g. "github:octocat")')).default([]),
      /** Most kills decided from one scan. */
      maxPerRun: z.number().int().min(0).default(3),
      /** Most automatic kills in any rolling 24 hours. */
      maxPerDay: z.number().int().min(0).default(10),
      /** An identity is not killed again within this time. */
      cooldown: duration().default(24 * 3_600_000),
      /** Circuit breaker: when more than this share (0..1) of a monitor's accounts change in one scan, nobody is killed. */
      massChangeShare: z.number().min(0).max(1).default(0.1),
      /** ...and at least this many accounts changed (keeps one change in a small org from tripping it). */
      massChangeMinAccounts: z.number().int().min(1).default(3),
      /** Announce first and kill after this many minutes unless `mfawatch cancel-kill` cancels it; 0 kills at once. */
      graceMinutes: z.number().int().min(0).max(24 * 60).default(0),
      /** Longest one kill may take, all services together (also the default of `kill --timeout`). */
      killTimeout: duration().default(60_000),
    })
    .default({ enabled: false, dryRun: true, on: ['mfa_disabled'], minSeverity: 'high', exempt: [], maxPerRun: 3, maxPerDay: 10, cooldown: 24 * 3_600_000, massChangeShare: 0.1, massChangeMinAccounts: 3, graceMinutes: 0, killTimeout: 60_000 }),
  identities: z
    .strictObject({
      /** "provider:login" → identity (email); wins over every other link. */
      map: z.record(z.string().regex(/^[a-z0-9-]+:.+$/, 'keys are "provider:login", e.g. "github:octocat"'), z.string().min(1)).default({}),
    })
    .default({ map: {} }),
});

export type RootConfig = z.output<typeof rootSchema>;
