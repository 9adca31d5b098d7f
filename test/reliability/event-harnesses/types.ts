/**
 * The per-provider event fault matrix (test/reliability/provider-event-faults.test.ts): ONE list of
 * event faults (EVENT_FAULTS) and a small harness per provider event source, so every provider is
 * judged by the same rows and the same counts.
 *
 * ADDING A PULLED SOURCE: write one `ProviderEventHarness` in ./<provider>.ts (start the provider's
 * fake with `subject` holding MFA; log events in the provider's documented format; inject each fault
 * on the event endpoint or the single-account read as that provider answers it) and list it in
 * ./index.ts. ADDING A PUSHED SOURCE (a webhook on `inbound`): give the harness a `push` (./push.ts):
 * the hook's monitor id, a valid delivery about the subject, and the same delivery with a wrong
 * secret; the three push rows then run against it over real HTTP.
 * A MONITOR'S SECOND SOURCE (Entra `sign-ins`, Google `admin-roles`) is a harness of its own with
 * the same provider and its own `source`; `sibling` names the other source, which a fault on this
 * one must leave polling. A source whose events are facts (a sign-in: nothing to re-read) sets
 * `effect: 'fact'`. Rows only one source has go in its `extraRows`.
 */
import type { ChangeEventType } from '../../../src/core/types.js';
import type { EventRig } from './rig.js';

/** Every row of the per-provider table. */
export type EventFaultId =
  | 'unreachable'
  | 'auth'
  | 'throttled'
  | 'malformed'
  | 'foreign'
  | 'unknown_user'
  | 'storm'
  | 'verify_fails'
  | 'duplicate'
  | 'push_bad_secret'
  | 'push_replay'
  | 'push_5mb';

export interface EventFaultSpec {
  id: EventFaultId;
  /** What happens, in words (docs/RELIABILITY.md). */
  title: string;
}

/** The shared list, in table order. */
export const EVENT_FAULTS: readonly EventFaultSpec[] = [
  { id: 'unreachable', title: 'the event API answers 5xx (the poll fails; the next one catches up)' },
  { id: 'auth', title: 'the event API refuses the credential (401) or the permission (403)' },
  { id: 'throttled', title: "throttled: 429 with the provider's rate-limit headers" },
  { id: 'malformed', title: 'a body that is not JSON; an entry of the wrong shape' },
  { id: 'foreign', title: 'a foreign or irrelevant event' },
  { id: 'unknown_user', title: 'an event about a user mfawatch never stored' },
  { id: 'storm', title: 'a storm: 1,000 events about one account in one poll (paged)' },
  { id: 'verify_fails', title: 'the verification read answers 5xx' },
  { id: 'duplicate', title: 'the same event delivered twice' },
  { id: 'push_bad_secret', title: 'pushed: a wrong secret (nothing stored)' },
  { id: 'push_replay', title: 'pushed: a replayed event (same id)' },
  { id: 'push_5mb', title: 'pushed: a 5 MB body' },
];

/** Faults injected at the provider's event endpoint. */
export type EventEndpointFault = 'server' | 'unauthorized' | 'forbidden' | 'throttled' | 'not_json';

/** A pushed source of the harness (./push.ts runs its rows). */
export interface PushSpec {
  /** The pushed source's name (`event-hook`); it listens on /hooks/<the harness's monitor id>. */
  source: string;
  /** A new event about the subject as the provider pushes it; its id (uuid, log_id, id) is the dedupe key. */
  pushedEvent(): Record<string, unknown>;
  /** One delivery of `event` in the provider's documented request, with the right secret (`attempt` 1, 2, …: a redelivery). */
  delivery(event: Record<string, unknown>, attempt: number): { headers: Record<string, string>; body: string };
  /** The HTTP status the receiver answers an accepted delivery with. */
  acceptedStatus: number;
  /** The header that carries the secret (the rows' wording). */
  secretHeader: string;
  /** `headers` with a wrong secret. */
  withWrongSecret(headers: Record<string, string>): Record<string, string>;
}

/** One started fake with a committed-baseline-ready organisation. */
export interface EventFake {
  env: Record<string, string>;
  /** The monitor entry of the config, with its `events` block. */
  monitorEntry: Record<string, unknown>;
  /** The login the subject's alerts carry. */
  subjectLogin: string;
  /** Makes the real change to the subject at the fake; returns the change event it must raise. */
  change(): ChangeEventType;
  /** Appends an event about the subject (the n-th: distinct ids) to the provider's log at `at`. */
  logAboutSubject(at: Date, n?: number): void;
  /** Appends an event about a user the provider does not have (and mfawatch never stored). */
  logAboutUnknown(at: Date): void;
  /** Fact sources: the login that event names (its alert is about that login). */
  unknownLogin?: string;
  /** Appends events the source must set aside (counted) or not act on; returns them in words. */
  logForeign(at: Date): string;
  /** Appends an entry that is JSON but not the documented shape (set aside, counted). */
  logWrongShape(at: Date): void;
  /** Injects `fault` on the event endpoint until clear(); returns how it shows here. */
  inject(fault: EventEndpointFault): string;
  /** Makes the next read of the subject (the verification) answer 5xx. */
  injectReadFailure(): void;
  /**
   * Makes the next poll deliver again what the last one delivered: `overlap` when the source re-reads
   * a window by design (nothing to inject); else injects a repeated page. Returns how, in words.
   */
  repeatLastPage(last: ReadonlyArray<Record<string, unknown>>): string;
  /** The entries logged so far (for repeatLastPage). */
  logged(): ReadonlyArray<Record<string, unknown>>;
  /** Verification reads of the subject the fake answered so far. */
  subjectReads(): number;
  clear(): void;
  stop(): Promise<void>;
  push?: PushSpec;
}

/** What a row observed (the row itself is assembled by the suite). */
export interface RowObservation {
  outcome: string;
  operatorSees: string;
  falseAlerts: number;
  lostAlerts: number;
  duplicateAlerts: number;
}

/** A row only one source has, with its own observable (asserted inside `run`). */
export interface ExtraEventFault {
  id: string;
  title: string;
  as?: string;
  run(r: EventRig): Promise<RowObservation>;
}

export interface ProviderEventHarness {
  /** The monitor type (`okta`). */
  provider: string;
  /**
   * `hint` (default): an event makes the core re-read the account, and the verified change is the
   * one alert. `fact`: each event is its own alert (a sign-in without MFA), nothing is re-read, so
   * alerts are counted per provider event id.
   */
  effect?: 'hint' | 'fact';
  /** The monitor's other pulled source: a fault on this one must leave it polling, on its own cursor. */
  sibling?: string;
  /** Rows only this source has, after the shared ones. */
  extraRows?: readonly ExtraEventFault[];
  /** The config id of the monitor instance. */
  monitorId: string;
  /** The pulled source's name (`system-log`). */
  source: string;
  /** The pinned clock's start. */
  clockStart: string;
  /** How a fault shows at this provider, when the shared title needs it. */
  as?: Partial<Record<EventFaultId, string>>;
  /** Faults that cannot occur here, with the reason. */
  notApplicable?: Partial<Record<EventFaultId, string>>;
  /** Least wait (ms) the throttled row's answer asks for: the next poll must not be due before it. */
  throttleWaitMs: number;
  /** A pattern the `auth` row's two status lines must match (what to fix). */
  authFix: { unauthorized: RegExp; forbidden: RegExp };
  start(): Promise<EventFake>;
}
