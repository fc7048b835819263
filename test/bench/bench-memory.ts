// `npm run bench:memory`: the scaler's resident memory as the shipped Deployment runs it. Builds the
// scaler as the image does and starts `node dist/main.js` with the image's memory settings and the
// shipped server config (deploy/base/scaler-config.yaml), reading a Prometheus stand-in on loopback.
// A grpc-js client plays KEDA:
//   targets   N ScaledObjects polled (GetMetricSpec, GetMetrics, IsActive) for R rounds; the signal
//             cache is off so every round records a decision per target, filling each target's
//             share of the decision history as weeks of polls would;
//   large     M distinct metadata maps near the 32 KiB limit sent to GetMetricSpec;
//   oversized K maps with a 1 MiB value, each refused with INVALID_ARGUMENT.
// Prints settled RSS after each phase against the goal (≤ 180 MiB with 1,000 targets: the shipped
// 256 Mi limit with 30 % to spare). Not a test: no assertion; a missed goal is printed as missed.
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, runCommand, UsageError } from '../../src/cli/command-line.ts';
import {
  buildScaler,
  inParallel,
  kedaClient,
  largeMetadata,
  oversizedMetadata,
  settledResidentBytes,
  startPrometheusStandIn,
  startScalerProcess,
  targetMetadata,
} from './memory-harness.ts';

export const BENCH_MEMORY_COMMAND: CommandSpec = {
  name: 'bench:memory',
  usage: ['npm run bench:memory -- [--targets N] [--rounds R] [--large-maps M] [--oversized-maps K]'],
  summary: "Settled RSS of the built scaler, run as the shipped Deployment runs it, with many targets and with\nmany distinct large metadata maps, against the shipped memory limit.",
  options: {
    targets: { value: 'N', description: 'ScaledObjects polled (default 1000)' },
    rounds: { value: 'R', description: 'polls of every target, each recording a decision (default 12)' },
    'large-maps': { value: 'M', description: 'distinct metadata maps near 32 KiB sent to GetMetricSpec (default 2000)' },
    'oversized-maps': { value: 'K', description: 'maps with a 1 MiB value, each refused (default 200)' },
  },
  footer: 'Exit codes: 0 done (goals met or not); 1 the scaler failed; 2 bad command line.',
};

/** 1,000 targets settle within the shipped limit with 30 % to spare. */
const GOAL_RSS_BYTES = 180 * 1024 * 1024;
const PARALLEL_CALLS = 32;

function count(value: OptionValues[string], flag: string, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`--${flag} must be an integer ≥ 0, got "${value}"`);
  return parsed;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function shippedMemoryLimit(): string {
  const deployment = parseYaml(readFileSync(new URL('../../deploy/base/scaler-deployment.yaml', import.meta.url), 'utf8')) as {
    spec: { template: { spec: { containers: { resources?: { limits?: { memory?: string } } }[] } } };
  };
  return deployment.spec.template.spec.containers[0]?.resources?.limits?.memory ?? 'none';
}

async function run(values: OptionValues, io: CommandIo): Promise<number> {
  const targets = count(values.targets, 'targets', 1000);
  const rounds = count(values.rounds, 'rounds', 12);
  const largeMaps = count(values['large-maps'], 'large-maps', 2000);
  const oversizedMaps = count(values['oversized-maps'], 'oversized-maps', 200);
  io.err('building the scaler (npm run build) …\n');
  buildScaler();
  const prometheus = await startPrometheusStandIn();
  const scaler = await startScalerProcess({ prometheusUrl: prometheus.url, built: true, cacheTtlMs: 0 }).catch(async (error: unknown) => {
    await prometheus.stop();
    throw error;
  });
  const client = kedaClient(scaler.grpcAddress);
  const rows: string[] = [];
  const row = (phase: string, bytes: number, note: string) => {
    rows.push(`| ${phase} | ${mib(bytes)} | ${note} |`);
    io.err(`${phase}: ${mib(bytes)}\n`);
  };
  try {
    row('started, nothing polled', await settledResidentBytes(scaler.pid), '');
    let errors = 0;
    for (let round = 1; round <= rounds; round++) {
      await inParallel(targets, PARALLEL_CALLS, async (index) => {
        errors += (await client.poll('bench', `gateway-${index}`, targetMetadata(index))).length;
      });
      if (round === 1) row(`${targets} targets polled once`, await settledResidentBytes(scaler.pid), `${errors} failed calls`);
    }
    const afterTargets = await settledResidentBytes(scaler.pid);
    const goalMet = targets < 1000 || afterTargets <= GOAL_RSS_BYTES;
    row(`${targets} targets polled ${rounds} times`, afterTargets, `${errors} failed calls; goal ≤ ${mib(GOAL_RSS_BYTES)} — ${goalMet ? 'met' : 'NOT met'}`);
    let refusedLarge = 0;
    await inParallel(largeMaps, PARALLEL_CALLS, async (index) => {
      if ((await client.metricSpec('bench', `large-${index % 50}`, largeMetadata(index))).code !== 0) refusedLarge++;
    });
    row(`+ ${largeMaps} distinct ~16 KiB metadata maps`, await settledResidentBytes(scaler.pid), `${refusedLarge} refused (expected 0)`);
    let invalid = 0;
    let longestDetails = 0;
    await inParallel(oversizedMaps, 4, async (index) => {
      const answer = await client.metricSpec('bench', `oversized-${index % 50}`, oversizedMetadata(index));
      if (answer.code === 3) invalid++;
      longestDetails = Math.max(longestDetails, answer.details.length);
    });
    row(`+ ${oversizedMaps} maps with a 1 MiB value`, await settledResidentBytes(scaler.pid), `${invalid} INVALID_ARGUMENT; longest message ${longestDetails} characters`);
    io.out(
      [
        `bench:memory — node dist/main.js with the image's memory settings and deploy/base/scaler-config.yaml; shipped memory limit ${shippedMemoryLimit()}`,
        `Prometheus stand-in on loopback answered ${prometheus.queries().toLocaleString('en-US')} queries (signal cache off: one decision per target per round)`,
        '',
        '| phase | settled RSS | note |',
        '|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    client.close();
    await scaler.stop();
    await prometheus.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = processIo();
  process.exitCode = await runCommand(BENCH_MEMORY_COMMAND, process.argv.slice(2), io, async (values) => {
    try {
      return await run(values, io);
    } catch (error) {
      io.err(`bench:memory failed: ${(error as Error).stack ?? String(error)}\n`);
      return 1;
    }
  });
}
