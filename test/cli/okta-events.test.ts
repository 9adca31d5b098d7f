/**
 * Okta events through the real CLI and the Okta fake: `mfawatch run` drains the System Log; a
 * factor removed by an administrator is alerted from the event (verified at Okta), and the scan of
 * the same run does not repeat it; a sign-in without MFA becomes its own change event.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOkta } from '../fakes/okta.js';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = '00okta-cli-events';
let okta: FakeOkta;
let dir: ReturnType<typeof tempDir>;
const env = { T: TOKEN };

function config() {
  return writeConfig(dir.path, {
    database: './state.db',
    schedule: '0 0 1 1 *',
    delivery: { runDeadline: '2s', initialBackoff: '100ms' },
    monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${T}', retries: 0, events: { systemLog: '30s' } }],
    notifiers: [{ id: 'out', type: 'stdout' }],
  });
}

beforeEach(async () => {
  okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true, roles: true } } });
  okta.addUser({ id: '00ua1', login: 'alice@example.com', factors: [{ factorType: 'webauthn' }] });
  okta.addUser({ id: '00ub2', login: 'bob@example.com', factors: [{ factorType: 'push' }] });
  okta.generateUsers(20);
  await okta.start();
  dir = tempDir();
});
afterEach(async () => {
  await okta.stop();
  dir.cleanup();
});

describe('mfawatch run with the Okta System Log', () => {
  it('alerts a removed factor from the event, once; the scan of the same run says nothing more', async () => {
    const path = config();
    expect((await runCli(['run', '--config', path], { env })).code).toBe(0);
    okta.users.get('00ub2')!.factors = [];
    const bob = { id: '00ub2', type: 'User', alternateId: 'bob@example.com' };
    okta.addLog({ eventType: 'user.mfa.factor.deactivate', actor: { id: '00uadmin', alternateId: 'admin@example.com' }, target: [bob], published: new Date().toISOString() });
    // A password-only sign-in of alice, long enough ago that no MFA event of its session can still come.
    okta.addLog({ eventType: 'user.session.start', actor: { id: '00ua1', alternateId: 'alice@example.com' }, externalSessionId: 'idxPWONLY', credentialType: 'PASSWORD', published: new Date(Date.now() - 20 * 60_000).toISOString() });
    const out = await runCli(['run', '--config', path], { env });
    expect(out.code, out.stderr).toBe(0);
    const lines = eventLines<{ type: string; login: string; detail?: { via?: string } }>(out.stdout).filter((e) => e.type !== 'baseline');
    expect(lines.map((e) => [e.type, e.login])).toEqual(expect.arrayContaining([['mfa_disabled', 'bob@example.com'], ['signin_without_mfa', 'alice@example.com']]));
    expect(lines).toHaveLength(2);
    expect(lines.find((e) => e.type === 'mfa_disabled')?.detail?.via).toBe('event');
    expect(out.stderr).toMatch(/okta: scan ok, 22 accounts, 0 change\(s\)/);

    const again = await runCli(['run', '--config', path], { env });
    expect(eventLines<{ type: string }>(again.stdout).filter((e) => e.type !== 'baseline')).toEqual([]);
    const status = await runCli(['status', '--config', path], { env });
    expect(status.stdout).toMatch(/okta system-log \(pulled\): ok/);
  });
});
