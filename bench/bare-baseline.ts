/**
 * The bare baseline, run as its own process by bench/run.ts: the pages mfawatch fetches, fetched
 * by a plain loop with `fetch`, and their rows upserted into SQLite in one transaction with one
 * prepared statement. No validation, no diff, no history, no events: the floor that mfawatch's
 * time is compared with. Compiled to plain JavaScript before it runs, so it pays no TypeScript
 * loader start-up.
 *   node bare-baseline.mjs PLAN.json DATABASE
 * Prints {"requests": n, "rows": n} on stdout.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { BarePlan } from './scenario.js';

/** The URL of rel="next" in a Link header, if any. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

async function main(): Promise<void> {
  const [planPath, dbPath] = process.argv.slice(2);
  if (!planPath || !dbPath) throw new Error('usage: bare-baseline PLAN.json DATABASE');
  const plan = JSON.parse(readFileSync(planPath, 'utf8')) as BarePlan;
  const db = new Database(dbPath);
  // The same journal settings as mfawatch's database (storage/db.ts).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, kind TEXT NOT NULL, login TEXT NOT NULL, url TEXT) WITHOUT ROWID`);
  const upsert = db.prepare(
    `INSERT INTO accounts (account_id, kind, login, url) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, login = excluded.login, url = excluded.url`,
  );
  let requests = 0;
  let rows = 0;
  db.exec('BEGIN');
  for (const listing of plan.listings) {
    let url: string | undefined = listing.url;
    while (url) {
      const res = await fetch(url, { headers: plan.headers });
      requests++;
      if (!res.ok) throw new Error(`${res.status} from ${url}`);
      const page = (await res.json()) as Array<{ id: number; login: string; html_url?: string }>;
      if (listing.rowsKind) {
        for (const u of page) upsert.run(String(u.id), listing.rowsKind, u.login, u.html_url ?? null);
        rows += page.length;
      }
      url = nextLink(res.headers.get('link'));
    }
  }
  db.exec('COMMIT');
  db.close();
  process.stdout.write(`${JSON.stringify({ requests, rows })}\n`);
}

await main();
