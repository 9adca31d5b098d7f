/**
 * The auto-response guards, as pure functions of (events of one committed scan, who they belong
 * to, the policy, what was already done): which identities get their sessions killed, and why
 * every other one does not. Nothing here does I/O; src/response/decide.ts records the verdicts.
 */
import { formatDuration } from '../core/duration.js';
import { severityAtLeast, type ChangeEvent, type ChangeEventType, type Severity } from '../core/types.js';

/** autoResponse from the config, resolved. */
export interface AutoResponsePolicy {
  enabled: boolean;
  dryRun: boolean;
  on: readonly ChangeEventType[];
  minSeverity: Severity;
  /** Identities (emails) or accounts ("provider:login") never touched. */
  exempt: readonly string[];
  /** Most automatic kills decided in one run, all its scans together: one `mfawatch run`, or one scheduled scan of a monitor in the daemon (all its scopes). */
  maxPerRun: number;
  /** Most automatic kills in any rolling 24 hours. */
  maxPerDay: number;
  /** ms: an identity killed (or scheduled) this recently is not killed again. */
  cooldown: number;
  /** Share (0..1) of a monitor's accounts that may change in one scan before the breaker trips. */
  massChangeShare: number;
  /** The breaker never trips below this many changed accounts (small organisations). */
  massChangeMinAccounts: number;
  /** Minutes between the announcement and the kill; 0 kills at once. */
  graceMinutes: number;
  /** Longest one kill may take, all services together (ms). */
  killTimeout: number;
}

/** Why a kill was not done. */
export type GuardName = 'exempt' | 'no_identity' | 'mass_change' | 'cooldown' | 'max_per_run' | 'max_per_day';

export interface Candidate {
  event: ChangeEvent;
  /** The person behind the account, or null when nothing links it. */
  identity: string | null;
  /** "type:login" and "monitorId:login" of the account, for exemptions. */
  accountKeys: readonly string[];
}

export type Verdict =
  | { candidate: Candidate; identity: string; kill: true }
  | { candidate: Candidate; identity: string | null; kill: false; guard: GuardName; reason: string };

export interface GuardState {
  now: Date;
  /** Automatic kills already decided in the last 24 hours. */
  killsLast24h: number;
  /** Automatic kills already decided by the other scans of this run (several monitors, or the accounts of one). */
  killsEarlierThisRun: number;
  /** When the identity was last killed or scheduled; null if never. */
  lastKillAt: (identity: string) => Date | null;
  /** Accounts of the monitor scope after the scan, and how many of them changed in it. */
  scopeAccounts: number;
  changedAccounts: number;
}

/** Event types that count as a change of an account, for the mass-change breaker. */
const ACCOUNT_CHANGES: ReadonlySet<ChangeEventType> = new Set(['mfa_disabled', 'mfa_weakened', 'mfa_enabled', 'account_added', 'account_removed', 'privilege_changed']);

/** Distinct accounts changed by `events`. */
export function changedAccountCount(events: readonly ChangeEvent[]): number {
  return new Set(events.filter((e) => ACCOUNT_CHANGES.has(e.type) && e.accountId).map((e) => e.accountId)).size;
}

/**
 * True when the event calls for a kill: its type is in `on`, it is at least `minSeverity`, and
 * it left the account in a weaker state (an account_added with MFA on, or a privilege drop, never
 * triggers).
 */
export function triggers(event: ChangeEvent, policy: Pick<AutoResponsePolicy, 'on' | 'minSeverity'>): boolean {
  if (!policy.on.includes(event.type) || !severityAtLeast(event.severity, policy.minSeverity)) return false;
  const after = event.after;
  if (!after) return false;
  if (event.type === 'account_added') return after.mfa === 'disabled' || after.mfa === 'weak';
  if (event.type === 'privilege_changed') return after.admin && (after.mfa === 'disabled' || after.mfa === 'weak');
  return true;
}

/** True when the breaker trips: too large a share of the scope changed at once. */
export function massChangeTripped(policy: Pick<AutoResponsePolicy, 'massChangeShare' | 'massChangeMinAccounts'>, changed: number, accounts: number): boolean {
  return changed >= policy.massChangeMinAccounts && changed / Math.max(1, accounts) > policy.massChangeShare;
}

function isExempt(policy: Pick<AutoResponsePolicy, 'exempt'>, c: Candidate): boolean {
  const keys = new Set([...(c.identity ? [c.identity] : []), ...c.accountKeys].map((k) => k.toLowerCase()));
  return policy.exempt.some((e) => keys.has(e.toLowerCase()));
}

/**
 * The verdict for each triggering candidate of one scan, in order. One identity is killed at most
 * once per scan (its other events are folded into that verdict and not listed again).
 */
export function decideKills(candidates: readonly Candidate[], policy: AutoResponsePolicy, state: GuardState): Verdict[] {
  const verdicts: Verdict[] = [];
  const seen = new Set<string>();
  const tripped = massChangeTripped(policy, state.changedAccounts, state.scopeAccounts);
  let killsThisRun = state.killsEarlierThisRun;
  let killsToday = state.killsLast24h;
  for (const c of candidates) {
    if (!triggers(c.event, policy)) continue;
    const who = c.identity;
    const dedupeKey = who ?? `account:${c.event.monitorId}:${c.event.scope}:${c.event.accountId ?? ''}`;
    if (seen.has(dedupeKey)) continue;
    seen.add(dedupeKey);
    const block = (guard: GuardName, reason: string) => verdicts.push({ candidate: c, identity: who, kill: false, guard, reason });
    const login = c.event.login ?? c.event.accountId ?? '?';
    if (isExempt(policy, c)) {
      block('exempt', `${who ?? login} is exempt from auto-response (autoResponse.exempt)`);
      continue;
    }
    if (tripped) {
      block('mass_change', `${state.changedAccounts} of ${state.scopeAccounts} accounts changed in one scan (more than ${Math.round(policy.massChangeShare * 100)}%): this looks like a policy or provider change, not an attack on one person, so nobody is killed automatically`);
      continue;
    }
    if (!who) {
      block('no_identity', `${login} is not linked to a person (no email at the provider and no identities.map entry), so mfawatch cannot tell whose sessions to kill`);
      continue;
    }
    const last = state.lastKillAt(who);
    if (last && state.now.getTime() - last.getTime() < policy.cooldown) {
      // How long ago, not a clock time: the reason lands in every channel, in people's zones and machines' UTC alike.
      block('cooldown', `${who}'s sessions were already killed ${formatDuration(state.now.getTime() - last.getTime())} ago, within the cooldown of ${Math.round(policy.cooldown / 60_000)} min`);
      continue;
    }
    if (killsThisRun >= policy.maxPerRun) {
      block('max_per_run', `the cap of ${policy.maxPerRun} automatic kill(s) per run (all monitors scanned together) is reached (autoResponse.maxPerRun)`);
      continue;
    }
    if (killsToday >= policy.maxPerDay) {
      block('max_per_day', `the cap of ${policy.maxPerDay} automatic kill(s) in 24 hours is reached (autoResponse.maxPerDay)`);
      continue;
    }
    killsThisRun += 1;
    killsToday += 1;
    verdicts.push({ candidate: c, identity: who, kill: true });
  }
  return verdicts;
}
