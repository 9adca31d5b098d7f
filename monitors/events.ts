/**
 * The event-source contract (DESIGN.md, "Seeing changes as they happen"): how a monitor hands the
 * core what its provider pushed or what a poll of its event stream returned. The core owns the
 * rest: the durable cursor (committed in the same transaction as what the events produced),
 * dedupe by provider event id, coalescing hints per account, verification through
 * `Monitor.readAccount`, the diff/policy/outbox/auto-response path, metrics and `status`.
 *
 * A module translates; it never commits, alerts or retries on its own.
 */
import { createHash } from 'node:crypto';
import type { Observation } from '../src/core/types.js';
import type { ScopeInfo } from './types.js';

/** What an event says about one account, for the core to verify at the provider. */
export type HintTopic = 'mfa' | 'factor' | 'admin' | 'membership' | 'credential';

/** Which account an event is about. At least one of accountId / login is set. */
export interface AccountRef {
  /** The provider's stable id (GitHub user id, IAM user ARN), when the event carries it. */
  accountId?: string;
  /** The login (GitHub login, IAM user name), when that is all the event names. */
  login?: string;
}

/**
 * A fact that exists only as an event: nothing a later `readAccount` or scan could see.
 * Committed as a change event of the same type. A factor or credential that a reading does show
 * (Observation.factors / Observation.credentials) belongs in a hint (topic `factor` /
 * `credential`) instead: the verification then commits `factor_added` / `credential_added` once,
 * and the next scan, diffing against that state, does not report it again. As a fact it would be
 * reported twice (the fact, then the scan's diff).
 */
export interface EventFact {
  type: 'signin_without_mfa' | 'factor_added' | 'credential_added' | 'mfa_requirement_disabled';
  account?: AccountRef;
  /** Whether the account is an administrator / root, when the event itself says so (root sign-in). */
  admin?: boolean;
  /** The account's kind when the event says so (`root`, `iam_user`). */
  kind?: string;
  sourceIp?: string | null;
  userAgent?: string | null;
  /** Provider-specific detail worth showing (factor type, key id, the API call's name). Plain data. */
  detail?: Record<string, string | number | boolean | null>;
}

/** One provider event, translated. */
export interface ProviderEvent {
  /** The provider's own unique id (CloudTrail eventID, X-GitHub-Delivery, Okta uuid): the dedupe key. */
  id: string;
  /** When the provider says it happened; detection lag is measured from here. */
  occurredAt: Date;
  /** The scope (AWS account id, '' for single-scope monitors) the event belongs to. */
  scope: string;
  /** The provider's name of the event (`DeactivateMFADevice`, `organization.member_removed`). */
  name: string;
  /** Re-read this account at the provider (same diff path as a scan). */
  hint?: { account: AccountRef; topic: HintTopic };
  /** A fact to commit as its own change event. */
  fact?: EventFact;
}

/**
 * Why an event or message was set aside without effect (kept, counted and shown in `status`;
 * never silently dropped): not for any monitored scope, a body that is not the provider's format,
 * an event type mfawatch does not act on.
 */
export interface IgnoredEvent {
  reason: 'unknown_scope' | 'malformed' | 'foreign' | 'irrelevant';
  message: string;
  /**
   * The provider's id of the entry, whenever it has one: the core counts a set-aside entry once by
   * it, however often a source re-reads it (an overlap window).
   */
  id?: string;
  /**
   * For an entry without an id (a body missing its documented fields): what still tells it apart
   * across re-reads, `entryKey(raw)`. Without id or key, every reading counts.
   */
  key?: string;
}

/** A stable key of a raw provider entry that has no usable id: a digest of its JSON. */
export function entryKey(raw: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(raw) ?? 'undefined').digest('hex').slice(0, 32)}`;
}

/**
 * Why a pulled source is off: the provider refuses it for a reason that retrying cannot fix (a
 * licence or plan the tenant does not have), not a failure to back off from and retry.
 */
export interface SourceOff {
  /** What the provider said, in words: "the tenant has no Entra ID P1/P2 licence: …". */
  reason: string;
  /** What the operator can do: license the tenant and restart, or turn the source off in the config. */
  hint: string;
}

/** What one poll of a pulled source returned. */
export interface EventBatch {
  events: ProviderEvent[];
  ignored: IgnoredEvent[];
  /** The cursor after this batch (opaque to the core), committed with the batch's effects. */
  cursor?: string;
  /**
   * Called by the core only after everything the batch produced is committed (SQS DeleteMessage).
   * A rejection is logged; the provider redelivers and dedupe makes it harmless.
   */
  acknowledge?(signal: AbortSignal): Promise<void>;
  /** Provider API requests this poll made (a probe's cost, shown in `status`); default 1. */
  requests?: number;
  /**
   * Pulled sources: set when the source is off from now on (SourceOff). The core records it with the
   * batch, warns once in the log, shows it in `status`, the console, `mfawatch run`'s output and
   * `/metrics` (mfawatch_event_source_disabled), and polls the source no more in this process; a
   * later batch without it (after a restart, the licence bought) turns the source back on. Not a
   * failure: `run` does not exit 1 over it. Put nothing else in such a batch.
   */
  disabled?: SourceOff;
}

/** A pulled source: an SQS queue, a log API polled with a cursor, a fast probe. */
export interface PulledEventSource {
  readonly kind: 'pull';
  /** `sqs`, `probe`, `system-log`: shown in `status` and metrics. */
  readonly name: string;
  /** Milliseconds between polls (0 for a long poll that waits by itself). */
  readonly intervalMs: number;
  /**
   * With `intervalMs` 0: milliseconds to wait after a poll that brought nothing, for a source whose
   * poll answers at once when there is nothing to read (an SQS short poll, `waitTimeSeconds: 0`);
   * without it such a source would be polled in a tight loop.
   */
  readonly idleIntervalMs?: number;
  /** Reads the next batch after `cursor` (undefined the first time). Throw a ProviderError on failure. */
  poll(cursor: string | undefined, signal: AbortSignal): Promise<EventBatch>;
}

/** An HTTP request as the inbound receiver saw it: the raw body, exactly as received. */
export interface InboundRequest {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

/** What a pushed source made of one request. */
export type InboundVerdict =
  /** `noContent`: answered 204 with no body (providers that document 200/204 only, such as Okta) instead of 202. */
  | { status: 'accepted'; batch: EventBatch; noContent?: boolean }
  /** Answered at once (a provider's verification challenge); nothing to commit. */
  | { status: 'challenge'; body: unknown }
  /** Bad or missing signature or token (see PushedEventSource.credential): 401, nothing stored. */
  | { status: 'unauthorized' }
  | { status: 'unsupported_media_type' }
  | { status: 'bad_request'; message: string };

/**
 * How a pushed request proves it comes from the provider: a signature over the body made with a
 * shared secret (GitHub's X-Hub-Signature-256), or a static token sent as is in a header (Okta's
 * event hook and Auth0's Log Stream Authorization, GitLab's X-Gitlab-Event-Streaming-Token).
 * `header` is named as the provider documents it; `configKey` is the config key holding the secret
 * (relative to the monitor entry). For the operator's message about a refused request only.
 */
export interface PushCredential {
  kind: 'signature' | 'token';
  header: string;
  configKey: string;
}

/** A pushed source: a webhook at `POST /hooks/<monitor-id>` on `inbound.listen`. */
export interface PushedEventSource {
  readonly kind: 'push';
  readonly name: string;
  /** What a refused request lacked (`status` and the log say it; the HTTP answer does not). */
  readonly credential: PushCredential;
  /**
   * Checks the signature over the raw body and translates; must not do I/O beyond that. May be
   * async (signature libraries such as @octokit/webhooks-methods verify asynchronously).
   */
  receive(request: InboundRequest): InboundVerdict | Promise<InboundVerdict>;
  /**
   * Optional: answers a provider's verification GET to the hook URL (Okta's one-time
   * `x-okta-verification-challenge`). Checks the secret; no I/O, nothing committed. Without it,
   * a GET to the hook answers 404.
   */
  challenge?(request: InboundRequest): Extract<InboundVerdict, { status: 'challenge' | 'unauthorized' | 'bad_request' }>;
}

export type EventSource = PulledEventSource | PushedEventSource;

/**
 * What `Monitor.readAccount` returns: the verified reading of one account, `gone` only when the
 * provider confirmed the account does not exist (404 / NoSuchEntity), never on an error (throw).
 */
export type AccountReading = { status: 'present'; observation: Observation } | { status: 'gone'; account: AccountRef };

/** Optional monitor capabilities for events; see Monitor in ./types.ts. */
export interface MonitorEventCapabilities {
  /** Re-reads one account at the provider. */
  readAccount?(scope: ScopeInfo, account: AccountRef, signal: AbortSignal): Promise<AccountReading>;
  /** The instance's event sources, built from its `events` config block; empty without one. */
  eventSources?(): readonly EventSource[];
}
