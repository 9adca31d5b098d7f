/**
 * The notifier contract (after Alertmanager's one-method Notifier): send one batch, or throw a
 * ProviderError whose reason tells the core whether trying again may help. Retry, backoff,
 * routing, batching and "mark as sent" live in src/delivery, never in a notifier.
 */
import { z } from 'zod';
import { instanceId, severity } from '../src/config/fields.js';
import { matcherSchema, type NotifierMatcher } from '../src/delivery/matcher-schema.js';
import type { ModuleDeps } from '../src/core/deps.js';
import { CHANGE_EVENT_TYPES, type ChangeEvent, type ChangeEventType, type Severity } from '../src/core/types.js';

/**
 * What a notifier's HTTP errors advise. It promises no retry: only the dispatcher knows whether it
 * tries again (it says so after the channel's words), and `mfawatch events` shows each delivery.
 */
export const AFTER_DELIVERY_FAILURE = '`mfawatch events` shows the delivery state';

/** What a batch is about. */
export type BatchKind = 'changes' | 'health' | 'reminder' | 'test' | 'response' | 'anomaly' | 'delivery_failure';

/** The monitor scope a batch came from. */
export interface BatchSource {
  monitorId: string;
  provider: string;
  type: string;
  scope: string;
  label: string;
}

/** One account in a reminder digest. */
export interface ReminderAccount {
  monitorId: string;
  scope: string;
  provider: string;
  accountId: string;
  login: string;
  email: string | null;
  kind: string;
  admin: boolean;
  mfa: 'disabled' | 'weak';
  factors: string[];
  url: string | null;
  /** Since when the account has been without MFA (ISO time). */
  withoutMfaSince: string;
}

/** The body of a `reminder` batch: the accounts still without MFA, acknowledged ones left out. */
export interface ReminderDigest {
  /** Listed accounts (capped for message size; `total` is exact). */
  accounts: ReminderAccount[];
  total: number;
  /** Accounts without MFA left out because someone acknowledged them (`mfawatch ack`). */
  acknowledged: number;
  /** The configured interval between digests, in ms. */
  intervalMs: number;
}

/** One message's worth of events: all events of one scan that pass one notifier's routing. */
export interface NotificationBatch {
  /** Stable id, the same on every retry (usable as an idempotency key). */
  id: string;
  kind: BatchKind;
  /** One line: "GitHub acme: 2 changes, highest critical". */
  title: string;
  /** Extra prose for batches that are not only events (test, health, response). */
  text?: string | undefined;
  severity: Severity;
  source: BatchSource | null;
  events: ChangeEvent[];
  createdAt: string;
  /** Only on `reminder` batches. */
  reminder?: ReminderDigest | undefined;
  /** Only on `delivery_failure` batches: the notifier that fails, or that recovered. */
  notifierHealth?: { notifierId: string; channel: string; state: 'failing' | 'recovered'; since: string; failures: number; lastError: string | null } | undefined;
}

export interface SendContext {
  signal: AbortSignal;
}

/** A configured channel. */
export interface Notifier {
  /** Delivers the batch; resolves only once the channel accepted it. */
  send(batch: NotificationBatch, ctx: SendContext): Promise<void>;
}

/** Config keys every notifier accepts: identity and routing. */
export const notifierCommonShape = {
  id: instanceId(),
  /** Only events at least this severe reach this notifier. */
  minSeverity: severity().default('info'),
  /** Only events of these monitor instance ids (default: all). */
  monitors: z.array(z.string()).min(1).optional(),
  /** Only these event types (default: all). */
  events: z.array(z.enum(CHANGE_EVENT_TYPES as [ChangeEventType, ...ChangeEventType[]])).min(1).optional(),
  /** Only events of what these teams own: any matcher matching (scopes, identities, githubTeams; src/delivery/matchers.ts). */
  match: z.array(matcherSchema).min(1).optional(),
} as const;

export interface NotifierCommonConfig {
  id: string;
  type: string;
  minSeverity: Severity;
  monitors?: string[] | undefined;
  events?: ChangeEventType[] | undefined;
  match?: NotifierMatcher[] | undefined;
}

/** Builds a notifier's strict config schema: common keys, fixed `type`, its own keys. */
export function notifierConfig<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ ...notifierCommonShape, type: z.literal(type), ...shape });
}

/** A notifier type. */
export interface NotifierModule<C extends NotifierCommonConfig = NotifierCommonConfig> {
  readonly type: string;
  /** Display name: "Slack", "email". */
  readonly channel: string;
  readonly configSchema: z.ZodType<C, unknown>;
  readonly secretKeys: readonly string[];
  /** Batch kinds this channel delivers (default: all). PagerDuty, for one, takes no digests. */
  readonly kinds?: readonly BatchKind[] | undefined;
  /**
   * Who reads the words of a batch (`title`, `text`) on this channel: `people` (Slack, Teams,
   * e-mail) get the times in them in `displayTimezone`, zone named; `machines` (the default: JSON
   * payloads, PagerDuty) keep UTC ISO. src/delivery/render.ts `timeFormatFor` picks the format.
   */
  readonly readers?: 'people' | 'machines' | undefined;
  /**
   * Events this channel needs whatever its minSeverity and events filters say (the monitors filter
   * still applies): PagerDuty needs `mfa_enabled` to resolve the incident the loss of MFA opened.
   */
  readonly routeAlso?: ((event: ChangeEvent) => boolean) | undefined;
  create(config: C, deps: ModuleDeps): Notifier;
}

/** Erases a module's own config type for the registry; the core only hands it configs its schema produced. */
export function registerNotifier<C extends NotifierCommonConfig>(module: NotifierModule<C>): NotifierModule<NotifierCommonConfig> {
  return module as unknown as NotifierModule<NotifierCommonConfig>;
}
