// The forecast the scaler-forecast autoscaler feeds decide(): refitted on the simulated fleet's own
// accepted-spans history on a fixed schedule (hourly, as the server config's default refitSchedule
// "0 * * * *"), never per poll, and read at now + lead time at every poll.
import { forecast, type ForecastResult } from '../../forecasting/forecast.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { leadTimeSeconds } from '../config/target-metadata.ts';
import type { ForecastInput } from '../policy/decide-input.ts';
import type { SimulatedSignalSource } from '../signals/simulated-source.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';

export interface HourlyForecasterOptions {
  readonly target: TargetRef;
  readonly settings: TargetSettings;
  /** Refit period; the forecast is fitted at every multiple of it (ms since epoch). */
  readonly refitSeconds: number;
  /** Step of the history the models see (it must divide a day). */
  readonly historyStepSeconds: number;
}

/** Refits on schedule and answers the band at now + lead time. */
export class HourlyForecaster {
  private fitted: { readonly atMs: number; readonly result: ForecastResult } | undefined;
  private readonly leadSeconds: number;

  constructor(private readonly options: HourlyForecasterOptions) {
    this.leadSeconds = leadTimeSeconds(options.settings);
  }

  private refit(source: SimulatedSignalSource, nowMs: number): void {
    const { historyStepSeconds, settings, target } = this.options;
    const stepMs = historyStepSeconds * 1000;
    const endMs = Math.floor(nowMs / stepMs) * stepMs;
    const startMs = endMs - settings.forecastHistorySeconds * 1000;
    const samples = source.acceptedSpansHistory(target, settings, { startMs: startMs + stepMs, endMs, stepSeconds: historyStepSeconds });
    // Sample at t averages (t − step, t]: it becomes the step starting at t − step.
    const length = Math.round((endMs - startMs) / stepMs);
    const values = new Float64Array(length).fill(Number.NaN);
    for (const sample of samples) values[Math.round((sample.timestampMs - startMs) / stepMs) - 1] = sample.value;
    const horizonSteps = Math.ceil((this.options.refitSeconds + this.leadSeconds) / historyStepSeconds) + 1;
    const result = forecast({ values, stepSeconds: historyStepSeconds, startMs }, { horizonSteps, quantile: settings.forecastQuantile });
    this.fitted = { atMs: nowMs, result };
  }

  /** The forecast input for a decision at `nowMs`, refitting first when a refit is due. */
  inputAt(source: SimulatedSignalSource, nowMs: number): ForecastInput {
    const refitMs = this.options.refitSeconds * 1000;
    if (this.fitted === undefined || Math.floor(nowMs / refitMs) !== Math.floor(this.fitted.atMs / refitMs)) this.refit(source, nowMs);
    const { result, atMs } = this.fitted!;
    if (result.kind === 'unavailable') return { kind: 'unavailable', reason: result.reason };
    const targetMs = nowMs + this.leadSeconds * 1000;
    const stepMs = this.options.historyStepSeconds * 1000;
    const point = result.points.find((candidate) => candidate.timestampMs !== undefined && candidate.timestampMs <= targetMs && targetMs < candidate.timestampMs + stepMs);
    if (!point) return { kind: 'unavailable', reason: 'the last fit does not reach now + lead time' };
    return {
      kind: 'available',
      band: {
        leadTimeSeconds: this.leadSeconds,
        pointSpansPerSecond: Math.max(0, point.point),
        upperSpansPerSecond: Math.max(0, point.upper),
        quantile: result.quantile,
        fittedAtMs: atMs,
        model: result.model,
      },
    };
  }
}
