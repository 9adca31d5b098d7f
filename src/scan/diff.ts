/**
 * The diff: pure functions from (stored state, new observation) to change events with one meaning
 * each. The store finds the accounts that differ with set-based SQL; only those reach here.
 */
import type { AccountState, ChangeEventType, MfaState, Observation, Severity } from '../core/types.js';
import { isPrivileged, lacksMfa, severityOf, type SeverityOverrides } from './policy.js';

/** An event before it has an id, a monitor and a time. */
export interface EventDraft {
  type: ChangeEventType;
  severity: Severity;
  accountId: string;
  login: string;
  before: AccountState | null;
  after: AccountState | null;
  summary: string;
  /** Extra structured detail (the factors or credentials added). */
  detail?: Record<string, unknown>;
}

/** Normalises an observation into the stored shape (sorted factors, explicit nulls). */
export function toAccountState(o: Observation): AccountState {
  return {
    accountId: o.accountId,
    login: o.login,
    email: o.email ?? null,
    displayName: o.displayName ?? null,
    kind: o.kind,
    admin: o.admin,
    mfa: o.mfa,
    factors: [...new Set(o.factors ?? [])].sort(),
    url: o.url ?? null,
    ...(o.credentials ? { credentials: [...new Set(o.credentials)].sort() } : {}),
  };
}

/** The credentials of a state, or null when the provider did not say. */
function credentialsOf(a: AccountState): string[] | null {
  return a.credentials ?? null;
}

/**
 * The state to store after an observation. An `unknown` MFA reading never overwrites a known one:
 * unknown is not a change, and the next known reading is compared with the last known state.
 */
export function effectiveState(before: AccountState | null, observed: AccountState): AccountState {
  let next = observed;
  if (observed.mfa === 'unknown' && before && before.mfa !== 'unknown') {
    next = { ...next, mfa: before.mfa, factors: before.factors };
  }
  // Likewise credentials: a reading that does not list them keeps the last known list.
  const known = before ? credentialsOf(before) : null;
  if (credentialsOf(next) === null && known !== null) next = { ...next, credentials: known };
  return next;
}

/** True when anything stored about the account differs. */
export function stateDiffers(a: AccountState, b: AccountState): boolean {
  return (
    a.login !== b.login ||
    a.email !== b.email ||
    a.displayName !== b.displayName ||
    a.kind !== b.kind ||
    a.admin !== b.admin ||
    a.mfa !== b.mfa ||
    a.url !== b.url ||
    a.factors.join(',') !== b.factors.join(',') ||
    JSON.stringify(credentialsOf(a)) !== JSON.stringify(credentialsOf(b))
  );
}

/** The MFA event for a transition, if it has one (DESIGN.md "Change events"). */
export function mfaTransition(from: MfaState, to: MfaState): ChangeEventType | null {
  if (from === to) return null;
  if ((from === 'enabled' || from === 'weak') && to === 'disabled') return 'mfa_disabled';
  if (from === 'enabled' && to === 'weak') return 'mfa_weakened';
  if ((from === 'disabled' || from === 'weak') && to === 'enabled') return 'mfa_enabled';
  // not_applicable and unknown on either side carry no MFA meaning.
  return null;
}

const KIND_WORDS: Record<string, string> = {
  member: 'member',
  outside_collaborator: 'outside collaborator',
  iam_user: 'IAM user',
  root: 'root account',
  user: 'user',
};

function who(a: AccountState): string {
  if (a.kind === 'root') return 'the root account';
  return isPrivileged(a) ? `${a.login} (admin)` : a.login;
}

/**
 * How a provider names MFA in its own interface, so that an alert reads the way the person fixing
 * it will see it at the provider: GitHub and GitLab say "two-factor authentication", Google
 * "2-Step Verification", most others "MFA".
 */
export function mfaTerm(provider: string): string {
  if (/^(github|gitlab)$/i.test(provider)) return 'two-factor authentication';
  if (/^google/i.test(provider)) return '2-Step Verification';
  return 'MFA';
}

function mfaWords(a: AccountState, term: string): string {
  switch (a.mfa) {
    case 'enabled':
      return `with ${term}`;
    case 'weak':
      return `with only weak ${term}${a.factors.length ? ` (${a.factors.join(', ')})` : ''}`;
    case 'disabled':
      return `without ${term}`;
    case 'not_applicable':
      return 'without console sign-in (MFA not applicable)';
    case 'unknown':
      return 'with MFA state unknown';
  }
}

/**
 * One plain sentence for an event, in the provider's own word for MFA (`term`, see mfaTerm):
 * "alice disabled two-factor authentication".
 */
export function describeChange(type: ChangeEventType, before: AccountState | null, after: AccountState | null, term = 'MFA'): string {
  const a = after ?? before;
  if (!a) return type;
  switch (type) {
    case 'mfa_disabled':
      return `${who(a)} disabled ${term}${before?.mfa === 'weak' ? ' (it had only weak methods before)' : ''}`;
    case 'mfa_weakened':
      return `${who(a)} weakened ${term}: only ${a.factors.length ? a.factors.join(', ') : 'weak methods'} left`;
    case 'mfa_enabled':
      return `${who(a)} enabled ${term}`;
    case 'account_added':
      return `${who(a)} was added as ${KIND_WORDS[a.kind] ?? a.kind} ${mfaWords(a, term)}`;
    case 'account_removed':
      return `${a.login} was removed (no longer listed)`;
    case 'privilege_changed':
      return after?.admin
        ? `${a.login} became an admin${lacksMfa(a.mfa) ? ` ${mfaWords(a, term)}` : ''}`
        : `${a.login} is no longer an admin`;
    default:
      return `${a.login}: ${type}`;
  }
}

function draft(type: ChangeEventType, before: AccountState | null, after: AccountState | null, overrides: SeverityOverrides, term: string): EventDraft {
  const a = (after ?? before) as AccountState;
  return {
    type,
    severity: severityOf(type, before, after, overrides),
    accountId: a.accountId,
    login: a.login,
    before,
    after,
    summary: describeChange(type, before, after, term),
  };
}

/**
 * The events one account's change produces. `before` null: a new account; `after` null: removed.
 * An unchanged account produces none. `term` is the provider's word for MFA (mfaTerm).
 */
export function diffAccount(before: AccountState | null, after: AccountState | null, overrides: SeverityOverrides = {}, term = 'MFA'): EventDraft[] {
  if (!before && !after) return [];
  if (!before) return [draft('account_added', null, after, overrides, term)];
  if (!after) return [draft('account_removed', before, null, overrides, term)];
  const events: EventDraft[] = [];
  const mfa = mfaTransition(before.mfa, after.mfa);
  if (mfa) events.push(draft(mfa, before, after, overrides, term));
  if (before.admin !== after.admin) events.push(draft('privilege_changed', before, after, overrides, term));
  // A factor registered while the MFA state stays what it was (a second device: someone keeping
  // access). When the state moves, the MFA event says it: a factor list that grows on the way
  // to `weak` is a strong factor removed, not one added.
  const newFactors = after.factors.filter((f) => !before.factors.includes(f));
  if (newFactors.length > 0 && before.mfa === after.mfa && before.mfa !== 'unknown') {
    events.push({ ...draft('factor_added', before, after, overrides, term), summary: `${who(after)} registered a new MFA factor: ${newFactors.join(', ')}`, detail: { added: newFactors } });
  }
  // New long-lived credentials, when both readings list them (never on a first sighting).
  const had = credentialsOf(before);
  const has = credentialsOf(after);
  const newCredentials = had !== null && has !== null ? has.filter((c) => !had.includes(c)) : [];
  if (newCredentials.length > 0) {
    events.push({ ...draft('credential_added', before, after, overrides, term), summary: `${who(after)} got a new long-lived credential: ${newCredentials.join(', ')}`, detail: { added: newCredentials } });
  }
  return events;
}
