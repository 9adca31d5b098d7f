/**
 * Slack responder: resets every web and mobile session of the user (Enterprise Grid only).
 *   GET  users.lookupByEmail?email=…          scope users:read.email   (when no Slack account is linked)
 *   POST admin.users.session.reset  user_id=…  scope admin.users:write (an org admin's user token)
 * https://docs.slack.dev/reference/methods/admin.users.session.reset
 * The Web API answers HTTP 200 with {"ok": false, "error": "…"} for most failures, 429 with
 * Retry-After when rate limited.
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError, type ErrorReason } from '../../src/core/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import { AFTER_KILL_FAILURE, accountsOfType, registerResponder, type Responder, type ResponderModule } from '../types.js';
import { slackResponderSchema, type SlackResponderConfig } from './config.js';

const SERVICE = 'Slack';
const README = 'see responders/slack/README.md';

const slackAnswer = z.object({ ok: z.boolean(), error: z.string().optional(), needed: z.string().optional(), user: z.object({ id: z.string() }).optional() });

/** Slack error codes meaning the workspace or token cannot reset sessions at all. */
const UNSUPPORTED = new Set(['not_an_enterprise', 'feature_not_enabled', 'not_allowed_token_type', 'team_not_found', 'not_an_admin', 'no_permission']);

function slackFailure(method: string, error: string, needed: string | undefined): ProviderError {
  const table: Record<string, [ErrorReason, string]> = {
    invalid_auth: ['auth', 'the token is invalid'],
    not_authed: ['auth', 'no token was sent'],
    token_revoked: ['auth', 'the token was revoked'],
    token_expired: ['auth', 'the token expired'],
    account_inactive: ['auth', 'the token belongs to a deactivated user'],
    missing_scope: ['permission', `the token lacks the ${needed ?? 'admin.users:write'} scope`],
    ratelimited: ['rate_limited', 'rate limit reached'],
  };
  const [reason, words] = table[error] ?? ['client', `Slack said "${error}"`];
  return new ProviderError(`Slack ${method} failed: ${words}`, { reason, provider: SERVICE, hint: README });
}

export function createSlackResponder(config: SlackResponderConfig, deps: ModuleDeps): Responder {
  const base = config.baseUrl.replace(/\/+$/, '');
  const http = createHttpClient({
    afterFailure: AFTER_KILL_FAILURE,
    provider: SERVICE, baseUrl: base, fetch: deps.fetch, sleep: deps.sleep, timeoutMs: config.requestTimeout, secrets: [config.token],
    headers: () => ({ authorization: `Bearer ${config.token.reveal()}` }),
  });
  return {
    async invalidate(target, { dryRun, signal, record }) {
      let userId = accountsOfType(target, 'slack')[0]?.accountId;
      if (!userId) {
        record({ method: 'GET', url: `${base}/users.lookupByEmail?email=${encodeURIComponent(target.identity)}`, note: 'find the user' });
        const found = await http.request({ path: '/users.lookupByEmail', query: { email: target.identity }, signal }, slackAnswer);
        if (!found.data.ok) {
          if (found.data.error === 'users_not_found') return { outcome: 'not_found', detail: `Slack has no user with the email ${target.identity}` };
          throw slackFailure('users.lookupByEmail', found.data.error ?? 'unknown_error', found.data.needed);
        }
        userId = found.data.user?.id;
        if (!userId) throw new ProviderError('Slack answered users.lookupByEmail without a user id', { reason: 'malformed', provider: SERVICE, hint: 'check baseUrl' });
      }
      const form = new URLSearchParams({ user_id: userId, ...(config.mobile ? {} : { web_only: 'true' }) });
      record({ method: 'POST', url: `${base}/admin.users.session.reset`, note: `reset all sessions of ${userId} (form ${form.toString()})` });
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would reset the sessions of Slack user ${userId}` };
      // A session reset is idempotent: retrying after a lost answer is safe.
      const r = await http.request({ method: 'POST', path: '/admin.users.session.reset', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal }, slackAnswer);
      if (!r.data.ok) {
        const error = r.data.error ?? 'unknown_error';
        if (error === 'user_not_found' || error === 'users_not_found') return { outcome: 'not_found', detail: `Slack has no user ${userId}` };
        if (UNSUPPORTED.has(error)) {
          return { outcome: 'unsupported', detail: `Slack refused admin.users.session.reset (${error}): resetting sessions needs Enterprise Grid and an org admin's user token; on other plans sign the user out by hand in the admin console` };
        }
        throw slackFailure('admin.users.session.reset', error, r.data.needed);
      }
      return { outcome: 'succeeded', detail: `reset all ${config.mobile ? 'web and mobile' : 'web'} sessions of Slack user ${userId}` };
    },
  };
}

export const slackResponder: ResponderModule<SlackResponderConfig> = {
  type: 'slack',
  service: SERVICE,
  configSchema: slackResponderSchema,
  secretKeys: ['token'],
  create: (config, deps) => createSlackResponder(config, deps),
};

export default registerResponder(slackResponder);
