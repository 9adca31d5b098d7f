/**
 * MFA coverage over time, computed from the account history (one row per account added, changed
 * or removed by a committed scan or verified event) and drawn as server-rendered SVG: no script,
 * nothing for the Content-Security-Policy to allow.
 *
 * Coverage at a moment is enabled / (enabled + weak + disabled) over the accounts present then,
 * exactly as `mfawatch status` computes it now; the last point of a series equals today's status.
 */
import { coverageDeltas, historyMark, type CoverageDelta } from '../../storage/console.js';
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
 * The history's deltas, kept between page views and brought up to date with only the rows added
 * since (one grouped query). Measured with 1,000,000 history rows (a baseline of a million
 * accounts) on a busy 2-core machine: the first view 2.4 s, a view after a scan with 100 changes
 * 0.13 s, an unchanged view 0.12 s (replaying the history in JavaScript took 18 s). Rows deleted
 * (retention, `forget`) are noticed by the row count and start it over.
 */
export class CoverageHistory {
  #mark = { maxId: 0, rows: 0 };
  readonly #deltas = new Map<string, CoverageDelta>();

  deltas(store: Store): CoverageDelta[] {
    const mark = historyMark(store);
    if (mark.maxId < this.#mark.maxId || mark.rows < this.#mark.rows || mark.maxId === 0) {
      this.#deltas.clear();
      this.#mark = { maxId: 0, rows: 0 };
    }
    if (mark.maxId !== this.#mark.maxId) {
      for (const d of coverageDeltas(store, this.#mark.maxId)) {
        const key = `${d.monitor_id}\u0000${d.mfa}\u0000${d.at}`;
        const held = this.#deltas.get(key);
        if (held) held.n += d.n;
        else this.#deltas.set(key, { ...d });
      }
      this.#mark = mark;
    }
    return [...this.#deltas.values()];
  }
}

/**
 * Coverage at `days` + 1 moments, one day apart, ending at `now`, for every monitor in
 * `monitorIds` and overall, from the history's deltas (storage/console.ts).
 */
export function coverageOverTime(store: Store, now: Date, days: number, monitorIds: readonly string[], history = new CoverageHistory()): CoverageSeries[] {
  const start = new Date(now.getTime() - days * DAY_MS);
  const keys = ['', ...monitorIds];
  // deltas[key][i]: how each count changes at moment i
  const deltas = new Map(keys.map((k) => [k, Array.from({ length: days + 1 }, () => ({ enabled: 0, weak: 0, disabled: 0 }))]));
  for (const d of history.deltas(store)) {
    // A change at time t shows from the first moment at or after t (moment i = start + i days).
    const bucket = Math.max(0, Math.ceil((Date.parse(d.at) - start.getTime()) / DAY_MS));
    if (bucket > days) continue;
    for (const k of ['', d.monitor_id]) {
      const slot = deltas.get(k)?.[bucket];
      if (slot) slot[d.mfa] += d.n;
    }
  }
  return keys.map((k) => {
    const c = { enabled: 0, weak: 0, disabled: 0 };
    const points = (deltas.get(k) ?? []).map((delta, i): CoveragePoint => {
      c.enabled += delta.enabled;
      c.weak += delta.weak;
      c.disabled += delta.disabled;
      const applicable = c.enabled + c.weak + c.disabled;
      return { at: new Date(start.getTime() + i * DAY_MS).toISOString(), ...c, coverage: applicable ? c.enabled / applicable : null };
    });
    return { monitorId: k, points };
  });
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
