// The utilization a peak may run at comes from the HPA's tolerance, and a target above it is called out.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import { HPA_TOLERANCE } from '../../src/policy/hpa-tolerance.ts';
import { PEAK_UTILIZATION, peakUtilizationOf } from '../../src/policy/peak-utilization.ts';
import { settings, snapshot } from './policy-fixtures.ts';

describe('the peak utilization', () => {
  it('is the utilization a tier may be sized at and still reach no more than its full CPU before the HPA acts', () => {
    expect(PEAK_UTILIZATION * (1 + HPA_TOLERANCE)).toBeCloseTo(1, 12);
    expect(peakUtilizationOf(0.7)).toBe(PEAK_UTILIZATION);
    expect(peakUtilizationOf(0.95)).toBe(0.95);
  });

  it('says on every decision when targetUtilization is above it, with what the gateways reach and what to set', () => {
    const reasonsAt = (targetUtilization: string) => decide({ nowMs: snapshot().observedAtMs, snapshot: snapshot() }, settings({ targetUtilization })).decision.reasons;
    expect(reasonsAt('0.95')).toContain(
      'targetUtilization 0.95 lets a growing load take the gateways to 105% of their CPU before the HPA carries out a scale-out (it ignores changes within ±10%); set it to 0.9 or less.',
    );
    expect(reasonsAt('0.9').join(' ')).not.toContain('targetUtilization');
  });
});
