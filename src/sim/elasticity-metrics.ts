// SPEC Research Group elasticity metrics (Herbst et al., "Quantifying Cloud Performance and
// Dependability: Taxonomy, Metric Design, and Emerging Challenges", ACM TOMPECS 2018, §4), computed
// step by step from demand (replicas the load needs at the target utilization, within min..max) and
// supply (replicas on the ring, i.e. taking traffic).

export interface ElasticityMetrics {
  /** θU: mean relative under-provisioning, Σ max(d − s, 0) / d over steps, in % of time. */
  readonly thetaU: number;
  /** θO: mean relative over-provisioning, Σ max(s − d, 0) / d over steps, in %. */
  readonly thetaO: number;
  /** τU: share of time under-provisioned (s < d), in %. */
  readonly tauU: number;
  /** τO: share of time over-provisioned (s > d), in %. */
  readonly tauO: number;
  /** υ: share of step transitions where supply and demand do not move in the same direction, in %. */
  readonly instability: number;
  /** j: (supply adaptations − demand adaptations) per hour; < 0 too inert, > 0 too busy. */
  readonly jitter: number;
}

/** Accumulates the metrics over equally long steps. */
export class ElasticityAccumulator {
  private steps = 0;
  private under = 0;
  private over = 0;
  private underSteps = 0;
  private overSteps = 0;
  private unstable = 0;
  private supplyChanges = 0;
  private demandChanges = 0;
  private previousDemand = Number.NaN;
  private previousSupply = Number.NaN;

  constructor(private readonly stepSeconds: number) {}

  add(demand: number, supply: number): void {
    this.steps++;
    if (supply < demand) {
      this.under += (demand - supply) / demand;
      this.underSteps++;
    } else if (supply > demand) {
      this.over += (supply - demand) / demand;
      this.overSteps++;
    }
    if (!Number.isNaN(this.previousDemand)) {
      const demandMove = Math.sign(demand - this.previousDemand);
      const supplyMove = Math.sign(supply - this.previousSupply);
      if (demandMove !== supplyMove) this.unstable++;
      if (demandMove !== 0) this.demandChanges++;
      if (supplyMove !== 0) this.supplyChanges++;
    }
    this.previousDemand = demand;
    this.previousSupply = supply;
  }

  result(): ElasticityMetrics {
    const steps = Math.max(1, this.steps);
    const hours = (this.steps * this.stepSeconds) / 3600;
    return {
      thetaU: (100 * this.under) / steps,
      thetaO: (100 * this.over) / steps,
      tauU: (100 * this.underSteps) / steps,
      tauO: (100 * this.overSteps) / steps,
      instability: (100 * this.unstable) / Math.max(1, this.steps - 1),
      jitter: hours > 0 ? (this.supplyChanges - this.demandChanges) / hours : 0,
    };
  }
}
