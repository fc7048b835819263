import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_SCALED_OBJECT_URL, loadExampleScaledObject, parseScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_HPA_BEHAVIOR } from '../../src/sim/hpa.ts';
import { simulatedTargetMetadata, simulatedTargetSettings } from '../../src/sim/simulated-target.ts';

const manifest = (spec: string) => `apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: x }\nspec:\n${spec}`;
const trigger = '  triggers:\n    - type: external\n      metadata: { scalerAddress: "s:6000", gatewaySelector: \'job="g"\' }\n';

describe('the example ScaledObject the benchmark and the demo run the scaler with', () => {
  it('is read from deploy/ as it ships: behavior, pollingInterval and trigger metadata', () => {
    const shipped = parseYaml(readFileSync(EXAMPLE_SCALED_OBJECT_URL, 'utf8'));
    const spec = loadExampleScaledObject();
    expect(spec.pollingIntervalSeconds).toBe(shipped.spec.pollingInterval);
    expect(spec.behavior).toEqual(shipped.spec.advanced.horizontalPodAutoscalerConfig.behavior);
    expect(spec.triggerMetadata.gatewaySelector).toBe(shipped.spec.triggers[0].metadata.gatewaySelector);
  });

  it('gives decide() the example’s trigger metadata as it ships, and overrides only the keys asked for', () => {
    const spec = loadExampleScaledObject();
    expect(simulatedTargetMetadata(spec)).toEqual(spec.triggerMetadata);
    const settings = simulatedTargetSettings(spec);
    expect(settings.capacitySpansPerReplica).toBe(Number(spec.triggerMetadata.capacitySpansPerReplica));
    expect(settings.scaleInStep).toBe(Number(spec.triggerMetadata.scaleInStep ?? 1));
    const overridden = simulatedTargetSettings(spec, { capacitySpansPerReplica: '15000' });
    expect(overridden.capacitySpansPerReplica).toBe(15_000);
    expect(overridden.decisionWaitSeconds).toBe(settings.decisionWaitSeconds);
  });

  it('fills Kubernetes defaults for what a behavior leaves out', () => {
    const spec = parseScaledObject(manifest(`  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown: { stabilizationWindowSeconds: 60 }\n${trigger}`), 'x.yaml');
    expect(spec.behavior.scaleUp).toEqual(DEFAULT_HPA_BEHAVIOR.scaleUp);
    expect(spec.behavior.scaleDown).toEqual({ ...DEFAULT_HPA_BEHAVIOR.scaleDown, stabilizationWindowSeconds: 60 });
    expect(spec.pollingIntervalSeconds).toBe(30);
  });

  const rejections: { name: string; input: string; want: RegExp }[] = [
    { name: 'no external trigger', input: manifest('  triggers:\n    - type: cpu\n      metadata: {}\n'), want: /exactly one trigger of type external, found 0/ },
    { name: 'policy of an unknown type', input: manifest(`  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleUp: { policies: [{ type: Replicas, value: 1, periodSeconds: 15 }] }\n${trigger}`), want: /scaleUp\.policies\[0\]\.type must be Pods or Percent/ },
    { name: 'negative pollingInterval', input: manifest(`  pollingInterval: -5\n${trigger}`), want: /spec\.pollingInterval must be an integer ≥ 0/ },
  ];
  for (const row of rejections) {
    it(`rejects: ${row.name}`, () => {
      expect(() => parseScaledObject(row.input, 'x.yaml')).toThrow(row.want);
    });
  }
});
