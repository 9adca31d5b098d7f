/**
 * `mfawatch silence add|list|expire`: silences like Alertmanager's. A change event a silence in
 * force matches is recorded but sent to no notifier, and `events` shows it as silenced
 * (src/delivery/silences.ts). Adding and expiring one is written to the audit log.
 */
import type { Command } from 'commander';
import { SilenceStore, type SilenceRecord } from '../../storage/silences.js';
import type { App } from '../app.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { UsageError } from '../core/errors.js';
import { CHANGE_EVENT_TYPES, type ChangeEventType } from '../core/types.js';
import { hasMatcher, UNSILENCEABLE, type SilenceMatchers } from '../delivery/silences.js';
import { isEmail, normaliseIdentity } from '../response/identity.js';
import type { CommandContext } from './kill.js';
import { jsonReport } from './json.js';
import { pointInTime } from './time-args.js';

/** Longest silence: 90 days; anything longer belongs in the config (routing, severity overrides). */
const MAX_SILENCE_MS = 90 * 86_400_000;

/** The JSON shape of one silence (mfawatch.silences/v1). */
export interface SilenceJson {
  id: number;
  state: 'active' | 'expired';
  matchers: { monitor: string | null; scope: string | null; types: ChangeEventType[] | null; account: string | null; identity: string | null };
  reason: string;
  createdBy: string;
  createdAt: string;
  endsAt: string;
  expiredAt: string | null;
  expiredBy: string | null;
  silencedEvents: number;
}

function stateOf(s: SilenceRecord, now: Date): 'active' | 'expired' {
  return s.expiredAt === null && Date.parse(s.endsAt) > now.getTime() ? 'active' : 'expired';
}

export function silenceJson(s: SilenceRecord, now: Date, silenced: number): SilenceJson {
  const m = s.matchers;
  return {
    id: s.id, state: stateOf(s, now),
    matchers: { monitor: m.monitor ?? null, scope: m.scope ?? null, types: m.types?.length ? m.types : null, account: m.account ?? null, identity: m.identity ?? null },
    reason: s.reason, createdBy: s.createdBy, createdAt: s.createdAt, endsAt: s.endsAt, expiredAt: s.expiredAt, expiredBy: s.expiredBy, silencedEvents: silenced,
  };
}

/** "monitor=gh-acme type=mfa_weakened account=bot-*". */
export function describeMatchers(m: SilenceMatchers): string {
  const parts: string[] = [];
  if (m.monitor !== undefined) parts.push(`monitor=${m.monitor}`);
  if (m.scope !== undefined) parts.push(`scope=${m.scope}`);
  if (m.types?.length) parts.push(`type=${m.types.join(',')}`);
  if (m.account !== undefined) parts.push(`account=${m.account}`);
  if (m.identity !== undefined) parts.push(`identity=${m.identity}`);
  return parts.join(' ');
}

interface AddOptions {
  monitor?: string;
  scope?: string;
  type?: string;
  account?: string;
  identity?: string;
  for?: string;
  until?: string;
  reason: string;
  json?: boolean;
}

function matchersFrom(app: App, opts: AddOptions): SilenceMatchers {
  const m: SilenceMatchers = {};
  if (opts.monitor !== undefined) {
    if (!app.config.monitors.some((x) => x.config.id === opts.monitor)) throw new UsageError(`--monitor: no monitor with id "${opts.monitor}"; configured: ${app.config.monitors.map((x) => x.config.id).join(', ')}`);
    m.monitor = opts.monitor;
  }
  if (opts.scope !== undefined) m.scope = opts.scope;
  if (opts.type !== undefined) {
    const types = opts.type.split(',').map((t) => t.trim()).filter(Boolean);
    const unknown = types.filter((t) => !(CHANGE_EVENT_TYPES as readonly string[]).includes(t));
    if (unknown.length) throw new UsageError(`--type: unknown event type ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${CHANGE_EVENT_TYPES.filter((t) => !UNSILENCEABLE.includes(t)).join(', ')}`);
    const loud = types.filter((t) => UNSILENCEABLE.includes(t as ChangeEventType));
    if (loud.length) throw new UsageError(`--type: ${loud.join(', ')} cannot be silenced (monitor health and held scans always reach the team); fix the monitor, or route it with a notifier's "events" list`);
    m.types = types as ChangeEventType[];
  }
  if (opts.account !== undefined) {
    if (!opts.account.trim()) throw new UsageError('--account must be a login, id or email, or a pattern with * and ? (e.g. "bot-*")');
    m.account = opts.account.trim();
  }
  if (opts.identity !== undefined) {
    if (!isEmail(opts.identity)) throw new UsageError(`--identity "${opts.identity}" is not an email; identities are emails (see \`mfawatch whois\`)`);
    m.identity = normaliseIdentity(opts.identity);
    m.identityAccounts = Object.entries(app.config.identities.map).filter(([, v]) => normaliseIdentity(v) === m.identity).map(([k]) => k);
  }
  if (!hasMatcher(m)) throw new UsageError('give at least one matcher: --monitor, --scope, --type, --account or --identity (a silence of everything is refused)');
  return m;
}

/** Adds `silence add`, `silence list` and `silence expire`. */
export function registerSilenceCommand(program: Command, ctx: CommandContext): void {
  const silence = program.command('silence').description('keep matching alerts from the notifiers for a while (recorded, shown as silenced in `events`); audited');

  silence
    .command('add')
    .description('silence the change events that match every matcher given, until it expires')
    .option('-m, --monitor <id>', 'only events of this monitor instance')
    .option('--scope <scope>', 'only events of this scope (an AWS account id)')
    .option('--type <types>', 'only these event types, comma-separated (e.g. mfa_weakened,account_added)')
    .option('--account <pattern>', 'accounts whose login, id or email matches (* and ? allowed, case-insensitive)')
    .option('--identity <email>', "the person's accounts: its email, and identities.map entries for it")
    .option('--for <duration>', 'how long, e.g. 2h, 7d (at most 90d)')
    .option('--until <date>', 'until this date instead, e.g. 2026-12-24 or 2026-12-24T09:00:00Z')
    .requiredOption('--reason <text>', 'why, for the audit log and `silence list` (e.g. "SSO migration, ticket SEC-42")')
    .option('--json', 'machine-readable output (mfawatch.silences/v1)')
    .action(async (opts: AddOptions) => {
      const reason = opts.reason.trim();
      if (!reason) throw new UsageError('--reason must say why (it goes into the audit log)');
      if ((opts.for === undefined) === (opts.until === undefined)) throw new UsageError('give exactly one of --for DURATION or --until DATE');
      await ctx.withApp((app) => {
        const now = app.clock.now();
        let endsAt: Date;
        if (opts.for !== undefined) {
          const forMs = parseDuration(opts.for);
          if (forMs === undefined) throw new UsageError(`--for "${opts.for}" is not a duration; use e.g. 2h, 7d`);
          endsAt = new Date(now.getTime() + forMs);
        } else {
          endsAt = pointInTime('--until', opts.until ?? '', now, 'forward');
        }
        const ms = endsAt.getTime() - now.getTime();
        if (ms <= 0) throw new UsageError(`the silence would end at ${endsAt.toISOString()}, which is not in the future`);
        if (ms > MAX_SILENCE_MS) throw new UsageError(`a silence may last at most 90 days (this one: ${formatDuration(ms)}); renew it later, so someone looks again`);
        const matchers = matchersFrom(app, opts);
        const store = new SilenceStore(app.store);
        const id = app.store.transaction(() => {
          const silenceId = store.add({ matchers, reason, actor: app.actor, at: now, endsAt });
          app.store.audit({ at: now, actor: app.actor, action: 'silence.added', subject: `silence-${silenceId}`, detail: { silenceId, matchers, reason, endsAt: endsAt.toISOString() } });
          return silenceId;
        });
        const record = store.get(id);
        if (!record) throw new Error(`silence ${id} vanished`);
        if (opts.json) {
          ctx.stdout.write(`${jsonReport('mfawatch.silences/v1', now, { silences: [silenceJson(record, now, 0)] })}\n`);
          return;
        }
        ctx.stdout.write(`silence #${id} added: ${describeMatchers(matchers)}, for ${formatDuration(ms)} until ${displayTimeFormatter(app.config.displayTimezone)(endsAt.toISOString())}\n`);
        ctx.stdout.write(`matching change events are recorded and shown in \`mfawatch events\`, but sent to no notifier; scan failures, stale data, held scans and session kills are never silenced. End it early: mfawatch silence expire ${id}\n`);
      });
    });

  silence
    .command('list')
    .description('the silences in force (with --all, the ended ones too)')
    .option('--all', 'include expired silences')
    .option('--json', 'machine-readable output (mfawatch.silences/v1)')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await ctx.withApp((app) => {
        const now = app.clock.now();
        const store = new SilenceStore(app.store);
        const counts = store.silencedCounts();
        const rows = opts.all ? store.all(1_000) : store.active(now);
        const json = rows.map((s) => silenceJson(s, now, counts.get(s.id) ?? 0));
        if (opts.json) {
          ctx.stdout.write(`${jsonReport('mfawatch.silences/v1', now, { silences: json })}\n`);
          return;
        }
        if (json.length === 0) {
          ctx.stdout.write(opts.all ? 'no silences have been added\n' : 'no silences in force (`silence list --all` shows ended ones)\n');
          return;
        }
        const at = displayTimeFormatter(app.config.displayTimezone);
        for (const s of json) {
          const until = s.state === 'active' ? `until ${at(s.endsAt)}` : s.expiredAt ? `expired ${at(s.expiredAt)} by ${s.expiredBy ?? '?'}` : `ended ${at(s.endsAt)}`;
          const record = rows.find((r) => r.id === s.id);
          ctx.stdout.write(`#${s.id}  ${s.state.toUpperCase().padEnd(7)} ${record ? describeMatchers(record.matchers) : ''}  ${until}  by ${s.createdBy}: ${s.reason}  (${s.silencedEvents} event(s) silenced)\n`);
        }
      });
    });

  silence
    .command('expire')
    .argument('<id>', 'the silence number, as `silence list` shows it')
    .description('end a silence now; matching events alert again from the next change')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (idText: string, opts: { reason?: string }) => {
      const id = Number(idText.replace(/^#/, ''));
      if (!Number.isInteger(id) || id < 1) throw new UsageError(`"${idText}" is not a silence number; \`mfawatch silence list\` shows them`);
      await ctx.withApp((app) => {
        const now = app.clock.now();
        const store = new SilenceStore(app.store);
        const existing = store.get(id);
        if (!existing) throw new UsageError(`no silence #${id}; \`mfawatch silence list --all\` shows them`);
        const ended = app.store.transaction(() => {
          const ok = store.expire(id, now, app.actor);
          if (ok) app.store.audit({ at: now, actor: app.actor, action: 'silence.expired', subject: `silence-${id}`, detail: { silenceId: id, reason: opts.reason?.trim() || null } });
          return ok;
        });
        if (!ended) {
          ctx.stderr.write(`silence #${id} had already ended (${existing.expiredAt ? `expired ${existing.expiredAt}` : `at ${existing.endsAt}`}); nothing to do\n`);
          ctx.setExitCode(1);
          return;
        }
        ctx.stdout.write(`silence #${id} expired: ${describeMatchers(existing.matchers)} alerts again from the next change\n`);
      });
    });
}
