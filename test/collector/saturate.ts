// npm run collector:saturate — runs one gateway of the built collector with the shipped config under a
// CPU quota (GOMAXPROCS=1 and a cgroup quota, as a pod's CPU limit holds it) at loads from below to past
// what that quota processes, and writes test/collector/saturation.json: accepted spans, CPU, and the
// decision tick's mean and p99 (as histogram_quantile reads it) at each. The simulator's tick model is
// held to these points (test/sim/gateway-model.test.ts): on which side of the scaler's latency budget
// a gateway's ticks fall below its capacity and past it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, progressLine, RunFailure, runCommand, writeFlagFile } from '../../src/cli/command-line.ts';
import { startBackendSink } from './support/backend-sink.ts';
import { collectorBinary, collectorRelease } from './support/collector-process.ts';
import { startLoadGenerator } from './support/load-generator.ts';
import { assertOutputDirectory, bucketIncrease, DECISION_TICK_HISTOGRAM, histogramBuckets, histogramQuantile, machineFacts, metricSum, round, SHIPPED_CONFIG, startMeasuredGateway } from './support/measured-gateway.ts';

const OUTPUT = fileURLToPath(new URL('./saturation.json', import.meta.url));
const CALIBRATION = fileURLToPath(new URL('./calibration.json', import.meta.url));
const SPANS_PER_TRACE = 10;
const TRACE_DURATION_MS = 1000;
/**
 * CPU quotas measured, in cores. Above a quarter core the load past capacity (with 10 spans per trace)
 * holds more traces than the shipped num_traces for decision_wait, so the processor would drop traces
 * early and its ticks would decide less; and the load generator shares the machine's two cores.
 */
const QUOTAS = [0.1, 0.25];
/**
 * Offered load as a share of what the quota processes at the calibrated spans per CPU-second: below
 * the utilization a peak is sized at, near it, and past the quota twice.
 */
const SHARES = [0.7, 0.9, 1.05, 1.2];
const WARMUP_SECONDS = 35;
const MEASURE_SECONDS = 30;
/** decision_wait (30 s) and a margin: the held traces are decided before the next step. */
const DRAIN_SECONDS = 35;

export const SATURATE_COMMAND: CommandSpec = {
  name: 'collector:saturate',
  usage: ['npm run collector:saturate -- [--out FILE]'],
  summary:
    'Runs one gateway of the built collector with the shipped config at GOMAXPROCS=1 under CPU quotas of\n' +
    `${QUOTAS.join(' and ')} core, offered ${SHARES.join(', ')} × what the quota processes at the calibrated spans per\n` +
    `CPU-second, and measures accepted spans, CPU and the decision tick's mean and p99 (about ${Math.ceil(
      (QUOTAS.length * SHARES.length * (WARMUP_SECONDS + MEASURE_SECONDS + DRAIN_SECONDS)) / 60,
    )} minutes).`,
  options: {
    out: { value: 'FILE', description: 'where to write the JSON (default test/collector/saturation.json, which\ntest/sim/gateway-model.test.ts and docs/collector-tier.md cite)' },
  },
  footer: 'Each step is printed as a JSON line; progress shows on a terminal.\nExit codes: 0 written; 1 the collector or the output file failed; 2 bad command line.',
};


function calibratedSpansPerCpuSecond(): number {
  const calibration = JSON.parse(readFileSync(CALIBRATION, 'utf8')) as { spansPerCpuSecond?: unknown };
  if (typeof calibration.spansPerCpuSecond !== 'number' || !(calibration.spansPerCpuSecond > 0)) {
    throw new RunFailure(`${CALIBRATION} has no spansPerCpuSecond; run npm run collector:calibrate first`);
  }
  return calibration.spansPerCpuSecond;
}

function shippedNumTraces(): number {
  const config = parseYaml(readFileSync(SHIPPED_CONFIG, 'utf8')) as { processors?: { tail_sampling?: { num_traces?: unknown } } };
  const numTraces = config.processors?.tail_sampling?.num_traces;
  if (typeof numTraces !== 'number') throw new RunFailure(`${SHIPPED_CONFIG}: processors.tail_sampling.num_traces is not set`);
  return numTraces;
}

async function saturate(values: OptionValues, io: CommandIo): Promise<number> {
  const output = typeof values.out === 'string' ? resolve(values.out) : OUTPUT;
  assertOutputDirectory(output);
  const spansPerCpuSecond = calibratedSpansPerCpuSecond();
  const numTraces = shippedNumTraces();
  const progress = progressLine(io);
  const say = (line: string) => {
    progress.done();
    io.out(`${line}\n`);
  };
  progress.update('building or finding the collector binary');
  const binary = collectorBinary();
  const sink = await startBackendSink();
  const steps = [];
  try {
    for (const quota of QUOTAS) {
      const gateway = await startMeasuredGateway(binary, sink.endpoint, `saturation-${quota}`, { goMaxProcs: 1, cpus: quota });
      try {
        for (const share of SHARES) {
          const tracesPerSecond = Math.round((share * quota * spansPerCpuSecond) / SPANS_PER_TRACE);
          const stepName = `${quota} core, ${share} × its capacity (${tracesPerSecond} traces/s)`;
          progress.update(`${stepName}: warming up for ${WARMUP_SECONDS} s`);
          const load = startLoadGenerator([gateway.otlp], { tracesPerSecond, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: TRACE_DURATION_MS });
          await sleep(WARMUP_SECONDS * 1000);
          const failedBefore = load.failedSpans();
          const before = { text: await (await fetch(gateway.metricsUrl)).text(), cpu: gateway.process.cpuSeconds(), at: Date.now() };
          progress.update(`${stepName}: measuring for ${MEASURE_SECONDS} s`);
          await sleep(MEASURE_SECONDS * 1000);
          const after = { text: await (await fetch(gateway.metricsUrl)).text(), cpu: gateway.process.cpuSeconds(), at: Date.now() };
          const failed = load.failedSpans() - failedBefore;
          await load.stop();
          const seconds = (after.at - before.at) / 1000;
          const delta = (name: string) => metricSum(after.text, name) - metricSum(before.text, name);
          const ticks = delta(`${DECISION_TICK_HISTOGRAM}_count`);
          const tracesHeld = metricSum(after.text, 'otelcol_processor_tail_sampling_sampling_traces_on_memory');
          const step = {
            cpus: quota,
            offeredShare: share,
            offeredSpansPerSecond: tracesPerSecond * SPANS_PER_TRACE,
            acceptedSpansPerSecond: round(delta('otelcol_receiver_accepted_spans') / seconds),
            cpuSecondsPerSecond: round((after.cpu - before.cpu) / seconds, 3),
            // Exports the load generator gave up on (deadline or too many in flight): the agents' backlog.
            agentFailedSpansPerSecond: round(failed / seconds),
            tracesHeld,
            decisionTicks: ticks,
            meanDecisionTickMs: round(delta(`${DECISION_TICK_HISTOGRAM}_sum`) / ticks, 1),
            p99DecisionTickMs: round(histogramQuantile(0.99, bucketIncrease(histogramBuckets(before.text, DECISION_TICK_HISTOGRAM), histogramBuckets(after.text, DECISION_TICK_HISTOGRAM)))),
          };
          say(JSON.stringify(step));
          if (tracesHeld >= numTraces) say(`  traces held reached num_traces (${numTraces}): the processor dropped traces early, so its ticks decided fewer`);
          steps.push(step);
          progress.update(`${stepName}: letting the held traces drain`);
          await sleep(DRAIN_SECONDS * 1000);
        }
      } finally {
        await gateway.process.stop();
      }
    }
    const saturation = {
      command: 'npm run collector:saturate',
      release: collectorRelease(),
      config: 'deploy/examples/gateway/gateway-collector.yaml (listen addresses and backend endpoint changed)',
      machine: machineFacts(),
      measuredAt: new Date().toISOString(),
      load: { spansPerTrace: SPANS_PER_TRACE, traceDurationMs: TRACE_DURATION_MS, note: 'one gateway fed directly over OTLP/gRPC by the load generator, on the same machine' },
      goMaxProcs: 1,
      numTraces,
      sizedFromSpansPerCpuSecond: spansPerCpuSecond,
      steps,
    };
    writeFlagFile('--out', output, `${JSON.stringify(saturation, null, 2)}\n`);
    say(`wrote ${output}`);
    return 0;
  } finally {
    progress.done();
    await sink.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = processIo();
  process.exitCode = await runCommand(SATURATE_COMMAND, process.argv.slice(2), io, async (values) => {
    try {
      return await saturate(values, io);
    } catch (error) {
      if (error instanceof RunFailure) throw error;
      io.err(`collector:saturate failed: ${(error as Error).stack ?? String(error)}\n`);
      return 1;
    }
  });
}
