import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/milvus.ts'],
    // The Milvus SDK logs every RPC at debug level when NODE_ENV is 'test'.
    env: { NODE_ENV: 'production' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Socket and process tests bind ports and spawn servers: keep files in
    // separate forks but not too many at once on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    // CI also writes a JSON report, from which .ci/run prints a plain summary line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.data/test-results.json' }]]
      : ['default'],
  },
});
