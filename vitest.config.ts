import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Micro-benchmarks sit beside the tests of what they measure: `npm run bench:micro`.
    benchmark: { include: ['test/**/*.bench.ts'] },
    globalSetup: ['test/setup/milvus.ts'],
    // The Milvus SDK logs every RPC at debug level when NODE_ENV is 'test'.
    env: { NODE_ENV: 'production' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Socket and process tests bind ports and spawn servers: keep files in
    // separate forks but not too many at once on a 2-core machine. The stack's
    // end-to-end tests time a whole nginx + PM2 stack under load: `npm test`
    // runs them after the rest, one at a time (beside the other files, a
    // quarter of the capacity measured at their start was more than the
    // machine had left, and they measured the neighbours).
    pool: 'forks',
    maxWorkers: 2,
    // CI also writes a JSON report, from which .ci/run prints a plain summary line.
    reporters: process.env.CI
      ? [
          'default',
          ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? '.data/test-results.json' }],
        ]
      : ['default'],
  },
});
