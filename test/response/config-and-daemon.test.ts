/**
 * Responder and autoResponse config validation (every error with its JSON path), and the daemon
 * running decided kills continuously after a scan.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { startDaemon } from '../../src/scheduler.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { PinnedClock, memoryLogger, tempDir } from '../helpers.js';

const monitor = { id: 'gh', type: 'github', org: 'acme', token: 'ghp_x_token', baseUrl: 'http://127.0.0.1:9' };
function issues(raw: Record<string, unknown>): string[] {
  try {
    resolveConfig({ monitors: [monitor], ...raw }, {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

describe('config', () => {
  it('reports every responder and autoResponse error at once, with its path', () => {
    const found = issues({
      responders: [
        { id: 'okta', type: 'okta', token: 'x-token' },
        { id: 'g', type: 'google-workspace', adminEmail: 'admin@example.com', serviceAccountKey: '{}', serviceAccountKeyFile: '/k.json' },
        { id: 'aws', type: 'aws-iam', accountId: '12', deactivateAccessKeys: 'yes' },
        { id: 'x', type: 'pagerduty' },
        { id: 'slack', type: 'slack', token: 'xoxp-1' },
        { id: 'slack', type: 'slack', token: 'xoxp-2' },
      ],
      autoResponse: { enabled: true, exempt: ['not an identity'], massChangeShare: 2, cooldown: 'soon', bogus: 1 },
    });
    const text = found.join('\n');
    expect(text).toMatch(/responders\[0\]\.baseUrl: required/);
    expect(text).toMatch(/responders\[1\]\.serviceAccountKey: set exactly one of/);
    expect(text).toMatch(/responders\[2\]\.accountId: must be a 12-digit AWS account id/);
    expect(text).toMatch(/responders\[2\]\.deactivateAccessKeys/);
    expect(text).toMatch(/responders\[3\]\.type: unknown responder type "pagerduty"; known types: auth0, aws-iam, entra, github, google-workspace, okta, slack/);
    expect(text).toMatch(/responders\[5\]\.id: duplicate id "slack"/);
    expect(text).toMatch(/autoResponse\.exempt\[0\]: must be an identity/);
    expect(text).toMatch(/autoResponse\.massChangeShare/);
    expect(text).toMatch(/autoResponse\.cooldown: "soon" is not a duration/);
    expect(text).toMatch(/autoResponse: unknown key "bogus"/);
  });

  it('auto-response on without responders is a config error', () => {
    expect(issues({ autoResponse: { enabled: true } })).toEqual([expect.stringMatching(/^autoResponse\.enabled: auto-response is on but no responders are configured/)]);
  });

  it('defaults: auto-response off and in dry run, with every guard set', () => {
    const cfg = resolveConfig({ monitors: [monitor] }, {});
    expect(cfg.autoResponse).toEqual({ enabled: false, dryRun: true, on: ['mfa_disabled'], minSeverity: 'high', exempt: [], maxPerRun: 3, maxPerDay: 10, cooldown: 86_400_000, massChangeShare: 0.1, massChangeMinAccounts: 3, graceMinutes: 0, killTimeout: 60_000 });
  });
});

describe('the daemon', () => {
  let gh: FakeGitHub;
  let okta: FakeOkta;
  let dir: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    gh = new FakeGitHub({ tokens: { ghp_daemon_token: { owner: true } } });
    gh.addMember({ id: 1, login: 'alice', role: 'member', twoFactor: 'enabled' });
    gh.generateMembers(30);
    okta = new FakeOkta('00okta-daemon');
    okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
    await Promise.all([gh.start(), okta.start()]);
    dir = tempDir();
  });
  afterEach(async () => {
    await Promise.all([gh.stop(), okta.stop()]);
    dir.cleanup();
  });

  it('runs a kill decided by a scan right after it, without waiting for a cycle to end', async () => {
    const cfg = resolveConfig(
      {
        database: `${dir.path}/state.db`,
        schedule: '0 0 1 1 *',
        monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'ghp_daemon_token', baseUrl: gh.url, retries: 0 }],
        responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '00okta-daemon' }],
        autoResponse: { enabled: true, dryRun: false },
        identities: { map: { 'github:alice': 'alice@example.com' } },
      },
      {},
    );
    const app = createApp(cfg, { clock: new PinnedClock(), logger: memoryLogger().logger });
    const daemon = startDaemon(app);
    try {
      await daemon.scanNow('gh');
      gh.members.get(1)!.twoFactor = 'disabled';
      await daemon.scanNow('gh');
      expect(okta.cleared).toEqual(['00ualice+oauth']);
    } finally {
      await daemon.stop();
      app.close();
    }
  });
});
