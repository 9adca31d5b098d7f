/**
 * Google Workspace's Reports API, translated for the core (monitors/events.ts).
 *
 * Polled as activities.list of the `login` application, once per event name used
 * (`eventName=2sv_disable`, `eventName=2sv_enroll`), with `startTime` = the newest activity time seen
 * minus an overlap window, following `nextPageToken`. Google documents that activities become
 * available with a lag (minutes, sometimes hours) and answers newest first, so every poll re-reads
 * the window and the core deduplicates by the activity's id (`id.uniqueQualifier` + `id.time`) and
 * the event name.
 * https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities/list
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/login
 * https://support.google.com/a/answer/7061566 (data retention and lag times)
 */
import { z } from 'zod';
import type { EventBatch, HintTopic, IgnoredEvent, ProviderEvent } from '../events.js';

/** The login audit events used (type 2sv_change) → what to re-read. */
export const GOOGLE_EVENTS: ReadonlyArray<{ name: string; topic: HintTopic }> = [
  { name: '2sv_disable', topic: 'mfa' },
  { name: '2sv_enroll', topic: 'factor' },
];

const activity = z.object({
  id: z.object({ time: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'), uniqueQualifier: z.string().min(1) }),
  actor: z.object({ email: z.string().nullish(), profileId: z.string().nullish() }).nullish(),
  ipAddress: z.string().nullish(),
  events: z.array(z.object({ name: z.string(), type: z.string().nullish() })).nullish(),
});

export const activitiesPage = z.object({ kind: z.literal('admin#reports#activities'), items: z.array(z.unknown()).optional(), nextPageToken: z.string().optional() });

export interface GoogleCursor {
  v: 1;
  watermark: string;
}

export function parseGoogleCursor(cursor: string | undefined): GoogleCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<GoogleCursor>;
    return c.v === 1 && typeof c.watermark === 'string' && Number.isFinite(Date.parse(c.watermark)) ? { v: 1, watermark: c.watermark } : null;
  } catch {
    return null;
  }
}

/** Translates the activities of one poll (all event names); returns the batch with the new watermark. */
export function translateActivities(raw: readonly unknown[], previous: Date, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = activity.safeParse(item);
    if (!parsed.success) {
      ignored.push({ reason: 'malformed', message: 'a Reports API activity without the documented fields (id.time, id.uniqueQualifier)' });
      continue;
    }
    const a = parsed.data;
    const at = new Date(a.id.time);
    watermark = Math.max(watermark, at.getTime());
    for (const e of a.events ?? []) {
      const used = GOOGLE_EVENTS.find((g) => g.name === e.name);
      if (!used) continue;
      const id = `${a.id.uniqueQualifier}:${a.id.time}:${e.name}`;
      const profileId = a.actor?.profileId ?? undefined;
      const email = a.actor?.email ?? undefined;
      if (!profileId && !email) {
        if (at.getTime() > previous.getTime()) ignored.push({ reason: 'malformed', message: `${e.name}: the activity names no user (id ${id})`, id });
        continue;
      }
      events.push({ id, occurredAt: at, scope: '', name: `login.${e.name}`, hint: { account: { ...(profileId ? { accountId: profileId } : {}), ...(email ? { login: email } : {}) }, topic: used.topic } });
    }
  }
  const cursor: GoogleCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
