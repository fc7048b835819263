import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Advisor, type AdvisoryTarget } from '../../src/advisor/advisor.ts';
import type { AdvisorLogger } from '../../src/advisor/advisor-logger.ts';
import { AdvisoryLoop } from '../../src/advisor/advisory-loop.ts';
import type { Evaluation } from '../../src/advisor/target-evaluator.ts';
import { ScalerError } from '../../src/errors.ts';
import type { SignalSnapshot, SignalSource, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { T0_MS, snapshot } from '../policy/policy-fixtures.ts';
import { RecordingLogger } from '../support/recording-logger.ts';

const EVERY_SECOND = '* * * * * *';
const target = (name: string, metadata: Record<string, string> = { gatewaySelector: 'job="otel-gateway"' }): AdvisoryTarget => ({ namespace: 'batch', name, metadata });

/** A source whose reads resolve only when the test releases them. */
class GatedSource implements SignalSource {
  private gates: (() => void)[] = [];
  reads = 0;
  async read(target: TargetRef): Promise<SignalSnapshot> {
    this.reads++;
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (target.name === 'broken') throw new ScalerError('PROMETHEUS_UNAVAILABLE', 'connect ECONNREFUSED');
    return snapshot({ observedAtMs: T0_MS });
  }
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function advisorOver(source: SignalSource): Advisor {
  return new Advisor({ sourceFor: () => source, targetDefaults: {}, forgetAfterSeconds: 3600, maxTargets: 10, historyLength: 10 });
}

describe('AdvisoryLoop', () => {
  it('evaluates every target in a run; one failing target is logged and recorded without stopping the others', async () => {
    const source = new GatedSource();
    const advisor = advisorOver(source);
    const logger = new RecordingLogger();
    const targets = [target('a'), target('broken'), target('c'), target('bad-metadata', { gatewaySelector: 'nope' }), target('e'), target('f')];
    const loop = new AdvisoryLoop({ schedule: EVERY_SECOND, targets, evaluator: advisor, logger, nowMs: () => T0_MS });
    const run = loop.runOnce();
    await until(() => source.reads >= 4);
    source.release();
    await until(() => source.reads === 5);
    source.release();
    expect(await run).toEqual({ evaluated: 4, failed: 2 });
    const byName = advisor.targets().map((record) => [record.ref.name, record.origin, record.lastError?.code]);
    expect(byName.sort((x, y) => String(x[0]).localeCompare(String(y[0])))).toEqual([
      ['a', 'advisory', undefined],
      ['broken', 'advisory', 'PROMETHEUS_UNAVAILABLE'],
      ['c', 'advisory', undefined],
      ['e', 'advisory', undefined],
      ['f', 'advisory', undefined],
    ]);
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => [line.fields.target, line.fields.code])).toEqual(
      expect.arrayContaining([
        ['batch/broken', 'PROMETHEUS_UNAVAILABLE'],
        ['batch/bad-metadata', 'INVALID_METADATA'],
      ]),
    );
  });

  it('runs never overlap: a run requested while one is in progress is that same run', async () => {
    const source = new GatedSource();
    const loop = new AdvisoryLoop({ schedule: EVERY_SECOND, targets: [target('a')], evaluator: advisorOver(source), logger: new RecordingLogger() });
    const first = loop.runOnce();
    expect(loop.runOnce()).toBe(first);
    await until(() => source.reads === 1);
    source.release();
    await first;
    const second = loop.runOnce();
    expect(second).not.toBe(first);
    await until(() => source.reads === 2);
    source.release();
    await second;
  });

  it('on its schedule, skips (and logs) ticks while a run is in progress, and stop waits for that run', async () => {
    const source = new GatedSource();
    const logger = new RecordingLogger();
    const loop = new AdvisoryLoop({ schedule: EVERY_SECOND, targets: [target('a')], evaluator: advisorOver(source), logger });
    loop.start();
    await until(() => source.reads === 1);
    await until(() => logger.lines.some((line) => line.message.includes('skipping this tick')), 3000);
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    source.release();
    await stopping;
    expect(source.reads).toBe(1);
  });

  it('does not schedule anything without advisory targets', async () => {
    let calls = 0;
    const evaluator = { evaluateAdvisory: async (): Promise<Evaluation> => { calls++; throw new Error('unexpected'); } };
    const loop = new AdvisoryLoop({ schedule: EVERY_SECOND, targets: [], evaluator, logger: new RecordingLogger() });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await loop.stop();
    expect(calls).toBe(0);
  });

  it('rejects a schedule that is not a cron expression, naming the config key', () => {
    expect(() => new AdvisoryLoop({ schedule: 'every 30s', targets: [], evaluator: advisorOver(new GatedSource()), logger: new RecordingLogger() })).toThrow(
      /advisor\.schedule "every 30s" is not a cron expression/,
    );
  });

  it('takes a pino logger as it is', () => {
    const logger: AdvisorLogger = pino({ level: 'silent' });
    expect(() => new AdvisoryLoop({ schedule: EVERY_SECOND, targets: [], evaluator: advisorOver(new GatedSource()), logger })).not.toThrow();
  });
});
