// Evaluates the targets declared in the server config (`advisoryTargets`) on a node-cron schedule
// (`advisor.schedule`), for tiers KEDA does not poll: their decisions reach the dashboard and alerts
// like any other. Runs never overlap (a tick that finds the previous run still going is skipped and
// logged); one target's failure is logged and recorded on the target, never stopping the others.
import cron, { type ScheduledTask } from 'node-cron';
import { ScalerError } from '../errors.ts';
import { targetKey } from '../signals/signal-snapshot.ts';
import type { AdvisorLogger } from './advisor-logger.ts';
import type { AdvisoryTarget } from './advisor.ts';
import type { Evaluation } from './target-evaluator.ts';

/** Targets evaluated at once within a run, so a long list does not fire every Prometheus query together. */
export const ADVISORY_CONCURRENCY = 4;

export interface AdvisoryLoopOptions {
  /** node-cron expression (seconds field allowed), e.g. every 30 s: "*\/30 * * * * *". */
  readonly schedule: string;
  readonly targets: readonly AdvisoryTarget[];
  readonly evaluator: { evaluateAdvisory(target: AdvisoryTarget, nowMs: number): Promise<Evaluation> };
  readonly logger: AdvisorLogger;
  readonly nowMs?: () => number;
}

/** What one run did, for logs and tests. */
export interface AdvisoryRun {
  readonly evaluated: number;
  readonly failed: number;
}

export class AdvisoryLoop {
  private readonly options: AdvisoryLoopOptions;
  private task: ScheduledTask | undefined;
  private running: Promise<AdvisoryRun> | undefined;

  constructor(options: AdvisoryLoopOptions) {
    if (!cron.validate(options.schedule)) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `advisor.schedule "${options.schedule}" is not a cron expression; e.g. "*/30 * * * * *" for every 30 s`);
    }
    this.options = options;
  }

  /** Starts the schedule; does nothing when there are no advisory targets or it is already started. */
  start(): void {
    if (this.task !== undefined || this.options.targets.length === 0) return;
    this.task = cron.schedule(this.options.schedule, () => this.tick(), { name: 'advisory-loop' });
  }

  /** Stops the schedule and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task !== undefined) await task.destroy();
    await this.running;
  }

  /** One run over every target now, unless one is already in progress (then that run's result). */
  runOnce(): Promise<AdvisoryRun> {
    if (this.running !== undefined) return this.running;
    const run = this.evaluateAll().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private tick(): void {
    if (this.running !== undefined) {
      this.options.logger.warn({ schedule: this.options.schedule, targets: this.options.targets.length }, 'advisory run still in progress; skipping this tick');
      return;
    }
    void this.runOnce();
  }

  private async evaluateAll(): Promise<AdvisoryRun> {
    const queue = [...this.options.targets];
    let evaluated = 0;
    let failed = 0;
    const nowMs = this.options.nowMs ?? Date.now;
    const worker = async () => {
      for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
        try {
          await this.options.evaluator.evaluateAdvisory(target, nowMs());
          evaluated++;
        } catch (error) {
          failed++;
          const code = error instanceof ScalerError ? error.code : 'INTERNAL_ERROR';
          this.options.logger.error({ target: targetKey(target), code, err: error }, 'advisory evaluation failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ADVISORY_CONCURRENCY, queue.length) }, worker));
    return { evaluated, failed };
  }
}
