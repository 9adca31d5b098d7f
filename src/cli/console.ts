/**
 * `mfawatch console sessions` lists the console's sessions in force; `mfawatch console revoke
 * IDENTITY|--all` ends them at once (audited).
 * `mfawatch console link [--role viewer|responder] [--for 15m]`: prints a one-time sign-in URL
 * for the web console (first set-up, break-glass use when the IdP is down, tests). Only the
 * token's hash is stored; the link signs in once and expires. It needs no lease: it works while
 * `mfawatch start` runs, and the running console accepts it at once (it reads links from the
 * database). Audited under the OS user who made it.
 */
import type { Command } from 'commander';
import { ConsoleStore, type ConsoleRole } from '../../storage/console.js';
import { Store } from '../../storage/store.js';
import { currentActor } from '../app.js';
import { systemClock } from '../core/deps.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { visible } from '../core/text.js';
import { writeLine, type CliContext } from './context.js';

/** Longest a link may live: a day (a link is for now, not for later). */
const MAX_LINK_MS = 24 * 3_600_000;

/** Opens the configured database, runs `fn`, closes it. */
function withStore<T>(ctx: CliContext, fn: (store: Store, now: Date) => T): T {
  const store = Store.open(ctx.config().database);
  try {
    return fn(store, (ctx.appOverrides.clock ?? systemClock).now());
  } finally {
    store.close();
  }
}

/** Registers `console link`, `console sessions` and `console revoke`. */
export function registerConsoleCommand(program: Command, ctx: CliContext): void {
  const group = program.command('console').description('the web console (served by `mfawatch start` on console.listen)');

  group
    .command('sessions')
    .description('list the console sessions in force: who, role, how they signed in, last seen')
    .action(() => {
      withStore(ctx, (store, now) => {
        const rows = new ConsoleStore(store).liveSessions(now);
        if (rows.length === 0) writeLine(ctx.io.stdout, 'no console session is in force');
        for (const r of rows) writeLine(ctx.io.stdout, `${visible(r.identity)}  ${r.role}  via ${r.via}  signed in ${r.auth_at}  last seen ${r.last_seen_at}  ends ${r.expires_at}`);
      });
    });

  group
    .command('revoke')
    .argument('[identity]', 'the email (or link#ID/USER) whose sessions end now')
    .option('--all', 'end every console session')
    .description('end console sessions now (a lost laptop, someone leaving the team); audited')
    .action((identity: string | undefined, opts: { all?: boolean }) => {
      if (!identity === !opts.all) throw new UsageError('give an identity, or --all (not both)');
      withStore(ctx, (store, now) => {
        const actor = currentActor();
        const n = store.transaction(() => {
          const sessions = new ConsoleStore(store);
          const ended = opts.all ? sessions.revokeAll(now) : sessions.revokeIdentity(identity ?? '', now);
          store.audit({ at: now, actor, action: 'console.sessions_revoked', subject: opts.all ? '*' : (identity ?? ''), detail: { sessions: ended } });
          return ended;
        });
        writeLine(ctx.io.stderr, `${n} console session(s) ended${opts.all ? '' : ` for ${visible(identity ?? '')}`}; the next request of each is sent to sign in`);
      });
    });

  group
    .command('link')
    .description('print a one-time sign-in URL for the web console (single use, short-lived; audited)')
    .option('--role <role>', 'viewer or responder', 'viewer')
    .option('--for <duration>', 'how long the link stays valid (at most 24h)', '15m')
    .action((opts: { role: string; for: string }) => {
      if (opts.role !== 'viewer' && opts.role !== 'responder') throw new UsageError(`--role "${opts.role}" must be viewer or responder`);
      const ms = parseDuration(opts.for);
      if (ms === undefined || ms <= 0) throw new UsageError(`--for "${opts.for}" is not a duration; use e.g. 15m, 1h`);
      if (ms > MAX_LINK_MS) throw new UsageError(`--for ${opts.for} is longer than 24h; make a new link when it is needed`);
      const cfg = ctx.config();
      if (!cfg.console) throw new UsageError('the web console is not configured: add a "console" block to the config (see config.example.json), then start mfawatch');
      const base = cfg.console.publicUrl ?? `http://${cfg.console.listen}`;
      const store = Store.open(cfg.database);
      try {
        const now = (ctx.appOverrides.clock ?? systemClock).now();
        const actor = currentActor();
        const expiresAt = new Date(now.getTime() + ms);
        const link = store.transaction(() => {
          const made = new ConsoleStore(store).createLink({ role: opts.role as ConsoleRole, createdBy: actor, at: now, expiresAt });
          store.audit({ at: now, actor, action: 'console.link_created', subject: `link#${made.id}`, detail: { role: opts.role, expiresAt: expiresAt.toISOString() } });
          return made;
        });
        writeLine(ctx.io.stdout, `${base}/link?token=${link.token}`);
        writeLine(ctx.io.stderr, `one-time ${opts.role} sign-in link #${link.id}, valid for ${formatDuration(ms)} (until ${displayTimeFormatter(cfg.displayTimezone)(expiresAt.toISOString())}); it signs in once`);
      } finally {
        store.close();
      }
    });
}
