// Per-target settings, read from the ScaledObject trigger's `metadata` (KEDA forwards it verbatim as
// `scalerMetadata`, every value a string). One schema: it carries the defaults docs/trigger-metadata.md documents,
// and every rejection names the key and what it accepts, so KEDA's event on the ScaledObject says
// exactly what to fix. Precedence: metadata ?? server config `targetDefaults` ?? built-in default.
import { z } from 'zod';
import { echoValue, ScalerError } from '../errors.ts';
import { parseDurationSeconds } from './duration.ts';
import { parseLabelMatchers } from './label-matchers.ts';

/** Keys KEDA itself reads from the same map; accepted and ignored here. */
export const KEDA_OWN_KEYS = ['scalerAddress', 'enableTLS', 'unsafeSsl'] as const;

export const MODES = ['enforce', 'dry-run'] as const;
export type Mode = (typeof MODES)[number];

const text = z.string().trim().min(1, 'must not be empty');

// Parsed as PromQL label matchers; the settings keep the re-written selector, which is what Prometheus gets.
const selector = text.transform((value, ctx) => {
  const parsed = parseLabelMatchers(value);
  if (parsed.kind === 'invalid') {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.selector;
});

function number(options: { min: number; max: number; minExclusive?: boolean; integer?: boolean }) {
  const range = `${options.minExclusive ? '>' : '≥'} ${options.min} and ≤ ${options.max}`;
  const kind = options.integer ? 'an integer' : 'a number';
  return text.transform((value, ctx) => {
    const parsed = Number(value);
    const valid =
      /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value) &&
      Number.isFinite(parsed) &&
      (!options.integer || Number.isInteger(parsed)) &&
      (options.minExclusive ? parsed > options.min : parsed >= options.min) &&
      parsed <= options.max;
    if (!valid) {
      ctx.addIssue({ code: 'custom', message: `must be ${kind} ${range}, got "${echoValue(value)}"` });
      return z.NEVER;
    }
    return parsed;
  });
}

const flag = text.transform((value, ctx) => {
  if (value === 'true' || value === 'false') return value === 'true';
  ctx.addIssue({ code: 'custom', message: `must be "true" or "false", got "${echoValue(value)}"` });
  return z.NEVER;
});

function duration(options: { minSeconds: number; maxSeconds: number }) {
  // Not trimmed: Prometheus takes no padding in a duration, and the same text goes into range selectors.
  return z.string().transform((value, ctx) => {
    // Prometheus' durations are positive; a key that may be zero (a gateway with no preStop sleep) takes "0s".
    const seconds = options.minSeconds === 0 && /^0+(ms|s|m|h|d|w|y)$/.test(value) ? 0 : parseDurationSeconds(value);
    if (seconds === undefined || seconds < options.minSeconds || seconds > options.maxSeconds) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration like "30s", "2m" or "1h" between ${options.minSeconds}s and ${options.maxSeconds}s, got "${echoValue(value)}"`,
      });
      return z.NEVER;
    }
    return seconds;
  });
}

const DAY_SECONDS = 86_400;

/** The loadbalancing exporter's default resolver.dns.interval: how often the agents ask for the gateways. */
export const DEFAULT_DNS_RESOLVER_INTERVAL_SECONDS = 5;

/** Every key a trigger may set, with its built-in default (as the string a user would write). */
const METADATA_FIELDS = {
  gatewaySelector: { schema: selector, default: undefined },
  // Not set means the agents are not read: a gateway that falls behind short of its CPU shows only if it refuses or its ticks slow.
  agentSelector: { schema: selector, default: undefined },
  // Not set means the expected count comes from the scrape targets alone.
  deploymentName: {
    schema: text.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be the name of the gateways\' Deployment in the ScaledObject\'s namespace (a DNS-1123 name such as "otel-gateway")').max(253, 'must be at most 253 characters (a Kubernetes object name)'),
    default: undefined,
  },
  prometheus: { schema: text.regex(/^[a-z0-9][a-z0-9-]*$/, 'must be the name of a Prometheus server from the server config, e.g. "default"'), default: 'default' },
  rateWindow: { schema: duration({ minSeconds: 15, maxSeconds: 3600 }), default: '2m' },
  mode: { schema: z.enum(MODES, { message: `must be one of ${MODES.join(' | ')}` }), default: 'enforce' },
  minReplicas: { schema: number({ min: 1, max: 10_000, integer: true }), default: '2' },
  maxReplicas: { schema: number({ min: 1, max: 10_000, integer: true }), default: '100' },
  targetQueueFill: { schema: number({ min: 0, max: 1, minExclusive: true }), default: '0.5' },
  capacitySpansPerReplica: { schema: number({ min: 0, max: 1e9, minExclusive: true }), default: '20000' },
  // Not set means: the gateways' CPU limit (or request) from kube-state-metrics, if Prometheus has it.
  cpuPerReplica: { schema: number({ min: 0, max: 1024, minExclusive: true }), default: undefined },
  targetUtilization: { schema: number({ min: 0, max: 1, minExclusive: true }), default: '0.7' },
  backendFailureRatio: { schema: number({ min: 0, max: 1, minExclusive: true }), default: '0.05' },
  decisionWait: { schema: duration({ minSeconds: 1, maxSeconds: 3600 }), default: '30s' },
  numTraces: { schema: number({ min: 1, max: 1e9, integer: true }), default: '50000' },
  scaleInStep: { schema: number({ min: 1, max: 10_000, integer: true }), default: '1' },
  // Not set means decisionWait + 60 s: a trace's spans must all have been decided before its ring moves.
  scaleInWindow: { schema: duration({ minSeconds: 1, maxSeconds: DAY_SECONDS }), default: undefined },
  // Not set means unknown: kube-state-metrics exposes neither a pod's preStop hook nor its grace period.
  scaleInDrain: { schema: duration({ minSeconds: 0, maxSeconds: 3600 }), default: undefined },
  // The agents' loadbalancing exporter: resolver.dns.interval, its default 5 s.
  dnsResolverInterval: { schema: duration({ minSeconds: 1, maxSeconds: 3600 }), default: `${DEFAULT_DNS_RESOLVER_INTERVAL_SECONDS}s` },
  // How long the cluster DNS may keep answering with a gateway that left the headless Service: the
  // TTL of its records, which caches (CoreDNS's cache plugin, NodeLocal DNSCache) serve until expiry.
  // 30 s is the kubernetes plugin's `ttl 30` in kubeadm's Corefile (the plugin's own default is 5 s).
  dnsTtl: { schema: duration({ minSeconds: 0, maxSeconds: 3600 }), default: '30s' },
  // The tail-sampling processor's drop_pending_traces_on_shutdown: false (its default since v0.141.0)
  // decides the traces a stopped gateway still holds; before v0.141.0 they were always dropped.
  dropPendingTracesOnShutdown: { schema: flag, default: 'false' },
  activationSpansPerSecond: { schema: number({ min: 0, max: 1e12 }), default: '0' },
  decisionLatencyBudget: { schema: duration({ minSeconds: 0.001, maxSeconds: 3600 }), default: '500ms' },
  podStartup: { schema: duration({ minSeconds: 0, maxSeconds: 3600 }), default: '45s' },
  pollingInterval: { schema: duration({ minSeconds: 1, maxSeconds: 3600 }), default: '30s' },
  staleAfter: { schema: duration({ minSeconds: 1, maxSeconds: 3600 }), default: '2m' },
  forecastHistory: { schema: duration({ minSeconds: 3600, maxSeconds: 90 * DAY_SECONDS }), default: '14d' },
  forecastQuantile: { schema: number({ min: 0.5, max: 0.999 }), default: '0.9' },
} as const;

export type MetadataKey = keyof typeof METADATA_FIELDS;
export const METADATA_KEYS = Object.keys(METADATA_FIELDS) as MetadataKey[];

/** Built-in defaults, for the table in docs/trigger-metadata.md and for the dashboard's "effective settings" view. */
export const METADATA_DEFAULTS: Readonly<Partial<Record<MetadataKey, string>>> = Object.freeze(
  Object.fromEntries(METADATA_KEYS.map((key) => [key, METADATA_FIELDS[key].default]).filter(([, v]) => v !== undefined)),
);

/** Resolved per-target settings; durations in seconds, ready for the policy and the signal reader. */
export interface TargetSettings {
  readonly gatewaySelector: string;
  /** Label matchers for the agents' own metrics (trigger key agentSelector): their accepted spans are the load offered to the gateways. */
  readonly agentSelector: string | undefined;
  /** The gateways' Deployment (trigger key `deploymentName`); its kube-state-metrics status replicas count as expected gateways. */
  readonly deploymentName: string | undefined;
  readonly prometheus: string;
  readonly rateWindowSeconds: number;
  readonly mode: Mode;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetQueueFill: number;
  readonly capacitySpansPerReplica: number;
  /** CPU cores one gateway may use (trigger key cpuPerReplica); undefined = from kube-state-metrics, if there. */
  readonly cpuPerReplicaCores: number | undefined;
  readonly targetUtilization: number;
  readonly backendFailureRatio: number;
  readonly decisionWaitSeconds: number;
  readonly numTraces: number;
  readonly scaleInStep: number;
  readonly scaleInWindowSeconds: number;
  /** How long a removed gateway keeps working after it leaves the headless Service (its preStop); undefined = unknown. */
  readonly scaleInDrainSeconds: number | undefined;
  /** How often the agents' DNS resolver asks for the gateways (trigger key dnsResolverInterval). */
  readonly dnsResolverIntervalSeconds: number;
  /** How long the cluster DNS may still answer with a gateway that left the Service (trigger key dnsTtl). */
  readonly dnsTtlSeconds: number;
  /** Whether a stopped gateway drops the traces within decision_wait (trigger key dropPendingTracesOnShutdown) instead of deciding them. */
  readonly dropPendingTracesOnShutdown: boolean;
  readonly activationSpansPerSecond: number;
  readonly decisionLatencyBudgetMs: number;
  readonly podStartupSeconds: number;
  readonly pollingIntervalSeconds: number;
  readonly staleAfterSeconds: number;
  readonly forecastHistorySeconds: number;
  readonly forecastQuantile: number;
}

/** The HPA controller's sync period; a new desired count waits at most this long to be acted on. */
export const HPA_SYNC_SECONDS = 15;

function invalid(key: string, message: string): ScalerError {
  return new ScalerError('INVALID_METADATA', `scalerMetadata.${echoValue(key)} ${message}`);
}

/** Largest value one metadata key may hold: a selector with a few dozen matchers fits many times over. */
export const METADATA_VALUE_MAX_BYTES = 4096;
/** Largest metadata map, keys and values together. */
export const METADATA_MAP_MAX_BYTES = 32_768;

/**
 * Refuses oversized metadata before anything is parsed, cached or echoed: the bounds keep the parse
 * cache and every error message small whatever a client sends.
 */
function checkMetadataSize(metadata: Readonly<Record<string, string>>): void {
  let total = 0;
  let largest = { key: '', bytes: 0 };
  for (const [key, value] of Object.entries(metadata)) {
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (Buffer.byteLength(value) > METADATA_VALUE_MAX_BYTES) {
      throw invalid(key, `holds ${Buffer.byteLength(value)} bytes; a metadata value may hold at most ${METADATA_VALUE_MAX_BYTES} bytes (4 KiB)`);
    }
    total += bytes;
    if (bytes > largest.bytes) largest = { key, bytes };
  }
  if (total > METADATA_MAP_MAX_BYTES) {
    throw new ScalerError(
      'INVALID_METADATA',
      `scalerMetadata holds ${total} bytes in all; a trigger's metadata may hold at most ${METADATA_MAP_MAX_BYTES} bytes (32 KiB); its largest entry is ${echoValue(largest.key)} (${largest.bytes} bytes)`,
    );
  }
}

type MetadataDefaults = Readonly<Partial<Record<MetadataKey, string>>>;

/** The same metadata in any key order gives the same key. */
export function metadataKeyOf(metadata: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(metadata).sort().map((key) => [key, metadata[key]]));
}

const NO_DEFAULTS: MetadataDefaults = Object.freeze({});

/**
 * Estimated heap bytes of the parse cache, per defaults map. 1,000 targets with ordinary metadata take
 * about 0.7 MB; maps near the 32 KiB limit fit about 60, beyond which the oldest are parsed again.
 */
const PARSED_SETTINGS_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Heap bytes of one cached parse besides its key and selector strings: 656 bytes were measured per
 * entry (node --expose-gc, 3,000 entries) with a 76-character key and a 17-character selector.
 */
const PARSED_SETTINGS_ENTRY_BYTES = 560;

/** Bytes of a string in V8's heap: one per character when all are Latin-1, otherwise two. */
function stringBytes(text: string): number {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0xff) return 2 * text.length;
  return text.length;
}

/** The cache of one defaults map: insertion order is age, so the first entry is evicted first. */
interface ParsedSettingsCache {
  readonly entries: Map<string, { readonly settings: TargetSettings; readonly bytes: number }>;
  bytes: number;
}

// KEDA sends the same metadata on every call of every poll; validating it each time was a sixth of
// a cached GetMetrics. Settings are frozen, so one parse serves every call with equal metadata.
const parsedSettings = new WeakMap<MetadataDefaults, ParsedSettingsCache>();

/**
 * Validates a trigger's metadata against the schema, filling unset keys from `defaults` (the server
 * config's `targetDefaults`) and then the built-in defaults. Throws ScalerError INVALID_METADATA.
 */
export function parseTargetMetadata(metadata: Readonly<Record<string, string>>, defaults: MetadataDefaults = NO_DEFAULTS): TargetSettings {
  let cache = parsedSettings.get(defaults);
  if (cache === undefined) {
    cache = { entries: new Map(), bytes: 0 };
    parsedSettings.set(defaults, cache);
  }
  checkMetadataSize(metadata);
  const key = metadataKeyOf(metadata);
  const known = cache.entries.get(key);
  if (known !== undefined) return known.settings;
  const settings = validateTargetMetadata(metadata, defaults);
  const bytes = PARSED_SETTINGS_ENTRY_BYTES + stringBytes(key) + stringBytes(settings.gatewaySelector) + stringBytes(settings.agentSelector ?? '');
  cache.entries.set(key, { settings, bytes });
  cache.bytes += bytes;
  for (const [oldKey, oldEntry] of cache.entries) {
    if (cache.bytes <= PARSED_SETTINGS_MAX_BYTES) break;
    cache.entries.delete(oldKey);
    cache.bytes -= oldEntry.bytes;
  }
  return settings;
}

function validateTargetMetadata(metadata: Readonly<Record<string, string>>, defaults: MetadataDefaults): TargetSettings {
  const ignored = new Set<string>(KEDA_OWN_KEYS);
  for (const key of Object.keys(metadata)) {
    if (ignored.has(key) || key in METADATA_FIELDS) continue;
    throw invalid(key, `is not a known key; allowed keys: ${METADATA_KEYS.join(', ')}`);
  }
  const values: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) {
    const raw = metadata[key] ?? defaults[key] ?? METADATA_FIELDS[key].default;
    if (raw === undefined) {
      if (key === 'gatewaySelector') throw invalid(key, 'is required: PromQL label matchers selecting the gateway pods, e.g. job="otel-gateway"');
      continue;
    }
    const result = METADATA_FIELDS[key].schema.safeParse(raw);
    if (!result.success) throw invalid(key, result.error.issues.map((issue) => issue.message).join('; '));
    values[key] = result.data;
  }
  const minReplicas = values.minReplicas as number;
  const maxReplicas = values.maxReplicas as number;
  if (minReplicas > maxReplicas) {
    throw invalid('minReplicas', `(${minReplicas}) must be ≤ maxReplicas (${maxReplicas})`);
  }
  const decisionWaitSeconds = values.decisionWait as number;
  return Object.freeze({
    gatewaySelector: values.gatewaySelector as string,
    agentSelector: values.agentSelector as string | undefined,
    deploymentName: values.deploymentName as string | undefined,
    prometheus: values.prometheus as string,
    rateWindowSeconds: values.rateWindow as number,
    mode: values.mode as Mode,
    minReplicas,
    maxReplicas,
    targetQueueFill: values.targetQueueFill as number,
    capacitySpansPerReplica: values.capacitySpansPerReplica as number,
    cpuPerReplicaCores: values.cpuPerReplica as number | undefined,
    targetUtilization: values.targetUtilization as number,
    backendFailureRatio: values.backendFailureRatio as number,
    decisionWaitSeconds,
    numTraces: values.numTraces as number,
    scaleInStep: values.scaleInStep as number,
    scaleInWindowSeconds: (values.scaleInWindow as number | undefined) ?? decisionWaitSeconds + 60,
    scaleInDrainSeconds: values.scaleInDrain as number | undefined,
    dnsResolverIntervalSeconds: values.dnsResolverInterval as number,
    dnsTtlSeconds: values.dnsTtl as number,
    dropPendingTracesOnShutdown: values.dropPendingTracesOnShutdown as boolean,
    activationSpansPerSecond: values.activationSpansPerSecond as number,
    decisionLatencyBudgetMs: (values.decisionLatencyBudget as number) * 1000,
    podStartupSeconds: values.podStartup as number,
    pollingIntervalSeconds: values.pollingInterval as number,
    staleAfterSeconds: values.staleAfter as number,
    forecastHistorySeconds: values.forecastHistory as number,
    forecastQuantile: values.forecastQuantile as number,
  });
}
