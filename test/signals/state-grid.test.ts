import { describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { MAX_RANGE_POINTS } from '../../src/signals/prometheus-source.ts';
import { latestStateInstantMs, nextStateFoldRead, STATE_SETTLE_SECONDS, stateReadWindow, stateStepSeconds } from '../../src/signals/state-grid.ts';

describe('state grid', () => {
  it('every replica picks the same instant within one step, a settling delay behind now', () => {
    const cases = [
      { name: 'just after a step boundary plus the delay', input: 1_000_000_020_000 + STATE_SETTLE_SECONDS * 1000 + 10, want: 1_000_000_020_000 },
      { name: 'late in the same step', input: 1_000_000_020_000 + STATE_SETTLE_SECONDS * 1000 + 29_000, want: 1_000_000_020_000 },
      { name: 'before the delay has passed: the step before', input: 1_000_000_020_000 + 1000, want: 1_000_000_020_000 - 30_000 },
    ];
    for (const { name, input, want } of cases) expect(latestStateInstantMs(input, 30), name).toBe(want);
  });

  it('steps at KEDA\'s polling interval unless the horizon would exceed Prometheus\' points limit', () => {
    expect(stateStepSeconds(parseTargetMetadata({ gatewaySelector: 'job="gw"', pollingInterval: '30s' }), 3600)).toBe(30);
    const wide = stateStepSeconds(parseTargetMetadata({ gatewaySelector: 'job="gw"', pollingInterval: '1s' }), 86_400);
    expect(86_400 / wide).toBeLessThan(MAX_RANGE_POINTS);
  });

  it('reads the whole horizon when nothing is folded, only the new steps when the fold is recent, nothing when it is current', () => {
    const instant = 1_000_000_020_000;
    expect(stateReadWindow(instant, 10, 3600, undefined)).toEqual({ startMs: instant - 3_600_000, endMs: instant, stepSeconds: 10 });
    expect(stateReadWindow(instant, 10, 3600, instant - 20_000)).toEqual({ startMs: instant - 10_000, endMs: instant, stepSeconds: 10 });
    expect(stateReadWindow(instant, 10, 3600, instant)).toBeUndefined();
    expect(stateReadWindow(instant, 10, 3600, instant - 7_200_000)).toEqual({ startMs: instant - 3_600_000, endMs: instant, stepSeconds: 10 });
  });

  it('extends a recent fold from its next step and starts an old or missing one afresh at the horizon', () => {
    const settings = parseTargetMetadata({ gatewaySelector: 'job="gw"', pollingInterval: '30s' });
    const instant = 1_000_000_020_000;
    const nowMs = instant + STATE_SETTLE_SECONDS * 1000;
    expect(nextStateFoldRead(nowMs, settings, 3600, instant - 60_000)).toEqual({ window: { startMs: instant - 30_000, endMs: instant, stepSeconds: 30 }, instantMs: instant, extendsFold: true });
    expect(nextStateFoldRead(nowMs, settings, 3600, instant - 7_200_000)).toEqual({ window: { startMs: instant - 3_600_000, endMs: instant, stepSeconds: 30 }, instantMs: instant, extendsFold: false });
    expect(nextStateFoldRead(nowMs, settings, 3600, undefined)?.extendsFold).toBe(false);
    expect(nextStateFoldRead(nowMs, settings, 3600, instant)).toBeUndefined();
  });
});
