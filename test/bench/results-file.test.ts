/**
 * bench/RESULTS.md is written by three benches, each rewriting only its own part: the scan
 * tables (bench/run.ts), the GitHub webhook section (bench/events.ts) and the per-provider
 * section (bench/provider-events.ts). Replacing one section keeps the other parts as they were.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS_SECTION, PROVIDER_EVENTS_SECTION, joinResults, replaceSection, splitResults } from '../../bench/results-file.js';

const events = (body: string) => `${EVENTS_SECTION.begin}\n${body}\n${EVENTS_SECTION.end}`;
const providers = (body: string) => `${PROVIDER_EVENTS_SECTION.begin}\n${body}\n${PROVIDER_EVENTS_SECTION.end}`;

describe('RESULTS.md sections', () => {
  it('splits the scan tables from both marked sections and joins them back in a fixed order', () => {
    const text = `# Results\n\n| scan |\n\n${providers('per provider')}\n\n${events('webhook')}\n`;
    const parts = splitResults(text);
    expect(parts.scans.trimEnd()).toBe('# Results\n\n| scan |');
    expect(parts.sections.get(EVENTS_SECTION.begin)).toBe(events('webhook'));
    expect(parts.sections.get(PROVIDER_EVENTS_SECTION.begin)).toBe(providers('per provider'));
    expect(joinResults(parts)).toBe(`# Results\n\n| scan |\n\n${events('webhook')}\n\n${providers('per provider')}\n`);
  });

  it('replacing one section leaves the scan tables and the other section alone', () => {
    const text = `# Results\n\n| scan |\n\n${events('webhook, old')}\n`;
    const added = replaceSection(text, PROVIDER_EVENTS_SECTION, providers('per provider'));
    expect(added).toBe(`# Results\n\n| scan |\n\n${events('webhook, old')}\n\n${providers('per provider')}\n`);
    const replaced = replaceSection(added, EVENTS_SECTION, events('webhook, new'));
    expect(replaced).toBe(`# Results\n\n| scan |\n\n${events('webhook, new')}\n\n${providers('per provider')}\n`);
    expect(replaceSection(replaced, EVENTS_SECTION, events('webhook, new'))).toBe(replaced);
  });

  it('a file without sections is all scan tables', () => {
    expect(splitResults('# Results\n').sections.size).toBe(0);
    expect(joinResults(splitResults('# Results\n'))).toBe('# Results\n');
  });
});
