// The embedded demo's gateway tier: the synthetic diurnal + weekly load on a simulated fleet whose
// time runs `simSpeed` times faster than the wall clock, with one backend outage per simulated day.
// It starts with `warmupDays` of history (replicas sized by the oracle) so forecasts and the
// dashboard have data at once; from then on the scaler drives it: every pollingInterval of
// simulated time the demo calls `poll` (what KEDA's GetMetrics would ask) and feeds the answer to an
// HPA with the example ScaledObject's behavior, which sets the fleet's replicas. The composition
// root wires `poll` to the scaler's evaluator and serves `exposition()` and `source`.
import type { TargetRef } from '../signals/signal-snapshot.ts';
import { SimulatedSignalSource } from '../signals/simulated-source.ts';
import { ExternalMetricHpa } from './autoscaler.ts';
import { OracleAutoscaler } from './baseline-autoscalers.ts';
import { loadExampleScaledObject } from './example-scaled-object.ts';
import { Fleet } from './fleet.ts';
import { FleetRecorder } from './fleet-recorder.ts';
import { fleetRoster } from './fleet-roster.ts';
import { DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS, type FleetSettings } from './fleet-settings.ts';
import { renderGatewayExposition } from './gateway-exposition.ts';
import { GatewayLedger } from './gateway-ledger.ts';
import { peakLoadSpansPerSecond } from './load-curve.ts';
import { dailyOutage, SCRAPE_DOWN_SHARE, type TimeWindow } from './scenario.ts';
import { SIMULATED_TARGET, simulatedTargetMetadata, simulatedTargetSettings } from './simulated-target.ts';
import { SyntheticLoadCurve } from './synthetic-load.ts';

/** Where the composition root serves `exposition()` on the HTTP port, for a real Prometheus to scrape (with honor_labels: true). */
export const DEMO_GATEWAY_METRICS_PATH = '/demo/gateways/metrics';

/** Content type of the Prometheus text exposition format that `exposition()` renders. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const DAY_MS = 86_400_000;
/** Catching up never simulates more than this per tick, so a stalled event loop cannot freeze the process. */
const MAX_CATCH_UP_SECONDS = 6 * 3600;

export interface DemoFleetOptions {
  /** Simulated seconds per wall-clock second; default 60 (a day in 24 minutes). */
  readonly simSpeed?: number;
  /** Seed of the load noise and the daily outage times; default 1. */
  readonly seed?: number;
  /** Wall clock (ms since epoch); default Date.now. The simulated clock starts at its value. */
  readonly nowMs?: () => number;
  /** The synthetic load's peak needs this many replicas at the target utilization; default 20. */
  readonly peakReplicas?: number;
  /** Simulated days of history before the start; default 7 (the forecast needs a few days). */
  readonly warmupDays?: number;
  /** Length of the daily backend outage; default 1800 s. */
  readonly outageSeconds?: number;
  /** Length of the daily window in which half the gateways' scrape targets are down (they keep running); default 900 s. */
  readonly scrapeDownSeconds?: number;
  /** Wall-clock ms between advances of the simulation; 0 = no timer (call `advance()` yourself). Default 200. */
  readonly tickMs?: number;
  /**
   * Asked every pollingInterval of simulated time with the simulated now, like KEDA's GetMetrics:
   * resolve to the replicas the scaler answers (decision.replicas), or undefined when it errored.
   */
  readonly poll?: (simulatedNowMs: number) => Promise<number | undefined>;
}

export interface DemoFleetStatus {
  readonly simulatedNowMs: number;
  /** The Deployment's replicas (not terminating), and those taking traffic. */
  readonly replicas: number;
  readonly ringReplicas: number;
  readonly offeredSpansPerSecond: number;
  /** The outage under way, if any, else the next one. */
  readonly outage: TimeWindow & { readonly active: boolean };
  /** The scrape-down window under way, if any, else the next one. */
  readonly scrapeDown: TimeWindow & { readonly active: boolean };
  readonly offeredSpans: number;
  readonly lostSpans: number;
}

export interface DemoFleet {
  /** The simulated tier: evaluate this target with `metadata`. */
  readonly target: TargetRef;
  /** scalerMetadata for the target (the example ScaledObject's trigger, with the fleet's facts). */
  readonly metadata: Readonly<Record<string, string>>;
  /** SignalSource + SignalHistory of the simulated gateways, on the simulated clock. */
  readonly source: SimulatedSignalSource;
  readonly simSpeed: number;
  /** Simulated time now (ms since epoch); pass it as `nowMs` when evaluating the target. */
  simulatedNowMs(): number;
  /** Prometheus text of every scraped gateway (`instance`/`pod` labels; scrape with honor_labels: true). */
  exposition(): string;
  /** What KEDA would hand the HPA: desired replicas (targetSize 1). The HPA acts on it at its next sync. */
  reportDesiredReplicas(replicas: number): void;
  /** Sets the Deployment's replicas directly, bypassing the HPA (manual experiments). */
  setReplicas(replicas: number): void;
  status(): DemoFleetStatus;
  /** Simulates up to the simulated clock's now (the timer calls it; with tickMs 0 call it yourself). */
  advance(): Promise<void>;
  stop(): void;
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`demo ${name} must be a positive number, got ${value}`);
  return value;
}

/** Starts the demo fleet (and its timer unless tickMs is 0). */
export function startDemoFleet(options: DemoFleetOptions = {}): DemoFleet {
  const simSpeed = positive(options.simSpeed ?? 60, 'simSpeed');
  const seed = options.seed ?? 1;
  const wallClock = options.nowMs ?? Date.now;
  const warmupDays = options.warmupDays ?? 7;
  if (!(warmupDays >= 0)) throw new RangeError(`demo warmupDays must be ≥ 0, got ${warmupDays}`);
  const outageSeconds = positive(options.outageSeconds ?? 1800, 'outageSeconds');
  const scrapeDownSeconds = positive(options.scrapeDownSeconds ?? 900, 'scrapeDownSeconds');
  const tickMs = options.tickMs ?? 200;
  const scaledObject = loadExampleScaledObject();
  const metadata = simulatedTargetMetadata(scaledObject);
  const settings = simulatedTargetSettings(scaledObject);
  // The gateways drain and treat what they hold when stopped as the example trigger says they do.
  const fleetSettings: FleetSettings = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: settings.scaleInDrainSeconds ?? 0, dropsPendingTracesOnShutdown: settings.dropPendingTracesOnShutdown };
  const peakReplicas = positive(options.peakReplicas ?? DEFAULT_SCENARIO_SETTINGS.peakReplicas, 'peakReplicas');
  const peak = peakLoadSpansPerSecond(peakReplicas);
  const backendSpansPerSecond = DEFAULT_SCENARIO_SETTINGS.backendPeakMultiple * peak;

  const dt = fleetSettings.stepSeconds;
  const stepMs = dt * 1000;
  const wallStartMs = wallClock();
  const liveStartMs = Math.floor(wallStartMs / stepMs) * stepMs;
  const startMs = liveStartMs - Math.round((warmupDays * DAY_MS) / stepMs) * stepMs;
  const load = new SyntheticLoadCurve(startMs, peak, seed);
  // The warm-up is a well-run tier: provisioned ahead at the target utilization, not at the lossless edge.
  const oracle = new OracleAutoscaler(fleetSettings, fleetSettings.capacitySpansPerSecond * fleetSettings.targetUtilization);
  const fleet = new Fleet(fleetSettings, { initialReplicas: oracle.initialReplicas(load) });
  const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds: settings.forecastHistorySeconds + 3600 });
  recorder.record(fleet.observed);
  const ledger = new GatewayLedger(fleet);
  const simulatedNowMs = () => liveStartMs + (wallClock() - wallStartMs) * simSpeed;
  const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder), nowMs: simulatedNowMs });
  const hpa = new ExternalMetricHpa({
    hpaSyncSeconds: DEFAULT_SCENARIO_SETTINGS.hpaSyncSeconds,
    hpaSyncOffsetSeconds: dt,
    tolerance: DEFAULT_SCENARIO_SETTINGS.hpaTolerance,
    minReplicas: fleetSettings.minReplicas,
    maxReplicas: fleetSettings.maxReplicas,
    behavior: scaledObject.behavior,
    targetAverageValue: 1,
  });
  const outages = new Map<number, TimeWindow>();
  const outageOn = (timeMs: number): TimeWindow => {
    const day = Math.floor(timeMs / DAY_MS);
    let window = outages.get(day);
    if (!window) {
      window = dailyOutage(day * DAY_MS, outageSeconds, seed);
      outages.set(day, window);
      outages.delete(day - 2);
    }
    return window;
  };
  // Its own seeded stream, so the scrape-down window does not coincide with the outage.
  let scrapeDownDay: { readonly day: number; readonly window: TimeWindow } | undefined;
  const scrapeDownOn = (timeMs: number): TimeWindow => {
    const day = Math.floor(timeMs / DAY_MS);
    if (scrapeDownDay?.day !== day) scrapeDownDay = { day, window: dailyOutage(day * DAY_MS, scrapeDownSeconds, seed + 1) };
    return scrapeDownDay.window;
  };
  let desired: number | undefined;
  let advancing: Promise<void> | undefined;
  let stopped = false;

  const simulateStep = () => {
    const nowMs = startMs + fleet.stepIndex * stepMs;
    const window = outageOn(nowMs);
    const outage = nowMs >= window.startMs && nowMs < window.endMs;
    const scrapeDown = scrapeDownOn(nowMs);
    fleet.unscrapedTargets = nowMs >= scrapeDown.startMs && nowMs < scrapeDown.endMs ? Math.floor(fleet.readyReplicas * SCRAPE_DOWN_SHARE) : 0;
    fleet.step(Math.round(load.spansPerSecondAt(nowMs) * dt), backendSpansPerSecond, outage);
    recorder.record(fleet.observed);
    ledger.update(nowMs + stepMs);
  };

  // Warm-up history, replicas sized by the oracle; the live part starts at the wall clock's now.
  while (startMs + fleet.stepIndex * stepMs < liveStartMs) {
    oracle.control({ nowMs: startMs + fleet.stepIndex * stepMs, elapsedSeconds: fleet.stepIndex * dt, fleet, source, load });
    simulateStep();
  }

  const catchUp = async () => {
    const targetStep = Math.floor((simulatedNowMs() - startMs) / stepMs);
    const lastStep = Math.min(targetStep, fleet.stepIndex + MAX_CATCH_UP_SECONDS / dt);
    while (!stopped && fleet.stepIndex < lastStep) {
      const nowMs = startMs + fleet.stepIndex * stepMs;
      const elapsed = fleet.stepIndex * dt;
      if (options.poll && elapsed % scaledObject.pollingIntervalSeconds === 0) {
        const answer = await options.poll(nowMs);
        if (answer !== undefined) desired = answer;
      }
      if (desired !== undefined && hpa.syncsAt(elapsed)) hpa.sync(elapsed, fleet, desired);
      simulateStep();
    }
  };

  const advance = (): Promise<void> => {
    if (!advancing) advancing = catchUp().finally(() => (advancing = undefined));
    return advancing;
  };

  const timer = tickMs > 0 ? setInterval(() => void advance(), tickMs) : undefined;
  timer?.unref();

  return {
    target: SIMULATED_TARGET,
    metadata,
    source,
    simSpeed,
    simulatedNowMs,
    exposition: () => renderGatewayExposition(ledger.gatewaysNow(), startMs + fleet.stepIndex * stepMs),
    reportDesiredReplicas(replicas: number) {
      if (!(Number.isInteger(replicas) && replicas >= 0)) throw new RangeError(`desired replicas must be an integer ≥ 0, got ${replicas}`);
      desired = replicas;
    },
    setReplicas: (replicas: number) => fleet.setReplicas(replicas),
    status() {
      const nowMs = startMs + fleet.stepIndex * stepMs;
      let window = outageOn(nowMs);
      if (nowMs >= window.endMs) window = outageOn(nowMs + DAY_MS);
      return {
        simulatedNowMs: nowMs,
        replicas: fleet.replicas,
        ringReplicas: fleet.ringReplicas,
        offeredSpansPerSecond: load.spansPerSecondAt(nowMs),
        outage: { ...window, active: nowMs >= window.startMs && nowMs < window.endMs },
        scrapeDown: (() => {
          let down = scrapeDownOn(nowMs);
          if (nowMs >= down.endMs) down = scrapeDownOn(nowMs + DAY_MS);
          return { ...down, active: nowMs >= down.startMs && nowMs < down.endMs };
        })(),
        offeredSpans: fleet.totals.offered,
        lostSpans: fleet.lostSpans,
      };
    },
    advance,
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}
