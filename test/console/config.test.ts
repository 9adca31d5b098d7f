/** The `console` config block: defaults, checks with their JSON paths, secrets. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

const base = { monitors: [{ id: 'gh', type: 'github', org: 'acme', token: 'x-token' }] };
const issues = (raw: unknown, env: Record<string, string> = {}): readonly string[] => {
  try {
    resolveConfig(raw, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
};

describe('console config', () => {
  it('has loopback and safe defaults', () => {
    const c = resolveConfig({ ...base, console: {} }, {});
    expect(c.console).toMatchObject({ listen: '127.0.0.1:8080', viewers: [], responders: [], sessionTtl: 12 * 3_600_000, idleTimeout: 3_600_000, reauthAfter: 300_000 });
    expect(c.console?.publicUrl).toBeUndefined();
    expect(resolveConfig(base, {}).console).toBeUndefined();
  });

  it('reports every problem with its path', () => {
    expect(issues({ ...base, console: { listen: 'everywhere', publicUrl: 'https://mfawatch.example.com/console', oidc: { issuer: 'not a url', clientId: '' }, viewers: 'all', reauthAfter: 'soon', sessionSecret: 'short', colour: 'red' } })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^console\.listen: must be HOST:PORT/),
        expect.stringMatching(/^console\.publicUrl: must be an origin without a path/),
        expect.stringMatching(/^console\.oidc\.issuer: must be an http:\/\/ or https:\/\/ URL/),
        expect.stringMatching(/^console\.oidc\.clientId: /),
        expect.stringMatching(/^console\.viewers: /),
        expect.stringMatching(/^console\.reauthAfter: /),
        expect.stringMatching(/^console: unknown key "colour"/),
        expect.stringMatching(/^console\.sessionSecret: must be at least 32 characters/),
      ]),
    );
  });

  it('needs publicUrl with oidc (the redirect URI is built from it)', () => {
    expect(issues({ ...base, console: { oidc: { issuer: 'https://acme.okta.com', clientId: 'c' } } })).toEqual([
      'console.publicUrl: required with console.oidc (the redirect URI registered at the IdP is <publicUrl>/auth/callback)',
    ]);
  });

  it('treats the client secret and the session secret as secrets', () => {
    const c = resolveConfig({ ...base, console: { publicUrl: 'https://m.example.com', oidc: { issuer: 'https://acme.okta.com', clientId: 'c', clientSecret: '${S}' }, sessionSecret: '${K}' } }, { S: 'oidc-secret-value', K: 'session-key-value-of-at-least-32-characters' });
    expect(JSON.stringify(c.console)).not.toMatch(/oidc-secret-value|session-key-value/);
    expect(c.console?.oidc?.clientSecret?.reveal()).toBe('oidc-secret-value');
    const literal = resolveConfig({ ...base, console: { sessionSecret: 'literal-key-literal-key-literal-key-1' } }, {}, '/tmp/x.json', 0o644);
    expect(literal.warnings.join('\n')).toMatch(/literal secrets at .*console\.sessionSecret/);
  });
});
