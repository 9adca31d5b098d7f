/**
 * The plain-words rendering of batches and events that every notifier uses, so that Slack, email,
 * Teams, PagerDuty and the webhook say the same thing in the same words. Notifiers only lay these
 * pieces out in their channel's format. Pure: no I/O, the time of "now" is passed in.
 *
 * Provider text (logins, e-mails, summaries, URLs) is hostile: every string these functions return
 * has its control and bidi characters shown as escapes (src/core/text.ts `visible`), and account
 * URLs are http(s) only (`safeHttpUrl`). Channels still escape their own markup on top.
 *
 * Times are for people here: each caller passes the formatter of its display zone
 * (`displayTimeFormatter(deps.displayTimezone)`, "2026-11-22 11:00 GMT+1"), or `isoTime` where
 * the words land in a machine payload (PagerDuty), which keeps UTC ISO.
 */
import type { NotificationBatch, NotifierModule, ReminderAccount, ReminderDigest } from '../../notifiers/types.js';
import { displayTimeFormatter } from '../core/display-time.js';
import { formatDuration } from '../core/duration.js';
import { safeHttpUrl, visible, visibleLines } from '../core/text.js';
import type { AccountState, ChangeEvent, ChangeEventType, Severity } from '../core/types.js';

/** Severity as a word for people, strongest first. */
export const SEVERITY_WORDS: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };

/** Renders an ISO time for its reader: a display-zone formatter (src/core/display-time.ts) or `isoTime`. */
export type TimeFormat = (iso: string) => string;

/** The time as stored: UTC ISO, for payloads read by machines. */
export const isoTime: TimeFormat = (iso) => iso;

/**
 * The time format of the words a channel carries (NotifierModule.readers): the display zone where
 * people read them (Slack, Teams, e-mail), UTC ISO where machines do (JSON payloads, PagerDuty).
 */
export function timeFormatFor(module: Pick<NotifierModule, 'readers'> | undefined, displayTimezone: string | undefined): TimeFormat {
  return module?.readers === 'people' ? displayTimeFormatter(displayTimezone) : isoTime;
}

const HEADLINES: Record<ChangeEventType, string> = {
  baseline: 'First scan',
  mfa_disabled: 'MFA disabled',
  mfa_weakened: 'MFA weakened',
  mfa_enabled: 'MFA enabled',
  account_added: 'Account added',
  account_removed: 'Account removed',
  privilege_changed: 'Privilege changed',
  scan_failed: 'Monitor failing',
  scan_recovered: 'Monitor recovered',
  anomaly: 'Mass change held',
  stale_data: 'Data out of date',
  signin_without_mfa: 'Sign-in without MFA',
  factor_added: 'MFA factor added',
  credential_added: 'Credential added',
  owner_deadline_passed: 'Owner deadline passed',
  owner_reported_compromise: 'Owner reports compromise',
  mfa_requirement_disabled: '2FA requirement turned off',
};

const KIND_WORDS: Record<string, string> = { outside_collaborator: 'outside collaborator', iam_user: 'IAM user', root: 'root account' };

/** One event, in the pieces every channel shows. */
export interface RenderedEvent {
  severity: Severity;
  severityWord: string;
  /** Two or three words: "MFA disabled". */
  headline: string;
  /** The plain sentence: "alice disabled two-factor authentication". */
  sentence: string;
  /** "GitHub acme (monitor gh-acme)". */
  where: string;
  /** "alice (id 2, admin)", or null for monitor-level events. */
  account: string | null;
  /** The account's page at the provider, when known and http(s) (src/core/text.ts `safeHttpUrl`). */
  accountUrl: string | null;
  /** "MFA: enabled → disabled; admin: no → yes", or null. */
  change: string | null;
  /** Accounts a baseline found without MFA: "dave, mallory (admin), … and 3 more". */
  extra: string | null;
  /** When it happened, as the caller's `TimeFormat` renders it. */
  at: string;
}

/** "alice (id 2, admin, outside collaborator)". */
export function accountWords(a: Pick<AccountState, 'login' | 'accountId' | 'admin' | 'kind'> & { email?: string | null }): string {
  const flags = [`id ${a.accountId}`];
  if (a.kind === 'root') flags.push('root');
  else if (a.admin) flags.push('admin');
  const kind = KIND_WORDS[a.kind];
  if (kind && a.kind !== 'root') flags.push(kind);
  if (a.email) flags.push(a.email);
  return visible(`${a.login} (${flags.join(', ')})`);
}

function mfaState(a: AccountState): string {
  return a.mfa === 'weak' && a.factors.length ? `weak (${a.factors.join(', ')})` : a.mfa.replace('_', ' ');
}

/** "GitHub acme (monitor gh-acme)" for an event, using the batch's source label when it is the same monitor. */
export function whereWords(e: Pick<ChangeEvent, 'provider' | 'monitorId' | 'scope'>, batch?: Pick<NotificationBatch, 'source'>): string {
  const label = batch?.source && batch.source.monitorId === e.monitorId ? batch.source.label : '';
  const scope = e.scope ? `/${e.scope}` : '';
  return visible(label ? `${e.provider} ${label} (monitor ${e.monitorId}${scope})` : `${e.provider} (monitor ${e.monitorId}${scope})`);
}

/** Renders one event, its time with `formatTime`. */
export function renderEvent(e: ChangeEvent, batch: Pick<NotificationBatch, 'source'> | undefined, formatTime: TimeFormat): RenderedEvent {
  const a = e.after ?? e.before;
  let change: string | null = null;
  if (e.before && e.after) {
    const parts: string[] = [];
    if (e.before.mfa !== e.after.mfa || e.before.factors.join() !== e.after.factors.join()) parts.push(`MFA: ${mfaState(e.before)} → ${mfaState(e.after)}`);
    if (e.before.admin !== e.after.admin) parts.push(`admin: ${e.before.admin ? 'yes' : 'no'} → ${e.after.admin ? 'yes' : 'no'}`);
    change = parts.length ? visible(parts.join('; ')) : null;
  } else if (e.after && !e.before) {
    change = visible(`MFA: ${mfaState(e.after)}`);
  }
  let extra: string | null = null;
  const detail = e.detail as { withoutMfa?: Array<{ login: string; admin: boolean; mfa: string }>; withoutMfaTotal?: number } | undefined;
  if (e.type === 'baseline' && detail?.withoutMfa?.length) {
    const shown = detail.withoutMfa.slice(0, 20).map((x) => `${x.login}${x.admin ? ' (admin)' : ''}${x.mfa === 'weak' ? ' (weak)' : ''}`);
    const more = (detail.withoutMfaTotal ?? detail.withoutMfa.length) - shown.length;
    extra = visible(`Without MFA: ${shown.join(', ')}${more > 0 ? `, … and ${more} more (mfawatch status lists them)` : ''}`);
  }
  return {
    severity: e.severity,
    severityWord: SEVERITY_WORDS[e.severity],
    headline: HEADLINES[e.type],
    sentence: visible(e.summary),
    where: whereWords(e, batch),
    account: a ? accountWords(a) : null,
    accountUrl: safeHttpUrl(a?.url),
    change,
    extra,
    at: formatTime(e.at),
  };
}

/** "for 12d 3h" since `sinceIso`. */
export function durationSince(sinceIso: string, now: Date): string {
  return formatDuration(Math.max(0, now.getTime() - Date.parse(sinceIso)));
}

/** What a digest says after an account's login: " (id 2, admin) at GitHub (monitor gh-acme): no MFA for 12d". */
export function reminderDetail(a: ReminderAccount, now: Date): string {
  const state = a.mfa === 'weak' ? `only weak MFA${a.factors.length ? ` (${a.factors.join(', ')})` : ''}` : 'no MFA';
  return `${accountWords(a).slice(visible(a.login).length)} at ${visible(`${a.provider} (monitor ${a.monitorId}${a.scope ? `/${a.scope}` : ''}): ${state}`)} for ${durationSince(a.withoutMfaSince, now)}`;
}

/** One line of a reminder digest: "alice (id 2, admin) at GitHub (monitor gh-acme): no MFA for 12d". */
export function reminderLine(a: ReminderAccount, now: Date): string {
  return `${visible(a.login)}${reminderDetail(a, now)}`;
}

/** The summary sentence of a digest. */
export function reminderSummary(d: ReminderDigest): string {
  const admins = d.accounts.filter((a) => a.admin || a.kind === 'root').length;
  const ack = d.acknowledged ? ` (${d.acknowledged} acknowledged account${d.acknowledged === 1 ? '' : 's'} not listed)` : '';
  return `${d.total} account${d.total === 1 ? ' is' : 's are'} still without MFA${admins ? `, ${admins} of them admin or root` : ''}${ack}.`;
}

/**
 * The subject line of a batch, with its highest severity and its count:
 * "[mfawatch] CRITICAL: 3 changes at GitHub acme".
 */
export function batchSubject(batch: NotificationBatch): string {
  return visible(subjectOf(batch));
}

function subjectOf(batch: NotificationBatch): string {
  const sev = batch.severity.toUpperCase();
  const where = batch.source ? ` at ${batch.source.provider} ${batch.source.label || batch.source.monitorId}` : '';
  switch (batch.kind) {
    case 'reminder':
      return `[mfawatch] ${sev}: reminder: ${batch.reminder?.total ?? 0} account${batch.reminder?.total === 1 ? '' : 's'} still without MFA`;
    case 'test':
    case 'delivery_failure':
    case 'response':
    case 'anomaly':
      return `[mfawatch] ${sev}: ${batch.title}`;
    case 'changes':
    case 'health': {
      const [only] = batch.events;
      if (batch.events.length === 1 && only) return `[mfawatch] ${sev}: ${only.summary}${where ? ` (${where.slice(4)})` : ''}`;
      return `[mfawatch] ${sev}: ${batch.events.length} changes${where}`;
    }
  }
}

/** What to do about an event, in one line, or null. */
export function adviceFor(type: ChangeEventType): string | null {
  switch (type) {
    case 'mfa_disabled':
    case 'account_added':
    case 'privilege_changed':
    case 'mfa_weakened':
      return 'Confirm with the person that they made this change; if not, treat the account as compromised.';
    case 'owner_deadline_passed':
      return 'The owner did not restore MFA in time: reach them another way, or disable the account.';
    case 'owner_reported_compromise':
      return 'Treat the account as compromised: end its sessions (mfawatch kill), rotate its credentials, review the change.';
    case 'scan_failed':
    case 'stale_data':
      return 'mfawatch cannot see this provider: run `mfawatch status` for the error and what to do.';
    default:
      return null;
  }
}

/** The whole batch as plain text (the email text part), times with `formatTime`. */
export function renderBatchText(batch: NotificationBatch, now: Date, formatTime: TimeFormat): string {
  const lines: string[] = [visible(batch.title), ''];
  if (batch.text) lines.push(visibleLines(batch.text), '');
  if (batch.reminder) {
    lines.push(reminderSummary(batch.reminder), '');
    for (const a of batch.reminder.accounts) {
      const url = safeHttpUrl(a.url);
      lines.push(`- ${reminderLine(a, now)}${url ? `\n  ${visible(url)}` : ''}`);
    }
    const more = batch.reminder.total - batch.reminder.accounts.length;
    if (more > 0) lines.push(`- … and ${more} more (mfawatch status lists every account)`);
    lines.push('', 'Silence one account for a while with: mfawatch ack ACCOUNT --for 7d --reason "..."');
  }
  for (const e of batch.events) {
    const r = renderEvent(e, batch, formatTime);
    lines.push(`[${r.severityWord.toUpperCase()}] ${r.headline}: ${r.sentence}`);
    lines.push(`  where:   ${r.where}`);
    if (r.account) lines.push(`  account: ${r.account}`);
    if (r.change) lines.push(`  change:  ${r.change}`);
    if (r.extra) lines.push(`  ${r.extra}`);
    lines.push(`  time:    ${r.at}`);
    if (r.accountUrl) lines.push(`  link:    ${r.accountUrl}`);
    const advice = adviceFor(e.type);
    if (advice && e.severity !== 'info') lines.push(`  next:    ${advice}`);
    lines.push('');
  }
  lines.push(visible(`mfawatch batch ${batch.id}, ${formatTime(batch.createdAt)}`));
  return lines.join('\n');
}
