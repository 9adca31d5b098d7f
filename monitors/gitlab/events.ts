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
import type { EventBatch, IgnoredEvent, ProviderEvent } from '../events.js';

export const TWO_FACTOR_DISABLED = 'user_disable_two_factor';

const auditEvent = z.object({
  id: z.number().int(),
  entity_id: z.number().int().nullish(),
  entity_type: z.string().nullish(),
  event_name: z.string().nullish(),
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

/** Translates the audit events of one poll; returns the batch with the new watermark. */
export function translateGitlabAudits(raw: readonly unknown[], previous: Date, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = auditEvent.safeParse(item);
    if (!parsed.success) {
      const id = typeof (item as { id?: unknown } | null)?.id === 'number' ? String((item as { id: number }).id) : undefined;
      ignored.push({ reason: 'malformed', message: `a GitLab audit event without the documented fields (id, created_at)${id ? ` (id ${id})` : ''}`, ...(id ? { id } : {}) });
      continue;
    }
    const a = parsed.data;
    const at = new Date(a.created_at);
    watermark = Math.max(watermark, at.getTime());
    const name = a.event_name ?? a.details?.event_name ?? null;
    // Other audit events (project, group, token changes…) are not read further.
    if (name !== TWO_FACTOR_DISABLED) continue;
    const id = String(a.id);
    const target = a.details?.target_type === 'User' && a.details.target_id !== undefined && a.details.target_id !== null ? String(a.details.target_id) : a.entity_type === 'User' && a.entity_id ? String(a.entity_id) : null;
    if (!target || !/^\d+$/.test(target)) {
      if (at.getTime() > previous.getTime()) ignored.push({ reason: 'malformed', message: `${TWO_FACTOR_DISABLED} names no user id (id ${id})`, id });
      continue;
    }
    const login = a.details?.target_details ?? undefined;
    events.push({ id, occurredAt: at, scope: '', name: TWO_FACTOR_DISABLED, hint: { account: { accountId: target, ...(login ? { login } : {}) }, topic: 'mfa' } });
  }
  const cursor: GitlabCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
