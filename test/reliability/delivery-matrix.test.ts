/**
 * The delivery fault matrix: every fault of DELIVERY_FAULTS at the receiving end of every channel,
 * through the real CLI (`mfawatch run`), a real SQLite file, the GitHub fake and the channels'
 * fakes on loopback, with the delivery settings of the adversarial test that found a run never
 * ending (issue 12): `timeout 1500ms, runDeadline 3s, initialBackoff 300ms, maxBackoff 1s`.
 *
 * Each row: a good baseline; the fault injected; user5 turns 2FA off (run A) and on again (run B),
 * so that a second batch is queued behind the first; the fault cleared; user6 turns 2FA off (run
 * C: a third change, told apart from A even in a text message). Required, for each row:
 *   1. runs A and B end within the delivery deadline plus one request timeout (measured from the
 *      end of the scan to the end of the run), exit 1 and release the lease;
 *   2. a healthy webhook receiver configured next to the failing channel gets both batches;
 *   3. the batches stay queued (a transient fault) or fail at once and the other channel is told (a
 *      permanent one), with a message that says what happened and what mfawatch does about it;
 *   4. after run C the channel received user5 off, user5 on, user6 off in that order, each once
 *      (PagerDuty: trigger, resolve, trigger). test/cli/delivery-order.test.ts has the exact
 *      sequence of the issue (user5 off, on, off: the incident ends triggered).
 * The figures go to docs/RELIABILITY.md (results.ts, global-setup.ts).
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import type { NotificationBatch } from '../../notifiers/types.js';
import { FakeChannel, type ChannelKind } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';
import { writeResults, type DeliveryMatrixRow } from './results.js';

const DEADLINE_MS = 3_000;
const TIMEOUT_MS = 1_500;
const DELIVERY = { timeout: '1500ms', runDeadline: '3s', initialBackoff: '300ms', maxBackoff: '1s' };
/** Timers fire late on a loaded machine, never early: the bound checked is deadline + timeout + this. */
const TIMER_SLACK_MS = 1_000;
const GH_TOKEN = 'ghp_delivery_matrix_token_0123456789';
const THREE_YEARS_S = 3 * 365 * 86_400;

type ChannelId = ChannelKind | 'email';
type DeliveryFaultId = 'hang' | 'server-error' | 'retry-after-seconds' | 'retry-after-date' | 'redirect';

interface DeliveryFault {
  title: string;
  expect: 'queued' | 'failed';
}

/** The shared table of receiver faults. */
const DELIVERY_FAULTS: Record<DeliveryFaultId, DeliveryFault> = {
  hang: { title: 'the receiver reads the request and never answers', expect: 'queued' },
  'server-error': { title: '503 on every attempt until it recovers', expect: 'queued' },
  'retry-after-seconds': { title: '429 with Retry-After three years away (in seconds)', expect: 'queued' },
  'retry-after-date': { title: '429 with Retry-After an HTTP date three years away', expect: 'queued' },
  redirect: { title: '302 redirect to another host (its Location carries the secret)', expect: 'failed' },
};

/** One channel's receiving end, started. */
interface Rig {
  channel: ChannelId;
  /** The notifier entry (its id is the channel name; secrets as "${ENV}" references). */
  entry: Record<string, unknown>;
  env: Record<string, string>;
  secret: string;
  inject(fault: DeliveryFaultId): void;
  clear(): void;
  /** The changes the channel accepted, in order ("user5 off", "user5 on", "user6 off"), one per batch. */
  seen(): string[];
  stop(): Promise<void>;
}

/** The first change of user5 or user6 a delivered text mentions. */
function change(text: string): string | null {
  const m = /(user[56]) (dis|en)abled two-factor/.exec(text);
  return m ? `${m[1]} ${m[2] === 'dis' ? 'off' : 'on'}` : null;
}
const WHO: Record<string, string> = { '5': 'user5', '6': 'user6' };

async function httpRig(kind: ChannelKind): Promise<Rig> {
  const fake = new FakeChannel(kind);
  const url = await fake.start();
  const secret = kind === 'pagerduty' ? 'PDKEYdeliveryMatrix'.padEnd(32, '0') : `${kind.toUpperCase()}deliveryMatrixSECRET42`;
  const env = { [`${kind.toUpperCase()}_SECRET`]: secret };
  const ref = `\${${kind.toUpperCase()}_SECRET}`;
  const entry: Record<string, unknown> = {
    webhook: { id: kind, type: 'webhook', url: `${url}/in?token=${ref}`, secret: 'matrix-hmac-secret-0123456789' },
    slack: { id: kind, type: 'slack', webhookUrl: `${url}/services/T0001/B0001/${ref}` },
    pagerduty: { id: kind, type: 'pagerduty', routingKey: ref, url },
    teams: { id: kind, type: 'teams', webhookUrl: `${url}/workflows/1/triggers/manual/paths/invoke?sig=${ref}` },
  }[kind];
  const text = kind === 'slack' || kind === 'teams';
  return {
    channel: kind,
    entry: entry as Record<string, unknown>,
    env,
    secret,
    inject(fault) {
      const errorBody = kind === 'pagerduty' ? { status: 'error', message: 'Service Unavailable' } : kind === 'slack' ? 'service_unavailable' : '';
      const plain = text ? { 'content-type': 'text/plain' } : {};
      switch (fault) {
        case 'hang':
          return fake.inject({ kind: 'hang' }, 10_000);
        case 'server-error':
          return fake.inject({ kind: 'status', status: 503, body: errorBody, headers: plain }, 10_000);
        case 'retry-after-seconds':
        case 'retry-after-date': {
          const retryAfter = fault === 'retry-after-seconds' ? String(THREE_YEARS_S) : new Date(Date.now() + THREE_YEARS_S * 1000 + 600_000).toUTCString(); // whole seconds: ten minutes more keeps the wait reading 1095d
          const body = kind === 'pagerduty' ? { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' } : kind === 'slack' ? 'rate_limited' : '';
          return fake.inject({ kind: 'status', status: 429, body, headers: { ...plain, 'retry-after': retryAfter } }, 10_000);
        }
        case 'redirect':
          return fake.inject({ kind: 'status', status: 302, body: '', headers: { location: `https://sso.example.net/login?next=${encodeURIComponent(`${url}/${secret}`)}` } }, 10_000);
      }
    },
    clear: () => fake.clearFaults(),
    seen() {
      const out: string[] = [];
      for (const req of fake.accepted) {
        if (kind === 'pagerduty') {
          const e = JSON.parse(req.body) as { event_action: string; dedup_key: string };
          const who = WHO[/\/account\/(\d+)$/.exec(e.dedup_key)?.[1] ?? ''];
          if (who) out.push(`${who} ${e.event_action === 'trigger' ? 'off' : 'on'}`);
          continue;
        }
        if (kind === 'webhook') {
          const b = JSON.parse(req.body) as NotificationBatch;
          for (const e of b.events) {
            const who = WHO[e.accountId ?? ''];
            if (who && (e.type === 'mfa_disabled' || e.type === 'mfa_enabled')) out.push(`${who} ${e.type === 'mfa_disabled' ? 'off' : 'on'}`);
          }
          continue;
        }
        const c = change(req.body);
        if (c) out.push(c);
      }
      return out;
    },
    stop: () => fake.stop(),
  };
}

/** An SMTP server on loopback that can hang (no greeting) or answer 451 (try again later) to every mail. */
async function emailRig(): Promise<Rig> {
  let mode: 'ok' | 'hang' | 'tempfail' = 'ok';
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onConnect(_session, cb) {
      // A server that accepts the connection and never greets: the client waits for ever.
      if (mode !== 'hang') cb();
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (mode === 'tempfail') {
          cb(Object.assign(new Error('Requested action aborted: local error in processing, try again later'), { responseCode: 451 }));
          return;
        }
        mails.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    channel: 'email',
    entry: { id: 'email', type: 'email', smtp: { host: '127.0.0.1', port, starttls: 'never' }, from: 'mfawatch@example.com', to: ['security@example.com'] },
    env: {},
    secret: 'no-secret-configured',
    inject(fault) {
      mode = fault === 'hang' ? 'hang' : 'tempfail';
    },
    clear() {
      mode = 'ok';
    },
    // Undo quoted-printable soft line breaks before looking for the sentence.
    seen: () => mails.map((m) => change(m.replace(/=\r?\n/g, ''))).filter((c): c is string => c !== null),
    stop: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}

const startRig = (channel: ChannelId): Promise<Rig> => (channel === 'email' ? emailRig() : httpRig(channel));

/** Faults that cannot occur at a channel, with the reason. */
const NOT_APPLICABLE: Partial<Record<ChannelId, Partial<Record<DeliveryFaultId, string>>>> = {
  email: {
    'retry-after-seconds': 'SMTP has no Retry-After; a server that wants a pause answers 4xx (the 451 row)',
    'retry-after-date': 'SMTP has no Retry-After; a server that wants a pause answers 4xx (the 451 row)',
    redirect: 'SMTP has no redirects',
  },
};
const AS: Partial<Record<ChannelId, Partial<Record<DeliveryFaultId, string>>>> = {
  email: { hang: 'the SMTP server accepts the connection and never greets', 'server-error': 'the SMTP server answers every mail with 451 (try again later)' },
};

const CHANNELS: ChannelId[] = ['webhook', 'slack', 'pagerduty', 'teams', 'email'];
const rows: DeliveryMatrixRow[] = [];

function outbox(dbPath: string, notifier: string): Array<{ status: string; last_error: string | null; kind: string }> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT status, last_error, kind FROM outbox WHERE notifier_id = ? ORDER BY id`).all(notifier) as Array<{ status: string; last_error: string | null; kind: string }>;
  } finally {
    db.close();
  }
}

/** When the last scan ended (the delivery pass starts right after it). */
function lastScanEnd(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Date.parse((db.prepare(`SELECT ended_at FROM scans ORDER BY id DESC LIMIT 1`).get() as { ended_at: string }).ended_at);
  } finally {
    db.close();
  }
}

/** A message as the table shows it: no timestamps (UTC ISO, or in displayTimezone with the zone named; they change every run), no local port. */
const stable = (message: string) => message.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+(?:[+-]\d{1,2}(?::\d\d)?)?/g, '<time>').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

interface Scenario {
  /** The matrix row's channel label. */
  label: string;
  faulty: ChannelId[];
  fault: DeliveryFaultId;
}

async function runScenario(s: Scenario): Promise<DeliveryMatrixRow> {
  const spec = DELIVERY_FAULTS[s.fault];
  const gh = new FakeGitHub({ tokens: { [GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 5, login: 'user5', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 6, login: 'user6', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(47);
  await gh.start();
  const witness = new FakeChannel('webhook');
  await witness.start();
  const rigs = await Promise.all(s.faulty.map(startRig));
  const dir = tempDir('mfawatch-delivery-matrix-');
  const dbPath = join(dir.path, 'state.db');
  const configPath = writeConfig(dir.path, {
    database: './state.db',
    log: { level: 'warn' },
    delivery: DELIVERY,
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0 }],
    notifiers: [...rigs.map((r) => r.entry), { id: 'witness', type: 'webhook', url: `${witness.url}/in`, secret: 'witness-hmac-secret-0123456789' }],
  });
  const env = Object.assign({ GH_TOKEN }, ...rigs.map((r) => r.env)) as Record<string, string>;
  const run = () => runCli(['run', '--config', configPath], { env });
  const witnessSeen = () => witness.bodies<NotificationBatch>().filter((b) => b.kind === 'changes').flatMap((b) => b.events.filter((e) => e.accountId === '5').map((e) => `user5 ${e.type === 'mfa_disabled' ? 'off' : 'on'}`));
  try {
    expect((await run()).code, 'the baseline run').toBe(0);
    for (const r of rigs) r.inject(s.fault);

    // Runs A and B under the fault: each must end by its deadline plus one timeout.
    let bounded = true;
    let slowest = 0;
    const underFault: Array<{ code: number; stderr: string }> = [];
    for (const state of ['disabled', 'enabled'] as const) {
      gh.members.get(5)!.twoFactor = state;
      const out = await run();
      const drained = Date.now() - lastScanEnd(dbPath);
      slowest = Math.max(slowest, drained);
      if (drained > DEADLINE_MS + TIMEOUT_MS + TIMER_SLACK_MS) bounded = false;
      underFault.push(out);
      expect(out.code, out.stderr).toBe(1);
    }
    const othersDelivered = JSON.stringify(witnessSeen()) === JSON.stringify(['user5 off', 'user5 on']);
    const states = rigs.map((r) => outbox(dbPath, r.channel).filter((o) => o.kind === 'changes').slice(1));
    const observed = states.every((st) => st.length === 2 && st.every((o) => o.status === 'pending')) ? 'queued' : states.every((st) => st.every((o) => o.status === 'failed')) ? 'failed' : states.map((st) => st.map((o) => o.status).join('+')).join(', ');
    const first = rigs[0]!;
    // The head of the queue (batch A) is the row being retried; B waits behind it.
    const message = stable(outbox(dbPath, first.channel).find((o) => o.kind === 'changes' && o.last_error !== null)?.last_error ?? '');
    // Told: a permanent failure reaches the other channel at once, as one delivery_failure batch per failing notifier.
    const told = witness.bodies<NotificationBatch>().filter((b) => b.kind === 'delivery_failure').map((b) => b.notifierHealth?.notifierId);

    for (const r of rigs) r.clear();
    gh.members.get(6)!.twoFactor = 'disabled';
    const after = await run();
    const seen = rigs.map((r) => r.seen());
    const expectedSeen = spec.expect === 'queued' ? ['user5 off', 'user5 on', 'user6 off'] : ['user6 off'];
    const inOrder = spec.expect === 'queued' ? seen.every((x) => JSON.stringify(x) === JSON.stringify(expectedSeen)) : null;
    const duplicates = seen.reduce((n, x) => n + Math.max(0, x.length - expectedSeen.length), 0);
    const lost = spec.expect === 'queued'
      ? seen.reduce((n, x) => n + expectedSeen.filter((c, i) => x[i] !== c).length, 0)
      : // Failed for good is not lost when it is recorded failed and the team was told through the other channel.
        rigs.filter((r) => !told.includes(r.channel)).length + (after.code === 0 ? 0 : 1);
    const as = s.faulty.length === 1 ? AS[s.faulty[0]!]?.[s.fault] : undefined;
    const row: DeliveryMatrixRow = {
      channel: s.label,
      fault: s.fault,
      title: spec.title,
      ...(as ? { as } : {}),
      expected: spec.expect,
      observed,
      bounded,
      othersDelivered,
      inOrder,
      lostAlerts: lost,
      duplicateDeliveries: duplicates,
      message: s.faulty.length === 1 ? message : `${first.channel}: ${message}`,
    };

    expect(bounded, `a run under the fault took ${slowest} ms from the end of its scan (deadline ${DEADLINE_MS} + timeout ${TIMEOUT_MS})`).toBe(true);
    for (const out of underFault) expect(out.stderr).toMatch(spec.expect === 'queued' ? /still pending \(retried on the next run\)/ : /deliveries: \d+ sent, \d+ failed/);
    expect(othersDelivered, `the healthy channel saw ${JSON.stringify(witnessSeen())}`).toBe(true);
    expect(observed).toBe(spec.expect);
    for (const r of rigs) expect(message + JSON.stringify(underFault)).not.toContain(r.secret);
    expect(message).not.toMatch(/will retry/);
    if (spec.expect === 'queued') {
      expect(message).toMatch(/; next attempt at <time>/);
      expect(after.code, after.stderr).toBe(0);
      expect(seen, 'every channel got A, B, C, in that order, once each').toEqual(rigs.map(() => expectedSeen));
    } else {
      expect(message).toMatch(/redirect \(HTTP 302\) to https:\/\/sso\.example\.net\/…/);
      expect(message).toMatch(/not retried: the channel rejected it/);
      expect(told.sort()).toEqual(rigs.map((r) => r.channel).sort());
      expect(seen).toEqual(rigs.map(() => expectedSeen));
    }
    if (s.fault === 'hang') expect(message).toMatch(/did not accept the message within 1\.5s \(delivery\.timeout\)/);
    if (s.fault.startsWith('retry-after')) expect(message).toMatch(/the channel asked to wait 1095d; mfawatch waits at most delivery\.maxBackoff, 1s, and keeps trying until delivery\.maxAge/);
    return row;
  } finally {
    await gh.stop();
    await witness.stop();
    await Promise.all(rigs.map((r) => r.stop()));
    dir.cleanup();
  }
}

const SCENARIOS: Scenario[] = [];
for (const channel of CHANNELS) for (const fault of Object.keys(DELIVERY_FAULTS) as DeliveryFaultId[]) SCENARIOS.push({ label: channel, faulty: [channel], fault });
// Any number of hanging receivers: all of them at once, next to one healthy channel.
SCENARIOS.push({ label: 'all five at once', faulty: CHANNELS, fault: 'hang' });

describe.concurrent('delivery fault matrix: mfawatch run against a failing receiver', () => {
  it.each(SCENARIOS.map((s) => [`${s.label}: ${s.fault}`, s] as const))('%s', async (_name, s) => {
    const na = s.faulty.length === 1 ? NOT_APPLICABLE[s.faulty[0]!]?.[s.fault] : undefined;
    if (na) {
      rows.push({ channel: s.label, fault: s.fault, title: DELIVERY_FAULTS[s.fault].title, notApplicable: na, expected: 'n/a', observed: 'n/a', bounded: true, othersDelivered: true, inOrder: null, lostAlerts: 0, duplicateDeliveries: 0, message: '' });
      return;
    }
    rows.push(await runScenario(s));
  }, 60_000);
});

afterAll(() => {
  if (rows.length !== SCENARIOS.length) return;
  const key = (r: { channel: string; fault: string }) => `${r.channel}\u0000${r.fault}`;
  writeResults('delivery-matrix', SCENARIOS.map((s) => rows.find((r) => key(r) === key({ channel: s.label, fault: s.fault }))));
});
