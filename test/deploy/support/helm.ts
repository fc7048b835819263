// The Helm chart rendered by the real helm binary, and every rendered object checked against its
// schema: kubernetes-models for core kinds, @kubernetes-models/keda for KEDA's and
// @kubernetes-models/prometheus-operator (generated from the Operator's CRDs) for its kinds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';

export const CHART_DIR = resolve(fileURLToPath(new URL('../../../deploy/helm/otel-gateway-scaler', import.meta.url)));
/** Every optional part on and every Secret-backed setting set. */
export const ALL_OPTIONS_VALUES = join(CHART_DIR, 'ci/all-options-values.yaml');
/** The release name and namespace deploy/base uses, so names and addresses compare one to one. */
export const RELEASE = { name: 'otel-gateway-scaler', namespace: 'observability' } as const;

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, walked field by field in assertions that fail on a wrong shape
export type Manifest = Record<string, any>;

/** helm from HELM, ~/go/bin (where scripts/test.sh installs it with go) or PATH. */
export function helmBinary(): string {
  const candidates = [process.env.HELM, join(homedir(), 'go/bin/helm')].filter((path): path is string => path !== undefined);
  return candidates.find((path) => existsSync(path)) ?? 'helm';
}

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function helm(args: readonly string[]): HelmRun {
  const run = spawnSync(helmBinary(), [...args], { encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`cannot run helm (${run.error.message}); install it with: go install helm.sh/helm/v4/cmd/helm@v4.3.2`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `helm template` of the chart with these extra arguments (values files, --set); throws with helm's message on failure. */
export function renderChart(args: readonly string[] = [], chartDir = CHART_DIR): Manifest[] {
  const run = helm(['template', RELEASE.name, chartDir, '--namespace', RELEASE.namespace, ...args]);
  if (run.status !== 0) throw new Error(`helm template failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

type Model = new (data: never) => { validate(): void };
const MODELS: Readonly<Record<string, Model>> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates a manifest against its kind's schema; throws naming the kind and the failing field, or an unknown kind. */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const Model = MODELS[key];
  if (!Model) throw new Error(`no schema for ${key} (${manifest.metadata?.name}); add its model to test/deploy/support/helm.ts`);
  try {
    new Model(manifest as never).validate();
  } catch (error) {
    throw new Error(`${key} ${manifest.metadata?.name}: ${(error as Error).message}`);
  }
}

export function findManifest(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata?.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered; got ${manifests.map((manifest) => `${manifest.kind}/${manifest.metadata?.name}`).join(', ')}`);
  return found;
}
