// Collector configs of the test tier, built as data. The gateway config follows the shipped example
// (deploy/examples/gateway/gateway-collector.yaml): memory_limiter → tail_sampling → batch → otlp with
// sending_queue and retry_on_failure, internal telemetry at `detailed`. For tests it keeps every trace
// (one always_sample policy, so the sink can count them), waits a short decision_wait, and stamps
// `gateway.id` with the resource processor. Agents route by traceID with the loadbalancing exporter.
import { GATEWAY_ATTRIBUTE } from './backend-sink.ts';

export interface GatewayConfigSettings {
  readonly id: string;
  /** 127.0.0.x address the gateway listens on (its DNS answer for the agents). */
  readonly address: string;
  readonly otlpPort: number;
  readonly metricsPort: number;
  readonly healthPort: number;
  readonly backendEndpoint: string;
  readonly decisionWaitSeconds: number;
  readonly numTraces: number;
  readonly memoryLimitMib: number;
  readonly memorySpikeLimitMib: number;
  /** sending_queue.queue_size in batches. */
  readonly queueSize: number;
  readonly retryMaxElapsedSeconds: number;
  /** The otlp exporter's timeout per export call (the collector's default is 5 s). */
  readonly exportTimeoutSeconds: number;
  /**
   * tail_sampling's drop_pending_traces_on_shutdown: true drops the traces still within decision_wait
   * when the gateway stops, as every release before v0.141.0 did; left out, the processor's default
   * (false since v0.141.0) decides them on what has arrived.
   */
  readonly dropPendingTracesOnShutdown?: boolean;
  /**
   * The distribution and version the gateway reports on target_info (its telemetry resource's
   * service.name and service.version, which a distribution's build sets); left out, this build's own.
   */
  readonly reportsAs?: { readonly name: string; readonly version: string };
}

export const DEFAULT_GATEWAY_SETTINGS = {
  decisionWaitSeconds: 2,
  numTraces: 50_000,
  memoryLimitMib: 400,
  memorySpikeLimitMib: 80,
  queueSize: 1000,
  retryMaxElapsedSeconds: 300,
  exportTimeoutSeconds: 5,
} as const satisfies Partial<GatewayConfigSettings>;

export function gatewayConfig(settings: GatewayConfigSettings): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: `${settings.address}:${settings.healthPort}` } },
    receivers: { otlp: { protocols: { grpc: { endpoint: `${settings.address}:${settings.otlpPort}` } } } },
    processors: {
      memory_limiter: { check_interval: '1s', limit_mib: settings.memoryLimitMib, spike_limit_mib: settings.memorySpikeLimitMib },
      tail_sampling: {
        decision_wait: `${settings.decisionWaitSeconds}s`,
        num_traces: settings.numTraces,
        // Without a decision cache a decided trace stays in memory until num_traces pushes it out, so
        // traces_on_memory sits at num_traces and says nothing about traces awaiting a decision.
        decision_cache: { sampled_cache_size: settings.numTraces, non_sampled_cache_size: settings.numTraces },
        policies: [{ name: 'keep-all', type: 'always_sample' }],
        ...(settings.dropPendingTracesOnShutdown === undefined ? {} : { drop_pending_traces_on_shutdown: settings.dropPendingTracesOnShutdown }),
      },
      resource: { attributes: [{ key: GATEWAY_ATTRIBUTE, value: settings.id, action: 'upsert' }] },
      batch: { send_batch_size: 512, timeout: '200ms' },
    },
    exporters: {
      otlp: {
        endpoint: settings.backendEndpoint,
        tls: { insecure: true },
        timeout: `${settings.exportTimeoutSeconds}s`,
        sending_queue: { enabled: true, queue_size: settings.queueSize },
        retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '5s', max_elapsed_time: `${settings.retryMaxElapsedSeconds}s` },
      },
    },
    service: {
      extensions: ['health_check'],
      telemetry: {
        ...(settings.reportsAs === undefined ? {} : { resource: { 'service.name': settings.reportsAs.name, 'service.version': settings.reportsAs.version } }),
        logs: { level: 'warn' },
        metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host: settings.address, port: settings.metricsPort } } } }] },
      },
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'resource', 'batch'], exporters: ['otlp'] } },
    },
  };
}

export interface AgentConfigSettings {
  readonly address: string;
  readonly otlpPort: number;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Hostname the dns resolver looks up; the agent's private /etc/hosts maps it to the live gateways. */
  readonly gatewayHostname: string;
  readonly gatewayOtlpPort: number;
  readonly resolverIntervalSeconds: number;
}

export function agentConfig(settings: AgentConfigSettings): Record<string, unknown> {
  return {
    extensions: { health_check: { endpoint: `${settings.address}:${settings.healthPort}` } },
    receivers: { otlp: { protocols: { grpc: { endpoint: `${settings.address}:${settings.otlpPort}` } } } },
    processors: { batch: { send_batch_size: 512, timeout: '100ms' } },
    exporters: {
      loadbalancing: {
        routing_key: 'traceID',
        protocol: {
          otlp: {
            tls: { insecure: true },
            timeout: '5s',
            sending_queue: { enabled: true, queue_size: 1000 },
            retry_on_failure: { enabled: true, initial_interval: '200ms', max_interval: '2s', max_elapsed_time: '60s' },
          },
        },
        resolver: { dns: { hostname: settings.gatewayHostname, port: String(settings.gatewayOtlpPort), interval: `${settings.resolverIntervalSeconds}s`, timeout: '1s' } },
      },
    },
    service: {
      extensions: ['health_check'],
      telemetry: {
        logs: { level: 'warn' },
        metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: settings.address, port: settings.metricsPort } } } }] },
      },
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['loadbalancing'] } },
    },
  };
}
