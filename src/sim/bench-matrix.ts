// The robustness matrix: every shared trace × a set of conditions (the defaults, slower pods, a wrong
// capacity figure, other decision_wait, a tight backend, costlier decision ticks, each named scenario,
// scrape targets down, the scaler restarted),
// every autoscaler in each cell, all with two 30-minute backend outages. Conditions are bench flags, so
// a cell is reproduced by one `npm run bench` command. Pure: cells in, table and JSON out.
import type { PolicyResult } from './bench.ts';

export interface MatrixCondition {
  readonly name: string;
  /** Bench flags that make the condition (on top of the outages every cell has). */
  readonly args: readonly string[];
}

/** Backend outages in every cell: the "replicas added in outages" column needs some. */
export const MATRIX_OUTAGES = '2x30m';

export const MATRIX_CONDITIONS: readonly MatrixCondition[] = [
  { name: 'defaults', args: [] },
  { name: 'startup-90s', args: ['--pod-startup', '90s'] },
  { name: 'startup-120s', args: ['--pod-startup', '120s'] },
  { name: 'capacity+30%', args: ['--capacity', '26000'] },
  { name: 'capacity-30%', args: ['--capacity', '14000'] },
  // The drain stays at 40 s, decision_wait 30 s + DNS + 5 s. At 60 s it falls short where the collector
  // drops the traces a stopped gateway still holds (drop_pending_traces_on_shutdown: true, or before
  // v0.141.0): every scale-in, by any autoscaler, loses them.
  { name: 'decision-wait-10s', args: ['--decision-wait', '10s'] },
  { name: 'decision-wait-60s', args: ['--decision-wait', '60s', '--pending-on-shutdown', 'drop'] },
  { name: 'backend-1.1x', args: ['--backend-capacity', '1.1'] },
  { name: 'tick-cost-1.5x', args: ['--tick-cost', '1.5'] },
  { name: 'slow-backend', args: ['--scenario', 'slow-backend'] },
  { name: 'buffer-bound', args: ['--scenario', 'buffer-bound'] },
  { name: 'bursty', args: ['--scenario', 'bursty'] },
  { name: 'skewed-ring', args: ['--scenario', 'skewed-ring'] },
  // Half the gateways unscraped for 15 minutes a day, as the embedded demo has it.
  { name: 'scrape-down', args: ['--scrape-down', '28x15m'] },
  // The scaler restarted once a day, down for a minute: only its decision state's home is tested.
  { name: 'scaler-restarts', args: ['--scaler-restarts', '28x1m'] },
];

/**
 * Fleet settings in no matrix condition, never looked at while the policy was built: `--conditions
 * outside` runs them all, to check that what the matrix shows is not fitted to its own conditions.
 * Not part of the matrix's goal counts.
 */
export const OUTSIDE_CONDITIONS: readonly MatrixCondition[] = [
  { name: 'capacity-0.6x', args: ['--capacity', '12000'] },
  { name: 'capacity-1.6x', args: ['--capacity', '32000'] },
  { name: 'startup-180s', args: ['--pod-startup', '180s'] },
  { name: 'decision-wait-20s', args: ['--decision-wait', '20s'] },
  { name: 'drain-0s', args: ['--drain', '0s'] },
  { name: 'polling-60s', args: ['--polling-interval', '60s'] },
  { name: 'dns-30s', args: ['--dns-interval', '30s'] },
  { name: 'trace-duration-30s', args: ['--trace-duration', '30s'] },
  { name: 'peak-50-replicas', args: ['--peak-replicas', '50'] },
  { name: 'bursts-2.5x', args: ['--burst', '6x10m@2.5'] },
  { name: 'tick-cost-2x', args: ['--tick-cost', '2'] },
  // The CPU the real gateway reported bent: a power law fitted to four recorded climbs of
  // learned-capacity.test.ts gave exponents 0.54–0.61.
  { name: 'cpu-bend', args: ['--cpu-curve', '0.6'] },
  // The backend back from each outage at just above the load, for as long as the outage lasted: the
  // backlog drains slowly and more gateways cannot speed it up (the real tier's backend-backlog test
  // caps its sink the same way).
  { name: 'slow-recovery-1.1x', args: ['--slow-recovery', '30m@1.1'] },
  // Gateways that fall behind with their CPU at 80 % of its allotment: a real gateway at GOMAXPROCS=1
  // under a 0.1- or 0.25-core quota did at 74-100 % (collector:saturate).
  { name: 'cpu-ceiling-0.8', args: ['--cpu-ceiling', '0.8'] },
];

/** What `--conditions outside` stands for. */
export const OUTSIDE_CONDITIONS_NAME = 'outside';

/** What the matrix keeps of one autoscaler's run in one cell. */
export interface MatrixEntry {
  readonly autoscaler: string;
  readonly lostSpansOutsideOutagesPct: number;
  readonly lostSpansPct: number;
  readonly brokenTracesPct: number;
  readonly replicaHours: number;
  readonly replicaHoursVsOracle: number | null;
  readonly scaleActions: number;
  readonly outageScaleUps: number;
  /** Replicas added while the backend recovered slowly (only a `--slow-recovery` condition has such windows). */
  readonly slowRecoveryScaleUps: number;
  /** Autoscalers (the oracle aside) with no more loss and no more replica-hours, and less of one. */
  dominatedBy: string[];
  /** The same with broken traces as a third objective: what a scale action costs the traces in flight. */
  dominatedCountingBrokenTracesBy: string[];
}

export interface MatrixCell {
  readonly trace: string;
  readonly condition: string;
  /** The bench command that reproduces the cell. */
  readonly command: string;
  readonly steps: number;
  readonly entries: MatrixEntry[];
}

export function matrixEntry(policy: PolicyResult): MatrixEntry {
  return {
    autoscaler: policy.name,
    lostSpansOutsideOutagesPct: policy.lostSpansOutsideOutagesPct,
    lostSpansPct: policy.lostSpansPct,
    brokenTracesPct: policy.brokenTracesPct,
    replicaHours: policy.replicaHours,
    replicaHoursVsOracle: policy.replicaHoursVsOracle,
    scaleActions: policy.scaleActions,
    outageScaleUps: policy.outageScaleUps,
    slowRecoveryScaleUps: policy.slowRecoveryScaleUps,
    dominatedBy: [],
    dominatedCountingBrokenTracesBy: [],
  };
}

type Objective = 'lostSpansOutsideOutagesPct' | 'replicaHours' | 'brokenTracesPct';
const GOAL_OBJECTIVES: readonly Objective[] = ['lostSpansOutsideOutagesPct', 'replicaHours'];
const OBJECTIVES_WITH_BROKEN_TRACES: readonly Objective[] = [...GOAL_OBJECTIVES, 'brokenTracesPct'];

/** B dominates A when B is no worse on every objective and better on one. */
function dominates(other: MatrixEntry, entry: MatrixEntry, objectives: readonly Objective[]): boolean {
  return objectives.every((objective) => other[objective] <= entry[objective]) && objectives.some((objective) => other[objective] < entry[objective]);
}

/**
 * Fills `dominatedBy` on (spans lost outside outages, replica-hours), the goal's objectives, and
 * `dominatedCountingBrokenTracesBy` with broken traces as well. The oracle is a bound, not a choice, so
 * it dominates nobody.
 */
export function markParetoDominated(entries: MatrixEntry[]): void {
  for (const entry of entries) {
    const others = entries.filter((other) => other !== entry && other.autoscaler !== 'oracle');
    entry.dominatedBy = others.filter((other) => dominates(other, entry, GOAL_OBJECTIVES)).map((other) => other.autoscaler);
    entry.dominatedCountingBrokenTracesBy = others.filter((other) => dominates(other, entry, OBJECTIVES_WITH_BROKEN_TRACES)).map((other) => other.autoscaler);
  }
}

/** The scaler's goals, each checked in every cell: what `npm run bench:matrix` reports as met or not. */
export const MATRIX_GOALS = [
  { name: 'loss', description: 'spans lost outside outages ≤ 0.01 % (slow-backend: ≤ the least lossy baseline)' },
  { name: 'cost', description: 'replica-hours ≤ 1.25 × the oracle' },
  { name: 'outages', description: 'no replicas added during outages' },
  { name: 'undominated', description: 'not Pareto-dominated by any baseline' },
  { name: 'broken', description: 'broken traces ≤ `hpa-cpu-70`' },
  { name: 'actions', description: 'scale actions ≤ 2 × `hpa-cpu-70`' },
] as const;

export type MatrixGoal = (typeof MATRIX_GOALS)[number]['name'];

/** Autoscalers the goals are checked for; every other one but the oracle is a baseline. */
export const GOAL_AUTOSCALERS = ['scaler-reactive', 'scaler-forecast'] as const;
const GOAL_REFERENCE = 'hpa-cpu-70';
const LOSS_GOAL_PCT = 0.01;
const COST_GOAL_RATIO = 1.25;
const ACTIONS_GOAL_RATIO = 2;
/** Where the backend makes loss unavoidable for every autoscaler, the loss goal compares with the baselines instead. */
const UNAVOIDABLE_LOSS_CONDITIONS: readonly string[] = ['slow-backend'];

function isBaseline(name: string): boolean {
  return name !== 'oracle' && !(GOAL_AUTOSCALERS as readonly string[]).includes(name);
}

/** Whether `entry` meets each goal in `cell`; undefined where the cell lacks what the goal compares with. */
export function goalsMet(cell: MatrixCell, entry: MatrixEntry): Record<MatrixGoal, boolean | undefined> {
  const baselines = cell.entries.filter((other) => isBaseline(other.autoscaler));
  const reference = cell.entries.find((other) => other.autoscaler === GOAL_REFERENCE);
  const lossBound = UNAVOIDABLE_LOSS_CONDITIONS.includes(cell.condition)
    ? baselines.length > 0
      ? Math.min(...baselines.map((other) => other.lostSpansOutsideOutagesPct))
      : undefined
    : LOSS_GOAL_PCT;
  return {
    loss: lossBound === undefined ? undefined : entry.lostSpansOutsideOutagesPct <= lossBound,
    cost: entry.replicaHoursVsOracle === null ? undefined : entry.replicaHoursVsOracle <= COST_GOAL_RATIO,
    outages: entry.outageScaleUps === 0,
    undominated: baselines.length === 0 ? undefined : !entry.dominatedBy.some(isBaseline),
    broken: reference === undefined ? undefined : entry.brokenTracesPct <= reference.brokenTracesPct,
    actions: reference === undefined ? undefined : entry.scaleActions <= ACTIONS_GOAL_RATIO * reference.scaleActions,
  };
}

/** A row per goal: in how many cells each goal autoscaler met it, and the cells where it did not. */
export function formatGoalTally(cells: readonly MatrixCell[]): string {
  const present = GOAL_AUTOSCALERS.filter((name) => cells.some((cell) => cell.entries.some((entry) => entry.autoscaler === name)));
  if (present.length === 0) return '';
  const out = [`| goal | ${present.map((name) => `\`${name}\``).join(' | ')} | cells, for \`${present[0]}\` |`, `|---|${present.map(() => '---').join('|')}|---|`];
  for (const goal of MATRIX_GOALS) {
    const counts = present.map((name) => {
      const met: string[] = [];
      const missed: string[] = [];
      for (const cell of cells) {
        const entry = cell.entries.find((e) => e.autoscaler === name);
        const verdict = entry && goalsMet(cell, entry)[goal.name];
        if (verdict === undefined) continue;
        (verdict ? met : missed).push(`${cell.trace.replace(/ \(first .*\)$/, '').replace(/\.csv$/, '')} ${cell.condition}`);
      }
      const checked = met.length + missed.length;
      // The shorter list: the misses, or where the goal is met when it mostly is not.
      const cellsText = missed.length === 0 ? '–' : missed.length <= met.length ? `missed: ${missed.join(', ')}` : `met only: ${met.join(', ') || 'none'}`;
      return { text: checked === 0 ? '–' : `${met.length}/${checked}`, cellsText };
    });
    out.push(`| ${goal.description} | ${counts.map((count) => count.text).join(' | ')} | ${counts[0]!.cellsText} |`);
  }
  return out.join('\n');
}

/**
 * Not a goal, beside the goals: in how many cells no baseline dominates each goal autoscaler once broken
 * traces count too, since a baseline that dominates on loss and replica-hours may break more traces to
 * get there. Empty when no goal autoscaler ran.
 */
export function formatUndominatedCountingBrokenTraces(cells: readonly MatrixCell[]): string {
  const tallies = GOAL_AUTOSCALERS.flatMap((name) => {
    let checked = 0;
    let undominated = 0;
    for (const cell of cells) {
      const entry = cell.entries.find((e) => e.autoscaler === name);
      if (entry === undefined || !cell.entries.some((other) => isBaseline(other.autoscaler))) continue;
      checked++;
      if (!entry.dominatedCountingBrokenTracesBy.some(isBaseline)) undominated++;
    }
    return checked === 0 ? [] : [`\`${name}\` ${undominated}/${checked}`];
  });
  return tallies.length === 0 ? '' : `Not a goal: counting broken traces as a third objective, cells where no baseline dominates: ${tallies.join(', ')}.`;
}

/** Percentages small enough to matter (0.0004 %) keep their digits. */
function pct(value: number): string {
  if (value === 0) return '0';
  return value < 0.01 ? value.toPrecision(2) : value.toFixed(value < 10 ? 3 : 1);
}

function ratio(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

/**
 * One markdown table per trace: a row per condition, a column per autoscaler with "lost % outside
 * outages / ×oracle"; † marks a Pareto-dominated autoscaler.
 */
export function formatMatrixSummary(cells: readonly MatrixCell[]): string {
  const out: string[] = [];
  for (const trace of [...new Set(cells.map((cell) => cell.trace))]) {
    const rows = cells.filter((cell) => cell.trace === trace);
    const names = rows[0]!.entries.map((entry) => entry.autoscaler);
    out.push(`**${trace}** — lost % outside outages / replica-hours × oracle; † = Pareto-dominated`, '');
    out.push(`| condition | ${names.map((name) => `\`${name}\``).join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`);
    for (const cell of rows) {
      const entries = names.map((name) => cell.entries.find((entry) => entry.autoscaler === name));
      out.push(`| ${cell.condition} | ${entries.map((entry) => (entry ? `${pct(entry.lostSpansOutsideOutagesPct)} / ${ratio(entry.replicaHoursVsOracle)}${entry.dominatedBy.length > 0 ? ' †' : ''}` : '-')).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Every number of every cell: one row per cell and autoscaler. */
export function formatMatrixTable(cells: readonly MatrixCell[]): string {
  const out = [
    '| trace | condition | autoscaler | lost % outside outages | lost % | broken traces % | replica-h | ×oracle | scale actions | replicas added in outages | dominated by |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const cell of cells) {
    for (const entry of cell.entries) {
      out.push(
        `| ${cell.trace} | ${cell.condition} | \`${entry.autoscaler}\` | ${pct(entry.lostSpansOutsideOutagesPct)} | ${pct(entry.lostSpansPct)} | ${pct(entry.brokenTracesPct)} | ${entry.replicaHours.toFixed(0)} | ${ratio(entry.replicaHoursVsOracle)} | ${entry.scaleActions} | ${entry.outageScaleUps} | ${entry.dominatedBy.join(', ') || '–'} |`,
      );
    }
  }
  return out.join('\n');
}
