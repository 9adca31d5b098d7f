/**
 * Microsoft Entra ID's directory audit log, translated for the core (monitors/events.ts).
 *
 * Polled as `GET /v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge <watermark − overlap>`,
 * following every `@odata.nextLink`. Entra makes audit entries queryable minutes after they
 * happen and not strictly in order, so each poll re-reads an overlap window and the core
 * deduplicates by the entry's `id`. The cursor is the newest `activityDateTime` seen.
 * https://learn.microsoft.com/en-us/graph/api/directoryaudit-list
 * https://learn.microsoft.com/en-us/graph/api/resources/directoryaudit
 * Activity names: https://learn.microsoft.com/en-us/entra/identity/monitoring-health/reference-audit-activities
 */
import { z } from 'zod';
import { entryKey, type AccountRef, type EventBatch, type HintTopic, type IgnoredEvent, type ProviderEvent } from '../events.js';

/** Activities used (activityDisplayName) → what to re-read. */
export const ENTRA_ACTIVITIES: Readonly<Record<string, HintTopic>> = {
  // loggedByService "Authentication Methods", category UserManagement
  'User deleted security info': 'mfa',
  'Admin deleted security info': 'mfa',
  'User updated security info': 'mfa',
  'Admin updated security info': 'mfa',
  'User changed default security info': 'mfa',
  'User registered security info': 'factor',
  'Admin registered security info': 'factor',
  'User registered all required security info': 'factor',
  // loggedByService "Core Directory"
  'Add user': 'membership',
  'Delete user': 'membership',
  'Add member to role': 'admin',
};

const auditUser = z.object({ id: z.string().nullish(), userPrincipalName: z.string().nullish(), ipAddress: z.string().nullish() });
export const directoryAuditShape = z.object({
  id: z.string().min(1),
  activityDisplayName: z.string(),
  activityDateTime: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  result: z.string().nullish(),
  loggedByService: z.string().nullish(),
  initiatedBy: z.object({ user: auditUser.nullish() }).nullish(),
  targetResources: z.array(z.object({ id: z.string().nullish(), type: z.string().nullish(), userPrincipalName: z.string().nullish() })).nullish(),
});

/** The cursor: the newest activityDateTime seen (ISO 8601). */
export interface EntraCursor {
  v: 1;
  watermark: string;
}

export function parseEntraCursor(cursor: string | undefined): EntraCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<EntraCursor>;
    return c.v === 1 && typeof c.watermark === 'string' && Number.isFinite(Date.parse(c.watermark)) ? { v: 1, watermark: c.watermark } : null;
  } catch {
    return null;
  }
}

/** Graph's DateTimeOffset literal for $filter (no quotes, whole seconds). */
export function graphTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Translates the audit entries of one poll; returns the batch with the new watermark. */
export function translateDirectoryAudits(raw: readonly unknown[], previous: Date, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = directoryAuditShape.safeParse(item);
    if (!parsed.success) {
      const id = typeof (item as { id?: unknown } | null)?.id === 'string' ? (item as { id: string }).id : undefined;
      ignored.push({ reason: 'malformed', message: `a directory audit entry without the documented fields (id, activityDisplayName, activityDateTime)${id ? ` (id ${id})` : ''}`, ...(id ? { id } : { key: entryKey(item) }) });
      continue;
    }
    const a = parsed.data;
    const at = new Date(a.activityDateTime);
    watermark = Math.max(watermark, at.getTime());
    const topic = ENTRA_ACTIVITIES[a.activityDisplayName];
    // The rest of the directory log (app, group, policy changes…) is not about MFA: not read further.
    if (!topic) continue;
    // The overlap re-reads a set-aside entry on every poll; the core counts it once, by its id
    // (an entry that arrives late, older than the watermark, is counted too).
    const ignore = (reason: IgnoredEvent['reason'], message: string) => {
      ignored.push({ reason, message: `${a.activityDisplayName}: ${message} (id ${a.id})`, id: a.id });
    };
    if (a.result !== 'success') {
      ignore('irrelevant', `result "${a.result ?? 'none'}", nothing changed`);
      continue;
    }
    const target = a.targetResources?.find((t) => (t.type ?? '').toLowerCase() === 'user' && t.id);
    // A user acting on their own security info may be named only as the initiator.
    const user = target ?? (a.activityDisplayName.startsWith('User ') && a.initiatedBy?.user?.id ? a.initiatedBy.user : undefined);
    if (!user?.id) {
      ignore('malformed', 'names no user object id');
      continue;
    }
    const account: AccountRef = { accountId: user.id, ...(user.userPrincipalName ? { login: user.userPrincipalName } : {}) };
    events.push({ id: a.id, occurredAt: at, scope: '', name: a.activityDisplayName, hint: { account, topic } });
  }
  const cursor: EntraCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
