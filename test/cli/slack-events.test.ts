/**
 * Slack events through the real CLI and the Slack fake: the organisation's 2FA requirement turned
 * off in the Enterprise Grid audit log is committed as a critical `mfa_requirement_disabled` event
 * and delivered; a member promoted to admin is re-read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../fakes/slack.js';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'xoxp-cli-org-owner';
let slack: FakeSlack;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  slack = new FakeSlack({ [TOKEN]: { userId: 'U0ADMIN', scopes: ['users:read', 'users:read.email', 'auditlogs:read'] } });
  slack.addMember({ id: 'U0ADMIN', name: 'admin', email: 'admin@example.com', isAdmin: true, has2fa: true, twoFactorType: 'app' });
  slack.addMember({ id: 'U0BOB', name: 'bob', email: 'bob@example.com', has2fa: false });
  await slack.start();
  dir = tempDir();
});
afterEach(async () => {
  await slack.stop();
  dir.cleanup();
});

describe('mfawatch run with the Slack audit logs', () => {
  it('alerts the 2FA requirement turned off as critical, and a promotion through a re-read', async () => {
    const env = { T: TOKEN };
    const path = writeConfig(dir.path, {
      database: './state.db',
      schedule: '0 0 1 1 *',
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [{ id: 'slack', type: 'slack', token: '${T}', baseUrl: `${slack.url}/api`, retries: 0, events: { auditLogs: '60s', auditBaseUrl: `${slack.url}/audit/v1` } }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    });
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    const now = Math.floor(Date.now() / 1000);
    slack.addAudit({ action: 'pref.two_factor_auth_changed', details: { previous_value: '1', new_value: '0' }, dateCreate: now });
    slack.members.get('U0BOB')!.isAdmin = true;
    slack.addAudit({ action: 'role_change_to_admin', user: { id: 'U0BOB', name: 'bob' }, dateCreate: now });
    const out = await runCli(['run', '--config', path], { env });
    expect(out.code, out.stderr).toBe(0);
    const lines = eventLines<{ type: string; severity: string; login: string; summary: string; detail?: { via?: string } }>(out.stdout).filter((e) => e.type !== 'baseline');
    const requirement = lines.find((e) => e.type === 'mfa_requirement_disabled');
    expect(requirement).toMatchObject({ severity: 'critical', detail: { via: 'event' } });
    expect(requirement?.summary).toMatch(/requirement of two-factor authentication was turned off/);
    expect(lines.find((e) => e.type === 'privilege_changed')).toMatchObject({ login: 'bob', severity: 'critical', detail: { via: 'event' } });
    expect(lines).toHaveLength(2);
  });
});
