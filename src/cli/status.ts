/**
 * `mfawatch status`: per monitor scope, the last scan and its result, accounts, MFA coverage and
 * the accounts without MFA. The JSON shape (`mfawatch.status/v1`) is documented in the README.
 */
import type { ResolvedConfig } from '../config/load.js';
import { accountsInState } from '../../storage/account-lists.js';
import type { Store } from '../../storage/store.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { formatDuration } from '../core/duration.js';
import { visibleDeep } from '../core/text.js';
import { buildDeliveryStatus, renderDeliveryStatus, type AckStatus, type NotifierStatus } from './status-delivery.js';
import { buildKillStatus, renderKillStatus, type KillStatus } from './status-kills.js';
import { buildEventsStatus, renderEventsStatus, type EventsStatus } from './status-events.js';
import type { EventSource } from '../../monitors/events.js';
import { buildOwnerStatus, renderOwnerStatus, type OwnerCaseStatus } from './status-owners.js';
import { lastFinishedScan, runningScan } from '../../storage/progress.js';
import type { MfaState } from '../core/types.js';
import { isCovered, retiredScopes, type RetiredScope } from '../retired.js';

export interface StatusAccount {
  accountId: string;
  login: string;
  kind: string;
  admin: boolean;
  mfa: MfaState;
}

export interface MonitorStatus {
  id: string;
  type: string;
  provider: string;
  scope: string;
  label: string;
  /** ok: last scan succeeded; held: last scan held by the mass-change guard; failing: last scan failed; never: no scan yet. */
  health: 'ok' | 'held' | 'failing' | 'never';
  lastScan: { id: number; status: string; startedAt: string; endedAt: string | null; requests: number; error: { reason: string | null; message: string | null } | null } | null;
  /** `dataAsOf`: the provider's own time of the data (an AWS credential report's generation time), named by `dataAsOfLabel`. */
  lastSuccess: { at: string; dataAsOf: string | null; dataAsOfLabel: string; dataAgeSeconds: number | null } | null;
  consecutiveFailures: number;
  accounts: number;
  byState: Record<MfaState, number>;
  /** enabled / (enabled + weak + disabled); null when no account can have MFA. */
  coverage: number | null;
  withoutMfa: StatusAccount[];
  withoutMfaTotal: number;
  /** Accounts MFA does not apply to (IAM users without a console password: API-only), first of them. */
  notApplicable: StatusAccount[];
  warnings: string[];
  /** A scan of this scope running now (in any process), with its progress so far; null when none. */
  running: { scanId: number; startedAt: string; accounts: number; requests: number } | null;
}

export interface StatusReport {
  schema: 'mfawatch.status/v1';
  generatedAt: string;
  monitors: MonitorStatus[];
  /** Delivery health per notifier (src/cli/status-delivery.ts). */
  notifiers?: NotifierStatus[] | undefined;
  /** Acknowledgements in force (`mfawatch ack`). */
  acknowledgements?: AckStatus[] | undefined;
  /** Session kills needing attention (src/cli/status-kills.ts). */
  kills?: KillStatus[] | undefined;
  /** Event sources and pending verifications (src/cli/status-events.ts). */
  events?: EventsStatus | undefined;
  /** Open owner cases (src/owners, src/cli/status-owners.ts). */
  ownerCases?: OwnerCaseStatus[] | undefined;
  /** Monitors and scopes that left the config; their data stays until `mfawatch forget` (src/retired.ts). */
  retired?: RetiredScope[] | undefined;
}

const LIST_LIMIT = 50;

/** Builds the status of every configured monitor scope (and scopes the database still knows). */
export function buildStatus(config: ResolvedConfig, store: Store, now: Date, scopesOf: (id: string) => Array<{ id: string; label: string }>, sourcesOf: (id: string) => readonly EventSource[] = () => []): StatusReport {
  const monitors: MonitorStatus[] = [];
  for (const m of config.monitors) {
    const known = store.knownScopes().filter((s) => s.monitor_id === m.config.id).map((s) => s.scope);
    const configured = scopesOf(m.config.id);
    const scopes = new Map(configured.map((s) => [s.id, s.label]));
    for (const k of known) if (!scopes.has(k) && isCovered(configured, k)) scopes.set(k, k);
    // A monitor that learns its scopes from the provider (resolveScopes) records a failure to
    // learn them under scope '' until it first succeeds; once real scopes exist, that row is history.
    if (scopes.size > 1 && scopes.has('') && !scopesOf(m.config.id).some((s) => s.id === '')) {
      const stale = store.lastScan(m.config.id, '');
      const newest = Math.max(...[...scopes.keys()].filter((k) => k !== '').map((k) => store.lastScan(m.config.id, k)?.id ?? 0));
      if (!stale || stale.id < newest) scopes.delete('');
    }
    if (scopes.size === 0) scopes.set('', m.config.id);
    for (const [scope, label] of scopes) {
      // A scan running now is progress, not the result: health comes from the last finished one.
      const last = lastFinishedScan(store, m.config.id, scope);
      const now_ = runningScan(store, m.config.id, scope);
      const ok = store.lastScan(m.config.id, scope, 'succeeded');
      const counts = store.storedCounts(m.config.id, scope);
      const applicable = counts.byState.enabled + counts.byState.weak + counts.byState.disabled;
      const warnings = ok ? (JSON.parse(ok.warnings) as string[]) : [];
      const dataAsOf = ok?.data_as_of ?? null;
      monitors.push({
        id: m.config.id,
        type: m.module.type,
        provider: m.module.provider,
        scope,
        label: last?.scope_label || label,
        health: !last ? 'never' : last.status === 'succeeded' ? 'ok' : last.status === 'held' ? 'held' : 'failing',
        lastScan: last
          ? { id: last.id, status: last.status, startedAt: last.started_at, endedAt: last.ended_at, requests: last.requests, error: last.error_reason || last.error_message ? { reason: last.error_reason, message: last.error_message } : null }
          : null,
        lastSuccess: ok?.ended_at ? { at: ok.ended_at, dataAsOf, dataAsOfLabel: m.module.dataAsOfLabel ?? 'data as of', dataAgeSeconds: Math.round((now.getTime() - Date.parse(dataAsOf ?? ok.ended_at)) / 1000) } : null,
        consecutiveFailures: store.consecutiveFailures(m.config.id, scope),
        accounts: counts.accounts,
        byState: counts.byState,
        coverage: applicable ? counts.byState.enabled / applicable : null,
        withoutMfa: store.accountsWithoutMfa(m.config.id, scope, LIST_LIMIT).map((a) => ({ accountId: a.accountId, login: a.login, kind: a.kind, admin: a.admin, mfa: a.mfa })),
        withoutMfaTotal: counts.byState.disabled + counts.byState.weak,
        notApplicable: accountsInState(store, m.config.id, scope, 'not_applicable', LIST_LIMIT).map((a) => ({ accountId: a.accountId, login: a.login, kind: a.kind, admin: a.admin, mfa: a.mfa })),
        warnings,
        running: now_ ? { scanId: now_.id, startedAt: now_.started_at, accounts: now_.accounts ?? 0, requests: now_.requests } : null,
      });
    }
  }
  const retired = retiredScopes(store, (id) => (config.monitors.some((m) => m.config.id === id) ? scopesOf(id) : undefined));
  return {
    schema: 'mfawatch.status/v1',
    generatedAt: now.toISOString(),
    monitors,
    ...buildDeliveryStatus(config, store, now),
    kills: buildKillStatus(store, now),
    events: buildEventsStatus(config, store, now, sourcesOf),
    ownerCases: buildOwnerStatus(store),
    retired,
  };
}

/** What `status --fail-on unhealthy` fails on: monitor scopes failing or held, notifiers failing. */
export function unhealthyParts(report: StatusReport): string[] {
  return [
    ...report.monitors.filter((m) => m.health === 'failing' || m.health === 'held').map((m) => `monitor ${m.id}${m.scope ? `/${m.scope}` : ''} ${m.health}`),
    ...(report.notifiers ?? []).filter((n) => n.health === 'failing').map((n) => `notifier ${n.id} failing`),
  ];
}

/** A monitor with more scopes than this (an AWS organisation) is shown as one table, a row per scope. */
const FOLD_SCOPES_OVER = 4;

function renderFolded(id: string, scopes: readonly MonitorStatus[], now: Date): string[] {
  const first = scopes[0];
  const ago = (iso: string) => `${formatDuration(now.getTime() - Date.parse(iso))} ago`;
  const pct = (c: number | null) => (c === null ? 'n/a' : `${(c * 100).toFixed(1)}%`);
  const rows = scopes.map((m) => [
    m.scope || '-', m.label,
    m.health === 'failing' ? `FAILING${m.lastScan?.error?.reason ? ` (${m.lastScan.error.reason})` : ''}` : m.health === 'held' ? 'HELD' : m.health,
    m.lastSuccess ? ago(m.lastSuccess.at) : 'never', String(m.accounts), String(m.withoutMfaTotal), pct(m.coverage),
  ]);
  const sum = (f: (m: MonitorStatus) => number) => scopes.reduce((n, m) => n + f(m), 0);
  const enabled = sum((m) => m.byState.enabled);
  const applicable = enabled + sum((m) => m.byState.weak + m.byState.disabled);
  const without = sum((m) => m.withoutMfaTotal);
  rows.push(['total', `${scopes.length} scopes`, `${scopes.filter((m) => m.health !== 'ok').length} not ok`, '', String(sum((m) => m.accounts)), String(without), pct(applicable ? enabled / applicable : null)]);
  const head = ['scope', 'label', 'health', 'last success', 'accounts', 'without MFA', 'coverage'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')}`;
  const out = [`${id}  (${first?.provider ?? ''}, ${scopes.length} scopes)`, line(head), ...rows.map(line)];
  for (const m of scopes) if (m.health === 'failing' && m.lastScan?.error?.message) out.push(`  ${m.scope}: ${m.lastScan.error.message}`);
  if (without > 0) out.push(`  ${without} account(s) without MFA: \`mfawatch report --without-mfa --monitor ${id}\` lists them all`);
  out.push('');
  return out;
}

/**
 * Renders the status for a terminal: every string of the report with its control and bidi
 * characters as escapes, times with `formatTime` (the display zone; default: the system's).
 */
export function renderStatus(raw: StatusReport, now: Date, formatTime: (iso: string) => string = displayTimeFormatter(undefined)): string {
  const report = visibleDeep(raw);
  const lines: string[] = [];
  const scopesOf = new Map<string, MonitorStatus[]>();
  for (const m of report.monitors) scopesOf.set(m.id, [...(scopesOf.get(m.id) ?? []), m]);
  const folded = new Set<string>();
  for (const m of report.monitors) {
    const siblings = scopesOf.get(m.id) ?? [];
    if (siblings.length > FOLD_SCOPES_OVER) {
      if (!folded.has(m.id)) lines.push(...renderFolded(m.id, siblings, now));
      folded.add(m.id);
      continue;
    }
    const name = `${m.id}${m.scope ? `/${m.scope}` : ''}`;
    const title = `${name}  (${m.provider} ${m.label})`;
    lines.push(title);
    const ago = (iso: string) => `${formatDuration(now.getTime() - Date.parse(iso))} ago`;
    if (m.running) lines.push(`  scanning now   started ${ago(m.running.startedAt)}: ${m.running.accounts} accounts read, ${m.running.requests} requests so far`);
    if (!m.lastScan) {
      if (!m.running) lines.push('  never scanned: run `mfawatch run` or start the daemon');
      lines.push('');
      continue;
    }
    const last = m.lastScan;
    const result = last.status === 'succeeded' ? 'succeeded' : `${last.status.toUpperCase()}${last.error?.reason ? ` (${last.error.reason})` : ''}`;
    lines.push(`  last scan      ${result}, ${ago(last.endedAt ?? last.startedAt)}, ${last.requests} requests`);
    if (last.status !== 'succeeded' && last.error?.message) lines.push(`                 ${last.error.message}`);
    if (m.consecutiveFailures > 0) lines.push(`  failing        ${m.consecutiveFailures} scan(s) in a row since the last success`);
    if (m.lastSuccess) {
      const age = m.lastSuccess.dataAsOf ? `, ${m.lastSuccess.dataAsOfLabel} ${ago(m.lastSuccess.dataAsOf)}` : '';
      lines.push(`  last success   ${ago(m.lastSuccess.at)}${age}`);
    } else {
      lines.push('  last success   never');
    }
    const cov = m.coverage === null ? 'n/a' : `${(m.coverage * 100).toFixed(1)}%`;
    const s = m.byState;
    const extra = [s.not_applicable ? `${s.not_applicable} not applicable (API-only)` : '', s.unknown ? `${s.unknown} unknown` : ''].filter(Boolean).join(', ');
    lines.push(`  accounts       ${m.accounts}: ${s.enabled} with MFA, ${s.weak} weak, ${s.disabled} without${extra ? `, ${extra}` : ''}`);
    lines.push(`  MFA coverage   ${cov}`);
    for (const w of m.warnings) lines.push(`  warning        ${w}`);
    if (m.withoutMfaTotal > 0) {
      lines.push(`  without MFA (${m.withoutMfaTotal}):`);
      for (const a of m.withoutMfa) lines.push(`    ${a.mfa === 'weak' ? 'weak    ' : 'none    '}${a.login}${a.admin ? ' [admin]' : ''}${a.kind === 'root' ? ' [root]' : ''}  (${a.kind}, id ${a.accountId})`);
      if (m.withoutMfaTotal > m.withoutMfa.length) lines.push(`    … and ${m.withoutMfaTotal - m.withoutMfa.length} more: \`mfawatch report --without-mfa --monitor ${m.id}\` lists all ${m.withoutMfaTotal}`);
    }
    if (s.not_applicable > 0) {
      const shown = m.notApplicable.slice(0, 10).map((a) => a.login);
      const more = s.not_applicable - shown.length;
      lines.push(`  API-only (${s.not_applicable}, MFA not applicable): ${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''}`);
    }
    lines.push('');
  }
  const delivery = renderDeliveryStatus({ notifiers: report.notifiers ?? [], acknowledgements: report.acknowledgements ?? [] }, now, formatTime);
  if (delivery) lines.push(delivery, '');
  const kills = renderKillStatus(report.kills ?? [], now, formatTime);
  if (kills) lines.push(kills, '');
  const events = report.events ? renderEventsStatus(report.events, now) : '';
  if (events) lines.push(events, '');
  const owners = renderOwnerStatus(report.ownerCases ?? [], now, formatTime);
  if (owners) lines.push(owners, '');
  const retired = report.retired ?? [];
  if (retired.length > 0) {
    lines.push('no longer in the config (not watched; data kept until `mfawatch forget`):');
    for (const r of retired) {
      const name = `${r.monitorId}${r.scope ? `/${r.scope}` : ''}`;
      lines.push(`  ${name}  (${r.label}): ${r.accounts} account(s), last scanned ${formatDuration(now.getTime() - Date.parse(r.lastScanAt))} ago; \`mfawatch forget ${name}\` removes its data`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
