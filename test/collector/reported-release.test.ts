// The gateways' reported release, read from a real tier: gateways whose telemetry resource says
// otelcol-contrib 0.140.0, as that release's own build does, expose it on target_info; the scaler reads
// it through the tier's Prometheus and judges the drain as for gateways that drop the traces they hold
// when stopped, though the trigger says they decide them (dropPendingTracesOnShutdown left false).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { GATEWAY_SELECTOR } from './support/gateway-tier.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';

const RATE_WINDOW_SECONDS = 15;
const DECISION_WAIT_SECONDS = 5;
const OLD_RELEASE = { name: 'otelcol-contrib', version: '0.140.0' } as const;
/** Covers the agents' re-resolve (35 s with the default DNS keys), as gateways that decide what they hold need; short of decision_wait + it (40 s), as ones that drop it need. */
const METADATA = { rateWindow: `${RATE_WINDOW_SECONDS}s`, decisionWait: `${DECISION_WAIT_SECONDS}s`, minReplicas: '2', maxReplicas: '10', scaleInDrain: '36s' };

describe('gateways reporting a release before 0.141.0', () => {
  let scenario: TierScenario;

  beforeAll(async () => {
    scenario = await startTierScenario({
      tier: { gateways: 2, gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS, reportsAs: OLD_RELEASE } },
      load: { tracesPerSecond: 50, spansPerTrace: 5, traceDurationMs: 500 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
  }, 240_000);

  afterAll(() => scenario?.stop(), 60_000);

  it('are read as that release, once per gateway, from target_info', async () => {
    const settings = parseTargetMetadata({ gatewaySelector: GATEWAY_SELECTOR, ...METADATA });
    const snapshot = await scenario.scaler.source.read({ namespace: 'observability', name: 'otel-gateway' }, settings);
    expect(snapshot.collectorBuilds).toEqual([{ ...OLD_RELEASE, gateways: 2 }]);
  });

  it('make the decision count decision_wait in the drain and name the release, though the trigger says they decide', async () => {
    expect(await scenario.scaler.poll()).toBe(2);
    const decision = scenario.scaler.latest();
    const settings = parseTargetMetadata({ gatewaySelector: GATEWAY_SELECTOR, ...METADATA });
    expect(settings.dropPendingTracesOnShutdown).toBe(false);
    expect(decision.drain).toMatchObject({
      dropsPendingTraces: true,
      droppingBuild: 'otelcol-contrib 0.140.0 (2 gateways)',
      tooShort: true,
      preStopSeconds: preStopSecondsFor({ ...settings, dropPendingTracesOnShutdown: true }),
    });
    expect(decision.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort', effect: 'note' }));
    expect(decision.reasons.join(' ')).toContain('otelcol-contrib 0.140.0 (2 gateways) drops the traces it holds when stopped');
  });
});
