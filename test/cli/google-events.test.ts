/**
 * Google Workspace admin role grants through the real CLI and the Google fake: `mfawatch run`
 * polls the admin audit; an ASSIGN_ROLE to a user without 2-Step Verification is verified at the
 * Directory API (users.get shows the admin flag) and alerted once as privilege_changed, critical
 * (an admin without MFA); neither the scan of the same run nor the next run alerts it again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIRECTORY_READONLY, FakeGoogle, REPORTS_READONLY, makeServiceAccount } from '../fakes/google.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const changes = (out: CliResult) =>
  eventLines<{ type: string; severity: string; login: string; detail?: { via?: string } }>(out.stdout)
    .filter((e) => e.type !== 'baseline')
    .map((e) => [e.type, e.severity, e.login, e.detail?.via]);

describe('Google Workspace admin audit', () => {
  it('ASSIGN_ROLE to a user without 2SV → privilege_changed (critical) from the event, once', async () => {
    const sa = makeServiceAccount();
    const google = new FakeGoogle();
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, REPORTS_READONLY] });
    google.addUser({ id: '1001', primaryEmail: 'admin@acme.example', isAdmin: true, isEnrolledIn2Sv: true });
    google.addUser({ id: '1003', primaryEmail: 'carol@acme.example', isEnrolledIn2Sv: false });
    await google.start();
    try {
      const path = writeConfig(dir.path, {
        database: './state.db', schedule: '0 0 1 1 *', delivery: { runDeadline: '2s', initialBackoff: '100ms' }, notifiers: [{ id: 'out', type: 'stdout' }],
        monitors: [{ id: 'gws', type: 'google-workspace', subject: 'admin@acme.example', serviceAccountKey: '${K}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0, events: { reports: '60s' } }],
      });
      const env = { K: JSON.stringify(sa.keyJson) };
      const baseline = await runCli(['run', '--config', path], { env });
      expect(baseline.code, baseline.stderr).toBe(0);
      google.users.get('1003')!.isDelegatedAdmin = true;
      google.addActivity({
        applicationName: 'admin', eventName: 'ASSIGN_ROLE', actor: { email: 'admin@acme.example', profileId: '1001' }, time: new Date().toISOString(),
        parameters: [{ name: 'ORG_UNIT_NAME', value: '/' }, { name: 'ROLE_NAME', value: '_USER_MANAGEMENT_ADMIN_ROLE' }, { name: 'USER_EMAIL', value: 'carol@acme.example' }],
      });
      const out = await runCli(['run', '--config', path], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(changes(out)).toEqual([['privilege_changed', 'critical', 'carol@acme.example', 'event']]);
      expect(google.activityRequests().some((r) => r.path.endsWith('/applications/admin') && r.query.get('eventName') === 'ASSIGN_ROLE')).toBe(true);
      expect(changes(await runCli(['run', '--config', path], { env }))).toEqual([]);
    } finally {
      await google.stop();
    }
  });
});
