/**
 * bench/RESULTS.md in its parts: the scan tables (bench/report.ts), then the sections that other
 * benches write between their own markers (bench/events.ts, bench/provider-events.ts). Each bench
 * rewrites only its own section; a part not run keeps what it held.
 */

/** A marked section of RESULTS.md. */
export interface ResultsSection {
  begin: string;
  end: string;
}

/** The GitHub webhook latency (bench/events.ts). */
export const EVENTS_SECTION: ResultsSection = { begin: '<!-- events-bench:begin -->', end: '<!-- events-bench:end -->' };
/** The pulled sources' latency per provider (bench/provider-events.ts). */
export const PROVIDER_EVENTS_SECTION: ResultsSection = { begin: '<!-- provider-events-bench:begin -->', end: '<!-- provider-events-bench:end -->' };

/** The marked sections, in the order RESULTS.md holds them after the scan tables. */
const SECTIONS = [EVENTS_SECTION, PROVIDER_EVENTS_SECTION] as const;

/** RESULTS.md taken apart: the scan tables and each marked section (markers included, or ''). */
export interface ResultsParts {
  scans: string;
  /** Keyed by the section's begin marker. */
  sections: Map<string, string>;
}

/** Splits RESULTS.md into the scan tables and its marked sections. */
export function splitResults(text: string): ResultsParts {
  let scans = text;
  const sections = new Map<string, string>();
  for (const s of SECTIONS) {
    const start = scans.indexOf(s.begin);
    const end = scans.indexOf(s.end);
    if (start < 0 || end < start) continue;
    sections.set(s.begin, scans.slice(start, end + s.end.length));
    scans = `${scans.slice(0, start)}${scans.slice(end + s.end.length)}`;
  }
  return { scans, sections };
}

/** RESULTS.md from its parts: the scan tables, then each section present, in the fixed order. */
export function joinResults(parts: ResultsParts): string {
  const sections = SECTIONS.map((s) => parts.sections.get(s.begin) ?? '').filter((s) => s !== '');
  return `${parts.scans.trimEnd()}\n${sections.map((s) => `\n${s}\n`).join('')}`;
}

/** `text` with `section` (markers included) in place of the section it holds, or added. */
export function replaceSection(text: string, marker: ResultsSection, section: string): string {
  const parts = splitResults(text);
  parts.sections.set(marker.begin, section);
  return joinResults(parts);
}
