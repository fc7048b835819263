// Composition root (DESIGN.md "Layout"): reads the command line and the config, builds every part,
// wires them, starts them, and stops them on SIGTERM/SIGINT. It decides nothing and holds no logic a
// part could own. With no Prometheus configured it runs the embedded demo: the simulated gateway
// tier stands in for Prometheus under the name `default`, on the demo's simulated clock.
import type { Logger } from 'pino';
import { Advisor } from './advisor/advisor.ts';
import { AdvisoryLoop } from './advisor/advisory-loop.ts';
import { parseCommandLine, USAGE, UsageError } from './cli/args.ts';
import { createLogger } from './cli/logger.ts';
import { exitOnShutdownSignals } from './cli/shutdown.ts';
import { parseDurationSeconds } from './config/duration.ts';
import { loadServerConfig, type ServerConfig } from './config/server-config.ts';
import { createSelfMetrics, type SelfMetrics } from './dashboard/self-metrics.ts';
import { startDashboard } from './dashboard/start-dashboard.ts';
import { ScalerError } from './errors.ts';
import { DEFAULT_EVALUATION_TIMEOUT_MS, ScalerGrpcServer } from './keda/scaler-grpc-server.ts';
import type { SignalHistory, SignalSource, TargetRef } from './signals/signal-snapshot.ts';
import { PrometheusSignalSource } from './signals/prometheus-source.ts';
import { PrometheusSignalSources } from './signals/prometheus-sources.ts';
import { type DemoFleet, startDemoFleet } from './sim/demo-fleet.ts';

const DEMO_NOTICE =
  'No Prometheus server is configured: running the embedded demo (a simulated gateway tier named "default"). ' +
  'To read real gateways give --prometheus-url http://prometheus:9090 (or PROMETHEUS_URL), or a `prometheus:` entry in the config file (--config FILE or CONFIG_FILE).';

/** An evaluation reads every query of a target in parallel, each bounded by queryTimeoutMs; this is the margin on top. */
const EVALUATION_MARGIN_MS = 1000;

/** Where signals come from and on which clock decisions are made. */
interface SignalWiring {
  readonly sources: ReadonlyMap<string, SignalSource>;
  readonly history: SignalHistory;
  readonly nowMs: () => number;
  readonly evaluationTimeoutMs: number;
  readonly demo: DemoFleet | undefined;
}

/** The demo asks the scaler like KEDA would: this is set once the Advisor exists. */
type DemoPoll = (target: TargetRef, metadata: Readonly<Record<string, string>>, simulatedNowMs: number) => Promise<number | undefined>;

function fail(message: string, exitCode: number): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(exitCode);
}

function configError(error: unknown): never {
  if (error instanceof ScalerError) fail(`Invalid configuration:\n${error.message}`, 1);
  throw error;
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
    configError(error);
  }
}

function prometheusWiring(config: ServerConfig, selfMetrics: SelfMetrics): SignalWiring {
  const sources = new Map(
    Object.entries(config.prometheus).map(([serverName, server]) => [serverName, new PrometheusSignalSource({ serverName, server, observer: selfMetrics.prometheusQueries })]),
  );
  return {
    sources,
    history: new PrometheusSignalSources(sources.values()),
    nowMs: Date.now,
    evaluationTimeoutMs: Math.max(...Object.values(config.prometheus).map((server) => server.queryTimeoutMs)) + EVALUATION_MARGIN_MS,
    demo: undefined,
  };
}

function demoWiring(config: ServerConfig, poll: () => DemoPoll | undefined): SignalWiring {
  const demo: DemoFleet = startDemoFleet({
    simSpeed: config.demo.simSpeed,
    poll: (simulatedNowMs) => poll()?.(demo.target, demo.metadata, simulatedNowMs) ?? Promise.resolve(undefined),
  });
  return {
    sources: new Map([['default', demo.source]]),
    history: demo.source,
    nowMs: () => demo.simulatedNowMs(),
    evaluationTimeoutMs: DEFAULT_EVALUATION_TIMEOUT_MS,
    demo,
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger: Logger = createLogger({ level: config.log.level });
  const selfMetrics = createSelfMetrics();

  let demoPoll: DemoPoll | undefined;
  const runDemo = Object.keys(config.prometheus).length === 0;
  if (runDemo) logger.warn({ simSpeed: config.demo.simSpeed }, DEMO_NOTICE);
  const signals = runDemo ? demoWiring(config, () => demoPoll) : prometheusWiring(config, selfMetrics);

  const advisor = new Advisor({
    sourceFor: (prometheusName: string) => signals.sources.get(prometheusName),
    targetDefaults: config.targetDefaults,
    forgetAfterSeconds: parseDurationSeconds(config.advisor.forgetAfter)!,
    maxTargets: config.advisor.maxTargets,
    historyLength: config.advisor.historyLength,
    logger: logger.child({ component: 'advisor' }),
  });
  demoPoll = (target, metadata, simulatedNowMs) =>
    advisor.evaluate(target, metadata, simulatedNowMs).then(
      (evaluation) => evaluation.decision.replicas,
      (error: unknown) => {
        logger.warn({ component: 'demo', err: error }, 'demo poll failed; the simulated HPA keeps its last value');
        return undefined;
      },
    );
  let advisoryLoop: AdvisoryLoop;
  try {
    advisoryLoop = new AdvisoryLoop({
      schedule: config.advisor.schedule,
      targets: config.advisoryTargets,
      evaluator: advisor,
      logger: logger.child({ component: 'advisory-loop' }),
      nowMs: signals.nowMs,
    });
  } catch (error) {
    configError(error);
  }
  const grpc = new ScalerGrpcServer({
    host: config.grpc.host,
    port: config.grpc.port,
    ...(config.grpc.tls ? { tls: config.grpc.tls } : {}),
    evaluator: advisor,
    decisionLog: advisor,
    targetDefaults: config.targetDefaults,
    prometheusNames: [...signals.sources.keys()],
    evaluationTimeoutMs: signals.evaluationTimeoutMs,
    logger,
    observer: selfMetrics.grpcCalls,
    nowMs: signals.nowMs,
  });

  const stoppers: (() => Promise<void> | void)[] = [];
  if (signals.demo) stoppers.push(() => signals.demo?.stop());
  const stopAll = () => Promise.all(stoppers.splice(0).map((stop) => stop())).then(() => undefined);
  try {
    const grpcAddress = await grpc.start();
    stoppers.push(() => grpc.stop());
    const dashboard = await startDashboard({
      config: config.http,
      decisionLog: advisor,
      signalHistory: signals.history,
      readiness: [
        { name: 'config', check: () => ({ kind: 'ready' }) },
        {
          name: 'grpc',
          check: () => (grpc.serving ? { kind: 'ready' } : { kind: 'not-ready', reason: 'the gRPC server is not serving (starting or shutting down)' }),
        },
      ],
      selfMetrics,
      logger,
      nowMs: signals.nowMs,
    });
    stoppers.push(() => dashboard.stop());
    advisoryLoop.start();
    stoppers.push(() => advisoryLoop.stop());
    logger.info(
      {
        grpc: grpcAddress,
        http: dashboard.url,
        prometheus: runDemo ? 'embedded demo' : [...signals.sources.keys()],
        advisoryTargets: config.advisoryTargets.length,
        tls: config.grpc.tls === undefined ? 'off' : config.grpc.tls.clientCaFile === undefined ? 'tls' : 'mtls',
      },
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
