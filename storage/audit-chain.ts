/**
 * Verification of the hash-chained audit log. Each row's hash covers its content and the previous
 * row's hash, so editing, removing or inserting a row breaks the chain at that row. The
 * append-only triggers stop casual edits; verification does not trust them: someone with write
 * access to the file can drop them, edit rows and recompute every later hash. That is why the
 * verification also checks that the triggers are still there, and why the chain head (or an
 * `audit export` shipped to a SIEM) should be kept outside the database: `--expect` checks a
 * recorded "ID:HASH" is still part of the chain, which a recomputed chain cannot fake.
 */
import { auditHash, type AuditRow, type Store } from './store.js';

const GENESIS = '0'.repeat(64);

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** id and hash of the last row ('' and genesis when empty). */
  head: { id: number; hash: string };
  /** The first broken link, if any. */
  firstBroken: { id: number; problem: string } | null;
  /** Problems outside the chain (triggers dropped, an anchor not found). */
  problems: string[];
}

/** Walks the whole chain (streaming: constant memory). `anchors` are "ID:HASH" pairs recorded elsewhere earlier. */
export function verifyAuditChain(store: Store, anchors: ReadonlyArray<{ id: number; hash: string }> = []): AuditVerification {
  const problems: string[] = [];
  const triggers = store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'`).all() as Array<{ name: string }>;
  for (const t of ['audit_is_append_only_update', 'audit_is_append_only_delete']) {
    if (!triggers.some((r) => r.name === t)) problems.push(`the append-only trigger ${t} is missing: someone with write access to the database removed it, so rows may have been edited and re-hashed; compare with an exported copy`);
  }
  const wanted = new Map(anchors.map((a) => [a.id, a.hash]));
  let prev = GENESIS;
  let expectedId = 1;
  let rows = 0;
  let head = { id: 0, hash: GENESIS };
  let firstBroken: AuditVerification['firstBroken'] = null;
  for (const row of store.db.prepare(`SELECT * FROM audit ORDER BY id`).iterate() as IterableIterator<AuditRow>) {
    rows += 1;
    if (!firstBroken) {
      if (row.id !== expectedId) {
        firstBroken = { id: row.id, problem: row.id > expectedId ? `rows ${expectedId}..${row.id - 1} are missing (deleted)` : `row id ${row.id} is out of order` };
      } else if (row.prev_hash !== prev) {
        firstBroken = { id: row.id, problem: 'its prev_hash does not match the hash of the row before it: a row was removed, inserted or re-hashed' };
      } else if (auditHash(row.prev_hash, row) !== row.hash) {
        firstBroken = { id: row.id, problem: 'its content does not match its hash: the row was edited' };
      }
    }
    const anchor = wanted.get(row.id);
    if (anchor !== undefined) {
      if (anchor !== row.hash) problems.push(`row ${row.id} no longer has the recorded hash ${anchor}: the chain was rewritten from there or earlier`);
      wanted.delete(row.id);
    }
    prev = row.hash;
    expectedId = row.id + 1;
    head = { id: row.id, hash: row.hash };
  }
  for (const [id, hash] of wanted) problems.push(`row ${id} (recorded hash ${hash}) is no longer in the log: it was deleted`);
  return { ok: firstBroken === null && problems.length === 0, rows, head, firstBroken, problems };
}

/** Audit rows at or after `since`, oldest first, streamed. */
export function auditRowsSince(store: Store, since: Date | null): IterableIterator<AuditRow> {
  return since
    ? (store.db.prepare(`SELECT * FROM audit WHERE at >= ? ORDER BY id`).iterate(since.toISOString()) as IterableIterator<AuditRow>)
    : (store.db.prepare(`SELECT * FROM audit ORDER BY id`).iterate() as IterableIterator<AuditRow>);
}
