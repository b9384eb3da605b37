import { defineConfig } from 'vitest/config';

// One runner, three projects. The JSON report is what .ci/run counts.
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: ['test/unit/packaging/**'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        // The checks of the built app (out/): its global setup builds out/ when it is missing or
        // older than the sources, so they never test a stale build and never skip on a fresh clone.
        test: {
          name: 'packaging',
          include: ['test/unit/packaging/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/unit/packaging/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
