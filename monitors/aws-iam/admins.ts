/**
 * Which IAM users are administrators, from one GetAccountAuthorizationDetails listing (users,
 * groups and customer managed policies). A user is an administrator when a policy attached to
 * them, directly or through a group, is AWS's AdministratorAccess or IAMFullAccess (with which a
 * user can grant themselves anything), or allows every action (or every IAM action) on every
 * resource: inline, or a customer managed policy's default version.
 *
 * Not evaluated: Deny statements, conditions, permissions boundaries and organisation SCPs. They
 * can only take rights away, so the flag may call an administrator someone whose rights are cut
 * down elsewhere; it never misses one of these policies.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
 */

/** AWS managed policies that make their holder an administrator. */
export const ADMIN_MANAGED_POLICIES: ReadonlySet<string> = new Set([
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
]);

interface AttachedLike {
  PolicyArn?: string | undefined;
}
interface InlineLike {
  PolicyDocument?: string | undefined;
}
/** The parts of the SDK's UserDetail, GroupDetail and ManagedPolicyDetail read here. */
export interface UserDetailLike {
  Arn?: string | undefined;
  GroupList?: string[] | undefined;
  AttachedManagedPolicies?: AttachedLike[] | undefined;
  UserPolicyList?: InlineLike[] | undefined;
}
export interface GroupDetailLike {
  GroupName?: string | undefined;
  AttachedManagedPolicies?: AttachedLike[] | undefined;
  GroupPolicyList?: InlineLike[] | undefined;
}
export interface ManagedPolicyLike {
  Arn?: string | undefined;
  PolicyVersionList?: Array<{ Document?: string | undefined; IsDefaultVersion?: boolean | undefined }> | undefined;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * True when a policy document (JSON, or URL-encoded JSON as IAM sends it) allows every action,
 * or every IAM action, on every resource. An unreadable document is not admin.
 */
export function grantsEverything(document: string): boolean {
  let text = document;
  if (!/^\s*\{/.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return false;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  const statements = asList((doc as { Statement?: unknown } | null)?.Statement);
  return statements.some((st) => {
    const s = st as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    if (s.Effect !== 'Allow') return false;
    const actions = asList(s.Action).map(String);
    const resources = asList(s.Resource).map(String);
    return actions.some((a) => a === '*' || a.toLowerCase() === 'iam:*') && resources.includes('*');
  });
}

/** Reads the listing pages as they come, then answers which user ARNs are administrators. */
export class AdminFinder {
  readonly #users: UserDetailLike[] = [];
  readonly #groups: GroupDetailLike[] = [];
  readonly #adminPolicies = new Set<string>(ADMIN_MANAGED_POLICIES);

  /** Adds one page of the listing. */
  add(page: { UserDetailList?: UserDetailLike[] | undefined; GroupDetailList?: GroupDetailLike[] | undefined; Policies?: ManagedPolicyLike[] | undefined }): void {
    for (const p of page.Policies ?? []) {
      const current = p.PolicyVersionList?.find((v) => v.IsDefaultVersion);
      if (p.Arn && current?.Document && grantsEverything(current.Document)) this.#adminPolicies.add(p.Arn);
    }
    this.#groups.push(...(page.GroupDetailList ?? []));
    this.#users.push(...(page.UserDetailList ?? []));
  }

  /** The ARNs of the administrators among the users listed. */
  admins(): Set<string> {
    const adminByPolicies = (attached: AttachedLike[] | undefined, inline: InlineLike[] | undefined) =>
      (attached ?? []).some((a) => a.PolicyArn !== undefined && this.#adminPolicies.has(a.PolicyArn)) || (inline ?? []).some((p) => p.PolicyDocument !== undefined && grantsEverything(p.PolicyDocument));
    // Policies may come on a later page than the users and groups they are attached to: decide at the end.
    const adminGroups = new Set(this.#groups.filter((g) => adminByPolicies(g.AttachedManagedPolicies, g.GroupPolicyList)).flatMap((g) => (g.GroupName ? [g.GroupName] : [])));
    const out = new Set<string>();
    for (const u of this.#users) {
      if (u.Arn && (adminByPolicies(u.AttachedManagedPolicies, u.UserPolicyList) || (u.GroupList ?? []).some((g) => adminGroups.has(g)))) out.add(u.Arn);
    }
    return out;
  }
}
