// The learned-figure and forecast refreshers keep one entry per target, like the Advisor, and like it
// keep at most maxTargets: a flood of distinct ScaledObjects (anyone who reaches the gRPC port can
// send them) drops the least recently asked instead of growing memory for an hour. What is dropped
// is read again when asked for; what was asked for recently stays and is not re-read.
import { describe, expect, it } from 'vitest';
import { ForecastRefresher } from '../../src/advisor/forecast-refresher.ts';
import { LearnedRefresher } from '../../src/advisor/learned-refresher.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import type { RangeSample, SignalHistory, SignalSnapshot, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { targetKey } from '../../src/signals/signal-snapshot.ts';

const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' });
const NOW_MS = Date.parse('2026-03-02T08:00:00Z');
const ref = (name: string): TargetRef => ({ namespace: 'observability', name });
const silent = { info: () => {}, warn: () => {}, error: () => {} };

describe('LearnedRefresher keeps at most maxTargets', () => {
  const reads: string[] = [];
  const refresher = new LearnedRefresher<number>(
    {
      name: 'test figure',
      read: async (target) => {
        reads.push(target.name);
        return 1;
      },
      readKey: (targetSettings) => targetSettings.gatewaySelector,
      afterFailure: () => 0,
    },
    { forgetAfterSeconds: 3600, maxTargets: 3 },
  );

  it('drops the least recently asked beyond the bound, re-reads it when asked again, and keeps the recent ones', async () => {
    for (const name of ['a', 'b', 'c']) await refresher.refresh(ref(name), settings, NOW_MS);
    expect(reads).toEqual(['a', 'b', 'c']);
    refresher.latestFor(ref('a'), settings, NOW_MS + 1000); // a is now the most recent; b the least
    await refresher.refresh(ref('d'), settings, NOW_MS + 2000);
    expect(refresher.size).toBe(3);
    expect(refresher.latestFor(ref('a'), settings, NOW_MS + 3000), 'a kept its figure').toBe(1);
    expect(refresher.latestFor(ref('b'), settings, NOW_MS + 3000), 'b was dropped and starts over').toBeUndefined();
    await Promise.resolve();
    expect(reads).toEqual(['a', 'b', 'c', 'd', 'b']);
  });

  it('stays at the bound under a flood of distinct targets', async () => {
    for (let index = 0; index < 2000; index++) refresher.latestFor(ref(`flood-${index}`), settings, NOW_MS + 10_000);
    expect(refresher.size).toBe(3);
  });
});

class CountingHistory implements SignalHistory {
  readonly reads: string[] = [];
  async readRange(): Promise<readonly SignalSnapshot[]> {
    return [];
  }
  async readAcceptedSpansHistory(target: TargetRef): Promise<readonly RangeSample[]> {
    this.reads.push(targetKey(target));
    return [];
  }
}

describe('ForecastRefresher keeps at most maxTargets', () => {
  it('drops the least recently asked beyond the bound and refits it when asked again', async () => {
    const history = new CountingHistory();
    const refresher = new ForecastRefresher({ history, schedule: '0 * * * *', forgetAfterSeconds: 3600, maxTargets: 3, logger: silent });
    for (const name of ['a', 'b', 'c']) refresher.forecastFor(ref(name), settings, NOW_MS);
    refresher.forecastFor(ref('a'), settings, NOW_MS + 1000);
    refresher.forecastFor(ref('d'), settings, NOW_MS + 2000);
    expect(refresher.size).toBe(3);
    refresher.forecastFor(ref('a'), settings, NOW_MS + 3000);
    refresher.forecastFor(ref('b'), settings, NOW_MS + 3000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(history.reads.map((key) => key.split('/').at(-1))).toEqual(['a', 'b', 'c', 'd', 'b']);
    for (let index = 0; index < 2000; index++) refresher.forecastFor(ref(`flood-${index}`), settings, NOW_MS + 10_000);
    expect(refresher.size).toBe(3);
    await refresher.stop();
  });
});
