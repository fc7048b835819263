import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real Prometheus and Chromium processes; two cores cannot run many at once.
    maxWorkers: 2,
  },
});
