/** Types of scripts/compiled.js (plain JavaScript: bin/mfawatch.js loads it before any TypeScript loader). */
/** The bundle's file name inside the build directory. */
export const BUNDLE: string;
/** The build's record of its inputs, inside the build directory. */
export const INPUTS: string;
/** The CLI's TypeScript entry, relative to the package root; absent from the published package. */
export const SOURCE_ENTRY: string;
/**
 * The file URL of the bundle in `outdir` when it is up to date with the sources under `root`;
 * undefined when it is missing or stale, or when MFAWATCH_FROM_SOURCE=1 asks for the sources.
 * In the published package, which has no sources, the bundle whenever it exists.
 */
export function compiledEntry(root: string, outdir?: string, env?: Record<string, string | undefined>): string | undefined;
