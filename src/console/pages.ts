/**
 * The console's read-only pages. Each reads the same store, with the same queries, as the CLI
 * command it mirrors (`status`, `events`, `history`, `audit verify`) and renders escaped HTML.
 */
import type { App } from '../app.js';
import { buildStatus } from '../cli/status.js';
import { buildDeliveryStatus } from '../cli/status-delivery.js';
import { buildKillStatus } from '../cli/status-kills.js';
import { CHANGE_EVENT_TYPES, MFA_STATES, SEVERITIES, severityAtLeast, type Severity } from '../core/types.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import type { EventsStatus } from '../cli/status-events.js';
import { identityOfAccount, linkedAccounts } from '../response/identity.js';
import { identityContext } from '../response/wiring.js';
import { verifyAuditChain } from '../../storage/audit-chain.js';
import { ACCOUNT_SORTS, acksOf, countAccounts, eventsOfAccount, failedDeliveries, filteredEvents, iterateAccounts, openHolds, recentAuditRows, recentResponses, type AccountQuery, type AccountSort, type ConsoleAccountRow } from '../../storage/console.js';
import { OwnerStore, type OwnerCaseRow } from '../../storage/owners.js';
import { ResponseStore, type ResponseRow } from '../../storage/responses.js';
import type { EventRow } from '../../storage/rows.js';
import { coverageChart, coverageOverTime, pct, type CoverageHistory } from './chart.js';
import { html, query, safeHref, type Html } from './html.js';
import { accountHref, badge, page, personHref, place, postForm, timeIn, type TimeHtml, type Viewer } from './layout.js';

/** Query parameters as fastify parses them. */
export type Params = Record<string, string | undefined>;

/** Rows shown per Accounts page (the CSV has them all). */
const ACCOUNTS_PER_PAGE = 500;
const CHART_DAYS = [7, 30, 90] as const;

function canAct(viewer: Viewer): boolean {
  return viewer.role === 'responder';
}

// ── Overview ─────────────────────────────────────────────────────────────────

export function overviewPage(app: App, viewer: Viewer, params: Params, history: CoverageHistory): Html {
  const time = timeIn(app.deps.displayTimezone);
  const now = app.clock.now();
  const days = CHART_DAYS.find((d) => String(d) === params.days) ?? 30;
  const monitorOf = (id: string) => app.monitors.find((m) => m.config.id === id)?.monitor;
  const status = buildStatus(app.config, app.store, now, (id) => [...(monitorOf(id)?.scopes() ?? [])], (id) => monitorOf(id)?.eventSources?.() ?? []);
  const series = coverageOverTime(app.store, now, days, app.config.monitors.map((m) => m.config.id), history);
  const overall = series[0]?.points.at(-1);
  const withoutMfa = status.monitors
    .flatMap((m) => m.withoutMfa.map((a) => ({ ...a, monitorId: m.id, scope: m.scope })))
    .sort((a, b) => Number(b.admin) - Number(a.admin) || Number(b.kind === 'root') - Number(a.kind === 'root') || a.login.localeCompare(b.login));
  const withoutTotal = status.monitors.reduce((n, m) => n + m.withoutMfaTotal, 0);
  const holds = openHolds(app.store);
  const failing = (status.notifiers ?? []).filter((n) => n.health !== 'ok' || n.failedLast7d > 0);
  const kills = status.kills ?? [];
  return page('Overview', viewer, html`
<div class="cards">
  <div class="card"><div class="muted">MFA coverage</div><div class="big" id="coverage-now">${pct(overall?.coverage ?? null)}</div></div>
  <div class="card"><div class="muted">accounts without MFA</div><div class="big" id="without-mfa-total">${withoutTotal}</div></div>
  <div class="card"><div class="muted">held scans</div><div class="big">${holds.length}</div></div>
  <div class="card"><div class="muted">kills needing attention</div><div class="big">${kills.length}</div></div>
</div>
<h2>Coverage over time</h2>
<p>${CHART_DAYS.map((d) => (d === days ? html`<strong>${d} days</strong> ` : html`<a href="/${query({ days: d })}">${d} days</a> `))}</p>
${coverageChart(series, days)}
<h2>Monitors</h2>
<table id="monitors"><thead><tr><th>monitor</th><th>provider</th><th>last scan</th><th class="num">accounts</th><th class="num">without MFA</th><th class="num">coverage</th></tr></thead><tbody>
${status.monitors.map((m) => html`<tr><td><a href="/accounts${query({ monitor: m.id, scope: m.scope })}">${place(m.id, m.scope)}</a><div class="muted">${m.label}</div></td><td>${m.provider}</td>
<td>${badge(m.health === 'never' ? 'never' : m.lastScan?.status ?? '')} ${time(m.lastScan?.endedAt ?? m.lastScan?.startedAt)}${m.consecutiveFailures ? html`<div>${m.consecutiveFailures} failed in a row</div>` : ''}${m.lastScan?.error?.message && m.health !== 'ok' ? html`<div class="muted">${m.lastScan.error.message}</div>` : ''}${m.warnings.map((w) => html`<div class="muted">${w}</div>`)}</td>
<td class="num">${m.accounts}</td><td class="num">${m.withoutMfaTotal}</td><td class="num">${pct(m.coverage)}</td></tr>`)}
</tbody></table>
<h2>Accounts without MFA <span class="muted">(admins first)</span></h2>
${withoutMfa.length === 0 ? html`<p class="muted">none</p>` : html`<table id="without-mfa"><thead><tr><th>account</th><th>where</th><th>MFA</th><th>kind</th></tr></thead><tbody>
${withoutMfa.slice(0, 100).map((a) => html`<tr><td><a href="${accountHref(a.monitorId, a.scope, a.accountId)}">${a.login}</a>${a.admin ? html` ${badge('admin')}` : ''}</td><td>${place(a.monitorId, a.scope)}</td><td>${badge(a.mfa)}</td><td>${a.kind}</td></tr>`)}
</tbody></table>${withoutTotal > withoutMfa.length ? html`<p><a href="/accounts${query({ sort: 'mfa' })}">all ${withoutTotal} on the Accounts page</a></p>` : ''}`}
${eventSourcesSection(status.events, now, time)}
<h2>Held scans</h2>
${holds.length === 0 ? html`<p class="muted">none</p>` : html`<table><thead><tr><th>monitor</th><th>held</th><th>why</th><th></th></tr></thead><tbody>
${holds.map((h) => html`<tr><td>${place(h.monitor_id, h.scope)}</td><td>${time(h.held_at)}</td><td>${h.summary}</td><td>${canAct(viewer) ? postForm('/accept', { monitor: h.monitor_id, scope: h.scope }, viewer, html`<button type="submit">Accept (the change is real)</button>`, 'inline') : ''}</td></tr>`)}
</tbody></table>`}
<h2>Deliveries</h2>
${failing.length === 0 ? html`<p class="muted">every notifier is delivering</p>` : html`<ul>${failing.map((n) => html`<li>${badge(n.health)} <a href="/deliveries">${n.id}</a> (${n.type}): ${n.failedLast7d} failed in 7 days${n.lastError ? html`; last error: ${n.lastError}` : ''}</li>`)}</ul>`}
<h2>Kills needing attention</h2>
${kills.length === 0 ? html`<p class="muted">none</p>` : html`<table><thead><tr><th>#</th><th>person</th><th>state</th><th>since</th><th></th></tr></thead><tbody>
${kills.map((k) => html`<tr><td>${k.id}</td><td><a href="${personHref(k.identity)}">${k.identity}</a></td><td>${badge(k.state)}${k.dryRun ? ' (dry run)' : ''}</td><td>${time(k.createdAt)}</td><td>${k.reason ?? ''}${k.failures.map((f) => html`<div>${f.responder}: ${f.detail}</div>`)}${k.state === 'scheduled' && canAct(viewer) ? postForm('/kill/cancel', { identity: k.identity }, viewer, html`<button type="submit">Cancel this kill</button>`, 'inline') : ''}</td></tr>`)}
</tbody></table>`}
`, '/');
}

/** Seconds as a short duration ("90s", "2h"); a dash when unknown. */
function seconds(s: number | null): string {
  return s === null ? '–' : formatDuration(s * 1000);
}

/** The event sources of the configured monitors (the same rows as `mfawatch status`), with their lag. */
function eventSourcesSection(events: EventsStatus | undefined, now: Date, time: TimeHtml): Html {
  const sources = events?.eventSources ?? [];
  const pendingTotal = events?.pendingVerificationsTotal ?? 0;
  if (sources.length === 0 && pendingTotal === 0) return html`<h2>Event sources</h2><p class="muted">no monitor has event sources configured (README "Events")</p>`;
  return html`<h2>Event sources</h2>
<table id="event-sources"><thead><tr><th>monitor</th><th>source</th><th>kind</th><th>health</th><th>last event</th><th class="num">lag</th><th class="num">received / duplicates / ignored</th><th>failures</th><th>refused requests</th></tr></thead><tbody>
${sources.map((e) => html`<tr><td>${e.monitorId}</td><td>${e.source}</td><td>${e.kind === 'pull' ? 'pulled' : 'pushed'}</td><td>${badge(e.health)}${e.disabled ? html`<div class="muted">off since ${time(e.disabled.since)}: ${e.disabled.reason}</div><div class="muted">what to do: ${e.disabled.hint}</div>` : ''}</td>
<td>${e.lastEventAt ? html`${seconds(e.lastEventAgeSeconds)} ago <div class="muted">${time(e.lastEventAt)} (provider time)</div>` : html`<span class="muted">none yet</span>`}</td>
<td class="num">${seconds(e.lagSeconds)}</td><td class="num">${e.received} / ${e.duplicates} / ${e.ignored}${e.lastIgnored ? html`<div class="muted">last set aside: ${e.lastIgnored}</div>` : ''}</td>
<td>${e.consecutiveFailures > 0 ? html`${e.consecutiveFailures} in a row${e.nextPollAt ? html`, next try ${time(e.nextPollAt)}` : ''}` : html`<span class="muted">none</span>`}${e.lastError ? html`<div class="muted">last error: ${e.lastError}</div>` : ''}</td>
<td>${e.refused > 0 ? html`${e.refused}, last ${time(e.lastRefusedAt)}${e.lastRefused ? html`<div class="muted">${e.lastRefused}</div>` : ''}` : html`<span class="muted">none</span>`}</td></tr>`)}
</tbody></table>
<p id="pending-verifications">${pendingTotal} pending verification(s)${pendingTotal > 0 ? html` <span class="muted">(accounts to re-read at the provider; the next scan reconciles too; as of ${time(now.toISOString())})</span>` : ''}</p>`;
}

// ── Accounts ─────────────────────────────────────────────────────────────────

/** The Accounts filters from the query string (unknown values are ignored). */
export function accountQuery(params: Params): AccountQuery {
  const yesNo = (v: string | undefined) => (v === 'yes' ? true : v === 'no' ? false : undefined);
  const sort = ACCOUNT_SORTS.find((s) => s === params.sort) as AccountSort | undefined;
  return {
    monitor: params.monitor || undefined,
    scope: params.scope,
    mfa: MFA_STATES.find((s) => s === params.mfa),
    admin: yesNo(params.admin),
    acked: yesNo(params.acked),
    q: params.q?.trim() || undefined,
    sort,
    desc: params.desc === '1',
  };
}

function accountQueryParams(q: AccountQuery): Record<string, string | undefined> {
  const yn = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');
  return { monitor: q.monitor, scope: q.scope, mfa: q.mfa, admin: yn(q.admin), acked: yn(q.acked), q: q.q, sort: q.sort, desc: q.desc ? '1' : undefined };
}

export function accountsPage(app: App, viewer: Viewer, params: Params): Html {
  const time = timeIn(app.deps.displayTimezone);
  const q = accountQuery(params);
  const pageNo = Math.max(1, Number.parseInt(params.page ?? '1', 10) || 1);
  const now = app.clock.now();
  const total = countAccounts(app.store, q, now);
  const rows: ConsoleAccountRow[] = [...iterateAccounts(app.store, q, now, { limit: ACCOUNTS_PER_PAGE, offset: (pageNo - 1) * ACCOUNTS_PER_PAGE })];
  const base = accountQueryParams(q);
  const sortLink = (s: AccountSort, label: string) => html`<a href="/accounts${query({ ...base, sort: s, desc: q.sort === s && !q.desc ? '1' : undefined, page: undefined })}">${label}</a>`;
  const option = (value: string, label: string, current: string | undefined) => html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  const yn = (name: string, label: string, v: boolean | undefined) => html`<label>${label}<select name="${name}">${option('', 'any', v === undefined ? '' : v ? 'yes' : 'no')}${option('yes', 'yes', v === undefined ? '' : v ? 'yes' : 'no')}${option('no', 'no', v === undefined ? '' : v ? 'yes' : 'no')}</select></label>`;
  const pages = Math.max(1, Math.ceil(total / ACCOUNTS_PER_PAGE));
  return page('Accounts', viewer, html`
<form class="filters" method="get" action="/accounts">
<label>search<input type="search" name="q" value="${q.q ?? ''}" placeholder="login, email, name or id"></label>
<label>monitor<select name="monitor">${option('', 'all', q.monitor)}${app.config.monitors.map((m) => option(m.config.id, m.config.id, q.monitor))}</select></label>
<label>MFA<select name="mfa">${option('', 'any', q.mfa)}${MFA_STATES.map((s) => option(s, s, q.mfa))}</select></label>
${yn('admin', 'admin', q.admin)}${yn('acked', 'acknowledged', q.acked)}
${q.sort ? html`<input type="hidden" name="sort" value="${q.sort}">` : ''}${q.desc ? html`<input type="hidden" name="desc" value="1">` : ''}
<button type="submit">Filter</button>
<a href="/accounts.csv${query(base)}">Download CSV (${total} rows)</a>
</form>
<p class="muted">${total} account(s)${pages > 1 ? html`, page ${pageNo} of ${pages}` : ''}</p>
<table id="accounts"><thead><tr><th>${sortLink('login', 'account')}</th><th>${sortLink('monitor', 'where')}</th><th>${sortLink('mfa', 'MFA')}</th><th>${sortLink('admin', 'admin')}</th><th>kind</th><th>email</th><th>acknowledged</th><th>${sortLink('changed', 'changed')}</th></tr></thead><tbody>
${rows.map((a) => html`<tr><td><a href="${accountHref(a.monitor_id, a.scope, a.account_id)}">${a.login}</a>${a.display_name ? html`<div class="muted">${a.display_name}</div>` : ''}</td><td>${place(a.monitor_id, a.scope)}</td><td>${badge(a.mfa)}</td><td>${a.admin ? 'admin' : ''}</td><td>${a.kind}</td><td>${a.email ? html`<a href="${personHref(a.email)}">${a.email}</a>` : ''}</td><td>${a.ack_until ? html`until ${time(a.ack_until)}` : ''}</td><td>${time(a.changed_at)}</td></tr>`)}
</tbody></table>
${pages > 1 ? html`<p>${pageNo > 1 ? html`<a href="/accounts${query({ ...base, page: pageNo - 1 })}">previous</a> ` : ''}${pageNo < pages ? html`<a href="/accounts${query({ ...base, page: pageNo + 1 })}">next</a>` : ''}</p>` : ''}
`, '/accounts');
}

/**
 * One CSV cell. Text a spreadsheet would run as a formula (starting with = + - @, tab or CR) is
 * prefixed with a quote (OWASP "CSV injection"); every cell is quoted.
 */
export function csvCell(value: string | number | null): string {
  let v = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return `"${v.replace(/"/g, '""')}"`;
}

const CSV_COLUMNS = ['monitor', 'scope', 'account_id', 'login', 'email', 'display_name', 'kind', 'admin', 'mfa', 'factors', 'acknowledged_until', 'first_seen', 'changed_at'];

/** The Accounts view as CSV lines (header first), every matching account. */
export function* accountsCsv(app: App, params: Params): Generator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for (const a of iterateAccounts(app.store, accountQuery(params), app.clock.now())) {
    const factors = (JSON.parse(a.factors) as string[]).join(' ');
    yield `${[a.monitor_id, a.scope, a.account_id, a.login, a.email, a.display_name, a.kind, a.admin ? 'yes' : 'no', a.mfa, factors, a.ack_until, a.first_seen, a.changed_at].map(csvCell).join(',')}\r\n`;
  }
}

// ── Account and person ───────────────────────────────────────────────────────

function eventsTable(rows: readonly EventRow[], time: TimeHtml): Html {
  if (rows.length === 0) return html`<p class="muted">none</p>`;
  return html`<table class="events"><thead><tr><th>when</th><th>severity</th><th>type</th><th>where</th><th>what</th></tr></thead><tbody>
${rows.map((e) => html`<tr><td>${time(e.at)}</td><td>${badge(e.severity)}</td><td>${e.type}</td><td>${place(e.monitor_id, e.scope)}</td><td>${e.account_id ? html`<a href="${accountHref(e.monitor_id, e.scope, e.account_id)}">${e.summary}</a>` : e.summary}</td></tr>`)}
</tbody></table>`;
}

interface StoredResult {
  responderId?: string;
  service?: string;
  outcome?: string;
  detail?: string;
  calls?: Array<{ method: string; url: string; note?: string }>;
}

/** Per-service results of one kill. */
export function killResults(row: ResponseRow): Html {
  const results = JSON.parse(row.results ?? '[]') as StoredResult[];
  if (results.length === 0) return html`<span class="muted">${row.reason ?? 'no results yet'}</span>`;
  return html`<ul class="results">${results.map((r) => html`<li>${r.responderId ?? '?'} (${r.service ?? ''}): ${badge(r.outcome ?? '?')} ${r.detail ?? ''}</li>`)}</ul>`;
}

function killsTable(rows: readonly ResponseRow[], time: TimeHtml): Html {
  if (rows.length === 0) return html`<p class="muted">none</p>`;
  return html`<table class="kills"><thead><tr><th>#</th><th>person</th><th>origin</th><th>state</th><th>when</th><th>by</th><th>per service</th></tr></thead><tbody>
${rows.map((k) => html`<tr id="kill-${k.id}"><td>${k.id}</td><td><a href="${personHref(k.identity)}">${k.identity}</a></td><td>${k.origin}</td><td>${badge(k.status === 'done' ? (k.ok ? 'succeeded' : 'failed') : k.status)}${k.dry_run ? ' (dry run)' : ''}</td><td>${time(k.created_at)}</td><td>${k.actor}</td><td>${killResults(k)}</td></tr>`)}
</tbody></table>`;
}

function timeline(rows: ReadonlyArray<{ at: string; change: string; mfa: string; admin: number; login: string }>, time: TimeHtml): Html {
  if (rows.length === 0) return html`<p class="muted">no history</p>`;
  return html`<ol class="timeline">${rows.map((r) => html`<li>${time(r.at)} ${r.change} ${badge(r.mfa)}${r.admin ? ' admin' : ''} <span class="muted">as ${r.login}</span></li>`)}</ol>`;
}

export function accountPage(app: App, viewer: Viewer, params: Params): Html | undefined {
  const time = timeIn(app.deps.displayTimezone);
  const { monitor, scope = '', id } = params;
  if (!monitor || !id) return undefined;
  const row = app.store.db.prepare(`SELECT monitor_id, scope, account_id, login, email, display_name, kind, admin, mfa, factors, url, first_seen, changed_at FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?`).get(monitor, scope, id) as
    | (Omit<ConsoleAccountRow, 'ack_until' | 'ack_reason'>)
    | undefined;
  const history = app.store.history(id).filter((h) => h.monitor_id === monitor && h.scope === scope && h.account_id === id);
  if (!row && history.length === 0) return undefined;
  const login = row?.login ?? history.at(-1)?.login ?? id;
  const identity = identityOfAccount(identityContext(app), { monitorId: monitor, login, email: row?.email ?? history.at(-1)?.email ?? null });
  const acks = acksOf(app.store, monitor, scope, id);
  const now = app.clock.now().toISOString();
  const inForce = acks.filter((a) => a.until > now);
  const href = safeHref(row?.url);
  return page(`Account ${login}`, viewer, html`
<table class="facts"><tbody>
<tr><th>where</th><td>${place(monitor, scope)}</td></tr>
<tr><th>account id</th><td class="mono">${id}</td></tr>
<tr><th>login</th><td>${login}${href ? html` (<a href="${href}" rel="noopener noreferrer" target="_blank">at the provider</a>)` : ''}</td></tr>
${row ? html`<tr><th>name</th><td>${row.display_name ?? ''}</td></tr><tr><th>email</th><td>${row.email ?? ''}</td></tr><tr><th>kind</th><td>${row.kind}${row.admin ? ' (admin)' : ''}</td></tr>
<tr><th>MFA</th><td>${badge(row.mfa)} ${(JSON.parse(row.factors) as string[]).join(', ')}</td></tr><tr><th>first seen</th><td>${time(row.first_seen)}</td></tr>` : html`<tr><th>state</th><td>no longer present (removed)</td></tr>`}
<tr><th>person</th><td>${identity ? html`<a href="${personHref(identity)}">${identity}</a>` : html`<span class="muted">not linked to a person (add it to identities.map)</span>`}</td></tr>
</tbody></table>
<h2>MFA timeline</h2>
${timeline(history, time)}
<h2>Events</h2>
${eventsTable(eventsOfAccount(app.store, monitor, scope, id, 100), time)}
<h2>Acknowledgements</h2>
${acks.length === 0 ? html`<p class="muted">none</p>` : html`<ul>${acks.map((a) => html`<li>${time(a.at)} by ${a.actor}, until ${time(a.until)}${a.until > now ? ' (in force)' : ''}: ${a.reason}</li>`)}</ul>`}
${canAct(viewer) && row ? html`
${postForm('/ack', { monitor, scope, account: id }, viewer, html`<label>acknowledge for<select name="for"><option>1d</option><option selected>7d</option><option>30d</option><option>90d</option></select></label><label>reason<input name="reason" required maxlength="500" placeholder="on leave, hardware key ordered"></label><button type="submit">Acknowledge</button>`, 'filters')}
${inForce.length ? postForm('/unack', { monitor, scope, account: id }, viewer, html`<label>reason<input name="reason" required maxlength="500" placeholder="acked by mistake"></label><button type="submit">End acknowledgement</button>`, 'filters') : ''}` : ''}
`);
}

/** Owner cases (src/owners): what happened, the notices sent to the owner, the deadline, escalation and the owner's answer. */
function ownerCasesTable(cases: readonly OwnerCaseRow[], owners: OwnerStore, time: TimeHtml): Html {
  if (cases.length === 0) return html`<p class="muted">none</p>`;
  return html`<table id="owner-cases"><thead><tr><th>event</th><th>account</th><th>opened</th><th>deadline</th><th>notices</th><th>escalated</th><th>answer</th></tr></thead><tbody>
${cases.map((c) => html`<tr><td>${c.event_type}${c.status === 'closed' ? html` <span class="muted">(closed${c.close_reason ? `: ${c.close_reason}` : ''})</span>` : ''}</td><td><a href="${accountHref(c.monitor_id, c.scope, c.account_id)}">${c.login}</a> <span class="muted">${place(c.monitor_id, c.scope)}</span></td><td>${time(c.opened_at)}</td><td>${time(c.deadline_at)}</td>
<td>${c.unreachable ? html`<div>not told: ${c.unreachable}</div>` : ''}${owners.noticesOf(c.id).map((n) => html`<div>${n.kind} by ${n.channel}: ${badge(n.status)}${n.status !== 'sent' && n.last_error ? html` <span class="muted">${n.last_error}</span>` : ''}</div>`)}</td>
<td>${c.escalated_at ? time(c.escalated_at) : html`<span class="muted">no</span>`}</td><td>${c.answer ? html`${c.answer === 'yes' ? 'yes, it was me' : 'no, it was not me'} ${time(c.answered_at)}` : html`<span class="muted">no answer</span>`}</td></tr>`)}
</tbody></table>`;
}

export function personPage(app: App, viewer: Viewer, params: Params): Html | undefined {
  const time = timeIn(app.deps.displayTimezone);
  const identity = params.identity?.trim().toLowerCase();
  if (!identity) return undefined;
  const accounts = linkedAccounts(app.store, identityContext(app), identity);
  const kills = new ResponseStore(app.store).forIdentity(identity, 50);
  const owners = new OwnerStore(app.store);
  const stmt = app.store.db.prepare(`SELECT mfa, admin, kind FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?`);
  return page(`Person ${identity}`, viewer, html`
<h2>Linked accounts</h2>
${accounts.length === 0 ? html`<p class="muted">no account seen by the monitors is linked to ${identity}</p>` : html`<table id="linked"><thead><tr><th>account</th><th>where</th><th>MFA</th><th>linked by</th><th>timeline</th></tr></thead><tbody>
${accounts.map((a) => {
  const now = stmt.get(a.monitorId, a.scope, a.accountId) as { mfa: string; admin: number; kind: string } | undefined;
  const history = app.store.history(a.accountId).filter((h) => h.monitor_id === a.monitorId && h.scope === a.scope && h.account_id === a.accountId);
  return html`<tr><td><a href="${accountHref(a.monitorId, a.scope, a.accountId)}">${a.login}</a>${now?.admin ? ' (admin)' : ''}</td><td>${place(a.monitorId, a.scope)}</td><td>${badge(now?.mfa ?? 'unknown')}</td><td>${a.via}</td><td>${timeline(history.slice(-5), time)}</td></tr>`;
})}
</tbody></table>`}
<h2>Owner notices</h2>
${ownerCasesTable(accounts.flatMap((a) => owners.casesOfAccount(a.monitorId, a.scope, a.accountId, 50)), owners, time)}
<h2>Session kills</h2>
${killsTable(kills, time)}
${canAct(viewer) ? html`<h2>Sign ${identity} out everywhere</h2>
<p>First a preview: the exact calls each service would get (a dry run, nothing is changed); then you confirm by typing the identity.</p>
${postForm('/kill/preview', { identity }, viewer, html`<button type="submit" id="kill-preview">Preview the kill</button>`)}
${kills.some((k) => k.status === 'scheduled') ? postForm('/kill/cancel', { identity }, viewer, html`<button type="submit">Cancel the scheduled kill</button>`) : ''}` : ''}
`);
}

// ── Events, kills, deliveries, audit ─────────────────────────────────────────

const SINCE_CHOICES = ['24h', '7d', '30d', '90d'];

export function eventsPage(app: App, viewer: Viewer, params: Params): Html {
  const time = timeIn(app.deps.displayTimezone);
  const since = SINCE_CHOICES.includes(params.since ?? '') ? (params.since as string) : '7d';
  const minSeverity = SEVERITIES.find((s) => s === params.severity);
  const type = CHANGE_EVENT_TYPES.find((t) => t === params.type);
  const monitor = app.config.monitors.find((m) => m.config.id === params.monitor)?.config.id;
  const now = app.clock.now();
  const rows = filteredEvents(app.store, { since: new Date(now.getTime() - (parseDuration(since) ?? 0)), severities: minSeverity ? SEVERITIES.filter((s) => severityAtLeast(s, minSeverity as Severity)) : undefined, type, monitor }, 500);
  const option = (value: string, label: string, current: string | undefined) => html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  return page('Events', viewer, html`
<form class="filters" method="get" action="/events">
<label>since<select name="since">${SINCE_CHOICES.map((s) => option(s, `last ${s}`, since))}</select></label>
<label>severity at least<select name="severity">${option('', 'any', minSeverity)}${SEVERITIES.map((s) => option(s, s, minSeverity))}</select></label>
<label>type<select name="type">${option('', 'any', type)}${CHANGE_EVENT_TYPES.map((t) => option(t, t, type))}</select></label>
<label>monitor<select name="monitor">${option('', 'all', monitor)}${app.config.monitors.map((m) => option(m.config.id, m.config.id, monitor))}</select></label>
<button type="submit">Filter</button>
</form>
<p class="muted">${rows.length} event(s)${rows.length === 500 ? ' (the newest 500)' : ''}</p>
${eventsTable(rows, time)}
`, '/events');
}

export function killsPage(app: App, viewer: Viewer): Html {
  const time = timeIn(app.deps.displayTimezone);
  const now = app.clock.now();
  const attention = buildKillStatus(app.store, now);
  return page('Kills', viewer, html`
${attention.length ? html`<div class="notice bad">${attention.length} kill(s) need attention; see the Overview.</div>` : ''}
${killsTable(recentResponses(app.store, 200), time)}
`, '/kills');
}

export function deliveriesPage(app: App, viewer: Viewer): Html {
  const time = timeIn(app.deps.displayTimezone);
  const now = app.clock.now();
  const { notifiers, acknowledgements } = buildDeliveryStatus(app.config, app.store, now);
  const failed = failedDeliveries(app.store, 200);
  return page('Deliveries', viewer, html`
<table id="notifiers"><thead><tr><th>notifier</th><th>type</th><th>health</th><th class="num">pending</th><th class="num">failed (7 days)</th><th>last error</th><th></th></tr></thead><tbody>
${notifiers.map((n) => html`<tr><td>${n.id}</td><td>${n.type}</td><td>${badge(n.health)}</td><td class="num">${n.pending}</td><td class="num">${n.failedLast7d}</td><td>${n.lastError ?? ''}</td><td>${canAct(viewer) && n.failedLast7d > 0 ? postForm('/redeliver', { notifier: n.id }, viewer, html`<button type="submit">Redeliver failed</button>`, 'inline') : ''}</td></tr>`)}
</tbody></table>
<h2>Failed deliveries</h2>
${failed.length === 0 ? html`<p class="muted">none</p>` : html`<table><thead><tr><th>#</th><th>notifier</th><th>kind</th><th>created</th><th class="num">attempts</th><th>last error</th></tr></thead><tbody>
${failed.map((o) => html`<tr><td>${o.id}</td><td>${o.notifier_id}</td><td>${o.kind}</td><td>${time(o.created_at)}</td><td class="num">${o.attempts}</td><td>${o.last_error ?? ''}</td></tr>`)}
</tbody></table>`}
<h2>Acknowledged accounts</h2>
${acknowledgements.length === 0 ? html`<p class="muted">none</p>` : html`<ul>${acknowledgements.map((a) => html`<li><a href="${accountHref(a.monitorId, a.scope, a.accountId)}">${a.login}</a> at ${place(a.monitorId, a.scope)} until ${time(a.until)} by ${a.actor}: ${a.reason}</li>`)}</ul>`}
`, '/deliveries');
}

export function auditPage(app: App, viewer: Viewer, params: Params): Html {
  const time = timeIn(app.deps.displayTimezone);
  const v = verifyAuditChain(app.store);
  const rows = recentAuditRows(app.store, 200, params.actor || undefined);
  return page('Audit', viewer, html`
<div class="notice ${v.ok ? 'good' : 'bad'}" id="chain">${v.ok ? html`Audit chain intact: ${v.rows} rows; head <code>${v.head.id}:${v.head.hash}</code>` : html`Audit chain BROKEN${v.firstBroken ? html` at row ${v.firstBroken.id}: ${v.firstBroken.problem}` : ''}${v.problems.map((p) => html`<div>${p}</div>`)}`}</div>
<form class="filters" method="get" action="/audit"><label>actor<input name="actor" value="${params.actor ?? ''}"></label><button type="submit">Filter</button></form>
<table id="audit"><thead><tr><th>#</th><th>when</th><th>actor</th><th>action</th><th>subject</th><th>detail</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.id}</td><td>${time(r.at)}</td><td>${r.actor}</td><td>${r.action}</td><td>${r.subject ?? ''}</td><td class="mono">${r.detail}</td></tr>`)}
</tbody></table>
`, '/audit');
}
