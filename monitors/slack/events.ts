/**
 * Slack Enterprise Grid's Audit Logs API, translated for the core (monitors/events.ts).
 *
 * Polled as `GET https://api.slack.com/audit/v1/logs?oldest=<watermark − overlap>&limit=…`, following
 * `response_metadata.next_cursor`; entries come newest first and the core deduplicates by their `id`.
 * https://api.slack.com/admins/audit-logs  https://api.slack.com/admins/audit-logs-call
 * Actions: https://api.slack.com/admins/audit-logs-actions
 *
 * Slack records no audit action when one member turns their own 2FA off: the scan stays the only
 * detector of that. What is used: role_change_to_admin / role_change_to_owner (re-read the member)
 * and pref.two_factor_auth_changed ("The two-factor authentication requirement changed. Includes a
 * details parameter noting the previous and new values": `details.previous_value` / `new_value`;
 * turned off → the fact mfa_requirement_disabled). `user_login` is not used: Slack documents no
 * field of it (nor any `details` field) that says whether a second factor was used, so a sign-in
 * without 2FA cannot be told from one with it.
 * https://docs.slack.dev/reference/audit-logs-api/methods-actions-reference
 */
import { z } from 'zod';
import { entryKey, type EventBatch, type IgnoredEvent, type ProviderEvent } from '../events.js';

const auditUser = z.object({ id: z.string().min(1), name: z.string().nullish(), email: z.string().nullish() });
/** `context.location`: read only to name the place, so an odd one never makes the entry malformed. */
const place = z.object({ type: z.string().nullish(), id: z.string().nullish(), name: z.string().nullish() }).nullish().catch(null);
/**
 * Actor ids that are not a member: Slack's placeholder when an event has no actor, and its security
 * agent resetting credentials (https://docs.slack.dev/admins/audit-logs-api#audit-event).
 */
const NOT_A_MEMBER: ReadonlySet<string> = new Set(['USLACKUSER', 'USLACKSECURITY']);
const entry = z.object({
  id: z.string().min(1),
  date_create: z.number().int(),
  action: z.string(),
  actor: z.object({ type: z.string().nullish(), user: auditUser.nullish() }).nullish(),
  entity: z
    .object({ type: z.string().nullish(), user: auditUser.nullish(), workspace: z.object({ id: z.string(), name: z.string().nullish() }).nullish(), enterprise: z.object({ id: z.string(), name: z.string().nullish() }).nullish() })
    .nullish(),
  context: z.object({ ip_address: z.string().nullish(), ua: z.string().nullish(), location: place }).nullish(),
  details: z.object({ new_value: z.unknown().optional(), previous_value: z.unknown().optional() }).passthrough().nullish(),
});

export const auditLogsPage = z.object({ entries: z.array(z.unknown()), response_metadata: z.object({ next_cursor: z.string().optional() }).optional() });

export interface SlackCursor {
  v: 1;
  /** Newest date_create seen (epoch seconds). */
  oldest: number;
}

export function parseSlackCursor(cursor: string | undefined): SlackCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<SlackCursor>;
    return c.v === 1 && typeof c.oldest === 'number' && Number.isInteger(c.oldest) ? { v: 1, oldest: c.oldest } : null;
  } catch {
    return null;
  }
}

/** Values read as "required" / "not required" (Slack documents that the values are there, not what they are: others are set aside). */
const OFF = new Set(['0', 'false', 'off', 'disabled', 'not_required', 'none']);
const ON = new Set(['1', 'true', 'on', 'enabled', 'required']);

function word(v: unknown): string | null {
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.trim().toLowerCase();
  return null;
}

/** Translates the entries of one poll; returns the batch with the new watermark. */
export function translateSlackAudit(raw: readonly unknown[], previous: number, requests: number): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let newest = previous;
  for (const item of raw) {
    const parsed = entry.safeParse(item);
    if (!parsed.success) {
      const id = typeof (item as { id?: unknown } | null)?.id === 'string' ? (item as { id: string }).id : undefined;
      ignored.push({ reason: 'malformed', message: `an audit log entry without the documented fields (id, date_create, action)${id ? ` (id ${id})` : ''}`, ...(id ? { id } : { key: entryKey(item) }) });
      continue;
    }
    const e = parsed.data;
    newest = Math.max(newest, e.date_create);
    // The overlap re-reads a set-aside entry on every poll; the core counts it once, by its id.
    const at = new Date(e.date_create * 1000);
    const base = { id: e.id, occurredAt: at, scope: '', name: e.action };
    if (e.action === 'role_change_to_admin' || e.action === 'role_change_to_owner') {
      const user = e.entity?.user;
      if (!user) {
        ignored.push({ reason: 'malformed', message: `${e.action} names no user (id ${e.id})`, id: e.id });
        continue;
      }
      events.push({ ...base, hint: { account: { accountId: user.id, ...(user.name ? { login: user.name } : {}) }, topic: 'admin' } });
      continue;
    }
    if (e.action === 'pref.two_factor_auth_changed') {
      const now = word(e.details?.new_value);
      const before = word(e.details?.previous_value);
      if (now !== null && OFF.has(now) && (before === null || ON.has(before))) {
        const actor = e.actor?.user;
        const by = actor && !NOT_A_MEMBER.has(actor.id) ? actor : undefined;
        const location = e.context?.location;
        const where = e.entity?.enterprise
          ? `organisation ${e.entity.enterprise.name ?? e.entity.enterprise.id}`
          : e.entity?.workspace
            ? `workspace ${e.entity.workspace.name ?? e.entity.workspace.id}`
            : location && (location.name || location.id)
              ? `${location.type === 'workspace' ? 'workspace' : 'organisation'} ${location.name || location.id}`
              : 'the organisation';
        events.push({
          ...base,
          fact: {
            type: 'mfa_requirement_disabled',
            ...(by ? { account: { accountId: by.id, ...(by.name ? { login: by.name } : {}) } } : {}),
            sourceIp: e.context?.ip_address ?? null,
            userAgent: e.context?.ua ?? null,
            detail: { where, previousValue: before, newValue: now, ...(actor && !by ? { actor: actor.id } : {}) },
          },
        });
      } else if (now === null || !ON.has(now)) {
        ignored.push({ reason: 'irrelevant', message: `pref.two_factor_auth_changed from "${before ?? '?'}" to "${now ?? '?'}": not recognised as the requirement being turned off (id ${e.id})`, id: e.id });
      }
      continue;
    }
    // Other actions (file downloads, channel changes, …) are not read further.
  }
  const cursor: SlackCursor = { v: 1, oldest: newest };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
