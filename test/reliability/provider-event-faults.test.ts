/**
 * The event fault matrix per provider (issue 18): for each provider event source (Okta, Entra ID,
 * Google Workspace, Auth0, GitLab, Slack), the real monitor, the real EventRunner and real SQLite
 * against the provider's loopback fake, after a committed baseline scan; each fault of
 * event-harnesses/types.ts EVENT_FAULTS injected at the event endpoint (or the single-account read
 * that verifies a hint, or the pushed source's HTTP receiver). Each row records what the operator
 * sees (the line of `mfawatch status`, or the HTTP answer) and counts false, lost and duplicate
 * alerts against the one real change made at the fake; 0/0/0 and the row's observable are asserted.
 * The GitHub webhook and probe rows are test/reliability/event-faults.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/core/duration.js';
import { EVENT_HARNESSES } from './event-harnesses/index.js';
import { pushRow, type RowObservation } from './event-harnesses/push.js';
import { eventRig, never, type EventRig } from './event-harnesses/rig.js';
import { EventStore } from '../../storage/events.js';
import { EVENT_FAULTS, type EventFaultId, type EventFaultSpec, type ExtraEventFault, type ProviderEventHarness } from './event-harnesses/types.js';
import { writeResults, type ProviderEventFaultRow } from './results.js';

const rows: ProviderEventFaultRow[] = [];
/** Each row's place in the published table: its harness, then its fault (shared ones first). */
const places = new Map<ProviderEventFaultRow, number>();
function record(h: ProviderEventHarness, row: ProviderEventFaultRow): void {
  const faults = [...EVENT_FAULTS.map((f) => f.id as string), ...(h.extraRows ?? []).map((x) => x.id)];
  places.set(row, EVENT_HARNESSES.indexOf(h) * 100 + faults.indexOf(row.fault));
  rows.push(row);
}
/** Past the first backoff of a failed poll or verification (src/events/runner.ts backoffDelay(1)). */
const PAST_BACKOFF_MS = 2_001;

/** Waits (real time, under a second) until a wall-clock second has just begun. */
async function startOfSecond(): Promise<void> {
  while (Date.now() % 1000 > 50) await new Promise((resolve) => setTimeout(resolve, Math.max(1, 1000 - (Date.now() % 1000))));
}

/** `status` aligns its columns with runs of spaces; one space reads better in a table cell. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function failureLines(r: EventRig): string {
  return [r.line(/: FAILING/), r.line(/error {10}/)].filter(Boolean).join(' / ');
}

/** What the poll after recovery caught up, in words: a hint source verifies, a fact source commits. */
function caughtUp(r: EventRig, verified: number): string {
  return r.harness.effect === 'fact' ? `${r.alerts().length} alert` : `${verified} verified, ${r.alerts().length} alert`;
}

/**
 * The monitor's other source after a fault on this one: it polled and succeeded at `at` (its own
 * cursor, untouched by this source's failure). Returns its status line.
 */
function siblingKeptPolling(r: EventRig, at: Date): string {
  const sibling = r.harness.sibling;
  if (!sibling) return '';
  const row = new EventStore(r.app.store).source(r.harness.monitorId, sibling);
  expect(row?.last_ok_at).toBe(at.toISOString());
  expect(r.sourceStatus(sibling)).toMatchObject({ health: 'ok', consecutiveFailures: 0 });
  return r.line(/\(pulled\): /, { source: sibling });
}

/** The fault cleared, a poll after the backoff: the change is caught up. */
async function recover(r: EventRig, waitMs = PAST_BACKOFF_MS) {
  r.fake.clear();
  r.clock.advance(waitMs);
  return r.runner.drain(never);
}

async function pulledRow(id: Exclude<EventFaultId, 'push_bad_secret' | 'push_replay' | 'push_5mb'>, r: EventRig): Promise<RowObservation> {
  const h = r.harness;
  const f = r.fake;
  switch (id) {
    case 'unreachable': {
      const expected = f.change();
      f.logAboutSubject(r.recent());
      f.inject('server');
      const cursor = r.sourceStatus().cursor;
      const failed = await r.runner.drain(never);
      const seen = failureLines(r);
      // The failed poll moved neither its own cursor nor (a source of its own) the sibling's.
      expect(r.sourceStatus().cursor).toBe(cursor);
      const sibling = siblingKeptPolling(r, r.clock.now());
      const after = await recover(r);
      expect(failed.pollFailures).toHaveLength(1);
      expect(seen).toMatch(/FAILING \(1 in a row; next try in 2s\).*error +server: /);
      const others = sibling ? `; ${h.sibling} polled on (its own cursor)` : '';
      return { outcome: `poll failed (${failed.pollFailures.length}), its cursor kept${others}; after the backoff the next poll caught up: ${caughtUp(r, after.verify.verified)}`, operatorSees: sibling ? `${seen} / ${sibling}` : seen, ...r.count(expected) };
    }
    case 'auth': {
      const expected = f.change();
      f.logAboutSubject(r.recent());
      f.inject('unauthorized');
      await r.runner.drain(never);
      const unauthorized = r.line(/error {10}/);
      f.clear();
      f.inject('forbidden');
      r.clock.advance(PAST_BACKOFF_MS);
      await r.runner.drain(never);
      const forbidden = r.line(/error {10}/);
      await recover(r, 4_001);
      expect(unauthorized).toMatch(h.authFix.unauthorized);
      expect(forbidden).toMatch(h.authFix.forbidden);
      return { outcome: `polls failed auth, then permission; the credential fixed, the next poll caught up: ${r.alerts().length} alert`, operatorSees: `401: ${unauthorized} / 403: ${forbidden}`, ...r.count(expected) };
    }
    case 'throttled': {
      const expected = f.change();
      f.logAboutSubject(r.recent());
      // Okta and Auth0 give the reset as a whole epoch second: injected at the start of a second, the
      // wait shown is the same on every run (the published document does not churn by a second).
      await startOfSecond();
      f.inject('throttled');
      await r.runner.drain(never);
      const seen = failureLines(r);
      const next = r.sourceStatus().nextPollAt;
      const waitMs = next ? Date.parse(next) - r.clock.now().getTime() : 0;
      await recover(r, waitMs + 1);
      expect(seen).toContain(`next try in ${formatDuration(waitMs)})`);
      expect(seen).toMatch(/error +rate_limited: /);
      expect(waitMs).toBeGreaterThanOrEqual(h.throttleWaitMs);
      return { outcome: `poll failed rate_limited; next poll not before ${Math.round(waitMs / 1000)} s (the wait the provider asked for), then caught up: ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
    }
    case 'malformed': {
      const expected = f.change();
      f.logAboutSubject(r.recent());
      f.logWrongShape(r.recent());
      f.inject('not_json');
      const failed = await r.runner.drain(never);
      const error = r.line(/error {10}/);
      await recover(r);
      const status = r.sourceStatus();
      const setAside = r.line(/events {9}/);
      expect(failed.pollFailures).toHaveLength(1);
      expect(error).toMatch(/malformed: /);
      expect(status.ignored).toBeGreaterThanOrEqual(1);
      expect(status.lastIgnored).toMatch(/^malformed: /);
      const again = status.ignored > 1 ? `, counted again by the poll that re-read it in the overlap window` : '';
      return { outcome: `not JSON: poll failed malformed, cursor kept, retried; the wrong-shaped entry set aside (${status.ignored}${again}); ${r.alerts().length} alert for the real change`, operatorSees: `${error} / ${setAside}`, ...r.count(expected) };
    }
    case 'foreign': {
      const what = f.logForeign(r.recent());
      await r.runner.drain(never);
      const status = r.sourceStatus();
      const seen = r.line(/events {9}/);
      expect(status.ignored).toBeGreaterThanOrEqual(1);
      expect(f.subjectReads()).toBe(0);
      return { outcome: `${what}: ${status.ignored} set aside, counted; no verification`, operatorSees: seen, ...r.count(null) };
    }
    case 'unknown_user': {
      if (h.effect === 'fact') {
        // A fact needs no stored account: a sign-in without MFA by someone created since the last scan is real.
        f.logAboutUnknown(r.recent());
        const login = f.unknownLogin ?? '';
        await r.runner.drain(never);
        const alerts = r.alerts();
        expect(alerts).toEqual([{ type: 'signin_without_mfa', login }]);
        return { outcome: `alerted (${alerts.length}), naming the login the event gives; no verification to make`, operatorSees: `the alert: ${login} signed in without MFA`, ...r.count('signin_without_mfa', { login }) };
      }
      f.logAboutUnknown(r.recent());
      await r.runner.drain(never);
      const hints = r.app.store.db.prepare(`SELECT outcome FROM event_hints`).all() as Array<{ outcome: string | null }>;
      expect(hints.map((x) => x.outcome)).toEqual(['unknown_account']);
      return { outcome: `verified at the provider: ${hints.map((x) => x.outcome).join(', ')}; nothing committed`, operatorSees: 'nothing to alert: the verification found no such account (event_hints outcome unknown_account)', ...r.count(null) };
    }
    case 'storm': {
      if (h.effect === 'fact') return factStorm(r);
      const expected = f.change();
      const at = r.recent();
      for (let n = 0; n < 1000; n++) f.logAboutSubject(at, n);
      const drained = await r.runner.drain(never);
      const seen = r.line(/events {9}/);
      expect(drained.pollFailures).toEqual([]);
      // Drained until nothing new: a source re-reading its overlap window is not polled MAX_DRAIN_POLLS times.
      expect(drained.polls).toBeLessThanOrEqual(3);
      expect(r.sourceStatus().received).toBeGreaterThanOrEqual(1000);
      expect(f.subjectReads()).toBe(1);
      expect(r.alerts()).toEqual([{ type: expected, login: f.subjectLogin }]);
      return { outcome: `${drained.polls} poll(s); ${f.subjectReads()} verification; ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
    }
    case 'verify_fails': {
      const expected = f.change();
      f.logAboutSubject(r.recent());
      f.injectReadFailure();
      const first = await r.runner.drain(never);
      const seen = r.line(/failed attempt/, { anywhere: true });
      r.clock.advance(PAST_BACKOFF_MS);
      const retried = await r.runner.verifyPending(never);
      expect(first.verify.failed).toBe(1);
      expect(seen).toMatch(/1 failed attempt\(s\), last: server: /);
      expect(retried.verified).toBe(1);
      return { outcome: `hint kept (${first.verify.failed} failed), retried after the backoff: ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
    }
    case 'duplicate': {
      const expected = f.change();
      const before = f.logged().length;
      f.logAboutSubject(r.recent());
      await r.runner.drain(never);
      const how = f.repeatLastPage(f.logged().slice(before));
      r.clock.advance(60_000);
      await r.runner.drain(never);
      const status = r.sourceStatus();
      const seen = r.line(/events {9}/);
      expect(status.duplicates).toBeGreaterThanOrEqual(1);
      expect(f.subjectReads()).toBe(h.effect === 'fact' ? 0 : 1);
      expect(r.alerts()).toHaveLength(1);
      const verifications = h.effect === 'fact' ? '' : `; ${f.subjectReads()} verification`;
      return { outcome: `${how}: ${status.duplicates} duplicate(s) skipped${verifications}; ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
    }
  }
}

/**
 * A storm at a fact source: 1,000 sign-ins without MFA by one user in one poll. Each is a sign-in
 * of its own, so each is an alert (the policy has no "same user again" rule for facts), all in one
 * commit and one batch per notifier; the next poll re-reads them in its overlap window and adds none.
 */
async function factStorm(r: EventRig): Promise<RowObservation> {
  const f = r.fake;
  const expected = f.change();
  const at = r.recent();
  for (let n = 0; n < 1000; n++) f.logAboutSubject(at, n);
  const drained = await r.runner.drain(never);
  r.clock.advance(60_000);
  const reread = await r.runner.drain(never);
  const seen = r.line(/events {9}/);
  const batches = (r.app.store.db.prepare(`SELECT COUNT(DISTINCT batch_id) AS n FROM outbox WHERE batch_id LIKE 'events-%'`).get() as { n: number }).n;
  expect([drained.pollFailures, reread.pollFailures]).toEqual([[], []]);
  expect(drained.polls).toBeLessThanOrEqual(3);
  expect(r.alerts()).toHaveLength(1000);
  expect(batches).toBe(1);
  expect(r.sourceStatus().duplicates).toBeGreaterThanOrEqual(1000);
  return {
    outcome: `${drained.polls} poll(s): ${r.alerts().length} alerts (one per sign-in) in ${batches} batch per notifier; the overlap re-read: ${r.sourceStatus().duplicates} duplicates skipped, no alert added`,
    operatorSees: seen,
    ...r.count(expected, { events: 1000 }),
  };
}

async function runExtraRow(h: ProviderEventHarness, extra: ExtraEventFault): Promise<void> {
  const r = await eventRig(h);
  try {
    const observed = await extra.run(r);
    record(h, { provider: h.provider, source: h.source, fault: extra.id, title: extra.title, ...(extra.as ? { as: extra.as } : {}), ...observed, operatorSees: oneLine(observed.operatorSees) });
    expect(observed.falseAlerts, `${h.provider} ${extra.id}: false alerts`).toBe(0);
    expect(observed.lostAlerts, `${h.provider} ${extra.id}: lost alerts`).toBe(0);
    expect(observed.duplicateAlerts, `${h.provider} ${extra.id}: duplicate alerts`).toBe(0);
  } finally {
    await r.close();
  }
}

async function runRow(h: ProviderEventHarness, fault: EventFaultSpec): Promise<void> {
  const base = { provider: h.provider, source: fault.id.startsWith('push_') ? 'push' : h.source, fault: fault.id, title: fault.title, ...(h.as?.[fault.id] ? { as: h.as[fault.id] } : {}) };
  const reason = h.notApplicable?.[fault.id];
  if (reason) {
    record(h, { ...base, outcome: 'n/a', operatorSees: '', falseAlerts: 0, lostAlerts: 0, duplicateAlerts: 0, notApplicable: reason });
    return;
  }
  const r = await eventRig(h);
  try {
    let observed: RowObservation;
    if (fault.id === 'push_bad_secret' || fault.id === 'push_replay' || fault.id === 'push_5mb') {
      if (!r.fake.push) throw new Error(`${h.provider} has no push source and no notApplicable reason for ${fault.id}`);
      observed = await pushRow(fault.id, r, r.fake.push);
      record(h, { ...base, source: r.fake.push.source, ...observed, operatorSees: oneLine(observed.operatorSees) });
    } else {
      observed = await pulledRow(fault.id, r);
      record(h, { ...base, ...observed, operatorSees: oneLine(observed.operatorSees) });
    }
    expect(observed.falseAlerts, `${h.provider} ${fault.id}: false alerts`).toBe(0);
    expect(observed.lostAlerts, `${h.provider} ${fault.id}: lost alerts`).toBe(0);
    expect(observed.duplicateAlerts, `${h.provider} ${fault.id}: duplicate alerts`).toBe(0);
  } finally {
    await r.close();
  }
}

it('every provider event source has a harness (GitHub: event-faults.test.ts; AWS SQS: aws-iam-events.test.ts)', () => {
  const monitors = join(import.meta.dirname, '..', '..', 'monitors');
  const withEvents = readdirSync(monitors).filter((d) => d !== 'github' && existsSync(join(monitors, d, 'events.ts')));
  expect([...new Set(EVENT_HARNESSES.map((h) => h.provider))].sort()).toEqual(withEvents.sort());
  // One harness per source: a monitor's second source (Entra sign-ins, Google admin-roles) has its own.
  expect(new Set(EVENT_HARNESSES.map((h) => `${h.provider} ${h.source}`)).size).toBe(EVENT_HARNESSES.length);
});

for (const h of EVENT_HARNESSES) {
  describe(`${h.provider} ${h.source} event faults`, () => {
    for (const fault of EVENT_FAULTS) it(fault.title, () => runRow(h, fault), 60_000);
    for (const extra of h.extraRows ?? []) it(extra.title, () => runExtraRow(h, extra), 60_000);
  });
}

afterAll(() => {
  if (rows.length === EVENT_HARNESSES.reduce((n, h) => n + EVENT_FAULTS.length + (h.extraRows?.length ?? 0), 0)) {
    writeResults('provider-event-faults', [...rows].sort((a, b) => (places.get(a) ?? 0) - (places.get(b) ?? 0)));
  }
});
