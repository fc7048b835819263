// The learned-figure and forecast refreshers keep one entry per target, like the Advisor, and like it
// keep at most maxTargets: a flood of distinct ScaledObjects (anyone who reaches the gRPC port can
// send them) drops the least recently asked instead of growing memory for an hour. What is dropped
// is read again when asked for; what was asked for recently stays and is not re-read. First forecast
// refits of new targets, each holding forecastHistory of samples, run at most REFIT_CONCURRENCY at once,
// and background reads of learned figures at most LEARNED_READ_CONCURRENCY.
import { describe, expect, it } from 'vitest';
import { ForecastRefresher, REFIT_CONCURRENCY } from '../../src/advisor/forecast-refresher.ts';
import { LEARNED_READ_CONCURRENCY, LearnedRefresher } from '../../src/advisor/learned-refresher.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import type { RangeSample, SignalHistory, SignalSnapshot, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';

const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' });
/** The lead time the Advisor asks for before a startup is learned. */
const LEAD_S = startupInUse(settings, undefined).leadTimeSeconds;
const NOW_MS = Date.parse('2026-03-02T08:00:00Z');
const ref = (name: string): TargetRef => ({ namespace: 'observability', name });

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

describe('LearnedRefresher reads at most LEARNED_READ_CONCURRENCY targets at once in the background', () => {
  it('starts that many reads for many due targets; one that found them busy reads at its next ask', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const started: string[] = [];
    let releases: (() => void)[] = [];
    const release = async () => {
      for (const resolve of releases.splice(0)) resolve();
      await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    };
    const refresher = new LearnedRefresher<number>(
      {
        name: 'held figure',
        read: async (target) => {
          started.push(target.name);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise<void>((resolve) => releases.push(resolve));
          inFlight--;
          return 1;
        },
        readKey: (targetSettings) => targetSettings.gatewaySelector,
        afterFailure: () => 0,
      },
      { forgetAfterSeconds: 3600, maxTargets: 100 },
    );
    for (let index = 0; index < 50; index++) refresher.latestFor(ref(`due-${index}`), settings, NOW_MS);
    expect(maxInFlight).toBe(LEARNED_READ_CONCURRENCY);
    expect(started).toHaveLength(LEARNED_READ_CONCURRENCY);
    await release();
    expect(refresher.latestFor(ref('due-0'), settings, NOW_MS + 1000), 'a read that ran has its figure').toBe(1);
    expect(refresher.latestFor(ref(`due-${LEARNED_READ_CONCURRENCY}`), settings, NOW_MS + 1000)).toBeUndefined();
    expect(started.at(-1)).toBe(`due-${LEARNED_READ_CONCURRENCY}`);
    releases = [];
  });
});

/** Accepted-spans history that answers only when the test releases it, counting reads in flight. */
class HeldHistory implements SignalHistory {
  readonly reads: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private releases: (() => void)[] = [];
  async readRange(): Promise<readonly SignalSnapshot[]> {
    return [];
  }
  async readAcceptedSpansHistory(target: TargetRef): Promise<readonly RangeSample[]> {
    this.reads.push(target.name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    this.inFlight--;
    return [];
  }
  /** Lets every read in flight answer, and waits until their refits have ended. */
  async release(): Promise<void> {
    const releases = this.releases;
    this.releases = [];
    for (const release of releases) release();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ForecastRefresher keeps at most maxTargets, and at most REFIT_CONCURRENCY first refits at once', () => {
  it('drops the least recently asked beyond the bound and refits it when asked again', async () => {
    const history = new HeldHistory();
    const refresher = new ForecastRefresher({ history, schedule: '0 * * * *', forgetAfterSeconds: 3600, maxTargets: 3, logger: silent });
    const ask = async (name: string, atMs: number) => {
      const answer = refresher.forecastFor(ref(name), settings, atMs, LEAD_S);
      await history.release();
      return answer;
    };
    for (const name of ['a', 'b', 'c']) await ask(name, NOW_MS);
    await ask('a', NOW_MS + 1000); // a is now the most recent; b the least
    await ask('d', NOW_MS + 2000);
    expect(refresher.size).toBe(3);
    await ask('a', NOW_MS + 3000);
    await ask('b', NOW_MS + 3000);
    expect(history.reads).toEqual(['a', 'b', 'c', 'd', 'b']);
    for (let index = 0; index < 2000; index++) refresher.forecastFor(ref(`flood-${index}`), settings, NOW_MS + 10_000, LEAD_S);
    expect(refresher.size).toBe(3);
    await history.release();
    await refresher.stop();
  });

  it('starts at most REFIT_CONCURRENCY first refits at once; a target asked while they run starts at its next ask', async () => {
    const history = new HeldHistory();
    const refresher = new ForecastRefresher({ history, schedule: '0 * * * *', forgetAfterSeconds: 3600, maxTargets: 100, logger: silent });
    const answers = Array.from({ length: 50 }, (_, index) => refresher.forecastFor(ref(`new-${index}`), settings, NOW_MS, LEAD_S));
    expect(history.maxInFlight).toBe(REFIT_CONCURRENCY);
    expect(history.reads).toEqual(['new-0', 'new-1']);
    expect(answers[0]).toEqual({ kind: 'unavailable', reason: 'the first forecast refit for this target is still running' });
    expect(answers[2]).toEqual({ kind: 'unavailable', reason: `the first forecast refit for this target waits for one of the ${REFIT_CONCURRENCY} running for other targets` });
    await history.release();
    refresher.forecastFor(ref('new-2'), settings, NOW_MS + 30_000, LEAD_S);
    expect(history.reads).toEqual(['new-0', 'new-1', 'new-2']);
    await history.release();
    await refresher.stop();
  });
});
