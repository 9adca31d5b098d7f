/**
 * "A crash at any moment loses nothing": `mfawatch run` is a real child process, killed with
 * SIGKILL after it committed the scan and while the channel holds its request unanswered. The
 * next run delivers the batch, exactly once. Synchronised on what the receiver and the database
 * see, never on sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_crash_test_token';
const BIN = fileURLToPath(new URL('../../bin/mfawatch.js', import.meta.url));

let gh: FakeGitHub;
let hook: FakeChannel;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let child: ChildProcess | null = null;

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'disabled' });
  await gh.start();
  hook = new FakeChannel('webhook');
  await hook.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './crash.db',
    delivery: { timeout: '2s', runDeadline: '20s', initialBackoff: '100ms' },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [{ id: 'soar', type: 'webhook', url: `${hook.url}/in`, secret: 'crash-test-secret-123' }],
  });
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await gh.stop();
  await hook.stop();
  dir.cleanup();
});

function runChild(): { proc: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const proc = spawn(process.execPath, [BIN, 'run', '--config', configPath], { env: { ...process.env, GH_TOKEN: TOKEN, MFAWATCH_CONFIG: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child = proc;
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => proc.on('exit', (code, signal) => done({ code, signal, stderr })));
  return { proc, exit };
}

const outbox = () => {
  const db = new Database(join(dir.path, 'crash.db'), { readonly: true });
  try {
    return db.prepare('SELECT batch_id, status FROM outbox ORDER BY id').all() as Array<{ batch_id: string; status: string }>;
  } finally {
    db.close();
  }
};

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (what()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${label}`);
}

describe('a process killed between commit and confirmed send', () => {
  it('delivers the batch after restart, exactly once', async () => {
    hook.inject({ kind: 'hang' }, 1);
    const first = runChild();
    // The receiver holds the request: the scan is committed, the send not confirmed.
    await until(() => hook.requests.length === 1, 'the first delivery attempt');
    expect(outbox()).toEqual([{ batch_id: expect.stringMatching(/^scan-\d+$/), status: 'pending' }]);
    first.proc.kill('SIGKILL');
    const killed = await first.exit;
    expect(killed.signal).toBe('SIGKILL');
    expect(hook.accepted).toHaveLength(0);

    const second = runChild();
    const done = await second.exit;
    expect(done.code, done.stderr).toBe(0);
    expect(hook.accepted).toHaveLength(1);
    expect(outbox()).toEqual([{ batch_id: expect.stringMatching(/^scan-\d+$/), status: 'sent' }]);
    const body = JSON.parse(hook.accepted[0]!.body) as { kind: string; events: Array<{ type: string }> };
    expect(body.events.map((e) => e.type)).toEqual(['baseline']);
    // The batch id is the same on the killed attempt and the delivered one: receivers can drop duplicates.
    expect(hook.requests[0]?.headers['x-mfawatch-delivery']).toBe(hook.accepted[0]?.headers['x-mfawatch-delivery']);
  });
});
