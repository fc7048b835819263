// Partial scrape: one gateway's metrics endpoint becomes unreachable while the gateway keeps running
// and taking its share of the traffic. The load alone would let the tier shrink (and does, while every
// gateway is scraped); with one gateway unscraped the scaler must not answer fewer replicas than run.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForQuery, } from '../support/prometheus.ts';
import { GATEWAY_SELECTOR, type GatewayTier } from './support/gateway-tier.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';
import type { TierScaler } from './support/tier-scaler.ts';

const GATEWAYS = 3;
const RATE_WINDOW_SECONDS = 15;
/** Light load and a short scale-in window: with every gateway scraped the scaler shrinks the tier within seconds. */
const METADATA = { rateWindow: `${RATE_WINDOW_SECONDS}s`, decisionWait: '2s', scaleInWindow: '3s', minReplicas: '1', maxReplicas: '10' };

describe('one gateway unscraped while it runs', () => {
  let scenario: TierScenario;
  let tier: GatewayTier;
  let scaler: TierScaler;

  beforeAll(async () => {
    scenario = await startTierScenario({
      tier: { gateways: GATEWAYS, gatewaySettings: { decisionWaitSeconds: 2 } },
      load: { tracesPerSecond: 60, spansPerTrace: 10, traceDurationMs: 1000 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
    ({ tier, scaler } = scenario);
  }, 240_000);

  afterAll(() => scenario?.stop(), 60_000);

  it('shrinks the fully scraped tier, but never answers fewer than the running gateways while one is unscraped', async () => {
    // Control: with every gateway scraped, this load lets the tier shrink.
    let scrapedAnswer = GATEWAYS;
    for (let attempt = 0; attempt < 10 && scrapedAnswer >= GATEWAYS; attempt++) {
      scrapedAnswer = await scaler.poll();
      await sleep(1000);
    }
    expect(scrapedAnswer).toBeLessThan(GATEWAYS);

    const [cut] = tier.gateways();
    tier.cutMetrics(cut!.id, true);
    await waitForQuery(tier.prometheus.url, `count(up{${GATEWAY_SELECTOR}} == 0)`, (samples) => samples[0]?.value === 1, 30_000);
    const spansFromCutBefore = tier.sink.acceptedSpansByGateway().get(cut!.id) ?? 0;
    const answers: number[] = [];
    for (let poll = 0; poll < 10; poll++) {
      answers.push(await scaler.poll());
      await sleep(1500);
    }
    expect(answers.filter((replicas) => replicas < GATEWAYS)).toEqual([]);
    const decision = scaler.latest();
    expect(decision.current).toBe(GATEWAYS);
    expect(decision.guards.map((guard) => guard.name)).toContain('missingData');
    expect(decision.reasons.join(' ')).toContain(cut!.scrapeTarget);
    // The unscraped gateway kept working all along.
    expect((tier.sink.acceptedSpansByGateway().get(cut!.id) ?? 0) - spansFromCutBefore).toBeGreaterThan(0);
  });
});
