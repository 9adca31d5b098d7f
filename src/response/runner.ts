/**
 * Running kills: the scheduled auto-responses once due, and manual kills. Every kill is claimed
 * in the database before any responder is called, its results are recorded, written to the audit
 * log and announced through the notifiers (a dry run is not announced: it changed nothing).
 *
 * "Never twice": a row is moved from `scheduled` to `running` (the claim) in its own committed
 * statement before the first API call. A row found `running` after a crash is marked
 * `interrupted` and the team is told; it is never re-run, because mfawatch cannot know which
 * services were reached, and a second kill minutes later would sign the person out again after
 * they may already have re-secured the account. One command finishes it by hand: mfawatch kill.
 */
import { ResponseStore, type ResponseRow } from '../../storage/responses.js';
import { eventFromRow, type EventRow } from '../../storage/rows.js';
import type { Store } from '../../storage/store.js';
import type { ConfiguredNotifier } from '../config/load.js';
import type { Clock, Logger } from '../core/deps.js';
import { visible } from '../core/text.js';
import type { ChangeEvent } from '../core/types.js';
import type { KillObservation } from '../observability/metrics.js';
import { announce } from './announce.js';
import { linkedAccounts, type IdentityContext } from './identity.js';
import { invalidateEverywhere, killComplete, type ResponderInstance, type ServiceResult } from './invalidate.js';
import { killResultMessage } from './messages.js';

export interface ResponseRunnerDeps {
  store: Store;
  responders: readonly ResponderInstance[];
  identities: IdentityContext;
  notifiers: readonly ConfiguredNotifier[];
  clock: Clock;
  logger: Logger;
  actor: string;
  /** Longest one kill may take (ms). */
  killTimeout: number;
  /** Told of every kill that ended or was found interrupted (metrics). */
  onKill?: ((k: KillObservation) => void) | undefined;
  /** The zone of times in words for people (config `displayTimezone`); channels read by machines get UTC ISO. */
  displayTimezone: string;
}

export interface KillRequest {
  identity: string;
  /** Only these responder ids (default: all). */
  only?: readonly string[] | undefined;
  dryRun: boolean;
  timeoutMs?: number | undefined;
  actor?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface KillReport {
  responseId: number;
  identity: string;
  dryRun: boolean;
  results: ServiceResult[];
  ok: boolean;
}

function summarise(results: readonly ServiceResult[]): string {
  return results.map((r) => `${r.responderId}: ${r.outcome}`).join(', ');
}

export class ResponseRunner {
  readonly #d: ResponseRunnerDeps;
  readonly #responses: ResponseStore;

  constructor(deps: ResponseRunnerDeps) {
    this.#d = deps;
    this.#responses = new ResponseStore(deps.store);
  }

  get responses(): ResponseStore {
    return this.#responses;
  }

  #select(only: readonly string[] | undefined): ResponderInstance[] {
    return only?.length ? this.#d.responders.filter((r) => only.includes(r.id) || only.includes(r.type)) : [...this.#d.responders];
  }

  #event(id: number | null): ChangeEvent[] {
    if (id === null) return [];
    const row = this.#d.store.db.prepare(`SELECT * FROM events WHERE id = ?`).get(id) as EventRow | undefined;
    return row ? [eventFromRow(row)] : [];
  }

  /** Runs one claimed row and records, audits and announces its results. */
  async #execute(row: ResponseRow, request: KillRequest): Promise<KillReport> {
    const { store, clock, logger } = this.#d;
    const target = { identity: row.identity, accounts: linkedAccounts(store, this.#d.identities, row.identity) };
    const responders = this.#select(request.only);
    const results = await invalidateEverywhere(responders, target, { dryRun: request.dryRun, timeoutMs: request.timeoutMs ?? this.#d.killTimeout, signal: request.signal });
    const ok = killComplete(results);
    const at = clock.now();
    const events = this.#event(row.event_id);
    const message = killResultMessage({ identity: row.identity, by: row.origin === 'auto' ? 'auto-response' : `by ${request.actor ?? row.actor}`, dryRun: request.dryRun, results, cause: events[0] ?? null });
    store.transaction(() => {
      this.#responses.finish(row.id, at, ok, results);
      store.audit({
        at, actor: request.actor ?? row.actor, action: request.dryRun ? 'response.dry_run' : 'response.done', subject: row.identity,
        detail: { responseId: row.id, origin: row.origin, ok, results: results.map((r) => ({ responder: r.responderId, outcome: r.outcome, detail: r.detail, calls: r.calls })) },
      });
      // A dry run tells nobody: its decision was announced with the scan (or printed by `kill`).
      if (message) announce(store, this.#d.notifiers, { id: `response-${row.id}-done`, ...message, monitorId: row.monitor_id, events }, at, this.#d.displayTimezone);
    });
    logger.info({ responseId: row.id, identity: row.identity, dryRun: request.dryRun, ok }, `kill of ${row.identity}: ${summarise(results)}`);
    this.#d.onKill?.({ origin: row.origin, result: request.dryRun ? 'dry_run' : ok ? 'complete' : 'incomplete', services: results.map((r) => ({ responder: r.responderId, outcome: r.outcome })) });
    return { responseId: row.id, identity: row.identity, dryRun: request.dryRun, results, ok };
  }

  /** Runs every scheduled auto-response that is due, each claimed first. */
  async runDue(signal?: AbortSignal): Promise<KillReport[]> {
    const reports: KillReport[] = [];
    for (const row of this.#responses.due(this.#d.clock.now())) {
      if (signal?.aborted) break;
      if (!this.#responses.claim(row.id, this.#d.clock.now())) continue; // another process took it
      reports.push(await this.#execute(row, { identity: row.identity, dryRun: row.dry_run === 1, only: row.only ? (JSON.parse(row.only) as string[]) : undefined, signal }));
    }
    return reports;
  }

  /** A manual kill: recorded as claimed from the start, then run. */
  async kill(request: KillRequest): Promise<KillReport> {
    const now = this.#d.clock.now();
    const actor = request.actor ?? this.#d.actor;
    const id = this.#d.store.transaction(() => {
      const rowId = this.#responses.insert({ identity: request.identity, origin: 'manual', status: 'running', dryRun: request.dryRun, createdAt: now, dueAt: now, only: request.only, actor });
      this.#d.store.audit({ at: now, actor, action: 'response.manual', subject: request.identity, detail: { responseId: rowId, dryRun: request.dryRun, only: request.only ?? null } });
      return rowId;
    });
    const row = this.#responses.get(id);
    if (!row) throw new Error(`response ${id} vanished`);
    return this.#execute(row, { ...request, actor });
  }

  /**
   * Marks kills a dead process left running as interrupted (never re-run) and tells the team.
   * Only rows claimed longer ago than twice the kill timeout count: a kill still running in
   * another process is left alone.
   */
  recoverInterrupted(): ResponseRow[] {
    const { store, clock } = this.#d;
    const now = clock.now();
    const interrupted = store.transaction(() => {
      const rows = this.#responses.interruptRunning(now, new Date(now.getTime() - 2 * this.#d.killTimeout));
      for (const r of rows) {
        store.audit({ at: now, actor: this.#d.actor, action: 'response.interrupted', subject: r.identity, detail: { responseId: r.id, claimedAt: r.claimed_at } });
        announce(store, this.#d.notifiers, {
          id: `response-${r.id}-interrupted`,
          title: `session kill of ${r.identity} was interrupted`,
          text: (time) => visible(`mfawatch stopped while killing the sessions of ${r.identity} (started ${r.claimed_at ? time(r.claimed_at) : '?'}). It does not re-run a kill on its own, because it cannot tell which services were already reached. Check, then finish by hand: mfawatch kill ${r.identity}`),
          severity: 'critical',
          monitorId: r.monitor_id,
          events: this.#event(r.event_id),
        }, now, this.#d.displayTimezone);
      }
      return rows;
    });
    for (const r of interrupted) this.#d.onKill?.({ origin: r.origin, result: 'interrupted', services: [] });
    return interrupted;
  }

  /** Cancels the identity's kills still in their grace period; audits and announces it. */
  cancel(identity: string, actor: string): ResponseRow[] {
    const { store, clock } = this.#d;
    const now = clock.now();
    return store.transaction(() => {
      const rows = this.#responses.cancel(identity, now, `cancelled by ${actor}`);
      for (const r of rows) {
        store.audit({ at: now, actor, action: 'response.cancelled', subject: r.identity, detail: { responseId: r.id, dueAt: r.due_at } });
        announce(store, this.#d.notifiers, {
          id: `response-${r.id}-cancelled`,
          title: `session kill of ${r.identity} cancelled by ${actor}`,
          text: (time) => `The kill scheduled for ${time(r.due_at)} will not run.`,
          severity: 'high',
          monitorId: r.monitor_id,
          events: this.#event(r.event_id),
        }, now, this.#d.displayTimezone);
      }
      return rows;
    });
  }
}
