// npm run collector:calibrate — measures one gateway of the built collector with the shipped config
// (deploy/examples/gateway/gateway-collector.yaml; only its listen addresses and backend are changed)
// on this machine, and writes test/collector/calibration.json. The simulator's defaults cite it.
//   - start-up: process start until health_check answers, over several starts;
//   - CPU: spans accepted per CPU-second of the gateway process at several offered rates;
//   - decision tick: mean tick latency against traces held (decision_wait 30 s, as shipped);
//   - memory: heap and RSS growth per held trace.
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, progressLine, RunFailure, runCommand, writeFlagFile } from '../../src/cli/command-line.ts';
import { startBackendSink } from './support/backend-sink.ts';
import { collectorBinary, collectorRelease } from './support/collector-process.ts';
import { startLoadGenerator } from './support/load-generator.ts';
import { assertOutputDirectory, DECISION_TICK_HISTOGRAM, machineFacts, metricSum, round, startMeasuredGateway } from './support/measured-gateway.ts';

const OUTPUT = fileURLToPath(new URL('./calibration.json', import.meta.url));
const SPANS_PER_TRACE = 10;
const STARTS = 5;
/** Offered traces/s per step; each step runs past decision_wait so receive, decide and export are all in the window. */
const TRACE_RATES = [100, 300, 600];
const WARMUP_SECONDS = 35;
const MEASURE_SECONDS = 20;

export const CALIBRATE_COMMAND: CommandSpec = {
  name: 'collector:calibrate',
  usage: ['npm run collector:calibrate -- [--out FILE]'],
  summary:
    'Measures one gateway of the built collector with the shipped config on this machine: start-up, spans\n' +
    `per CPU-second, decision tick cost and memory per held trace, at ${TRACE_RATES.join(', ')} traces/s (about ${Math.ceil(
      (TRACE_RATES.length * (WARMUP_SECONDS + MEASURE_SECONDS + 35)) / 60,
    )} minutes).`,
  options: {
    out: { value: 'FILE', description: 'where to write the calibration JSON (default test/collector/calibration.json,\nwhich the simulator defaults and docs/collector-tier.md cite)' },
  },
  footer: 'Each step is printed as a JSON line; progress shows on a terminal.\nExit codes: 0 written; 1 the collector or the output file failed; 2 bad command line.',
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function calibrate(values: OptionValues, io: CommandIo): Promise<number> {
  const output = typeof values.out === 'string' ? resolve(values.out) : OUTPUT;
  assertOutputDirectory(output);
  const progress = progressLine(io);
  const say = (line: string) => {
    progress.done();
    io.out(`${line}\n`);
  };
  progress.update('building or finding the collector binary');
  const binary = collectorBinary();
  const sink = await startBackendSink();
  try {
    const startupMs: number[] = [];
    for (let index = 0; index < STARTS; index++) {
      progress.update(`start-up ${index + 1}/${STARTS}`);
      const gateway = await startMeasuredGateway(binary, sink.endpoint, 'calibration');
      startupMs.push(gateway.process.readyAtMs - gateway.process.startedAtMs);
      await gateway.process.stop();
    }
    say(`start → ready: ${startupMs.join(', ')} ms`);

    const gateway = await startMeasuredGateway(binary, sink.endpoint, 'calibration');
    const idle = await (await fetch(gateway.metricsUrl)).text();
    const baseline = { heapBytes: metricSum(idle, 'otelcol_process_runtime_heap_alloc_bytes'), rssBytes: gateway.process.rssBytes() };
    const steps = [];
    try {
      for (const [stepIndex, tracesPerSecond] of TRACE_RATES.entries()) {
        const stepName = `step ${stepIndex + 1}/${TRACE_RATES.length}, ${tracesPerSecond} traces/s`;
        progress.update(`${stepName}: warming up for ${WARMUP_SECONDS} s`);
        const load = startLoadGenerator([gateway.otlp], { tracesPerSecond, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 });
        await sleep(WARMUP_SECONDS * 1000);
        const before = { text: await (await fetch(gateway.metricsUrl)).text(), cpu: gateway.process.cpuSeconds(), at: Date.now() };
        const heldSamples: number[] = [];
        const heapSamples: number[] = [];
        const rssSamples: number[] = [];
        for (let second = 0; second < MEASURE_SECONDS; second++) {
          progress.update(`${stepName}: measuring, ${MEASURE_SECONDS - second} s left`);
          await sleep(1000);
          const text = await (await fetch(gateway.metricsUrl)).text();
          heldSamples.push(metricSum(text, 'otelcol_processor_tail_sampling_sampling_traces_on_memory'));
          heapSamples.push(metricSum(text, 'otelcol_process_runtime_heap_alloc_bytes'));
          rssSamples.push(gateway.process.rssBytes());
        }
        const after = { text: await (await fetch(gateway.metricsUrl)).text(), cpu: gateway.process.cpuSeconds(), at: Date.now() };
        await load.stop();
        const seconds = (after.at - before.at) / 1000;
        const delta = (name: string) => metricSum(after.text, name) - metricSum(before.text, name);
        const accepted = delta('otelcol_receiver_accepted_spans') / seconds;
        const cpuPerSecond = (after.cpu - before.cpu) / seconds;
        const ticks = delta(`${DECISION_TICK_HISTOGRAM}_count`);
        const step = {
          offeredSpansPerSecond: tracesPerSecond * SPANS_PER_TRACE,
          acceptedSpansPerSecond: round(accepted),
          refusedSpansPerSecond: round(delta('otelcol_receiver_refused_spans') / seconds, 1),
          cpuSecondsPerSecond: round(cpuPerSecond, 3),
          spansPerCpuSecond: round(accepted / cpuPerSecond),
          tracesHeld: round(median(heldSamples)),
          meanDecisionTickMs: round(delta(`${DECISION_TICK_HISTOGRAM}_sum`) / ticks, 2),
          heapBytes: round(median(heapSamples)),
          rssBytes: round(median(rssSamples)),
        };
        say(JSON.stringify(step));
        steps.push(step);
        // Let the held traces drain before the next step.
        progress.update(`${stepName}: letting the held traces drain`);
        await sleep(35_000);
      }
    } finally {
      await gateway.process.stop();
    }

    // Least-squares slope of y on x.
    const slope = (xs: number[], ys: number[]) => {
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      return xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0) / xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
    };
    const held = steps.map((step) => step.tracesHeld);
    const accepted = steps.map((step) => step.acceptedSpansPerSecond);
    const calibration = {
      command: 'npm run collector:calibrate',
      release: collectorRelease(),
      config: 'deploy/examples/gateway/gateway-collector.yaml (listen addresses and backend endpoint changed)',
      machine: machineFacts(),
      measuredAt: new Date().toISOString(),
      load: { spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000, spanAttributes: 9, note: 'one gateway fed directly over OTLP/gRPC by the load generator, on the same machine' },
      startup: { startsMeasured: STARTS, processStartToReadyMs: startupMs, medianMs: median(startupMs) },
      throughput: steps,
      spansPerCpuSecond: round(median(steps.map((step) => step.spansPerCpuSecond))),
      // CPU = idle + accepted / marginal: the marginal figure is what one more span costs.
      marginalSpansPerCpuSecond: round(1 / slope(accepted, steps.map((step) => step.cpuSecondsPerSecond))),
      idleCpuSecondsPerSecond: round(
        steps[0]!.cpuSecondsPerSecond - steps[0]!.acceptedSpansPerSecond * slope(accepted, steps.map((step) => step.cpuSecondsPerSecond)),
        4,
      ),
      decisionTick: {
        msPerHeldTrace: round(slope(held, steps.map((step) => step.meanDecisionTickMs)), 6),
        // One tick decides the traces that arrived in one second: its cost per trace/s arriving.
        msPerTracePerSecond: round(median(steps.map((step) => step.meanDecisionTickMs / (step.offeredSpansPerSecond / SPANS_PER_TRACE))), 5),
        points: steps.map(({ tracesHeld, meanDecisionTickMs }) => ({ tracesHeld, meanDecisionTickMs })),
      },
      memory: {
        idleHeapBytes: baseline.heapBytes,
        idleRssBytes: baseline.rssBytes,
        heapBytesPerHeldTrace: round(slope(held, steps.map((step) => step.heapBytes))),
        rssBytesPerHeldTrace: round(slope(held, steps.map((step) => step.rssBytes))),
        rssBytesPerHeldSpan: round(slope(held, steps.map((step) => step.rssBytes)) / SPANS_PER_TRACE),
      },
    };
    writeFlagFile('--out', output, `${JSON.stringify(calibration, null, 2)}\n`);
    say(`wrote ${output}`);
    return 0;
  } finally {
    progress.done();
    await sink.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = processIo();
  process.exitCode = await runCommand(CALIBRATE_COMMAND, process.argv.slice(2), io, async (values) => {
    try {
      return await calibrate(values, io);
    } catch (error) {
      if (error instanceof RunFailure) throw error;
      io.err(`collector:calibrate failed: ${(error as Error).stack ?? String(error)}\n`);
      return 1;
    }
  });
}
