/** bench/RESULTS.md: the machine, every scan's figures, the bare baseline, and each target met or not. */
import type { Measurement } from './measure.js';
import type { ChangeCounts, ProviderScenario } from './scenario.js';

export interface ScanFigures {
  label: 'baseline' | '1% changed' | 'unchanged';
  /** Accounts the provider held (and mfawatch stored). */
  accounts: number;
  /** Accounts changed at the provider before this scan. */
  changes: number;
  /** Requests the fake answered. */
  requests: number;
  minimumRequests: number;
  /** Requests mfawatch counted itself (scans.requests). */
  mfawatchRequests: number;
  /** Events the scan produced. */
  events: number;
  /** The commit transaction: set-based diff in SQLite plus the writes. */
  commitMs: number;
  /** CPU time of the commit (the rest of its wall time is waiting for a core on a loaded machine). */
  commitCpuMs: number;
  /** The diff queries alone (changed and removed accounts), inside the commit; none on a baseline. */
  diffMs: number | undefined;
  historyRowsWritten: number;
  accountRowsWritten: number;
  mfawatch: Measurement;
  bare?: Measurement;
}

export interface ScenarioResult {
  scenario: ProviderScenario;
  scans: ScanFigures[];
  changeMix: ChangeCounts;
}

export interface MachineInfo {
  started: Date;
  finished: Date;
  cpuModel: string;
  cores: number;
  ramGb: number;
  node: string;
  loadBefore: number[];
  loadAfter: number[];
  /** Only some scenarios were run. */
  partial: boolean;
  /** mfawatch's fixed start-up (`config check`). */
  startup: Measurement;
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const mb = (n: number) => n.toFixed(0);
const int = (n: number) => Math.round(n).toLocaleString('en');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

interface Target {
  name: string;
  met: boolean | undefined;
  figure: string;
}

function targets(results: ScenarioResult[], startup: Measurement): Target[] {
  const scans = results.flatMap((r) => r.scans.map((scan) => ({ id: r.scenario.id, scan })));
  const of = (id: string) => scans.filter((x) => x.id === id).map((x) => x.scan);
  const out: Target[] = [];

  const offMinimum = scans.filter((x) => x.scan.requests !== x.scan.minimumRequests);
  out.push({
    name: 'Requests = the minimum the provider allows, every scan',
    met: scans.length ? offMinimum.length === 0 : undefined,
    figure: offMinimum.length ? offMinimum.map((x) => `${x.id} ${x.scan.label}: ${x.scan.requests} vs ${x.scan.minimumRequests}`).join('; ') : `${scans.length} scans, each at its minimum`,
  });

  const changed100k = of('github-100k').find((x) => x.label === '1% changed');
  const ratio = changed100k?.bare ? changed100k.mfawatch.wallMs / changed100k.bare.wallMs : undefined;
  out.push({
    name: '100k-member GitHub scan with 1 % changes ≤ 1.5 × the bare baseline (wall time)',
    met: ratio === undefined ? undefined : ratio <= 1.5,
    figure:
      ratio === undefined || !changed100k?.bare
        ? 'not run'
        : `${ratio.toFixed(2)} × (${s(changed100k.mfawatch.wallMs)} s vs ${s(changed100k.bare.wallMs)} s); without mfawatch's start-up of ${s(startup.wallMs)} s: ${((changed100k.mfawatch.wallMs - startup.wallMs) / changed100k.bare.wallMs).toFixed(2)} ×; CPU ${(changed100k.mfawatch.cpuMs / changed100k.bare.cpuMs).toFixed(2)} ×`,
  });

  const million = of('github-1m');
  const peak = million.length ? Math.max(...million.map((x) => x.mfawatch.peakRssMb)) : undefined;
  out.push({ name: '1M-member org: peak RSS ≤ 300 MB', met: peak === undefined ? undefined : peak <= 300, figure: peak === undefined ? 'not run' : `${mb(peak)} MB (highest of its scans)` });

  const unchanged = million.find((x) => x.label === 'unchanged');
  out.push({
    name: '1M-member org: a scan with no changes writes no per-account rows',
    met: unchanged ? unchanged.accountRowsWritten === 0 && unchanged.historyRowsWritten === 0 : undefined,
    figure: unchanged ? `${unchanged.accountRowsWritten} account rows, ${unchanged.historyRowsWritten} history rows written` : 'not run',
  });

  const diffs = million.filter((x) => x.label !== 'baseline');
  const slowest = diffs.length ? Math.max(...diffs.map((x) => x.diffMs ?? Infinity)) : undefined;
  out.push({
    name: 'Diff of 1M accounts inside SQLite ≤ 5 s (the set-based queries for changed and removed accounts)',
    met: slowest === undefined ? undefined : slowest <= 5000,
    figure:
      slowest === undefined
        ? 'not run'
        : diffs.map((x) => `${x.label}: ${x.diffMs === undefined ? '?' : s(x.diffMs)} s (the whole commit with its writes: ${s(x.commitMs)} s, CPU ${s(x.commitCpuMs)} s)`).join('; '),
  });
  return out;
}

/** The whole RESULTS.md. */
export function renderResults(results: ScenarioResult[], machine: MachineInfo): string {
  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push('Written by `npm run bench` (bench/run.ts); do not edit by hand. How it measures: see the end of this file.', '');
  if (machine.partial) lines.push('> Only some scenarios were run (`npm run bench -- IDS`): this is not a full result.', '');
  lines.push('## Machine', '');
  lines.push(`- CPU: ${machine.cpuModel}, ${machine.cores} cores; RAM ${machine.ramGb.toFixed(1)} GB; Node ${machine.node}; ${process.platform} ${process.arch}`);
  lines.push(`- Run: ${machine.started.toISOString()} → ${machine.finished.toISOString()} (${((machine.finished.getTime() - machine.started.getTime()) / 1000).toFixed(0)} s)`);
  lines.push(`- mfawatch start-up (\`node bin/mfawatch.js config check\`: Node, the tsx loader, every module, the config; median of 3): ${s(machine.startup.wallMs)} s wall, ${s(machine.startup.cpuMs)} s CPU, ${mb(machine.startup.peakRssMb)} MB. It is in every mfawatch figure below; the bare baseline, plain JavaScript, starts in about 0.1 s.`);
  lines.push(`- Load average (1/5/15 min) before: ${load(machine.loadBefore)}; after: ${load(machine.loadAfter)}. The machine is shared: a load above the bench's own (about 1.5 while a scan runs: mfawatch and the fake) slows every figure, mfawatch's and the bare baseline's alike.`);
  lines.push('');

  lines.push('## Targets', '', '| target | met | figure |', '|---|---|---|');
  for (const t of targets(results, machine.startup)) lines.push(`| ${t.name} | ${t.met === undefined ? 'not run' : t.met ? 'yes' : '**no**'} | ${t.figure} |`);
  lines.push('');

  lines.push('## mfawatch: full cycles of `node bin/mfawatch.js run`', '');
  lines.push('| scenario | scan | accounts | changed | events | wall s | CPU s | peak RSS MB | requests (minimum) | accounts/s | diff s | commit s (CPU s) | rows written: accounts / history | fake CPU s |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    for (const x of r.scans) {
      const m = x.mfawatch;
      lines.push(
        `| ${r.scenario.title} | ${x.label} | ${int(x.accounts)} | ${int(x.changes)} | ${int(x.events)} | ${s(m.wallMs)} | ${s(m.cpuMs)} | ${mb(m.peakRssMb)} | ${int(x.requests)} (${int(x.minimumRequests)}) | ${int(x.accounts / (m.wallMs / 1000))} | ${x.diffMs === undefined ? '–' : s(x.diffMs)} | ${s(x.commitMs)} (${s(x.commitCpuMs)}) | ${int(x.accountRowsWritten)} / ${int(x.historyRowsWritten)} | ${s(m.fakeCpuMs)} |`,
      );
    }
  }
  lines.push('');

  lines.push('## Against the bare baseline', '');
  lines.push('| scenario | scan | bare wall s | bare CPU s | bare peak RSS MB | mfawatch wall s | ratio (wall) | ratio (CPU) |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    for (const x of r.scans) {
      if (!x.bare) continue;
      lines.push(`| ${r.scenario.title} | ${x.label} | ${s(x.bare.wallMs)} | ${s(x.bare.cpuMs)} | ${mb(x.bare.peakRssMb)} | ${s(x.mfawatch.wallMs)} | ${(x.mfawatch.wallMs / x.bare.wallMs).toFixed(2)} × | ${(x.mfawatch.cpuMs / x.bare.cpuMs).toFixed(2)} × |`);
    }
  }
  lines.push('');

  lines.push('## Changes applied before the "1% changed" scan', '');
  for (const r of results) lines.push(`- ${r.scenario.title}: ${Object.entries(r.changeMix).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);
  lines.push('');

  lines.push('## How it measures', '');
  lines.push(
    '- Each scenario starts the provider\'s fake (the same one the tests use, no added latency) in the bench process on 127.0.0.1, with N accounts.',
    '- **mfawatch**: `node bin/mfawatch.js run --config FILE` as a child process (config: the monitor, one stdout notifier receiving every event, SQLite file in bench/.work). Scans: the first (baseline), one after 1 % of the accounts changed, one with no change.',
    '- **bare baseline**: a child process (bench/bare-baseline.ts compiled to plain JavaScript) fetching the same pages with a `fetch` loop following the Link headers, parsing each body and upserting the rows of the full listings into SQLite in one transaction with one prepared statement (same WAL settings). It runs after the mfawatch scan of the same state.',
    '- **wall** is measured by the bench around the child; **CPU** (user + system) and **peak RSS** (ru_maxrss) come from GNU time; **fake CPU** is the bench process\'s CPU during the run (the fake serving the pages), which is not in the child\'s figures.',
    '- **requests** are counted at the fake; the **minimum** is one request per 100 accounts (GitHub\'s largest page) per listing the provider needs, and one for an empty listing. mfawatch reads 7 GitHub listings: members with filter=2fa_disabled, filter=2fa_insecure, role=admin and all; outside collaborators with filter=2fa_disabled, filter=2fa_insecure and all.',
    '- **diff** is the two set-based queries (accounts changed or new, accounts removed) over the staged scan and the stored state; **commit** is the whole commit transaction (the diff, then the writes of state, history, events and outbox); both from mfawatch\'s "scan committed" log line (`diffMs`, `commitMs`, `commitCpuMs`).',
    '- **rows written** counts account_history rows added and accounts rows whose changed_at is at or after the scan\'s start, read from the database after the run.',
    '- The mfawatch figures include its start-up (Node, the tsx loader, opening and migrating the database), about 0.8 s on this machine.',
    '- No AWS scenario yet: the AWS IAM monitor is on another branch; its scenario (credential report, 5,000 users) is one entry in bench/run.ts once it is merged.',
  );
  lines.push('');
  return lines.join('\n');
}
