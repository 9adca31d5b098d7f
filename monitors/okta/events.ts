/**
 * Okta's System Log, translated for the core (monitors/events.ts).
 *
 * Polled with Okta's polling pattern: the first request is `GET /api/v1/logs?since=…&sortOrder=
 * ASCENDING&filter=…&limit=…` (no `until`), and every later one is exactly the `Link: <…>;
 * rel="next"` URL of the previous answer. That link is the cursor: events can be persisted out
 * of order by `published`, so a time is not a safe cursor. An empty array means nothing new; the
 * same link is polled again. Dedupe is by the LogEvent's `uuid`.
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/SystemLog/
 * https://developer.okta.com/docs/reference/system-log-query/
 *
 * Event types (https://developer.okta.com/docs/reference/api/event-types/):
 * - user.mfa.factor.activate / .deactivate / .reset_all → re-read the target user (topic factor / mfa)
 * - user.lifecycle.create → re-read the new user (membership)
 * - user.account.privilege.grant → re-read the target user (admin)
 * - group.user_membership.add into one of `events.adminGroups` → re-read the user (admin)
 * - user.session.start (SUCCESS, password verified by Okta) with no user.authentication.auth_via_mfa
 *   (SUCCESS) carrying the same `authenticationContext.externalSessionId` within `events.mfaGrace`
 *   → the fact signin_without_mfa. Okta documents no field of user.session.start itself that says
 *   whether a second factor was verified (LogAuthenticationContext has authenticationProvider,
 *   credentialProvider, credentialType, issuer, interface, authenticationStep, externalSessionId;
 *   debugContext.debugData has no documented keys), so the two events of one session are paired.
 */
import { z } from 'zod';
import { sameSecret, type Secret } from '../../src/core/secret.js';
import type { AccountRef, EventBatch, IgnoredEvent, InboundRequest, InboundVerdict, ProviderEvent, PushedEventSource } from '../events.js';

/** The event types asked for with `filter`. */
export const OKTA_EVENT_TYPES = [
  'user.mfa.factor.activate',
  'user.mfa.factor.deactivate',
  'user.mfa.factor.reset_all',
  'user.lifecycle.create',
  'user.account.privilege.grant',
  'group.user_membership.add',
  'user.session.start',
  'user.authentication.auth_via_mfa',
] as const;

/** `filter=eventType eq "…" or …` for the first request (Okta keeps it in the next links). */
export function systemLogFilter(): string {
  return OKTA_EVENT_TYPES.map((t) => `eventType eq "${t}"`).join(' or ');
}

/** What mfawatch reads of a LogEvent. https://developer.okta.com/docs/api/openapi/okta-management/management/tag/SystemLog/#tag/SystemLog/operation/listLogEvents!c=200&path=authenticationContext */
const logActor = z.object({ id: z.string().min(1), type: z.string(), alternateId: z.string().nullish(), displayName: z.string().nullish() });
const logEvent = z.object({
  uuid: z.string().min(1),
  published: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  eventType: z.string().min(1),
  actor: logActor.nullish(),
  target: z.array(logActor).nullish(),
  outcome: z.object({ result: z.string(), reason: z.string().nullish() }).nullish(),
  client: z.object({ ipAddress: z.string().nullish(), userAgent: z.object({ rawUserAgent: z.string().nullish() }).nullish() }).nullish(),
  authenticationContext: z.object({ authenticationProvider: z.string().nullish(), credentialType: z.string().nullish(), externalSessionId: z.string().nullish() }).nullish(),
});
type LogEvent = z.infer<typeof logEvent>;

/** Sign-ins where Okta itself verified the primary credential; federated ones did MFA elsewhere. */
const OKTA_VERIFIED_PROVIDERS = new Set(['OKTA_AUTHENTICATION_PROVIDER', 'ACTIVE_DIRECTORY', 'LDAP']);

/** Sessions started and waiting for their MFA event; and sessions that did MFA, for the grace window. */
interface PendingSignin {
  uuid: string;
  at: number;
  session: string;
  user: AccountRef;
  ip: string | null;
  ua: string | null;
  cred: string | null;
}

/** The cursor: Okta's next link plus the sign-ins still inside the grace window. */
export interface OktaCursor {
  v: 1;
  next: string;
  pending: PendingSignin[];
  /** externalSessionId → when the MFA event was published (ms). */
  mfa: Record<string, number>;
}

/** Most sign-ins kept waiting in the cursor; beyond that the oldest are decided at once. */
export const MAX_PENDING = 2_000;

export function parseOktaCursor(cursor: string | undefined): OktaCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<OktaCursor>;
    if (c.v !== 1 || typeof c.next !== 'string' || !Array.isArray(c.pending) || typeof c.mfa !== 'object' || c.mfa === null) return null;
    return { v: 1, next: c.next, pending: c.pending, mfa: c.mfa };
  } catch {
    return null;
  }
}

function userRef(a: z.infer<typeof logActor>): AccountRef {
  return { accountId: a.id, ...(a.alternateId ? { login: a.alternateId } : {}) };
}

/**
 * Translates the LogEvents of one poll and decides the sign-ins whose grace window has passed.
 * `state` is updated in place (pending sign-ins, MFA sessions).
 */
export function translateOktaLogs(raw: readonly unknown[], state: OktaCursor, options: { now: Date; graceMs: number; adminGroups: readonly string[] }): { events: ProviderEvent[]; ignored: IgnoredEvent[] } {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  const adminGroups = new Set(options.adminGroups.map((g) => g.toLowerCase()));
  for (const item of raw) {
    const parsed = logEvent.safeParse(item);
    if (!parsed.success) {
      const uuid = typeof (item as { uuid?: unknown } | null)?.uuid === 'string' ? (item as { uuid: string }).uuid : undefined;
      ignored.push({ reason: 'malformed', message: `a System Log entry without the documented LogEvent fields (uuid, published, eventType)${uuid ? ` (uuid ${uuid})` : ''}`, ...(uuid ? { id: uuid } : {}) });
      continue;
    }
    const e = parsed.data;
    const translated = translateOne(e, state, adminGroups);
    if ('reason' in translated) ignored.push(translated);
    else if (translated.event) events.push(translated.event);
  }
  // Decide sign-ins whose window has passed (or the oldest, when too many wait).
  const now = options.now.getTime();
  const keep: PendingSignin[] = [];
  const overflow = Math.max(0, state.pending.length - MAX_PENDING);
  state.pending.forEach((p, index) => {
    if (state.mfa[p.session] !== undefined) return;
    if (index >= overflow && now - p.at < options.graceMs) {
      keep.push(p);
      return;
    }
    events.push({
      id: p.uuid,
      occurredAt: new Date(p.at),
      scope: '',
      name: 'user.session.start',
      fact: { type: 'signin_without_mfa', account: p.user, sourceIp: p.ip, userAgent: p.ua, detail: { credentialType: p.cred, externalSessionId: p.session } },
    });
  });
  state.pending = keep;
  for (const [session, at] of Object.entries(state.mfa)) if (now - at > 2 * options.graceMs) delete state.mfa[session];
  return { events, ignored };
}

function translateOne(e: LogEvent, state: OktaCursor, adminGroups: ReadonlySet<string>): { event?: ProviderEvent } | IgnoredEvent {
  const occurredAt = new Date(e.published);
  const base = { id: e.uuid, occurredAt, scope: '', name: e.eventType };
  const ignore = (reason: IgnoredEvent['reason'], message: string): IgnoredEvent => ({ reason, message: `${e.eventType}: ${message} (uuid ${e.uuid})`, id: e.uuid });
  const success = e.outcome?.result === 'SUCCESS';
  const targetUser = e.target?.find((t) => t.type === 'User');
  switch (e.eventType) {
    case 'user.mfa.factor.activate':
    case 'user.mfa.factor.deactivate':
    case 'user.mfa.factor.reset_all': {
      // An admin acting on a user names the user as target; a user acting on themselves may be named only as actor.
      const user = targetUser ?? (e.actor?.type === 'User' ? e.actor : undefined);
      if (!user) return ignore('malformed', 'names no user');
      return { event: { ...base, hint: { account: userRef(user), topic: e.eventType === 'user.mfa.factor.activate' ? 'factor' : 'mfa' } } };
    }
    case 'user.lifecycle.create':
    case 'user.account.privilege.grant': {
      if (!targetUser) return ignore('malformed', 'names no target user');
      return { event: { ...base, hint: { account: userRef(targetUser), topic: e.eventType === 'user.lifecycle.create' ? 'membership' : 'admin' } } };
    }
    case 'group.user_membership.add': {
      const group = e.target?.find((t) => t.type === 'UserGroup');
      if (!targetUser || !group) return ignore('malformed', 'names no user or no group');
      const isAdmin = adminGroups.has(group.id.toLowerCase()) || (group.displayName ? adminGroups.has(group.displayName.toLowerCase()) : false);
      if (!isAdmin) return ignore('irrelevant', 'a group not listed in events.adminGroups');
      return { event: { ...base, hint: { account: userRef(targetUser), topic: 'admin' } } };
    }
    case 'user.authentication.auth_via_mfa': {
      const session = e.authenticationContext?.externalSessionId;
      if (success && session) state.mfa[session] = Math.max(state.mfa[session] ?? 0, occurredAt.getTime());
      return {};
    }
    case 'user.session.start': {
      if (!success) return ignore('irrelevant', 'a failed sign-in');
      const user = e.actor?.type === 'User' ? e.actor : undefined;
      if (!user) return ignore('malformed', 'names no user as actor');
      const provider = e.authenticationContext?.authenticationProvider ?? null;
      if (!provider || !OKTA_VERIFIED_PROVIDERS.has(provider)) return ignore('irrelevant', `the credential was verified by ${provider ?? 'an unnamed provider'}, not by Okta: a second factor may have been asked there`);
      const session = e.authenticationContext?.externalSessionId;
      if (!session || session === 'unknown') return ignore('irrelevant', 'no authenticationContext.externalSessionId to pair with an MFA event');
      if (!state.pending.some((p) => p.uuid === e.uuid)) {
        state.pending.push({ uuid: e.uuid, at: occurredAt.getTime(), session, user: userRef(user), ip: e.client?.ipAddress ?? null, ua: e.client?.userAgent?.rawUserAgent ?? null, cred: e.authenticationContext?.credentialType ?? null });
      }
      return {};
    }
    default:
      return ignore('irrelevant', 'not an event type mfawatch acts on');
  }
}

/** Builds the batch of one poll. */
export function oktaBatch(translated: { events: ProviderEvent[]; ignored: IgnoredEvent[] }, state: OktaCursor, requests: number): EventBatch {
  return { events: translated.events, ignored: translated.ignored, cursor: JSON.stringify(state), requests };
}

// ── Event hook (push) ─────────────────────────────────────────────────────

/**
 * The body of an Okta event hook delivery: `data.events` holds System Log LogEvents.
 * https://developer.okta.com/docs/concepts/event-hooks/ ("Event hook request")
 */
const hookBody = z.object({
  eventType: z.literal('com.okta.event_hook'),
  eventId: z.string().min(1),
  data: z.object({ events: z.array(z.unknown()) }),
});

/** Sign-in events are judged by the System Log poller only: it pairs them with their MFA event. */
const POLLER_ONLY = new Set(['user.session.start', 'user.authentication.auth_via_mfa']);

/**
 * An Okta event hook at `/hooks/<monitor-id>`: the one-time verification GET answered with
 * `{"verification": <x-okta-verification-challenge>}`, then deliveries (POST) whose static
 * `Authorization` header must equal `events.hook.authorization`. Okta sends that header on the
 * verification request too, so both are refused without it. Each LogEvent goes through the same
 * translation as the System Log poller; dedupe is by its `uuid`, shared with the poller, so an event
 * seen both ways is acted on once. Answered 204 once committed (Okta documents 200 or 204, within 3 s).
 * https://developer.okta.com/docs/concepts/event-hooks/
 */
export function oktaEventHook(authorization: Secret, options: { now: () => Date; adminGroups: readonly string[] }): PushedEventSource {
  return {
    kind: 'push',
    name: 'event-hook',
    credential: { kind: 'token', header: 'Authorization', configKey: 'events.hook.authorization' },
    challenge(request: InboundRequest) {
      if (!sameSecret(request.headers.authorization, authorization)) return { status: 'unauthorized' };
      const value = request.headers['x-okta-verification-challenge'];
      if (!value) return { status: 'bad_request', message: 'a GET without the x-okta-verification-challenge header (only Okta\'s one-time verification request is answered)' };
      return { status: 'challenge', body: { verification: value } };
    },
    receive(request: InboundRequest): InboundVerdict {
      if (!sameSecret(request.headers.authorization, authorization)) return { status: 'unauthorized' };
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return { status: 'unsupported_media_type' };
      let json: unknown;
      try {
        json = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        return { status: 'bad_request', message: 'an event hook body that is not JSON' };
      }
      const parsed = hookBody.safeParse(json);
      if (!parsed.success) return { status: 'bad_request', message: 'an event hook body without eventType "com.okta.event_hook", eventId and data.events' };
      const ignored: IgnoredEvent[] = [];
      const raw: unknown[] = [];
      for (const item of parsed.data.data.events) {
        const type = (item as { eventType?: unknown } | null)?.eventType;
        const uuid = (item as { uuid?: unknown } | null)?.uuid;
        if (typeof type === 'string' && POLLER_ONLY.has(type)) {
          ignored.push({ reason: 'irrelevant', message: `${type}: sign-ins are judged by the System Log poller, which pairs them with their MFA event${typeof uuid === 'string' ? ` (uuid ${uuid})` : ''}`, ...(typeof uuid === 'string' ? { id: uuid } : {}) });
        } else raw.push(item);
      }
      // No sign-in reaches the translation, so its pairing state stays empty and is not kept.
      const state: OktaCursor = { v: 1, next: '', pending: [], mfa: {} };
      const translated = translateOktaLogs(raw, state, { now: options.now(), graceMs: 0, adminGroups: options.adminGroups });
      return { status: 'accepted', noContent: true, batch: { events: translated.events, ignored: [...ignored, ...translated.ignored] } };
    },
  };
}
