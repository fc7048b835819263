import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseServerConfig, type ServerConfig } from '../../src/config/server-config.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ALL_OPTIONS_VALUES, CHART_DIR, findManifest, helm, type Manifest, RELEASE, renderChart, validateManifest } from './support/helm.ts';

const RULES_FILE = join(CHART_DIR, 'files/prometheus-rules.yaml');
const rulesShipped = existsSync(RULES_FILE);
/** Every option on; prometheusRule only once the chart carries the rule catalogue's file (without it the chart refuses, tested below). */
const ALL_OPTIONS = ['-f', ALL_OPTIONS_VALUES, ...(rulesShipped ? [] : ['--set', 'prometheusRule.enabled=false'])];

const defaults = renderChart();
const allOptions = renderChart(ALL_OPTIONS);

const serverConfigOf = (manifests: readonly Manifest[]): ServerConfig =>
  parseServerConfig(parseYaml(findManifest(manifests, 'ConfigMap', RELEASE.name).data['config.yaml']), 'chart ConfigMap config.yaml');
const podOf = (manifests: readonly Manifest[]) => findManifest(manifests, 'Deployment').spec.template.spec;

/** Every `…File` string in the server config, by its path in the config. */
function configFiles(node: unknown, path = ''): { field: string; file: string }[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    typeof value === 'string' && key.endsWith('File') ? [{ field: `${path}${key}`, file: value }] : configFiles(value, `${path}${key}.`),
  );
}

describe('helm lint', () => {
  for (const [name, args] of [
    ['defaults', []],
    ['every option on', ALL_OPTIONS],
  ] as const) {
    it(`passes with ${name}`, () => {
      const run = helm(['lint', CHART_DIR, ...args]);
      expect(run.stderr + run.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(run.status).toBe(0);
    });
  }
});

describe('helm template', () => {
  it('with defaults: the scaler alone, every object valid against its schema', () => {
    for (const manifest of defaults) validateManifest(manifest);
    expect(defaults.map((manifest) => manifest.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
  });

  it('with every option on: monitoring, dashboard and the example ScaledObject too, every object valid against its schema', () => {
    for (const manifest of allOptions) validateManifest(manifest);
    const kinds = allOptions.map((manifest) => manifest.kind);
    expect(kinds).toEqual(expect.arrayContaining(['ServiceMonitor', 'PodMonitor', 'ScaledObject', 'TriggerAuthentication']));
    expect(kinds.filter((kind) => kind === 'ConfigMap')).toHaveLength(2);
    if (rulesShipped) expect(kinds).toContain('PrometheusRule');
  });

  it('a schema check fails on a wrong field, so passing means something', () => {
    const deployment = structuredClone(findManifest(defaults, 'Deployment'));
    deployment.spec.replicas = 'two';
    expect(() => validateManifest(deployment)).toThrow(/Deployment .*replicas must be integer/);
    const podMonitor = structuredClone(findManifest(allOptions, 'PodMonitor'));
    podMonitor.spec.podMetricsEndpoints[0].interval = 'often';
    expect(() => validateManifest(podMonitor)).toThrow(/PodMonitor .*interval must match pattern/);
  });

  it('writes a server config the scaler accepts, with the stores, targets, calendar and alerts of the values', () => {
    expect(Object.keys(serverConfigOf(defaults).prometheus)).toEqual(['default']);
    const config = serverConfigOf(allOptions);
    expect(config.prometheus.mimir).toMatchObject({ pathPrefix: '/prometheus', headers: { 'X-Scope-OrgID': 'observability' }, basicAuth: { username: 'scaler' } });
    expect(config.advisoryTargets.map((target) => target.name)).toEqual(['otel-gateway-canary']);
    expect(config.calendar.map((window) => window.name)).toEqual(['black-friday']);
    expect(config.alerts.rules.forecastMiss).toEqual({ enabled: false });
    expect(config.grpc).toMatchObject({ host: '0.0.0.0', port: 6000, tls: { clientCaFile: expect.any(String) } });
  });

  it('every file the server config names comes from a mounted Secret holding that key', () => {
    const pod = podOf(allOptions);
    const mounts = pod.containers[0].volumeMounts as { name: string; mountPath: string; subPath?: string }[];
    const files = configFiles(serverConfigOf(allOptions));
    expect(files.map((file) => file.field).sort()).toEqual(
      ['alerts.slack.webhookUrlFile', 'grpc.tls.certFile', 'grpc.tls.clientCaFile', 'grpc.tls.keyFile', 'http.bearerTokenFile', 'prometheus.default.bearerTokenFile', 'prometheus.mimir.basicAuth.passwordFile'].sort(),
    );
    for (const { field, file } of files) {
      const mount = mounts.find((candidate) => candidate.mountPath === dirname(file));
      const volume = (pod.volumes as { name: string; secret?: { secretName: string; items?: { key: string }[] } }[]).find((candidate) => candidate.name === mount?.name);
      expect(volume?.secret, `${field} ${file}`).toBeDefined();
      if (volume?.secret?.items) expect(volume.secret.items.map((item) => item.key), field).toContain(basename(file));
    }
    const tlsVolume = (pod.volumes as { name: string; secret?: { secretName: string } }[]).find((volume) => volume.secret?.secretName === 'otel-gateway-scaler-tls');
    expect(mounts.find((mount) => mount.name === tlsVolume?.name)?.mountPath).toBe(dirname(serverConfigOf(allOptions).grpc.tls!.certFile));
  });

  it('rolls the pods when the server config changes (checksum annotation)', () => {
    const checksum = (manifests: Manifest[]) => findManifest(manifests, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(checksum(renderChart(['--set', 'log.level=debug']))).not.toBe(checksum(defaults));
    expect(checksum(renderChart())).toBe(checksum(defaults));
  });

  it('spreads the pods with constraints that select the pods themselves', () => {
    const deployment = findManifest(defaults, 'Deployment');
    for (const constraint of deployment.spec.template.spec.topologySpreadConstraints) {
      expect(constraint.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    }
  });

  it('the example ScaledObject reaches the scaler Service over TLS with the TriggerAuthentication, and tells the HPA the same scale-in step', () => {
    const scaledObject = findManifest(allOptions, 'ScaledObject');
    const service = findManifest(allOptions, 'Service');
    const trigger = scaledObject.spec.triggers[0];
    const grpcPort = service.spec.ports.find((port: { name: string }) => port.name === 'grpc').port;
    expect(trigger.metadata.scalerAddress).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${grpcPort}`);
    expect(trigger.metadata.enableTLS).toBe('true');
    expect(trigger.authenticationRef.name).toBe(findManifest(allOptions, 'TriggerAuthentication').metadata.name);
    const settings = parseTargetMetadata(trigger.metadata, serverConfigOf(allOptions).targetDefaults);
    expect([settings.minReplicas, settings.maxReplicas, settings.pollingIntervalSeconds]).toEqual([
      scaledObject.spec.minReplicaCount,
      scaledObject.spec.maxReplicaCount,
      scaledObject.spec.pollingInterval,
    ]);
    expect(scaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies).toEqual([
      { type: 'Pods', value: settings.scaleInStep, periodSeconds: settings.scaleInWindowSeconds },
      { type: 'Percent', value: 20, periodSeconds: settings.scaleInWindowSeconds },
    ]);
    expect(scaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.selectPolicy).toBe('Max');
    expect(Object.keys(serverConfigOf(allOptions).prometheus)).toContain(settings.prometheus);
  });

  for (const tier of [
    { monitor: `${RELEASE.name}-gateways`, key: 'gatewaySelector' },
    { monitor: `${RELEASE.name}-agents`, key: 'agentSelector' },
  ] as const) {
    it(`the PodMonitor ${tier.monitor} labels the series with the job the example's ${tier.key} matches`, () => {
      const podMonitor = findManifest(allOptions, 'PodMonitor', tier.monitor);
      const job = podMonitor.spec.selector.matchLabels[podMonitor.spec.jobLabel];
      expect(findManifest(allOptions, 'ScaledObject').spec.triggers[0].metadata[tier.key]).toContain(`job="${job}"`);
    });
  }

  it('the Grafana dashboard ConfigMap carries the sidecar label and a dashboard JSON', () => {
    const configMap = allOptions.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name.endsWith('-dashboard'))!;
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(configMap.data['otel-gateway-scaler.json']) as { uid: string; panels: { targets?: { expr: string }[] }[] };
    expect(dashboard.uid).toBe('otel-gateway-scaler');
    expect(dashboard.panels.flatMap((panel) => panel.targets ?? []).length).toBeGreaterThan(10);
  });

  it.runIf(!rulesShipped)('refuses prometheusRule.enabled with a message naming the missing rules file', () => {
    const run = helm(['template', RELEASE.name, CHART_DIR, '--set', 'prometheusRule.enabled=true']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('files/prometheus-rules.yaml');
  });

  it.runIf(rulesShipped)('renders the rule catalogue file as the PrometheusRule', () => {
    const file = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups?: unknown; spec?: { groups: unknown } };
    expect(findManifest(allOptions, 'PrometheusRule').spec.groups).toEqual(file.spec?.groups ?? file.groups);
  });

  const refusals: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'TLS without a Secret, naming the value to set', input: ['grpc.tls.enabled=true'], want: /grpc\.tls\.secretName must name a kubernetes\.io\/tls Secret/ },
    { name: 'a misspelt key, naming it (values.schema.json)', input: ['serviceMonitr.enabled=true'], want: /additional properties 'serviceMonitr' not allowed/ },
    { name: 'a wrongly typed value, naming its path', input: ['exampleScaledObject.scaleInStep=one'], want: /\/exampleScaledObject\/scaleInStep': got string, want integer/ },
    { name: 'no Prometheus server, which would start the embedded demo', input: ['prometheus.default=null'], want: /prometheus must define at least one server/ },
    {
      name: 'a Slack webhook with two replicas, each of which would send every alert',
      input: ['alerts.slack.webhookUrlSecret.name=slack-webhook'],
      want: /alerts\.slack\.webhookUrlSecret with replicas: 2 would send every Slack alert once per replica: .*prometheusRule\.enabled.*or set replicas: 1/,
    },
    { name: 'a Slack webhook with three replicas, sender left on', input: ['alerts.slack.webhookUrlSecret.name=slack-webhook', 'replicas=3', 'alerts.slack.sender=true'], want: /with replicas: 3 would send every Slack alert once per replica/ },
    { name: 'TLS for KEDA without its client certificate Secret', input: ['exampleScaledObject.enabled=true', 'grpc.tls.enabled=true', 'grpc.tls.secretName=tls'], want: /exampleScaledObject\.tlsClientSecret must name the Secret/ },
  ];
  for (const row of refusals) {
    it(`refuses ${row.name}`, () => {
      const run = helm(['template', RELEASE.name, CHART_DIR, ...row.input.flatMap((value) => ['--set', value])]);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(row.want);
    });
  }

  it('sends Slack from one replica only: a webhook renders with replicas: 1, and with more only when the replicas do not send', () => {
    const slackOf = (values: string[]) => serverConfigOf(renderChart(['--set', 'alerts.slack.webhookUrlSecret.name=slack-webhook', ...values.flatMap((value) => ['--set', value])])).alerts.slack;
    expect(slackOf(['replicas=1'])).toMatchObject({ sender: true, webhookUrlFile: expect.any(String) });
    expect(slackOf(['alerts.slack.sender=false'])).toMatchObject({ sender: false });
    expect(findManifest(defaults, 'Deployment').spec.replicas).toBeGreaterThan(1);
  });

  it('drops a server set to null and keeps the others', () => {
    const config = serverConfigOf(renderChart(['--set', 'prometheus.default=null', '--set', 'prometheus.mimir.url=http://mimir:8080']));
    expect(Object.keys(config.prometheus)).toEqual(['mimir']);
  });
});

describe('deploy/base (kustomize) agrees with the chart rendered with defaults', () => {
  const baseFile = (name: string) => parseYaml(readFileSync(join(CHART_DIR, '../../base', name), 'utf8')) as Manifest;
  const base = { deployment: baseFile('scaler-deployment.yaml'), service: baseFile('scaler-service.yaml'), pdb: baseFile('scaler-pdb.yaml') };
  const chart = { deployment: findManifest(defaults, 'Deployment'), service: findManifest(defaults, 'Service'), pdb: findManifest(defaults, 'PodDisruptionBudget') };
  const withoutSelector = (constraints: Manifest[]) => constraints.map(({ labelSelector: _selector, ...rest }) => rest);

  it('the server config, once defaults are applied', () => {
    const baseConfig = parseServerConfig(baseFile('scaler-config.yaml'), 'deploy/base/scaler-config.yaml');
    expect(serverConfigOf(defaults)).toEqual(baseConfig);
  });

  it('the Deployment: replicas, rollout, grace period, security, spread, image, arguments, ports, probes, resources', () => {
    const pick = (deployment: Manifest) => {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      return {
        replicas: deployment.spec.replicas,
        strategy: deployment.spec.strategy,
        terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
        podSecurityContext: pod.securityContext,
        spread: withoutSelector(pod.topologySpreadConstraints),
        image: container.image,
        command: container.command,
        args: container.args,
        ports: container.ports,
        probes: [container.startupProbe, container.livenessProbe, container.readinessProbe],
        resources: container.resources,
        securityContext: container.securityContext,
      };
    };
    expect(pick(base.deployment)).toEqual(pick(chart.deployment));
  });

  it('the Service and the PDB', () => {
    const pickService = (service: Manifest) => ({ clusterIP: service.spec.clusterIP, publishNotReadyAddresses: service.spec.publishNotReadyAddresses, ports: service.spec.ports });
    expect(pickService(base.service)).toEqual(pickService(chart.service));
    expect(base.pdb.spec.maxUnavailable).toBe(chart.pdb.spec.maxUnavailable);
  });
});
