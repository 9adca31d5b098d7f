/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no external resource)
 * fit to attach to an audit. Coverage per monitor and scope, a coverage-over-time chart per
 * monitor, the accounts without MFA and for how long, and (unless --without-mfa) every account.
 * Everything that came from a provider or the config is escaped: logins, emails and labels are
 * hostile input.
 */
import { formatDuration } from '../core/duration.js';
import { htmlText } from '../core/text.js';
import type { CoveragePoint } from '../../storage/report.js';
import type { ReportAccount, ReportMonitor, ReportScope } from './model.js';


export interface HtmlReportInput {
  generatedAt: Date;
  /** How a time is shown to a person (the display time zone, named). */
  formatTime: (iso: string) => string;
  filter: { monitorId: string | null; withoutMfa: boolean };
  monitors: readonly ReportMonitor[];
  scopes: readonly ReportScope[];
  accounts: Iterable<ReportAccount>;
}

const pct = (c: number | null) => (c === null ? 'n/a' : `${(c * 100).toFixed(1)}%`);
// The shared escape of provider text for HTML (control and bidi characters made visible too).
const e = htmlText;

const CHART = { width: 640, height: 180, left: 44, right: 12, top: 12, bottom: 28 };

/** An inline SVG step chart of coverage over time, ending at `now`. */
export function coverageChart(title: string, points: readonly CoveragePoint[], now: Date, formatTime: (iso: string) => string): string {
  const usable = points.filter((p): p is CoveragePoint & { coverage: number } => p.coverage !== null);
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const label = `MFA coverage over time: ${title}`;
  if (usable.length === 0) return `<p class="muted">No coverage history yet for ${e(title)}.</p>`;
  const t0 = Date.parse(usable[0]?.at ?? now.toISOString());
  const t1 = Math.max(now.getTime(), t0 + 1);
  const x = (t: number) => (left + ((t - t0) / (t1 - t0)) * plotW).toFixed(1);
  const y = (c: number) => (top + (1 - c) * plotH).toFixed(1);
  let d = '';
  usable.forEach((p, i) => {
    const px = x(Date.parse(p.at));
    d += i === 0 ? `M${px},${y(p.coverage)}` : `H${px}V${y(p.coverage)}`;
  });
  d += `H${x(t1)}`;
  const grid = [0, 0.5, 1].map((c) => `<line x1="${left}" x2="${width - right}" y1="${y(c)}" y2="${y(c)}" class="grid"/><text x="${left - 6}" y="${Number(y(c)) + 4}" text-anchor="end">${c * 100}%</text>`).join('');
  const last = usable[usable.length - 1];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${e(label)}">`,
    `<title>${e(label)}</title>`,
    grid,
    `<path d="${d}" class="line"/>`,
    `<text x="${left}" y="${height - 8}">${e(formatTime(usable[0]?.at ?? now.toISOString()))}</text>`,
    `<text x="${width - right}" y="${height - 8}" text-anchor="end">${e(formatTime(now.toISOString()))}</text>`,
    last ? `<text x="${width - right}" y="${Number(y(last.coverage)) - 6}" text-anchor="end" class="value">${pct(last.coverage)}</text>` : '',
    '</svg>',
  ].join('');
}

function row(cells: readonly string[], tag: 'td' | 'th' = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

/** The whole report as one HTML document (streamed in pieces to `write`). */
export function writeHtmlReport(input: HtmlReportInput, write: (chunk: string) => void): void {
  const { generatedAt, formatTime } = input;
  const now = generatedAt;
  const scopeName = (s: { monitorId: string; scope: string }) => `${s.monitorId}${s.scope ? `/${s.scope}` : ''}`;
  write(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>mfawatch report ${e(formatTime(generatedAt.toISOString()))}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}.muted{color:#666}.bad{color:#a00;font-weight:600}
svg text{font:11px system-ui,sans-serif;fill:#444}svg .grid{stroke:#ddd}svg .line{fill:none;stroke:#1565c0;stroke-width:2}svg .value{fill:#1565c0;font-weight:600}
</style></head><body>
<h1>MFA coverage report</h1>
<p>Generated ${e(formatTime(generatedAt.toISOString()))} by mfawatch${input.filter.monitorId ? `, monitor ${e(input.filter.monitorId)}` : ''}${input.filter.withoutMfa ? ', accounts without MFA only' : ''}. Coverage: accounts with MFA among those that can have it (enabled ÷ enabled + weak + none).</p>
<h2>Coverage per monitor</h2>
<table>${row(['monitor', 'provider', 'scopes', 'accounts', 'with MFA', 'weak', 'none', 'not applicable', 'unknown', 'coverage'], 'th')}
${input.monitors.map((m) => row([e(m.id), e(m.provider), String(m.scopes), String(m.accounts), String(m.byState.enabled), String(m.byState.weak), String(m.byState.disabled), String(m.byState.not_applicable), String(m.byState.unknown), pct(m.coverage)])).join('\n')}
</table>
`);
  for (const m of input.monitors) write(`<h3>${e(m.id)}</h3>\n${coverageChart(m.id, m.history, now, formatTime)}\n`);
  write(`<h2>Coverage per scope</h2>
<table>${row(['monitor / scope', 'label', 'health', 'last success', 'accounts', 'without MFA', 'coverage'], 'th')}
${input.scopes.map((s) => row([e(scopeName(s)), e(s.label), e(s.health), s.lastSuccessAt ? e(formatTime(s.lastSuccessAt)) : 'never', String(s.accounts), String(s.withoutMfa), pct(s.coverage)])).join('\n')}
</table>
`);
  const lacking: ReportAccount[] = [];
  const others: ReportAccount[] = [];
  for (const a of input.accounts) (a.withoutMfaSince ? lacking : others).push(a);
  lacking.sort((a, b) => (a.withoutMfaSince ?? '').localeCompare(b.withoutMfaSince ?? '') || a.login.localeCompare(b.login));
  write(`<h2>Accounts without MFA (${lacking.length})</h2>\n`);
  if (lacking.length === 0) write('<p>None.</p>\n');
  else {
    write(`<table>${row(['monitor / scope', 'login', 'email', 'kind', 'admin', 'MFA', 'without MFA since', 'for'], 'th')}\n`);
    for (const a of lacking) {
      const since = a.withoutMfaSince ?? a.firstSeen;
      write(`${row([e(scopeName(a)), e(a.login), e(a.email ?? ''), e(a.kind), a.admin ? '<span class="bad">admin</span>' : '', a.mfa === 'weak' ? 'weak' : '<span class="bad">none</span>', e(formatTime(since)), e(formatDuration(now.getTime() - Date.parse(since)))])}\n`);
    }
    write('</table>\n<p class="muted">"Since" is the first scan that saw the account without MFA; an account that lacked it when mfawatch first saw it may have lacked it longer.</p>\n');
  }
  if (!input.filter.withoutMfa) {
    write(`<h2>All other accounts (${others.length})</h2>\n<table>${row(['monitor / scope', 'login', 'email', 'kind', 'admin', 'MFA', 'factors', 'first seen'], 'th')}\n`);
    for (const a of others) write(`${row([e(scopeName(a)), e(a.login), e(a.email ?? ''), e(a.kind), a.admin ? 'admin' : '', e(a.mfa), e(a.factors.join(', ')), e(formatTime(a.firstSeen))])}\n`);
    write('</table>\n');
  }
  write('</body></html>\n');
}
