import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatGoalTally,
  formatUndominatedCountingBrokenTraces,
  goalsMet,
  MATRIX_CONDITIONS,
  type MatrixCell,
  type MatrixEntry,
  markParetoDominated,
  OUTSIDE_CONDITIONS,
} from '../../src/sim/bench-matrix.ts';
import { matrixCliOptions, runMatrixCli } from '../../src/sim/bench-matrix-cli.ts';
import { drawM4Traces } from '../../src/sim/m4-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function entry(autoscaler: string, loss: number, replicaHours: number): MatrixEntry {
  return { autoscaler, lostSpansOutsideOutagesPct: loss, lostSpansPct: loss, brokenTracesPct: 0, replicaHours, replicaHoursVsOracle: null, scaleActions: 0, outageScaleUps: 0, slowRecoveryScaleUps: 0, dominatedBy: [], dominatedCountingBrokenTracesBy: [] };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runMatrixCli(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), isTerminal: false });
  return { code, stdout, stderr };
}

describe('the scaler goals, checked per cell', () => {
  function cell(condition: string, entries: Partial<MatrixEntry>[]): MatrixCell {
    const full = entries.map((e) => ({ ...entry(e.autoscaler!, e.lostSpansOutsideOutagesPct ?? 0, e.replicaHours ?? 100), ...e }));
    markParetoDominated(full);
    return { trace: 'wave.csv (first 2 days)', condition, command: '', steps: 0, entries: full };
  }
  const scaler = { autoscaler: 'scaler-reactive', replicaHours: 120, replicaHoursVsOracle: 1.2, brokenTracesPct: 0.1, scaleActions: 40 };
  const hpa = { autoscaler: 'hpa-cpu-70', replicaHours: 110, brokenTracesPct: 0.1, scaleActions: 20 };

  it('meets each goal at its bound and misses it just past', () => {
    const atBounds = cell('defaults', [{ ...scaler, lostSpansOutsideOutagesPct: 0.01, replicaHoursVsOracle: 1.25 }, { ...hpa, lostSpansOutsideOutagesPct: 0.02 }]);
    expect(goalsMet(atBounds, atBounds.entries[0]!)).toEqual({ loss: true, cost: true, outages: true, undominated: true, broken: true, actions: true });
    const past = cell('defaults', [
      { ...scaler, lostSpansOutsideOutagesPct: 0.011, replicaHoursVsOracle: 1.26, outageScaleUps: 1, brokenTracesPct: 0.11, scaleActions: 41 },
      { ...hpa, lostSpansOutsideOutagesPct: 0.011 },
    ]);
    expect(goalsMet(past, past.entries[0]!)).toEqual({ loss: false, cost: false, outages: false, undominated: false, broken: false, actions: false });
  });

  it('judges slow-backend loss against the least lossy baseline, and is silent where a reference is missing', () => {
    const slow = cell('slow-backend', [{ ...scaler, lostSpansOutsideOutagesPct: 1.4 }, { ...hpa, lostSpansOutsideOutagesPct: 1.5 }, { autoscaler: 'hpa-cpu-50', lostSpansOutsideOutagesPct: 1.39, replicaHours: 200 }]);
    expect(goalsMet(slow, slow.entries[0]!).loss).toBe(false);
    const alone = cell('defaults', [{ ...scaler, replicaHoursVsOracle: null }]);
    expect(goalsMet(alone, alone.entries[0]!)).toEqual({ loss: true, cost: undefined, outages: true, undominated: undefined, broken: undefined, actions: undefined });
  });

  it('is not dominated by the other scaler mode or the oracle, only by baselines', () => {
    const modes = cell('defaults', [scaler, { ...scaler, autoscaler: 'scaler-forecast', replicaHours: 100 }, { autoscaler: 'oracle', replicaHours: 90 }, { ...hpa, replicaHours: 130 }]);
    expect(goalsMet(modes, modes.entries[0]!).undominated).toBe(true);
  });

  it('tallies the cells where each goal is met and names the shorter list of cells, missed or met', () => {
    const cells = [cell('defaults', [{ ...scaler, lostSpansOutsideOutagesPct: 0.5 }, hpa]), cell('bursty', [scaler, hpa])];
    const tally = formatGoalTally(cells);
    expect(tally).toContain('| spans lost outside outages ≤ 0.01 % (slow-backend: ≤ the least lossy baseline) | 1/2 | missed: wave defaults |');
    expect(tally).toContain('| scale actions ≤ 2 × `hpa-cpu-70` | 2/2 | – |');
    const mostlyMissed = formatGoalTally([cells[0]!, cell('bursty', [{ ...scaler, lostSpansOutsideOutagesPct: 0.5 }, hpa]), cell('skewed-ring', [scaler, hpa])]);
    expect(mostlyMissed).toContain('| 1/3 | met only: wave skewed-ring |');
  });
});

describe('Pareto dominance on (loss outside outages, replica-hours)', () => {
  const cases: { name: string; entries: [string, number, number][]; want: Record<string, string[]> }[] = [
    { name: 'less of both dominates', entries: [['a', 0.1, 100], ['b', 0.2, 120]], want: { a: [], b: ['a'] } },
    { name: 'equal on one, less on the other dominates', entries: [['a', 0, 100], ['b', 0, 101]], want: { a: [], b: ['a'] } },
    { name: 'a trade-off dominates neither way', entries: [['a', 0, 150], ['b', 0.01, 100]], want: { a: [], b: [] } },
    { name: 'identical results dominate neither', entries: [['a', 0.1, 100], ['b', 0.1, 100]], want: { a: [], b: [] } },
    { name: 'the oracle dominates nobody', entries: [['oracle', 0, 50], ['b', 0.1, 100]], want: { oracle: [], b: [] } },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const entries = row.entries.map(([name, loss, hours]) => entry(name, loss, hours));
      markParetoDominated(entries);
      expect(Object.fromEntries(entries.map((e) => [e.autoscaler, e.dominatedBy]))).toEqual(row.want);
    });
  }
});

describe('Pareto dominance counting broken traces too (not a goal)', () => {
  const cell = (entries: MatrixEntry[]): MatrixCell => {
    markParetoDominated(entries);
    return { trace: 'wave.csv', condition: 'defaults', command: '', steps: 0, entries };
  };
  const withBroken = (autoscaler: string, loss: number, replicaHours: number, brokenTracesPct: number): MatrixEntry => ({ ...entry(autoscaler, loss, replicaHours), brokenTracesPct });

  it('lets a scaler that breaks fewer traces escape a baseline that is cheaper at the same loss, and no other', () => {
    const cheaperButBreaksMore = cell([withBroken('scaler-reactive', 0, 120, 0.09), withBroken('hpa-cpu-90', 0, 110, 0.19)]);
    const [scaler] = cheaperButBreaksMore.entries;
    expect(scaler!.dominatedBy).toEqual(['hpa-cpu-90']);
    expect(scaler!.dominatedCountingBrokenTracesBy).toEqual([]);
    const betterOnAll = cell([withBroken('scaler-reactive', 0, 120, 0.09), withBroken('hpa-cpu-90', 0, 110, 0.09)]);
    expect(betterOnAll.entries[0]!.dominatedCountingBrokenTracesBy).toEqual(['hpa-cpu-90']);
  });

  it('tallies the cells per goal autoscaler, and says nothing without one', () => {
    const cells = [
      cell([withBroken('scaler-reactive', 0, 120, 0.09), withBroken('hpa-cpu-90', 0, 110, 0.19)]),
      cell([withBroken('scaler-reactive', 0, 120, 0.09), withBroken('hpa-cpu-90', 0, 110, 0.05)]),
    ];
    expect(formatUndominatedCountingBrokenTraces(cells)).toBe('Not a goal: counting broken traces as a third objective, cells where no baseline dominates: `scaler-reactive` 1/2.');
    expect(formatUndominatedCountingBrokenTraces([cell([withBroken('hpa-cpu-90', 0, 110, 0.19)])])).toBe('');
  });
});

describe('bench:matrix CLI', () => {
  it('runs every trace × condition in worker threads and writes the markdown table and the JSON', async () => {
    const traces = join(dir, 'traces');
    const out = join(dir, 'out');
    const rows = Array.from({ length: 3 * 24 }, (_, hour) => `${new Date(Date.parse('2026-01-05T00:00:00Z') + hour * 3_600_000).toISOString()},${100 + 80 * Math.sin((hour / 24) * 2 * Math.PI)}`);
    mkdirSync(traces);
    writeFileSync(join(traces, 'wave.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    const got = await cli(['--traces', traces, '--days', '2', '--conditions', 'defaults,capacity-30%', '--autoscalers', 'hpa-cpu-70,oracle', '--workers', '2', '--out', out]);
    expect(got.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'bench-matrix.json'), 'utf8'));
    expect(json.cells.map((cell: { condition: string }) => cell.condition)).toEqual(['defaults', 'capacity-30%']);
    for (const cell of json.cells) {
      expect(cell.trace).toBe('wave.csv (first 2 days)');
      expect(cell.command).toContain('--trace-days 2 --outage 2x30m');
      expect(cell.entries.map((e: MatrixEntry) => e.autoscaler)).toEqual(['hpa-cpu-70', 'oracle']);
    }
    // With 30 % less true capacity the oracle needs more replicas for the same load.
    const oracleHours = json.cells.map((cell: { entries: MatrixEntry[] }) => cell.entries.find((e) => e.autoscaler === 'oracle')!.replicaHours);
    expect(oracleHours[1]).toBeGreaterThan(oracleHours[0] * 1.2);
    const markdown = readFileSync(join(out, 'bench-matrix.md'), 'utf8');
    expect(markdown).toMatch(/\| capacity-30% \| .* \| .* \|/);
    expect(markdown).toContain('| trace | condition | autoscaler | lost % outside outages |');
  }, 60_000);

  it("overrides the scalers' trigger metadata in every cell, says so, and the cell command reproduces it", async () => {
    const traces = join(dir, 'traces-metadata');
    const rows = Array.from({ length: 3 * 24 }, (_, hour) => `${new Date(Date.parse('2026-01-05T00:00:00Z') + hour * 3_600_000).toISOString()},${100 + 80 * Math.sin((hour / 24) * 2 * Math.PI)}`);
    mkdirSync(traces);
    writeFileSync(join(traces, 'wave.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    const run = async (name: string, extra: string[]) => {
      const out = join(dir, name);
      const got = await cli(['--traces', traces, '--days', '2', '--conditions', 'defaults', '--autoscalers', 'scaler-reactive,oracle', '--workers', '1', '--out', out, ...extra]);
      expect(got.code, got.stderr).toBe(0);
      return { json: JSON.parse(readFileSync(join(out, 'bench-matrix.json'), 'utf8')), markdown: readFileSync(join(out, 'bench-matrix.md'), 'utf8') };
    };
    const shipped = await run('metadata-shipped', []);
    const cooler = await run('metadata-cooler', ['--metadata', 'targetUtilization=0.6']);
    expect(shipped.json.metadata).toEqual([]);
    expect(cooler.json.metadata).toEqual(['targetUtilization=0.6']);
    expect(cooler.json.cells[0].command).toContain('--metadata targetUtilization=0.6');
    expect(cooler.markdown).toContain("the scalers' metadata overridden with targetUtilization=0.6");
    const scalerHours = (json: { cells: { entries: MatrixEntry[] }[] }) => json.cells[0]!.entries.find((e) => e.autoscaler === 'scaler-reactive')!.replicaHours;
    expect(scalerHours(cooler.json)).toBeGreaterThan(scalerHours(shipped.json));
  }, 60_000);

  it('runs held-out M4 series, drawn by seed, instead of a trace directory', async () => {
    const out = join(dir, 'held-out');
    const got = await cli(['--held-out', '2', '--held-out-seed', '7', '--days', '1', '--conditions', 'defaults', '--autoscalers', 'oracle', '--workers', '1', '--out', out]);
    expect(got.code, got.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'bench-matrix.json'), 'utf8'));
    const drawn = drawM4Traces(2, 7, 7);
    expect(json.cells.map((cell: { trace: string }) => cell.trace)).toEqual(drawn.map((name) => `${name} (first 1 days)`));
    expect(json.cells[0].command).toContain(`--trace ${drawn[0]} --trace-days 1`);
  }, 60_000);

  it('runs named traces, a file and an M4 series, under conditions outside the matrix, each cell reproducible', async () => {
    const traces = join(dir, 'traces-named');
    const rows = Array.from({ length: 3 * 24 }, (_, hour) => `${new Date(Date.parse('2026-01-05T00:00:00Z') + hour * 3_600_000).toISOString()},${100 + 80 * Math.sin((hour / 24) * 2 * Math.PI)}`);
    mkdirSync(traces);
    const wave = join(traces, 'wave.csv');
    writeFileSync(wave, `timestamp,value\n${rows.join('\n')}\n`);
    const out = join(dir, 'named');
    const got = await cli(['--trace', wave, '--trace', 'm4:H1', '--days', '1', '--conditions', 'drain-0s,peak-50-replicas', '--autoscalers', 'oracle', '--workers', '2', '--out', out]);
    expect(got.code, got.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'bench-matrix.json'), 'utf8'));
    expect(json.cells.map((cell: { trace: string; condition: string }) => `${cell.trace} ${cell.condition}`)).toEqual([
      'wave.csv (first 1 days) drain-0s',
      'wave.csv (first 1 days) peak-50-replicas',
      'm4:H1 (first 1 days) drain-0s',
      'm4:H1 (first 1 days) peak-50-replicas',
    ]);
    expect(json.cells[0].command).toContain(`--trace ${wave} --trace-days 1 --outage 2x30m --drain 0s`);
    expect(json.cells[3].command).toContain('--trace m4:H1 --trace-days 1 --outage 2x30m --peak-replicas 50');
    // The peak sized at 50 replicas rather than 20 takes more of them for the same trace.
    const oracleHours = json.cells.map((cell: { entries: MatrixEntry[] }) => cell.entries[0]!.replicaHours);
    expect(oracleHours[1]).toBeGreaterThan(oracleHours[0] * 2);
  }, 60_000);

  it('takes `outside` for every condition outside the matrix, none of them a matrix condition', () => {
    const options = matrixCliOptions({ conditions: 'outside', trace: ['m4:H1'] });
    expect(options.conditions).toEqual(OUTSIDE_CONDITIONS);
    expect(options.traces).toEqual(['m4:H1']);
    const matrixArgs = new Set(MATRIX_CONDITIONS.map((condition) => condition.args.join(' ')));
    for (const condition of OUTSIDE_CONDITIONS) expect(matrixArgs.has(condition.args.join(' ')), condition.name).toBe(false);
    expect(matrixCliOptions({}).conditions).toEqual(MATRIX_CONDITIONS);
  });

  const rejections: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'held-out series and a trace directory both', input: ['--held-out', '2', '--traces', '.'], want: /--held-out and --traces each choose the traces; give one of them/ },
    { name: 'named traces and a trace directory both', input: ['--trace', 'm4:H1', '--traces', '.'], want: /--traces and --trace each choose the traces; give one of them/ },
    { name: 'a held-out seed without held-out series', input: ['--held-out-seed', '3'], want: /--held-out-seed needs --held-out N/ },
    { name: 'more held-out series than M4 has', input: ['--held-out', '500'], want: /--held-out must be an integer from 1 to 414/ },
    { name: 'outside among other conditions', input: ['--conditions', 'defaults,outside'], want: /--conditions outside stands for every condition outside the matrix and takes no other name/ },
    { name: 'unknown condition', input: ['--conditions', 'defaults,rainy'], want: /--conditions must list names from defaults, .*unknown: rainy/ },
    { name: 'unknown autoscaler', input: ['--autoscalers', 'vpa'], want: /--autoscalers must list names from static-peak.*unknown: vpa/ },
    { name: 'workers of zero', input: ['--workers', '0'], want: /--workers must be an integer from 1 to 64/ },
    { name: 'a metadata value the trigger refuses', input: ['--metadata', 'targetUtilization=1.5'], want: /--metadata: .*targetUtilization/ },
    { name: 'metadata that is not KEY=VALUE', input: ['--metadata', 'targetUtilization'], want: /--metadata must be KEY=VALUE/ },
  ];
  for (const row of rejections) {
    it(`exits with code 2 on ${row.name}`, async () => {
      const got = await cli(row.input);
      expect(got.code).toBe(2);
      expect(got.stderr).toMatch(row.want);
    });
  }

  it('exits with code 1 when the trace directory cannot be read', async () => {
    const got = await cli(['--traces', join(dir, 'nowhere')]);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/nowhere cannot be read: ENOENT/);
  });
});
