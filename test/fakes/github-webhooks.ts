/**
 * GitHub webhook deliveries as GitHub sends them: JSON bodies in the documented shapes, the
 * X-GitHub-Event / X-GitHub-Delivery / X-Hub-Signature-256 headers, signed with HMAC-SHA256 of
 * the raw body (node:crypto here, independent of the library mfawatch verifies with).
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#organization
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookUser {
  id: number;
  login: string;
}

function user(u: WebhookUser) {
  return {
    login: u.login, id: u.id, node_id: Buffer.from(`04:User${u.id}`).toString('base64'), avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '', url: `https://api.github.com/users/${u.login}`, html_url: `https://github.com/${u.login}`, type: 'User', site_admin: false,
  };
}

function organization(org: string, id = 9919) {
  return {
    login: org, id, node_id: Buffer.from(`04:Organization${id}`).toString('base64'), url: `https://api.github.com/orgs/${org}`,
    repos_url: `https://api.github.com/orgs/${org}/repos`, events_url: `https://api.github.com/orgs/${org}/events`, hooks_url: `https://api.github.com/orgs/${org}/hooks`,
    issues_url: `https://api.github.com/orgs/${org}/issues`, members_url: `https://api.github.com/orgs/${org}/members{/member}`,
    public_members_url: `https://api.github.com/orgs/${org}/public_members{/member}`, avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`, description: null,
  };
}

/** An `organization` event body (member_added, member_removed, member_invited). */
export function organizationEvent(org: string, action: 'member_added' | 'member_removed' | 'member_invited', who: WebhookUser, sender: WebhookUser = { id: 9, login: 'octo-admin' }): unknown {
  if (action === 'member_invited') {
    return { action, invitation: { id: 77, node_id: 'MDIyOk9yZ2FuaXphdGlvbkludml0YXRpb243Nw==', login: who.login, email: null, role: 'direct_member', created_at: '2026-11-22T10:00:00Z', failed_at: null, failed_reason: null, inviter: user(sender), team_count: 0, invitation_teams_url: 'https://api.github.com/organizations/9919/invitations/77/teams' }, user: user(who), organization: organization(org), sender: user(sender) };
  }
  return {
    action,
    membership: { url: `https://api.github.com/orgs/${org}/memberships/${who.login}`, state: 'active', role: 'member', organization_url: `https://api.github.com/orgs/${org}`, user: user(who) },
    organization: organization(org),
    sender: user(sender),
  };
}

/** A `membership` (team membership) event body. */
export function membershipEvent(org: string, action: 'added' | 'removed', who: WebhookUser): unknown {
  return {
    action, scope: 'team', member: user(who), sender: user({ id: 9, login: 'octo-admin' }),
    team: { name: 'admins', id: 5, node_id: 'MDQ6VGVhbTU=', slug: 'admins', description: null, privacy: 'closed', url: 'https://api.github.com/teams/5', html_url: `https://github.com/orgs/${org}/teams/admins`, permission: 'pull' },
    organization: organization(org),
  };
}

/** `sha256=` + the hex HMAC-SHA256 of `body` with `secret`. */
export function signatureOf(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Headers and body of one delivery. */
export function delivery(secret: string, event: string, payload: unknown, options: { id?: string; contentType?: string; signature?: string | null } = {}): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/abc1234',
    'x-github-event': event,
    'x-github-delivery': options.id ?? randomUUID(),
    'x-github-hook-id': '123456',
    'x-github-hook-installation-target-type': 'organization',
    'x-github-hook-installation-target-id': '9919',
  };
  const signature = options.signature === undefined ? signatureOf(secret, body) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return { headers, body };
}
