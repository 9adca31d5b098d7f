/**
 * Faults of the event path (issue 13), each against a committed baseline of the GitHub fake with
 * the real GitHub monitor, the real inbound receiver over HTTP and the real runner: malformed and
 * foreign bodies, an unknown user, a storm of 1,000 deliveries, a failing verification, a bad
 * signature, a replayed delivery, a 5 MB body, a failing probe. Each row records what the
 * operator sees (the HTTP answer, the line in `status`) and counts false, lost and duplicate
 * alerts. (SIGKILL between receipt and commit is a row of the crash suite.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildEventsStatus, renderEventsStatus } from '../../src/cli/status-events.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanMonitors } from '../../src/cycle.js';
import { startInboundServer, type InboundServer } from '../../src/events/inbound.js';
import { EventRunner } from '../../src/events/runner.js';
import { FakeGitHub } from '../fakes/github.js';
import { delivery, organizationEvent, signatureOf } from '../fakes/github-webhooks.js';
import { PinnedClock, memoryLogger } from '../helpers.js';
import { writeResults, type EventFaultRow } from './results.js';

const TOKEN = 'ghp_event_faults_owner';
const SECRET = 'event-faults-webhook-secret';
const never = new AbortController().signal;
const rows: EventFaultRow[] = [];

interface Rig {
  gh: FakeGitHub;
  app: App;
  runner: EventRunner;
  server: InboundServer;
  clock: PinnedClock;
  post(d: { headers: Record<string, string>; body: string | Buffer }): Promise<{ status: number; body: string }>;
  alerts(): Array<{ type: string; login: string }>;
  statusText(): string;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'enabled' });
  gh.generateMembers(40);
  await gh.start();
  const clock = new PinnedClock();
  const config = resolveConfig({
    database: ':memory:',
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0, events: { webhookSecret: '${S}', probe: '60s' } }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  }, { T: TOKEN, S: SECRET });
  const app = createApp(config, { clock, logger: memoryLogger().logger });
  await scanMonitors(app, app.monitors, never);
  const runner = new EventRunner(app);
  await runner.drain(never); // the probe's first poll records the list
  clock.advance(60_000);
  const server = await startInboundServer(app, runner, '127.0.0.1:0');
  return {
    gh, app, runner, server, clock,
    post: async (d) => {
      const res = await fetch(`${server.url}/hooks/gh`, { method: 'POST', headers: d.headers, body: d.body });
      return { status: res.status, body: await res.text() };
    },
    alerts: () => app.store.db.prepare(`SELECT type, login FROM events WHERE type != 'baseline' ORDER BY id`).all() as Array<{ type: string; login: string }>,
    statusText: () => renderEventsStatus(buildEventsStatus(config, app.store, clock.now(), () => app.monitors[0]?.monitor.eventSources?.() ?? []), clock.now()),
    close: async () => {
      await server.close();
      app.close();
      await gh.stop();
    },
  };
}

/** The one line of `status` that names the fault; within the webhook source's block unless `anywhere`. */
function line(text: string, pattern: RegExp, anywhere = false): string {
  const lines = text.split('\n');
  const start = anywhere ? 0 : Math.max(0, lines.findIndex((l) => /gh webhook \(pushed\)/.test(l)));
  return lines.slice(start).find((l) => pattern.test(l))?.trim() ?? '';
}

function record(row: EventFaultRow): void {
  rows.push(row);
  expect(row.falseAlerts, row.fault).toBe(0);
  expect(row.lostAlerts, row.fault).toBe(0);
  expect(row.duplicateAlerts, row.fault).toBe(0);
}

const memberAdded = (id: number, login: string, options: { id?: string } = {}) => delivery(SECRET, 'organization', organizationEvent('acme', 'member_added', { id, login }), options);

describe('event faults', () => {
  it('a signed body that is not JSON', async () => {
    const r = await rig();
    try {
      const body = '{"action":"member_added","organiz';
      const res = await r.post({ headers: { ...memberAdded(7, 'x').headers, 'x-hub-signature-256': signatureOf(SECRET, body) }, body });
      record({ source: 'github webhook', fault: 'a malformed body (signed, not JSON)', outcome: `HTTP ${res.status}, nothing stored`, operatorSees: `${res.status} ${res.body}; log: "webhook refused: the body is not JSON"`, falseAlerts: r.alerts().length, lostAlerts: 0, duplicateAlerts: 0 });
      expect(res.status).toBe(400);
    } finally {
      await r.close();
    }
  });

  it('a foreign delivery (another organisation, another event type)', async () => {
    const r = await rig();
    try {
      const a = await r.post(delivery(SECRET, 'organization', organizationEvent('other-org', 'member_added', { id: 7, login: 'x' })));
      const b = await r.post(delivery(SECRET, 'push', { ref: 'refs/heads/main' }));
      const seen = line(r.statusText(), /set aside \(last/);
      record({ source: 'github webhook', fault: 'a foreign delivery (another organisation; an event type not used)', outcome: `HTTP ${a.status}/${b.status}, set aside and counted`, operatorSees: seen, falseAlerts: r.alerts().length, lostAlerts: 0, duplicateAlerts: 0 });
      expect(seen).toMatch(/2 set aside \(last: irrelevant/);
    } finally {
      await r.close();
    }
  });

  it('an event for an unknown user', async () => {
    const r = await rig();
    try {
      const res = await r.post(delivery(SECRET, 'organization', organizationEvent('acme', 'member_removed', { id: 424242, login: 'stranger' })));
      await r.runner.verifyPending(never, { all: true });
      const hint = r.app.store.db.prepare(`SELECT outcome FROM event_hints`).get() as { outcome: string };
      record({ source: 'github webhook', fault: 'an event for an unknown user (member_removed of someone never stored)', outcome: `HTTP ${res.status}; verified: ${hint.outcome}; no account_removed`, operatorSees: 'nothing to alert: the verification found no such account (event_hints outcome unknown_account)', falseAlerts: r.alerts().length, lostAlerts: 0, duplicateAlerts: 0 });
      expect(hint.outcome).toBe('unknown_account');
    } finally {
      await r.close();
    }
  });

  it('a storm of 1,000 deliveries about one account', async () => {
    const r = await rig();
    try {
      r.gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
      const answers: number[] = [];
      const all = Array.from({ length: 1000 }, (_, i) => memberAdded(7, 'mallory', { id: `storm-${i}` }));
      for (let i = 0; i < all.length; i += 50) answers.push(...(await Promise.all(all.slice(i, i + 50).map((d) => r.post(d)))).map((a) => a.status));
      const reads = () => r.gh.requests.filter((q) => q.path === '/user/7').length;
      await r.runner.verifyPending(never, { all: true });
      const alerts = r.alerts();
      record({
        source: 'github webhook', fault: 'a storm of 1,000 deliveries about one account', outcome: `${answers.filter((s) => s === 202).length} × HTTP 202; ${reads()} verification; ${alerts.length} alert`,
        operatorSees: line(r.statusText(), /events {9}/), falseAlerts: alerts.filter((a) => a.login !== 'mallory').length, lostAlerts: alerts.length === 0 ? 1 : 0, duplicateAlerts: Math.max(0, alerts.length - 1),
      });
      expect(reads()).toBe(1);
      expect(alerts).toEqual([{ type: 'account_added', login: 'mallory' }]);
    } finally {
      await r.close();
    }
  }, 60_000);

  it('the verification fails (GitHub answers 502)', async () => {
    const r = await rig();
    try {
      r.gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
      r.gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 1, (q) => q.path === '/user/7');
      await r.post(memberAdded(7, 'mallory'));
      const first = await r.runner.verifyPending(never, { all: true });
      const seen = line(r.statusText(), /failed attempt/, true);
      r.clock.advance(2_001);
      await r.runner.verifyPending(never);
      const alerts = r.alerts();
      record({
        source: 'github webhook', fault: 'the verification fails (GitHub 502)', outcome: `kept (${first.failed} failed), retried after the backoff: ${alerts.length} alert`,
        operatorSees: seen, falseAlerts: alerts.filter((a) => a.login !== 'mallory').length, lostAlerts: alerts.length === 0 ? 1 : 0, duplicateAlerts: Math.max(0, alerts.length - 1),
      });
      expect(seen).toMatch(/server: GitHub returned 502/);
    } finally {
      await r.close();
    }
  });

  it('a bad signature', async () => {
    const r = await rig();
    try {
      r.gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
      const res = await r.post(delivery('guessed-secret', 'organization', organizationEvent('acme', 'member_added', { id: 7, login: 'mallory' })));
      await r.runner.verifyPending(never, { all: true });
      const stored = (r.app.store.db.prepare(`SELECT COUNT(*) AS n FROM seen_events`).get() as { n: number }).n;
      record({ source: 'github webhook', fault: 'a bad signature', outcome: `HTTP ${res.status}; ${stored} rows stored`, operatorSees: `${res.status} ${res.body}; log: "webhook refused: bad or missing signature"; metric result="unauthorized"`, falseAlerts: r.alerts().length, lostAlerts: 0, duplicateAlerts: 0 });
      expect(res.status).toBe(401);
      expect(stored).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('a replayed delivery', async () => {
    const r = await rig();
    try {
      r.gh.addMember({ id: 7, login: 'mallory', role: 'admin', twoFactor: 'disabled' });
      const d = memberAdded(7, 'mallory', { id: 'replayed-1' });
      await r.post(d);
      await r.runner.verifyPending(never, { all: true });
      r.gh.members.delete(7); // whatever GitHub says now, the replay must not act
      const res = await r.post(d);
      await r.runner.verifyPending(never, { all: true });
      const alerts = r.alerts();
      record({ source: 'github webhook', fault: 'a replayed delivery (same X-GitHub-Delivery)', outcome: `HTTP ${res.status}; skipped as a duplicate`, operatorSees: line(r.statusText(), /events {9}/), falseAlerts: alerts.filter((a) => a.type !== 'account_added').length, lostAlerts: alerts.length === 0 ? 1 : 0, duplicateAlerts: Math.max(0, alerts.length - 1) });
      expect(alerts).toEqual([{ type: 'account_added', login: 'mallory' }]);
    } finally {
      await r.close();
    }
  });

  it('a 5 MB body', async () => {
    const r = await rig();
    try {
      const body = Buffer.alloc(5 * 1024 * 1024, 0x20);
      const res = await r.post({ headers: { ...memberAdded(7, 'x').headers, 'x-hub-signature-256': signatureOf(SECRET, body) }, body });
      record({ source: 'github webhook', fault: 'a 5 MB body', outcome: `HTTP ${res.status}, nothing read into the monitor`, operatorSees: `${res.status} ${res.body}`, falseAlerts: r.alerts().length, lostAlerts: 0, duplicateAlerts: 0 });
      expect(res.status).toBe(413);
    } finally {
      await r.close();
    }
  });

  it('the probe fails (GitHub 502)', async () => {
    const r = await rig();
    try {
      r.gh.members.get(2)!.twoFactor = 'disabled';
      r.gh.inject({ kind: 'status', status: 502, body: { message: 'Server Error' } }, 1);
      const failed = await r.runner.drain(never);
      const seen = line(r.statusText(), /error {10}/, true);
      const retried = await r.runner.drain(never);
      const alerts = r.alerts();
      record({
        source: 'github probe', fault: 'the probe fails (GitHub 502)', outcome: `poll failed (${failed.pollFailures.length}), backoff, next poll found the change: ${retried.verify.verified} verified`,
        operatorSees: seen, falseAlerts: alerts.filter((a) => a.login !== 'bob').length, lostAlerts: alerts.length === 0 ? 1 : 0, duplicateAlerts: Math.max(0, alerts.length - 1),
      });
      expect(alerts).toEqual([{ type: 'mfa_disabled', login: 'bob' }]);
    } finally {
      await r.close();
    }
  });
});

afterAll(() => {
  if (rows.length === 9) writeResults('event-faults', rows);
});
