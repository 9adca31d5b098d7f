/**
 * `mfawatch report [--format table|csv|json|html] [--monitor ID] [--without-mfa] [--output FILE]`:
 * every account (no cap), with coverage per monitor and scope. table, csv and json stream the
 * accounts (memory stays flat); html is one self-contained file for an audit.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { App } from '../app.js';
import { UsageError } from '../core/errors.js';
import { visible } from '../core/text.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { accountCsvLine, ACCOUNT_COLUMNS, csvLine } from '../report/csv.js';
import { writeHtmlReport } from '../report/html.js';
import { accountsOfReport, reportMonitors, reportScopes, type ReportAccount, type ReportFilter } from '../report/model.js';
import type { CommandContext } from './kill.js';
import { buildStatus } from './status.js';

const FORMATS = ['table', 'csv', 'json', 'html'] as const;
type ReportFormat = (typeof FORMATS)[number];

interface ReportOptions {
  format: string;
  monitor?: string;
  withoutMfa?: boolean;
  output?: string;
}

const pct = (c: number | null) => (c === null ? 'n/a' : `${(c * 100).toFixed(1)}%`);

/** The JSON form of one account: every key present, absent values null. */
function accountJson(a: ReportAccount): Record<string, unknown> {
  return { monitorId: a.monitorId, scope: a.scope, accountId: a.accountId, login: a.login, email: a.email, displayName: a.displayName, kind: a.kind, admin: a.admin, mfa: a.mfa, factors: a.factors, url: a.url, firstSeen: a.firstSeen, changedAt: a.changedAt, withoutMfaSince: a.withoutMfaSince };
}

/** Writes the report in `format` to `write`; returns how many accounts it listed. */
function writeReport(app: App, format: ReportFormat, filter: ReportFilter, write: (chunk: string) => void): number {
  const now = app.clock.now();
  const status = buildStatus(app.config, app.store, now, (id) => [...(app.monitors.find((m) => m.config.id === id)?.monitor.scopes() ?? [])]);
  const scopes = reportScopes(status.monitors, filter);
  const monitors = reportMonitors(app.store, scopes, format === 'html');
  const formatTime = displayTimeFormatter(app.config.displayTimezone);
  let n = 0;
  const accounts = function* () {
    for (const a of accountsOfReport(app.store, filter)) {
      n += 1;
      yield a;
    }
  };
  switch (format) {
    case 'csv':
      write(csvLine([...ACCOUNT_COLUMNS]));
      for (const a of accounts()) write(accountCsvLine(a));
      break;
    case 'json': {
      const head = {
        schema: 'mfawatch.report/v1', generatedAt: now.toISOString(), filter: { monitor: filter.monitorId ?? null, withoutMfa: filter.withoutMfa === true },
        monitors: monitors.map(({ history: _h, ...m }) => m), scopes,
      };
      const text = JSON.stringify(head, null, 2);
      write(`${text.slice(0, -2)},\n  "accounts": [`);
      let first = true;
      for (const a of accounts()) {
        write(`${first ? '' : ','}\n    ${JSON.stringify(accountJson(a))}`);
        first = false;
      }
      write(`${first ? '' : '\n  '}]\n}\n`);
      break;
    }
    case 'html':
      writeHtmlReport({ generatedAt: now, formatTime, filter: { monitorId: filter.monitorId ?? null, withoutMfa: filter.withoutMfa === true }, monitors, scopes, accounts: accounts() }, write);
      break;
    case 'table': {
      write('coverage per monitor scope\n');
      const rows = scopes.map((s) => [visible(`${s.monitorId}${s.scope ? `/${s.scope}` : ''}`), visible(s.label), String(s.accounts), String(s.withoutMfa), pct(s.coverage)]);
      writeTable(['monitor/scope', 'label', 'accounts', 'without MFA', 'coverage'], rows, write);
      write(`\n${filter.withoutMfa ? 'accounts without MFA' : 'accounts'}\n`);
      const head = ['monitor/scope', 'login', 'kind', 'admin', 'mfa', 'without MFA since'];
      write(`${head.join('\t')}\n`);
      // Provider text made visible: a login cannot move the cursor or add a row.
      for (const a of accounts()) write(`${[`${a.monitorId}${a.scope ? `/${a.scope}` : ''}`, a.login, a.kind, a.admin ? 'admin' : '-', a.mfa, a.withoutMfaSince ? formatTime(a.withoutMfaSince) : '-'].map(visible).join('\t')}\n`);
      break;
    }
  }
  return n;
}

function writeTable(head: readonly string[], rows: readonly string[][], write: (chunk: string) => void): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')}\n`;
  write(line(head));
  for (const r of rows) write(line(r));
}

export function registerReportCommand(program: Command, ctx: CommandContext): void {
  program
    .command('report')
    .description('every account (no cap), with MFA coverage per monitor and scope; table, CSV, JSON or one self-contained HTML file')
    .option('--format <format>', 'table, csv, json or html', 'table')
    .option('-m, --monitor <id>', 'only this monitor instance')
    .option('--without-mfa', 'only the accounts without MFA (disabled or weak)')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (opts: ReportOptions) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format "${opts.format}": use one of ${FORMATS.join(', ')}`);
      const format = opts.format as ReportFormat;
      await ctx.withApp(async (app) => {
        if (opts.monitor !== undefined && !app.config.monitors.some((m) => m.config.id === opts.monitor)) {
          throw new UsageError(`--monitor: no monitor with id "${opts.monitor}"; configured: ${app.config.monitors.map((m) => m.config.id).join(', ')}`);
        }
        const filter: ReportFilter = { monitorId: opts.monitor, withoutMfa: opts.withoutMfa === true };
        if (opts.output === undefined) {
          writeReport(app, format, filter, (chunk) => ctx.stdout.write(chunk));
          return;
        }
        const file = createWriteStream(opts.output, { mode: 0o600 });
        const n = writeReport(app, format, filter, (chunk) => {
          file.write(chunk);
        });
        file.end();
        await once(file, 'finish');
        ctx.stderr.write(`wrote ${opts.output}: ${n} account(s)\n`);
      });
    });
}
