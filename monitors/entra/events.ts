/**
 * Microsoft Entra ID's directory audit log, translated for the core (monitors/events.ts).
 *
 * Polled as `GET /v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge <watermark − overlap>
 * &$orderby=activityDateTime asc`, following `@odata.nextLink` up to a page cap per poll (Graph's
 * reporting APIs allow 5 requests per 10 seconds: a long backlog is read over several polls, each
 * committing what it read). Entra makes audit entries queryable minutes after they happen and not
 * strictly in order, so each poll re-reads an overlap window and the core deduplicates by the
 * entry's `id`. The cursor is the newest `activityDateTime` read.
 * https://learn.microsoft.com/en-us/graph/api/directoryaudit-list
 * https://learn.microsoft.com/en-us/graph/api/resources/directoryaudit
 * Activity names: https://learn.microsoft.com/en-us/entra/identity/monitoring-health/reference-audit-activities
 *
 * Also the sign-in log (`translateSignIns`), polled the same way on createdDateTime: successful
 * interactive single-factor sign-ins become `signin_without_mfa` facts.
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

/**
 * The cursor: the newest activityDateTime (createdDateTime) read, ISO 8601. `resumeFrom`: the poll
 * stopped at its page cap with entries left; the next one continues from this time (the newest
 * entry it read) instead of re-reading the overlap.
 */
export interface EntraCursor {
  v: 1;
  watermark: string;
  resumeFrom?: string;
}

/** The cursor of a poll that stopped at its page cap: the same watermark, resuming from `at`. */
export function resumingAt(cursor: string, at: Date): string {
  const c = parseEntraCursor(cursor);
  return c ? JSON.stringify({ v: 1, watermark: c.watermark, resumeFrom: at.toISOString() } satisfies EntraCursor) : cursor;
}

export function parseEntraCursor(cursor: string | undefined): EntraCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as Partial<EntraCursor>;
    if (c.v !== 1 || typeof c.watermark !== 'string' || !Number.isFinite(Date.parse(c.watermark))) return null;
    const resume = typeof c.resumeFrom === 'string' && Number.isFinite(Date.parse(c.resumeFrom)) ? { resumeFrom: c.resumeFrom } : {};
    return { v: 1, watermark: c.watermark, ...resume };
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

// ── the sign-in log ──────────────────────────────────────────────────────────

/**
 * `authenticationRequirement` of a sign-in that needed only one factor: "the highest level of
 * authentication needed through all the sign-in steps, for sign-in to succeed" (the other value
 * is `multiFactorAuthentication`). Graph has this property only in its beta signIn resource.
 * https://learn.microsoft.com/en-us/graph/api/resources/signin?view=graph-rest-beta
 */
export const SINGLE_FACTOR = 'singleFactorAuthentication';

/**
 * `authenticationMethodsUsed` value of a FIDO2 security key or passkey: one gesture that proves
 * possession of the key and the user's PIN or biometric, so a single step that is not
 * "without MFA" even when no policy asked for a second one.
 */
const PASSWORDLESS_METHODS: ReadonlySet<string> = new Set(['FIDO']);

/** The fields of a signIn mfawatch reads (beta resource; others are ignored). */
export const signInShape = z.object({
  id: z.string().min(1),
  createdDateTime: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  userId: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  userType: z.string().nullish(),
  appDisplayName: z.string().nullish(),
  ipAddress: z.string().nullish(),
  userAgent: z.string().nullish(),
  clientAppUsed: z.string().nullish(),
  isInteractive: z.boolean().nullish(),
  authenticationRequirement: z.string().nullish(),
  authenticationMethodsUsed: z.array(z.string()).nullish(),
  conditionalAccessStatus: z.string().nullish(),
  status: z.object({ errorCode: z.number().nullish(), failureReason: z.string().nullish() }).nullish(),
});

/** Provider text kept in a fact: a string, trimmed and bounded, or null. */
function bounded(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  return v ? v.slice(0, max) : null;
}

/**
 * Translates the sign-ins of one poll into `signin_without_mfa` facts: a sign-in that was
 * interactive (`isInteractive`), succeeded (`status.errorCode` 0) and needed a single factor
 * (`authenticationRequirement`), of a user named by object id. Non-interactive, multi-factor and
 * failed sign-ins are not read further; guests are skipped when guests are not watched; a FIDO
 * (passwordless) sign-in, or one whose success cannot be told, is set aside with its id (the core
 * counts it once, however often the overlap re-reads it). Returns the batch with the new watermark
 * (the newest createdDateTime).
 * https://learn.microsoft.com/en-us/graph/api/resources/signin?view=graph-rest-beta
 * https://learn.microsoft.com/en-us/graph/api/resources/signinstatus
 */
export function translateSignIns(raw: readonly unknown[], previous: Date, requests: number, options: { includeGuests: boolean }): EventBatch {
  const events: ProviderEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  let watermark = previous.getTime();
  for (const item of raw) {
    const parsed = signInShape.safeParse(item);
    if (!parsed.success) {
      const id = typeof (item as { id?: unknown } | null)?.id === 'string' ? (item as { id: string }).id : undefined;
      ignored.push({ reason: 'malformed', message: `a sign-in without the documented fields (id, createdDateTime)${id ? ` (id ${id})` : ''}`, ...(id ? { id } : { key: entryKey(item) }) });
      continue;
    }
    const s = parsed.data;
    const at = new Date(s.createdDateTime);
    watermark = Math.max(watermark, at.getTime());
    if (s.isInteractive !== true || s.authenticationRequirement !== SINGLE_FACTOR) continue;
    const errorCode = s.status?.errorCode;
    if (typeof errorCode === 'number' && errorCode !== 0) continue; // a failed sign-in is not a sign-in
    if (!options.includeGuests && (s.userType ?? '').toLowerCase() === 'guest') continue;
    const ignore = (reason: IgnoredEvent['reason'], message: string) => {
      ignored.push({ reason, message: `sign-in ${s.id}: ${message}`, id: s.id });
    };
    if (typeof errorCode !== 'number') {
      ignore('malformed', 'no status.errorCode, so whether it succeeded cannot be told');
      continue;
    }
    const methods = (s.authenticationMethodsUsed ?? []).map((m) => bounded(m, 64)).filter((m): m is string => m !== null);
    if (methods.some((m) => PASSWORDLESS_METHODS.has(m))) {
      ignore('irrelevant', `a passwordless sign-in (${methods.join(', ')}): the key proves possession and the user's PIN or biometric in one step`);
      continue;
    }
    if (!s.userId) {
      ignore('malformed', 'names no user object id (userId)');
      continue;
    }
    const login = bounded(s.userPrincipalName, 256);
    events.push({
      id: s.id,
      occurredAt: at,
      scope: '',
      name: 'signIn',
      fact: {
        type: 'signin_without_mfa',
        account: { accountId: s.userId, ...(login ? { login } : {}) },
        sourceIp: bounded(s.ipAddress, 128),
        userAgent: bounded(s.userAgent, 512),
        detail: {
          signInId: s.id,
          authenticationRequirement: SINGLE_FACTOR,
          application: bounded(s.appDisplayName, 256),
          clientAppUsed: bounded(s.clientAppUsed, 128),
          conditionalAccessStatus: bounded(s.conditionalAccessStatus, 64),
          ...(methods.length > 0 ? { authenticationMethodsUsed: methods.join(', ') } : {}),
        },
      },
    });
  }
  const cursor: EntraCursor = { v: 1, watermark: new Date(watermark).toISOString() };
  return { events, ignored, cursor: JSON.stringify(cursor), requests };
}
