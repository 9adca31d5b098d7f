/**
 * The bare baseline, run as its own process by bench/run.ts: the pages mfawatch fetches, fetched
 * by a plain loop with `fetch`, and their rows upserted into SQLite in one transaction with one
 * prepared statement. No validation, no diff, no history, no events: the floor that mfawatch's
 * time is compared with. Compiled to plain JavaScript before it runs, so it pays no TypeScript
 * loader start-up.
 *   node bare-baseline.mjs PLAN.json DATABASE
 * Prints {"requests": n, "rows": n} on stdout.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { BarePlan } from './scenario.js';

type Upsert = (id: string, kind: string, login: string, url: string | null) => void;

/** The URL of rel="next" in a Link header, if any. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** GitHub-style listings: follow rel="next" and upsert every object of the full listings. */
async function fetchLinkPages(plan: Extract<BarePlan, { kind: 'link-pages' }>, upsert: Upsert): Promise<{ requests: number; rows: number }> {
  let requests = 0;
  let rows = 0;
  for (const listing of plan.listings) {
    let url: string | undefined = listing.url;
    while (url) {
      const res = await fetch(url, { headers: plan.headers });
      requests++;
      if (!res.ok) throw new Error(`${res.status} from ${url}`);
      const page = (await res.json()) as Array<{ id: number; login: string; html_url?: string }>;
      if (listing.rowsKind) {
        for (const u of page) upsert(String(u.id), listing.rowsKind, u.login, u.html_url ?? null);
        rows += page.length;
      }
      url = nextLink(res.headers.get('link'));
    }
  }
  return { requests, rows };
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * AWS Query calls, each signed with SigV4 (the fake verifies signatures, as AWS does):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * The credential report's rows are upserted: its Content is base64 CSV inside the XML answer.
 */
async function fetchAwsQuery(plan: Extract<BarePlan, { kind: 'aws-query' }>, upsert: Upsert): Promise<{ requests: number; rows: number }> {
  const url = new URL(plan.endpoint);
  let requests = 0;
  let rows = 0;
  for (const call of plan.calls) {
    const body = new URLSearchParams(call.params).toString();
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const date = amzDate.slice(0, 8);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: url.host, 'x-amz-date': amzDate };
    const signed = Object.keys(headers).sort();
    const canonical = ['POST', url.pathname, '', signed.map((h) => `${h}:${headers[h]}\n`).join(''), signed.join(';'), sha256(body)].join('\n');
    const scope = `${date}/${plan.region}/${call.service}/aws4_request`;
    const key = hmac(hmac(hmac(hmac(`AWS4${plan.credentials.secretAccessKey}`, date), plan.region), call.service), 'aws4_request');
    const signature = createHmac('sha256', key).update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'), 'utf8').digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${plan.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
    const res = await fetch(url, { method: 'POST', headers, body });
    requests++;
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} from ${call.service}:${call.params.Action}: ${text.slice(0, 300)}`);
    if (!call.reportRows) continue;
    const content = /<Content>([^<]*)<\/Content>/.exec(text)?.[1];
    if (content === undefined) throw new Error('GetCredentialReport answered without Content');
    const lines = Buffer.from(content, 'base64').toString('utf8').split('\n');
    // Columns: user, arn, ... (the header line first; the report has no quoted fields here).
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const [user, arn] = line.split(',', 2) as [string, string];
      upsert(arn, user === '<root_account>' ? 'root' : 'iam_user', user, null);
      rows++;
    }
  }
  return { requests, rows };
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
  const statement = db.prepare(
    `INSERT INTO accounts (account_id, kind, login, url) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, login = excluded.login, url = excluded.url`,
  );
  const upsert: Upsert = (id, kind, login, url) => void statement.run(id, kind, login, url);
  db.exec('BEGIN');
  const { requests, rows } = plan.kind === 'link-pages' ? await fetchLinkPages(plan, upsert) : await fetchAwsQuery(plan, upsert);
  db.exec('COMMIT');
  db.close();
  process.stdout.write(`${JSON.stringify({ requests, rows })}\n`);
}

await main();
