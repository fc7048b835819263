import { describe, expect, it } from 'vitest';
import { ScalerError } from '../../src/errors.ts';
import { assembleDecisionSeries, buildDecisionSeriesQueries, buildEarlierPeakQueries, type DecisionSeriesQueryName, earlierPeaksOf, type StepMatrix } from '../../src/signals/decision-series.ts';

const window = { startMs: 1_000_000, endMs: 1_060_000, stepSeconds: 30 };
const matrix = (entries: [number, [string, number][]][]): StepMatrix => new Map(entries.map(([step, values]) => [step, new Map(values)]));

describe('decision series', () => {
  it('reads every replica\'s exported gauges for one target, the highest value when replicas differ', () => {
    const queries = buildDecisionSeriesQueries({ namespace: 'obs', name: 'gw "a"' });
    expect(queries.map((query) => query.name)).toEqual(['currentReplicas', 'recommendedReplicas', 'answeredReplicas', 'proposals', 'guards']);
    for (const query of queries) expect(query.promql).toContain('namespace="obs", name="gw \\"a\\""');
    expect(queries.find((query) => query.name === 'proposals')).toMatchObject({ promql: expect.stringMatching(/^max by \(proposal\) \(otel_gateway_scaler_proposal_replicas\{/), keyLabel: 'proposal' });
    expect(queries.find((query) => query.name === 'guards')?.promql).toContain('effect=~"hold|limit"');
  });

  it('refuses a target without a name', () => {
    expect(() => buildDecisionSeriesQueries({ namespace: 'obs', name: '' })).toThrow(ScalerError);
  });

  it('lines the results up on the window\'s steps, null where no replica exported a value', () => {
    const results = new Map<DecisionSeriesQueryName, StepMatrix>([
      ['currentReplicas', matrix([[0, [['', 4]]], [2, [['', 5]]]])],
      ['recommendedReplicas', matrix([[0, [['', 6]]], [2, [['', 5]]]])],
      ['answeredReplicas', matrix([[0, [['', 6]]]])],
      ['proposals', matrix([[0, [['queue', 6], ['throughput', 3]]], [2, [['throughput', 5]]]])],
      ['guards', matrix([[2, [['scaleInWindow', 1], ['clamp', 0]]]])],
    ]);
    expect(assembleDecisionSeries(results, window)).toEqual({
      atMs: [1_000_000, 1_030_000, 1_060_000],
      currentReplicas: [4, null, 5],
      recommendedReplicas: [6, null, 5],
      answeredReplicas: [6, null, null],
      proposals: { queue: [6, null, null], throughput: [3, null, 5] },
      guards: [[], [], ['scaleInWindow']],
    });
  });

  it('is undefined when Prometheus holds no decision series (it does not scrape the scaler)', () => {
    expect(assembleDecisionSeries(new Map([['currentReplicas', new Map()]]), window)).toBeUndefined();
  });

  it('reads the newest of each earlier-peak series any replica exported within a week, for one target', () => {
    const queries = buildEarlierPeakQueries({ namespace: 'obs', name: 'gw "a"' });
    const matchers = '{namespace="obs", name="gw \\"a\\""}[604800s]))';
    expect(queries).toEqual([
      `max(last_over_time(otel_gateway_scaler_backend_ceiling_sent_spans_per_second${matchers}`,
      `max(last_over_time(otel_gateway_scaler_backend_ceiling_from_replicas${matchers}`,
      `max(last_over_time(otel_gateway_scaler_fell_behind_spans_per_second_per_replica${matchers}`,
      `max(last_over_time(otel_gateway_scaler_fell_behind_timestamp_seconds${matchers}`,
    ]);
    expect(() => buildEarlierPeakQueries({ namespace: '', name: 'gw' })).toThrow(ScalerError);
  });

  it('makes a ceiling only of a sent rate above 0 and a whole count of at least one, both read', () => {
    expect(earlierPeaksOf([200_000, 18])).toEqual({ backendCeiling: { sentSpansPerSecond: 200_000, fromReplicas: 18 } });
    for (const [sent, from] of [[200_000, undefined], [undefined, 18], [0, 18], [Number.NaN, 18], [200_000, 0], [200_000, 17.5]] as const) {
      expect(earlierPeaksOf([sent, from]), `${sent} from ${from}`).toEqual({});
    }
  });

  it('makes a falling-behind load only of a load above 0 and a time, both read, independently of the ceiling', () => {
    expect(earlierPeaksOf([undefined, undefined, 16_000, 1_700_000_000])).toEqual({ fellBehind: { spansPerReplica: 16_000, atMs: 1_700_000_000_000 } });
    expect(earlierPeaksOf([200_000, 18, 16_000, 1_700_000_000])).toEqual({
      backendCeiling: { sentSpansPerSecond: 200_000, fromReplicas: 18 },
      fellBehind: { spansPerReplica: 16_000, atMs: 1_700_000_000_000 },
    });
    for (const [load, at] of [[16_000, undefined], [undefined, 1_700_000_000], [0, 1_700_000_000], [Number.POSITIVE_INFINITY, 1_700_000_000], [16_000, Number.NaN]] as const) {
      expect(earlierPeaksOf([undefined, undefined, load, at]), `${load} at ${at}`).toEqual({});
    }
  });
});
