/**
 * Each monitor's README tells the operator when an account missing from a scan is reported
 * removed (src/scan/run-scan.ts, storage/pending-removals.ts): at once only where the monitor
 * vouches for its listing with the provider's count (`listingCounted`: GitHub's
 * membersWithRole.totalCount, AWS's GetAccountSummary), otherwise only when a second complete
 * scan misses it too. Checked against each monitor's code, so the words follow the code.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MONITORS_DIR = 'monitors';
const folders = readdirSync(MONITORS_DIR).filter((f) => statSync(join(MONITORS_DIR, f)).isDirectory()).sort();

/** The monitor's own code, every .ts file of its folder. */
function codeOf(folder: string): string {
  return readdirSync(join(MONITORS_DIR, folder))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(MONITORS_DIR, folder, f), 'utf8'))
    .join('\n');
}

/** README text with its line breaks folded, so a sentence may wrap anywhere. */
const readmeOf = (folder: string) => readFileSync(join(MONITORS_DIR, folder, 'README.md'), 'utf8').replace(/\s+/g, ' ');

const WAITS = /Removals wait for a second scan|only when the next (?:complete )?(?:scan|run) misses|waits until the next scan misses/;
const AT_ONCE = /removed at once/;

describe('monitor READMEs say when a removal is reported', () => {
  it.each(folders)('%s', (folder) => {
    const vouches = /\blistingCounted\?\.\(/.test(codeOf(folder));
    const readme = readmeOf(folder);
    // Every monitor has a case where a removal waits: no count (most), or a count that is missing or disagrees.
    expect(WAITS.test(readme), `monitors/${folder}/README.md should say that a removal waits for the next scan`).toBe(true);
    // Immediate removals are promised exactly where the code vouches for the listing.
    expect(AT_ONCE.test(readme), `monitors/${folder}/README.md: "removed at once" ${vouches ? 'missing, though the code vouches with a count' : 'promised, though the code does not vouch for its listing'}`).toBe(vouches);
  });
});
