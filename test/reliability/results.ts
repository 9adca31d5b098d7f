/**
 * Figures observed by the reliability suites. Each suite writes its figures as one JSON file into
 * test/reliability/.results/ (emptied at the start of every run by global-setup.ts); at the end of
 * the run, global-setup.ts renders docs/RELIABILITY.md from them, so the published figures are
 * exactly what the tests observed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_DIR = join(import.meta.dirname, '.results');

export interface MatrixRow {
  module: string;
  fault: string;
  title: string;
  expected: 'failed' | 'held' | 'deferred' | 'n/a';
  observed: string;
  reason: string | null;
  message: string;
  falseAlerts: number;
  lostAlerts: number;
  duplicateDeliveries: number;
  stateChanged: boolean;
  notApplicable?: string;
  /** How the fault shows at this provider, when it differs from the shared title. */
  as?: string;
  /** Why the required outcome differs from the shared table's. */
  expectedBecause?: string;
}

/** One fault against one responder (`mfawatch kill`). */
export interface ResponderMatrixRow {
  module: string;
  fault: string;
  title: string;
  as?: string;
  /** The service's outcome under the fault (`failed` required), or n/a. */
  outcome: string;
  reason: string | null;
  message: string;
  /** Kills reported done that the service did not carry out. */
  falseKills: number;
  /** Kill requests beyond one once the service worked again. */
  repeatedKills: number;
  /** The kill after recovery did not end the sessions. */
  missedKills: number;
  notApplicable?: string;
}

export interface CrashRow {
  stage: string;
  how: string;
  integrity: string;
  lostAlerts: number;
  duplicateDeliveries: number;
  allowedDuplicates: number;
  /** Kill requests the responder's service received for the one kill decided (stages with auto-response). */
  kills?: number;
}

/** One fault of the event path (test/reliability/event-faults.test.ts). */
export interface EventFaultRow {
  source: string;
  fault: string;
  outcome: string;
  /** The HTTP answer or the line of `status` the operator sees. */
  operatorSees: string;
  falseAlerts: number;
  lostAlerts: number;
  duplicateAlerts: number;
}

/** One fault of one provider's event source (test/reliability/provider-event-faults.test.ts). */
export interface ProviderEventFaultRow extends EventFaultRow {
  /** The monitor type (`okta`). */
  provider: string;
  /** The shared fault title (event-harnesses/types.ts EVENT_FAULTS). */
  title: string;
  /** How the fault shows at this provider, when it differs from the shared title. */
  as?: string;
  /** Set when the fault cannot occur at this provider: why. */
  notApplicable?: string;
}

/** One fault of a notification channel's receiver (`mfawatch run` delivering to it). */
export interface DeliveryMatrixRow {
  channel: string;
  fault: string;
  title: string;
  /** How the fault shows at this channel, when it differs from the shared title. */
  as?: string;
  notApplicable?: string;
  /** What the batches sent under the fault required: stay queued (retried), or fail at once with the other channels told. */
  expected: 'queued' | 'failed' | 'n/a';
  /** What became of them. */
  observed: string;
  /** Every run under the fault ended within its delivery deadline plus one request timeout. */
  bounded: boolean;
  /** The healthy channel got every batch while this one failed (no starvation). */
  othersDelivered: boolean;
  /** After recovery the channel received the changes in the order they happened; null when the batches failed for good (`redeliver` sends them). */
  inOrder: boolean | null;
  lostAlerts: number;
  duplicateDeliveries: number;
  message: string;
}

export interface CorpusFigures {
  configs: number;
  rejectedWithExit2: number;
  namedThePath: number;
}

/** Writes one suite's figures. */
export function writeResults(name: 'fault-matrix' | 'responder-matrix' | 'crash' | 'config-corpus' | 'delivery-matrix' | 'event-faults' | 'provider-event-faults', data: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify(data, null, 2));
}
