/**
 * GitHub events: the webhook signature (GitHub's published test vector), the translation of
 * `organization` and `membership` deliveries, readAccount against the GitHub fake, and the fast
 * 2FA probe.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundRequest, PulledEventSource, PushedEventSource } from '../../monitors/events.js';
import { githubConfigSchema } from '../../monitors/github/config.js';
import { receiveGithubWebhook } from '../../monitors/github/events.js';
import { createGithubMonitor } from '../../monitors/github/index.js';
import { Secret } from '../../src/core/secret.js';
import { FakeGitHub } from '../fakes/github.js';
import { delivery, membershipEvent, organizationEvent, signatureOf } from '../fakes/github-webhooks.js';
import { testDeps } from '../helpers.js';

const TOKEN = 'ghp_events_owner_token';
const SECRET = 'webhook-secret-for-tests';
const never = new AbortController().signal;
const now = new Date('2026-11-22T10:00:00.000Z');

let gh: FakeGitHub;
beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true }, ghp_member: { owner: false } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 3, login: 'carol', role: 'member', twoFactor: 'insecure' });
  gh.addOutsideCollaborator({ id: 10, login: 'victor', twoFactor: 'disabled' });
  await gh.start();
});
afterEach(async () => {
  await gh.stop();
});

function monitorFor(over: Record<string, unknown> = {}) {
  const config = githubConfigSchema.parse({ id: 'gh', type: 'github', org: 'acme', token: TOKEN, baseUrl: gh.url, retries: 0, events: { webhookSecret: SECRET }, ...over });
  return createGithubMonitor(config, testDeps());
}

function request(d: { headers: Record<string, string>; body: string }): InboundRequest {
  return { method: 'POST', headers: d.headers, rawBody: Buffer.from(d.body) };
}

describe('webhook signature', () => {
  it("accepts GitHub's published test vector and refuses it with one digit changed", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const secret = new Secret("It's a Secret to Everybody");
    const vector = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const headers = { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'd-1', 'x-hub-signature-256': vector };
    const ok = await receiveGithubWebhook('acme', secret, { method: 'POST', headers, rawBody: Buffer.from('Hello, World!') }, now);
    expect(ok.status).toBe('challenge');
    const bad = await receiveGithubWebhook('acme', secret, { method: 'POST', headers: { ...headers, 'x-hub-signature-256': vector.replace(/7$/, '8') }, rawBody: Buffer.from('Hello, World!') }, now);
    expect(bad.status).toBe('unauthorized');
  });

  it('refuses a missing signature, a signature with another secret, and a body changed after signing', async () => {
    const secret = new Secret(SECRET);
    const d = delivery(SECRET, 'organization', organizationEvent('acme', 'member_added', { id: 5, login: 'mallory' }));
    expect((await receiveGithubWebhook('acme', secret, request({ ...d, headers: { ...d.headers, 'x-hub-signature-256': '' } }), now)).status).toBe('unauthorized');
    expect((await receiveGithubWebhook('acme', secret, request(delivery('another-secret', 'organization', JSON.parse(d.body))), now)).status).toBe('unauthorized');
    expect((await receiveGithubWebhook('acme', secret, request({ ...d, body: d.body.replace('mallory', 'mallorz') }), now)).status).toBe('unauthorized');
    expect((await receiveGithubWebhook('acme', secret, request(d), now)).status).toBe('accepted');
  });
});

describe('webhook translation', () => {
  const secret = new Secret(SECRET);
  it('organization member_added / member_removed / member_invited and membership are hints about that user, keyed by the delivery id', async () => {
    for (const [event, payload, name] of [
      ['organization', organizationEvent('acme', 'member_added', { id: 5, login: 'mallory' }), 'organization.member_added'],
      ['organization', organizationEvent('ACME', 'member_removed', { id: 5, login: 'mallory' }), 'organization.member_removed'],
      ['organization', organizationEvent('acme', 'member_invited', { id: 5, login: 'mallory' }), 'organization.member_invited'],
      ['membership', membershipEvent('acme', 'added', { id: 5, login: 'mallory' }), 'membership.added'],
    ] as const) {
      const v = await receiveGithubWebhook('acme', secret, request(delivery(SECRET, event, payload, { id: `d-${name}` })), now);
      expect(v.status).toBe('accepted');
      if (v.status !== 'accepted') continue;
      expect(v.batch.events).toEqual([{ id: `d-${name}`, occurredAt: now, scope: '', name, hint: { account: { accountId: '5', login: 'mallory' }, topic: 'membership' } }]);
    }
  });

  it('sets aside other actions, other events, other organisations and malformed bodies, saying why', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['organization', { ...(organizationEvent('acme', 'member_added', { id: 5, login: 'x' }) as object), action: 'renamed' }, 'irrelevant'],
      ['push', { ref: 'refs/heads/main' }, 'irrelevant'],
      ['organization', organizationEvent('other-org', 'member_added', { id: 5, login: 'x' }), 'unknown_scope'],
      ['organization', { action: 'member_added' }, 'malformed'],
    ];
    for (const [event, payload, reason] of cases) {
      const v = await receiveGithubWebhook('acme', secret, request(delivery(SECRET, event, payload)), now);
      expect(v.status === 'accepted' && v.batch.events.length === 0 && v.batch.ignored[0]?.reason).toBe(reason);
    }
    // The signature covers the exact bytes: a body changed after signing is refused before parsing.
    const signed = delivery(SECRET, 'organization', {});
    expect((await receiveGithubWebhook('acme', secret, { method: 'POST', headers: signed.headers, rawBody: Buffer.from('{not json') }, now)).status).toBe('unauthorized');
    const body = '{not json';
    const signedNotJson = await receiveGithubWebhook('acme', secret, { method: 'POST', headers: { ...signed.headers, 'x-hub-signature-256': signatureOf(SECRET, body) }, rawBody: Buffer.from(body) }, now);
    expect(signedNotJson.status).toBe('bad_request');
    const form = delivery(SECRET, 'organization', {}, { contentType: 'application/x-www-form-urlencoded' });
    expect((await receiveGithubWebhook('acme', secret, request(form), now)).status).toBe('unsupported_media_type');
  });

  it('the monitor offers the webhook only with a secret, and the probe unless it is off', () => {
    expect(monitorFor().eventSources?.().map((s) => `${s.kind}:${s.name}`)).toEqual(['push:webhook', 'pull:probe']);
    expect(monitorFor({ events: { probe: false, webhookSecret: SECRET } }).eventSources?.().map((s) => s.name)).toEqual(['webhook']);
    expect(monitorFor({ events: { probe: '30s' } }).eventSources?.().map((s) => s.name)).toEqual(['probe']);
    expect(monitorFor({ events: undefined }).eventSources?.()).toEqual([]);
    expect(githubConfigSchema.safeParse({ id: 'gh', type: 'github', org: 'acme', token: TOKEN, events: { probe: '1s' } }).success).toBe(false);
    const hook = monitorFor().eventSources?.()[0] as PushedEventSource;
    expect(hook.kind).toBe('push');
  });
});

describe('readAccount', () => {
  it('reads a member as a scan would: role, 2FA state from the same filters', async () => {
    const m = monitorFor();
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '1' }, never)).toMatchObject({ status: 'present', observation: { accountId: '1', login: 'alice', kind: 'member', admin: true, mfa: 'enabled' } });
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { login: 'bob' }, never)).toMatchObject({ status: 'present', observation: { accountId: '2', admin: false, mfa: 'disabled' } });
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '3' }, never)).toMatchObject({ status: 'present', observation: { mfa: 'weak', factors: ['sms'] } });
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '10' }, never)).toMatchObject({ status: 'present', observation: { kind: 'outside_collaborator', mfa: 'disabled' } });
  });

  it('follows a renamed login by id; gone only on GitHub’s own answers; an error is thrown, never read as gone', async () => {
    const m = monitorFor();
    gh.members.get(2)!.login = 'bobby';
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '2', login: 'bob' }, never)).toMatchObject({ status: 'present', observation: { login: 'bobby' } });
    gh.members.delete(2);
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '2' }, never)).toEqual({ status: 'gone', account: { accountId: '2' } });
    expect(await m.readAccount?.({ id: '', label: 'acme' }, { accountId: '424242' }, never)).toMatchObject({ status: 'gone' });
    gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 1);
    await expect(m.readAccount?.({ id: '', label: 'acme' }, { accountId: '1' }, never)).rejects.toMatchObject({ reason: 'server' });
  });
});

describe('the fast probe', () => {
  it('first records the list, then reports accounts that entered or left it; one request per 100 listed', async () => {
    const probe = monitorFor().eventSources?.().find((s) => s.name === 'probe') as PulledEventSource;
    expect(probe.intervalMs).toBe(60_000);
    const first = await probe.poll(undefined, never);
    expect(first.events).toEqual([]);
    expect(JSON.parse(first.cursor ?? '')).toEqual({ v: 1, ids: [2, 10] });
    expect(first.requests).toBe(2);
    gh.members.get(1)!.twoFactor = 'disabled';
    gh.members.get(2)!.twoFactor = 'enabled';
    const second = await probe.poll(first.cursor, never);
    expect(second.events.map((e) => [e.name, e.hint?.account.accountId])).toEqual([['probe.2fa_disabled.entered', '1'], ['probe.2fa_disabled.left', '2']]);
    const third = await probe.poll(second.cursor, never);
    expect(third.events).toEqual([]);
  });

  it('a token that is not an owner’s fails the probe with a permission error that says what to do', async () => {
    const probe = monitorFor({ token: 'ghp_member' }).eventSources?.().find((s) => s.name === 'probe') as PulledEventSource;
    await expect(probe.poll(undefined, never)).rejects.toMatchObject({ reason: 'permission', message: expect.stringMatching(/only organisation owners/) });
  });
});
