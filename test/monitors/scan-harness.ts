/** Runs one monitor scan outside the core, collecting what the monitor reports. */
import type { Monitor, ScanContext } from '../../monitors/types.js';
import type { Observation } from '../../src/core/types.js';
import type { Logger } from '../../src/core/deps.js';

export interface CollectedScan {
  observations: Observation[];
  warnings: string[];
  requests: number;
  dataAsOf: Date | undefined;
  label: string | undefined;
  rateLimit: { remaining: number; resetAt?: Date | undefined } | undefined;
  /** What the monitor vouched for with ScanContext.listingCounted: 'all', the kinds, or nothing. */
  counted: 'all' | string[];
  error: unknown;
}

/** Scans the monitor's first scope (or `scopeId`) and collects everything; never throws. */
export async function collectScan(monitor: Monitor, logger: Logger, options: { deadlineMs?: number; signal?: AbortSignal; scopeId?: string } = {}): Promise<CollectedScan> {
  const out: CollectedScan = { observations: [], warnings: [], requests: 0, dataAsOf: undefined, label: undefined, rateLimit: undefined, counted: [], error: undefined };
  const deadlineMs = options.deadlineMs ?? 60_000;
  const ctx: ScanContext = {
    signal: options.signal ?? AbortSignal.timeout(deadlineMs),
    deadline: new Date(Date.now() + deadlineMs),
    logger,
    setDataAsOf: (d) => (out.dataAsOf = d),
    setScopeLabel: (l) => (out.label = l),
    warn: (m) => out.warnings.push(m),
    countRequest: (n = 1) => (out.requests += n),
    reportRateLimit: (remaining, resetAt) => (out.rateLimit = { remaining, resetAt }),
    listingCounted: (kinds) => {
      if (!kinds) out.counted = 'all';
      else if (out.counted !== 'all') out.counted.push(...kinds);
    },
  };
  const scopes = monitor.scopes();
  const scope = scopes.find((s) => s.id === (options.scopeId ?? scopes[0]?.id)) ?? { id: '', label: '' };
  try {
    for await (const o of monitor.scan(scope, ctx)) out.observations.push(o);
  } catch (err) {
    out.error = err;
  }
  return out;
}
