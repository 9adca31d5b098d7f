/**
 * The open owner cases in `mfawatch status` (src/owners): whose account, what happened, whether
 * the owner was reached, the deadline, and whether it was escalated.
 */
import { OwnerStore } from '../../storage/owners.js';
import type { Store } from '../../storage/store.js';
import { formatDuration } from '../core/duration.js';

export interface OwnerCaseStatus {
  case: number;
  monitorId: string;
  scope: string;
  accountId: string;
  login: string;
  event: string;
  identity: string | null;
  /** Why the owner could not be told; null when a notice was queued. */
  unreachable: string | null;
  /** Owner notices by channel and state, e.g. ["email sent", "slack failed"]. */
  notices: string[];
  openedAt: string;
  deadline: string;
  escalatedAt: string | null;
}

/** Every open owner case, soonest deadline first (none when the tables do not exist yet). */
export function buildOwnerStatus(store: Store): OwnerCaseStatus[] {
  const owners = new OwnerStore(store);
  return owners.openCases().map((c) => ({
    case: c.id, monitorId: c.monitor_id, scope: c.scope, accountId: c.account_id, login: c.login, event: c.event_type, identity: c.identity, unreachable: c.unreachable,
    notices: owners.noticesOf(c.id).map((n) => `${n.kind} by ${n.channel} ${n.status}${n.status !== 'sent' && n.last_error ? ` (${n.last_error})` : ''}`),
    openedAt: c.opened_at, deadline: c.deadline_at, escalatedAt: c.escalated_at,
  }));
}

/** Terminal lines for the open owner cases ('' for none); the caller escapes the report's strings; times with `formatTime`. */
export function renderOwnerStatus(cases: readonly OwnerCaseStatus[], now: Date, formatTime: (iso: string) => string): string {
  if (cases.length === 0) return '';
  const lines = [`owner cases open (${cases.length}):`];
  for (const c of cases) {
    const left = Date.parse(c.deadline) - now.getTime();
    const when = c.escalatedAt ? `ESCALATED ${formatTime(c.escalatedAt)}` : left > 0 ? `deadline in ${formatDuration(left)}` : 'deadline passed';
    lines.push(`  ${c.login} at ${c.monitorId}${c.scope ? `/${c.scope}` : ''}: ${c.event}, ${when}; owner ${c.identity ?? 'unknown'}`);
    if (c.unreachable) lines.push(`    not told: ${c.unreachable}`);
    for (const n of c.notices) lines.push(`    ${n}`);
  }
  return lines.join('\n');
}
