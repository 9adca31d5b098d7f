/**
 * A kill whose process died (issue 12, misleading messages): a real `mfawatch kill` is SIGKILLed
 * while the Okta fake holds its DELETE; `status` then says "interrupted" at once (the claim names
 * the dead pid), not "running" for twice the kill timeout, and the next `run` records it so.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOkta } from '../fakes/responders.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const env = { OKTA_TOKEN: '00okta-interrupted-secret' };
let okta: FakeOkta;
let dir: ReturnType<typeof tempDir>;
let path: string;

beforeEach(async () => {
  okta = new FakeOkta(env.OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
  await okta.start();
  dir = tempDir();
  path = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s' },
    // Long enough that the time rule (twice the kill timeout) cannot be what marks it.
    autoResponse: { killTimeout: '10m' },
    monitors: [{ id: 'idle', type: 'command', command: [process.execPath, '-e', 'console.log(JSON.stringify({ id: "1", login: "x", mfa: "enabled" }))'] }],
    notifiers: [{ id: 'out', type: 'stdout' }],
    responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
  });
});
afterEach(async () => {
  await okta.stop();
  dir.cleanup();
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a kill whose process died', () => {
  it('shows as interrupted in status at once, and the next run records it', async () => {
    okta.inject({ kind: 'hang' }, 1, (r) => r.method === 'DELETE');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'kill', 'alice@example.com', '--yes', '--config', path], { cwd: dir.path, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: 'ignore' });
    const exited = new Promise((done) => child.on('close', done));
    await until(() => okta.requests.some((r) => r.method === 'DELETE'), 'the kill call');
    child.kill('SIGKILL');
    await exited;

    const status = await runCli(['status', '--config', path], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`alice@example\\.com\\s+INTERRUPTED .*the mfawatch process that ran it \\(pid ${child.pid ?? 0}@[^)]+\\) is gone; which services were reached is unknown`));
    expect(status.stdout).not.toMatch(/RUNNING/);

    const run = await runCli(['run', '--config', path], { env });
    expect(run.code, run.stderr).toBe(0);
    const db = new Database(join(dir.path, 'state.db'), { readonly: true });
    try {
      expect(db.prepare(`SELECT status FROM responses`).all()).toEqual([{ status: 'interrupted' }]);
    } finally {
      db.close();
    }
    expect(run.stdout).toMatch(/session kill of alice@example\.com was interrupted/);
  }, 60_000);
});
