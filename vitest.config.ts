import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real Prometheus and Chromium processes; two cores cannot run many at once.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/collector/**'] } },
      {
        extends: true,
        // A real collector tier per file (agents, gateways, sink, Prometheus): one file at a time, so
        // two tiers never compete for the same two cores and rates stay comparable.
        test: { name: 'collector', include: ['test/collector/**/*.test.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 },
      },
    ],
  },
});
