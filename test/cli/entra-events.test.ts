/**
 * Entra ID events through the real CLI and the Entra fake: `mfawatch run` drains the directory
 * audit log; security info deleted by an administrator is alerted from the event (verified in the
 * registration report), and the scan of the same run does not repeat it; with `events.signIns`, a
 * single-factor sign-in from the beta sign-in log is alerted once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeEntra } from '../fakes/entra.js';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

let fake: FakeEntra;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  fake = new FakeEntra();
  fake.add({ id: 'a1', userPrincipalName: 'alice@contoso.com', isAdmin: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
  fake.add({ id: 'b2', userPrincipalName: 'bob@contoso.com', methodsRegistered: ['fido2SecurityKey'] });
  for (let i = 0; i < 10; i++) fake.add({ id: `u${i}`, userPrincipalName: `user${i}@contoso.com`, methodsRegistered: ['softwareOneTimePasscode'] });
  await fake.start();
  dir = tempDir();
});
afterEach(async () => {
  await fake.stop();
  dir.cleanup();
});

describe('mfawatch run with the Entra directory audit log', () => {
  it('alerts deleted security info from the event, once; the scan of the same run says nothing more', async () => {
    const env = { S: fake.clientSecret };
    const path = writeConfig(dir.path, {
      database: './state.db',
      schedule: '0 0 1 1 *',
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [{ id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${S}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: { directoryAudits: '60s' } }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    });
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    fake.users.get('b2')!.methodsRegistered = [];
    fake.addAudit({ activityDisplayName: 'Admin deleted security info', activityDateTime: new Date().toISOString(), target: { id: 'b2', userPrincipalName: 'bob@contoso.com' } });
    const out = await runCli(['run', '--config', path], { env });
    expect(out.code, out.stderr).toBe(0);
    const lines = eventLines<{ type: string; login: string; detail?: { via?: string } }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(lines.map((e) => [e.type, e.login, e.detail?.via])).toEqual([['mfa_disabled', 'bob@contoso.com', 'event']]);
    expect(out.stderr).toMatch(/entra: scan ok, 12 accounts, 0 change\(s\)/);
    // The overlap window re-reads the entry: a duplicate, not a second alert.
    const again = await runCli(['run', '--config', path], { env });
    expect(eventLines<{ type: string }>(again.stdout).filter((e) => e.type !== 'baseline')).toEqual([]);
  });

  it('with events.signIns: an admin\'s single-factor sign-in is one critical signin_without_mfa', async () => {
    const env = { S: fake.clientSecret };
    const path = writeConfig(dir.path, {
      database: './state.db',
      schedule: '0 0 1 1 *',
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [{ id: 'entra', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: '${S}', loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: { signIns: true } }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    });
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    fake.addSignIn({ createdDateTime: new Date().toISOString(), userId: 'a1', userPrincipalName: 'alice@contoso.com', errorCode: 0, ipAddress: '203.0.113.9' });
    const out = await runCli(['run', '--config', path], { env });
    expect(out.code, out.stderr).toBe(0);
    const lines = eventLines<{ type: string; login: string; severity: string; summary: string }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(lines.map((e) => [e.type, e.login, e.severity])).toEqual([['signin_without_mfa', 'alice@contoso.com', 'critical']]);
    expect(lines[0]!.summary).toBe('alice@contoso.com (admin) signed in without MFA from 203.0.113.9');
    const again = await runCli(['run', '--config', path], { env });
    expect(eventLines<{ type: string }>(again.stdout).filter((e) => e.type !== 'baseline')).toEqual([]);
    const status = await runCli(['status', '--config', path], { env });
    expect(status.stdout).toMatch(/entra sign-ins \(pulled\): ok\n.*\n\s+events\s+1 received, \d+ duplicate/);
  });
});
