import { describe, expect, it } from 'vitest';
import { tierLoadOf } from '../../src/policy/agents-backlog.ts';
import type { ForecastInput } from '../../src/policy/decide-input.ts';
import type { LoadVariation } from '../../src/policy/load-variation.ts';
import { PEAK_UTILIZATION } from '../../src/policy/peak-utilization.ts';
import { readPolicyContext } from '../../src/policy/policy-context.ts';
import { forecastProposal, replicasFor } from '../../src/policy/proposals.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const PER_REPLICA = 20_000 * 0.7;
const LOAD = 140_000; // 10 replicas at 70 %

/** The policy's view of a tier carrying `acceptedSpansPerSecond` (undefined: the signal is missing). */
function context(acceptedSpansPerSecond: number | undefined) {
  const ctx = readPolicyContext(snapshot({ signals: { acceptedSpansPerSecond: LOAD }, observedAtMs: T0_MS }), settings(), T0_MS);
  return { ...ctx, values: { ...ctx.values, acceptedSpansPerSecond }, load: tierLoadOf(acceptedSpansPerSecond, undefined, undefined) };
}

function band(pointSpansPerSecond: number, nowPointSpansPerSecond: number | undefined, upperSpansPerSecond = pointSpansPerSecond * 1.3): ForecastInput {
  return {
    kind: 'available',
    band: {
      leadTimeSeconds: 95,
      pointSpansPerSecond,
      upperSpansPerSecond,
      ...(nowPointSpansPerSecond === undefined ? {} : { nowPointSpansPerSecond }),
      quantile: 0.9,
      fittedAtMs: T0_MS - 1_800_000,
      model: 'combination',
    },
  };
}

const noise = (noiseSpansPerSecond: number): LoadVariation => ({ noiseSpansPerSecond, trendSpansPerSecondPerSecond: 0, intervalSeconds: 30, differences: 20 });

describe('forecast proposal with the load measured', () => {
  it('applies the fit’s change over the lead time to the load measured now, whatever the fit’s level', () => {
    // The fit sees 50k now and 60k at now + lead (+20 %, beyond its +10 % band), while the tier carries 140k: it asks for 168k.
    const proposal = forecastProposal(context(LOAD), band(60_000, 50_000, 66_000)).proposal;
    expect(proposal.replicas).toBe(Math.ceil((LOAD * 1.2) / PER_REPLICA));
    expect(proposal.inputs.expectedSpansPerSecond).toBeCloseTo(LOAD * 1.2, 6);
    expect(proposal.reason).toMatch(/\+20% on 140k spans\/s now/);
  });

  it('does not provision for the band’s upper edge on top of the measured load', () => {
    const flat = forecastProposal(context(LOAD), band(50_000, 50_000, 90_000)).proposal;
    expect(flat.replicas).toBe(LOAD / PER_REPLICA);
  });

  it('does not count a rise within twice the load’s noise, and counts one beyond it', () => {
    // +2 % of 140k is 2.8k: inside 2 × 2k of noise, outside 2 × 1k.
    expect(forecastProposal(context(LOAD), band(51_000, 50_000), noise(2_000)).proposal.inputs.expectedSpansPerSecond).toBe(LOAD);
    expect(forecastProposal(context(LOAD), band(51_000, 50_000), noise(2_000)).proposal.reason).toMatch(/within the load's noise/);
    expect(forecastProposal(context(LOAD), band(51_000, 50_000, 51_500), noise(1_000)).proposal.inputs.expectedSpansPerSecond).toBeCloseTo(LOAD * 1.02, 6);
  });

  it('does not count a rise within the forecast’s own error at that step (its band above the point), and counts one beyond it', () => {
    // +20 % from the step holding now to the one holding now + lead, with the band 30 % above the point there.
    const within = forecastProposal(context(LOAD), band(60_000, 50_000, 78_000), noise(1_000)).proposal;
    expect(within.inputs.expectedSpansPerSecond).toBe(LOAD);
    expect(within.replicas).toBe(LOAD / PER_REPLICA);
    expect(within.reason).toMatch(/\+20% on 140k spans\/s now, within the forecast's own p90 error of \+30%: not counted/);
    // The same rise with the band 15 % above the point is a change of level the fit can tell.
    expect(forecastProposal(context(LOAD), band(60_000, 50_000, 69_000), noise(1_000)).proposal.inputs.expectedSpansPerSecond).toBeCloseTo(LOAD * 1.2, 6);
    // A fall is taken as the fit gives it, whatever the band: it can only lower this proposal.
    expect(forecastProposal(context(LOAD), band(40_000, 50_000, 52_000), noise(1_000)).proposal.inputs.expectedSpansPerSecond).toBeCloseTo(LOAD * 0.8, 6);
  });

  it('falls back to the band’s own level without the load or the fit’s point at now', () => {
    const peak = 20_000 * PEAK_UTILIZATION;
    for (const [ctx, input] of [
      [context(undefined), band(100_000, 50_000, 200_000)],
      [context(LOAD), band(100_000, undefined, 200_000)],
      [context(LOAD), band(100_000, 0, 200_000)],
    ] as const) {
      const proposal = forecastProposal(ctx, input).proposal;
      // Exactly 11 at 1/1.1 of 20k: counted as the proposals count, not one more for float rounding.
      expect(proposal.replicas).toBe(replicasFor(200_000 / peak));
      expect(proposal.reason).toMatch(/up to 200k spans\/s in 95s \(p90\)/);
    }
  });
});
