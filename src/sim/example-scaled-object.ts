// The benchmark runs this project's scaler the way the README's example ScaledObject deploys it: the
// same trigger metadata, pollingInterval, min/max and HPA behavior, read from
// deploy/examples/gateway/scaled-object.yaml, so a change there changes what the benchmark measures.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { HpaBehavior, ScalingPolicy, ScalingRules } from './hpa.ts';
import { DEFAULT_HPA_BEHAVIOR } from './hpa.ts';

export const EXAMPLE_SCALED_OBJECT_URL = new URL('../../deploy/examples/gateway/scaled-object.yaml', import.meta.url);

/** What the benchmark takes from a ScaledObject with one `external` trigger. */
export interface ScaledObjectSpec {
  readonly source: string;
  readonly pollingIntervalSeconds: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  /** HPA behavior with Kubernetes defaults filled in for what the object leaves out. */
  readonly behavior: HpaBehavior;
  readonly triggerMetadata: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

function fail(source: string, path: string, message: string): never {
  throw new Error(`${source}: ${path} ${message}`);
}

function object(value: unknown, source: string, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(source, path, 'must be a mapping');
  return value as Json;
}

function integer(value: unknown, fallback: number, source: string, path: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0) fail(source, path, `must be an integer ≥ 0, got ${JSON.stringify(value)}`);
  return value as number;
}

function rules(raw: unknown, defaults: ScalingRules, source: string, path: string): ScalingRules {
  if (raw === undefined) return defaults;
  const spec = object(raw, source, path);
  const selectPolicy = spec.selectPolicy ?? 'Max';
  if (selectPolicy !== 'Max' && selectPolicy !== 'Min' && selectPolicy !== 'Disabled') fail(source, `${path}.selectPolicy`, 'must be Max, Min or Disabled');
  let policies: readonly ScalingPolicy[] = defaults.policies;
  if (spec.policies !== undefined) {
    if (!Array.isArray(spec.policies) || spec.policies.length === 0) fail(source, `${path}.policies`, 'must be a non-empty list');
    policies = spec.policies.map((entry, index) => {
      const policy = object(entry, source, `${path}.policies[${index}]`);
      if (policy.type !== 'Pods' && policy.type !== 'Percent') fail(source, `${path}.policies[${index}].type`, 'must be Pods or Percent');
      const value = integer(policy.value, Number.NaN, source, `${path}.policies[${index}].value`);
      const periodSeconds = integer(policy.periodSeconds, Number.NaN, source, `${path}.policies[${index}].periodSeconds`);
      if (!(value > 0) || !(periodSeconds > 0)) fail(source, `${path}.policies[${index}]`, 'needs value and periodSeconds > 0');
      return { type: policy.type, value, periodSeconds };
    });
  }
  return {
    stabilizationWindowSeconds: integer(spec.stabilizationWindowSeconds, defaults.stabilizationWindowSeconds, source, `${path}.stabilizationWindowSeconds`),
    selectPolicy,
    policies,
  };
}

/** Parses a ScaledObject manifest (YAML text); `source` names it in errors. */
export function parseScaledObject(text: string, source: string): ScaledObjectSpec {
  const root = object(parseYaml(text), source, '(root)');
  const spec = object(root.spec, source, 'spec');
  const advanced = spec.advanced === undefined ? {} : object(spec.advanced, source, 'spec.advanced');
  const hpaConfig = advanced.horizontalPodAutoscalerConfig === undefined ? {} : object(advanced.horizontalPodAutoscalerConfig, source, 'spec.advanced.horizontalPodAutoscalerConfig');
  const behavior = hpaConfig.behavior === undefined ? {} : object(hpaConfig.behavior, source, 'spec.advanced.horizontalPodAutoscalerConfig.behavior');
  const triggers = spec.triggers;
  if (!Array.isArray(triggers)) fail(source, 'spec.triggers', 'must be a list');
  const external = triggers.map((trigger, index) => object(trigger, source, `spec.triggers[${index}]`)).filter((trigger) => trigger.type === 'external');
  if (external.length !== 1) fail(source, 'spec.triggers', `must hold exactly one trigger of type external, found ${external.length}`);
  const metadata = object(external[0]!.metadata, source, 'spec.triggers[external].metadata');
  const behaviorPath = 'spec.advanced.horizontalPodAutoscalerConfig.behavior';
  return {
    source,
    pollingIntervalSeconds: integer(spec.pollingInterval, 30, source, 'spec.pollingInterval'),
    minReplicaCount: integer(spec.minReplicaCount, 0, source, 'spec.minReplicaCount'),
    maxReplicaCount: integer(spec.maxReplicaCount, 100, source, 'spec.maxReplicaCount'),
    behavior: {
      scaleUp: rules(behavior.scaleUp, DEFAULT_HPA_BEHAVIOR.scaleUp, source, `${behaviorPath}.scaleUp`),
      scaleDown: rules(behavior.scaleDown, DEFAULT_HPA_BEHAVIOR.scaleDown, source, `${behaviorPath}.scaleDown`),
    },
    triggerMetadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)])),
  };
}

/** The README's example ScaledObject, as deploy/ ships it. */
export function loadExampleScaledObject(): ScaledObjectSpec {
  return parseScaledObject(readFileSync(EXAMPLE_SCALED_OBJECT_URL, 'utf8'), 'deploy/examples/gateway/scaled-object.yaml');
}
