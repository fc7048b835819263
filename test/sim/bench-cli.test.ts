import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/sim/bench.ts';
import { benchOptionsFrom, parseBenchArgs, runBenchCli } from '../../src/sim/bench-cli.ts';
import { loadExampleScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { simulatedTargetMetadata, simulatedTargetSettings } from '../../src/sim/simulated-target.ts';
import { docFile } from '../support/docs.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], isTerminal = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runBenchCli(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), isTerminal });
  return { code, stdout, stderr };
}

const badCsv = join(dir, 'bad.csv');
writeFileSync(badCsv, 'timestamp,value\n2020-01-01 00:00,5\n2020-01-01 00:01,6\n');

describe('bench CLI rejects bad input with exit code 2 and a message naming the flag', () => {
  const cases: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'unknown flag', input: ['--speed', '3'], want: /bench: unknown option --speed\n/ },
    { name: 'positional argument', input: ['trace.csv'], want: /unexpected argument "trace.csv"/ },
    { name: 'peak replicas not a number', input: ['--peak-replicas', 'many'], want: /--peak-replicas must be an integer from 1 to 60, got "many"/ },
    { name: 'peak replicas above max replicas', input: ['--peak-replicas', '61'], want: /--peak-replicas must be an integer from 1 to 60/ },
    { name: 'outage without duration', input: ['--outage', '2x'], want: /--outage must be COUNTxDURATION/ },
    { name: 'burst without multiplier', input: ['--burst', '1x10m'], want: /--burst must be COUNTxDURATION@MULTIPLIER/ },
    { name: 'slow recovery at the load itself', input: ['--outage', '1x30m', '--slow-recovery', '30m@1'], want: /--slow-recovery must be DURATION@MULTIPLE .* e\.g\. 30m@1\.1; got "30m@1"/ },
    { name: 'slow recovery without outages', input: ['--days', '1', '--slow-recovery', '30m@1.1', '--autoscalers', 'oracle'], want: /--slow-recovery shapes the backend after each outage, and the run has none: add --outage/ },
    { name: 'scaler restarts without a duration', input: ['--scaler-restarts', '28'], want: /--scaler-restarts must be COUNTxDURATION .* e\.g\. 28x1m; got "28"/ },
    { name: 'scaler restarts that do not fit the trace', input: ['--days', '1', '--scaler-restarts', '3x12h', '--autoscalers', 'oracle'], want: /--scaler-restarts 3x12h does not fit the run/ },
    { name: 'negative seed', input: ['--seed=-1'], want: /--seed must be an integer from 0/ },
    { name: 'flag without its value', input: ['--seed'], want: /bench: --seed needs a value\n/ },
    { name: 'unknown autoscaler', input: ['--autoscalers', 'oracle,vpa'], want: /--autoscalers must list names from static-peak.*unknown: vpa/ },
    { name: 'drain not a multiple of the step', input: ['--drain', '7s'], want: /--drain must be a multiple of the 5 s simulation step/ },
    { name: 'capacity not a number', input: ['--capacity', 'fast'], want: /--capacity must be an integer from 100/ },
    { name: 'pod startup not a duration', input: ['--pod-startup', 'slow'], want: /--pod-startup must be a duration from 0s to 3600s/ },
    { name: 'dns interval not a multiple of the step', input: ['--dns-interval', '3s'], want: /--dns-interval must be a multiple of the 5 s simulation step/ },
    { name: 'decision wait of zero', input: ['--decision-wait', '0s'], want: /--decision-wait must be a duration from 5s/ },
    { name: 'num traces of zero', input: ['--num-traces', '0'], want: /--num-traces must be an integer from 1/ },
    { name: 'spans per trace fractional', input: ['--spans-per-trace', '2.5'], want: /--spans-per-trace must be an integer from 1/ },
    { name: 'backend capacity negative', input: ['--backend-capacity=-1'], want: /--backend-capacity must be a number from 0.01/ },
    { name: 'trace duration not a duration', input: ['--trace-duration', 'long'], want: /--trace-duration must be a duration from 0.01s to 3600s such as 90s or 2m, got "long"/ },
    { name: 'trace duration of zero', input: ['--trace-duration', '0s'], want: /--trace-duration must be a duration from 0.01s/ },
    { name: 'tick cost not a number', input: ['--tick-cost', 'x'], want: /--tick-cost must be a number from 0/ },
    { name: 'CPU curve above linear', input: ['--cpu-curve', '1.5'], want: /--cpu-curve must be a number from 0.1 to 1, got "1.5"/ },
    { name: 'CPU ceiling above the allotment', input: ['--cpu-ceiling', '1.2'], want: /--cpu-ceiling must be a number from 0.1 to 1, got "1.2"/ },
    { name: 'polling interval too short', input: ['--polling-interval', '1s'], want: /--polling-interval must be a duration from 5s/ },
    { name: 'min replicas above max replicas', input: ['--min-replicas', '10', '--max-replicas', '5'], want: /--min-replicas \(10\) must not exceed --max-replicas \(5\)/ },
    { name: 'max replicas of zero', input: ['--max-replicas', '0'], want: /--max-replicas must be an integer from 1/ },
    { name: 'unknown scenario', input: ['--scenario', 'noisy'], want: /--scenario must be one of slow-backend, buffer-bound, bursty, skewed-ring/ },
    { name: 'metadata without a value', input: ['--metadata', 'capacitySpansPerReplica'], want: /--metadata must be KEY=VALUE/ },
    { name: 'metadata with an unknown key', input: ['--metadata', 'capacity=5'], want: /--metadata: .*capacity.* is not a known key/ },
    { name: 'metadata with a bad value', input: ['--metadata', 'capacitySpansPerReplica=lots'], want: /--metadata: .*capacitySpansPerReplica/ },
    { name: 'days with a trace file', input: ['--trace', badCsv, '--days', '3'], want: /--days sets the length of the synthetic trace/ },
    { name: 'outages that do not fit the trace', input: ['--days', '1', '--outage', '3x12h', '--autoscalers', 'oracle'], want: /--outage 3x12h does not fit the run/ },
    { name: 'empty json path', input: ['--json', ''], want: /--json needs a file path/ },
  ];
  for (const row of cases) {
    it(row.name, async () => {
      const got = await cli(row.input);
      expect(got.code).toBe(2);
      expect(got.stderr).toMatch(row.want);
      expect(got.stderr).toMatch(/Run with --help/);
      expect(got.stdout).toBe('');
    });
  }
});

describe('bench CLI: a bare trace name', () => {
  it('not in the working directory is read from the public traces beside the repository', async () => {
    const got = await cli(['--trace', 'nasa-http-1995-07.csv', '--trace-days', '1', '--autoscalers', 'static-peak']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain('nasa-http-1995-07.csv');
  });
});

describe('bench CLI: a file that cannot be used exits 1 naming it', () => {
  const cases: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'missing trace file', input: ['--trace', join(dir, 'nope.csv')], want: /--trace .*nope\.csv cannot be read: ENOENT/ },
    { name: 'a bare trace name found nowhere', input: ['--trace', 'nope.csv'], want: /--trace nope\.csv cannot be read: ENOENT \(looked in the working directory and in .*shared\/traces\/\)/ },
    { name: 'malformed trace file', input: ['--trace', badCsv], want: /bad\.csv: line 2 timestamp must be ISO-8601/ },
    { name: 'JSON output in a directory that does not exist', input: ['--days', '1', '--autoscalers', 'static-peak', '--json', join(dir, 'no-such-dir', 'out.json')], want: /--json .*out\.json cannot be written: ENOENT/ },
  ];
  for (const row of cases) {
    it(row.name, async () => {
      const got = await cli(row.input);
      expect(got.code).toBe(1);
      expect(got.stderr).toMatch(row.want);
    });
  }
});

describe('bench CLI', () => {
  it('prints one row per autoscaler and writes the JSON and the SVG', async () => {
    const json = join(dir, 'out.json');
    const svg = join(dir, 'out.svg');
    const got = await cli(['--days', '1', '--outage', '1x30m', '--slow-recovery', '20m@1.1', '--scaler-restarts', '2x1m', '--autoscalers', 'static-peak,oracle', '--json', json, '--plot', svg]);
    expect(got.code).toBe(0);
    const rows = got.stdout.split('\n').filter((line) => /^(static-peak|oracle)\s/.test(line));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['static-peak', 'oracle']);
    // Column names are words; the SPEC RG symbols stay in the JSON and the docs, which name every column.
    const header = got.stdout.split('\n').find((line) => line.startsWith('autoscaler'))!;
    expect(header).not.toMatch(/[θτυ]|\bj\b/);
    const documented = docFile('docs/benchmark.md');
    const columns = header.trim().split(/\s{2,}/).slice(1);
    expect(columns.length).toBeGreaterThan(10);
    expect(columns.at(-1)).toBe('replicas added in slow recoveries');
    expect(columns.filter((column) => !documented.includes(column.replace(/ %$| \/h$/, '')))).toEqual([]);
    expect(got.stdout).toMatch(/--drain 40s; --min-replicas 2 --max-replicas 60/);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(written).slice(0, 3)).toEqual(['trace', 'steps', 'policies']);
    expect(written.outages).toHaveLength(1);
    expect(written.slowRecoveries).toEqual([{ start: written.outages[0].end, end: new Date(Date.parse(written.outages[0].end) + 20 * 60_000).toISOString().replace('.000Z', 'Z'), loadMultiple: 1.1 }]);
    expect(got.stdout).toMatch(/slow recoveries \(the backend takes at most 1\.1 × what the queues receive, the load a decision_wait before\): \S+…\S+\n/);
    expect(written.scalerRestarts).toHaveLength(2);
    expect(got.stdout).toMatch(/scaler restarts \(down, then back with no process memory\): \S+…\S+, \S+…\S+/);
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(picture).toContain('lost spans/s (log scale)');
    expect(picture.match(/<polyline /g)).toHaveLength(2 + 2 * 2);
  });

  it('exits with code 2 from the real command line too', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/sim/bench-cli.ts', '--outage', 'often'], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--outage must be COUNTxDURATION/);
  });

  it('prints its usage with --help, options under their groups', async () => {
    const got = await cli(['--help']);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/Load and scenario:\n {2}--trace FILE\.csv/);
    expect(got.stdout).toMatch(/Fleet \(the simulated tier's true parameters\):\n {2}--capacity N/);
    expect(got.stdout).toMatch(/--metadata KEY=VALUE +override one key/);
  });

  it('shows progress on a terminal and none otherwise', async () => {
    const args = ['--days', '1', '--autoscalers', 'static-peak,oracle'];
    const quiet = await cli(args, false);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const shown = await cli(args, true);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/1\/2 autoscalers simulated \(static-peak last\)/);
    expect(shown.stderr).toMatch(/2\/2 autoscalers simulated/);
    const withoutTiming = (text: string) => text.replace(/ in [\d.]+ s\n/, '\n');
    expect(withoutTiming(shown.stdout)).toBe(withoutTiming(quiet.stdout));
  });

  /** Every fleet flag at a value other than its default, with where it lands and how the header prints it. */
  const fleetFlags: { flag: string; value: string; field: string; printed: string }[] = [
    { flag: '--capacity', value: '26000', field: 'fleet.capacitySpansPerSecond=26000', printed: '--capacity 26000 spans/s' },
    { flag: '--pod-startup', value: '2m', field: 'fleet.podStartupSeconds=120', printed: '--pod-startup 120s' },
    { flag: '--dns-interval', value: '30s', field: 'fleet.dnsResolverIntervalSeconds=30', printed: '--dns-interval 30s' },
    { flag: '--decision-wait', value: '60s', field: 'fleet.decisionWaitSeconds=60', printed: '--decision-wait 60s' },
    { flag: '--num-traces', value: '20000', field: 'fleet.numTracesPerReplica=20000', printed: '--num-traces 20000' },
    { flag: '--spans-per-trace', value: '40', field: 'fleet.spansPerTrace=40', printed: '--spans-per-trace 40' },
    { flag: '--backend-capacity', value: '1.1', field: 'scenario.backendPeakMultiple=1.1', printed: '--backend-capacity 1.1 × peak' },
    { flag: '--trace-duration', value: '1500ms', field: 'fleet.traceDurationSeconds=1.5', printed: '--trace-duration 1500ms' },
    { flag: '--tick-cost', value: '1.5', field: 'fleet.decisionTickCostMultiplier=1.5', printed: '--tick-cost 1.5' },
    { flag: '--cpu-curve', value: '0.6', field: 'fleet.cpuCurveExponent=0.6', printed: '--cpu-curve 0.6' },
    { flag: '--cpu-ceiling', value: '0.8', field: 'fleet.cpuCeiling=0.8', printed: '--cpu-ceiling 0.8' },
    { flag: '--drain', value: '70s', field: 'fleet.drainSeconds=70', printed: '--drain 70s' },
    { flag: '--polling-interval', value: '15s', field: 'scenario.kedaPollingSeconds=15', printed: '--polling-interval 15s' },
    { flag: '--min-replicas', value: '3', field: 'fleet.minReplicas=3', printed: '--min-replicas 3' },
    { flag: '--max-replicas', value: '40', field: 'fleet.maxReplicas=40', printed: '--max-replicas 40' },
  ];
  const everyFleetFlag = fleetFlags.flatMap((row) => [row.flag, row.value]);

  it('changes the fleet with every fleet flag and never the scaler’s trigger metadata, nor the load', () => {
    const defaults = benchOptionsFrom(parseBenchArgs(['--days', '2']));
    const changed = benchOptionsFrom(parseBenchArgs(['--days', '2', ...everyFleetFlag]));
    const example = loadExampleScaledObject();
    for (const row of fleetFlags) {
      const [path, want] = row.field.split('=') as [string, string];
      const [group, key] = path.split('.') as ['fleet' | 'scenario', string];
      expect((changed[group] as unknown as Record<string, number>)[key], row.flag).toBe(Number(want));
      expect((defaults[group] as unknown as Record<string, number>)[key], row.flag).not.toBe(Number(want));
    }
    for (const options of [defaults, changed]) {
      expect(simulatedTargetMetadata(options.scaledObject, options.metadataOverrides)).toEqual(example.triggerMetadata);
      expect(simulatedTargetSettings(options.scaledObject, options.metadataOverrides)).toEqual(simulatedTargetSettings(example));
    }
    expect(buildScenario(changed).load.peakSpansPerSecond).toBe(buildScenario(defaults).load.peakSpansPerSecond);
  });

  it('runs gateways that decide their pending traces when stopped unless --pending-on-shutdown drop says otherwise', () => {
    expect(benchOptionsFrom(parseBenchArgs(['--days', '2'])).fleet.dropsPendingTracesOnShutdown).toBe(false);
    expect(benchOptionsFrom(parseBenchArgs(['--days', '2', '--pending-on-shutdown', 'drop'])).fleet.dropsPendingTracesOnShutdown).toBe(true);
    expect(benchOptionsFrom(parseBenchArgs(['--days', '2', '--pending-on-shutdown', 'decide'])).fleet.dropsPendingTracesOnShutdown).toBe(false);
    expect(() => parseBenchArgs(['--days', '2', '--pending-on-shutdown', 'keep'])).toThrow('--pending-on-shutdown must be decide or drop, got "keep"');
  });

  it('takes a trace duration that is no multiple of the simulation step', () => {
    expect(benchOptionsFrom(parseBenchArgs(['--days', '2', '--trace-duration', '2s'])).fleet.traceDurationSeconds).toBe(2);
  });

  it('takes a zero delay where the flag allows none, and still refuses zero where it does not', () => {
    const none = benchOptionsFrom(parseBenchArgs(['--days', '2', '--drain', '0s', '--pod-startup', '0m']));
    expect(none.fleet.drainSeconds).toBe(0);
    expect(none.fleet.podStartupSeconds).toBe(0);
    expect(() => parseBenchArgs(['--days', '2', '--decision-wait', '0s'])).toThrow(/--decision-wait must be a duration from 5s/);
  });

  it('passes --metadata to the scaler and to nothing else', () => {
    const options = benchOptionsFrom(parseBenchArgs(['--days', '2', '--metadata', 'capacitySpansPerReplica=26000', '--metadata', 'podStartup=90s']));
    expect(simulatedTargetSettings(options.scaledObject, options.metadataOverrides).capacitySpansPerReplica).toBe(26_000);
    expect(simulatedTargetSettings(options.scaledObject, options.metadataOverrides).podStartupSeconds).toBe(90);
    expect(options.fleet).toEqual(benchOptionsFrom(parseBenchArgs(['--days', '2'])).fleet);
  });

  it('prints every fleet flag in the header and writes it to the JSON', async () => {
    const json = join(dir, 'flags.json');
    const got = await cli(['--days', '1', '--autoscalers', 'oracle', '--metadata', 'numTraces=60000', '--json', json, ...everyFleetFlag]);
    expect(got.code).toBe(0);
    for (const row of fleetFlags) expect(got.stdout, row.flag).toContain(row.printed);
    expect(got.stdout).toContain('--metadata overrides: numTraces=60000');
    const written = JSON.parse(readFileSync(json, 'utf8'));
    for (const row of fleetFlags) {
      const [path, want] = row.field.split('=') as [string, string];
      const [group, key] = path.split('.') as [string, string];
      expect(written.settings[group][key], row.flag).toBe(Number(want));
    }
    expect(written.settings.metadataOverrides).toEqual({ numTraces: '60000' });
    expect(written.settings.triggerMetadata.numTraces).toBe('60000');
    expect(written.shipped).toMatch(/^scaler-(forecast|reactive)$/);
    expect(DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).not.toBe(written.settings.fleet.capacitySpansPerSecond);
  });
});
