import { describe, expect, it } from 'vitest';
import { ElasticityAccumulator, type ElasticityMetrics } from '../../src/sim/elasticity-metrics.ts';

function metrics(demand: number[], supply: number[], stepSeconds = 3600): ElasticityMetrics {
  const accumulator = new ElasticityAccumulator(stepSeconds);
  for (const [i, d] of demand.entries()) accumulator.add(d, supply[i]!);
  return accumulator.result();
}

describe('SPEC RG elasticity metrics', () => {
  const cases: { name: string; input: { demand: number[]; supply: number[] }; want: Partial<ElasticityMetrics> }[] = [
    {
      name: 'supply that follows demand exactly is perfect',
      input: { demand: [2, 4, 6, 4], supply: [2, 4, 6, 4] },
      want: { thetaU: 0, thetaO: 0, tauU: 0, tauO: 0, instability: 0, jitter: 0 },
    },
    {
      name: 'half the demand for one of four steps: θU 12.5 %, τU 25 %',
      input: { demand: [4, 4, 4, 4], supply: [4, 2, 4, 4] },
      want: { thetaU: 12.5, tauU: 25, thetaO: 0, tauO: 0 },
    },
    {
      name: 'double the demand all the time: θO 100 %, τO 100 %',
      input: { demand: [2, 3, 2], supply: [4, 6, 4] },
      want: { thetaO: 100, tauO: 100, thetaU: 0 },
    },
    {
      name: 'static supply under moving demand: unstable on every move, jitter −4 adaptations in 5 h',
      input: { demand: [2, 4, 2, 4, 2], supply: [4, 4, 4, 4, 4] },
      want: { instability: 100, jitter: -0.8 },
    },
    {
      name: 'supply moving against demand is unstable; extra supply moves count as positive jitter',
      input: { demand: [3, 3, 3, 3], supply: [3, 4, 3, 4] },
      want: { instability: 100, jitter: 0.75 },
    },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const got = metrics(row.input.demand, row.input.supply);
      for (const [key, value] of Object.entries(row.want)) expect(got[key as keyof ElasticityMetrics], key).toBeCloseTo(value, 9);
    });
  }
});
