/**
 * Routing by who owns what (issue 15): a notifier's `match` list, a flat list of matchers after
 * Alertmanager's route matchers. An event reaches the notifier when ANY matcher matches; inside
 * one matcher EVERY key given must match:
 *
 * - `scopes`: the event's scope (an AWS account id, a Google customer id);
 * - `identities`: patterns ("*@payments.example.com", "carol@example.com") on the identity the
 *   account is linked to (identities.map, then the account's e-mail);
 * - `githubTeams`: "org/team-slug": the account is a member of that GitHub team at the github
 *   monitor of that org;
 * - `oktaGroups`: "<okta monitor id or org host>/<group name or id>": the account is a member of
 *   that Okta group at that okta monitor (matched on user id, login or e-mail);
 * - `googleGroups`: a group's e-mail (or "<monitor id>/<e-mail>"): the account is a member of that
 *   Google group, nested groups included, at that google-workspace monitor;
 * - `awsOrganizationalUnits`: the event's scope is an AWS account under one of these OUs (at any
 *   depth) or the root, at an aws-iam monitor with `organization`;
 * - `awsOuTags`: {"team": "payments"}: the account's parent OU or any ancestor OU (or the root)
 *   carries each of these tags (not necessarily the same OU).
 *
 * Groups and OUs are read once per scan with the monitor's own credentials
 * (src/delivery/directory.ts, src/delivery/directories/). A group matches only accounts of the
 * monitor it was read at. The failure rule: a group or an account placement that could not be read
 * yet matches every account of its monitor (an alert twice is better than none), and the failure
 * is logged with what to fix.
 *
 * One matcher names what one kind of monitor holds (githubTeams, oktaGroups, googleGroups, or the
 * AWS OU keys): an account belongs to one monitor, so a matcher mixing them could never match and
 * is refused at config load (matcherReferenceIssues in ./matcher-schema.ts).
 *
 * An event without an account (scan_failed, stale_data, baseline) matches on `scopes`,
 * `awsOrganizationalUnits` and `awsOuTags` (they are about the scope), never on account keys.
 */
import type { NotifierMatcher } from './matcher-schema.js';
import type { RoutingDirectory, GroupKind, RoutedAccount } from './directory.js';
import type { ChangeEvent } from '../core/types.js';
import { identityOfAccount, type IdentityContext } from '../response/identity.js';

export type { NotifierMatcher } from './matcher-schema.js';

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

const GROUP_KINDS: readonly GroupKind[] = ['githubTeams', 'oktaGroups', 'googleGroups'];

/** Whether the event's AWS account sits under the OUs / carries the tags the matcher names (unknown: yes). */
function placementMatches(m: NotifierMatcher, e: ChangeEvent, directory: RoutingDirectory): boolean {
  const placement = directory.placementOf(e.monitorId, e.scope);
  if (placement === null) return false;
  if (placement === undefined) return true;
  if (m.awsOrganizationalUnits && !m.awsOrganizationalUnits.some((ou) => placement.ancestors.includes(ou))) return false;
  for (const [key, value] of Object.entries(m.awsOuTags ?? {})) {
    if (!placement.tags.get(key)?.has(value)) return false;
  }
  return true;
}

/** The predicate of a notifier's `match` list; undefined when it has none (every event). */
export function eventMatcher(matchers: readonly NotifierMatcher[] | undefined, identities: IdentityContext, directory: RoutingDirectory): ((e: ChangeEvent) => boolean) | undefined {
  if (!matchers?.length) return undefined;
  const compiled = matchers.map((m) => ({ ...m, patterns: m.identities?.map(globToRegExp), groups: GROUP_KINDS.filter((k) => m[k]) }));
  return (e) =>
    compiled.some((m) => {
      if (m.scopes && !m.scopes.includes(e.scope)) return false;
      if ((m.awsOrganizationalUnits || m.awsOuTags) && !placementMatches(m, e, directory)) return false;
      if (!m.patterns && m.groups.length === 0) return true;
      const login = e.after?.login ?? e.before?.login ?? e.login;
      if (!e.accountId || !login) return false;
      const email = e.after?.email ?? e.before?.email ?? null;
      if (m.patterns) {
        const identity = identityOfAccount(identities, { monitorId: e.monitorId, login, email });
        if (!identity || !m.patterns.some((p) => p.test(identity))) return false;
      }
      const account: RoutedAccount = { monitorId: e.monitorId, accountId: e.accountId, login, email };
      // Every group key given must hold the account (any of its groups); an unknown group holds it.
      return m.groups.every((kind) => (m[kind] ?? []).some((name) => directory.inGroup(kind, name, account) ?? true));
    });
}
