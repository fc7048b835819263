import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import type { ForecastInput } from '../../src/policy/decide-input.ts';
import { isActive } from '../../src/policy/is-active.ts';
import { type SignalOverrides, settings, snapshot, T0_MS } from './policy-fixtures.ts';

function forecastUpTo(upperSpansPerSecond: number): ForecastInput {
  return { kind: 'available', band: { leadTimeSeconds: 95, pointSpansPerSecond: upperSpansPerSecond / 2, upperSpansPerSecond, quantile: 0.9, fittedAtMs: T0_MS, model: 'seasonal' } };
}

const cases: { name: string; input: { signals: SignalOverrides; forecast?: ForecastInput; activation: string }; want: boolean }[] = [
  { name: 'load above the activation threshold is active', input: { signals: { acceptedSpansPerSecond: 1_001 }, activation: '1000' }, want: true },
  { name: 'load exactly at the threshold is not', input: { signals: { acceptedSpansPerSecond: 1_000 }, activation: '1000' }, want: false },
  { name: 'idle tier with threshold 0 is not active', input: { signals: { acceptedSpansPerSecond: 0 }, activation: '0' }, want: false },
  { name: 'idle now but the forecast crosses the threshold within the lead time is active', input: { signals: { acceptedSpansPerSecond: 0 }, forecast: forecastUpTo(5_000), activation: '1000' }, want: true },
  { name: 'idle now and the forecast stays below is not', input: { signals: { acceptedSpansPerSecond: 10 }, forecast: forecastUpTo(900), activation: '1000' }, want: false },
  { name: 'load unknown stays active (never deactivate on missing data)', input: { signals: { acceptedSpansPerSecond: 'missing' }, activation: '1000' }, want: true },
];

describe('isActive', () => {
  for (const row of cases) {
    it(row.name, () => {
      const target = settings({ activationSpansPerSecond: row.input.activation });
      const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ signals: row.input.signals }), forecast: row.input.forecast }, target);
      expect(isActive(decision, target)).toBe(row.want);
    });
  }
});
