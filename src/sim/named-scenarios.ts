// Regimes where the signals this project reads should matter more than CPU, as named scenarios
// (`--scenario NAME`, on top of any trace). Each changes the simulated tier's truth only; the scaler's
// trigger metadata stays what the example ships. docs/benchmark.md says what each models and which
// signal should catch it.
import type { FleetSettings, ScenarioSettings } from './fleet-settings.ts';

export const SCENARIO_NAMES = ['slow-backend', 'buffer-bound', 'bursty', 'skewed-ring'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Short load spikes placed once per hour of the run at seeded times. */
export interface HourlyBursts {
  readonly durationSeconds: number;
  readonly multiplier: number;
}

export interface NamedScenario {
  readonly name: ScenarioName;
  /** One line for the report header. */
  readonly models: string;
  readonly fleet?: Partial<FleetSettings>;
  readonly scenario?: Partial<ScenarioSettings>;
  readonly hourlyBursts?: HourlyBursts;
}

export const NAMED_SCENARIOS: Readonly<Record<ScenarioName, NamedScenario>> = Object.freeze({
  'slow-backend': {
    name: 'slow-backend',
    models: 'backend accepts 0.8 × peak load outside outages: slow at peaks, never failing',
    scenario: { backendPeakMultiple: 0.8 },
  },
  'buffer-bound': {
    name: 'buffer-bound',
    models: 'long traces need decision_wait 120 s: num_traces binds at ~42 % CPU, before any CPU target',
    fleet: { decisionWaitSeconds: 120 },
  },
  bursty: {
    name: 'bursty',
    models: 'a 30 s burst at 2 × the load once an hour, at seeded times',
    hourlyBursts: { durationSeconds: 30, multiplier: 2 },
  },
  'skewed-ring': {
    name: 'skewed-ring',
    models: 'one gateway gets 1.5 × its even share of traceIDs (consistent hashing over few endpoints)',
    fleet: { hotGatewayLoadMultiple: 1.5 },
  },
});
