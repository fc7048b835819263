// The series a gateway tier's history is made of, as Prometheus would have scraped them: the gateways'
// accepted spans and uptime, and kube-state-metrics' spec replicas of their Deployment. Pure builders
// for remoteWrite (remote-write.ts), so a test states its history as plans and rates, not samples.
import type { RemoteWriteSeries } from './remote-write.ts';

/** Scrapes every `everyS` from `fromS` up to, not including, `toS`. */
export interface Scrapes {
  readonly fromS: number;
  readonly toS: number;
  readonly everyS: number;
}

/** The labels a PodMonitor gives one gateway's series. */
export interface GatewayLabels {
  readonly job: string;
  readonly namespace: string;
  readonly pod: string;
  readonly instance: string;
}

function scrapeTimes({ fromS, toS, everyS }: Scrapes): number[] {
  const times: number[] = [];
  for (let t = fromS; t < toS; t += everyS) times.push(t);
  return times;
}

function gaugeSeries(labels: Readonly<Record<string, string>>, scrapes: Scrapes, valueAt: (tS: number) => number): RemoteWriteSeries {
  return { labels, samples: scrapeTimes(scrapes).map((t) => ({ timestampMs: t * 1000, value: valueAt(t) })) };
}

/** A counter from zero: each scrape reads the total before the interval it starts, which runs at `perSecond(t)`. */
function counterSeries(labels: Readonly<Record<string, string>>, scrapes: Scrapes, perSecond: (tS: number) => number): RemoteWriteSeries {
  let total = 0;
  return gaugeSeries(labels, scrapes, (t) => {
    const value = total;
    total += perSecond(t) * scrapes.everyS;
    return value;
  });
}

/** otelcol_receiver_accepted_spans of one receiver and transport (a collector exposes one series each). */
export function acceptedSpansSeries(
  gateway: GatewayLabels,
  receiver: { readonly receiver: string; readonly transport: string },
  scrapes: Scrapes,
  spansPerSecond: (tS: number) => number,
): RemoteWriteSeries {
  return counterSeries({ __name__: 'otelcol_receiver_accepted_spans', ...gateway, ...receiver }, scrapes, spansPerSecond);
}

/** How long a collector has run at its first scrape. */
const UPTIME_AT_FIRST_SCRAPE_S = 5;

/** One gateway's own otelcol_process_uptime, from its first scrape; a restart is a new series (new pod). */
export function uptimeSeries(gateway: GatewayLabels, scrapes: Scrapes): RemoteWriteSeries {
  return gaugeSeries({ __name__: 'otelcol_process_uptime', ...gateway, service_name: 'otelcol-contrib' }, scrapes, (t) => t - scrapes.fromS + UPTIME_AT_FIRST_SCRAPE_S);
}

/** kube_deployment_spec_replicas under the labels kube-state-metrics' own ServiceMonitor adds. */
export function specReplicasSeries(deployment: { readonly namespace: string; readonly name: string }, scrapes: Scrapes, replicasAt: (tS: number) => number): RemoteWriteSeries {
  return gaugeSeries(
    {
      __name__: 'kube_deployment_spec_replicas',
      job: 'kube-state-metrics',
      namespace: deployment.namespace,
      deployment: deployment.name,
      instance: '10.244.1.17:8080',
      container: 'kube-state-metrics',
      pod: 'kube-state-metrics-7d9c5b7f4-x2q8m',
      service: 'kube-state-metrics',
      endpoint: 'http',
    },
    scrapes,
    replicasAt,
  );
}

/** The agent's otelcol_loadbalancer_num_backends: the gateways its loadbalancing exporter's ring holds. */
export function ringBackendsSeries(agent: GatewayLabels, scrapes: Scrapes, backendsAt: (tS: number) => number): RemoteWriteSeries {
  return gaugeSeries({ __name__: 'otelcol_loadbalancer_num_backends', ...agent, resolver: 'dns', service_name: 'otelcol-contrib' }, scrapes, backendsAt);
}
