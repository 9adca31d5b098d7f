/**
 * `mfawatch audit verify [--expect ID:HASH...] [--json]`: walks the hash-chained audit log and
 * reports the first broken link (exit 0 intact, 1 broken).
 * `mfawatch audit export [--since 7d|ISO] [--output FILE]`: the audit log as JSON lines
 * (`mfawatch.audit/v1`) for a SIEM; each line carries its hash and the previous row's, so the
 * exported copy anchors the chain outside the database.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { auditRowsSince, verifyAuditChain } from '../../storage/audit-chain.js';
import { Store } from '../../storage/store.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { systemClock } from '../core/deps.js';
import { writeLine, type CliContext } from './context.js';

function parseSince(text: string | undefined, now: Date): Date | null {
  if (text === undefined) return null;
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(at)) return new Date(at);
  throw new UsageError(`--since "${text}" is neither a duration (30m, 24h, 7d) nor an ISO date (2026-11-01 or 2026-11-01T00:00:00Z)`);
}

function parseAnchor(text: string): { id: number; hash: string } {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw new UsageError(`--expect "${text}" must be ID:HASH as printed by \`mfawatch audit verify\` (e.g. 42:3f2a…, 64 hex digits)`);
  return { id: Number(m[1]), hash: m[2] as string };
}

/** Registers `audit verify` and `audit export`. */
export function registerAuditCommand(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the tamper-evident audit log: verify its hash chain, export it for a SIEM');
  // Both subcommands only read: a missing database is an error, never created empty.
  const openStore = () => Store.open(ctx.config().database, 'read');

  audit
    .command('verify')
    .description('check the hash chain of the audit log; exit 0 when intact, 1 at the first broken link')
    .option('--expect <ID:HASH...>', 'chain heads recorded earlier (outside the database) that must still be in the chain')
    .option('--json', 'machine-readable output (mfawatch.audit-verify/v1)')
    .action((opts: { expect?: string[]; json?: boolean }) => {
      const anchors = (opts.expect ?? []).map(parseAnchor);
      const store = openStore();
      try {
        const v = verifyAuditChain(store, anchors);
        if (opts.json) {
          writeLine(ctx.io.stdout, JSON.stringify({ schema: 'mfawatch.audit-verify/v1', ...v }, null, 2));
        } else if (v.ok) {
          writeLine(ctx.io.stdout, `audit log intact: ${v.rows} rows; head ${v.head.id}:${v.head.hash} (record it elsewhere and pass it to --expect next time)`);
        } else {
          if (v.firstBroken) writeLine(ctx.io.stdout, `audit log BROKEN at row ${v.firstBroken.id}: ${v.firstBroken.problem}`);
          for (const p of v.problems) writeLine(ctx.io.stdout, `audit log problem: ${p}`);
          writeLine(ctx.io.stdout, `${v.rows} rows checked; compare with your exported copy (mfawatch audit export) to see what changed`);
        }
        ctx.setExitCode(v.ok ? 0 : 1);
      } finally {
        store.close();
      }
    });

  audit
    .command('export')
    .description('write the audit log as JSON lines (mfawatch.audit/v1), with each row\'s hash chain, for a SIEM')
    .option('--since <when>', 'only rows at or after this: a duration back from now (7d) or an ISO date')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of standard output')
    .action(async (opts: { since?: string; output?: string }) => {
      const clock = ctx.appOverrides.clock ?? systemClock;
      const since = parseSince(opts.since, clock.now());
      const store = openStore();
      const out = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : ctx.io.stdout;
      let n = 0;
      try {
        for (const r of auditRowsSince(store, since)) {
          const line = JSON.stringify({ schema: 'mfawatch.audit/v1', id: r.id, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail) as unknown, prevHash: r.prev_hash, hash: r.hash });
          if (!out.write(`${line}\n`)) await once(out, 'drain');
          n += 1;
        }
      } finally {
        store.close();
        if (opts.output) {
          const file = out as ReturnType<typeof createWriteStream>;
          await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
        }
      }
      if (opts.output) writeLine(ctx.io.stderr, `${n} audit rows written to ${opts.output}`);
    });
}
