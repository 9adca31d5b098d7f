/**
 * What the operator reads about the event sources of every provider (issue 18): the real monitor,
 * the real EventRunner and real SQLite against each provider's loopback fake (the harnesses of the
 * event fault matrix, test/reliability/event-harnesses/).
 *
 * - A failed event poll says what follows: the daemon polls again after the backoff (and when), a
 *   drain (`mfawatch run`) at the next run; the scheduled scan still reconciles. Never "the scan
 *   will run again on schedule" (no scan failed) nor "throttled the scan".
 * - A failed verification says the hint is kept and verified again.
 * - A set-aside entry is counted once in `status` and in metrics, however often a source re-reads
 *   it (Entra, Google, GitLab and Slack re-read an overlap window on every poll).
 * - A pushed request with a wrong static token (Okta event hook, Auth0 Log Stream, GitLab
 *   streaming destination) is refused as a "bad or missing token in <header>", not a signature;
 *   the HTTP answer still says nothing but "unauthorized".
 */
import { describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { formatDuration } from '../../src/core/duration.js';
import { AFTER_VERIFY_FAILURE } from '../../src/core/errors.js';
import { startInboundServer } from '../../src/events/inbound.js';
import { EVENT_HARNESSES } from '../reliability/event-harnesses/index.js';
import { eventRig, never, type EventRig } from '../reliability/event-harnesses/rig.js';
import type { EventFaultId } from '../reliability/event-harnesses/types.js';

/** Sources that re-read an overlap window by design. */
const OVERLAP = new Set(['entra', 'google-workspace', 'gitlab', 'slack']);
const SCAN_WORDING = /the scan will run again|throttled the scan|scan deadline/;

function pulled(r: EventRig) {
  const b = r.runner.bindings.find((x) => x.source.kind === 'pull' && x.source.name === r.harness.source);
  if (!b) throw new Error(`no pulled source ${r.harness.source}`);
  return { instance: b.instance, source: b.source as PulledEventSource };
}

async function metric(r: EventRig, result: RegExp): Promise<number> {
  const lines = (await r.app.metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('mfawatch_events_received_total{'));
  return lines.filter((l) => result.test(/result="([^"]+)"/.exec(l)?.[1] ?? '')).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

async function withRig(h: (typeof EVENT_HARNESSES)[number], body: (r: EventRig) => Promise<void>): Promise<void> {
  const r = await eventRig(h);
  try {
    await body(r);
  } finally {
    await r.close();
  }
}

/** The harnesses for which a fault applies (a harness says why one does not, e.g. a source without verification). */
function applying(...faults: EventFaultId[]) {
  return EVENT_HARNESSES.filter((h) => faults.every((f) => !h.notApplicable?.[f])).map((h) => [`${h.provider} ${h.source}`, h] as const);
}

describe.each(applying('throttled'))('%s', (_name, h) => {
  it('a failed poll says when the daemon polls again (the backoff, or the wait the provider asked for) and that the scheduled scan reconciles', async () => {
    await withRig(h, async (r) => {
      const { instance, source } = pulled(r);
      r.fake.inject('throttled');
      const failed = await r.runner.pollOnce(instance, source, never);
      if (failed.ok) throw new Error('the throttled poll succeeded');
      const next = r.sourceStatus().nextPollAt;
      const waitMs = next ? Date.parse(next) - r.clock.now().getTime() : 0;
      expect(waitMs).toBeGreaterThanOrEqual(h.throttleWaitMs);
      expect(failed.message).toContain(`the poll is retried in ${formatDuration(waitMs)}; the scheduled scan still reconciles`);
      expect(failed.message).not.toMatch(SCAN_WORDING);
      expect(r.line(/error {10}/)).toContain('the poll is retried in');
    });
  });

});

describe.each(applying('unreachable'))('%s', (_name, h) => {
  it('a failed poll of `mfawatch run` says the next run polls again', async () => {
    await withRig(h, async (r) => {
      r.fake.inject('server');
      const drained = await r.runner.drain(never);
      expect(drained.pollFailures).toHaveLength(1);
      const message = drained.pollFailures[0]!.message;
      expect(message).toContain('the next `mfawatch run` polls again; the scheduled scan still reconciles');
      expect(message).not.toMatch(SCAN_WORDING);
      expect(r.line(/error {10}/)).toContain('server: ');
    });
  });

});

describe.each(applying('verify_fails'))('%s', (_name, h) => {
  it('a failed verification says the hint is kept and verified again', async () => {
    await withRig(h, async (r) => {
      r.fake.logAboutSubject(r.recent());
      r.fake.injectReadFailure();
      const drained = await r.runner.drain(never);
      expect(drained.verify.failed).toBe(1);
      const row = r.app.store.db.prepare(`SELECT last_error FROM event_hints WHERE status = 'pending'`).get() as { last_error: string } | undefined;
      expect(row?.last_error).toContain(AFTER_VERIFY_FAILURE);
      expect(row?.last_error).not.toMatch(SCAN_WORDING);
    });
  });

});

describe.each(applying('malformed', 'foreign'))('%s', (_name, h) => {
  it('a set-aside entry is counted once in status and metrics, however often the source re-reads it', async () => {
    await withRig(h, async (r) => {
      const { instance, source } = pulled(r);
      r.fake.logWrongShape(r.recent());
      r.fake.logForeign(r.recent());
      const row = r.app.store.db.prepare(`SELECT cursor FROM event_sources WHERE monitor_id = ? AND source = ?`).get(h.monitorId, h.source) as { cursor: string | null };
      let cursor = row.cursor ?? undefined;
      const keys: string[] = [];
      let reread = 0;
      for (let poll = 0; poll < 3; poll++) {
        const batch = await source.poll(cursor, never);
        for (const i of batch.ignored) {
          const key = i.id ?? i.key;
          if (key !== undefined && keys.includes(key)) reread += 1;
          else keys.push(key ?? `no key ${keys.length}`);
        }
        r.runner.ingest(instance, source.name, batch, { poll: true });
        cursor = batch.cursor ?? cursor;
        r.clock.advance(60_000);
      }
      expect(keys.length).toBeGreaterThanOrEqual(1);
      // The overlap sources did re-read what they set aside: the case under test happened.
      if (OVERLAP.has(h.provider)) expect(reread).toBeGreaterThanOrEqual(2 * keys.length);
      const status = r.sourceStatus();
      expect(status.ignored).toBe(keys.length);
      expect(await metric(r, /^ignored_/)).toBe(keys.length);
      expect(r.line(/events {9}/)).toContain(`${keys.length} set aside`);
    });
  });
});

describe.each(applying('push_bad_secret'))('%s push', (_name, h) => {
  it('a pushed request with a wrong token is refused as a bad or missing token in its header, and the answer reveals nothing', async () => {
    await withRig(h, async (r) => {
      const push = r.fake.push;
      if (!push) throw new Error(`${h.provider} has no push spec`);
      const server = await startInboundServer(r.app, r.runner, '127.0.0.1:0');
      try {
        const good = push.delivery(push.pushedEvent(), 1);
        const res = await fetch(`${server.url}/hooks/${h.monitorId}`, { method: 'POST', headers: push.withWrongSecret(good.headers), body: good.body });
        expect(res.status).toBe(401);
        expect(await res.text()).toBe('{"error":"unauthorized"}');
        const refused = r.line(/refused {8}/, { source: push.source });
        expect(refused).toContain(`401: bad or missing token in ${push.secretHeader} (check that the value the provider sends in ${push.secretHeader} is the one in the config, events.`);
        expect(refused).not.toMatch(/signature/);
      } finally {
        await server.close();
      }
    });
  });
});
