/** The config schema of one routing matcher (a notifier's `match` entry; see src/delivery/matchers.ts). */
import { z } from 'zod';

/** An organizational unit id ("ou-ab12-cdef3456") or the root id ("r-ab12"), as Organizations writes them. */
const AWS_PARENT_ID = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;

export const matcherSchema = z
  .strictObject({
    scopes: z.array(z.string().min(1)).min(1).optional(),
    identities: z.array(z.string().min(1)).min(1).optional(),
    githubTeams: z.array(z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'must be "org/team-slug", e.g. "acme/payments"')).min(1).optional(),
    /** "<okta monitor id or org host>/<group name or id>": members of that Okta group at that monitor. */
    oktaGroups: z.array(z.string().regex(/^[^/\s]+\/\S.*$/, 'must be "<okta monitor id or org host>/<group name or id>", e.g. "okta/Payments" or "acme.okta.com/00g1abcdefghijklmnop"')).min(1).optional(),
    /** A group's e-mail address (or id), optionally "<google-workspace monitor id>/…" when there are several. */
    googleGroups: z.array(z.string().regex(/^([^/\s@]+\/)?[^/\s]+$/, 'must be a group e-mail address such as "payments@example.com", or "<google-workspace monitor id>/payments@example.com"')).min(1).optional(),
    /** AWS accounts under any of these OUs (at any depth) or the root, of an aws-iam monitor with `organization`. */
    awsOrganizationalUnits: z.array(z.string().regex(AWS_PARENT_ID, 'must be an organizational unit id ("ou-ab12-cdef3456") or the root id ("r-ab12")')).min(1).optional(),
    /** AWS accounts whose parent OU or any ancestor OU (or the root) carries each of these tags. */
    awsOuTags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .refine((t) => Object.keys(t).length > 0, 'name at least one tag, e.g. { "team": "payments" }')
      .optional(),
  })
  .refine((m) => m.scopes || m.identities || m.githubTeams || m.oktaGroups || m.googleGroups || m.awsOrganizationalUnits || m.awsOuTags, 'a matcher needs at least one of "scopes", "identities", "githubTeams", "oktaGroups", "googleGroups", "awsOrganizationalUnits", "awsOuTags"');

export type NotifierMatcher = z.output<typeof matcherSchema>;

/** What reference checks need to know of a configured monitor. */
export interface MatcherMonitor {
  id: string;
  type: string;
  /** github: its org; okta: its org host; google-workspace and aws-iam: unused. */
  org?: string | undefined;
  /** aws-iam: whether it has `organization`. */
  organization?: boolean | undefined;
}

/** The okta monitor an `oktaGroups` entry names (by id or org host), and the group part. */
export function oktaGroupTarget(entry: string, monitors: readonly MatcherMonitor[]): { monitor: MatcherMonitor; group: string } | string {
  const slash = entry.indexOf('/');
  const prefix = entry.slice(0, slash).toLowerCase();
  const group = entry.slice(slash + 1);
  const okta = monitors.filter((m) => m.type === 'okta');
  const monitor = okta.find((m) => m.id.toLowerCase() === prefix) ?? okta.find((m) => m.org?.toLowerCase() === prefix);
  if (!monitor) return `no okta monitor has the id or org host "${entry.slice(0, slash)}"; group members are read with that monitor's token${okta.length ? ` (okta monitors: ${okta.map((m) => m.id).join(', ')})` : ''}`;
  return { monitor, group };
}

/** The google-workspace monitor a `googleGroups` entry names (its prefix, or the only one), and the group key. */
export function googleGroupTarget(entry: string, monitors: readonly MatcherMonitor[]): { monitor: MatcherMonitor; group: string } | string {
  const google = monitors.filter((m) => m.type === 'google-workspace');
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const monitor = google.find((m) => m.id.toLowerCase() === entry.slice(0, slash).toLowerCase());
    return monitor ? { monitor, group: entry.slice(slash + 1) } : `no google-workspace monitor has the id "${entry.slice(0, slash)}"`;
  }
  const only = google[0];
  if (!only) return 'no google-workspace monitor is configured; group members are read with its service account';
  if (google.length > 1) return `${google.length} google-workspace monitors are configured; write "<monitor id>/${entry}" (one of ${google.map((m) => m.id).join(', ')})`;
  return { monitor: only, group: entry };
}

/**
 * The keys of a matcher that name what one kind of monitor holds: every key of one matcher must
 * match, and an account (or an event's scope) belongs to one monitor, so a matcher with keys of
 * two of these can never match.
 */
const MONITOR_KEYS: ReadonlyArray<{ key: 'githubTeams' | 'oktaGroups' | 'googleGroups' | 'awsOrganizationalUnits' | 'awsOuTags'; monitorType: string }> = [
  { key: 'githubTeams', monitorType: 'github' },
  { key: 'oktaGroups', monitorType: 'okta' },
  { key: 'googleGroups', monitorType: 'google-workspace' },
  { key: 'awsOrganizationalUnits', monitorType: 'aws-iam' },
  { key: 'awsOuTags', monitorType: 'aws-iam' },
];

/**
 * The dangling references of every notifier's `match` list, each as "path: what is wrong": a team
 * of an org no github monitor watches, a group of no okta/google-workspace monitor, an OU matcher
 * without an aws-iam monitor with `organization`, and one matcher naming groups (or OUs) of
 * different kinds of monitor, which no account can match.
 */
export function matcherReferenceIssues(monitors: readonly MatcherMonitor[], notifiers: ReadonlyArray<{ index: number; match: readonly NotifierMatcher[] | undefined }>, formatPath: (path: Array<string | number>) => string): string[] {
  const issues: string[] = [];
  const githubOrgs = new Set(monitors.filter((m) => m.type === 'github').map((m) => (m.org ?? '').toLowerCase()));
  const hasOrganization = monitors.some((m) => m.type === 'aws-iam' && m.organization);
  for (const n of notifiers) {
    (n.match ?? []).forEach((m, j) => {
      const at = (...rest: Array<string | number>) => formatPath(['notifiers', n.index, 'match', j, ...rest]);
      const named = MONITOR_KEYS.filter((k) => m[k.key] !== undefined);
      const types = [...new Set(named.map((k) => k.monitorType))];
      if (types.length > 1) {
        const keys = named.map((k) => `"${k.key}"`).join(' and ');
        const split = types.map((t) => `{ ${named.filter((k) => k.monitorType === t).map((k) => `"${k.key}": …`).join(', ')} }`).join(', ');
        issues.push(`${at()}: ${keys} name what ${types.join(' and ')} monitors hold; every key of a matcher must match and an account belongs to one monitor, so this matcher can never match. Write one matcher per kind instead, [${split}] (any matcher of the list matching is enough)`);
      }
      (m.githubTeams ?? []).forEach((team, k) => {
        const org = team.split('/')[0] ?? '';
        if (!githubOrgs.has(org.toLowerCase())) issues.push(`${at('githubTeams', k)}: no github monitor watches the org "${org}"; team members are read with that monitor's token`);
      });
      (m.oktaGroups ?? []).forEach((entry, k) => {
        const target = oktaGroupTarget(entry, monitors);
        if (typeof target === 'string') issues.push(`${at('oktaGroups', k)}: ${target}`);
      });
      (m.googleGroups ?? []).forEach((entry, k) => {
        const target = googleGroupTarget(entry, monitors);
        if (typeof target === 'string') issues.push(`${at('googleGroups', k)}: ${target}`);
      });
      for (const key of ['awsOrganizationalUnits', 'awsOuTags'] as const) {
        if (m[key] && !hasOrganization) issues.push(`${at(key)}: no aws-iam monitor has "organization"; OUs and their tags are read with that monitor's credentials (Organizations ListParents, ListTagsForResource)`);
      }
    });
  }
  return issues;
}
