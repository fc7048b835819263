// A real gateway tier on loopback: M agents (loadbalancing exporter, dns resolver) → N gateways
// (tail sampling) → the backend sink, with a real Prometheus scraping every gateway's own /metrics.
//
// How the agents find the gateways: each gateway listens on its own 127.0.x.y address, all on one
// OTLP port. Every agent runs in a private mount namespace (`unshare -m`) with a tier-owned hosts
// file bind-mounted over /etc/hosts, mapping GATEWAY_HOSTNAME to the live gateways' addresses. Adding
// or removing a gateway rewrites that file in place (the bind mount follows the inode); Go's resolver
// re-reads /etc/hosts when it changes, and the agents' dns resolver picks the new set up within its
// interval — the same path as a headless Service's A records changing. With `clusterDnsTtlSeconds` the
// agents ask a real CoreDNS instead (resolv.conf and nsswitch.conf mounted the same way), which serves
// that hosts file with a TTL and a cache, as a cluster's DNS serves a headless Service.
//
// Prometheus discovers gateways through a file_sd file rewritten the same way. Each gateway's
// /metrics is reached through a TCP relay, so a test can make one gateway's metrics endpoint
// unreachable while the gateway keeps running (a partial scrape).
import { createServer, type Server, type Socket, connect } from 'node:net';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.ts';
import { DEFAULT_GATEWAY_JOB, type RunningPrometheus, type ScrapeJob, startPrometheus } from '../../support/prometheus.ts';
import { type BackendSink, startBackendSink } from './backend-sink.ts';
import { agentConfig, DEFAULT_GATEWAY_SETTINGS, type GatewayConfigSettings, gatewayConfig } from './collector-configs.ts';
import { type ClusterDns, startClusterDns } from './cluster-dns.ts';
import { type CollectorProcess, type CpuLimit, collectorBinary, startCollectorProcess } from './collector-process.ts';

export const GATEWAY_HOSTNAME = 'otel-gateway.collector-tier.test';
/** One memory page: a write of this size reaches readers whole. */
const HOSTS_FILE_BYTES = 4096;
/** Gateways are picked by this selector, as a ScaledObject's gatewaySelector would. */
export const GATEWAY_SELECTOR = `job="${DEFAULT_GATEWAY_JOB}"`;

/** How often the agents' dns resolver asks, unless a tier sets its own interval. */
export const DEFAULT_RESOLVER_INTERVAL_SECONDS = 1;
/** Go re-reads /etc/hosts at most this often: the tier's DNS TTL, how long an agent may get a stale answer. */
export const HOSTS_REREAD_SECONDS = 5;

/** The longest a gateway added or removed takes to reach every agent's ring: the hosts re-read, then the resolver's next ask. */
export function ringUpdateSeconds(resolverIntervalSeconds = DEFAULT_RESOLVER_INTERVAL_SECONDS): number {
  return HOSTS_REREAD_SECONDS + resolverIntervalSeconds;
}

/** The tier's re-resolve as a trigger states it (dnsResolverInterval, dnsTtl). */
export function tierDnsMetadata(resolverIntervalSeconds = DEFAULT_RESOLVER_INTERVAL_SECONDS): { readonly dnsResolverInterval: string; readonly dnsTtl: string } {
  return { dnsResolverInterval: `${resolverIntervalSeconds}s`, dnsTtl: `${HOSTS_REREAD_SECONDS}s` };
}

export type GatewayOverrides = Partial<Omit<GatewayConfigSettings, 'id' | 'address' | 'otlpPort' | 'metricsPort' | 'healthPort' | 'backendEndpoint'>>;

export interface GatewayTierOptions {
  readonly gateways: number;
  readonly agents?: number;
  readonly gatewaySettings?: GatewayOverrides;
  /** The CPU limit of gateway-`gatewayNumber` (numbered from 1 in start order, added ones included); none when it returns undefined. */
  readonly gatewayCpuLimit?: (gatewayNumber: number) => CpuLimit | undefined;
  readonly resolverIntervalSeconds?: number;
  readonly scrapeIntervalSeconds?: number;
  /** More jobs the tier's Prometheus scrapes, e.g. the scaler's own /metrics. */
  readonly extraScrapeJobs?: readonly ScrapeJob[];
  /** When set, the tier's Prometheus also scrapes every agent's own /metrics under this job, as a trigger's agentSelector reads them. */
  readonly agentScrapeJob?: string;
  /** When set, the agents resolve the gateways through a real CoreDNS whose records and cache last this long. */
  readonly clusterDnsTtlSeconds?: number;
}

export interface Gateway {
  readonly id: string;
  readonly address: string;
  readonly process: CollectorProcess;
  /** host:port Prometheus scrapes (the relay), which is the gateway's `instance` label. */
  readonly scrapeTarget: string;
  /** Direct URL of the gateway's own /metrics. */
  readonly metricsUrl: string;
}

export interface GatewayTier {
  readonly sink: BackendSink;
  readonly prometheus: RunningPrometheus;
  readonly agentEndpoints: readonly string[];
  readonly agents: readonly CollectorProcess[];
  /** Gateways running now, in start order. */
  gateways(): readonly Gateway[];
  /** Starts a gateway, waits until it is ready, then adds it to DNS and to Prometheus' targets. */
  addGateway(): Promise<Gateway>;
  /** Removes a gateway from DNS and Prometheus, waits `drainMs`, then stops it. */
  removeGateway(id: string, drainMs?: number): Promise<void>;
  /** Makes a running gateway's metrics endpoint refuse Prometheus (true) or answer again (false). */
  cutMetrics(id: string, cut: boolean): void;
  resolverIntervalSeconds: number;
  /** The CoreDNS the agents ask, with `clusterDnsTtlSeconds`. */
  readonly clusterDns: ClusterDns | undefined;
  stop(): Promise<void>;
}

interface MetricsRelay {
  readonly port: number;
  setCut(cut: boolean): void;
  close(): Promise<void>;
}

/** A TCP relay 127.0.0.1:port → target that can refuse every connection while cut. */
async function startMetricsRelay(targetHost: string, targetPort: number): Promise<MetricsRelay> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    port,
    setCut: (next) => {
      cut = next;
      if (cut) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startGatewayTier(options: GatewayTierOptions): Promise<GatewayTier> {
  const binary = collectorBinary();
  const dir = mkdtempSync(join(tmpdir(), 'collector-tier-'));
  const hostsFile = join(dir, 'hosts');
  const fileSd = join(dir, 'gateways.json');
  // A /24 of loopback addresses per tier, picked at random so tiers of concurrent runs do not meet.
  const subnet = `127.${20 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}`;
  const [gatewayOtlpPort, gatewayMetricsPort, gatewayHealthPort] = [await freePort(), await freePort(), await freePort()];
  const resolverIntervalSeconds = options.resolverIntervalSeconds ?? DEFAULT_RESOLVER_INTERVAL_SECONDS;
  const gatewaySettings = { ...DEFAULT_GATEWAY_SETTINGS, ...options.gatewaySettings };
  const sink = await startBackendSink();
  const live: (Gateway & { relay: MetricsRelay })[] = [];
  let nextGateway = 1;

  // The hosts file keeps one size and is rewritten by one write at offset 0: truncating and writing
  // would let a resolver read a half-written file, see fewer gateways, and change the ring twice.
  writeFileSync(hostsFile, Buffer.alloc(HOSTS_FILE_BYTES, '\n'));
  const publish = () => {
    const content = Buffer.from(`127.0.0.1 localhost\n${live.map((gateway) => `${gateway.address} ${GATEWAY_HOSTNAME}\n`).join('')}`);
    if (content.length > HOSTS_FILE_BYTES) throw new Error(`too many gateways for a ${HOSTS_FILE_BYTES}-byte hosts file`);
    const padded = Buffer.concat([content, Buffer.alloc(HOSTS_FILE_BYTES - content.length, '\n')]);
    const fd = openSync(hostsFile, 'r+');
    try {
      writeSync(fd, padded, 0, padded.length, 0);
    } finally {
      closeSync(fd);
    }
    writeFileSync(fileSd, JSON.stringify([{ targets: live.map((gateway) => gateway.scrapeTarget), labels: {} }]));
  };
  publish();

  const addGateway = async (): Promise<Gateway> => {
    const index = nextGateway++;
    const id = `gateway-${index}`;
    const address = `${subnet}.${index}`;
    const process = await startCollectorProcess({
      name: id,
      binary,
      healthUrl: `http://${address}:${gatewayHealthPort}/`,
      cpuLimit: options.gatewayCpuLimit?.(index),
      config: gatewayConfig({
        ...gatewaySettings,
        id,
        address,
        otlpPort: gatewayOtlpPort,
        metricsPort: gatewayMetricsPort,
        healthPort: gatewayHealthPort,
        backendEndpoint: sink.endpoint,
      }),
    });
    const relay = await startMetricsRelay(address, gatewayMetricsPort);
    const gateway = { id, address, process, relay, scrapeTarget: `127.0.0.1:${relay.port}`, metricsUrl: `http://${address}:${gatewayMetricsPort}/metrics` };
    live.push(gateway);
    publish();
    return gateway;
  };

  const agents: CollectorProcess[] = [];
  const agentEndpoints: string[] = [];
  const agentMetricsTargets: string[] = [];
  let prometheus: RunningPrometheus | undefined;
  let clusterDns: ClusterDns | undefined;
  let agentEtc: Readonly<Record<string, string>> = { '/etc/hosts': hostsFile };
  try {
    for (let index = 0; index < options.gateways; index++) await addGateway();
    if (options.clusterDnsTtlSeconds !== undefined) {
      clusterDns = await startClusterDns({ address: `${subnet}.253`, hostsFile, ttlSeconds: options.clusterDnsTtlSeconds, probeHostname: GATEWAY_HOSTNAME });
      const agentHosts = join(dir, 'agent-hosts');
      const resolvConf = join(dir, 'resolv.conf');
      const nsswitch = join(dir, 'nsswitch.conf');
      writeFileSync(agentHosts, '127.0.0.1 localhost\n');
      writeFileSync(resolvConf, `nameserver ${clusterDns.address}\noptions ndots:1 timeout:1 attempts:2\n`);
      writeFileSync(nsswitch, 'hosts: files dns\n');
      agentEtc = { '/etc/hosts': agentHosts, '/etc/resolv.conf': resolvConf, '/etc/nsswitch.conf': nsswitch };
    }
    for (let index = 0; index < (options.agents ?? 1); index++) {
      const [otlpPort, metricsPort, healthPort] = [await freePort(), await freePort(), await freePort()];
      agents.push(
        await startCollectorProcess({
          name: `agent-${index + 1}`,
          binary,
          etcMounts: agentEtc,
          healthUrl: `http://127.0.0.1:${healthPort}/`,
          config: agentConfig({ address: '127.0.0.1', otlpPort, metricsPort, healthPort, gatewayHostname: GATEWAY_HOSTNAME, gatewayOtlpPort, resolverIntervalSeconds }),
        }),
      );
      agentEndpoints.push(`127.0.0.1:${otlpPort}`);
      agentMetricsTargets.push(`127.0.0.1:${metricsPort}`);
    }
    const agentJobs = options.agentScrapeJob === undefined ? [] : [{ jobName: options.agentScrapeJob, targets: agentMetricsTargets }];
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 1,
      scrapeJobs: [{ jobName: DEFAULT_GATEWAY_JOB, targets: [], fileSdPath: fileSd }, ...agentJobs, ...(options.extraScrapeJobs ?? [])],
    });
  } catch (error) {
    await Promise.all([...agents.map((agent) => agent.stop()), ...live.map((gateway) => gateway.process.stop())]);
    await clusterDns?.stop();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const runningPrometheus = prometheus;

  const find = (id: string) => {
    const gateway = live.find((candidate) => candidate.id === id);
    if (!gateway) throw new Error(`no running gateway ${id}; running: ${live.map((candidate) => candidate.id).join(', ')}`);
    return gateway;
  };

  return {
    sink,
    prometheus: runningPrometheus,
    agentEndpoints,
    agents,
    resolverIntervalSeconds,
    clusterDns,
    gateways: () => live.map(({ relay: _relay, ...gateway }) => gateway),
    addGateway,
    removeGateway: async (id, drainMs = 0) => {
      const gateway = find(id);
      live.splice(live.indexOf(gateway), 1);
      publish();
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      await gateway.relay.close();
      await gateway.process.stop();
    },
    cutMetrics: (id, cut) => find(id).relay.setCut(cut),
    stop: async () => {
      await runningPrometheus.stop();
      await Promise.all(agents.map((agent) => agent.stop()));
      await Promise.all(live.map(async (gateway) => {
        await gateway.relay.close();
        await gateway.process.stop();
      }));
      await clusterDns?.stop();
      await sink.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
