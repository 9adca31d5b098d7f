import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Suites start loopback servers and SQLite files of their own; two cores on CI.
    maxWorkers: 2,
  },
});
