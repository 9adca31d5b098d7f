/**
 * Silences, like Alertmanager's: matchers (monitor, scope, event types, an account pattern, an
 * identity), an expiry and a reason. A change event that a silence in force matches is recorded
 * as usual (state, history, events, audit) but queued for no notifier; `events` shows it as
 * silenced. Applied in one place, where the outbox is written (src/delivery/outbox.ts).
 *
 * Never silenced: monitor health (`scan_failed`, `scan_recovered`, `stale_data`) and `anomaly`
 * (a scan held by the mass-change guard: it waits for an operator, and silencing it would hide
 * that mfawatch stopped applying changes); nor session-kill decisions and results (response
 * batches, src/response/announce.ts), which never pass through here.
 */
import { SilenceStore, type SilenceRecord } from '../../storage/silences.js';
import type { Store } from '../../storage/store.js';
import type { ChangeEvent, ChangeEventType } from '../core/types.js';

/** What a silence matches; every matcher given must match (absent: any). */
export interface SilenceMatchers {
  monitor?: string | undefined;
  scope?: string | undefined;
  types?: ChangeEventType[] | undefined;
  /** A glob (`*` any run of characters, `?` one) against the account's login, id or email; case-insensitive. */
  account?: string | undefined;
  /** An identity (email): the account's own email, or one of `identityAccounts`. */
  identity?: string | undefined;
  /** The `identities.map` keys ("github:alice", "gh-acme:alice") that pointed at `identity` when the silence was added. */
  identityAccounts?: string[] | undefined;
}

/** Event types no silence ever matches. */
export const UNSILENCEABLE: readonly ChangeEventType[] = ['scan_failed', 'scan_recovered', 'stale_data', 'anomaly'];

/** True when the silence has at least one matcher (a silence of everything is refused). */
export function hasMatcher(m: SilenceMatchers): boolean {
  return Boolean(m.monitor || m.scope !== undefined || m.types?.length || m.account || m.identity);
}

/** A case-insensitive RegExp for a glob: `*` any run of characters, `?` exactly one. */
export function globPattern(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/** True when `silence` matches `event` (pure). */
export function silenceMatches(m: SilenceMatchers, e: ChangeEvent): boolean {
  if (UNSILENCEABLE.includes(e.type)) return false;
  if (m.monitor !== undefined && m.monitor !== e.monitorId) return false;
  if (m.scope !== undefined && m.scope !== e.scope) return false;
  if (m.types?.length && !m.types.includes(e.type)) return false;
  const account = e.after ?? e.before;
  const email = account?.email ?? null;
  if (m.account !== undefined) {
    const re = globPattern(m.account);
    const names = [e.login, e.accountId, email].filter((v): v is string => typeof v === 'string' && v.length > 0);
    if (!names.some((n) => re.test(n))) return false;
  }
  if (m.identity !== undefined) {
    const login = (e.login ?? account?.login ?? '').toLowerCase();
    const keys = new Set((m.identityAccounts ?? []).map((k) => k.toLowerCase()));
    const byEmail = email !== null && email.toLowerCase() === m.identity.toLowerCase();
    const byMap = login !== '' && (keys.has(`${e.provider}:${login}`.toLowerCase()) || keys.has(`${e.monitorId}:${login}`.toLowerCase()));
    if (!byEmail && !byMap) return false;
  }
  return true;
}

/** The first of `silences` that matches `event`, if any. */
export function matchingSilence(silences: readonly SilenceRecord[], e: ChangeEvent): SilenceRecord | undefined {
  return silences.find((s) => silenceMatches(s.matchers, e));
}

/**
 * The events of `events` no silence in force at `at` matches; records each silenced one. Call
 * inside the transaction that writes the outbox.
 */
export function withoutSilenced(store: Store, events: readonly ChangeEvent[], at: Date): ChangeEvent[] {
  const silences = new SilenceStore(store);
  const active = silences.active(at);
  if (active.length === 0) return [...events];
  return events.filter((e) => {
    const s = matchingSilence(active, e);
    if (!s) return true;
    if (e.id > 0) silences.recordSilenced(e.id, s.id, at);
    return false;
  });
}
