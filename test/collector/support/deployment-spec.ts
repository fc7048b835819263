// kube-state-metrics' `kube_deployment_spec_replicas` for the tier's gateway Deployment, served for
// the tier's Prometheus to scrape. The tier runs without a Kubernetes API, so a test sets the spec
// replicas where the HPA would, at the moment it removes or adds a gateway.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { quoted } from '../../../src/signals/promql-catalogue.ts';

export interface DeploymentSpecExposition {
  /** host:port for a scrape job. */
  readonly target: string;
  setReplicas(replicas: number): void;
  close(): Promise<void>;
}

export async function startDeploymentSpecExposition(deployment: { readonly namespace: string; readonly name: string }, replicas: number): Promise<DeploymentSpecExposition> {
  let current = replicas;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(
      '# HELP kube_deployment_spec_replicas Number of desired pods for a deployment.\n' +
        '# TYPE kube_deployment_spec_replicas gauge\n' +
        `kube_deployment_spec_replicas{namespace=${quoted(deployment.namespace)},deployment=${quoted(deployment.name)}} ${current}\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    setReplicas(next) {
      current = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
