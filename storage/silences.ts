/**
 * Silences (src/delivery/silences.ts says what they match): stored with their matchers, expiry
 * and reason; and which events each one kept from the notifiers.
 */
import type { SilenceMatchers } from '../src/delivery/silences.js';
import type { Store } from './store.js';

/** One silence as stored. Times are UTC ISO strings. */
export interface SilenceRecord {
  id: number;
  matchers: SilenceMatchers;
  reason: string;
  createdBy: string;
  createdAt: string;
  endsAt: string;
  /** When someone ended it early (`silence expire`), else null. */
  expiredAt: string | null;
  expiredBy: string | null;
}

interface SilenceRow {
  id: number;
  matchers: string;
  reason: string;
  created_by: string;
  created_at: string;
  ends_at: string;
  expired_at: string | null;
  expired_by: string | null;
}

function fromRow(r: SilenceRow): SilenceRecord {
  return { id: r.id, matchers: JSON.parse(r.matchers) as SilenceMatchers, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at, endsAt: r.ends_at, expiredAt: r.expired_at, expiredBy: r.expired_by };
}

/** The silence an event was kept quiet by. */
export interface SilencedBy {
  silenceId: number;
  reason: string;
  at: string;
}

export class SilenceStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  add(s: { matchers: SilenceMatchers; reason: string; actor: string; at: Date; endsAt: Date }): number {
    const r = this.#store.db
      .prepare(`INSERT INTO silences (matchers, reason, created_by, created_at, ends_at) VALUES (?, ?, ?, ?, ?)`)
      .run(JSON.stringify(s.matchers), s.reason, s.actor, s.at.toISOString(), s.endsAt.toISOString());
    return Number(r.lastInsertRowid);
  }

  get(id: number): SilenceRecord | undefined {
    const row = this.#store.db.prepare(`SELECT * FROM silences WHERE id = ?`).get(id) as SilenceRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Silences in force at `at`, oldest first. */
  active(at: Date): SilenceRecord[] {
    return (this.#store.db.prepare(`SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY id`).all(at.toISOString()) as SilenceRow[]).map(fromRow);
  }

  /** Every silence, newest first (for `silence list --all`). */
  all(limit: number): SilenceRecord[] {
    return (this.#store.db.prepare(`SELECT * FROM silences ORDER BY id DESC LIMIT ?`).all(limit) as SilenceRow[]).map(fromRow);
  }

  /** Ends a silence now; false when it had already ended. */
  expire(id: number, at: Date, actor: string): boolean {
    const r = this.#store.db
      .prepare(`UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?`)
      .run(at.toISOString(), actor, id, at.toISOString());
    return r.changes > 0;
  }

  /** Records that `silenceId` kept `eventId` from the notifiers (first silence wins). */
  recordSilenced(eventId: number, silenceId: number, at: Date): void {
    this.#store.db.prepare(`INSERT OR IGNORE INTO silenced_events (event_id, silence_id, at) VALUES (?, ?, ?)`).run(eventId, silenceId, at.toISOString());
  }

  /** How many events each silence kept quiet. */
  silencedCounts(): Map<number, number> {
    const rows = this.#store.db.prepare(`SELECT silence_id AS id, COUNT(*) AS n FROM silenced_events GROUP BY silence_id`).all() as Array<{ id: number; n: number }>;
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** The silence of each of `eventIds` that was kept quiet. */
  silencedBy(eventIds: readonly number[]): Map<number, SilencedBy> {
    const out = new Map<number, SilencedBy>();
    const q = this.#store.db.prepare(`SELECT se.event_id AS eventId, se.silence_id AS silenceId, se.at, s.reason FROM silenced_events se JOIN silences s ON s.id = se.silence_id WHERE se.event_id = ?`);
    for (const id of eventIds) {
      const row = q.get(id) as { eventId: number; silenceId: number; at: string; reason: string } | undefined;
      if (row) out.set(id, { silenceId: row.silenceId, reason: row.reason, at: row.at });
    }
    return out;
  }
}
