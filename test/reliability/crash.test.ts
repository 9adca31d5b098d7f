/**
 * Crash safety: a real `node bin/mfawatch.js run` is SIGKILLed at each stage of a cycle, then run
 * again. After each: the database passes PRAGMA integrity_check, the real change made at the
 * provider is recorded once and delivered (no alert lost), and a delivery is repeated at most
 * once per crash (only on a channel without a dedup key, and only when killed between the
 * channel's acceptance and the record of it).
 *
 * Stages reached from outside with real pauses: mid-fetch (the fake holds a page request open; the
 * test waits until it has it, then kills). Stages inside a synchronous SQLite transaction or
 * between two statements cannot be reached from outside, so they use the TEST-ONLY crash points
 * of src/core/crash-point.ts (MFAWATCH_TEST_CRASH_POINT, read once by the CLI).
 * Mid-kill and mid-delivery to PagerDuty are real pauses too: the responder's (Okta) or the
 * channel's (PagerDuty) fake holds the request unanswered and the test kills once it has it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta as FakeOktaSessions } from '../fakes/responders.js';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';
import { writeResults, type CrashRow } from './results.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TOKEN = 'ghp_crash_test_owner_token_0123456789';
const rows: CrashRow[] = [];

interface Child {
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: () => void;
}

function spawnRun(configPath: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'run', '--config', configPath], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { pid: child.pid ?? 0, stdout: () => out, stderr: () => err, exit, kill: () => child.kill('SIGKILL') };
}

async function until(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const deliveredLines = (stdout: string) =>
  eventLines<{ type: string; accountId: string | null; batchId: string; batchKind?: string }>(stdout)
    // Announcements of a kill carry the event that caused it: they are not its delivery.
    .filter((d) => d.batchKind !== 'response');
/** True when a batch whose id matches was delivered (as event lines, or one batch line). */
const announced = (stdout: string, batchId: RegExp) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"schema":"mfawatch.'))
    .some((l) => {
      const line = JSON.parse(l) as { batchId?: string; id?: string };
      return batchId.test(line.batchId ?? line.id ?? '');
    });

interface Stage {
  stage: string;
  how: string;
  /** Duplicates a crash at this stage may cause on the channel (stdout has no dedup key; PagerDuty has). */
  allowedDuplicates: number;
  crashPoint?: string;
  /** The channel alerts go to: stdout (default), or the PagerDuty Events API fake. */
  channel?: 'pagerduty';
  /** Auto-response on: bob's lost 2FA kills his Okta sessions (the Okta responder's fake). */
  autoResponse?: boolean;
  /** The GitHub fast probe on: `run` drains it first, so bob's lost 2FA arrives as an event. */
  events?: boolean;
  /** For real pauses: arms the fake and returns when the child is at the stage. */
  pauseAt?: (fakes: { gh: FakeGitHub; pd: FakeChannel; okta: FakeOktaSessions }) => { armed: () => boolean };
}

const OKTA_TOKEN = '00crash-test-okta-token';
/** Longest one kill may take; a restart marks a kill claimed longer ago than twice this as interrupted. */
const KILL_TIMEOUT_MS = 1000;
const isBobKill = (r: { method: string; path: string }) => r.method === 'DELETE' && r.path === '/api/v1/users/00ubob/sessions';

const PD_ROUTING_KEY = 'R0UT1NGKEYcrashTEST0123456789abc';
/** The PagerDuty trigger of bob's lost 2FA (one event per account change, keyed by monitor + account). */
const isBobTrigger = (r: { path: string; body: string }) => {
  if (r.path !== '/v2/enqueue') return false;
  const e = JSON.parse(r.body) as { event_action?: string; dedup_key?: string };
  return e.event_action === 'trigger' && e.dedup_key === 'mfawatch/gh/account/2';
};

const STAGES: Stage[] = [
  {
    stage: 'mid-fetch',
    how: 'real pause: the fake holds page 2 of the member list open; SIGKILL once it has the request',
    allowedDuplicates: 0,
    pauseAt: ({ gh }) => {
      const isPage2 = (r: { path: string; query: URLSearchParams }) => /\/members$/.test(r.path) && r.query.get('page') === '2' && !r.query.get('role');
      const from = gh.requests.length;
      gh.inject({ kind: 'hang' }, 1, isPage2);
      return { armed: () => gh.requests.slice(from).some(isPage2) };
    },
  },
  { stage: 'mid-commit', how: 'test-only crash point inside the commit transaction, after every write', allowedDuplicates: 0, crashPoint: 'mid-commit' },
  {
    stage: 'mid-event-commit (between receipt and commit of an event)',
    how: "test-only crash point inside the commit of the probe's batch (dedupe row, hint, cursor), before COMMIT: the event was received and not committed, so not acknowledged; the restart reads it again, verifies bob once and the scan does not repeat it",
    allowedDuplicates: 0,
    crashPoint: 'mid-event-commit',
    events: true,
  },
  { stage: 'after commit, before delivery', how: 'test-only crash point after the scans committed, before the dispatcher runs', allowedDuplicates: 0, crashPoint: 'after-commit' },
  { stage: 'mid-delivery', how: 'test-only crash point after the channel accepted the batch, before the outbox row is marked sent', allowedDuplicates: 1, crashPoint: 'after-send' },
  {
    stage: 'mid-delivery to PagerDuty',
    how: "real pause: the PagerDuty fake holds the trigger of the lost 2FA unanswered; SIGKILL once it has it. The restart sends it again with the same dedup_key, so PagerDuty folds it into the open alert: duplicates here are alerts opened twice (distinct dedup keys)",
    allowedDuplicates: 0,
    channel: 'pagerduty',
    pauseAt: ({ pd }) => {
      pd.inject({ kind: 'hang' }, 1, isBobTrigger);
      return { armed: () => pd.requests.some(isBobTrigger) };
    },
  },
  {
    stage: 'mid-kill',
    how: "real pause: auto-response is on and the Okta fake holds the DELETE of bob's sessions unanswered; SIGKILL once it has it. The kill was recorded as running before the call: the restart marks it interrupted and tells the team, never re-runs it",
    allowedDuplicates: 0,
    autoResponse: true,
    pauseAt: ({ okta }) => {
      okta.inject({ kind: 'hang' }, 1, isBobKill);
      return { armed: () => okta.requests.some(isBobKill) };
    },
  },
];

describe('crash safety: SIGKILL of mfawatch run at each stage, then restart', () => {
  it.each(STAGES.map((s) => [s.stage, s] as const))('%s', async (_name, stage) => {
    const gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
    gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
    gh.generateMembers(248);
    await gh.start();
    const pd = new FakeChannel('pagerduty');
    await pd.start();
    const okta = new FakeOktaSessions(OKTA_TOKEN);
    okta.users.push({ id: '00ubob', login: 'bob@example.com', email: 'bob@example.com' });
    await okta.start();
    const dir = tempDir('mfawatch-crash-');
    const dbPath = join(dir.path, 'state.db');
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      log: { level: 'warn' },
      delivery: { runDeadline: '5s', initialBackoff: '100ms' },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, ...(stage.events ? { events: { probe: '60s' } } : {}) }],
      notifiers: [stage.channel === 'pagerduty' ? { id: 'pd', type: 'pagerduty', routingKey: '${PD_KEY}', url: pd.url } : { id: 'siem', type: 'stdout' }],
      ...(stage.autoResponse
        ? {
            responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
            autoResponse: { enabled: true, dryRun: false, killTimeout: `${KILL_TIMEOUT_MS}ms` },
            identities: { map: { 'github:bob': 'bob@example.com' } },
          }
        : {}),
    });
    const env = { GH_TOKEN: TOKEN, PD_KEY: PD_ROUTING_KEY, OKTA_TOKEN };
    try {
      // A committed baseline, then a real change at GitHub.
      expect((await runCli(['run', '--config', configPath], { env })).code).toBe(0);
      gh.members.get(2)!.twoFactor = 'disabled';

      // The cycle that dies.
      const pause = stage.pauseAt?.({ gh, pd, okta });
      const crashed = spawnRun(configPath, { ...env, ...(stage.crashPoint ? { MFAWATCH_TEST_CRASH_POINT: stage.crashPoint } : {}) });
      if (pause) {
        await until('the fake to hold the page request', pause.armed);
        // While it holds the lease, a second `run` refuses, naming it.
        const second = await runCli(['run', '--config', configPath], { env });
        expect(second.code).toBe(1);
        expect(second.stderr).toMatch(new RegExp(`another mfawatch \\(\`mfawatch run\`, pid ${crashed.pid}@`));
        crashed.kill();
      }
      const died = await crashed.exit;
      expect(died.signal, crashed.stderr()).toBe('SIGKILL');
      gh.clearFaults();

      if (stage.autoResponse) {
        // A kill is only declared interrupted once it is older than twice the kill timeout (it
        // could still be running in another process before that): wait for that, by the database.
        const claimedAt = () => {
          const db = new Database(dbPath, { readonly: true });
          try {
            return (db.prepare(`SELECT claimed_at FROM responses WHERE status = 'running'`).get() as { claimed_at: string } | undefined)?.claimed_at;
          } finally {
            db.close();
          }
        };
        const at = claimedAt();
        expect(at, 'the kill was recorded as running before the call').toBeDefined();
        await until('the kill to be older than twice the kill timeout', () => Date.now() - Date.parse(at ?? '') > 2 * KILL_TIMEOUT_MS + 100, 10_000);
      }

      // The restart: takes the dead holder's lease over and finishes the job.
      const restart = spawnRun(configPath, env);
      const done = await restart.exit;
      expect(done.signal, restart.stderr()).toBeNull();
      if (!stage.autoResponse) expect(done.code, restart.stderr()).toBe(0);

      const db = new Database(dbPath, { readonly: true });
      let integrity: string;
      try {
        integrity = String(db.pragma('integrity_check', { simple: true }));
        const bobEvents = db.prepare(`SELECT COUNT(*) AS n FROM events WHERE type = 'mfa_disabled' AND account_id = '2'`).get() as { n: number };
        expect(bobEvents.n, 'the change is recorded exactly once').toBe(1);
        if (stage.events) {
          const via = db.prepare(`SELECT scan_id FROM events WHERE type = 'mfa_disabled' AND account_id = '2'`).get() as { scan_id: number | null };
          expect(via.scan_id, 'committed from the event (after the restart), not by the scan').toBeNull();
        }
        const pending = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'`).get() as { n: number };
        expect(pending.n, 'every queued delivery was sent').toBe(0);
        const running = db.prepare(`SELECT COUNT(*) AS n FROM scans WHERE status = 'running'`).get() as { n: number };
        expect(running.n).toBe(0);
        const lease = db.prepare(`SELECT COUNT(*) AS n FROM leases`).get() as { n: number };
        expect(lease.n, 'the restart released its lease').toBe(0);
      } finally {
        db.close();
      }
      let lost: boolean;
      let duplicates: number;
      if (stage.channel === 'pagerduty') {
        // Every trigger PagerDuty may have seen (the held one too), and the ones it answered.
        const triggers = pd.requests.filter(isBobTrigger).map((r) => (JSON.parse(r.body) as { dedup_key: string }).dedup_key);
        lost = !pd.accepted.some(isBobTrigger);
        duplicates = Math.max(0, new Set(triggers).size - 1);
        expect(triggers.length, 'the crash window really was hit: the trigger was sent again').toBeGreaterThanOrEqual(2);
      } else {
        const seen = [...deliveredLines(crashed.stdout()), ...deliveredLines(restart.stdout())].filter((d) => d.type === 'mfa_disabled' && d.accountId === '2');
        lost = seen.length === 0;
        duplicates = Math.max(0, seen.length - 1);
      }
      let kills: number | undefined;
      if (stage.autoResponse) {
        kills = okta.requests.filter(isBobKill).length;
        const db = new Database(dbPath, { readonly: true });
        try {
          const rows = db.prepare(`SELECT status FROM responses ORDER BY id`).all() as Array<{ status: string }>;
          expect(rows.map((r) => r.status), 'the kill is marked interrupted, not re-run').toEqual(['interrupted']);
        } finally {
          db.close();
        }
        const told = announced(restart.stdout(), /^response-\d+-interrupted$/);
        if (!told) lost = true;
      }
      const row: CrashRow = {
        stage: stage.stage,
        how: stage.how,
        integrity,
        lostAlerts: lost ? 1 : 0,
        duplicateDeliveries: duplicates,
        allowedDuplicates: stage.allowedDuplicates,
        ...(kills !== undefined ? { kills } : {}),
      };
      rows.push(row);
      expect(integrity).toBe('ok');
      expect(row.lostAlerts).toBe(0);
      expect(row.duplicateDeliveries).toBeLessThanOrEqual(stage.allowedDuplicates);
      if (stage.allowedDuplicates > 0) expect(row.duplicateDeliveries, 'the crash window really was hit').toBe(1);
      if (kills !== undefined) expect(kills, 'one kill request, never repeated').toBe(1);
    } finally {
      await gh.stop();
      await pd.stop();
      await okta.stop();
      dir.cleanup();
    }
  }, 60_000);
});

afterAll(() => {
  if (rows.length === STAGES.length) writeResults('crash', STAGES.map((s) => rows.find((r) => r.stage === s.stage)));
});
