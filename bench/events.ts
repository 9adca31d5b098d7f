/**
 * Part of `npm run bench` (bench/run.ts runs it after the scan scenarios; `npm run bench -- events`
 * runs only it), or alone: `npx tsx bench/events.ts [--steady N] [--burst N]`. Detection latency of the event path, end to end through a real
 * `mfawatch start` (child process, `node bin/mfawatch.js`) against the GitHub and Slack fakes on
 * 127.0.0.1: from a GitHub webhook delivery being available (the POST to `/hooks/<id>` starts) to
 * the Slack fake receiving the alert that names the account. Two runs: 200 deliveries at 10 per
 * second, and a burst of 1,000 (50 in flight at a time). Each delivery is a new member
 * (`organization.member_added`), so each is verified at the fake (GET /user, the membership, the
 * 2FA listings) before its alert; the requests per verification, the GitHub requests per hour each
 * run cost, and the fast probe's requests per hour are counted at the fake. Its section of
 * bench/RESULTS.md sits between the `events-bench` markers. Alone with the documented sizes it
 * rewrites only that section; with reduced sizes (a quick check) it prints the section to stdout
 * and leaves RESULTS.md alone, so RESULTS.md only ever holds runs of the sizes it describes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeChannel } from '../test/fakes/channels.js';
import { FakeGitHub } from '../test/fakes/github.js';
import { delivery, organizationEvent } from '../test/fakes/github-webhooks.js';
import type { RecordedRequest } from '../test/fakes/http.js';
import { EVENTS_SECTION, replaceSection } from './results-file.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const WORK = join(BENCH, '.work', 'events');
const TOKEN = 'ghp_bench_events_owner_token';
const SECRET = 'bench-events-webhook-secret';
const MEMBERS = 2_000;
const BEGIN = EVENTS_SECTION.begin;
const END = EVENTS_SECTION.end;
/** GitHub's REST limit for one token (a personal access token or an app installation outside Enterprise Cloud). */
const GITHUB_REQUESTS_PER_HOUR = 5_000;

/** How many deliveries each run sends. */
export interface EventsBenchSizes {
  /** Deliveries of the steady run, at `perSecond`. */
  steady: number;
  perSecond: number;
  /** Deliveries of the burst, `inFlight` at a time. */
  burst: number;
  inFlight: number;
}

/** The sizes the issue asks for and RESULTS.md reports: 200 at 10 per second, a burst of 1,000. */
export const EVENTS_BENCH_SIZES: EventsBenchSizes = { steady: 200, perSecond: 10, burst: 1_000, inFlight: 50 };

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
  /** GitHub requests in the run's window: verifications, and any probe poll that fell into it. */
  requests: number;
  requestsPerVerification: number;
}

/**
 * Runs both event runs against a fresh `mfawatch start` and returns the RESULTS.md section
 * (markers included). Throws when the child or a fake fails.
 */
export async function runEventsBench(sizes: EventsBenchSizes = EVENTS_BENCH_SIZES): Promise<string> {
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
        seconds: (performance.now() - started) / 1000, requests: verificationRequests, requestsPerVerification: verifications ? verificationRequests / verifications : NaN,
      });
      process.stderr.write(`${name}: ${lat.length}/${count} alerted, p50 ${percentile(lat, 50).toFixed(0)} ms, p99 ${percentile(lat, 99).toFixed(0)} ms\n`);
    };

    await run(`${sizes.steady.toLocaleString('en-US')} deliveries at ${sizes.perSecond} per second`, sizes.steady, { perSecond: sizes.perSecond });
    await sleep(1_000);
    await run(`a burst of ${sizes.burst.toLocaleString('en-US')} deliveries (${sizes.inFlight} in flight)`, sizes.burst, { inFlight: sizes.inFlight });

    const status = await new Promise<string>((resolve) => {
      const s = spawn(process.execPath, [join(ROOT, 'bin', 'mfawatch.js'), 'status', '--json', '--config', config], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', T: TOKEN, S: SECRET }, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      s.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      s.on('close', () => resolve(out));
    });
    const sources = (JSON.parse(status) as { events?: { eventSources: Array<{ source: string; requestsPerPoll: number | null; requestsPerHour: number | null }> } }).events?.eventSources ?? [];
    const probe = sources.find((s) => s.source === 'probe');
    return renderSection(figures, { perPoll: probe?.requestsPerPoll ?? null, perHour: probe?.requestsPerHour ?? null });
  } finally {
    child.kill('SIGTERM');
    await exited;
    await gh.stop();
    await slack.stop();
    if (!/"level":(50|60)/.test(stderr)) rmSync(WORK, { recursive: true, force: true });
    else process.stderr.write(stderr);
  }
}

function renderSection(figures: readonly RunFigures[], probe: { perPoll: number | null; perHour: number | null }): string {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '–');
  const perHour = (f: RunFigures) => (f.seconds > 0 ? Math.round((f.requests / f.seconds) * 3600) : NaN);
  const perVerification = figures.map((f) => f.requestsPerVerification).find(Number.isFinite);
  // What a token's hourly budget leaves for verified events beside the probe (before the scans' share).
  const budget = perVerification && probe.perHour !== null ? Math.floor((GITHUB_REQUESTS_PER_HOUR - probe.perHour) / perVerification) : null;
  const lines = [
    BEGIN,
    '## Detection latency (events)',
    '',
    `Written by \`npm run bench\` (or \`npx tsx bench/events.ts\` alone) on ${new Date().toISOString()} (${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' / ')}).`,
    'A real `mfawatch start` (child process) with the GitHub webhook and the 60s probe; the GitHub fake',
    `(${MEMBERS.toLocaleString('en-US')} members) and the Slack fake on 127.0.0.1. Latency: from the webhook POST starting to the Slack fake`,
    'accepting the alert that names the account. Each delivery is a new member, so each is verified at the fake',
    '(coalescing window 250 ms, 4 verifications at a time) and its alert queued and sent on its own.',
    '',
    '| run | deliveries | alerted | p50 ms | p99 ms | max ms | wall s | GitHub requests | per verification | per hour at this pace |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.map((f) => `| ${f.name} | ${f.events} | ${f.alerted} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${f.seconds.toFixed(1)} | ${f.requests} | ${Number.isFinite(f.requestsPerVerification) ? f.requestsPerVerification.toFixed(1) : '–'} | ${Number.isFinite(perHour(f)) ? perHour(f).toLocaleString('en-US') : '–'} |`),
    '',
    `API requests per hour: the fast probe costs ${probe.perPoll ?? '–'} request(s) per poll (the members and the outside collaborators without 2FA: ${MEMBERS / 50} and 1, one page each), about ${probe.perHour ?? '–'} per hour at 60s, as \`status --json\` reports it, whether or not anything happens. A verification costs GET /user/{id}, the membership and the two 2FA listings (one page each here; one more per 100 accounts without 2FA or with SMS only): verifications cost ${perVerification ? perVerification.toFixed(1) : '–'} requests per verified event, so N changes an hour cost about ${perVerification ? perVerification.toFixed(1) : '–'} × N requests an hour on top of the probe. The paces above are stress tests (${figures.map((f) => (Number.isFinite(perHour(f)) ? perHour(f).toLocaleString('en-US') : '–')).join(' and ')} requests per hour if kept up), far beyond GitHub's ${GITHUB_REQUESTS_PER_HOUR.toLocaleString('en-US')} per hour for one token${budget !== null ? `: beside the probe, that budget verifies about ${budget.toLocaleString('en-US')} events an hour, less the scheduled scans' share (the scan tables above)` : ''}.`,
    'The machine is shared by other jobs: the load average above (not the bench alone) slows every figure; the burst is bound by verification requests (4 at a time, as GitHub asks clients to avoid many concurrent requests).',
    END,
  ];
  return lines.join('\n');
}

/** `npx tsx bench/events.ts [--steady N] [--burst N]`. */
async function main(argv: readonly string[]): Promise<void> {
  const sizes = { ...EVENTS_BENCH_SIZES };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if ((flag !== '--steady' && flag !== '--burst') || !Number.isInteger(value) || value < 1) throw new Error(`usage: npx tsx bench/events.ts [--steady N] [--burst N] (got ${argv.join(' ')})`);
    sizes[flag === '--steady' ? 'steady' : 'burst'] = value;
  }
  const section = await runEventsBench(sizes);
  if (sizes.steady !== EVENTS_BENCH_SIZES.steady || sizes.burst !== EVENTS_BENCH_SIZES.burst) {
    process.stdout.write(`${section}\n`);
    process.stderr.write('reduced sizes: the section above is not written to bench/RESULTS.md\n');
    return;
  }
  const path = join(BENCH, 'RESULTS.md');
  writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), EVENTS_SECTION, section));
  process.stderr.write('bench/RESULTS.md: events section written\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
