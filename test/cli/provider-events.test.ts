/**
 * Events of Google Workspace, Auth0 and GitLab through the real CLI and their fakes: `mfawatch run`
 * drains the source; an MFA factor removed at the provider is alerted from the event (verified at
 * the provider's API), and neither the scan of the same run nor the next run alerts it again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAuth0 } from '../fakes/auth0.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { DIRECTORY_READONLY, FakeGoogle, REPORTS_READONLY, makeServiceAccount } from '../fakes/google.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const changes = (out: CliResult) => eventLines<{ type: string; login: string; detail?: { via?: string } }>(out.stdout).filter((e) => e.type !== 'baseline').map((e) => [e.type, e.login, e.detail?.via]);

function config(monitor: Record<string, unknown>): string {
  return writeConfig(dir.path, { database: './state.db', schedule: '0 0 1 1 *', delivery: { runDeadline: '2s', initialBackoff: '100ms' }, monitors: [monitor], notifiers: [{ id: 'out', type: 'stdout' }] });
}

describe('Google Workspace login audit', () => {
  it('2sv_disable → mfa_disabled from the event, once', async () => {
    const sa = makeServiceAccount();
    const google = new FakeGoogle();
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, REPORTS_READONLY] });
    google.addUser({ id: '1001', primaryEmail: 'admin@acme.example', isAdmin: true, isEnrolledIn2Sv: true });
    google.addUser({ id: '1002', primaryEmail: 'bob@acme.example', isEnrolledIn2Sv: true });
    await google.start();
    try {
      const path = config({ id: 'gws', type: 'google-workspace', subject: 'admin@acme.example', serviceAccountKey: '${K}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0, events: { reports: '60s' } });
      const env = { K: JSON.stringify(sa.keyJson) };
      expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
      google.users.get('1002')!.isEnrolledIn2Sv = false;
      google.addActivity({ eventName: '2sv_disable', actor: { email: 'bob@acme.example', profileId: '1002' }, time: new Date().toISOString() });
      const out = await runCli(['run', '--config', path], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(changes(out)).toEqual([['mfa_disabled', 'bob@acme.example', 'event']]);
      expect(changes(await runCli(['run', '--config', path], { env }))).toEqual([]);
    } finally {
      await google.stop();
    }
  });
});

describe('Auth0 tenant logs', () => {
  it('gd_unenroll → mfa_disabled from the event, once', async () => {
    const fake = new FakeAuth0();
    fake.scopes = ['read:users', 'read:authentication_methods', 'read:logs'];
    fake.add({ user_id: 'auth0|alice', email: 'alice@example.com', methods: [{ type: 'guardian' }] });
    fake.add({ user_id: 'auth0|bob', email: 'bob@example.com', methods: [{ type: 'totp' }] });
    fake.addLog({ type: 's', user_id: 'auth0|alice' });
    await fake.start();
    try {
      const path = config({ id: 'auth0', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: '${S}', baseUrl: fake.url, retries: 0, events: { logs: '30s' } });
      const env = { S: fake.clientSecret };
      expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
      fake.users.get('auth0|bob')!.methods = [];
      fake.addLog({ type: 'gd_unenroll', user_id: 'auth0|bob' });
      const out = await runCli(['run', '--config', path], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(changes(out)).toEqual([['mfa_disabled', 'bob@example.com', 'event']]);
      expect(changes(await runCli(['run', '--config', path], { env }))).toEqual([]);
    } finally {
      await fake.stop();
    }
  });
});

describe('GitLab audit events', () => {
  it('user_disable_two_factor → mfa_disabled from the event, once', async () => {
    const fake = new FakeGitlab();
    fake.add({ id: 1, username: 'root', isAdmin: true, twoFactor: true });
    fake.add({ id: 2, username: 'bob', twoFactor: true });
    await fake.start();
    try {
      const path = config({ id: 'gl', type: 'gitlab', baseUrl: fake.url, token: '${T}', retries: 0, events: { auditEvents: '60s' } });
      const env = { T: 'glpat-admin-test-token-0001' };
      expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
      fake.users.get(2)!.twoFactor = false;
      fake.addAudit({ eventName: 'user_disable_two_factor', userId: 2, username: 'bob', createdAt: new Date().toISOString() });
      const out = await runCli(['run', '--config', path], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(changes(out)).toEqual([['mfa_disabled', 'bob', 'event']]);
      expect(changes(await runCli(['run', '--config', path], { env }))).toEqual([]);
    } finally {
      await fake.stop();
    }
  });
});
