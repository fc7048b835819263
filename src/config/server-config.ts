// The scaler's own configuration: a YAML file (mounted ConfigMap) plus environment overrides, validated
// once at start-up against one schema that carries the defaults, then frozen. Errors name the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ScalerError } from '../errors.ts';
import { parseDurationSeconds } from './duration.ts';
import { METADATA_KEYS, type MetadataKey } from './target-metadata.ts';

const port = z.number().int().min(0).max(65_535);
const durationText = z.string().refine((value) => parseDurationSeconds(value) !== undefined, {
  message: 'must be a duration like "30s", "5m" or "1h"',
});
const metadataMap = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .refine((map) => Object.keys(map).every((key) => (METADATA_KEYS as string[]).includes(key)), {
    message: `keys must be scalerMetadata keys: ${METADATA_KEYS.join(', ')}`,
  });

const prometheusServer = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as http://prometheus:9090' }),
  /** Per query; below KEDA's 3 s metrics-server deadline so an answer (or an error) arrives in time. */
  queryTimeoutMs: z.number().int().min(100).max(60_000).default(2000),
  /** Reads of one target within this TTL share one result; KEDA polls GetMetricSpec and GetMetrics back to back. */
  cacheTtlMs: z.number().int().min(0).max(600_000).default(10_000),
  /** Optional bearer token file (e.g. a mounted ServiceAccount token for a Prometheus behind kube-rbac-proxy). */
  bearerTokenFile: z.string().min(1).optional(),
  /** Basic auth with the password read from a file (a mounted Secret), e.g. a Mimir or VictoriaMetrics gateway. */
  basicAuth: z.strictObject({ username: z.string().min(1), passwordFile: z.string().min(1) }).optional(),
  /** Sent with every query, e.g. `X-Scope-OrgID` for a Mimir or Cortex tenant. */
  headers: z
    .record(z.string(), z.string())
    .refine((headers) => Object.keys(headers).every((name) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)), {
      message: 'keys must be HTTP header names (letters, digits and !#$%&\'*+.^_`|~-)',
    })
    .refine((headers) => !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization'), {
      message: 'must not set Authorization: use bearerTokenFile or basicAuth, which are read from files and kept out of logs',
    })
    .optional(),
  /** Where the store serves the Prometheus HTTP API below url, e.g. `/prometheus` for Mimir (queries go to url + pathPrefix + /api/v1/…). */
  pathPrefix: z
    .string()
    .regex(/^\/[^?#]*[^/?#]$/, 'must start with "/" and not end with "/", e.g. /prometheus')
    .optional(),
}).refine((server) => !(server.bearerTokenFile !== undefined && server.basicAuth !== undefined), {
  message: 'set bearerTokenFile or basicAuth, not both',
});

const calendarWindow = z
  .strictObject({
    name: z.string().min(1),
    /** node-cron expression (with optional seconds field) for the window's start. */
    cron: z.string().min(1),
    duration: durationText,
    loadMultiplier: z.number().positive().max(100).optional(),
    minReplicas: z.number().int().min(1).max(10_000).optional(),
    /** namespace/name of targets it applies to; all targets when not set. */
    targets: z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'must be "namespace/name"')).optional(),
  })
  .refine((window) => window.loadMultiplier !== undefined || window.minReplicas !== undefined, {
    message: 'needs loadMultiplier or minReplicas (or both)',
  });

const alertRuleOverrides = z.strictObject({
  enabled: z.boolean().optional(),
  for: durationText.optional(),
  /** How long the condition must stay clear before the alert resolves (default: `for`, at most 5m). */
  keepFiringFor: durationText.optional(),
  threshold: z.number().optional(),
});

export const serverConfigSchema = z.strictObject({
  grpc: z
    .strictObject({
      // Loopback unless told otherwise: a scaler started by hand should not listen on every interface.
      // The shipped Kubernetes ConfigMap sets 0.0.0.0.
      host: z.string().default('127.0.0.1'),
      port: port.default(6000),
      tls: z
        .strictObject({
          certFile: z.string().min(1),
          keyFile: z.string().min(1),
          /** Set to require client certificates signed by this CA (mTLS, as KEDA sends with a TriggerAuthentication). */
          clientCaFile: z.string().min(1).optional(),
        })
        .optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** File holding the bearer token the dashboard and API require; open when not set. */
      bearerTokenFile: z.string().min(1).optional(),
      /** Base URL people reach the dashboard at, used in alert links. */
      publicUrl: z.url().optional(),
      /** What-if replays: how many run at once (the rest get 429), and how large and long each may be. */
      whatIf: z
        .strictObject({
          maxConcurrent: z.number().int().min(1).max(64).default(2),
          maxSteps: z.number().int().min(10).max(11_000).default(11_000),
          maxWindow: durationText.default('7d'),
          timeout: durationText.default('30s'),
        })
        .prefault({}),
    })
    .prefault({}),
  prometheus: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'names are lowercase letters, digits and dashes'), prometheusServer).default({}),
  targetDefaults: metadataMap.default({}),
  advisoryTargets: z
    .array(
      z.strictObject({
        namespace: z.string().min(1),
        name: z.string().min(1),
        metadata: metadataMap,
      }),
    )
    .default([]),
  advisor: z
    .strictObject({
      /** Targets not polled for this long are forgotten (bounded memory across ScaledObject churn). */
      forgetAfter: durationText.default('1h'),
      maxTargets: z.number().int().min(1).max(100_000).default(1000),
      /** Decisions kept per target for the dashboard history. */
      historyLength: z.number().int().min(10).max(100_000).default(2880),
      /** Estimated heap bytes of decision history across all targets; each keeps an equal share. */
      historyBytes: z.number().int().min(1024 * 1024).max(4 * 1024 * 1024 * 1024).default(16 * 1024 * 1024),
      /** node-cron schedule of the advisory loop over advisoryTargets. */
      schedule: z.string().default('*/30 * * * * *'),
    })
    .prefault({}),
  forecast: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** node-cron schedule of forecast refits per target. */
      refitSchedule: z.string().default('0 * * * *'),
    })
    .prefault({}),
  calendar: z.array(calendarWindow).default([]),
  alerts: z
    .strictObject({
      slack: z
        .strictObject({
          /**
           * Whether this replica sends to Slack. Replicas of one Deployment share one config, so with
           * more than one replica set it false and route the PrometheusRule through Alertmanager, or run
           * one extra single-replica sender (docs/alerts.md, "More than one replica").
           */
          sender: z.boolean().default(true),
          /** Name of the env var holding the incoming-webhook URL. */
          webhookUrlEnv: z.string().min(1).optional(),
          /** File holding the incoming-webhook URL (a mounted Secret). */
          webhookUrlFile: z.string().min(1).optional(),
          repeatInterval: durationText.default('4h'),
          /** Alerts of one target that fire within this wait go out as one message. */
          groupWait: durationText.default('30s'),
          /** Per HTTP attempt to the webhook. */
          sendTimeout: durationText.default('5s'),
          /** Overall time one message may spend in retries before it is given up. */
          deliveryDeadline: durationText.default('2m'),
          /** Messages waiting for Slack; when full the oldest is dropped (and counted). */
          queueCapacity: z.number().int().min(1).max(10_000).default(100),
        })
        .refine((slack) => !(slack.webhookUrlEnv !== undefined && slack.webhookUrlFile !== undefined), {
          message: 'set webhookUrlEnv or webhookUrlFile, not both',
        })
        .optional(),
      rules: z.record(z.string(), alertRuleOverrides).default({}),
    })
    .prefault({}),
  demo: z
    .strictObject({
      /** Simulated seconds per wall-clock second. */
      simSpeed: z.number().positive().max(10_000).default(60),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    })
    .prefault({}),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type TargetDefaults = Partial<Record<MetadataKey, string>>;

/** Command-line and environment values that override the file (flags win over env). */
export interface ConfigOverrides {
  readonly configFile?: string;
  readonly prometheusUrl?: string;
  readonly grpcPort?: number;
  readonly httpPort?: number;
  readonly simSpeed?: number;
}

function formatIssues(error: z.ZodError, origin: string): string {
  return error.issues
    .map((issue) => `${origin}: ${issue.path.length > 0 ? issue.path.join('.') : '(root)'} ${issue.message}`)
    .join('\n');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Validates an already-parsed config object (file content with overrides applied). */
export function parseServerConfig(raw: unknown, origin = 'config'): ServerConfig {
  const result = serverConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ScalerError('INVALID_SERVER_CONFIG', formatIssues(result.error, origin));
  return deepFreeze(result.data);
}

/** Reads the YAML file (if any), applies overrides, validates. Throws ScalerError INVALID_SERVER_CONFIG. */
export function loadServerConfig(overrides: ConfigOverrides): ServerConfig {
  let raw: Record<string, unknown> = {};
  const origin = overrides.configFile ?? 'config';
  if (overrides.configFile) {
    let text: string;
    try {
      text = readFileSync(overrides.configFile, 'utf8');
    } catch (error) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `cannot read config file ${overrides.configFile}: ${(error as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `${overrides.configFile} is not valid YAML: ${(error as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `${overrides.configFile} must hold a YAML mapping at the top level`);
    }
  }
  const merged: Record<string, unknown> = { ...raw };
  const section = (name: string) => ({ ...((raw[name] as Record<string, unknown> | undefined) ?? {}) });
  if (overrides.grpcPort !== undefined) merged.grpc = { ...section('grpc'), port: overrides.grpcPort };
  if (overrides.httpPort !== undefined) merged.http = { ...section('http'), port: overrides.httpPort };
  if (overrides.simSpeed !== undefined) merged.demo = { ...section('demo'), simSpeed: overrides.simSpeed };
  if (overrides.prometheusUrl !== undefined) {
    const servers = section('prometheus');
    merged.prometheus = { ...servers, default: { ...((servers.default as object | undefined) ?? {}), url: overrides.prometheusUrl } };
  }
  return parseServerConfig(merged, origin);
}
