/**
 * `npm run bench`: full cycles of the real CLI (`node bin/mfawatch.js run`) against the providers'
 * fakes on 127.0.0.1, next to a bare baseline, for every scenario, then the detection latency of
 * the event path: the GitHub webhook (bench/events.ts) and the pulled sources of every other
 * provider (bench/provider-events.ts); writes bench/RESULTS.md.
 *   npm run bench                       every scenario and both events parts
 *   npm run bench -- github-10k ...     only these (RESULTS.md is still written: check before committing)
 *   npm run bench -- events             only the GitHub webhook runs (the rest of RESULTS.md stays)
 *   npm run bench -- provider-events    only the per-provider latency (the rest of RESULTS.md stays)
 * The fakes run in this process; mfawatch and the bare baseline each run as their own child
 * process, measured by GNU time, so neither is charged for the fake's work.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { build } from '../scripts/build.js';
import { compiledEntry } from '../scripts/compiled.js';
import { awsScenarios } from './aws.js';
import { runEventsBench } from './events.js';
import { githubScenarios } from './github.js';
import { checkGnuTime, measureProcess, type Measurement } from './measure.js';
import { runProviderEventsBench } from './provider-events.js';
import { renderResults, type ScanFigures, type ScenarioResult } from './report.js';
import { EVENTS_SECTION, PROVIDER_EVENTS_SECTION, joinResults, splitResults } from './results-file.js';
import type { ProviderScenario, RunningScenario } from './scenario.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const WORK = join(BENCH, '.work');
const CHANGE_FRACTION = 0.01;

/** Every scenario, in the order they run. */
const SCENARIOS: ProviderScenario[] = [...githubScenarios, ...awsScenarios];
/** The name that selects the events runs (bench/events.ts), which follow the scan scenarios. */
const EVENTS = 'events';
/** The name that selects the per-provider latency of the pulled sources (bench/provider-events.ts), which runs last. */
const PROVIDER_EVENTS = 'provider-events';

interface DbCounts {
  accounts: number;
  history: number;
  /** Accounts whose row was written at or after `since`. */
  accountsWritten: number;
}

function dbCounts(path: string, since: Date): DbCounts {
  const db = new Database(path);
  try {
    const one = (sql: string, ...p: unknown[]) => (db.prepare(sql).get(...p) as { n: number }).n;
    return {
      accounts: one(`SELECT COUNT(*) AS n FROM accounts`),
      history: one(`SELECT COUNT(*) AS n FROM account_history`),
      accountsWritten: one(`SELECT COUNT(*) AS n FROM accounts WHERE changed_at >= ?`, since.toISOString()),
    };
  } finally {
    db.close();
  }
}

/** The "scan committed" log lines of a run (pino JSON on stderr), summed over the scopes scanned. */
function committedLine(stderr: string): { accounts: number; events: number; requests: number; commitMs: number; commitCpuMs: number; diffMs: number | undefined } | undefined {
  let sum: ReturnType<typeof committedLine>;
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; accounts?: number; events?: number; requests?: number; commitMs?: number; commitCpuMs?: number; diffMs?: number };
    if (entry.msg !== 'scan committed') continue;
    sum ??= { accounts: 0, events: 0, requests: 0, commitMs: 0, commitCpuMs: 0, diffMs: undefined };
    sum.accounts += entry.accounts ?? 0;
    sum.events += entry.events ?? 0;
    sum.requests += entry.requests ?? 0;
    sum.commitMs += entry.commitMs ?? 0;
    sum.commitCpuMs += entry.commitCpuMs ?? 0;
    if (entry.diffMs !== undefined) sum.diffMs = (sum.diffMs ?? 0) + entry.diffMs;
  }
  return sum;
}

function failure(what: string, m: Measurement): Error {
  return new Error(`${what} exited with ${m.exitCode}:\n${m.stderr.slice(-2000)}`);
}

/**
 * Fetches the first page of every listing once so each fake computes its listings before the
 * clock starts (the AWS fake writes its report per request: nothing to warm).
 */
async function warmUp(running: RunningScenario): Promise<void> {
  const plan = running.barePlan();
  if (plan.kind === 'link-pages') for (const listing of plan.listings) await (await fetch(listing.url, { headers: plan.headers })).arrayBuffer();
  running.takeRequestCount();
}

async function runScenario(scenario: ProviderScenario, bareScript: string): Promise<ScenarioResult> {
  const dir = join(WORK, scenario.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const database = join(dir, 'mfawatch.db');
  const bareDatabase = join(dir, 'bare.db');
  process.stderr.write(`${scenario.id}: starting the fake with ${scenario.size.toLocaleString('en')} accounts\n`);
  const running = await scenario.start();
  const config = join(dir, 'mfawatch.json');
  writeFileSync(
    config,
    JSON.stringify({
      database,
      scanDeadline: '1h',
      log: { level: 'info' },
      monitors: [running.monitor],
      // A full cycle delivers what the scan found: every event goes to a stdout notifier (JSON lines).
      notifiers: [{ id: 'siem', type: 'stdout' }],
    }),
  );
  const env = { ...process.env, ...running.env, NODE_ENV: 'production', MFAWATCH_FROM_SOURCE: '' };
  const scans: ScanFigures[] = [];

  const runMfawatch = async (label: ScanFigures['label'], changes: number): Promise<void> => {
    await warmUp(running);
    const accounts = running.accounts();
    const minimum = running.minimumRequests();
    const since = new Date();
    const before = label === 'baseline' ? { accounts: 0, history: 0, accountsWritten: 0 } : dbCounts(database, since);
    process.stderr.write(`${scenario.id}: mfawatch ${label} scan of ${accounts.toLocaleString('en')} accounts... `);
    const m = await measureProcess(process.execPath, [join(ROOT, 'bin/mfawatch.js'), 'run', '--config', config], { env, workDir: dir });
    const requests = running.takeRequestCount();
    if (m.exitCode !== 0) throw failure(`mfawatch run (${scenario.id}, ${label})`, m);
    const committed = committedLine(m.stderr);
    if (!committed) throw failure(`mfawatch run (${scenario.id}, ${label}) logged no committed scan`, m);
    if (committed.accounts !== accounts) throw new Error(`${scenario.id} ${label}: mfawatch stored ${committed.accounts} accounts, the fake holds ${accounts}`);
    const after = dbCounts(database, since);
    process.stderr.write(`${(m.wallMs / 1000).toFixed(1)} s\n`);
    scans.push({
      label, accounts, changes, requests, minimumRequests: minimum, mfawatchRequests: committed.requests, events: committed.events, commitMs: committed.commitMs, commitCpuMs: committed.commitCpuMs, diffMs: committed.diffMs,
      historyRowsWritten: after.history - before.history, accountRowsWritten: after.accountsWritten, mfawatch: m,
    });
  };

  const runBare = async (label: ScanFigures['label']): Promise<void> => {
    await warmUp(running);
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(running.barePlan()));
    process.stderr.write(`${scenario.id}: bare baseline (${label})... `);
    const m = await measureProcess(process.execPath, [bareScript, planFile, bareDatabase], { env, workDir: dir });
    running.takeRequestCount();
    if (m.exitCode !== 0) throw failure(`the bare baseline (${scenario.id}, ${label})`, m);
    const scan = scans.find((s) => s.label === label);
    if (scan) scan.bare = m;
    process.stderr.write(`${(m.wallMs / 1000).toFixed(1)} s\n`);
  };

  try {
    await runMfawatch('baseline', 0);
    await runBare('baseline');
    const changed = running.applyChanges(CHANGE_FRACTION);
    const changes = Object.values(changed).reduce((a, b) => a + b, 0);
    await runMfawatch('1% changed', changes);
    await runBare('1% changed');
    if (scenario.unchangedScan) await runMfawatch('unchanged', 0);
    return { scenario, scans, changeMix: changed };
  } finally {
    await running.stop();
    // The databases of a 1M org are hundreds of MB.
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * mfawatch's fixed cost per run: Node, loading the CLI, importing every module, reading the
 * config (`config check` loads what `run` loads, then stops). The median of three runs, with the
 * compiled CLI that bin/mfawatch.js runs after `npm ci` and, for comparison, from the TypeScript
 * sources through tsx (MFAWATCH_FROM_SOURCE=1).
 */
async function measureStartup(fromSource: boolean): Promise<Measurement> {
  const dir = join(WORK, 'startup');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'mfawatch.json');
  writeFileSync(config, JSON.stringify({ database: join(dir, 'mfawatch.db'), monitors: [{ id: 'bench', type: 'github', org: 'bench-org', token: '${BENCH_GITHUB_TOKEN}', baseUrl: 'http://127.0.0.1:9' }] }));
  const runs: Measurement[] = [];
  for (let i = 0; i < 3; i++) {
    const env = { ...process.env, BENCH_GITHUB_TOKEN: 'x', MFAWATCH_FROM_SOURCE: fromSource ? '1' : '' };
    const m = await measureProcess(process.execPath, [join(ROOT, 'bin/mfawatch.js'), 'config', 'check', '--config', config], { env, workDir: dir });
    if (m.exitCode !== 0) throw failure('mfawatch config check', m);
    runs.push(m);
  }
  return runs.sort((a, b) => a.wallMs - b.wallMs)[1] as Measurement;
}

async function main(): Promise<void> {
  checkGnuTime();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((id) => id !== EVENTS && id !== PROVIDER_EVENTS && !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${[...SCENARIOS.map((s) => s.id), EVENTS, PROVIDER_EVENTS].join(', ')}`);
  const selected = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.id)) : SCENARIOS;
  const withEvents = wanted.length === 0 || wanted.includes(EVENTS);
  const withProviderEvents = wanted.length === 0 || wanted.includes(PROVIDER_EVENTS);
  mkdirSync(WORK, { recursive: true });
  // The bare baseline runs as plain JavaScript: no TypeScript loader start-up in the floor.
  const bareScript = join(WORK, 'bare-baseline.mjs');
  buildSync({ entryPoints: [join(BENCH, 'bare-baseline.ts')], outfile: bareScript, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });

  // mfawatch as `npm ci` installs it: the CLI compiled to plain JavaScript (scripts/build.js).
  if (!build(ROOT) || !compiledEntry(ROOT)) throw new Error('could not compile the CLI (scripts/build.js); the bench measures the compiled CLI that npm ci installs');

  const started = new Date();
  // What RESULTS.md holds now: a part not run this time keeps its previous figures.
  const parts = splitResults(existsSync(join(BENCH, 'RESULTS.md')) ? readFileSync(join(BENCH, 'RESULTS.md'), 'utf8') : '');

  if (selected.length > 0) {
    const loadBefore = loadavg();
    const startup = await measureStartup(false);
    const startupFromSource = await measureStartup(true);
    const results: ScenarioResult[] = [];
    for (const scenario of selected) results.push(await runScenario(scenario, bareScript));
    const cpu = cpus();
    parts.scans = renderResults(results, {
      started,
      finished: new Date(),
      cpuModel: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      ramGb: totalmem() / 1024 ** 3,
      node: process.version,
      loadBefore,
      loadAfter: loadavg(),
      partial: selected.length < SCENARIOS.length,
      startup,
      startupFromSource,
    });
  }
  if (withEvents) {
    // After the scans, with their fakes stopped: the latency runs have the machine to themselves.
    process.stderr.write('events: detection latency through mfawatch start (bench/events.ts)\n');
    parts.sections.set(EVENTS_SECTION.begin, await runEventsBench());
  }
  if (withProviderEvents) {
    process.stderr.write('provider-events: detection latency of the pulled sources per provider (bench/provider-events.ts)\n');
    parts.sections.set(PROVIDER_EVENTS_SECTION.begin, await runProviderEventsBench());
  }
  const finished = new Date();
  writeFileSync(join(BENCH, 'RESULTS.md'), joinResults(parts));
  process.stderr.write(`bench/RESULTS.md written (${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s)\n`);
}

await main();
