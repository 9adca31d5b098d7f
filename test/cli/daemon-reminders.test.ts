/**
 * The daemon (`mfawatch start`) queues reminder digests on its own once they are due, and
 * delivers them, without any scan running: the digest is due-based, not scan-driven.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationBatch } from '../../notifiers/types.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_daemon_reminder';
let gh: FakeGitHub;
let hook: FakeChannel;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'disabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  await gh.start();
  hook = new FakeChannel('webhook');
  await hook.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './d.db',
    schedule: '0 0 1 1 *',
    reminders: { interval: '1d' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'daemon-secret-12345' }],
  });
});
afterEach(async () => {
  await gh.stop();
  await hook.stop();
  dir.cleanup();
});

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 1_500; i++) {
    if (what()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${label}`);
}

describe('mfawatch start and reminders', () => {
  it('sends the digest once it is due, listing the admin without MFA', async () => {
    const clock = new PinnedClock('2026-11-01T08:00:00.000Z');
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = runCli(['start', '--config', configPath], { env: { T: TOKEN }, stopSignal, overrides: { clock } });
    const kinds = () => hook.bodies<NotificationBatch>().map((b) => b.kind);
    await until(() => kinds().includes('changes'), 'the baseline');
    clock.advance(86_400_000 + 60_000);
    await until(() => kinds().includes('reminder'), 'the reminder digest');
    stop();
    const out = await running;
    expect(out.code).toBe(0);
    const digest = hook.bodies<NotificationBatch>().find((b) => b.kind === 'reminder')!;
    expect(digest).toMatchObject({ severity: 'high', reminder: { total: 1, acknowledged: 0, accounts: [{ login: 'alice', admin: true, mfa: 'disabled', withoutMfaSince: '2026-11-01T08:00:00.000Z' }] } });
    expect(kinds().filter((k) => k === 'reminder')).toHaveLength(1);
  });
});
