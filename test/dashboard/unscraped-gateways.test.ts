// Gateways expected but not reporting, as the dashboard shows them: the target holds at the gateways
// expected, its summary names the unscraped targets, the missing-data guard is active, and the
// reporting signal is drawn against the expected count. The load fits 2 gateways, so without the
// hold the scaler would step in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestDashboard, type TestDashboard, type TestTarget } from './dashboard-fixture.ts';

const UNSCRAPED = ['10.0.0.3:8888', '10.0.0.4:8888', '10.0.0.5:8888', '10.0.0.6:8888'];
const PARTIAL: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway-partial' },
  origin: 'keda',
  metadata: { gatewaySelector: 'job="gw-partial"', capacitySpansPerReplica: '20000', minReplicas: '2', maxReplicas: '40', scaleInWindow: '1m' },
  script: () => ({ acceptedSpansPerSecond: 3000, replicas: 6, reporting: 2, unscraped: UNSCRAPED }),
};
const WHOLE: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway-whole' },
  origin: 'keda',
  metadata: PARTIAL.metadata,
  script: () => ({ acceptedSpansPerSecond: 3000, replicas: 6 }),
};

let dashboard: TestDashboard;
beforeAll(async () => {
  dashboard = await startTestDashboard({ targets: [PARTIAL, WHOLE] });
});
afterAll(async () => {
  await dashboard?.stop();
});

describe('gateways expected but not reporting, on the dashboard', () => {
  it('the overview shows the hold at the expected count, the unscraped targets and the missing-data guard', async () => {
    const { targets } = (await call(dashboard.url, '/api/targets')).json as { targets: { name: string; answeredReplicas: number; currentReplicas: number; status: string; summary: string; activeGuards: { name: string }[] }[] };
    const partial = targets.find((target) => target.name === 'gateway-partial')!;
    const whole = targets.find((target) => target.name === 'gateway-whole')!;
    expect(whole.answeredReplicas, 'control: with every gateway scraped the scaler steps in').toBeLessThan(6);
    expect(partial).toMatchObject({ currentReplicas: 6, answeredReplicas: 6, status: 'warning' });
    expect(partial.summary).toBe(`Holding at 6: 4 of 6 gateways unscraped (${UNSCRAPED.join(', ')}): holding at 6, never below the gateways expected.`);
    expect(partial.activeGuards.map((guard) => guard.name)).toContain('missingData');
  });

  it('the target page draws the reporting gateways against the expected count', async () => {
    const detail = (await call(dashboard.url, '/api/targets/observability/gateway-partial')).json as {
      signals: { name: string; reading: { kind: string; value?: number }; thresholds: { value: number; meaning: string }[] }[];
      decision: { snapshot: { unscrapedGateways?: string[] } };
    };
    const reporting = detail.signals.find((signal) => signal.name === 'reportingReplicas')!;
    expect(reporting.reading).toEqual({ kind: 'ok', value: 2 });
    expect(reporting.thresholds).toEqual([expect.objectContaining({ value: 6, meaning: expect.stringMatching(/^gateways expected/) })]);
    expect(detail.decision.snapshot.unscrapedGateways).toEqual(UNSCRAPED);
  });
});
