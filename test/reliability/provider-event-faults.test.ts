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
import { EVENT_FAULTS, type EventFaultId, type EventFaultSpec, type ProviderEventHarness } from './event-harnesses/types.js';
import { writeResults, type ProviderEventFaultRow } from './results.js';

const rows: ProviderEventFaultRow[] = [];
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
      const failed = await r.runner.drain(never);
      const seen = failureLines(r);
      const after = await recover(r);
      expect(failed.pollFailures).toHaveLength(1);
      expect(seen).toMatch(/FAILING \(1 in a row; next try in 2s\).*error +server: /);
      return { outcome: `poll failed (${failed.pollFailures.length}), backoff, the next poll caught up: ${after.verify.verified} verified, ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
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
      // Counted once, though a source re-reading its overlap window reads it on every poll.
      expect(status.ignored).toBe(1);
      expect(status.lastIgnored).toMatch(/^malformed: /);
      return { outcome: `not JSON: poll failed malformed, cursor kept, retried; the wrong-shaped entry set aside (${status.ignored}); ${r.alerts().length} alert for the real change`, operatorSees: `${error} / ${setAside}`, ...r.count(expected) };
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
      f.logAboutUnknown(r.recent());
      await r.runner.drain(never);
      const hints = r.app.store.db.prepare(`SELECT outcome FROM event_hints`).all() as Array<{ outcome: string | null }>;
      expect(hints.map((x) => x.outcome)).toEqual(['unknown_account']);
      return { outcome: `verified at the provider: ${hints.map((x) => x.outcome).join(', ')}; nothing committed`, operatorSees: 'nothing to alert: the verification found no such account (event_hints outcome unknown_account)', ...r.count(null) };
    }
    case 'storm': {
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
      expect(f.subjectReads()).toBe(1);
      return { outcome: `${how}: ${status.duplicates} duplicate(s) skipped; ${f.subjectReads()} verification; ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
    }
  }
}

async function runRow(h: ProviderEventHarness, fault: EventFaultSpec): Promise<void> {
  const base = { provider: h.provider, source: fault.id.startsWith('push_') ? 'push' : h.source, fault: fault.id, title: fault.title, ...(h.as?.[fault.id] ? { as: h.as[fault.id] } : {}) };
  const reason = h.notApplicable?.[fault.id];
  if (reason) {
    rows.push({ ...base, outcome: 'n/a', operatorSees: '', falseAlerts: 0, lostAlerts: 0, duplicateAlerts: 0, notApplicable: reason });
    return;
  }
  const r = await eventRig(h);
  try {
    let observed: RowObservation;
    if (fault.id === 'push_bad_secret' || fault.id === 'push_replay' || fault.id === 'push_5mb') {
      if (!r.fake.push) throw new Error(`${h.provider} has no push source and no notApplicable reason for ${fault.id}`);
      observed = await pushRow(fault.id, r, r.fake.push);
      rows.push({ ...base, source: r.fake.push.source, ...observed, operatorSees: oneLine(observed.operatorSees) });
    } else {
      observed = await pulledRow(fault.id, r);
      rows.push({ ...base, ...observed, operatorSees: oneLine(observed.operatorSees) });
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
  expect(EVENT_HARNESSES.map((h) => h.provider).sort()).toEqual(withEvents.sort());
});

for (const h of EVENT_HARNESSES) {
  describe(`${h.provider} event faults`, () => {
    for (const fault of EVENT_FAULTS) it(fault.title, () => runRow(h, fault), 60_000);
  });
}

afterAll(() => {
  if (rows.length === EVENT_HARNESSES.length * EVENT_FAULTS.length) {
    const order = (row: ProviderEventFaultRow) => EVENT_HARNESSES.findIndex((h) => h.provider === row.provider) * 100 + EVENT_FAULTS.findIndex((f) => f.id === row.fault);
    writeResults('provider-event-faults', [...rows].sort((a, b) => order(a) - order(b)));
  }
});
