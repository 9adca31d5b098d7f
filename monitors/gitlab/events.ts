/**
 * GitLab's audit events, translated for the core (monitors/events.ts).
 *
 * Polled as `GET /api/v4/audit_events` (instance, administrator) or `GET /api/v4/groups/:id/audit_events`
 * (GitLab.com enterprise users, group Owner) with `created_after` = the newest `created_at` seen
 * minus an overlap window, following the Link rel="next" pages; the core deduplicates by the
 * event's `id`. https://docs.gitlab.com/api/audit_events/
 *
 * The event used is `user_disable_two_factor` ("Audit event triggered when user disables two
 * factor authentication", GitLab 15.1+; scoped to the user, or to the enterprise group for an
 * enterprise user): https://docs.gitlab.com/user/compliance/audit_event_types/
 */
import { z } from 'zod';
import { sameSecret, type Secret } from '../../src/core/secret.js';
import { entryKey, type EventBatch, type IgnoredEvent, type InboundRequest, type InboundVerdict, type ProviderEvent, type PushedEventSource } from '../events.js';

export const TWO_FACTOR_DISABLED = 'user_disable_two_factor';

const auditEvent = z.object({
  // An integer from the API; a string ("1") in streamed events of recent GitLab versions.
  id: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
  entity_id: z.number().int().nullish(),
  entity_type: z.string().nullish(),
  event_name: z.string().nullish(),
  // Streaming-only fields (https://docs.gitlab.com/user/compliance/audit_event_schema/).
  event_type: z.string().nullish(),
  target_id: z.union([z.number(), z.string()]).nullish(),
  target_type: z.string().nullish(),
  target_details: z.string().nullish(),
  ip_address: z.string().nullish(),
  created_at: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  details: z
    .object({
      event_name: z.string().nullish(),
      target_id: z.union([z.number(), z.string()]).nullish(),
      target_type: z.string().nullish(),
      target_details: z.string().nullish(),
    })
    .passthrough()
    .nullish(),
});
type AuditEvent = z.infer<typeof auditEvent>;

export const auditPage = z.array(z.unknown());

export interface GitlabCursor {
  v: 1;
  watermark: string;
}

export function parseGitlabCursor(cursor: string | undefined): GitlabCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<GitlabCursor>;
    return c.v === 1 && typeof c.watermark === 'string' && Number.isFinite(Date.parse(c.watermark)) ? { v: 1, watermark: c.watermark } : null;
  } catch {
    return null;
  }
}

/**
 * One audit event, pulled or streamed: `user_disable_two_factor` → re-read the user (mfa); another
 * event type → `other`; `user_disable_two_factor` without a numeric user id → malformed. The id is
 * the event's `id` as a string, the same both ways, so the core drops the second arrival.
 */
function translateAudit(a: AuditEvent): ProviderEvent | IgnoredEvent | 'other' {
  const name = a.event_type ?? a.event_name ?? a.details?.event_name ?? null;
  if (name !== TWO_FACTOR_DISABLED) return 'other';
  const id = String(a.id);
  const targetType = a.target_type ?? a.details?.target_type;
  const targetId = a.target_id ?? a.details?.target_id;
  const target = targetType === 'User' && targetId !== undefined && targetId !== null ? String(targetId) : a.entity_type === 'User' && a.entity_id ? String(a.entity_id) : null;
  if (!target || !/^\d+$/.test(target)) return { reason: 'malformed', message: `${TWO_FACTOR_DISABLED} names no user id (id ${id})`, id };
  const login = a.target_details ?? a.details?.target_details ?? undefined;
  return { id, occurredAt: new Date(a.created_at), scope: '', name: TWO_FACTOR_DISABLED, hint: { account: { accountId: target, ...(login ? { login } : {}) }, topic: 'mfa' } };
}

/** Translates the audit events of one poll; returns the batch with the new watermark. */
export function translateGitlabAudits(raw: readonly unknown[], previous: Date, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = auditEvent.safeParse(item);
    if (!parsed.success) {
      // The id as the schema accepts it: an integer, or a numeric string (streamed events).
      const rawId = (item as { id?: unknown } | null)?.id;
      const id = (typeof rawId === 'number' && Number.isInteger(rawId)) || (typeof rawId === 'string' && /^\d+$/.test(rawId)) ? String(rawId) : undefined;
      ignored.push({ reason: 'malformed', message: `a GitLab audit event without the documented fields (id, created_at)${id ? ` (id ${id})` : ''}`, ...(id ? { id } : { key: entryKey(item) }) });
      continue;
    }
    const at = new Date(parsed.data.created_at);
    watermark = Math.max(watermark, at.getTime());
    // Other audit events (project, group, token changes…) are not read further.
    const translated = translateAudit(parsed.data);
    if (translated === 'other') continue;
    if ('reason' in translated) {
      // Re-read in the overlap window on every poll: the core counts it once, by its id.
      ignored.push(translated);
      continue;
    }
    events.push(translated);
  }
  const cursor: GitlabCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}

// ── Streaming destination (push) ──────────────────────────────────────────

/** The header carrying a destination's verification token. */
export const STREAMING_TOKEN_HEADER = 'x-gitlab-event-streaming-token';
/** The header naming the streamed event's type (GitLab 15.0+). */
export const EVENT_TYPE_HEADER = 'x-gitlab-audit-event-type';

/**
 * A GitLab streaming audit event destination (HTTP, Ultimate) at `/hooks/<monitor-id>`: each POST
 * carries one audit event as JSON and the destination's verification token in
 * `X-Gitlab-Event-Streaming-Token`, which must equal `events.streaming.verificationToken`
 * (constant time; 401 otherwise, nothing stored). GitLab documents the request's Content-Type as
 * application/x-www-form-urlencoded although the body is JSON, so the body is read as JSON whatever
 * its type. GitLab may stream an event more than once; the core deduplicates by its `id`, shared
 * with the pulled audit events. https://docs.gitlab.com/user/compliance/audit_event_streaming/,
 * https://docs.gitlab.com/user/compliance/audit_event_schema/
 */
export function gitlabStreamingDestination(verificationToken: Secret): PushedEventSource {
  return {
    kind: 'push',
    name: 'audit-stream',
    credential: { kind: 'token', header: 'X-Gitlab-Event-Streaming-Token', configKey: 'events.streaming.verificationToken' },
    receive(request: InboundRequest): InboundVerdict {
      if (!sameSecret(request.headers[STREAMING_TOKEN_HEADER], verificationToken)) return { status: 'unauthorized' };
      let json: unknown;
      try {
        json = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        return { status: 'bad_request', message: 'a streamed audit event that is not JSON' };
      }
      const headerType = request.headers[EVENT_TYPE_HEADER];
      const withType = json !== null && typeof json === 'object' && !Array.isArray(json) && headerType && !(json as { event_type?: unknown }).event_type ? { ...json, event_type: headerType } : json;
      const parsed = auditEvent.safeParse(withType);
      if (!parsed.success) return { status: 'bad_request', message: 'a streamed audit event without the documented fields (id, created_at)' };
      const id = String(parsed.data.id);
      const translated = translateAudit(parsed.data);
      const batch: EventBatch =
        translated === 'other'
          ? { events: [], ignored: [{ reason: 'irrelevant', message: `${(parsed.data.event_type ?? parsed.data.event_name ?? 'an audit event').slice(0, 80)}: not an audit event type mfawatch acts on (filter the destination to ${TWO_FACTOR_DISABLED}; id ${id})`, id }] }
          : 'reason' in translated
            ? { events: [], ignored: [translated] }
            : { events: [translated], ignored: [] };
      return { status: 'accepted', batch };
    },
  };
}
