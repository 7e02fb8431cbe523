import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each suite starts its own local cloud on a free port, so files can run in parallel.
    pool: 'forks',
    reporters: ['default'],
  },
});
