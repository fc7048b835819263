import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { parseDurationSeconds } from '../../src/config/duration.ts';
import { checkDrain, preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { nextStepTarget } from '../../src/policy/scale-in.ts';

const DEPLOY = resolve(dirname(fileURLToPath(import.meta.url)), '../../deploy');
const BASE = join(DEPLOY, 'base');
const EXAMPLE = join(DEPLOY, 'examples/gateway');

// Manifests are read as plain YAML trees; these helpers walk them without a schema.
type Tree = Record<string, unknown>;
const at = (tree: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node === undefined || node === null ? undefined : (node as Tree)[/^\d+$/.test(key) ? Number(key) : key] as unknown), tree);
const yamlFile = (path: string): Tree => parseYaml(readFileSync(path, 'utf8')) as Tree;

interface Kustomization {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: { name: string; files: string[] }[];
}

/** Every resource a kustomization builds, following directory resources. */
function manifestsOf(dir: string): Tree[] {
  const kustomization = yamlFile(join(dir, 'kustomization.yaml')) as Kustomization;
  return (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    if (existsSync(join(path, 'kustomization.yaml'))) return manifestsOf(path);
    return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => document.toJS() as Tree);
  });
}

function find(manifests: Tree[], kind: string, name: string): Tree {
  const found = manifests.find((manifest) => manifest.kind === kind && at(manifest, 'metadata.name') === name);
  if (!found) throw new Error(`no ${kind} ${name} in the kustomization`);
  return found;
}

const manifests = manifestsOf(EXAMPLE);
const scaledObject = find(manifests, 'ScaledObject', 'otel-gateway');
const trigger = at(scaledObject, 'spec.triggers.0') as { type: string; metadata: Record<string, string> };
const scalerConfig = parseServerConfig(yamlFile(join(BASE, 'scaler-config.yaml')), 'deploy/base/scaler-config.yaml');
const gatewayCollector = yamlFile(join(EXAMPLE, 'gateway-collector.yaml'));
const agentCollector = yamlFile(join(EXAMPLE, 'agent-collector.yaml'));
const settings = parseTargetMetadata(trigger.metadata, scalerConfig.targetDefaults);
const namespace = (yamlFile(join(EXAMPLE, 'kustomization.yaml')) as Kustomization).namespace;

describe('deploy/ kustomizations', () => {
  for (const dir of [BASE, EXAMPLE]) {
    it(`${dir.slice(DEPLOY.length + 1)}: every resource and generated file exists and every manifest names itself`, () => {
      const kustomization = yamlFile(join(dir, 'kustomization.yaml')) as Kustomization;
      for (const resource of kustomization.resources ?? []) expect(existsSync(join(dir, resource)), resource).toBe(true);
      for (const generator of kustomization.configMapGenerator ?? []) {
        for (const file of generator.files) expect(existsSync(join(dir, file.split('=').at(-1)!)), file).toBe(true);
      }
      for (const manifest of manifestsOf(dir)) {
        expect(manifest.apiVersion, JSON.stringify(manifest.metadata)).toEqual(expect.any(String));
        expect(at(manifest, 'metadata.name'), String(manifest.kind)).toEqual(expect.any(String));
      }
    });
  }

  it('the scaler config in the base is valid and defines the Prometheus the ScaledObject names', () => {
    expect(Object.keys(scalerConfig.prometheus)).toContain(settings.prometheus);
  });
});

describe('the scaler Deployment and Service', () => {
  const deployment = find(manifests, 'Deployment', 'otel-gateway-scaler');
  const container = at(deployment, 'spec.template.spec.containers.0') as Tree;
  const service = find(manifests, 'Service', 'otel-gateway-scaler');

  it('runs two replicas with probes on the HTTP port', () => {
    expect(at(deployment, 'spec.replicas')).toBe(2);
    const httpPort = (container.ports as { name: string; containerPort: number }[]).find((port) => port.name === 'http');
    expect(httpPort?.containerPort).toBe(scalerConfig.http.port);
    expect([at(container, 'livenessProbe.httpGet'), at(container, 'readinessProbe.httpGet')]).toEqual([
      { path: '/healthz', port: 'http' },
      { path: '/readyz', port: 'http' },
    ]);
  });

  it('mounts the generated config where --config points', () => {
    const args = container.args as string[];
    const configPath = args[args.indexOf('--config') + 1]!;
    const mount = (container.volumeMounts as { name: string; mountPath: string }[]).find((candidate) => configPath.startsWith(`${candidate.mountPath}/`));
    const volume = (at(deployment, 'spec.template.spec.volumes') as { name: string; configMap?: { name: string } }[]).find((candidate) => candidate.name === mount?.name);
    const generated = (yamlFile(join(BASE, 'kustomization.yaml')) as Kustomization).configMapGenerator?.[0];
    expect(volume?.configMap?.name).toBe(generated?.name);
    expect(generated?.files).toContain(`${configPath.slice(mount!.mountPath.length + 1)}=scaler-config.yaml`);
  });

  it('exits inside the pod grace period and runs as non-root', () => {
    expect(at(deployment, 'spec.template.spec.terminationGracePeriodSeconds')).toBeGreaterThan(10);
    expect(at(deployment, 'spec.template.spec.securityContext.runAsNonRoot')).toBe(true);
  });

  it('is headless so KEDA round-robins over every scaler pod', () => {
    expect(at(service, 'spec.clusterIP')).toBe('None');
  });

  it('the trigger scalerAddress is that Service and its gRPC port, which the config listens on', () => {
    const grpcPort = (at(service, 'spec.ports') as { name: string; port: number }[]).find((port) => port.name === 'grpc')?.port;
    expect(trigger.metadata.scalerAddress).toBe(`otel-gateway-scaler.${namespace}.svc.cluster.local:${grpcPort}`);
    expect(grpcPort).toBe(scalerConfig.grpc.port);
  });
});

describe('the example ScaledObject', () => {
  it('validates against the KEDA CRD schema', () => {
    expect(() => new ScaledObject(scaledObject as ConstructorParameters<typeof ScaledObject>[0]).validate()).not.toThrow();
  });

  it('has minReplicaCount ≤ maxReplicaCount (a CEL rule the schema does not carry)', () => {
    expect(at(scaledObject, 'spec.minReplicaCount') as number).toBeLessThanOrEqual(at(scaledObject, 'spec.maxReplicaCount') as number);
  });

  it('is an external trigger whose metadata the scaler accepts', () => {
    expect(trigger.type).toBe('external');
    expect(settings.gatewaySelector).toBe('job="otel-gateway",namespace="observability"');
  });

  it('tells the scaler the same bounds and polling interval that KEDA uses', () => {
    expect([settings.minReplicas, settings.maxReplicas, settings.pollingIntervalSeconds]).toEqual([
      at(scaledObject, 'spec.minReplicaCount'),
      at(scaledObject, 'spec.maxReplicaCount'),
      at(scaledObject, 'spec.pollingInterval'),
    ]);
  });

  it('scales the gateway Deployment', () => {
    expect(at(scaledObject, 'spec.scaleTargetRef.name')).toBe(at(find(manifests, 'Deployment', 'otel-gateway'), 'metadata.name'));
  });

  it('HPA scale-down lets each step the scaler plans through in one scaleInWindow, and no wider one', () => {
    const scaleDown = at(scaledObject, 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown') as {
      selectPolicy: string;
      policies: { type: string; value: number; periodSeconds: number }[];
    };
    expect(scaleDown.selectPolicy).toBe('Max');
    expect(scaleDown.policies.every((policy) => policy.periodSeconds >= settings.scaleInWindowSeconds)).toBe(true);
    // The HPA's scale-down limit per period (selectPolicy Max: the policy allowing the most), as the controller computes it.
    const lowestAllowed = (replicas: number): number =>
      Math.min(...scaleDown.policies.map((policy) => (policy.type === 'Pods' ? replicas - policy.value : Math.trunc(replicas * (1 - policy.value / 100)))));
    let widestShare = 0;
    for (let replicas = settings.minReplicas + 1; replicas <= settings.maxReplicas; replicas++) {
      const planned = nextStepTarget(replicas, settings.minReplicas, settings.scaleInStep).to;
      // The Percent policy is for the steps the tolerance widens beyond scaleInStep (the Pods policy passes the rest).
      if (replicas - planned > settings.scaleInStep) widestShare = Math.max(widestShare, (replicas - planned) / replicas);
      // One step, one ring change: a step cut into single pods changes the ring once per pod.
      expect(lowestAllowed(replicas), `from ${replicas}`).toBeLessThanOrEqual(planned);
    }
    const percent = scaleDown.policies.find((policy) => policy.type === 'Percent');
    expect(percent?.value).toBe(Math.round(widestShare * 100));
  });

  it('falls back to at least the current replicas when the scaler fails (never scales in on missing data)', () => {
    expect(at(scaledObject, 'spec.fallback.behavior')).toBe('currentReplicasIfHigher');
    expect(at(scaledObject, 'spec.fallback.replicas') as number).toBeGreaterThanOrEqual(settings.minReplicas);
  });
});

describe('the gateway tier', () => {
  const tailSampling = at(gatewayCollector, 'processors.tail_sampling') as { decision_wait: string; num_traces: number; drop_pending_traces_on_shutdown?: boolean };
  const gatewayService = find(manifests, 'Service', 'otel-gateway');

  it('tail sampling holds traces as long and as many as the trigger metadata says', () => {
    expect(parseDurationSeconds(tailSampling.decision_wait)).toBe(settings.decisionWaitSeconds);
    expect(tailSampling.num_traces).toBe(settings.numTraces);
    expect(at(gatewayCollector, 'service.pipelines.traces.processors')).toContain('tail_sampling');
  });

  it('has a headless Service and a PDB that takes one gateway at a time', () => {
    expect(at(gatewayService, 'spec.clusterIP')).toBe('None');
    expect(at(find(manifests, 'PodDisruptionBudget', 'otel-gateway'), 'spec.maxUnavailable')).toBe(1);
  });

  it('a removed gateway leaves the ring before it stops and decides its held traces when stopped: preStop derived from the collector config', () => {
    const pod = at(find(manifests, 'Deployment', 'otel-gateway'), 'spec.template.spec') as Tree;
    const sleepSeconds = at(pod, 'containers.0.lifecycle.preStop.sleep.seconds') as number;
    const dropPendingTracesOnShutdown = tailSampling.drop_pending_traces_on_shutdown ?? false;
    // The trigger says what the collector does with the traces it holds when stopped.
    expect(settings.dropPendingTracesOnShutdown).toBe(dropPendingTracesOnShutdown);
    // Releases before 0.141.0 drop them whatever the config says.
    const release = /:(\d+)\.(\d+)\.\d+$/.exec(at(pod, 'containers.0.image') as string);
    expect(release, 'the gateway image is tagged with its collector release').not.toBeNull();
    if (Number(release![1]) === 0 && Number(release![2]) < 141) expect(settings.dropPendingTracesOnShutdown).toBe(true);
    const decisionWaitSeconds = parseDurationSeconds(tailSampling.decision_wait)!;
    const dnsResolverIntervalSeconds = parseDurationSeconds(at(agentCollector, 'exporters.loadbalancing.resolver.dns.interval') as string)!;
    // The cluster DNS's TTL is in no manifest here: the trigger states it (dnsTtl).
    expect(sleepSeconds).toBe(preStopSecondsFor({ decisionWaitSeconds, dropPendingTracesOnShutdown, dnsResolverIntervalSeconds, dnsTtlSeconds: settings.dnsTtlSeconds }));
    expect(sleepSeconds).toBeGreaterThanOrEqual((dropPendingTracesOnShutdown ? decisionWaitSeconds : 0) + dnsResolverIntervalSeconds + settings.dnsTtlSeconds);
    expect(pod.terminationGracePeriodSeconds as number).toBeGreaterThan(sleepSeconds);
    // The trigger states the same drain, so the scaler's drainTooShort check reads what the pods do.
    expect(settings.scaleInDrainSeconds).toBe(sleepSeconds);
    expect(checkDrain(settings).tooShort).toBe(false);
  });

  it('agents route by traceID to every gateway through the headless Service (DNS resolver)', () => {
    const exporter = at(agentCollector, 'exporters.loadbalancing') as Tree;
    const otlpPort = (at(gatewayService, 'spec.ports') as { name: string; port: number }[]).find((port) => port.name === 'otlp-grpc')?.port;
    expect(exporter.routing_key).toBe('traceID');
    expect(at(exporter, 'resolver.dns.hostname')).toBe(`otel-gateway.${namespace}.svc.cluster.local`);
    // The dns resolver takes the port as a string at collector v0.161.0; either spelling names the same port.
    expect(Number(at(exporter, 'resolver.dns.port'))).toBe(otlpPort);
    // The trigger states the agents' interval, so the drain check and the lead time count the one they use.
    expect(parseDurationSeconds(at(exporter, 'resolver.dns.interval') as string)).toBe(settings.dnsResolverIntervalSeconds);
    expect(at(agentCollector, 'service.pipelines.traces.exporters')).toEqual(['loadbalancing']);
  });

  it('tail sampling remembers decisions for well beyond the traces it holds, so late spans follow them', () => {
    const cache = at(gatewayCollector, 'processors.tail_sampling.decision_cache') as { sampled_cache_size: number; non_sampled_cache_size: number };
    expect(cache.sampled_cache_size).toBeGreaterThan(tailSampling.num_traces);
    expect(cache.non_sampled_cache_size).toBeGreaterThan(tailSampling.num_traces);
  });

  for (const [workload, config] of [
    [find(manifests, 'Deployment', 'otel-gateway'), gatewayCollector],
    [find(manifests, 'DaemonSet', 'otel-agent'), agentCollector],
  ] as const) {
    it(`${String(workload.kind)} ${String(at(workload, 'metadata.name'))} is ready when the health_check extension says so, not when /metrics answers`, () => {
      const container = at(workload, 'spec.template.spec.containers.0') as Tree;
      const probe = at(container, 'readinessProbe.httpGet') as { path: string; port: string };
      const probedPort = (container.ports as { name: string; containerPort: number }[]).find((port) => port.name === probe.port)?.containerPort;
      const healthCheck = at(config, 'extensions.health_check') as { endpoint: string; path: string };
      expect(at(config, 'service.extensions')).toContain('health_check');
      expect(healthCheck.endpoint).toBe(`0.0.0.0:${probedPort}`);
      expect(probe.path).toBe(healthCheck.path);
    });
  }

  it('every collector runs one image release', () => {
    const images = manifests
      .filter((manifest) => manifest.kind === 'Deployment' || manifest.kind === 'DaemonSet')
      .flatMap((manifest) => (at(manifest, 'spec.template.spec.containers') as { image: string }[]).map((container) => container.image))
      .filter((image) => image.startsWith('otel/opentelemetry-collector'));
    expect(images.length).toBe(2);
    expect(new Set(images).size).toBe(1);
  });
});

for (const tier of [
  { name: 'otel-gateway', kind: 'Deployment', config: gatewayCollector, selector: () => settings.gatewaySelector, key: 'gatewaySelector' },
  { name: 'otel-agent', kind: 'DaemonSet', config: agentCollector, selector: () => settings.agentSelector ?? '', key: 'agentSelector' },
] as const) {
  describe(`${tier.name} scraping under the Prometheus Operator`, () => {
    const podMonitor = find(manifests, 'PodMonitor', tier.name);
    const workload = find(manifests, tier.kind, tier.name);
    const podLabels = at(workload, 'spec.template.metadata.labels') as Record<string, string>;

    it('the PodMonitor selects the pods and scrapes the port their annotations name, where the collector serves its metrics', () => {
      expect(podLabels).toMatchObject(at(podMonitor, 'spec.selector.matchLabels') as Record<string, string>);
      const endpoint = at(podMonitor, 'spec.podMetricsEndpoints.0') as { port: string; path: string };
      const port = (at(workload, 'spec.template.spec.containers.0.ports') as { name: string; containerPort: number }[]).find((candidate) => candidate.name === endpoint.port);
      const annotations = at(workload, 'spec.template.metadata.annotations') as Record<string, string>;
      expect(String(port?.containerPort)).toBe(annotations['prometheus.io/port']);
      expect(endpoint.path).toBe('/metrics');
      const reader = at(tier.config, 'service.telemetry.metrics.readers.0.pull.exporter.prometheus') as { host: string; port: number };
      expect(reader).toEqual({ host: '0.0.0.0', port: port?.containerPort });
    });

    it(`labels the series job="${tier.name}", which the ScaledObject's ${tier.key} matches`, () => {
      const job = podLabels[at(podMonitor, 'spec.jobLabel') as string];
      expect(tier.selector()).toContain(`job="${job}"`);
    });
  });
}

describe('generated ConfigMaps', () => {
  it('each is mounted by a workload of the kustomization, so its hash suffix rolls that workload', () => {
    const mounted = new Set(
      [...manifestsOf(BASE), ...manifests]
        .filter((manifest) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(String(manifest.kind)))
        .flatMap((manifest) => (at(manifest, 'spec.template.spec.volumes') as { configMap?: { name: string } }[] | undefined) ?? [])
        .flatMap((volume) => (volume.configMap ? [volume.configMap.name] : [])),
    );
    for (const dir of [BASE, EXAMPLE]) {
      for (const generator of (yamlFile(join(dir, 'kustomization.yaml')) as Kustomization).configMapGenerator ?? []) expect(mounted, generator.name).toContain(generator.name);
    }
  });
});
