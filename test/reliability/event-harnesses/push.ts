/**
 * The rows of a pushed source (a webhook on `inbound` at /hooks/<monitor-id>), shared by every
 * provider that has one: a wrong secret (401, nothing stored), a replayed event (skipped as a
 * duplicate, one verification, one alert), a 5 MB body (413). Over real HTTP on 127.0.0.1 through
 * the real inbound receiver. A provider adds its push path by giving its harness a `PushSpec`.
 */
import { expect } from 'vitest';
import { startInboundServer } from '../../../src/events/inbound.js';
import { never, type EventRig } from './rig.js';
import type { EventFaultId, PushSpec, RowObservation } from './types.js';

export type { RowObservation } from './types.js';

const stored = (r: EventRig, table: 'seen_events' | 'event_hints') => (r.app.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Runs one push row against `push` and asserts its observable; the caller asserts the counts. */
export async function pushRow(id: Extract<EventFaultId, 'push_bad_secret' | 'push_replay' | 'push_5mb'>, r: EventRig, push: PushSpec): Promise<RowObservation> {
  const server = await startInboundServer(r.app, r.runner, '127.0.0.1:0');
  const post = async (d: { headers: Record<string, string>; body: string | Buffer }) => {
    const res = await fetch(`${server.url}/hooks/${r.harness.monitorId}`, { method: 'POST', headers: d.headers, body: d.body });
    return { status: res.status, body: await res.text() };
  };
  try {
    switch (id) {
      case 'push_bad_secret': {
        // The change is real: a refused request acted on would alert on it (counted false here: the scan reports it).
        r.fake.change();
        const good = push.delivery(push.pushedEvent(), 1);
        const res = await post({ ...good, headers: push.withWrongSecret(good.headers) });
        await r.runner.verifyPending(never, { all: true });
        const kept = stored(r, 'seen_events');
        const hints = stored(r, 'event_hints');
        const refused = r.line(/refused {8}/, { source: push.source });
        expect(res.status).toBe(401);
        expect([kept, hints]).toEqual([0, 0]);
        expect(refused).toMatch(/1 request\(s\)/);
        return { outcome: `wrong ${push.secretHeader}: HTTP ${res.status}; ${kept} event ids and ${hints} verifications stored`, operatorSees: `${res.status} ${res.body.trim()}; status: ${refused}`, ...r.count(null) };
      }
      case 'push_replay': {
        const expected = r.fake.change();
        const event = push.pushedEvent();
        const first = await post(push.delivery(event, 1));
        await r.runner.verifyPending(never, { all: true });
        const replay = await post(push.delivery(event, 2));
        await r.runner.verifyPending(never, { all: true });
        const seen = r.line(/events {9}/, { source: push.source });
        expect([first.status, replay.status]).toEqual([push.acceptedStatus, push.acceptedStatus]);
        expect(r.sourceStatus(push.source).duplicates).toBe(1);
        expect(r.fake.subjectReads()).toBe(1);
        return { outcome: `HTTP ${first.status} then ${replay.status}; the replay skipped as a duplicate; ${r.fake.subjectReads()} verification; ${r.alerts().length} alert`, operatorSees: seen, ...r.count(expected) };
      }
      case 'push_5mb': {
        const good = push.delivery(push.pushedEvent(), 1);
        const res = await post({ headers: good.headers, body: Buffer.alloc(5 * 1024 * 1024, 0x20) });
        expect(res.status).toBe(413);
        expect(stored(r, 'seen_events')).toBe(0);
        return { outcome: `HTTP ${res.status}, nothing read into the monitor`, operatorSees: `${res.status} ${res.body.trim()}`, ...r.count(null) };
      }
    }
  } finally {
    await server.close();
  }
}
