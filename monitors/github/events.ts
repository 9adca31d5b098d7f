/**
 * GitHub's events, translated for the core (monitors/events.ts):
 *
 * - The organisation webhook (`POST /hooks/<monitor-id>`): the signature `X-Hub-Signature-256` is
 *   checked over the raw body with @octokit/webhooks-methods (HMAC-SHA256, constant-time
 *   comparison); the delivery id `X-GitHub-Delivery` is the dedupe key. `organization`
 *   (member_added, member_removed, member_invited) and `membership` events become hints to
 *   re-read that user; everything else is set aside as irrelevant.
 *   https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 *   https://docs.github.com/en/webhooks/webhook-events-and-payloads#organization
 *   https://docs.github.com/en/webhooks/webhook-events-and-payloads#membership
 * - The fast probe: GitHub sends no event when a member turns 2FA off, so the list of accounts
 *   without 2FA is read every `events.probe`; an account that entered (or left) it since the last
 *   probe is a hint. The cursor is that list (user ids), committed with the hints it produced.
 */
import { verify } from '@octokit/webhooks-methods';
import { z } from 'zod';
import type { Secret } from '../../src/core/secret.js';
import type { EventBatch, IgnoredEvent, InboundRequest, InboundVerdict, ProviderEvent } from '../events.js';

/** What mfawatch reads of a user object in a webhook payload. */
const webhookUser = z.object({ id: z.number().int(), login: z.string().min(1) });

const organizationPayload = z.object({
  action: z.string(),
  organization: z.object({ login: z.string() }),
  membership: z.object({ user: webhookUser.nullable().optional(), role: z.string().optional(), state: z.string().optional() }).optional(),
  user: webhookUser.nullable().optional(),
  invitation: z.object({ login: z.string().nullable().optional() }).optional(),
});

const membershipPayload = z.object({
  action: z.string(),
  organization: z.object({ login: z.string() }),
  member: webhookUser.nullable(),
});

/** The org webhook's signature check and translation. */
export async function receiveGithubWebhook(org: string, secret: Secret, request: InboundRequest, now: Date): Promise<InboundVerdict> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const signature = request.headers['x-hub-signature-256'];
  if (!signature || !signature.startsWith('sha256=')) return { status: 'unauthorized' };
  // verify() throws on an empty body; anything it cannot check is refused the same way.
  const valid = await verify(secret.reveal(), request.rawBody.toString('utf8'), signature).catch(() => false);
  if (!valid) return { status: 'unauthorized' };
  // Signed by the holder of the secret, but sent as a form: the README asks for application/json.
  if (contentType !== 'application/json') return { status: 'unsupported_media_type' };
  const delivery = request.headers['x-github-delivery'];
  const name = request.headers['x-github-event'];
  if (!delivery || !name) return { status: 'bad_request', message: 'X-GitHub-Delivery or X-GitHub-Event missing' };
  // GitHub's ping when the webhook is created: answered, nothing to store.
  if (name === 'ping') return { status: 'challenge', body: { status: 'ok' } };
  let payload: unknown;
  try {
    payload = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { status: 'bad_request', message: 'the body is not JSON' };
  }
  return { status: 'accepted', batch: translate(org, name, delivery, payload, now) };
}

function batch(events: ProviderEvent[], ignored: IgnoredEvent[]): EventBatch {
  return { events, ignored };
}

/** One delivery → at most one event (its id is the delivery id). */
function translate(org: string, name: string, delivery: string, payload: unknown, now: Date): EventBatch {
  const ignore = (reason: IgnoredEvent['reason'], message: string) => batch([], [{ reason, message, id: delivery }]);
  const sameOrg = (login: string) => login.toLowerCase() === org.toLowerCase();
  if (name === 'organization') {
    const p = organizationPayload.safeParse(payload);
    if (!p.success) return ignore('malformed', `an "organization" delivery without the documented fields (delivery ${delivery})`);
    if (!sameOrg(p.data.organization.login)) return ignore('unknown_scope', `an "organization" delivery for another organisation (delivery ${delivery})`);
    const action = p.data.action;
    if (action !== 'member_added' && action !== 'member_removed' && action !== 'member_invited') return ignore('irrelevant', `organization.${action}`);
    const user = action === 'member_invited' ? p.data.user : p.data.membership?.user;
    if (!user) return ignore('irrelevant', `organization.${action} names no GitHub user (an invitation by email)`);
    return batch([{ id: delivery, occurredAt: now, scope: '', name: `organization.${action}`, hint: { account: { accountId: String(user.id), login: user.login }, topic: 'membership' } }], []);
  }
  if (name === 'membership') {
    const p = membershipPayload.safeParse(payload);
    if (!p.success) return ignore('malformed', `a "membership" delivery without the documented fields (delivery ${delivery})`);
    if (!sameOrg(p.data.organization.login)) return ignore('unknown_scope', `a "membership" delivery for another organisation (delivery ${delivery})`);
    const user = p.data.member;
    if (!user) return ignore('irrelevant', `membership.${p.data.action} names no user`);
    return batch([{ id: delivery, occurredAt: now, scope: '', name: `membership.${p.data.action}`, hint: { account: { accountId: String(user.id), login: user.login }, topic: 'membership' } }], []);
  }
  return ignore('irrelevant', `"${name}" events are not used; subscribe the webhook to "Organizations" and "Team memberships" only`);
}

/** The probe's cursor: the ids of the accounts without 2FA at the last probe. */
interface ProbeCursor {
  v: 1;
  ids: number[];
}

function parseCursor(cursor: string | undefined): Set<number> | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(cursor) as ProbeCursor;
    return c.v === 1 && Array.isArray(c.ids) ? new Set(c.ids.filter((i) => Number.isInteger(i))) : null;
  } catch {
    return null;
  }
}

/**
 * Compares the accounts without 2FA now with the last probe's: each account that entered or left
 * the list is a hint. The first probe (no cursor) only records the list: the scan reconciles what
 * came before it.
 */
export function probeBatch(now: Date, current: ReadonlyMap<number, string>, cursor: string | undefined, requests: number): EventBatch {
  const previous = parseCursor(cursor);
  const next: ProbeCursor = { v: 1, ids: [...current.keys()].sort((a, b) => a - b) };
  const events: ProviderEvent[] = [];
  if (previous) {
    const stamp = now.toISOString();
    for (const [id, login] of current) {
      if (!previous.has(id)) events.push({ id: `probe:${stamp}:${id}:entered`, occurredAt: now, scope: '', name: 'probe.2fa_disabled.entered', hint: { account: { accountId: String(id), login }, topic: 'mfa' } });
    }
    for (const id of previous) {
      if (!current.has(id)) events.push({ id: `probe:${stamp}:${id}:left`, occurredAt: now, scope: '', name: 'probe.2fa_disabled.left', hint: { account: { accountId: String(id) }, topic: 'mfa' } });
    }
  }
  return { events, ignored: [], cursor: JSON.stringify(next), requests };
}
