/** `mfawatch audit verify` and `audit export` on the hash-chained audit log, including tampering. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHash } from '../../storage/store.js';
import { FakeGitHub } from '../fakes/github.js';
import { runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_audit_token';
let gh: FakeGitHub;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const cli = (...args: string[]) => runCli([...args, '--config', configPath], { env: { T: TOKEN } });
const tamper = (fn: (db: Database.Database) => void) => {
  const db = new Database(join(dir.path, 'a.db'));
  try {
    fn(db);
  } finally {
    db.close();
  }
};

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', twoFactor: 'enabled' });
  await gh.start();
  dir = tempDir();
  configPath = writeConfig(dir.path, { database: './a.db', monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0 }], notifiers: [{ id: 'o', type: 'stdout' }] });
  for (let i = 0; i < 3; i++) expect((await cli('run')).code).toBe(0);
});
afterEach(async () => {
  await gh.stop();
  dir.cleanup();
});

describe('audit verify', () => {
  it('reports an intact chain with its head, and checks a recorded head with --expect', async () => {
    const ok = await cli('audit', 'verify');
    expect(ok.code).toBe(0);
    const head = /head (\d+:[0-9a-f]{64})/.exec(ok.stdout)?.[1];
    expect(ok.stdout).toMatch(/audit log intact: \d+ rows/);
    expect(head).toBeDefined();
    expect((await cli('run')).code).toBe(0);
    expect((await cli('audit', 'verify', '--expect', head as string)).code).toBe(0);
    expect((await cli('audit', 'verify', '--expect', 'nonsense')).code).toBe(2);
  });

  it('the triggers refuse edits; with them dropped, an edited row is the first broken link', async () => {
    expect(() => tamper((db) => db.prepare(`UPDATE audit SET actor = 'mallory' WHERE id = 2`).run())).toThrow(/append-only/);
    tamper((db) => {
      db.exec('DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;');
      db.prepare(`UPDATE audit SET actor = 'mallory' WHERE id = 2`).run();
    });
    const out = await cli('audit', 'verify');
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/audit log BROKEN at row 2: its content does not match its hash: the row was edited/);
    expect(out.stdout).toMatch(/append-only trigger audit_is_append_only_update is missing/);
  });

  it('a deleted row, and a chain rewritten from an edit onwards, are both caught (the latter by a recorded head)', async () => {
    const head = /head (\d+:[0-9a-f]{64})/.exec((await cli('audit', 'verify')).stdout)?.[1] as string;
    tamper((db) => {
      db.exec('DROP TRIGGER audit_is_append_only_delete;');
      db.prepare('DELETE FROM audit WHERE id = 3').run();
    });
    const deleted = await cli('audit', 'verify', '--json');
    expect(deleted.code).toBe(1);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ ok: false, firstBroken: { id: 4, problem: expect.stringMatching(/rows 3..3 are missing/) } });

    // A careful forger: re-creates the chain after editing row 2 (ids renumbered, hashes recomputed, triggers restored).
    tamper((db) => {
      db.exec('DROP TRIGGER IF EXISTS audit_is_append_only_update;');
      const rows = db.prepare('SELECT * FROM audit ORDER BY id').all() as Array<{ id: number; at: string; actor: string; action: string; subject: string | null; detail: string }>;
      db.exec('DELETE FROM audit');
      let prev = '0'.repeat(64);
      rows.forEach((r, i) => {
        const row = { at: r.at, actor: i === 1 ? 'mallory' : r.actor, action: r.action, subject: r.subject, detail: r.detail };
        const hash = auditHash(prev, row);
        db.prepare('INSERT INTO audit (id, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(i + 1, row.at, row.actor, row.action, row.subject, row.detail, prev, hash);
        prev = hash;
      });
      db.exec(`CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
               CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`);
    });
    expect((await cli('audit', 'verify')).code).toBe(0); // the chain alone cannot tell…
    const anchored = await cli('audit', 'verify', '--expect', head);
    expect(anchored.code).toBe(1); // …the head recorded elsewhere can.
    expect(anchored.stdout).toMatch(/no longer has the recorded hash|is no longer in the log/);
  });
});

describe('audit export', () => {
  it('writes JSON lines with the hash chain, filtered by --since, to a private file', async () => {
    const all = await cli('audit', 'export');
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { schema: string; id: number; action: string; prevHash: string; hash: string; detail: unknown });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatchObject({ schema: 'mfawatch.audit/v1', id: 1, action: 'scan.baseline', prevHash: '0'.repeat(64) });
    for (let i = 1; i < lines.length; i++) expect(lines[i]?.prevHash).toBe(lines[i - 1]?.hash);
    expect((await cli('audit', 'export', '--since', '2030-01-01')).stdout).toBe('');
    expect((await cli('audit', 'export', '--since', '1h')).stdout.trim().split('\n')).toHaveLength(lines.length); // all written moments ago
    expect((await cli('audit', 'export', '--since', 'last tuesday')).code).toBe(2);
    const file = join(dir.path, 'audit.jsonl');
    const toFile = await cli('audit', 'export', '--output', file);
    expect(toFile.stderr).toMatch(new RegExp(`${lines.length} audit rows written`));
    expect(readFileSync(file, 'utf8')).toBe(all.stdout);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
