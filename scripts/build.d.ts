/** Types of scripts/build.js (plain JavaScript: it runs at `npm ci`, before any TypeScript tooling). */
/**
 * Bundles src/cli/main.ts into `outdir` (default dist/) and records its inputs; false, after
 * saying why on stderr, when esbuild is not available.
 */
export function build(root?: string, outdir?: string): boolean;
