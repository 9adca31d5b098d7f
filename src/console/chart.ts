/**
 * MFA coverage over time, computed from the account history (one row per account added, changed
 * or removed by a committed scan or verified event) and drawn as server-rendered SVG: no script,
 * nothing for the Content-Security-Policy to allow.
 *
 * Coverage at a moment is enabled / (enabled + weak + disabled) over the accounts present then,
 * exactly as `mfawatch status` computes it now; the last point of a series equals today's status.
 */
import { iterateHistoryUntil } from '../../storage/console.js';
import type { Store } from '../../storage/store.js';
import { html, type Html } from './html.js';

export interface CoveragePoint {
  at: string;
  enabled: number;
  weak: number;
  disabled: number;
  /** null when no account could have MFA then. */
  coverage: number | null;
}

export interface CoverageSeries {
  /** A monitor id, or '' for all monitors together. */
  monitorId: string;
  points: CoveragePoint[];
}

const DAY_MS = 86_400_000;

/**
 * Coverage at `days` + 1 moments, one day apart, ending at `now`, for every monitor in
 * `monitorIds` and overall. One pass over the history up to `now`.
 */
export function coverageOverTime(store: Store, now: Date, days: number, monitorIds: readonly string[]): CoverageSeries[] {
  const moments = Array.from({ length: days + 1 }, (_, i) => new Date(now.getTime() - (days - i) * DAY_MS));
  const keys = ['', ...monitorIds];
  const counts = new Map(keys.map((k) => [k, { enabled: 0, weak: 0, disabled: 0 }]));
  const series = new Map(keys.map((k) => [k, [] as CoveragePoint[]]));
  const state = new Map<string, { monitorId: string; mfa: string }>();
  const bump = (monitorId: string, mfa: string, by: number) => {
    if (mfa !== 'enabled' && mfa !== 'weak' && mfa !== 'disabled') return;
    for (const k of ['', monitorId]) {
      const c = counts.get(k);
      if (c) c[mfa] += by;
    }
  };
  let next = 0;
  const snapshotUntil = (at: number) => {
    while (next < moments.length && (moments[next] as Date).getTime() < at) {
      const moment = (moments[next] as Date).toISOString();
      for (const k of keys) {
        const c = counts.get(k) ?? { enabled: 0, weak: 0, disabled: 0 };
        const applicable = c.enabled + c.weak + c.disabled;
        series.get(k)?.push({ at: moment, ...c, coverage: applicable ? c.enabled / applicable : null });
      }
      next += 1;
    }
  };
  for (const row of iterateHistoryUntil(store, now)) {
    snapshotUntil(Date.parse(row.at));
    const key = `${row.monitor_id}\u0000${row.scope}\u0000${row.account_id}`;
    const before = state.get(key);
    if (before) bump(before.monitorId, before.mfa, -1);
    if (row.change === 'removed') {
      state.delete(key);
    } else {
      state.set(key, { monitorId: row.monitor_id, mfa: row.mfa });
      bump(row.monitor_id, row.mfa, 1);
    }
  }
  snapshotUntil(Number.POSITIVE_INFINITY);
  return keys.map((k) => ({ monitorId: k, points: series.get(k) ?? [] }));
}

const W = 720;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** An SVG line chart of the series (0-100 %), with axes, a legend and a text alternative. */
export function coverageChart(series: readonly CoverageSeries[], days: number): Html {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number, n: number) => PAD.left + (n <= 1 ? plotW : (i / (n - 1)) * plotW);
  const y = (v: number) => PAD.top + (1 - v) * plotH;
  const lines = series.map((s, si) => {
    // A gap where no account could have MFA; a line segment for each run of known points.
    const runs: string[][] = [[]];
    s.points.forEach((p, i) => {
      if (p.coverage === null) runs.push([]);
      else runs[runs.length - 1]?.push(`${x(i, s.points.length).toFixed(1)},${y(p.coverage).toFixed(1)}`);
    });
    return runs.filter((r) => r.length).map((r) => (r.length === 1 ? html`<circle class="series s${si % 8}" cx="${r[0]?.split(',')[0]}" cy="${r[0]?.split(',')[1]}" r="3"></circle>` : html`<polyline class="series s${si % 8}" points="${r.join(' ')}"></polyline>`));
  });
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"></line><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v * 100)}%</text>`);
  const first = series[0]?.points[0]?.at.slice(0, 10) ?? '';
  const last = series[0]?.points.at(-1)?.at.slice(0, 10) ?? '';
  const legend = series.map((s, si) => html`<li><span class="swatch s${si % 8}"></span>${s.monitorId || 'all monitors'}: ${pct(s.points.at(-1)?.coverage ?? null)} now, ${pct(s.points[0]?.coverage ?? null)} ${days} days ago</li>`);
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">MFA coverage, last ${days} days</title>
${grid}
<text class="axis" x="${PAD.left}" y="${H - 8}">${first}</text><text class="axis" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${last}</text>
${lines}
</svg>
<figcaption><ul class="legend">${legend}</ul></figcaption>
</figure>`;
}

/** "93.5%" or "n/a". */
export function pct(v: number | null): string {
  return v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`;
}
