/**
 * `npx tsx bench/events.ts`: detection latency of the event path, end to end through a real
 * `mfawatch start` (child process, `node bin/mfawatch.js`) against the GitHub and Slack fakes on
 * 127.0.0.1: from a GitHub webhook delivery being available (the POST to `/hooks/<id>` starts) to
 * the Slack fake receiving the alert that names the account. Two runs: 200 deliveries at 10 per
 * second, and a burst of 1,000 (50 in flight at a time). Each delivery is a new member
 * (`organization.member_added`), so each is verified at the fake (GET /user, the membership, the
 * 2FA listings) before its alert; the requests per verification and the fast probe's requests per
 * hour are counted at the fake. Writes its section of bench/RESULTS.md (between the
 * `events-bench` markers; bench/run.ts keeps it).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeChannel } from '../test/fakes/channels.js';
import { FakeGitHub } from '../test/fakes/github.js';
import { delivery, organizationEvent } from '../test/fakes/github-webhooks.js';
import type { RecordedRequest } from '../test/fakes/http.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const WORK = join(BENCH, '.work', 'events');
const TOKEN = 'ghp_bench_events_owner_token';
const SECRET = 'bench-events-webhook-secret';
const MEMBERS = 2_000;
export const BEGIN = '<!-- events-bench:begin -->';
export const END = '<!-- events-bench:end -->';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface RunFigures {
  name: string;
  events: number;
  alerted: number;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
  requestsPerVerification: number;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } }, rateLimit: 1_000_000 });
  gh.generateMembers(MEMBERS);
  gh.addOutsideCollaborator({ id: 9_000_001, login: 'contractor', twoFactor: 'disabled' });
  const slack = new FakeChannel('slack');
  await Promise.all([gh.start(), slack.start()]);
  // When the Slack fake accepted each alert, by the login it names.
  const alertedAt = new Map<string, number>();
  const accepted = slack.accepted;
  const push = accepted.push.bind(accepted);
  accepted.push = (...items: RecordedRequest[]) => {
    const now = performance.now();
    for (const r of items) for (const m of r.body.matchAll(/\bev-(\d+)\b/g)) if (!alertedAt.has(m[0])) alertedAt.set(m[0], now);
    return push(...items);
  };
  const port = await freePort();
  const config = join(WORK, 'mfawatch.json');
  writeFileSync(config, JSON.stringify({
    database: join(WORK, 'events.db'),
    schedule: '0 0 1 1 *',
    log: { level: 'warn' },
    inbound: { listen: `127.0.0.1:${port}` },
    monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${T}', baseUrl: gh.url, retries: 0, events: { webhookSecret: '${S}', probe: '60s' } }],
    notifiers: [{ id: 'slack', type: 'slack', webhookUrl: `${slack.url}/services/TBENCH/BBENCH/bench`, minSeverity: 'info' }],
  }), { mode: 0o600 });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'start', '--config', config], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', T: TOKEN, S: SECRET }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const hook = `http://127.0.0.1:${port}/hooks/gh`;
  try {
    // Wait for the initial scan (the baseline) and the receiver.
    for (let i = 0; i < 600; i++) {
      const ready = gh.listRequests().length > 0 && (await fetch(hook, { method: 'POST' }).then((r) => r.status, () => 0)) === 401;
      if (ready && slack.accepted.length > 0) break;
      await sleep(100);
    }
    await sleep(1_000);
    let nextId = 500_000;
    const figures: RunFigures[] = [];

    const run = async (name: string, count: number, pace: { perSecond?: number; inFlight?: number }): Promise<void> => {
      const sentAt = new Map<string, number>();
      const requestsBefore = gh.requests.length;
      const logins: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = nextId++;
        const login = `ev-${id}`;
        gh.addMember({ id, login, role: 'member', twoFactor: 'enabled' });
        logins.push(login);
      }
      const post = async (login: string) => {
        const d = delivery(SECRET, 'organization', organizationEvent('acme', 'member_added', { id: Number(login.slice(3)), login }));
        sentAt.set(login, performance.now());
        const res = await fetch(hook, { method: 'POST', headers: d.headers, body: d.body });
        if (res.status !== 202) throw new Error(`the receiver answered ${res.status}`);
      };
      const started = performance.now();
      if (pace.perSecond) {
        for (const [i, login] of logins.entries()) {
          const due = started + (i * 1000) / pace.perSecond;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          void post(login);
        }
      } else {
        for (let i = 0; i < logins.length; i += pace.inFlight ?? 50) await Promise.all(logins.slice(i, i + (pace.inFlight ?? 50)).map(post));
      }
      const deadline = performance.now() + 120_000;
      while (logins.some((l) => !alertedAt.has(l)) && performance.now() < deadline) await sleep(20);
      const lat = logins.flatMap((l) => (alertedAt.has(l) && sentAt.has(l) ? [(alertedAt.get(l) ?? 0) - (sentAt.get(l) ?? 0)] : [])).sort((a, b) => a - b);
      const verifications = gh.requests.slice(requestsBefore).filter((r) => /^\/user\/\d+$/.test(r.path)).length;
      // Every GitHub request in the window (a probe poll falling into it included: 2 requests a minute).
      const verificationRequests = gh.requests.length - requestsBefore;
      figures.push({
        name, events: count, alerted: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? NaN,
        seconds: (performance.now() - started) / 1000, requestsPerVerification: verifications ? verificationRequests / verifications : NaN,
      });
      process.stderr.write(`${name}: ${lat.length}/${count} alerted, p50 ${percentile(lat, 50).toFixed(0)} ms, p99 ${percentile(lat, 99).toFixed(0)} ms\n`);
    };

    await run('200 deliveries at 10 per second', 200, { perSecond: 10 });
    await sleep(1_000);
    await run('a burst of 1,000 deliveries (50 in flight)', 1000, { inFlight: 50 });

    const status = await new Promise<string>((resolve) => {
      const s = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'status', '--json', '--config', config], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', T: TOKEN, S: SECRET }, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      s.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      s.on('close', () => resolve(out));
    });
    const sources = (JSON.parse(status) as { events?: { eventSources: Array<{ source: string; requestsPerPoll: number | null; requestsPerHour: number | null }> } }).events?.eventSources ?? [];
    const probe = sources.find((s) => s.source === 'probe');
    writeSection(figures, { perPoll: probe?.requestsPerPoll ?? null, perHour: probe?.requestsPerHour ?? null });
  } finally {
    child.kill('SIGTERM');
    await exited;
    await gh.stop();
    await slack.stop();
    if (!/"level":(50|60)/.test(stderr)) rmSync(WORK, { recursive: true, force: true });
    else process.stderr.write(stderr);
  }
}

function writeSection(figures: readonly RunFigures[], probe: { perPoll: number | null; perHour: number | null }): void {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '–');
  const lines = [
    BEGIN,
    '## Detection latency (events)',
    '',
    `Written by \`npx tsx bench/events.ts\` on ${new Date().toISOString()} (${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' / ')}).`,
    'A real `mfawatch start` (child process) with the GitHub webhook and the 60s probe; the GitHub fake',
    `(${MEMBERS.toLocaleString('en-US')} members) and the Slack fake on 127.0.0.1. Latency: from the webhook POST starting to the Slack fake`,
    'accepting the alert that names the account. Each delivery is a new member, so each is verified at the fake',
    '(coalescing window 250 ms, 4 verifications at a time) and its alert queued and sent on its own.',
    '',
    '| run | deliveries | alerted | p50 ms | p99 ms | max ms | wall s | GitHub requests per verification |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.map((f) => `| ${f.name} | ${f.events} | ${f.alerted} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${f.seconds.toFixed(1)} | ${Number.isFinite(f.requestsPerVerification) ? f.requestsPerVerification.toFixed(1) : '–'} |`),
    '',
    `Fast probe: ${probe.perPoll ?? '–'} request(s) per poll (the members and the outside collaborators without 2FA: ${MEMBERS / 50} and 1, one page each), about ${probe.perHour ?? '–'} per hour at 60s, as \`status --json\` reports it. A verification costs GET /user/{id}, the membership and the two 2FA listings (one page each here; one more per 100 accounts without 2FA or with SMS only).`,
    'The machine is shared by other jobs: the load average above (not the bench alone) slows every figure; the burst is bound by verification requests (4 at a time, as GitHub asks clients to avoid many concurrent requests).',
    END,
  ];
  const path = join(BENCH, 'RESULTS.md');
  const current = readFileSync(path, 'utf8');
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const section = lines.join('\n');
  const next = start >= 0 && end > start ? `${current.slice(0, start)}${section}${current.slice(end + END.length)}` : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  process.stderr.write('bench/RESULTS.md: events section written\n');
}

await main();
