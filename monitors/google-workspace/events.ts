/**
 * Google Workspace's Reports API, translated for the core (monitors/events.ts).
 *
 * One pulled source per application, each with its own cursor (so a failed page of one
 * application never moves the other's): activities.list of the `login` application for
 * `eventName=2sv_disable` and `eventName=2sv_enroll`, and of the `admin` application for
 * `eventName=ASSIGN_ROLE`; each with `startTime` = the newest activity time seen minus an overlap
 * window, following `nextPageToken`. Google documents that activities become available with a lag
 * (minutes, sometimes hours) and answers newest first, so every poll re-reads the window and the
 * core deduplicates by the activity's id (`id.uniqueQualifier` + `id.time`) and the event name.
 * https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities/list
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/login
 * https://developers.google.com/admin-sdk/reports/v1/appendix/activity/admin-delegated-admin-settings
 * https://support.google.com/a/answer/7061566 (data retention and lag times)
 */
import { z } from 'zod';
import { entryKey, type AccountRef, type EventBatch, type HintTopic, type IgnoredEvent, type ProviderEvent } from '../events.js';

/** The Reports API applications mfawatch polls. */
export type GoogleApplication = 'login' | 'admin';

/** Who an activity's event is about: the actor (login audit), or a documented string parameter (admin audit). */
type EventSubject = { from: 'actor' } | { from: 'parameter'; name: string };

/** One audit event used: its application, name, what to re-read and whose account it is. */
export interface GoogleEventUse {
  application: GoogleApplication;
  name: string;
  topic: HintTopic;
  subject: EventSubject;
}

/**
 * The audit events used → what to re-read.
 * - login, type 2sv_change: `2sv_disable`, `2sv_enroll`; the user is the actor.
 * - admin, type DELEGATED_ADMIN_SETTINGS: `ASSIGN_ROLE` with the parameters `ROLE_NAME` and
 *   `USER_EMAIL` (documented as the primary email address of the delegated administrator the role
 *   is assigned to); the actor is the administrator who assigned it, so the user is `USER_EMAIL`.
 *   Whatever the ROLE_NAME, the re-read decides whether the user is an admin. `UNASSIGN_ROLE` and
 *   `GRANT_ADMIN_PRIVILEGE` are not polled: their names and parameters could not be confirmed in
 *   Google's documentation (see README).
 */
export const GOOGLE_EVENTS: readonly GoogleEventUse[] = [
  { application: 'login', name: '2sv_disable', topic: 'mfa', subject: { from: 'actor' } },
  { application: 'login', name: '2sv_enroll', topic: 'factor', subject: { from: 'actor' } },
  { application: 'admin', name: 'ASSIGN_ROLE', topic: 'admin', subject: { from: 'parameter', name: 'USER_EMAIL' } },
];

/** The event names polled for one application, in order. */
export function eventNamesOf(application: GoogleApplication): string[] {
  return GOOGLE_EVENTS.filter((g) => g.application === application).map((g) => g.name);
}

/** A parameter as the Reports API documents it: `name` with `value`, `multiValue`, `boolValue`, `intValue`…; only string values are read. */
const parameter = z.object({ name: z.string(), value: z.string().nullish() });

const activity = z.object({
  id: z.object({ time: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'), uniqueQualifier: z.string().min(1) }),
  actor: z.object({ email: z.string().nullish(), profileId: z.string().nullish() }).nullish(),
  ipAddress: z.string().nullish(),
  // Parameters are read one by one (a parameter of another shape is skipped, not the activity).
  events: z.array(z.object({ name: z.string(), type: z.string().nullish(), parameters: z.array(z.unknown()).nullish() })).nullish(),
});
type Activity = z.infer<typeof activity>;

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

/** An email address as Google writes one (no spaces, one @, a bounded length); anything else is not a user. */
const EMAIL = /^[^@\s]{1,200}@[^@\s]{1,200}$/;

/** The string value of a named parameter of one event, when present and well formed. */
function stringParameter(parameters: readonly unknown[] | null | undefined, name: string): string | undefined {
  for (const p of parameters ?? []) {
    const parsed = parameter.safeParse(p);
    if (parsed.success && parsed.data.name === name && typeof parsed.data.value === 'string') return parsed.data.value;
  }
  return undefined;
}

/** Which account an event is about, or why none. */
function subjectOf(a: Activity, use: GoogleEventUse, parameters: readonly unknown[] | null | undefined): AccountRef | string {
  if (use.subject.from === 'actor') {
    const profileId = a.actor?.profileId ?? undefined;
    const email = a.actor?.email ?? undefined;
    if (!profileId && !email) return 'the activity names no user';
    return { ...(profileId ? { accountId: profileId } : {}), ...(email ? { login: email } : {}) };
  }
  const value = stringParameter(parameters, use.subject.name);
  if (value === undefined) return `the activity has no ${use.subject.name} parameter`;
  if (!EMAIL.test(value)) return `${use.subject.name} is not an email address`;
  return { login: value };
}

/**
 * Translates the activities of one poll of one application (all its event names); returns the
 * batch with the new watermark. An activity that cannot be used is set aside with its id; the
 * overlap re-reads it on every poll and the core counts it once, by that id.
 */
export function translateActivities(raw: readonly unknown[], previous: Date, requests: number, application: GoogleApplication = 'login'): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = activity.safeParse(item);
    if (!parsed.success) {
      ignored.push({ reason: 'malformed', message: 'a Reports API activity without the documented fields (id.time, id.uniqueQualifier)', key: entryKey(item) });
      continue;
    }
    const a = parsed.data;
    const at = new Date(a.id.time);
    watermark = Math.max(watermark, at.getTime());
    for (const e of a.events ?? []) {
      const use = GOOGLE_EVENTS.find((g) => g.application === application && g.name === e.name);
      if (!use) continue;
      const base = `${a.id.uniqueQualifier}:${a.id.time}:${e.name}`;
      const account = subjectOf(a, use, e.parameters);
      if (typeof account === 'string') {
        ignored.push({ reason: 'malformed', message: `${e.name}: ${account} (id ${base})`, id: base });
        continue;
      }
      // One admin activity could name several users; the login-audit id stays as it always was.
      const id = use.subject.from === 'parameter' ? `${base}:${(account.login ?? '').toLowerCase()}` : base;
      events.push({ id, occurredAt: at, scope: '', name: `${application}.${e.name}`, hint: { account, topic: use.topic } });
    }
  }
  const cursor: GoogleCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
