// Overload, two ways a real gateway runs out of room, each under more load than two gateways take:
// - CPU: gateways pinned to a small CPU share (GOMAXPROCS=1 and a cgroup quota). At v0.161.0 a
//   CPU-throttled gateway does not refuse (its heap stays far below the memory_limiter's limit): its
//   decision ticks wait for CPU and run long. A tick needing more CPU than one CFS period's quota waits
//   out the rest of that period (100 ms) for each quota it needs, so ticks shorten as gateways join
//   and each tick holds fewer traces.
// - Memory: a memory_limiter limit below what decision_wait × traces/s holds. The gateways refuse, and
//   the agents retry what was refused.
// In both, the scaler must ask for more gateways. Added as KEDA and the HPA would (poll every few
// seconds, scale up to any answer above what runs), the tier ends within its limits
// at the same offered load, with nothing refused or failed and no more gateways than allowed.
// A third suite starves one gateway of two: it accepts less than its share, which by accepted spans
// alone reads as a hot spot on the other, and the scaler must still read it as falling behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/decision.ts';
import { decisionLatencyByGatewayExpression } from '../../src/signals/promql-catalogue.ts';
import { queryVector, waitForScrapeHistory } from '../support/prometheus.ts';
import { GATEWAY_SELECTOR, type GatewayTier, type GatewayTierOptions } from './support/gateway-tier.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';

const RATE_WINDOW_SECONDS = 15;
const GATEWAYS = 2;
/** Room above the load's need: throttled ticks reach the budget only well below a gateway's capacity. */
const MAX_GATEWAYS = 8;
const SPANS_PER_TRACE = 10;
const LATENCY_BUDGET_MS = 250;
/** New gateways take traffic once the agents re-resolve (≤ 6 s). */
const RING_UPDATE_MS = 8000;
/** How long the tier runs with its new gateways before it is judged. */
const RELIEF_WINDOW_SECONDS = 30;
/** Relief windows polled again at one size while the tier reads over its limits (see scaleAsKedaWould). */
const EXTRA_RELIEF_WINDOWS = 2;
/** KEDA's pollingInterval here: a third of the scaler's 15 s rate window, so every moment is in some poll's window. */
const POLLING_INTERVAL_SECONDS = 5;
/** One step of scaleAsKedaWould: the agents re-resolve, a relief window is polled through, and its scrapes are recorded. */
const SCALE_STEP_MS = RING_UPDATE_MS + (RELIEF_WINDOW_SECONDS + RATE_WINDOW_SECONDS) * 1000;
/**
 * scaleAsKedaWould at its longest: over its latency budget the scaler asks for one count the HPA carries
 * out at a time, so up to a step per gateway to MAX_GATEWAYS, and the extra relief windows.
 */
const SCALE_OUT_LONGEST_MS = (MAX_GATEWAYS - GATEWAYS + EXTRA_RELIEF_WINDOWS) * SCALE_STEP_MS;

interface TierFigures {
  readonly refused: number;
  readonly accepted: number;
  readonly tickP99Ms: number;
}

/**
 * Fleet figures over `windowSeconds`. The tick p99 pools every gateway's ticks: over one 15 s window a
 * gateway has 15 ticks, so its own p99 is its slowest tick, and one tick of a throttled gateway that
 * waits two 100 ms CFS periods reads as ~286 ms. Pooled over the gateways and a longer window, one
 * slow tick no longer decides the figure.
 */
async function tierFigures(tier: GatewayTier, windowSeconds: number): Promise<TierFigures> {
  const one = async (promql: string) => (await queryVector(tier.prometheus.url, promql))[0]?.value ?? 0;
  return {
    refused: await one(`sum(rate(otelcol_receiver_refused_spans{${GATEWAY_SELECTOR}}[${windowSeconds}s]))`),
    accepted: await one(`sum(rate(otelcol_receiver_accepted_spans{${GATEWAY_SELECTOR}}[${windowSeconds}s]))`),
    tickP99Ms: await one(
      `histogram_quantile(0.99, sum by (le) (rate(otelcol_processor_tail_sampling_sampling_decision_timer_latency_bucket{${GATEWAY_SELECTOR}}[${windowSeconds}s])))`,
    ),
  };
}

interface ScaledOut {
  readonly firstAnswer: number;
  /** The decision behind the first answer. */
  readonly firstDecision: Decision;
  /** The last poll's answer. */
  readonly answer: number;
  readonly relieved: TierFigures;
  readonly offeredSpansPerSecond: number;
  /** Spans the load generator failed to hand to the agents in the last measured window. */
  readonly failedSpans: number;
  /** Gateways, answer and figures after each step, and the last decision: the assertion messages. */
  readonly trail: string;
}

/**
 * Scales the tier to each answer of the scaler until it asks for no more, at most to MAX_GATEWAYS. The
 * scaler is polled through each relief window as KEDA polls it, and any poll that asks for more scales
 * the tier (the HPA scales up on its latest recommendation): refusals come and go with the heap, so one
 * poll at the window's end could miss what the window held. The scaler reads a 15 s window and the
 * relief is judged over 30 s, so a tier at the edge of its budget can read within it at every poll while
 * the longer window holds a slow stretch: while the relief window is over its limits, the scaler is
 * polled through up to EXTRA_RELIEF_WINDOWS more, and must ask for more gateways if its reads see it too.
 */
async function scaleAsKedaWould(scenario: TierScenario): Promise<ScaledOut> {
  const { tier, scaler, load } = scenario;
  const firstAnswer = await scaler.poll();
  const firstDecision = scaler.latest();
  const firstLatencyByGateway = await queryVector(tier.prometheus.url, decisionLatencyByGatewayExpression(GATEWAY_SELECTOR, `${RATE_WINDOW_SECONDS}s`));
  const steps: { gateways: number; answers: number[]; figures: TierFigures }[] = [];
  let wanted = firstAnswer;
  let lastAnswer = firstAnswer;
  let relieved = await tierFigures(tier, RELIEF_WINDOW_SECONDS);
  let failedBefore = load.failedSpans();
  let extraWindows = 0;
  while (tier.gateways().length < MAX_GATEWAYS) {
    if (wanted > tier.gateways().length) {
      while (tier.gateways().length < wanted) await tier.addGateway();
      await sleep(RING_UPDATE_MS);
      failedBefore = load.failedSpans();
      extraWindows = 0;
    } else if (steps.length > 0 && !withinLimits(relieved) && extraWindows < EXTRA_RELIEF_WINDOWS) {
      extraWindows++;
    } else {
      break;
    }
    const answers: number[] = [];
    for (let polled = 0; polled < RELIEF_WINDOW_SECONDS; polled += POLLING_INTERVAL_SECONDS) {
      await sleep(POLLING_INTERVAL_SECONDS * 1000);
      answers.push(await scaler.poll());
    }
    lastAnswer = answers.at(-1)!;
    wanted = Math.max(...answers);
    await waitForScrapeHistory(tier.prometheus.url, GATEWAY_SELECTOR, RELIEF_WINDOW_SECONDS, 60_000);
    relieved = await tierFigures(tier, RELIEF_WINDOW_SECONDS);
    steps.push({ gateways: tier.gateways().length, answers, figures: relieved });
  }
  return {
    firstAnswer,
    firstDecision,
    answer: lastAnswer,
    relieved,
    offeredSpansPerSecond: scenario.timeline.rates(RELIEF_WINDOW_SECONDS).generatorSpansPerSecond,
    failedSpans: load.failedSpans() - failedBefore,
    trail: `${JSON.stringify(steps)}; first decision: ${explainDecision(firstDecision)} Tick p99 by gateway: ${JSON.stringify(firstLatencyByGateway.map((sample) => [sample.labels.instance, Math.round(sample.value)]))}; last decision: ${scaler.latest().summary}`,
  };
}

/** A decision's summary, reasons and per-gateway accepted spans: what a failed assertion needs to be read. */
function explainDecision(decision: Decision): string {
  const byGateway = decision.snapshot.acceptedSpansPerSecondByGateway;
  const perGateway = byGateway.kind === 'ok' ? JSON.stringify(byGateway.value) : byGateway.reason;
  return `${decision.summary} ${decision.reasons.join(' ')} Accepted by gateway: ${perGateway}`;
}

function withinLimits(figures: TierFigures): boolean {
  return figures.refused === 0 && figures.tickP99Ms < LATENCY_BUDGET_MS;
}

function expectRelieved(tier: GatewayTier, out: ScaledOut): void {
  expect(tier.gateways().length, out.trail).toBeGreaterThan(GATEWAYS);
  expect(tier.gateways().length, out.trail).toBeLessThanOrEqual(MAX_GATEWAYS);
  expect(Math.abs(out.relieved.accepted / out.offeredSpansPerSecond - 1), `offered ${out.offeredSpansPerSecond}; ${out.trail}`).toBeLessThanOrEqual(0.1);
  expect(out.relieved.refused, out.trail).toBe(0);
  expect(out.relieved.tickP99Ms, out.trail).toBeLessThan(LATENCY_BUDGET_MS);
  expect(out.failedSpans, out.trail).toBe(0);
  // Relieved, the scaler keeps what runs: it does not answer fewer than the load needed.
  expect(out.answer, out.trail).toBeGreaterThanOrEqual(out.firstAnswer);
}

/**
 * Starts a tier under `tracesPerSecond` before the suite's tests and stops it after them; the returned
 * function gives the running scenario.
 */
function overloadedTier(tier: GatewayTierOptions, tracesPerSecond: number, decisionWaitSeconds: number): () => TierScenario {
  let scenario: TierScenario | undefined;
  beforeAll(async () => {
    scenario = await startTierScenario({
      tier,
      load: { tracesPerSecond, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 },
      metadata: {
        decisionWait: `${decisionWaitSeconds}s`,
        decisionLatencyBudget: `${LATENCY_BUDGET_MS}ms`,
        minReplicas: `${GATEWAYS}`,
        maxReplicas: `${MAX_GATEWAYS}`,
      },
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
  }, 240_000);
  afterAll(() => scenario?.stop(), 60_000);
  return () => {
    if (scenario === undefined) throw new Error('the overloaded tier did not start');
    return scenario;
  };
}

describe('CPU-limited gateways under more load than they can take', () => {
  const DECISION_WAIT_SECONDS = 2;
  /**
   * A tenth of a core each: 4,572 spans/s at the calibrated CPU cost (45,717 spans per CPU-second), but
   * a gateway throttled every period pays for the throttling too: two took 6,517–6,774 spans/s between
   * them when offered 7,000–8,000, so the 4,000 spans/s each is offered here is more than it takes on
   * this kind of host; on a faster one the test raises it. Smaller quotas are not usable:
   * with 4 ms per 100 ms period a Go process spends many times its unthrottled CPU on the same work
   * (`otelcol --version`: 2.4–15 s of CPU against 0.12 s), so no number of gateways relieves the tier.
   */
  const CPU_LIMIT = { goMaxProcs: 1, cpus: 0.1 };
  const OFFERED_TRACES_PER_SECOND = 800;
  /** Up to 1.25³ ≈ 1.95 × the first load, 15,600 spans/s: eight gateways at 0.1 core take that even at the slowest span cost measured (4,271 spans/s each). */
  const LOAD_RAISES = 3;
  const LOAD_RAISE_FACTOR = 1.25;
  /** The new load fills a rate window and its ticks are scraped. */
  const RAISE_SETTLE_MS = (RATE_WINDOW_SECONDS + 5) * 1000;
  /** The raises, then the scale-out at its longest; the reads around them take less than one more step. */
  const CASE_TIMEOUT_MS = LOAD_RAISES * RAISE_SETTLE_MS + SCALE_OUT_LONGEST_MS + SCALE_STEP_MS;
  const running = overloadedTier(
    { gateways: GATEWAYS, gatewayCpuLimit: () => CPU_LIMIT, gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS } },
    OFFERED_TRACES_PER_SECOND,
    DECISION_WAIT_SECONDS,
  );

  it('runs long decision ticks, asks for more gateways, and once they join the ticks are within budget', async () => {
    const scenario = running();
    // What a tenth of a core takes moves with the machine: one host's two gateways took all of 8,000
    // spans/s with 193 ms ticks. The load is raised until the tier is past what it takes, as its ticks show.
    let tracesPerSecond = OFFERED_TRACES_PER_SECOND;
    let overloaded = await tierFigures(scenario.tier, RATE_WINDOW_SECONDS);
    const raises: string[] = [];
    for (let raised = 0; overloaded.tickP99Ms <= LATENCY_BUDGET_MS && raised < LOAD_RAISES; raised++) {
      raises.push(`${tracesPerSecond} traces/s: ${JSON.stringify(overloaded)}`);
      tracesPerSecond = Math.round(tracesPerSecond * LOAD_RAISE_FACTOR);
      scenario.load.setTracesPerSecond(tracesPerSecond);
      await sleep(RAISE_SETTLE_MS);
      overloaded = await tierFigures(scenario.tier, RATE_WINDOW_SECONDS);
    }
    expect(overloaded.tickP99Ms, `${tracesPerSecond} traces/s: ${JSON.stringify(overloaded)}; before: ${raises.join('; ')}`).toBeGreaterThan(LATENCY_BUDGET_MS);
    const out = await scaleAsKedaWould(scenario);
    expect(out.firstAnswer, out.trail).toBeGreaterThan(GATEWAYS);
    expectRelieved(scenario.tier, out);
  }, CASE_TIMEOUT_MS);
});

describe('one gateway short of CPU beside one that is not', () => {
  const DECISION_WAIT_SECONDS = 2;
  /**
   * 2 ms of CPU per 100 ms period (from when the gateway is ready) took 1,365–1,643 of the 6,000 spans/s
   * its share of the ring brings, with 0.7–1.9 s ticks, while the unthrottled gateway took 5,563–6,541
   * with 25–97 ms ticks (one run beside two busy cores): by accepted spans alone, a hot spot on the
   * unthrottled one. At 4 ms it took 2,860–3,107 in later runs, within the hot-spot ratio's reach of
   * its share, so whether the case was made depended on the host; at 3 ms, 2,310–2,494. Throttling
   * this hard wastes CPU (see above), which does not matter here: the case needs a gateway that falls
   * behind, not one that more gateways relieve.
   */
  const STARVED = { goMaxProcs: 1, cpus: 0.02 };
  /**
   * A gateway this starved answers its scrape slowly (in one CI run, scraped every 2 s with a 1.6 s
   * timeout, it was unscraped at all 15 polls): scrapes every 4 s with a 3.2 s timeout (still three or
   * more in the 15 s rate window), and polls until one read holds both gateways with the starved one's
   * ticks over budget.
   */
  const SCRAPE_INTERVAL_SECONDS = 4;
  const POLLS_FOR_THE_CASE = 15;
  const running = overloadedTier(
    {
      gateways: GATEWAYS,
      gatewayCpuLimit: (gatewayNumber) => (gatewayNumber === 1 ? STARVED : undefined),
      gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS },
      scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
    },
    1200,
    DECISION_WAIT_SECONDS,
  );

  it('reads the uneven spread as the starved gateway falling behind, not a routing hot spot, and asks for more gateways', async () => {
    const scenario = running();
    const [starved, unthrottled] = scenario.tier.gateways().map((gateway) => gateway.scrapeTarget) as [string, string];
    // A missed scrape of the starved gateway leaves it out of a read (the scaler then holds for missing data); the case is a read with both.
    const both = (decision: Decision) => {
      const accepted = decision.snapshot.acceptedSpansPerSecondByGateway;
      const ticks = decision.snapshot.decisionLatencyP99MsByGateway ?? {};
      const reporting = decision.snapshot.signals.reportingReplicas;
      return accepted.kind === 'ok' && starved in accepted.value && unthrottled in accepted.value && starved in ticks && unthrottled in ticks && reporting.kind === 'ok' && reporting.value === GATEWAYS;
    };
    // A read may catch the starved gateway's ticks short (once a 4.8 ms p99 while it took 955 spans/s); the case is a read where they run over budget.
    const behind = (decision: Decision) => {
      const ticks = decision.snapshot.decisionLatencyP99MsByGateway ?? {};
      return both(decision) && ticks[starved]! > Math.max(ticks[unthrottled]!, LATENCY_BUDGET_MS);
    };
    let answer = await scenario.scaler.poll();
    for (let polled = 1; polled < POLLS_FOR_THE_CASE && !behind(scenario.scaler.latest()); polled++) {
      await sleep(SCRAPE_INTERVAL_SECONDS * 1000);
      answer = await scenario.scaler.poll();
    }
    const decision = scenario.scaler.latest();
    const accepted = decision.snapshot.acceptedSpansPerSecondByGateway;
    const ticks = decision.snapshot.decisionLatencyP99MsByGateway ?? {};
    const seen = `${explainDecision(decision)} Tick p99 by gateway: ${JSON.stringify(ticks)}`;
    expect(both(decision), `no read in ${POLLS_FOR_THE_CASE} polls held both gateways: ${seen}`).toBe(true);
    if (accepted.kind !== 'ok') throw new Error(seen);
    // What makes the case: by accepted spans alone the unthrottled gateway is a hot spot, and the starved one is the slower.
    expect(accepted.value[unthrottled]!, seen).toBeGreaterThanOrEqual(2 * accepted.value[starved]!);
    expect(ticks[starved]!, seen).toBeGreaterThan(Math.max(ticks[unthrottled]!, LATENCY_BUDGET_MS));
    expect(decision.guards.map((guard) => guard.name), seen).not.toContain('routingImbalance');
    expect(decision.reasons.join(' '), seen).toContain(`gateway ${starved} ticks at`);
    expect(answer, seen).toBeGreaterThan(GATEWAYS);
  });
});

describe('memory-limited gateways holding more traces than their memory_limiter allows', () => {
  const DECISION_WAIT_SECONDS = 10;
  /**
   * 400 traces/s × 10 s held over two gateways is about 2,000 traces each, some 40 MB of heap at the
   * calibrated ~19 kB per held trace, over the 56 MiB soft limit (limit − spike) once the process's own
   * heap is added; over four gateways it is half that.
   */
  const MEMORY = { memoryLimitMib: 72, memorySpikeLimitMib: 16 };
  const running = overloadedTier({ gateways: GATEWAYS, gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS, ...MEMORY } }, 400, DECISION_WAIT_SECONDS);

  it('refuses, asks for more gateways because of the refusals, and once they join the refusals stop', async () => {
    const scenario = running();
    const overloaded = await tierFigures(scenario.tier, RATE_WINDOW_SECONDS);
    expect(overloaded.refused, JSON.stringify(overloaded)).toBeGreaterThan(0);
    const out = await scaleAsKedaWould(scenario);
    expect(out.firstAnswer, out.trail).toBeGreaterThan(GATEWAYS);
    // The refusals were what asked: the refused proposal wanted more than ran.
    const refusedProposal = out.firstDecision.proposals.find((proposal) => proposal.name === 'refused');
    expect(refusedProposal?.replicas, out.firstDecision.summary).toBeGreaterThan(GATEWAYS);
    expectRelieved(scenario.tier, out);
  });
});
