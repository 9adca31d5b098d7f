/**
 * The mass-change guard (pure): a complete scan that would remove or downgrade a large share of a
 * monitor's accounts at once is far more likely a provider or permission fault (an API answering
 * an empty list, a token that suddenly sees one team) than a real event. So is a mass "all clear":
 * most accounts without MFA turning to `enabled` in one scan usually means a 2FA listing answered
 * empty (GitHub's `filter=2fa_disabled` returning `[]`), and believing it would resolve incidents
 * while MFA is still off. Such a scan is held:
 * one `anomaly` alert explains it, and nothing is committed until a following scan shows the same
 * picture (or an operator runs `mfawatch accept MONITOR`).
 */
import { createHash } from 'node:crypto';
import type { AccountState } from '../core/types.js';
import { lacksMfa } from './policy.js';

export interface MassChangeSettings {
  /** Share (0-1] of the stored accounts whose removal or downgrade in one scan holds it (inclusive: at this share or more). */
  share: number;
  /** Changes touching fewer accounts than this are never held (small orgs change by whole percents). */
  minAccounts: number;
  /** Share (0-1] of the stored accounts without MFA whose upgrade to `enabled` in one scan holds it (inclusive). */
  upgradeShare: number;
  /** Upgrades of fewer accounts than this are never held. */
  upgradeMinAccounts: number;
}

export const DEFAULT_MASS_CHANGE: MassChangeSettings = { share: 0.2, minAccounts: 5, upgradeShare: 0.5, upgradeMinAccounts: 5 };

export interface MassChangeInput {
  /** Accounts stored before the scan. */
  stored: number;
  /** Accounts the scan saw. */
  seen: number;
  /** Stored accounts the scan did not list. */
  removed: readonly AccountState[];
  /** Accounts whose MFA got worse (enabled → weak/disabled, weak → disabled) or that lost admin. */
  downgraded: ReadonlyArray<{ before: AccountState; after: AccountState }>;
  /** Stored accounts without MFA (disabled or weak) before the scan; 0 when unknown. */
  storedWithoutMfa?: number;
  /** Accounts that had no MFA (disabled or weak) and now have it (`enabled`). */
  upgraded?: ReadonlyArray<{ before: AccountState; after: AccountState }>;
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

/** True when `after` is an "all clear" of `before`: an account without MFA (disabled or weak) now has it. */
export function isUpgrade(before: AccountState, after: AccountState): boolean {
  return lacksMfa(before.mfa) && after.mfa === 'enabled';
}

/** What the scan would change, one sorted key per removal, downgrade or upgrade. */
export function changeKeys(input: Pick<MassChangeInput, 'removed' | 'downgraded' | 'upgraded'>): string[] {
  return [
    ...input.removed.map((a) => `-${a.accountId}`),
    ...input.downgraded.map((d) => `~${d.after.accountId}:${d.after.mfa}:${d.after.admin ? 1 : 0}`),
    ...(input.upgraded ?? []).map((u) => `+${u.after.accountId}:${u.after.mfa}`),
  ].sort();
}

/**
 * A stable digest of what the scan would change: the same removals and downgrades give the same
 * fingerprint, in any order.
 */
export function changeFingerprint(input: Pick<MassChangeInput, 'removed' | 'downgraded' | 'upgraded'>): string {
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

const percent = (share: number): string => (share * 100).toFixed(share < 0.1 ? 1 : 0);

/**
 * Decides whether a complete scan must be held. Both thresholds are inclusive: a scan removing
 * exactly `share` of the accounts is held (a page lost from a listing of five is exactly 20 %).
 */
export function assessMassChange(input: MassChangeInput, settings: MassChangeSettings = DEFAULT_MASS_CHANGE): MassChangeDecision {
  if (input.stored === 0) return { hold: false };
  const affected = input.removed.length + input.downgraded.length;
  const share = affected / input.stored;
  const emptied = input.seen === 0 && input.stored >= settings.minAccounts;
  const tooMany = affected >= settings.minAccounts && share >= settings.share;
  const upgraded = input.upgraded ?? [];
  const without = input.storedWithoutMfa ?? 0;
  const upgradeShare = without > 0 ? upgraded.length / without : 0;
  const allClear = upgraded.length >= settings.upgradeMinAccounts && upgradeShare >= settings.upgradeShare;
  if (!emptied && !tooMany && !allClear) return { hold: false };
  const reasons: string[] = [];
  if (emptied) reasons.push(`the scan listed no accounts where ${input.stored} were stored`);
  else if (tooMany) reasons.push(`the scan would remove ${input.removed.length} and downgrade ${input.downgraded.length} of ${input.stored} accounts (${percent(share)}%, at or above the ${Math.round(settings.share * 100)}% guard)`);
  if (allClear) {
    const admins = upgraded.filter((u) => u.after.admin).length;
    reasons.push(`the scan would report MFA turned on for ${upgraded.length} of the ${without} accounts without MFA${admins ? ` (${admins} admin${admins === 1 ? '' : 's'} among them)` : ''} at once (${percent(upgradeShare)}%, at or above the ${Math.round(settings.upgradeShare * 100)}% guard; a 2FA listing answering empty looks the same)`);
  }
  const summary = `${reasons.join('; and ')}; held as a likely provider or permission fault`;
  const keys = changeKeys({ removed: input.removed, downgraded: input.downgraded, upgraded });
  return { hold: true, affected: affected + (allClear ? upgraded.length : 0), share, fingerprint: createHash('sha256').update(keys.join('\n')).digest('hex'), keys, summary };
}
