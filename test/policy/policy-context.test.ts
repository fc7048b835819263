import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityEstimate } from '../../src/policy/capacity-estimate.ts';
import { capacityInUse, type ResolvedCapacity, resolveCapacity } from '../../src/policy/capacity-in-use.ts';
import type { FellBehind } from '../../src/policy/earlier-peaks.ts';
import { findBusiestGateway, findRoutingImbalance, readPolicyContext, slowerThanBusiest } from '../../src/policy/policy-context.ts';
import { SIGNAL_NAMES } from '../../src/signals/signal-snapshot.ts';
import { learnedCapacity, settings, snapshot, T0_MS } from './policy-fixtures.ts';

/** The plain statement of findBusiestGateway: the usable rates, the hottest (ties to the smaller name), the others' mean, those accepting. */
function plainBusiest(byGateway: Readonly<Record<string, number>>) {
  const entries = Object.entries(byGateway).filter(([, rate]) => Number.isFinite(rate) && rate >= 0);
  if (entries.length < 2) return undefined;
  const hottest = [...entries].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  if (hottest[1] <= 0) return undefined;
  const total = entries.reduce((sum, [, rate]) => sum + rate, 0);
  const othersMean = (total - hottest[1]) / (entries.length - 1);
  const acceptingGateways = entries.filter(([, rate]) => rate > 0).length;
  return { hottestGateway: hottest[0], hottestSpansPerSecond: hottest[1], othersMeanSpansPerSecond: othersMean, gateways: entries.length, acceptingGateways, totalSpansPerSecond: total };
}

/**
 * findRoutingImbalance: the busiest gateway when it takes at least twice the others' mean, unless a
 * gateway's decision-tick p99 is known to exceed the busiest gateway's own.
 */
function plainImbalance(byGateway: Readonly<Record<string, number>>, tickP99MsByGateway?: Readonly<Record<string, number>>) {
  const busiest = plainBusiest(byGateway);
  if (busiest === undefined || busiest.hottestSpansPerSecond < 2 * busiest.othersMeanSpansPerSecond) return undefined;
  const busiestTick = tickP99MsByGateway?.[busiest.hottestGateway];
  const known = busiestTick !== undefined && Number.isFinite(busiestTick);
  const slower = known && Object.values(tickP99MsByGateway!).some((tick) => Number.isFinite(tick) && tick > busiestTick);
  return slower ? undefined : busiest;
}

describe('readPolicyContext', () => {
  it('lists values and missing signals in SIGNAL_NAMES order, whichever are missing or unusable', () => {
    fc.assert(
      fc.property(fc.subarray(SIGNAL_NAMES.filter((name) => name !== 'currentReplicas')), fc.boolean(), (absentNames, unusable) => {
        const absent: readonly string[] = absentNames;
        const overrides = Object.fromEntries(absent.map((name) => [name, unusable ? Number.NaN : ('missing' as const)]));
        const ctx = readPolicyContext(snapshot({ signals: overrides }), settings(), T0_MS);
        expect(Object.keys(ctx.values)).toEqual([...SIGNAL_NAMES]);
        expect(ctx.missing.map((m) => m.name)).toEqual(SIGNAL_NAMES.filter((name) => absent.includes(name)));
        for (const m of ctx.missing) expect(m.reason).toMatch(unusable ? /not a usable value \(NaN\)/ : /no series matched/);
        for (const name of SIGNAL_NAMES) expect(ctx.values[name] === undefined).toBe(absent.includes(name));
      }),
      { numRuns: 200 },
    );
  });

  it('resolves the capacity in use for the estimate, earlier peak and trigger of each call, not an earlier one', () => {
    const kept = learnedCapacity(20_000);
    const saturated: CapacityEstimate = { kind: 'insufficient', reason: 'only 10 min of CPU samples', saturation: { medianSpansPerSecond: 9_000, samples: 12, cause: 'falling behind', atMs: T0_MS } };
    const earlier: FellBehind = { spansPerReplica: 11_000, atMs: T0_MS - 86_400_000 };
    const calls: [ReturnType<typeof settings>, CapacityEstimate | undefined, FellBehind | undefined][] = [
      [settings(), kept, undefined],
      [settings(), kept, undefined],
      [settings(), learnedCapacity(20_000), undefined],
      [settings(), learnedCapacity(30_000), undefined],
      [settings(), learnedCapacity(30_000), earlier],
      [settings(), learnedCapacity(30_000), earlier],
      [settings(), learnedCapacity(30_000), { ...earlier }],
      [settings(), learnedCapacity(30_000), { spansPerReplica: 25_000, atMs: T0_MS }],
      [settings({ capacitySpansPerReplica: '12000' }), undefined, undefined],
      [settings({ capacitySpansPerReplica: '12000' }), undefined, undefined],
      [settings({ capacitySpansPerReplica: '15000' }), undefined, undefined],
      [settings({ capacitySpansPerReplica: '15000' }), kept, undefined],
      [settings({ capacitySpansPerReplica: '25000' }), kept, undefined],
      [settings({ capacitySpansPerReplica: '25000' }), saturated, undefined],
      [settings({ capacitySpansPerReplica: '8000' }), saturated, earlier],
    ];
    // Each call given what the call before resolved, as decide() passes it on in its state.
    let resolved: ResolvedCapacity | undefined;
    for (const [s, e, f] of calls) {
      resolved = resolveCapacity(s, e, f, resolved);
      expect(resolved.inUse).toEqual(capacityInUse(s, e, f));
      expect(readPolicyContext(snapshot(), s, T0_MS, { capacity: e, capacityInUse: resolved.inUse }).capacity).toEqual(capacityInUse(s, e, f));
    }
    expect(readPolicyContext(snapshot(), settings(), T0_MS, { capacity: kept }).capacity).toEqual(capacityInUse(settings(), kept));
  });
});

describe('findBusiestGateway and findRoutingImbalance', () => {
  const name = fc.constantFrom('a', 'b', 'c', 'gw-1', 'gw-10', 'gw-2', 'z');
  const rate = fc.oneof(fc.constantFrom(0, 1, 2, 5, -1, Number.NaN, Number.POSITIVE_INFINITY), fc.double({ min: 0, max: 1e6, noNaN: true }));

  it('are the plain statement: usable rates only, the hottest with ties to the smaller name, against the mean of the others', () => {
    fc.assert(
      fc.property(fc.dictionary(name, rate), fc.option(fc.dictionary(name, fc.oneof(fc.constantFrom(Number.NaN, 250), fc.double({ min: 0, max: 5000, noNaN: true }))), { nil: undefined }), (byGateway, ticks) => {
        expect(findBusiestGateway(byGateway)).toEqual(plainBusiest(byGateway));
        expect(findRoutingImbalance(byGateway, ticks)).toEqual(plainImbalance(byGateway, ticks));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('slowerThanBusiest', () => {
  const cases: { name: string; input: { busiest: string; ticks: Record<string, number> | undefined }; want: { gateway: string; tickP99Ms: number } | undefined }[] = [
    { name: 'none without per-gateway ticks', input: { busiest: 'gw-0', ticks: undefined }, want: undefined },
    { name: "none when the busiest gateway's own p99 is unknown", input: { busiest: 'gw-0', ticks: { 'gw-1': 900 } }, want: undefined },
    { name: 'none when the busiest gateway is the slowest', input: { busiest: 'gw-0', ticks: { 'gw-0': 900, 'gw-1': 300, 'gw-2': 899 } }, want: undefined },
    { name: 'none on a tie with the busiest gateway', input: { busiest: 'gw-0', ticks: { 'gw-0': 900, 'gw-1': 900 } }, want: undefined },
    { name: 'the slowest of the gateways slower than the busiest', input: { busiest: 'gw-0', ticks: { 'gw-0': 300, 'gw-1': 2870, 'gw-2': 900 } }, want: { gateway: 'gw-1', tickP99Ms: 2870 } },
    { name: 'a p99 that is not a number is no evidence', input: { busiest: 'gw-0', ticks: { 'gw-0': 300, 'gw-1': Number.NaN, 'gw-2': Number.POSITIVE_INFINITY } }, want: undefined },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => {
      const slower = slowerThanBusiest(input.busiest, input.ticks);
      expect(slower === undefined ? undefined : { gateway: slower.gateway, tickP99Ms: slower.tickP99Ms }).toEqual(want);
      if (slower !== undefined) expect(slower).toMatchObject({ busiestGateway: input.busiest, busiestTickP99Ms: input.ticks![input.busiest] });
    });
  }
});
