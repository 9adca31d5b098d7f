/**
 * Config messages that used to mislead (issue 12): a malformed `${` reference passed `config
 * check` and was used as a literal token; `observability.listen` on every interface exposed
 * per-monitor counts without a word.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const config = (token: string, extra: Record<string, unknown> = {}) =>
  writeConfig(dir.path, {
    database: './state.db',
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token }],
    notifiers: [{ id: 'out', type: 'stdout', minSeverity: 'info' }],
    ...extra,
  });
const check = (path: string) => runCli(['config', 'check', '--config', path], { env: { GITHUB_TOKEN: 'ghp_from_the_environment' } });

describe('malformed ${…} references are config errors with their JSON path', () => {
  it.each([
    ['${GITHUB_TOKEN', /monitors\[0\]\.token: "\$\{GITHUB_TOKEN" is not a valid environment reference \(the "\$\{" is never closed by "\}"\): write \$\{NAME\}/],
    ['${lower-case}', /monitors\[0\]\.token: "\$\{lower-case\}" is not a valid environment reference \(a name has only letters, digits and underscores/],
    ['Bearer ${GITHUB_TOKEN} ${', /monitors\[0\]\.token: "\$\{" is not a valid environment reference/],
    ['${1TOKEN}', /monitors\[0\]\.token: "\$\{1TOKEN\}" is not a valid environment reference/],
  ])('%j', async (token, message) => {
    const out = await check(config(token));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it('a well-formed reference still passes', async () => {
    const out = await check(config('${GITHUB_TOKEN}'));
    expect(out.code, out.stderr).toBe(0);
  });
});

describe('observability.listen beyond loopback', () => {
  it.each([['0.0.0.0:9464'], ['[::]:9464'], ['10.1.2.3:9464']])('%s: config check warns that /healthz and /metrics are open to others', async (listen) => {
    const path = config('${GITHUB_TOKEN}', { observability: { listen } });
    const out = await check(path);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(new RegExp(`warning: observability\\.listen is ${listen.replace(/[.[\]]/g, '\\$&')}: /healthz and /metrics answer anyone .*without authentication.*listen on 127\\.0\\.0\\.1`));
    // `start` logs the same warnings (createApp logs every config warning).
    expect(loadConfig(path, { GITHUB_TOKEN: 'x' }).warnings.some((w) => w.startsWith('observability.listen'))).toBe(true);
  });

  it.each([['127.0.0.1:9464'], ['[::1]:9464'], ['localhost:9464']])('%s: no warning', async (listen) => {
    const out = await check(config('${GITHUB_TOKEN}', { observability: { listen } }));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toMatch(/observability\.listen/);
  });
});
