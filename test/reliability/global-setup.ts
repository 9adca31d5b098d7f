/**
 * Vitest global setup of the reliability figures: empties test/reliability/.results/ before the
 * run; after it, when every reliability suite published its figures, renders docs/RELIABILITY.md
 * from them (rewritten only when its content changed, and without timestamps, so it does not
 * churn). A partial run (one file, a filter) leaves the document alone.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderReliability } from './render.js';
import { RESULTS_DIR, type CorpusFigures, type CrashRow, type DeliveryMatrixRow, type EventFaultRow, type MatrixRow, type ProviderEventFaultRow, type ResponderMatrixRow } from './results.js';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'RELIABILITY.md');

export function setup(): void {
  rmSync(RESULTS_DIR, { recursive: true, force: true });
}

export function teardown(): void {
  const read = <T>(name: string): T | undefined => {
    const p = join(RESULTS_DIR, `${name}.json`);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined;
  };
  const matrix = read<MatrixRow[]>('fault-matrix');
  const crash = read<CrashRow[]>('crash');
  const corpus = read<CorpusFigures>('config-corpus');
  const responders = read<ResponderMatrixRow[]>('responder-matrix');
  const delivery = read<DeliveryMatrixRow[]>('delivery-matrix');
  const events = read<EventFaultRow[]>('event-faults');
  const providerEvents = read<ProviderEventFaultRow[]>('provider-event-faults');
  if (!matrix || !crash || !corpus || !responders || !delivery || !events || !providerEvents) return;
  const text = renderReliability(matrix, crash, corpus, responders, delivery, events, providerEvents);
  mkdirSync(dirname(DOC), { recursive: true });
  if (!existsSync(DOC) || readFileSync(DOC, 'utf8') !== text) writeFileSync(DOC, text);
}
