// The command line of `npm start`: flags, their environment variables, and the usage text. Flags win
// over the environment; everything else comes from the config file (see server-config.ts).
import type { ConfigOverrides } from '../config/server-config.ts';
import { type CommandSpec, helpText, parseCommand, UsageError } from './command-line.ts';

/** What the command line asked for: the usage text, the version, or a start with these overrides. */
export type CommandLine = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'start'; readonly overrides: ConfigOverrides };

export const MAIN_COMMAND: CommandSpec = {
  name: 'otel-gateway-scaler',
  usage: ['npm start -- [options]', 'node dist/main.js [options]   (the built entry point, which the image runs)'],
  summary: 'KEDA external scaler and autoscaling advisor for OpenTelemetry Collector gateway tiers.\nEach option has an environment variable; the flag wins when both are set.',
  options: {
    config: { value: 'FILE', description: 'server config YAML (env CONFIG_FILE); see docs/configuration.md' },
    'prometheus-url': {
      value: 'URL',
      description: 'defines the Prometheus server named "default" (env PROMETHEUS_URL),\ne.g. http://prometheus.monitoring:9090; with none, the embedded demo runs',
    },
    'grpc-port': { value: 'N', description: 'port of the KEDA gRPC service (env GRPC_PORT; default 6000)' },
    'http-port': { value: 'N', description: 'port of the dashboard, /metrics, /healthz and /readyz (env HTTP_PORT; default 8080)' },
    'sim-speed': {
      value: 'X',
      description: 'embedded demo only: simulated seconds per wall-clock second (env SIM_SPEED;\ndefault 60, so a simulated day passes in 24 minutes)',
    },
  },
  footer: 'Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 could not start (config, ports, TLS files),\n2 bad command line.',
};

export const USAGE = helpText(MAIN_COMMAND);

function portFrom(text: string, origin: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65_535) {
    throw new UsageError(`${origin} must be a port number from 0 to 65535, got "${text}"`);
  }
  return Number(text);
}

function speedFrom(text: string, origin: string): number {
  const speed = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(speed > 0) || speed > 10_000) {
    throw new UsageError(`${origin} must be a number above 0 and at most 10000 (simulated seconds per second), got "${text}"`);
  }
  return speed;
}

function urlFrom(text: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${origin} must be an http(s) URL such as http://prometheus:9090, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${origin} must be an http(s) URL such as http://prometheus:9090, got "${text}"`);
  }
  return text;
}

/** The environment variables read, for docs/running.md and tests. */
export const ENV_VARIABLES = ['CONFIG_FILE', 'PROMETHEUS_URL', 'GRPC_PORT', 'HTTP_PORT', 'SIM_SPEED'] as const;

/** Parses argv (without node and script) and the environment. Throws UsageError naming the flag or variable. */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine {
  const parsed = parseCommand(MAIN_COMMAND, argv);
  if (parsed.kind !== 'run') return parsed;
  const values = parsed.values as { config?: string; 'prometheus-url'?: string; 'grpc-port'?: string; 'http-port'?: string; 'sim-speed'?: string };

  const pick = (flag: keyof typeof values, variable: (typeof ENV_VARIABLES)[number]) => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { text: fromFlag, origin: `--${flag}` };
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : { text: fromEnv, origin: variable };
  };
  const configFile = pick('config', 'CONFIG_FILE');
  const prometheusUrl = pick('prometheus-url', 'PROMETHEUS_URL');
  const grpcPort = pick('grpc-port', 'GRPC_PORT');
  const httpPort = pick('http-port', 'HTTP_PORT');
  const simSpeed = pick('sim-speed', 'SIM_SPEED');
  if (configFile && configFile.text.trim() === '') throw new UsageError(`${configFile.origin} must name a file`);

  return {
    kind: 'start',
    overrides: {
      ...(configFile ? { configFile: configFile.text } : {}),
      ...(prometheusUrl ? { prometheusUrl: urlFrom(prometheusUrl.text, prometheusUrl.origin) } : {}),
      ...(grpcPort ? { grpcPort: portFrom(grpcPort.text, grpcPort.origin) } : {}),
      ...(httpPort ? { httpPort: portFrom(httpPort.text, httpPort.origin) } : {}),
      ...(simSpeed ? { simSpeed: speedFrom(simSpeed.text, simSpeed.origin) } : {}),
    },
  };
}
