// The scaler's own metrics at /metrics (prom-client, its own Registry so tests and embedders never
// share the global one). Per-target gauges are read from the DecisionLog at scrape time, so forgotten
// targets disappear; events that happen elsewhere (Prometheus queries, gRPC calls, alerting)
// arrive through the observer objects main.ts hands to those modules.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionLog } from '../advisor/decision-log.ts';
import type { AlertingObserver } from '../alerts/alerting-observer.ts';
import type { GrpcCallObserver } from '../keda/call-observer.ts';
import { ceilingHeldBy } from '../policy/backend-ceiling.ts';
import type { Decision } from '../policy/decision.ts';
import { BACKEND_CEILING_FROM_REPLICAS_METRIC, BACKEND_CEILING_SENT_METRIC, FELL_BEHIND_AT_METRIC, FELL_BEHIND_SPANS_METRIC, SELF_METRIC_PREFIX } from '../signals/decision-series.ts';
import type { PrometheusQueryObserver } from '../signals/query-observer.ts';

const PREFIX = SELF_METRIC_PREFIX;

/** Seconds; Prometheus queries time out at 2 s by default, gRPC answers should take milliseconds. */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface SelfMetrics {
  readonly registry: Registry;
  readonly prometheusQueries: PrometheusQueryObserver;
  readonly grpcCalls: GrpcCallObserver;
  readonly alerting: AlertingObserver;
  /** Starts reading per-target gauges from the log and counting guard actions; returns a stop function. */
  trackDecisionLog(decisionLog: TrackedDecisions): () => void;
}

/** What the per-target gauges and the guard-action counter read of a DecisionLog. */
export type TrackedDecisions = Pick<DecisionLog, 'targets' | 'onDecision'>;

/** Builds the registry (with Node's default process metrics) and the observers that feed it. */
export function createSelfMetrics(options: { readonly nowMs?: () => number } = {}): SelfMetrics {
  const nowMs = options.nowMs ?? Date.now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const logs = new Set<TrackedDecisions>();

  const eachRecord = (visit: (record: ReturnType<DecisionLog['targets']>[number]) => void) => {
    for (const log of logs) for (const record of log.targets()) visit(record);
  };
  const targetLabels = (record: { readonly ref: { readonly namespace: string; readonly name: string } }) => ({
    namespace: record.ref.namespace,
    name: record.ref.name,
  });

  new Gauge({
    name: `${PREFIX}recommended_replicas`,
    help: 'Replicas the policy recommends for the target (whatever the mode).',
    labelNames: ['namespace', 'name', 'mode'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachRecord((record) => {
        if (record.latest) this.set({ ...targetLabels(record), mode: record.latest.mode }, record.latest.recommended);
      });
    },
  });
  /** A per-target gauge of one figure of the latest decision; absent where the decision has none. */
  const latestDecisionGauge = (name: string, help: string, figureOf: (decision: Decision) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'name'] as const,
      registers: [registry],
      collect() {
        this.reset();
        eachRecord((record) => {
          const figure = record.latest === undefined ? undefined : figureOf(record.latest);
          if (figure !== undefined) this.set(targetLabels(record), figure);
        });
      },
    });
  latestDecisionGauge(`${PREFIX}current_replicas`, 'Gateway replicas expected (scrape targets up or down, or the Deployment) at the latest decision.', (decision) => decision.current);
  latestDecisionGauge(
    `${PREFIX}answered_replicas`,
    'Replicas the scaler answered KEDA at the latest decision (recommended in enforce mode, current in dry-run).',
    (decision) => decision.replicas,
  );
  new Gauge({
    name: `${PREFIX}proposal_replicas`,
    help: 'Replicas each proposal asked for at the latest decision (absent when the proposal had no data).',
    labelNames: ['namespace', 'name', 'proposal'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachRecord((record) => {
        for (const proposal of record.latest?.proposals ?? []) {
          if (proposal.replicas !== undefined) this.set({ ...targetLabels(record), proposal: proposal.name }, proposal.replicas);
        }
      });
    },
  });
  new Gauge({
    name: `${PREFIX}guard_active`,
    help: 'Guards that acted on the latest decision (1), by effect: hold, limit or note.',
    labelNames: ['namespace', 'name', 'guard', 'effect'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachRecord((record) => {
        for (const guard of record.latest?.guards ?? []) this.set({ ...targetLabels(record), guard: guard.name, effect: guard.effect }, 1);
      });
    },
  });
  // The queue proposal's hold, exported so the next peak holds at once (policy/backend-ceiling.ts):
  // Prometheus keeps it after the hold ends, and every scaler replica reads it back alike.
  latestDecisionGauge(
    BACKEND_CEILING_SENT_METRIC,
    'Sent spans/s that gateways added while queues filled did not raise, at the latest decision whose queue proposal held for it (absent otherwise).',
    (decision) => ceilingHeldBy(decision)?.sentSpansPerSecond,
  );
  latestDecisionGauge(
    BACKEND_CEILING_FROM_REPLICAS_METRIC,
    'The gateway count the tier grew from when it showed that backend ceiling (absent when the queue proposal did not hold).',
    (decision) => ceilingHeldBy(decision)?.fromReplicas,
  );
  // Where the capacity read window shows the agents ahead of the gateways for longer than a rate window,
  // exported so later peaks size for it from their start (policy/capacity-in-use.ts) once the read
  // window has moved past it.
  latestDecisionGauge(
    FELL_BEHIND_SPANS_METRIC,
    "Median spans/s per gateway at the steps where the latest decision's capacity read window shows the agents ahead of the gateways for longer than a rate window (absent when it shows none).",
    (decision) => decision.capacity.fellBehindNow?.spansPerReplica,
  );
  latestDecisionGauge(FELL_BEHIND_AT_METRIC, 'The newest of those steps, in Unix seconds (absent when there is none).', (decision) => {
    const fellBehind = decision.capacity.fellBehindNow;
    return fellBehind === undefined ? undefined : fellBehind.atMs / 1000;
  });
  new Gauge({
    name: `${PREFIX}forecast_age_seconds`,
    help: 'Age of the forecast model the latest decision used (absent when it used none).',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const now = nowMs();
      eachRecord((record) => {
        const forecast = record.latest?.forecast;
        if (forecast) this.set(targetLabels(record), Math.max(0, (now - forecast.fittedAtMs) / 1000));
      });
    },
  });
  new Gauge({
    name: `${PREFIX}signal_age_seconds`,
    help: 'Age of the signals behind the latest decision.',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const now = nowMs();
      eachRecord((record) => {
        if (record.latest) this.set(targetLabels(record), Math.max(0, (now - record.latest.snapshot.observedAtMs) / 1000));
      });
    },
  });
  new Gauge({
    name: `${PREFIX}target_failing`,
    help: 'The target’s last evaluation failed (1), by error code; cleared by the next success.',
    labelNames: ['namespace', 'name', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachRecord((record) => {
        if (record.lastError) this.set({ ...targetLabels(record), code: record.lastError.code }, 1);
      });
    },
  });

  const guardActions = new Counter({
    name: `${PREFIX}guard_actions_total`,
    help: 'Decisions in which a guard acted, by guard and effect.',
    labelNames: ['namespace', 'name', 'guard', 'effect'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: `${PREFIX}decisions_total`,
    help: 'Decisions recorded, by target and mode.',
    labelNames: ['namespace', 'name', 'mode'] as const,
    registers: [registry],
  });
  const queryDuration = new Histogram({
    name: `${PREFIX}prometheus_query_duration_seconds`,
    help: 'Latency of Prometheus queries, by server name, what was queried and outcome.',
    labelNames: ['server', 'query', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const queryErrors = new Counter({
    name: `${PREFIX}prometheus_query_errors_total`,
    help: 'Prometheus queries that failed, by server name and reason.',
    labelNames: ['server', 'reason'] as const,
    registers: [registry],
  });
  const grpcDuration = new Histogram({
    name: `${PREFIX}grpc_call_duration_seconds`,
    help: 'Latency of external scaler gRPC calls, by method and status code.',
    labelNames: ['method', 'code'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const signalReads = new Counter({
    name: `${PREFIX}signal_reads_total`,
    help: 'Signal reads of a target, by server name and how they were answered: cached, joined (shared a read in flight), fetched or failed.',
    labelNames: ['server', 'outcome'] as const,
    registers: [registry],
  });
  const alertTransitions = new Counter({
    name: `${PREFIX}alert_transitions_total`,
    help: 'Alerts that started firing or resolved, by rule, severity, state and whether the target is advisory.',
    labelNames: ['rule', 'severity', 'state', 'advisory'] as const,
    registers: [registry],
  });
  const alertNotifications = new Counter({
    name: `${PREFIX}alert_notifications_total`,
    help: 'Slack messages by final outcome (delivered or failed after retries) and the last failure reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const alertAttemptFailures = new Counter({
    name: `${PREFIX}alert_delivery_attempt_failures_total`,
    help: 'Single HTTP attempts to Slack that failed, by reason (retried when the reason allows).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const alertQueueDrops = new Counter({
    name: `${PREFIX}alert_queue_dropped_total`,
    help: 'Alert messages dropped because the notification queue was full.',
    registers: [registry],
  });
  const alertQueueDepth = new Gauge({
    name: `${PREFIX}alert_queue_depth`,
    help: 'Alert messages waiting to be sent.',
    registers: [registry],
  });
  // Latest condition per target and rule; read at scrape time for the targets the log still holds.
  const ruleConditions = new Map<string, { readonly ref: { namespace: string; name: string }; readonly advisory: boolean; readonly byRule: Map<string, { severity: string; holds: boolean }> }>();
  new Gauge({
    name: `${PREFIX}alert_condition`,
    help:
      "Whether an alert rule's condition holds at the target's latest observation (1) or not (0), before any `for` wait. The PrometheusRule generated from the rule catalogue alerts on it, so every replica exports it and Alertmanager sends one notification.",
    labelNames: ['namespace', 'name', 'rule', 'severity', 'advisory'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachRecord((record) => {
        const known = ruleConditions.get(`${record.ref.namespace}/${record.ref.name}`);
        for (const [rule, condition] of known?.byRule ?? []) {
          this.set({ ...targetLabels(record), rule, severity: condition.severity, advisory: String(known!.advisory) }, condition.holds ? 1 : 0);
        }
      });
      // Targets the log forgot are forgotten here too.
      const live = new Set<string>();
      eachRecord((record) => live.add(`${record.ref.namespace}/${record.ref.name}`));
      for (const key of ruleConditions.keys()) if (!live.has(key)) ruleConditions.delete(key);
    },
  });

  return {
    registry,
    prometheusQueries: {
      queryFinished(event) {
        queryDuration.observe({ server: event.server, query: event.query, outcome: event.outcome }, event.durationMs / 1000);
        if (event.outcome === 'error') queryErrors.inc({ server: event.server, reason: event.errorReason ?? 'unknown' });
      },
      readFinished(event) {
        signalReads.inc({ server: event.server, outcome: event.outcome });
      },
    },
    grpcCalls: {
      callFinished(event) {
        grpcDuration.observe({ method: event.method, code: event.code }, event.durationMs / 1000);
      },
    },
    alerting: {
      onAlertTransition(event) {
        alertTransitions.inc({ rule: event.rule, severity: event.severity, state: event.state, advisory: String(event.advisory) });
      },
      onNotification(event) {
        alertNotifications.inc({ outcome: event.outcome, reason: event.reason ?? 'none' });
      },
      onDeliveryAttemptFailure(event) {
        alertAttemptFailures.inc({ reason: event.reason });
      },
      onQueueDrop() {
        alertQueueDrops.inc();
      },
      onQueueDepth(depth) {
        alertQueueDepth.set(depth);
      },
      onRuleConditions(event) {
        const key = `${event.target.namespace}/${event.target.name}`;
        const entry = ruleConditions.get(key) ?? { ref: { namespace: event.target.namespace, name: event.target.name }, advisory: event.advisory, byRule: new Map() };
        ruleConditions.set(key, { ...entry, advisory: event.advisory });
        for (const condition of event.conditions) ruleConditions.get(key)!.byRule.set(condition.rule, { severity: condition.severity, holds: condition.holds });
      },
    },
    trackDecisionLog(decisionLog) {
      logs.add(decisionLog);
      const unsubscribe = decisionLog.onDecision((record, decision) => {
        decisions.inc({ ...targetLabels(record), mode: decision.mode });
        for (const guard of decision.guards) guardActions.inc({ ...targetLabels(record), guard: guard.name, effect: guard.effect });
      });
      return () => {
        unsubscribe();
        logs.delete(decisionLog);
      };
    },
  };
}
