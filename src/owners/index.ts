/**
 * Owner notices (issue 15; src/owners/README.md): one pass opens cases for newly committed
 * events, checks deadlines, and delivers the owner outbox. `mfawatch run` makes one pass per
 * cycle, the daemon one per dispatcher pass.
 */
import type { App } from '../app.js';
import { checkOwnerDeadlines, openOwnerCases, ownersSettings, type DeadlineResult, type OpenResult } from './cases.js';
import { deliverOwnerNotices, type OwnerDeliveryTally } from './deliver.js';

export interface OwnerPass {
  opened: OpenResult;
  deadlines: DeadlineResult;
  /** Owner notices sent in this pass (set by the caller after delivering). */
  delivery?: OwnerDeliveryTally | undefined;
}

/** Opens new cases and checks deadlines (database only; the team's notices go through the outbox). */
export function updateOwnerCases(app: App): OwnerPass | null {
  if (!ownersSettings(app)) return null;
  return { opened: openOwnerCases(app), deadlines: checkOwnerDeadlines(app) };
}

/** Sends what is due in the owner outbox. */
export function deliverOwners(app: App, signal?: AbortSignal): Promise<OwnerDeliveryTally> {
  return deliverOwnerNotices(app, signal);
}

export { registerAnswerRoutes } from './links.js';
export { decideAutoResponse } from './cases.js';
