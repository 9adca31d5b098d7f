/**
 * The provider fault matrix: every fault of FAULTS (harness.ts) against every module of HARNESSES
 * (harnesses/index.ts), through the real CLI, a real SQLite file and the provider's fake. To add a
 * module, add its harness entry; see the header of harness.ts. The figures go to
 * docs/RELIABILITY.md (results.ts, global-setup.ts).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { eventLines, runCli, tempDir, writeConfig } from '../helpers.js';
import { FAULTS, type FaultSpec, type HarnessRun, type MonitorHarness, type ResponderHarness } from './harness.js';
import { HARNESSES, RESPONDER_HARNESSES } from './harnesses/index.js';
import { writeResults, type MatrixRow, type ResponderMatrixRow } from './results.js';

/** Event types that claim something changed at the provider (a false one is a false alert). */
const CHANGE_TYPES = new Set(['mfa_disabled', 'mfa_weakened', 'mfa_enabled', 'account_added', 'account_removed', 'privilege_changed']);
/** Words of an error message that tell the operator what to do next. */
const ADVICE = /check|retry|will run again|next scan|use a|create a|authori[sz]e|raise|see monitors\/|chmod|mfawatch accept|nothing was committed/i;
/** The scan warning of removals deferred to a second scan (src/scan/run-scan.ts). */
const DEFERRED = /kept until the next scan confirms/;

const rows: MatrixRow[] = [];
/** A temporary directory of this run, as it appears in messages ("/tmp/mfawatch-matrix-command-Ab12Cd"). */
const TEMP_DIR = new RegExp(`${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^/\\s]+`, 'g');

interface Delivered {
  batchId: string;
  id: number;
  type: string;
  accountId: string | null;
}

function delivered(stdout: string): Delivered[] {
  return eventLines<Delivered>(stdout);
}

function snapshot(dbPath: string): { accounts: string; history: number; events: Array<{ id: number; type: string; account_id: string | null }> } {
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      accounts: JSON.stringify(db.prepare('SELECT monitor_id, scope, account_id, login, kind, admin, mfa, factors FROM accounts ORDER BY account_id').all()),
      history: (db.prepare('SELECT COUNT(*) AS n FROM account_history').get() as { n: number }).n,
      events: db.prepare('SELECT id, type, account_id FROM events ORDER BY id').all() as Array<{ id: number; type: string; account_id: string | null }>,
    };
  } finally {
    db.close();
  }
}

function lastScan(dbPath: string): { status: string; error_reason: string | null; error_message: string | null; warnings: string } {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT status, error_reason, error_message, warnings FROM scans ORDER BY id DESC LIMIT 1').get() as { status: string; error_reason: string | null; error_message: string | null; warnings: string };
  } finally {
    db.close();
  }
}

const duplicates = (list: readonly Delivered[]) => list.length - new Set(list.map((d) => `${d.batchId}#${d.id}`)).size;

async function runFault(harness: MonitorHarness, shared: FaultSpec): Promise<MatrixRow> {
  const override = harness.expectOverride?.[shared.id];
  const fault: FaultSpec = override ? { ...shared, expect: override.expect } : shared;
  const dir = tempDir('mfawatch-matrix-');
  const run: HarnessRun = await harness.start();
  const dbPath = join(dir.path, 'state.db');
  const cycle = async () => {
    const configPath = writeConfig(dir.path, {
      database: './state.db',
      scanDeadline: '20s',
      health: { failureThreshold: 1 },
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [run.monitorEntry()],
      notifiers: [{ id: 'siem', type: 'stdout' }],
    });
    return runCli(['run', '--config', configPath], { env: run.env });
  };
  try {
    // A good baseline.
    const first = await cycle();
    expect(first.code, first.stderr).toBe(0);
    expect(delivered(first.stdout).map((d) => d.type)).toEqual(['baseline']);
    const before = snapshot(dbPath);

    // The fault.
    await run.inject(fault.id);
    const faulty = await cycle();
    const scan = lastScan(dbPath);
    const during = snapshot(dbPath);
    const newEvents = during.events.filter((e) => !before.events.some((b) => b.id === e.id));
    // A deferred scan raises no alert: nothing happened yet, as far as anyone can tell.
    const healthType = fault.expect === 'held' ? 'anomaly' : fault.expect === 'failed' ? 'scan_failed' : null;
    const deferredWarning = (JSON.parse(scan.warnings || '[]') as string[]).find((w) => DEFERRED.test(w));
    const observed = scan.status === 'succeeded' && deferredWarning ? 'deferred' : scan.status;
    const falseDuring = newEvents.filter((e) => CHANGE_TYPES.has(e.type)).length;
    const healthDelivered = healthType ? delivered(faulty.stdout).filter((d) => d.type === healthType).length : 1;
    const stateChanged = during.accounts !== before.accounts || during.history !== before.history;

    // Recovery, with one real change made meanwhile.
    await run.clear();
    const real = run.makeRealChange();
    const good = await cycle();
    const after = snapshot(dbPath);
    const recoveryEvents = after.events.filter((e) => !during.events.some((d) => d.id === e.id));
    const changeEvents = recoveryEvents.filter((e) => CHANGE_TYPES.has(e.type));
    const falseAfter = changeEvents.filter((e) => !(e.type === real.type && e.account_id === real.accountId)).length;
    const deliveredAfter = delivered(good.stdout);
    const realDelivered = deliveredAfter.filter((d) => d.type === real.type && d.accountId === real.accountId).length;
    const lost = (realDelivered === 0 ? 1 : 0) + (healthDelivered === 0 ? 1 : 0);

    const row: MatrixRow = {
      module: harness.name ?? harness.type,
      fault: fault.id,
      title: fault.title,
      ...(harness.as?.[fault.id] ? { as: harness.as[fault.id] } : {}),
      ...(override ? { expectedBecause: override.why } : {}),
      expected: fault.expect,
      observed,
      reason: scan.error_reason,
      // Ports and temporary directories change on every run: the published table must not churn.
      message: (scan.error_message ?? deferredWarning ?? '').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replaceAll(TEMP_DIR, '$TMPDIR/…'),
      falseAlerts: falseDuring + falseAfter,
      lostAlerts: lost,
      duplicateDeliveries: duplicates(delivered(faulty.stdout)) + duplicates(deliveredAfter),
      stateChanged,
    };

    expect(faulty.code, fault.expect === 'deferred' ? 'a deferred scan succeeded' : 'a faulty cycle exits 1').toBe(fault.expect === 'deferred' ? 0 : 1);
    expect(observed).toBe(fault.expect);
    expect(scan.error_message ?? deferredWarning ?? '', 'the message says what to do').toMatch(fault.expect === 'deferred' ? DEFERRED : ADVICE);
    expect(newEvents.map((e) => e.type), 'only the health alert while the fault lasts').toEqual(healthType ? [healthType] : []);
    expect(stateChanged, 'no state change').toBe(false);
    expect(good.code, good.stderr).toBe(0);
    expect(changeEvents.map((e) => [e.type, e.account_id]), 'the next good scan shows exactly the real change').toEqual([[real.type, real.accountId]]);
    expect(row.falseAlerts).toBe(0);
    expect(row.lostAlerts).toBe(0);
    expect(row.duplicateDeliveries).toBe(0);
    return row;
  } finally {
    await run.stop();
    dir.cleanup();
  }
}

describe.each(HARNESSES.map((h) => [h.name ?? h.type, h] as const))('fault matrix: %s', (_type, harness) => {
  const applicable = FAULTS.filter((f) => !harness.notApplicable?.[f.id]);
  for (const f of FAULTS) {
    const why = harness.notApplicable?.[f.id];
    if (why) rows.push({ module: harness.name ?? harness.type, fault: f.id, title: f.title, expected: 'n/a', observed: 'n/a', reason: null, message: '', falseAlerts: 0, lostAlerts: 0, duplicateDeliveries: 0, stateChanged: false, notApplicable: why });
  }
  it.each(applicable.map((f) => [f.id, f] as const))('%s: no false alert, no state change, failure recorded with advice, clean recovery', async (_id, fault) => {
    rows.push(await runFault(harness, fault));
  }, 90_000);
});

const responderRows: ResponderMatrixRow[] = [];

/** A monitor the config needs (kill runs no scan): a program printing one account. */
const IDLE_MONITOR = { id: 'idle', type: 'command', command: [process.execPath, '-e', 'console.log(JSON.stringify({ id: "1", login: "x", mfa: "enabled" }))'] };

async function runResponderFault(harness: ResponderHarness, fault: FaultSpec): Promise<ResponderMatrixRow> {
  const dir = tempDir('mfawatch-matrix-kill-');
  const run = await harness.start();
  const config = () =>
    writeConfig(dir.path, {
      database: './state.db',
      // The kill deadline bounds retries of a service that keeps failing.
      autoResponse: { killTimeout: '3s' },
      delivery: { runDeadline: '2s', initialBackoff: '100ms' },
      monitors: [run.linking?.monitorEntry() ?? IDLE_MONITOR],
      ...(run.linking ? { identities: { map: run.linking.identities } } : {}),
      notifiers: [{ id: 'siem', type: 'stdout' }],
      responders: [run.responderEntry()],
    });
  const kill = async () => runCli(['kill', run.identity, '--yes', '--config', config()], { env: run.env });
  const lastResult = () => {
    const db = new Database(join(dir.path, 'state.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT ok, results FROM responses ORDER BY id DESC LIMIT 1').get() as { ok: number; results: string } | undefined;
      const results = JSON.parse(row?.results ?? '[]') as Array<{ outcome: string; detail: string; error?: { reason: string; message: string } }>;
      return { ok: row?.ok === 1, result: results[0] };
    } finally {
      db.close();
    }
  };
  try {
    if (run.linking) {
      // The scan that links the identity's accounts, while the service is still healthy.
      const scan = await runCli(['run', '--config', config()], { env: run.env });
      expect(scan.code, scan.stderr).toBe(0);
    }
    await run.inject(fault.id);
    const bad = await kill();
    const during = run.killsSeen();
    const failed = lastResult();
    await run.clear();
    const good = await kill();
    const after = run.killsSeen();
    const recovered = lastResult();
    const row: ResponderMatrixRow = {
      module: harness.type,
      fault: fault.id,
      title: fault.title,
      ...(harness.as?.[fault.id] ? { as: harness.as[fault.id] } : {}),
      outcome: failed.result?.outcome ?? 'none',
      reason: failed.result?.error?.reason ?? null,
      message: (failed.result?.detail ?? '').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'),
      // A kill reported done that the service did not carry out.
      falseKills: failed.result?.outcome === 'succeeded' && during === 0 ? 1 : 0,
      // The kill once the service works again: exactly one more.
      repeatedKills: Math.max(0, after - during - 1),
      missedKills: after - during === 0 ? 1 : 0,
    };
    expect(bad.code, 'a failed kill exits 1').toBe(1);
    expect(failed.ok).toBe(false);
    expect(failed.result?.outcome).toBe('failed');
    expect(`${bad.stdout}${bad.stderr}`, 'the operator is told to run the kill again once fixed').toMatch(/run the command again once fixed/);
    expect(row.falseKills).toBe(0);
    expect(good.code, good.stderr).toBe(0);
    expect(recovered.result?.outcome).toBe('succeeded');
    expect(after - during, 'the next kill ends the sessions once').toBe(1);
    return row;
  } finally {
    await run.stop();
    dir.cleanup();
  }
}

describe.each(RESPONDER_HARNESSES.map((h) => [h.type, h] as const))('fault matrix, responder: %s', (_type, harness) => {
  for (const f of FAULTS) {
    const why = harness.notApplicable?.[f.id];
    if (why) responderRows.push({ module: harness.type, fault: f.id, title: f.title, outcome: 'n/a', reason: null, message: '', falseKills: 0, repeatedKills: 0, missedKills: 0, notApplicable: why });
  }
  const applicable = FAULTS.filter((f) => !harness.notApplicable?.[f.id]);
  it.each(applicable.map((f) => [f.id, f] as const))('%s: the kill fails for that service, no kill reported that did not happen, the next kill ends the sessions once', async (_id, fault) => {
    responderRows.push(await runResponderFault(harness, fault));
  }, 60_000);
});

afterAll(() => {
  if (process.env.MATRIX_PRINT) for (const r of responderRows) console.log(`${r.module} (responder) ${r.fault}: ${r.outcome} ${r.reason ?? ''} :: ${r.message || r.notApplicable || ''}`);
  if (responderRows.length === RESPONDER_HARNESSES.length * FAULTS.length) {
    writeResults('responder-matrix', responderRows.sort((a, b) => a.module.localeCompare(b.module) || FAULTS.findIndex((f) => f.id === a.fault) - FAULTS.findIndex((f) => f.id === b.fault)));
  }
});

afterAll(() => {
  // While writing a harness: MATRIX_PRINT=1 npx vitest run test/reliability/fault-matrix.test.ts -t <type>
  // prints each row's outcome and operator message.
  if (process.env.MATRIX_PRINT) for (const r of rows) console.log(`${r.module} ${r.fault}: ${r.observed} ${r.reason ?? ''} :: ${r.message || r.notApplicable || ''}`);
  // Only a complete matrix is published.
  const expected = HARNESSES.length * FAULTS.length;
  if (rows.length === expected) writeResults('fault-matrix', rows.sort((a, b) => a.module.localeCompare(b.module) || FAULTS.findIndex((f) => f.id === a.fault) - FAULTS.findIndex((f) => f.id === b.fault)));
});
