/**
 * The delivery part of `mfawatch status`: per notifier, what is still pending, what failed lately
 * and whether it is failing now; and the acknowledgements in force (`mfawatch ack`).
 */
import { DeliveryStore } from '../../storage/delivery.js';
import type { Store } from '../../storage/store.js';
import type { ResolvedConfig } from '../config/load.js';
import { formatDuration } from '../core/duration.js';

/** Failed deliveries counted in `status`: the last seven days. */
const FAILED_WINDOW_MS = 7 * 86_400_000;

export interface NotifierStatus {
  id: string;
  type: string;
  /** ok; retrying: failed attempts in a row, still within delivery.maxAge; failing: alerted as failing. */
  health: 'ok' | 'retrying' | 'failing';
  pending: number;
  oldestPending: string | null;
  failedLast7d: number;
  consecutiveFailures: number;
  failingSince: string | null;
  lastError: string | null;
}

export interface AckStatus {
  monitorId: string;
  scope: string;
  accountId: string;
  login: string;
  until: string;
  reason: string;
  actor: string;
}

/** Builds the delivery status of every configured notifier and the acknowledgements in force. */
export function buildDeliveryStatus(config: ResolvedConfig, store: Store, now: Date): { notifiers: NotifierStatus[]; acknowledgements: AckStatus[] } {
  const ds = new DeliveryStore(store);
  const notifiers = config.notifiers.map((n): NotifierStatus => {
    const h = ds.health(n.config.id);
    const c = ds.outboxCounts(n.config.id, new Date(now.getTime() - FAILED_WINDOW_MS));
    return {
      id: n.config.id,
      type: n.module.type,
      health: h.alertedAt ? 'failing' : h.consecutiveFailures > 0 ? 'retrying' : 'ok',
      pending: c.pending,
      oldestPending: c.oldestPending,
      failedLast7d: c.failedSince,
      consecutiveFailures: h.consecutiveFailures,
      failingSince: h.failingSince,
      lastError: h.lastError,
    };
  });
  const acknowledgements = ds.activeAckList(now).map(({ at: _at, ...a }) => a);
  return { notifiers, acknowledgements };
}

/** Renders the delivery status for a terminal; times with `formatTime` (the display zone). */
export function renderDeliveryStatus(d: { notifiers: NotifierStatus[]; acknowledgements: AckStatus[] }, now: Date, formatTime: (iso: string) => string): string {
  const lines: string[] = [];
  if (d.notifiers.length) lines.push('notifiers');
  for (const n of d.notifiers) {
    const pending = n.pending ? `, ${n.pending} pending (oldest ${formatDuration(now.getTime() - Date.parse(n.oldestPending ?? now.toISOString()))} ago)` : '';
    const failed = n.failedLast7d ? `, ${n.failedLast7d} failed in 7 days (mfawatch events shows them)` : '';
    lines.push(`  ${n.id.padEnd(14)} ${n.type.padEnd(10)} ${n.health === 'ok' ? 'ok' : n.health.toUpperCase()}${pending}${failed}`);
    if (n.health !== 'ok') lines.push(`                 ${n.consecutiveFailures} failed attempt(s) in a row since ${n.failingSince ? formatTime(n.failingSince) : '?'}: ${n.lastError ?? ''}`);
  }
  if (d.acknowledgements.length) {
    lines.push('', 'acknowledged (left out of reminder digests)');
    for (const a of d.acknowledgements) lines.push(`  ${a.login} (id ${a.accountId}) at ${a.monitorId}${a.scope ? `/${a.scope}` : ''} until ${formatTime(a.until)} by ${a.actor}: ${a.reason}`);
  }
  return lines.join('\n');
}
