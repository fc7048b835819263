import { describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { settingsAsMetadata } from '../../src/dashboard/settings-as-metadata.ts';

describe('settingsAsMetadata', () => {
  const cases: { name: string; input: Record<string, string> }[] = [
    { name: 'built-in defaults', input: { gatewaySelector: 'job="otel-gateway"' } },
    {
      name: 'every key set to a non-default value',
      input: {
        gatewaySelector: 'job="gw",namespace=~"obs,obs-2"',
        agentSelector: 'job="agent"',
        prometheus: 'eu-1',
        rateWindow: '90s',
        mode: 'dry-run',
        minReplicas: '3',
        maxReplicas: '40',
        targetQueueFill: '0.35',
        capacitySpansPerReplica: '12500.5',
        targetUtilization: '0.65',
        backendFailureRatio: '0.02',
        decisionWait: '45s',
        numTraces: '100000',
        scaleInStep: '2',
        scaleInWindow: '10m',
        scaleInDrain: '0s',
        dropPendingTracesOnShutdown: 'true',
        dnsResolverInterval: '30s',
        dnsTtl: '0s',
        activationSpansPerSecond: '1e-3',
        decisionLatencyBudget: '250ms',
        podStartup: '1m',
        pollingInterval: '15s',
        staleAfter: '3m',
        forecastHistory: '21d',
        forecastQuantile: '0.95',
      },
    },
  ];
  for (const row of cases) {
    it(`reads back to the same settings: ${row.name}`, () => {
      const settings = parseTargetMetadata(row.input);
      expect(parseTargetMetadata(settingsAsMetadata(settings))).toEqual(settings);
    });
  }

  it('leaves a derived scaleInWindow unset, so a decisionWait override moves it as in a ScaledObject', () => {
    const settings = parseTargetMetadata({ gatewaySelector: 'job="gw"' });
    const overridden = parseTargetMetadata({ ...settingsAsMetadata(settings), decisionWait: '2m' });
    expect(overridden.scaleInWindowSeconds).toBe(180);
  });

  it('keeps an explicit scaleInWindow when decisionWait is overridden', () => {
    const settings = parseTargetMetadata({ gatewaySelector: 'job="gw"', scaleInWindow: '10m' });
    expect(parseTargetMetadata({ ...settingsAsMetadata(settings), decisionWait: '2m' }).scaleInWindowSeconds).toBe(600);
  });
});
