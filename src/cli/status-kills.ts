/**
 * The kill part of `mfawatch status`: session kills that want the team's eye. A kill waiting for
 * its grace period (cancel it now or never), one running, one interrupted by a crash (which
 * services were reached is unknown), one a guard held back, and one that failed at a service.
 */
import { ownerIsGone, ResponseStore, type ResponseRow } from '../../storage/responses.js';
import type { Store } from '../../storage/store.js';
import { formatDuration } from '../core/duration.js';

/** Interrupted, blocked and failed kills shown in `status`: the last seven days. */
const KILL_WINDOW_MS = 7 * 86_400_000;

export interface KillStatus {
  id: number;
  identity: string;
  origin: 'auto' | 'manual';
  /** scheduled: in its grace period; running; interrupted: mfawatch died mid-kill; blocked: a guard said no; failed: a service failed. */
  state: 'scheduled' | 'running' | 'interrupted' | 'blocked' | 'failed';
  dryRun: boolean;
  createdAt: string;
  dueAt: string;
  /** The guard's verdict (blocked), or why it was interrupted. */
  reason: string | null;
  /** The services that failed and why (failed only). */
  failures: Array<{ responder: string; detail: string }>;
}

interface StoredResult {
  responderId?: string;
  outcome?: string;
  detail?: string;
}

/** How each stored status shows (a `done` kill needs attention only when a service failed). */
const STATE_OF: Partial<Record<ResponseRow['status'], KillStatus['state']>> = { scheduled: 'scheduled', running: 'running', interrupted: 'interrupted', blocked: 'blocked', done: 'failed' };

/** The kills needing attention, newest first. */
export function buildKillStatus(store: Store, now: Date): KillStatus[] {
  return new ResponseStore(store).needingAttention(new Date(now.getTime() - KILL_WINDOW_MS)).flatMap((row): KillStatus[] => {
    // A kill whose process is gone will never finish: say so now (the next `run` or `start` records
    // it as interrupted and tells the team), not "running" until twice the kill timeout.
    const dead = row.status === 'running' && ownerIsGone(row.owner);
    const state = dead ? 'interrupted' : STATE_OF[row.status];
    if (!state) return [];
    const results = row.status === 'done' ? (JSON.parse(row.results ?? '[]') as StoredResult[]) : [];
    return [{
      id: row.id,
      identity: row.identity,
      origin: row.origin,
      state,
      dryRun: row.dry_run === 1,
      createdAt: row.created_at,
      dueAt: row.due_at,
      reason: dead ? `the mfawatch process that ran it (pid ${row.owner ?? '?'}) is gone; which services were reached is unknown` : row.reason,
      failures: results.filter((r) => r.outcome === 'failed').map((r) => ({ responder: r.responderId ?? '?', detail: r.detail ?? '' })),
    }];
  });
}

/** What the operator can do about one kill. */
function nextStep(k: KillStatus, now: Date, formatTime: (iso: string) => string): string {
  switch (k.state) {
    case 'scheduled': {
      const due = Date.parse(k.dueAt) - now.getTime();
      return `${due > 0 ? `due in ${formatDuration(due)}` : 'due now'}; stop it with \`mfawatch cancel-kill ${k.identity}\``;
    }
    case 'running':
      return `since ${formatTime(k.createdAt)}`;
    case 'interrupted':
      return `${k.reason ?? 'mfawatch stopped mid-kill'}: check each service, then \`mfawatch kill ${k.identity}\``;
    case 'blocked':
      return `held back: ${k.reason ?? 'a guard said no'}`;
    case 'failed':
      return `${k.failures.map((f) => `${f.responder}: ${f.detail}`).join('; ')}; run \`mfawatch kill ${k.identity}\` once fixed`;
  }
}

/** Renders the kills for a terminal ('' when there are none); times with `formatTime` (the display zone). */
export function renderKillStatus(kills: readonly KillStatus[], now: Date, formatTime: (iso: string) => string): string {
  if (kills.length === 0) return '';
  const lines = ['session kills needing attention (waiting, running, and the last 7 days\' interrupted, held back or failed)'];
  for (const k of kills) lines.push(`  #${k.id} ${k.identity}  ${k.state.toUpperCase()}${k.dryRun ? ' (dry run)' : ''}  ${k.origin}, ${formatTime(k.createdAt)}: ${nextStep(k, now, formatTime)}`);
  return lines.join('\n');
}
