import { defineConfig } from 'vitest/config';

// Dawn must not run inside worker threads (HandleScope crashes): GPU suites use child processes.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // Names the run, so the e2e files share one app build (test/e2e/harness.ts).
    globalSetup: ['test/e2e/global_setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
  },
});
