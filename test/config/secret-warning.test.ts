/** The literal-secret warning: a config file others can read must not hold a secret itself. */
import { chmodSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.cleanup());

const LITERAL_TOKEN = 'ghp_literal_token_in_file_0123';
const LITERAL_HEARTBEAT = 'https://hc-ping.example/literal-check-uuid';

describe('config check warns about literal secrets in a file others can read', () => {
  it.each([
    ['0644 with literal secrets: warned, paths named, values never shown', 0o644, true, true],
    ['0600 with literal secrets: quiet', 0o600, true, false],
    ['0644 with ${ENV} references: quiet', 0o644, false, false],
  ])('%s', async (_name, mode, literal, warned) => {
    const path = writeConfig(dir.path, {
      health: { heartbeatUrl: literal ? LITERAL_HEARTBEAT : '${HB}' },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: literal ? LITERAL_TOKEN : '${GH}' }],
      notifiers: [{ id: 'out', type: 'stdout' }],
    });
    chmodSync(path, mode);
    const out = await runCli(['config', 'check', '--config', path], { env: { GH: 'x', HB: 'https://hc-ping.example/x' } });
    expect(out.code).toBe(0);
    if (warned) {
      expect(out.stderr).toMatch(/warning: the config file is readable by other users and holds literal secrets at monitors\[0\]\.token, health\.heartbeatUrl: move them to the environment/);
    } else {
      expect(out.stderr).not.toMatch(/warning/);
    }
    expect(out.stdout + out.stderr).not.toContain(LITERAL_TOKEN);
    expect(out.stdout + out.stderr).not.toContain('literal-check-uuid');
  });
});
