import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Publishes the reliability figures to docs/RELIABILITY.md after a full run.
    globalSetup: ['test/reliability/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Suites start loopback servers and SQLite files of their own; two cores on CI.
    maxWorkers: 2,
  },
});
