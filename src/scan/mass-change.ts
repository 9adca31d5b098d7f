/**
 * The mass-change guard (pure): a complete scan that would remove or downgrade a large share of a
 * monitor's accounts at once is far more likely a provider or permission fault (an API answering
 * an empty list, a token that suddenly sees one team) than a real event. Such a scan is held:
 * one `anomaly` alert explains it, and nothing is committed until a following scan shows the same
 * picture (or an operator runs `mfawatch accept MONITOR`).
 */
import { createHash } from 'node:crypto';
import type { AccountState } from '../core/types.js';
import { lacksMfa } from './policy.js';

export interface MassChangeSettings {
  /** Share (0-1] of the stored accounts that may be removed or downgraded in one scan. */
  share: number;
  /** Changes touching fewer accounts than this are never held (small orgs change by whole percents). */
  minAccounts: number;
}

export const DEFAULT_MASS_CHANGE: MassChangeSettings = { share: 0.2, minAccounts: 5 };

export interface MassChangeInput {
  /** Accounts stored before the scan. */
  stored: number;
  /** Accounts the scan saw. */
  seen: number;
  /** Stored accounts the scan did not list. */
  removed: readonly AccountState[];
  /** Accounts whose MFA got worse (enabled → weak/disabled, weak → disabled) or that lost admin. */
  downgraded: ReadonlyArray<{ before: AccountState; after: AccountState }>;
}

export type MassChangeDecision =
  | { hold: false }
  | { hold: true; affected: number; share: number; fingerprint: string; keys: string[]; summary: string };

/**
 * How alike a following scan's picture must be to the held one to confirm it (Jaccard similarity
 * of the change keys). Not 1: in a real reorganisation of thousands, a few more people come and go
 * between two scans, and an exact match would hold the change forever.
 */
export const CONFIRM_SIMILARITY = 0.9;

const rank = (a: AccountState): number => (a.mfa === 'enabled' ? 2 : a.mfa === 'weak' ? 1 : a.mfa === 'disabled' ? 0 : -1);

/** True when `after` is a downgrade of `before`: MFA got worse (a known state only) or admin was lost. */
export function isDowngrade(before: AccountState, after: AccountState): boolean {
  const mfaWorse = after.mfa !== 'unknown' && before.mfa !== 'unknown' && lacksMfa(after.mfa) && rank(after) < rank(before);
  return mfaWorse || (before.admin && !after.admin);
}

/** What the scan would change, one sorted key per removal or downgrade. */
export function changeKeys(input: Pick<MassChangeInput, 'removed' | 'downgraded'>): string[] {
  return [
    ...input.removed.map((a) => `-${a.accountId}`),
    ...input.downgraded.map((d) => `~${d.after.accountId}:${d.after.mfa}:${d.after.admin ? 1 : 0}`),
  ].sort();
}

/**
 * A stable digest of what the scan would change: the same removals and downgrades give the same
 * fingerprint, in any order.
 */
export function changeFingerprint(input: Pick<MassChangeInput, 'removed' | 'downgraded'>): string {
  return createHash('sha256').update(changeKeys(input).join('\n')).digest('hex');
}

/** True when a following scan shows (nearly) the same picture as the held one: the change is real. */
export function confirmsHold(held: { fingerprint: string; keys: readonly string[] }, next: { fingerprint: string; keys: readonly string[] }, minSimilarity = CONFIRM_SIMILARITY): boolean {
  if (held.fingerprint === next.fingerprint) return true;
  const a = new Set(held.keys);
  let common = 0;
  for (const k of next.keys) if (a.has(k)) common += 1;
  const union = a.size + next.keys.length - common;
  return union > 0 && common / union >= minSimilarity;
}

/** Decides whether a complete scan must be held. */
export function assessMassChange(input: MassChangeInput, settings: MassChangeSettings = DEFAULT_MASS_CHANGE): MassChangeDecision {
  if (input.stored === 0) return { hold: false };
  const affected = input.removed.length + input.downgraded.length;
  const share = affected / input.stored;
  const emptied = input.seen === 0 && input.stored >= settings.minAccounts;
  const tooMany = affected >= settings.minAccounts && share > settings.share;
  if (!emptied && !tooMany) return { hold: false };
  const pct = (share * 100).toFixed(share < 0.1 ? 1 : 0);
  const summary = emptied
    ? `the scan listed no accounts where ${input.stored} were stored; held as a likely provider or permission fault`
    : `the scan would remove ${input.removed.length} and downgrade ${input.downgraded.length} of ${input.stored} accounts (${pct}%, above the ${Math.round(settings.share * 100)}% guard); held as a likely provider or permission fault`;
  const keys = changeKeys(input);
  return { hold: true, affected, share, fingerprint: createHash('sha256').update(keys.join('\n')).digest('hex'), keys, summary };
}
