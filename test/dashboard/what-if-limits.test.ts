import { afterEach, describe, expect, it } from 'vitest';
import { NOW_MS, postJson, STEP_SECONDS, startTestDashboard, type TestDashboard, type TestTarget } from './dashboard-fixture.ts';

const TARGET: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway-eu' },
  origin: 'keda',
  metadata: { gatewaySelector: 'job="gateway-eu"' },
  script: () => ({ acceptedSpansPerSecond: 1000, replicas: 2 }),
};
const PATH = '/api/targets/observability/gateway-eu/whatif';
const BODY = { from: new Date(NOW_MS - 10 * STEP_SECONDS * 1000).toISOString(), to: String(NOW_MS), step: '1m' };

/** Holds every range read (so replays stay in flight) until the returned function is called. */
function holdRangeReads(dashboard: TestDashboard): () => void {
  let release: () => void = () => {};
  dashboard.tiers.rangeReadsHeldUntil = new Promise<void>((resolve) => {
    release = () => {
      dashboard.tiers.rangeReadsHeldUntil = undefined;
      resolve();
    };
  });
  return release;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let wait = 0; wait < 300 && !condition(); wait++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting until ${what}`);
}

describe('what-if limits', () => {
  let dashboard: TestDashboard | undefined;
  afterEach(async () => {
    await dashboard?.stop();
    dashboard = undefined;
  });

  it('runs at most maxConcurrent replays at once; the rest get 429 with Retry-After, and a slot frees when one ends', async () => {
    dashboard = await startTestDashboard({ targets: [TARGET], decidedSteps: 3, whatIfLimits: { maxConcurrent: 2, timeoutMs: 20_000 } });
    const release = holdRangeReads(dashboard);
    const running = [postJson(dashboard.url, PATH, BODY), postJson(dashboard.url, PATH, BODY)];
    await until(() => dashboard!.tiers.rangeReads.length === 2, 'two replays are reading history');
    const refused = await Promise.all([postJson(dashboard.url, PATH, BODY), postJson(dashboard.url, PATH, BODY), postJson(dashboard.url, PATH, BODY)]);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.json).toMatchObject({ error: { code: 'WHAT_IF_BUSY', message: expect.stringMatching(/2 what-if replays are running.*http\.whatIf\.maxConcurrent/) } });
      // The running replays must be done within their 20 s deadline: that is when to come back.
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(20);
    }
    // The refused ones never read history.
    expect(dashboard.tiers.rangeReads).toHaveLength(2);
    release();
    expect((await Promise.all(running)).map((answer) => answer.status)).toEqual([200, 200]);
    expect((await postJson(dashboard.url, PATH, BODY)).status).toBe(200);
  });

  it('ends a replay that runs past its wall-time limit with 503 WHAT_IF_TIMEOUT and frees its slot', async () => {
    dashboard = await startTestDashboard({ targets: [TARGET], decidedSteps: 3, whatIfLimits: { maxConcurrent: 1, timeoutMs: 300 } });
    const release = holdRangeReads(dashboard);
    const answer = await postJson(dashboard.url, PATH, BODY);
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ error: { code: 'WHAT_IF_TIMEOUT', message: expect.stringMatching(/longer than 0\.3 s \(http\.whatIf\.timeout\)/) } });
    release();
    expect((await postJson(dashboard.url, PATH, BODY)).status).toBe(200);
  });

  it('answers a replay in flight at shutdown with 503 and Retry-After, not a cut connection', async () => {
    dashboard = await startTestDashboard({ targets: [TARGET], decidedSteps: 3, whatIfLimits: { maxConcurrent: 2, timeoutMs: 20_000 } });
    const release = holdRangeReads(dashboard);
    const inFlight = postJson(dashboard.url, PATH, BODY);
    await until(() => dashboard!.tiers.rangeReads.length === 1, 'the replay is reading history');
    const stopping = dashboard.stop();
    const answer = await inFlight;
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
    expect(answer.headers.get('retry-after')).toBe('5');
    release();
    await stopping;
    dashboard = undefined;
  });
});
