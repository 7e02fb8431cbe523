import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A learner's .env and shell settings do not reach the tests (see the file).
    setupFiles: ['test/setup/learner-independent.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each suite starts its own local cloud on a free port, so files can run in parallel.
    pool: 'forks',
    // Most of a test file's time is spent waiting on its cloud, its Lambda workers and the scripts
    // it runs, not on the CPU: Vitest's default (one file per core but one) left a 2-core machine
    // half idle, and three files at once halved the suite's wall time there.
    maxWorkers: Math.max(availableParallelism(), 3),
    minWorkers: 1,
    reporters: ['default'],
    // The SDK's Node-version notice would repeat in every file; step 0 reports an old Node once.
    // Tests read the scripts' output as text: no colours, even where CI=true would turn them on.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
  },
});
