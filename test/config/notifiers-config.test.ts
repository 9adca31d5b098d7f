/** Config validation of the notifier entries, the reminders section and delivery.alertAfter. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

const monitor = { id: 'gh', type: 'github', org: 'acme', token: '${T}' };
const env = { T: 'ghp_x', SLACK: 'https://hooks.slack.com/services/T/B/x', PD: 'k'.repeat(32) };

function issues(raw: unknown): string[] {
  try {
    resolveConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('notifier config', () => {
  it('accepts every notifier type with its defaults', () => {
    const cfg = resolveConfig(
      {
        monitors: [monitor],
        notifiers: [
          { id: 's', type: 'slack', webhookUrl: '${SLACK}' },
          { id: 'm', type: 'email', smtp: { host: 'smtp.example.com' }, from: 'a@example.com', to: ['b@example.com'] },
          { id: 'w', type: 'webhook', url: 'https://soar.example.com/in', secret: 'x' },
          { id: 'p', type: 'pagerduty', routingKey: '${PD}' },
          { id: 't', type: 'teams', webhookUrl: 'https://example.logic.azure.com/x' },
        ],
      },
      env,
    );
    expect(cfg.notifiers.map((n) => n.config.minSeverity)).toEqual(['info', 'info', 'info', 'info', 'info']);
    expect(cfg.reminders).toEqual({ enabled: true, interval: 7 * 86_400_000, maxListed: 100 });
    expect(cfg.delivery.alertAfter).toBe(3);
    expect(cfg.notifiers[1]?.config).toMatchObject({ smtp: { port: 587, secure: false, starttls: 'required', rejectUnauthorized: true } });
    expect(cfg.notifiers[3]?.config).toMatchObject({ url: 'https://events.pagerduty.com', source: 'mfawatch' });
  });

  it('reports every notifier problem at once, each with its JSON path', () => {
    const found = issues({
      monitors: [monitor],
      notifiers: [
        { id: 's', type: 'slack', webhookUrl: 'not a url' },
        { id: 'm', type: 'email', smtp: { host: 'smtp.example.com', starttls: 'never', auth: { user: 'u', pass: 'p' } }, from: 'a@example.com', to: [] },
        { id: 'w', type: 'webhook', url: 'https://x.example.com' },
        { id: 'p', type: 'pagerduty', routingKey: '${UNSET_KEY}', minSeverity: 'urgent' },
        { id: 't', type: 'teams', webhookUrl: 'https://x.example.com', colour: 'red' },
      ],
      reminders: { interval: 'weekly', notifiers: ['nope'] },
      delivery: { alertAfter: 0 },
    });
    const text = found.join('\n');
    expect(text).toMatch(/notifiers\[0\]\.webhookUrl: must be an http:\/\/ or https:\/\/ URL/);
    expect(text).toMatch(/notifiers\[1\]\.smtp: refusing to send the SMTP password in plain text/);
    expect(text).toMatch(/notifiers\[1\]\.to: list at least one recipient/);
    expect(text).toMatch(/notifiers\[2\]\.secret: required/);
    expect(text).toMatch(/notifiers\[3\]\.routingKey: environment variable UNSET_KEY is not set/);
    expect(text).toMatch(/notifiers\[3\]\.minSeverity: must be one of/);
    expect(text).toMatch(/notifiers\[4\]: unknown key "colour"/);
    expect(text).toMatch(/reminders\.interval: "weekly" is not a duration/);
    expect(text).toMatch(/reminders\.notifiers\[0\]: no notifier has the id "nope"/);
    expect(text).toMatch(/delivery\.alertAfter/);
  });

  it('warns about a literal SMTP password in a file others can read', () => {
    const cfg = resolveConfig(
      { monitors: [monitor], notifiers: [{ id: 'm', type: 'email', smtp: { host: 'smtp.example.com', auth: { user: 'u', pass: 'literal-pass' } }, from: 'a@example.com', to: ['b@example.com'] }] },
      env,
      '/tmp/x.json',
      0o644,
    );
    expect(cfg.warnings.join('\n')).toMatch(/notifiers\[0\]\.smtp\.auth\.pass/);
    expect(JSON.stringify(cfg.notifiers)).not.toContain('literal-pass');
  });
});
