// Composition root (DESIGN.md "Layout"): reads the command line and the config, builds every part,
// wires them, starts them, and stops them on SIGTERM/SIGINT. It decides nothing and holds no logic a
// part could own.
import { Advisor } from './advisor/advisor.ts';
import { AdvisoryLoop } from './advisor/advisory-loop.ts';
import { parseCommandLine, USAGE, UsageError } from './cli/args.ts';
import { createLogger } from './cli/logger.ts';
import { exitOnShutdownSignals } from './cli/shutdown.ts';
import { parseDurationSeconds } from './config/duration.ts';
import { loadServerConfig, type ServerConfig } from './config/server-config.ts';
import { createSelfMetrics } from './dashboard/self-metrics.ts';
import { startDashboard } from './dashboard/start-dashboard.ts';
import { ScalerError } from './errors.ts';
import { ScalerGrpcServer } from './keda/scaler-grpc-server.ts';
import { PrometheusSignalSource } from './signals/prometheus-source.ts';
import { PrometheusSignalSources } from './signals/prometheus-sources.ts';

const NO_PROMETHEUS = `No Prometheus server is configured, so there is nothing to read gateway signals from.
Give one with --prometheus-url http://prometheus:9090 (or PROMETHEUS_URL), or define it in the
config file (--config FILE or CONFIG_FILE):

  prometheus:
    default:
      url: http://prometheus:9090
`;

/** An evaluation reads every query of a target in parallel, each bounded by queryTimeoutMs; this is the margin on top. */
const EVALUATION_MARGIN_MS = 1000;

function fail(message: string, exitCode: number): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(exitCode);
}

function readConfig(): ServerConfig {
  let commandLine: ReturnType<typeof parseCommandLine>;
  try {
    commandLine = parseCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\nRun \`npm start -- --help\` for the options.`, 2);
    throw error;
  }
  if (commandLine.kind === 'help') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  try {
    return loadServerConfig(commandLine.overrides);
  } catch (error) {
    if (error instanceof ScalerError) fail(`Invalid configuration:\n${error.message}`, 1);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  if (Object.keys(config.prometheus).length === 0) fail(NO_PROMETHEUS, 1);
  const logger = createLogger({ level: config.log.level });
  const selfMetrics = createSelfMetrics();

  const sources = new Map(
    Object.entries(config.prometheus).map(([serverName, server]) => [serverName, new PrometheusSignalSource({ serverName, server, observer: selfMetrics.prometheusQueries })]),
  );
  const advisor = new Advisor({
    sourceFor: (prometheusName: string) => sources.get(prometheusName),
    targetDefaults: config.targetDefaults,
    forgetAfterSeconds: parseDurationSeconds(config.advisor.forgetAfter)!,
    maxTargets: config.advisor.maxTargets,
    historyLength: config.advisor.historyLength,
    logger: logger.child({ component: 'advisor' }),
  });
  let advisoryLoop: AdvisoryLoop;
  try {
    advisoryLoop = new AdvisoryLoop({ schedule: config.advisor.schedule, targets: config.advisoryTargets, evaluator: advisor, logger: logger.child({ component: 'advisory-loop' }) });
  } catch (error) {
    if (error instanceof ScalerError) fail(`Invalid configuration:\n${error.message}`, 1);
    throw error;
  }
  const grpc = new ScalerGrpcServer({
    host: config.grpc.host,
    port: config.grpc.port,
    ...(config.grpc.tls ? { tls: config.grpc.tls } : {}),
    evaluator: advisor,
    decisionLog: advisor,
    targetDefaults: config.targetDefaults,
    prometheusNames: [...sources.keys()],
    evaluationTimeoutMs: Math.max(...Object.values(config.prometheus).map((server) => server.queryTimeoutMs)) + EVALUATION_MARGIN_MS,
    logger,
    observer: selfMetrics.grpcCalls,
  });

  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = () => Promise.all(stoppers.splice(0).map((stop) => stop())).then(() => undefined);
  try {
    const grpcAddress = await grpc.start();
    stoppers.push(() => grpc.stop());
    const dashboard = await startDashboard({
      config: config.http,
      decisionLog: advisor,
      signalHistory: new PrometheusSignalSources(sources.values()),
      readiness: [
        { name: 'config', check: () => ({ kind: 'ready' }) },
        {
          name: 'grpc',
          check: () => (grpc.serving ? { kind: 'ready' } : { kind: 'not-ready', reason: 'the gRPC server is not serving (starting or shutting down)' }),
        },
      ],
      selfMetrics,
      logger,
    });
    stoppers.push(() => dashboard.stop());
    advisoryLoop.start();
    stoppers.push(() => advisoryLoop.stop());
    logger.info(
      { grpc: grpcAddress, http: dashboard.url, prometheus: [...sources.keys()], advisoryTargets: config.advisoryTargets.length, tls: config.grpc.tls === undefined ? 'off' : config.grpc.tls.clientCaFile === undefined ? 'tls' : 'mtls' },
      'otel-gateway-scaler started',
    );
  } catch (error) {
    logger.error({ err: error }, 'could not start');
    await stopAll();
    fail(`Could not start: ${(error as Error).message}`, 1);
  }
  exitOnShutdownSignals({ logger, stop: stopAll });
}

void main();
