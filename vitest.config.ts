import { defineConfig } from 'vitest/config';

// Dawn must not run inside worker threads (HandleScope crashes): GPU suites use child processes.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
  },
});
