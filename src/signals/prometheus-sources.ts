// Targets pick their Prometheus by name (`prometheus: default`), never by URL, so whoever can create a
// ScaledObject cannot make the scaler call arbitrary hosts. This routes each read to the source built
// for that named server and rejects names the server config does not define.
import type { ServerConfig } from '../config/server-config.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import type { EarlierPeaks } from '../policy/earlier-peaks.ts';
import type { DecisionSeries, DecisionSeriesHistory, EarlierPeaksHistory } from './decision-series.ts';
import { PrometheusSignalSource, type Reachability } from './prometheus-source.ts';
import type { CpuLoadHistory, CpuLoadSamples } from './cpu-load-history.ts';
import type { ReplicaCountHistory, ReplicaCountSample } from './replica-count-history.ts';
import type { RingShareHistory, RingShareSample } from './ring-share-history.ts';
import type { PrometheusQueryObserver } from './query-observer.ts';
import type { RangeSample, RangeWindow, SignalHistory, SignalSnapshot, SignalSource, TargetRef } from './signal-snapshot.ts';

/** One SignalSource/SignalHistory over every Prometheus server in the config, chosen per target by `settings.prometheus`. */
export class PrometheusSignalSources implements SignalSource, SignalHistory, CpuLoadHistory, ReplicaCountHistory, RingShareHistory, DecisionSeriesHistory, EarlierPeaksHistory {
  private readonly byName: ReadonlyMap<string, PrometheusSignalSource>;

  constructor(sources: Iterable<PrometheusSignalSource>) {
    this.byName = new Map([...sources].map((source) => [source.serverName, source]));
  }

  /** Builds one PrometheusSignalSource per entry of the server config's `prometheus:` map. */
  static fromConfig(servers: ServerConfig['prometheus'], options: { readonly nowMs?: () => number; readonly observer?: PrometheusQueryObserver } = {}): PrometheusSignalSources {
    return new PrometheusSignalSources(Object.entries(servers).map(([serverName, server]) => new PrometheusSignalSource({ serverName, server, ...options })));
  }

  /** The configured server names, e.g. for start-up checks and the dashboard. */
  get serverNames(): readonly string[] {
    return [...this.byName.keys()];
  }

  /** Reachability of every configured server, by name (for /readyz). */
  checkReachable(): Promise<readonly { readonly serverName: string; readonly reachability: Reachability }[]> {
    return Promise.all([...this.byName.values()].map(async (source) => ({ serverName: source.serverName, reachability: await source.checkReachable() })));
  }

  read(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot> {
    return this.sourceFor(settings).then((source) => source.read(target, settings));
  }

  readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]> {
    return this.sourceFor(settings).then((source) => source.readRange(target, settings, window));
  }

  readDecisionSeries(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<DecisionSeries | undefined> {
    return this.sourceFor(settings).then((source) => source.readDecisionSeries(target, settings, window));
  }

  readEarlierPeaks(target: TargetRef, settings: TargetSettings, atMs: number): Promise<EarlierPeaks> {
    return this.sourceFor(settings).then((source) => source.readEarlierPeaks(target, settings, atMs));
  }

  readAcceptedSpansHistory(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RangeSample[]> {
    return this.sourceFor(settings).then((source) => source.readAcceptedSpansHistory(target, settings, window));
  }

  readCpuLoadSamples(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<CpuLoadSamples> {
    return this.sourceFor(settings).then((source) => source.readCpuLoadSamples(target, settings, window));
  }

  readReplicaCounts(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly ReplicaCountSample[]> {
    return this.sourceFor(settings).then((source) => source.readReplicaCounts(target, settings, window));
  }

  readRingShares(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RingShareSample[]> {
    return this.sourceFor(settings).then((source) => source.readRingShares(target, settings, window));
  }

  private async sourceFor(settings: TargetSettings): Promise<PrometheusSignalSource> {
    const source = this.byName.get(settings.prometheus);
    if (source) return source;
    const known = this.serverNames.length > 0 ? this.serverNames.join(', ') : 'none (add a `prometheus:` entry or pass --prometheus-url)';
    throw new ScalerError('UNKNOWN_PROMETHEUS', `scalerMetadata.prometheus "${settings.prometheus}" is not a Prometheus server in the server config; configured: ${known}`);
  }
}
