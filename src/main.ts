// Composition root: reads the command line and the config, builds every part,
// wires them, starts them, and stops them on SIGTERM/SIGINT. It decides nothing and holds no logic a
// part could own. With no Prometheus configured it runs the embedded demo: the simulated gateway
// tier stands in for Prometheus under the name `default`, on the demo's simulated clock.
import type { Logger } from 'pino';
import { Advisor } from './advisor/advisor.ts';
import { AdvisoryLoop } from './advisor/advisory-loop.ts';
import { calendarProvider, calendarWindowsFromConfig } from './advisor/calendar-provider.ts';
import { CapacityRefresher } from './advisor/capacity-refresher.ts';
import { ForecastRefresher } from './advisor/forecast-refresher.ts';
import { RingSpreadRefresher } from './advisor/ring-spread-refresher.ts';
import { EarlierPeaksRefresher } from './advisor/earlier-peaks-refresher.ts';
import { ReplicaHistoryRefresher } from './advisor/replica-history-refresher.ts';
import { createAlerting } from './alerts/create-alerting.ts';
import { parseCommandLine, USAGE } from './cli/args.ts';
import { projectVersion, UsageError } from './cli/command-line.ts';
import { createLogger } from './cli/logger.ts';
import { exitOnShutdownSignals, type StoppablePart, stopParts } from './cli/shutdown.ts';
import { parseDurationSeconds } from './config/duration.ts';
import { loadServerConfig, type ServerConfig } from './config/server-config.ts';
import { createSelfMetrics, type SelfMetrics } from './dashboard/self-metrics.ts';
import type { ReadinessCheck } from './dashboard/readiness.ts';
import { type ExtraRoute, startDashboard } from './dashboard/start-dashboard.ts';
import { ScalerError } from './errors.ts';
import { DEFAULT_EVALUATION_TIMEOUT_MS, ScalerGrpcServer } from './keda/scaler-grpc-server.ts';
import type { CpuLoadHistory } from './signals/cpu-load-history.ts';
import type { ReplicaCountHistory } from './signals/replica-count-history.ts';
import type { RingShareHistory } from './signals/ring-share-history.ts';
import type { EarlierPeaksHistory, DecisionSeriesHistory } from './signals/decision-series.ts';
import type { SignalHistory, SignalSource, TargetRef } from './signals/signal-snapshot.ts';
import { PrometheusSignalSource } from './signals/prometheus-source.ts';
import { PrometheusSignalSources } from './signals/prometheus-sources.ts';
import { DEMO_GATEWAY_METRICS_PATH, type DemoFleet, EXPOSITION_CONTENT_TYPE, startDemoFleet } from './sim/demo-fleet.ts';

const DEMO_NOTICE =
  'No Prometheus server is configured: running the embedded demo (a simulated gateway tier named "default"). ' +
  'To read real gateways give --prometheus-url http://prometheus:9090 (or PROMETHEUS_URL), or a `prometheus:` entry in the config file (--config FILE or CONFIG_FILE).';

/** An evaluation reads every query of a target in parallel, each bounded by queryTimeoutMs; this is the margin on top. */
const EVALUATION_MARGIN_MS = 1000;

/**
 * The demo's tier lives simSpeed times faster than the wall clock; refitting every wall-clock minute
 * keeps the default "hourly" refits hourly in the tier's time (at the default simSpeed 60).
 */
const DEMO_REFIT_SCHEDULE = '* * * * *';

/** Where signals come from and on which clock decisions are made. */
interface SignalWiring {
  readonly sources: ReadonlyMap<string, SignalSource>;
  /** The scaler's own decisions as Prometheus scraped them; undefined in the demo (no Prometheus scrapes it). */
  readonly decisionSeries: (DecisionSeriesHistory & EarlierPeaksHistory) | undefined;
  readonly history: SignalHistory & CpuLoadHistory & ReplicaCountHistory & RingShareHistory;
  readonly nowMs: () => number;
  readonly evaluationTimeoutMs: number;
  /** node-cron schedule of forecast refits. */
  readonly refitSchedule: string;
  readonly demo: DemoFleet | undefined;
  /** /readyz checks for the signal sources: every configured Prometheus answers a query. */
  readonly readiness: readonly ReadinessCheck[];
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
  if (commandLine.kind === 'version') {
    process.stdout.write(`${projectVersion()}\n`);
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
    Object.entries(config.prometheus).map(([serverName, server]) => [serverName, new PrometheusSignalSource({ serverName, server, observer: selfMetrics.prometheusQueries, maxCachedSnapshots: config.advisor.maxTargets })]),
  );
  const readiness = [...sources.values()].map(
    (source): ReadinessCheck => ({
      name: `prometheus:${source.serverName}`,
      check: async () => {
        const reachability = await source.checkReachable();
        return reachability.kind === 'reachable' ? { kind: 'ready' } : { kind: 'not-ready', reason: reachability.reason };
      },
    }),
  );
  const history = new PrometheusSignalSources(sources.values());
  return {
    sources,
    readiness,
    history,
    decisionSeries: history,
    nowMs: Date.now,
    evaluationTimeoutMs: Math.max(...Object.values(config.prometheus).map((server) => server.queryTimeoutMs)) + EVALUATION_MARGIN_MS,
    refitSchedule: config.forecast.refitSchedule,
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
    decisionSeries: undefined,
    nowMs: () => demo.simulatedNowMs(),
    evaluationTimeoutMs: DEFAULT_EVALUATION_TIMEOUT_MS,
    refitSchedule: DEMO_REFIT_SCHEDULE,
    demo,
    readiness: [],
  };
}

/** The simulated gateways' /metrics, so a real Prometheus can scrape the demo. */
function demoRoutes(demo: DemoFleet): ReadonlyMap<string, ExtraRoute> {
  return new Map([[DEMO_GATEWAY_METRICS_PATH, { contentType: EXPOSITION_CONTENT_TYPE, render: () => demo.exposition() }]]);
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger: Logger = createLogger({ level: config.log.level });
  const selfMetrics = createSelfMetrics();

  let demoPoll: DemoPoll | undefined;
  const runDemo = Object.keys(config.prometheus).length === 0;
  if (runDemo) logger.warn({ simSpeed: config.demo.simSpeed }, DEMO_NOTICE);
  const signals = runDemo ? demoWiring(config, () => demoPoll) : prometheusWiring(config, selfMetrics);

  const forgetAfterSeconds = parseDurationSeconds(config.advisor.forgetAfter)!;
  let calendarFor: ReturnType<typeof calendarProvider>;
  let forecasts: ForecastRefresher | undefined;
  try {
    calendarFor = calendarProvider(calendarWindowsFromConfig(config.calendar));
    if (config.forecast.enabled) {
      forecasts = new ForecastRefresher({
        history: signals.history,
        schedule: signals.refitSchedule,
        forgetAfterSeconds,
        maxTargets: config.advisor.maxTargets,
        logger: logger.child({ component: 'forecast' }),
        nowMs: signals.nowMs,
      });
    }
  } catch (error) {
    configError(error);
  }
  const { maxTargets } = config.advisor;
  const capacities = new CapacityRefresher({ history: signals.history, forgetAfterSeconds, maxTargets, logger: logger.child({ component: 'capacity' }) });
  const replicaHistories = new ReplicaHistoryRefresher({ history: signals.history, forgetAfterSeconds, maxTargets, logger: logger.child({ component: 'replica-history' }) });
  const ringSpreads = new RingSpreadRefresher({ history: signals.history, forgetAfterSeconds, maxTargets, logger: logger.child({ component: 'ring' }) });
  const earlierPeaks = signals.decisionSeries
    ? new EarlierPeaksRefresher({ history: signals.decisionSeries, forgetAfterSeconds, maxTargets, logger: logger.child({ component: 'earlier-peaks' }) })
    : undefined;
  const advisor = new Advisor({
    sourceFor: (prometheusName: string) => signals.sources.get(prometheusName),
    targetDefaults: config.targetDefaults,
    forgetAfterSeconds,
    maxTargets: config.advisor.maxTargets,
    historyLength: config.advisor.historyLength,
    historyBytes: config.advisor.historyBytes,
    stateHistory: signals.history,
    ...(forecasts ? { forecastFor: forecasts.forecastFor } : {}),
    calendarFor,
    capacityFor: (target, settings, nowMs) => capacities.estimateFor(target, settings, nowMs),
    replicaHistoryFor: (target, settings, nowMs) => replicaHistories.figuresFor(target, settings, nowMs),
    ringSpreadFor: (target, settings, nowMs) => ringSpreads.spreadFor(target, settings, nowMs),
    ...(earlierPeaks ? { earlierPeaksFor: earlierPeaks.earlierPeaksFor.bind(earlierPeaks) } : {}),
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
  let alerting: ReturnType<typeof createAlerting>;
  try {
    alerting = createAlerting({
      config: config.alerts,
      decisionLog: advisor,
      logger: logger.child({ component: 'alerts' }),
      observer: selfMetrics.alerting,
      dashboardBaseUrl: config.http.publicUrl,
      clock: Date.now,
      random: Math.random,
    });
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

  const parts: StoppablePart[] = [{ name: 'alerts', stop: () => alerting.stop() }];
  if (signals.demo) parts.push({ name: 'demo', stop: () => signals.demo?.stop() });
  const stopAll = () => stopParts(parts.splice(0), { logger });
  try {
    const grpcAddress = await grpc.start();
    parts.push({ name: 'grpc', stop: () => grpc.stop() });
    const dashboard = await startDashboard({
      config: config.http,
      whatIfLimits: {
        maxConcurrent: config.http.whatIf.maxConcurrent,
        maxSteps: config.http.whatIf.maxSteps,
        maxWindowSeconds: parseDurationSeconds(config.http.whatIf.maxWindow)!,
        timeoutMs: parseDurationSeconds(config.http.whatIf.timeout)! * 1000,
      },
      decisionLog: advisor,
      signalHistory: signals.history,
      ...(signals.decisionSeries ? { decisionSeries: signals.decisionSeries } : {}),
      readiness: [
        { name: 'config', check: () => ({ kind: 'ready' }) },
        {
          name: 'grpc',
          check: () => (grpc.serving ? { kind: 'ready' } : { kind: 'not-ready', reason: 'the gRPC server is not serving (starting or shutting down)' }),
        },
        ...signals.readiness,
      ],
      selfMetrics,
      logger,
      nowMs: signals.nowMs,
      clock: signals.demo ? 'simulated' : 'wall',
      ...(signals.demo ? { extraRoutes: demoRoutes(signals.demo) } : {}),
    });
    parts.push({ name: 'dashboard', stop: () => dashboard.stop() });
    advisoryLoop.start();
    parts.push({ name: 'advisory-loop', stop: () => advisoryLoop.stop() });
    if (forecasts) {
      forecasts.start();
      const refresher = forecasts;
      parts.push({ name: 'forecast-refits', stop: () => refresher.stop() });
    }
    // Before the line that says it started: until a listener exists a signal kills the process outright.
    exitOnShutdownSignals({ logger, stop: stopAll });
    logger.info(
      {
        grpc: grpcAddress,
        http: dashboard.url,
        prometheus: runDemo ? 'embedded demo' : [...signals.sources.keys()],
        ...(runDemo ? { demoGatewayMetrics: `${dashboard.url}${DEMO_GATEWAY_METRICS_PATH}` } : {}),
        advisoryTargets: config.advisoryTargets.length,
        forecasts: forecasts ? signals.refitSchedule : 'off',
        calendarWindows: config.calendar.length,
        tls: config.grpc.tls === undefined ? 'off' : config.grpc.tls.clientCaFile === undefined ? 'tls' : 'mtls',
      },
      'otel-gateway-scaler started',
    );
  } catch (error) {
    logger.error({ err: error }, 'could not start');
    await stopAll();
    fail(`Could not start: ${(error as Error).message}`, 1);
  }
}

void main();
