// The command line of `npm start`: flags, their environment variables, and the usage text. Flags win
// over the environment; everything else comes from the config file (see server-config.ts).
import { parseArgs } from 'node:util';
import type { ConfigOverrides } from '../config/server-config.ts';

/** What the command line asked for: the usage text, or a start with these overrides. */
export type CommandLine = { readonly kind: 'help' } | { readonly kind: 'start'; readonly overrides: ConfigOverrides };

/** A command line that cannot be run; main prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: npm start -- [options]

KEDA external scaler and autoscaling advisor for OpenTelemetry Collector gateway tiers.

Options (each has an environment variable; the flag wins when both are set):
  --config FILE          server config YAML (env CONFIG_FILE); see docs/configuration.md
  --prometheus-url URL   defines the Prometheus server named "default" (env PROMETHEUS_URL),
                         e.g. http://prometheus.monitoring:9090
  --grpc-port N          port of the KEDA gRPC service (env GRPC_PORT; default 6000)
  --http-port N          port of the dashboard, /metrics, /healthz and /readyz (env HTTP_PORT; default 8080)
  --sim-speed X          embedded demo only: simulated seconds per wall-clock second (env SIM_SPEED;
                         default 60, so a simulated day passes in 24 minutes)
  -h, --help             show this text

Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 could not start (config, ports, TLS files),
2 bad command line.
`;

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
  let values: { config?: string; 'prometheus-url'?: string; 'grpc-port'?: string; 'http-port'?: string; 'sim-speed'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        'prometheus-url': { type: 'string' },
        'grpc-port': { type: 'string' },
        'http-port': { type: 'string' },
        'sim-speed': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };

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
