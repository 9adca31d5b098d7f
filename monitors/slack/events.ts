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
 * and pref.two_factor_auth_changed (the organisation's or workspace's 2FA requirement; turned off →
 * the fact mfa_requirement_disabled).
 */
import { z } from 'zod';
import { entryKey, type EventBatch, type IgnoredEvent, type ProviderEvent } from '../events.js';

const auditUser = z.object({ id: z.string().min(1), name: z.string().nullish(), email: z.string().nullish() });
const entry = z.object({
  id: z.string().min(1),
  date_create: z.number().int(),
  action: z.string(),
  actor: z.object({ type: z.string().nullish(), user: auditUser.nullish() }).nullish(),
  entity: z
    .object({ type: z.string().nullish(), user: auditUser.nullish(), workspace: z.object({ id: z.string(), name: z.string().nullish() }).nullish(), enterprise: z.object({ id: z.string(), name: z.string().nullish() }).nullish() })
    .nullish(),
  context: z.object({ ip_address: z.string().nullish(), ua: z.string().nullish() }).nullish(),
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

const OFF = new Set(['0', 'false', 'off', 'disabled', 'not_required', 'none', '']);
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
        const by = e.actor?.user;
        const where = e.entity?.enterprise ? `organisation ${e.entity.enterprise.name ?? e.entity.enterprise.id}` : e.entity?.workspace ? `workspace ${e.entity.workspace.name ?? e.entity.workspace.id}` : 'the organisation';
        events.push({
          ...base,
          fact: {
            type: 'mfa_requirement_disabled',
            ...(by ? { account: { accountId: by.id, ...(by.name ? { login: by.name } : {}) } } : {}),
            sourceIp: e.context?.ip_address ?? null,
            userAgent: e.context?.ua ?? null,
            detail: { where, previousValue: before, newValue: now },
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
