/**
 * The provider fault matrix: ONE shared table of provider faults (FAULTS) and a small harness
 * interface per provider module. test/reliability/fault-matrix.test.ts runs every fault against
 * every registered harness through the real CLI (`mfawatch run`), a real SQLite file and the
 * provider's fake on loopback, and checks the same four promises for each:
 *   1. no false change event while the fault lasts;
 *   2. no state change (accounts and history untouched);
 *   3. the scan is recorded as failed (or held, for a mass change) with a message that says what
 *      to do, and the monitor-health alert is delivered;
 *   4. the next good scan shows exactly the real change made meanwhile: nothing spurious, nothing
 *      lost, nothing delivered twice.
 *
 * ADDING A MONITOR: write one `MonitorHarness` in test/reliability/harnesses/<type>.ts (start the
 * module's fake with an organisation of ≥ 200 accounts paginated over ≥ 3 pages; `inject` each
 * fault the way that provider would show it; list the faults that cannot occur at that provider in
 * `notApplicable` with the reason) and add it to HARNESSES in harnesses/index.ts. Nothing else: the
 * runner, the figures and docs/RELIABILITY.md pick it up.
 *
 * ADDING A RESPONDER: write one `ResponderHarness` (its fake knowing one identity; `inject` each
 * fault on the look-up or the kill call as the service would show it; a responder that acts only
 * on monitor-linked accounts also gives the `linking` monitor) and add it to
 * RESPONDER_HARNESSES in harnesses/index.ts. The runner drives `mfawatch kill` against it: no
 * session reported killed that was not, the failure recorded with what to do, no kill repeated.
 */
import type { ChangeEventType } from '../../src/core/types.js';

/** Every fault of the matrix. */
export type FaultId =
  | 'server_error'
  | 'rate_limit_429'
  | 'rate_limit_primary_403'
  | 'rate_limit_secondary_403'
  | 'unauthorized_401'
  | 'permission_403'
  | 'not_found_404'
  | 'connection_refused'
  | 'reset_mid_body'
  | 'timeout'
  | 'truncated_body'
  | 'wrong_shape'
  | 'empty_list'
  | 'missing_page'
  | 'duplicate_across_pages'
  | 'short_last_page';

export interface FaultSpec {
  id: FaultId;
  /** What the provider does, in words (for docs/RELIABILITY.md). */
  title: string;
  /**
   * How the scan must end: failed (nothing committed); held by the mass-change guard; or
   * deferred: committed, but the accounts missing from it kept until a second scan agrees (a
   * listing cut short where the provider gives no count to check it against).
   */
  expect: 'failed' | 'held' | 'deferred';
}

/** The shared table. */
export const FAULTS: readonly FaultSpec[] = [
  { id: 'server_error', title: '5xx answer mid-pagination', expect: 'failed' },
  { id: 'rate_limit_429', title: '429 with Retry-After beyond the scan deadline', expect: 'failed' },
  { id: 'rate_limit_primary_403', title: '403 primary rate limit (remaining 0, reset in 1h)', expect: 'failed' },
  { id: 'rate_limit_secondary_403', title: '403 secondary rate limit with Retry-After', expect: 'failed' },
  { id: 'unauthorized_401', title: '401: token revoked', expect: 'failed' },
  { id: 'permission_403', title: '403: permission missing', expect: 'failed' },
  { id: 'not_found_404', title: '404: scope gone or invisible', expect: 'failed' },
  { id: 'connection_refused', title: 'connection refused', expect: 'failed' },
  { id: 'reset_mid_body', title: 'connection reset mid-body', expect: 'failed' },
  { id: 'timeout', title: 'no answer (request timeout)', expect: 'failed' },
  { id: 'truncated_body', title: 'truncated body (JSON/XML/CSV cut short)', expect: 'failed' },
  { id: 'wrong_shape', title: 'valid JSON of the wrong shape', expect: 'failed' },
  { id: 'empty_list', title: 'an empty list where there were hundreds', expect: 'held' },
  { id: 'missing_page', title: 'one page missing mid-pagination', expect: 'failed' },
  { id: 'duplicate_across_pages', title: 'the same accounts on two pages', expect: 'failed' },
  // No error, no gap, no repeat: only a count can tell (GitHub's member count, Auth0's total,
  // GetAccountSummary's Users); without one, the missing accounts wait for a second scan.
  { id: 'short_last_page', title: 'the last page cut at a row boundary (50 rows answered as 40, no next link, no error)', expect: 'deferred' },
];

/** One started fake of a provider, with a good organisation in it. */
export interface HarnessRun {
  /** The monitor config entry for the current state (secrets as "${ENV}" references). */
  monitorEntry(): Record<string, unknown>;
  /** The environment the entry's references need. */
  env: Record<string, string>;
  /** Makes the provider show `fault` until `clear()`. */
  inject(fault: FaultId): Promise<void> | void;
  /** Back to a healthy provider with the same organisation. */
  clear(): Promise<void> | void;
  /** Makes one real change at the provider; returns the event it must produce. */
  makeRealChange(): { type: ChangeEventType; accountId: string };
  stop(): Promise<void>;
}

/** How the matrix drives one monitor module. */
export interface MonitorHarness {
  kind: 'monitor';
  /** The module's config `type`. */
  type: string;
  /** The matrix row label when one module has several harnesses (e.g. "aws-iam (live)"); default `type`. */
  name?: string;
  /** Faults that cannot occur at this provider, each with the reason (shown in RELIABILITY.md). */
  notApplicable?: Partial<Record<FaultId, string>>;
  /**
   * How a fault shows at this provider when it differs from the shared title (e.g. AWS throttles
   * with a `Throttling` error, not 429; a program "returns 5xx" by exiting non-zero). Shown in
   * RELIABILITY.md next to the shared title.
   */
  as?: Partial<Record<FaultId, string>>;
  /**
   * A different required outcome than the shared table's, with the reason (shown in
   * RELIABILITY.md): e.g. a page dropped from a cursor-paged listing that carries no total cannot
   * be told from a shorter list, so the mass-change guard must hold it.
   */
  expectOverride?: Partial<Record<FaultId, { expect: FaultSpec['expect']; why: string }>>;
  start(): Promise<HarnessRun>;
}

/** One started fake of a session-invalidation service, knowing `identity`. */
export interface ResponderRun {
  /** The responder config entry (secrets as "${ENV}" references). */
  responderEntry(): Record<string, unknown>;
  env: Record<string, string>;
  /** Whose sessions `mfawatch kill` asks to end. */
  identity: string;
  inject(fault: FaultId): Promise<void> | void;
  clear(): Promise<void> | void;
  /** Session kills the service really carried out so far. */
  killsSeen(): number;
  /**
   * For a responder that acts only on accounts a monitor linked (github, aws-iam): the monitor
   * entry whose scan, run once before the fault is injected, stores the identity's accounts, and
   * the identities.map entries that link them to the identity.
   */
  linking?: { monitorEntry(): Record<string, unknown>; identities: Record<string, string> };
  stop(): Promise<void>;
}

/**
 * How the matrix drives one responder module: `mfawatch kill IDENTITY --yes` with the fault
 * injected must fail for that service (exit 1, no kill reported that did not happen, the failure
 * recorded with what to do), and the next kill once the service works must kill exactly once.
 */
export interface ResponderHarness {
  kind: 'responder';
  type: string;
  notApplicable?: Partial<Record<FaultId, string>>;
  as?: Partial<Record<FaultId, string>>;
  start(): Promise<ResponderRun>;
}
