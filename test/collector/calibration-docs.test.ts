// The calibration figures in docs/collector-tier.md are the ones `npm run collector:calibrate` wrote to
// test/collector/calibration.json, and the CPU-quota figures the ones `npm run collector:saturate` wrote
// to test/collector/saturation.json, for the release the manifest builds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docSection } from '../support/docs.ts';
import { collectorRelease } from './support/collector-process.ts';

interface Calibration {
  readonly release: string;
  readonly startup: { readonly medianMs: number };
  readonly spansPerCpuSecond: number;
  readonly throughput: readonly { readonly offeredSpansPerSecond: number; readonly acceptedSpansPerSecond: number; readonly spansPerCpuSecond: number; readonly tracesHeld: number }[];
}

const calibration = JSON.parse(readFileSync(new URL('./calibration.json', import.meta.url), 'utf8')) as Calibration;
const section = docSection('docs/collector-tier.md', 'Calibration');
const number = (value: number) => value.toLocaleString('en-US');

describe('calibration figures', () => {
  it('were measured on the release the manifest builds', () => {
    expect(calibration.release).toBe(collectorRelease());
    expect(section).toContain(`collector ${calibration.release}`);
  });

  it('appear in docs/collector-tier.md as measured, one row per offered rate', () => {
    for (const step of calibration.throughput) {
      const row = section.split('\n').find((line) => line.startsWith(`| ${number(step.offeredSpansPerSecond)} |`));
      expect(row, `row for ${step.offeredSpansPerSecond} spans/s`).toBeDefined();
      for (const figure of [step.acceptedSpansPerSecond, step.spansPerCpuSecond, step.tracesHeld]) expect(row).toContain(number(figure));
    }
    expect(section).toContain(`${number(calibration.startup.medianMs)} ms`);
    expect(section).toContain(number(calibration.spansPerCpuSecond));
  });
});

interface Saturation {
  readonly release: string;
  readonly steps: readonly { readonly cpus: number; readonly offeredSpansPerSecond: number; readonly acceptedSpansPerSecond: number; readonly p99DecisionTickMs: number }[];
}

const saturation = JSON.parse(readFileSync(new URL('./saturation.json', import.meta.url), 'utf8')) as Saturation;
const quotaSection = docSection('docs/collector-tier.md', 'Under a CPU quota');

describe('CPU-quota figures', () => {
  it('were measured on the release the manifest builds', () => {
    expect(saturation.release).toBe(collectorRelease());
    expect(quotaSection).toContain(`collector ${saturation.release}`);
  });

  it('appear in docs/collector-tier.md as measured, one row per quota and offered rate', () => {
    for (const step of saturation.steps) {
      const row = quotaSection.split('\n').find((line) => line.startsWith(`| ${step.cpus} | ${number(step.offeredSpansPerSecond)} |`));
      expect(row, `row for ${step.cpus} core at ${step.offeredSpansPerSecond} spans/s`).toBeDefined();
      expect(row).toContain(`| ${number(step.acceptedSpansPerSecond)} |`);
      expect(row).toContain(`| ${number(step.p99DecisionTickMs)} ms |`);
    }
  });
});
