// How the scaler's Node.js process runs in production (the Dockerfile's ENV); kept here so the gRPC
// benchmark measures the same process.

/**
 * The memory settings the Dockerfile runs the scaler with (a test keeps the two in step): a 1 MiB
 * young-generation semi-space, one V8 helper thread and two glibc malloc arenas keep RSS near the heap
 * actually used on a 2-core pod. The old generation is capped at 160 MiB, so V8 collects instead of
 * growing the heap with garbage: without it 1,000 targets polled once settled at 380 MiB RSS, past the
 * Deployment's 256 Mi limit (npm run bench:memory, docs/running.md). The bench servers run with
 * these settings so their RSS is production's.
 */
export const PRODUCTION_NODE_OPTIONS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--max-old-space-size=160'] as const;
export const PRODUCTION_MALLOC_ARENA_MAX = '2';
