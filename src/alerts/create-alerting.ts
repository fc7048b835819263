// Composition of alerting, for main.ts: rules evaluated on every recorded decision (and on failed
// evaluations, found by a short sweep over the DecisionLog, since a failure records no decision),
// the state machine, and, when a webhook is configured, the Slack notification pipeline.
import { readFileSync } from 'node:fs';
import type { DecisionLog, TargetRecord } from '../advisor/decision-log.ts';
import { parseDurationSeconds } from '../config/duration.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { ERROR_CATALOGUE } from '../errors.ts';
import type { Decision } from '../policy/decision.ts';
import { targetKey } from '../signals/signal-snapshot.ts';
import type { AlertingObserver, AlertLogger } from './alerting-observer.ts';
import { type AlertState, evaluateTargetAlerts, forgetTargetAlerts, type AlertTransition, type TargetAlerts } from './alert-state.ts';
import { createNotifier, type NoticeCandidate, type Notifier, type NotifierTuning } from './notify/notifier.ts';
import { SLACK_MIN_SEND_INTERVAL_MS } from './notify/rate-limit.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './notify/retry.ts';
import { type Redactor, redactingLogger, webhookRedactor } from './redact.ts';
import { resolveRuleSettings } from './rule-settings.ts';
import type { AlertInput, TargetObservation } from './rules/alert-rule.ts';
import { forecastDueAt } from './rules/forecast-due.ts';
import { buildSlackMessage } from './slack/slack-message.ts';
import { createSlackSender } from './slack/slack-sender.ts';
import { readWebhookUrl } from './slack/webhook-url.ts';

/** How often the DecisionLog is swept for failed evaluations and forgotten targets. */
const DEFAULT_ERROR_SWEEP_INTERVAL_MS = 15_000;

export interface AlertingOptions {
  readonly config: ServerConfig['alerts'];
  readonly decisionLog: DecisionLog;
  readonly logger: AlertLogger;
  readonly observer: AlertingObserver;
  /** `http.publicUrl`; messages link to `${dashboardBaseUrl}/#/targets/<namespace>/<name>` when set. */
  readonly dashboardBaseUrl: string | undefined;
  /** Wall clock (ms) for group waits, rate limits and retry deadlines; alert timing uses decision times. */
  readonly clock: () => number;
  /** [0, 1), for retry jitter. */
  readonly random: () => number;
  /** Where `alerts.slack.webhookUrlEnv` is looked up; process.env when not given. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Faster timings for tests; production uses the defaults. */
  readonly timing?: {
    readonly errorSweepIntervalMs?: number;
    readonly minSendIntervalMs?: number;
    readonly retry?: Partial<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>>;
  };
}

export interface Alerting {
  /** Pending and firing alerts of every target, for the dashboard. */
  activeAlerts(): readonly AlertState[];
  /** Resolves when no notification is buffered, queued or being sent (at once when Slack is off). */
  idle(): Promise<void>;
  /** Unsubscribes, stops the sweep, and cancels sending. */
  stop(): Promise<void>;
}

function seconds(text: string): number {
  // The schema has validated every duration; a failure here is a bug, not bad input.
  const value = parseDurationSeconds(text);
  if (value === undefined) throw new Error(`unvalidated duration "${text}"`);
  return value;
}

function isAdvisory(record: TargetRecord, decision: Decision | undefined): boolean {
  return record.origin === 'advisory' || record.settings.mode === 'dry-run' || decision?.mode === 'dry-run';
}

function buildNotifier(options: AlertingOptions, logger: AlertLogger): { notifier: Notifier; redact: Redactor } | undefined {
  const slack = options.config.slack;
  if (slack?.sender === false) {
    logger.info({ reason: 'alerts.slack.sender is false' }, 'Slack alerts sent by another replica; alert rules still run (logs and self-metrics)');
    return undefined;
  }
  const source = readWebhookUrl(slack, { env: options.env ?? process.env, readFile: (path) => readFileSync(path, 'utf8') });
  if (source.kind === 'disabled' || slack === undefined) {
    logger.info({ reason: source.kind === 'disabled' ? source.reason : 'alerts.slack is not set' }, 'Slack alerts disabled; alert rules still run (logs and self-metrics)');
    return undefined;
  }
  const redact = webhookRedactor(source.url);
  const send = createSlackSender(source.url, redact, options.clock);
  const tuning: NotifierTuning = {
    groupWaitMs: seconds(slack.groupWait) * 1000,
    repeatIntervalMs: seconds(slack.repeatInterval) * 1000,
    queueCapacity: slack.queueCapacity,
    minSendIntervalMs: options.timing?.minSendIntervalMs ?? SLACK_MIN_SEND_INTERVAL_MS,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      ...options.timing?.retry,
      attemptTimeoutMs: seconds(slack.sendTimeout) * 1000,
      deadlineMs: seconds(slack.deliveryDeadline) * 1000,
    },
  };
  const safeLogger = redactingLogger(logger, redact);
  const notifier = createNotifier(tuning, {
    send: (group, sendOptions) => send(buildSlackMessage(group, { dashboardBaseUrl: options.dashboardBaseUrl }), sendOptions),
    logger: safeLogger,
    observer: options.observer,
    clock: options.clock,
    random: options.random,
  });
  safeLogger.info({ webhook: source.origin, groupWaitMs: tuning.groupWaitMs, repeatIntervalMs: tuning.repeatIntervalMs }, 'Slack alerts enabled');
  return { notifier, redact };
}

/**
 * Starts alerting over a DecisionLog. Throws ScalerError INVALID_SERVER_CONFIG (naming the field,
 * never quoting the webhook URL) when `alerts` is set but unusable; with no webhook configured the
 * rules still run and report through logs and the observer.
 */
export function createAlerting(options: AlertingOptions): Alerting {
  const rules = resolveRuleSettings(options.config.rules);
  const built = buildNotifier(options, options.logger);
  const logger = built ? redactingLogger(options.logger, built.redact) : options.logger;
  const notifier = built?.notifier;
  const { decisionLog, observer } = options;
  const states = new Map<string, TargetAlerts>();
  const lastErrorSeenMs = new Map<string, number>();

  function report(transitions: readonly AlertTransition[]): void {
    for (const transition of transitions) {
      const { alert } = transition;
      observer.onAlertTransition({ rule: alert.rule, severity: alert.severity, state: transition.kind, advisory: alert.advisory });
      const fields = { alert: alert.key, severity: alert.severity, advisory: alert.advisory };
      if (transition.kind === 'firing') logger.warn({ ...fields, summary: alert.details.summary }, 'alert firing');
      else logger.info({ ...fields, now: transition.currentAction }, 'alert resolved');
    }
  }

  function observe(record: TargetRecord, observation: TargetObservation, nowMs: number): void {
    const key = targetKey(record.ref);
    const input: AlertInput = {
      target: record.ref,
      settings: record.settings,
      advisory: isAdvisory(record, observation.kind === 'decision' ? observation.decision : record.latest),
      observation,
    };
    const { next, transitions, conditions } = evaluateTargetAlerts(states.get(key) ?? new Map(), input, rules, nowMs);
    if (next.size > 0) states.set(key, next);
    else states.delete(key);
    observer.onRuleConditions({ target: record.ref, advisory: input.advisory, conditions });
    report(transitions);
    if (!notifier) return;
    const candidates: NoticeCandidate[] = [];
    for (const alert of next.values()) if (alert.phase === 'firing') candidates.push({ kind: 'firing', alert, atMs: nowMs });
    for (const transition of transitions) {
      if (transition.kind === 'resolved') candidates.push({ kind: 'resolved', alert: transition.alert, atMs: transition.atMs, currentAction: transition.currentAction });
    }
    notifier.offer(candidates);
  }

  function onDecision(record: TargetRecord, decision: Decision): void {
    try {
      const toleranceMs = Math.max(30, record.settings.pollingIntervalSeconds) * 1000;
      const leadMs = (decision.forecast?.leadTimeSeconds ?? decision.startup.leadTimeSeconds) * 1000;
      const history = decisionLog.history(record.ref, decision.at - leadMs - toleranceMs);
      observe(record, { kind: 'decision', decision, forecastDueNow: forecastDueAt(history, decision.at, toleranceMs) }, decision.at);
    } catch (error) {
      // The decision path must never fail because of alerting.
      logger.error({ target: targetKey(record.ref), error: (error as Error).message }, 'alert evaluation failed');
    }
  }

  function sweep(): void {
    try {
      const live = new Set<string>();
      for (const record of decisionLog.targets()) {
        const key = targetKey(record.ref);
        live.add(key);
        const error = record.lastError;
        if (error === undefined || error.atMs <= (record.latest?.at ?? Number.NEGATIVE_INFINITY) || error.atMs <= (lastErrorSeenMs.get(key) ?? Number.NEGATIVE_INFINITY)) continue;
        lastErrorSeenMs.set(key, error.atMs);
        observe(record, { kind: 'error', error: { ...error, remedy: ERROR_CATALOGUE[error.code].remedy } }, error.atMs);
      }
      for (const [key, alerts] of states) {
        if (live.has(key)) continue;
        const transitions = forgetTargetAlerts(alerts, options.clock());
        states.delete(key);
        lastErrorSeenMs.delete(key);
        report(transitions);
        notifier?.offer(transitions.flatMap((t) => (t.kind === 'resolved' ? [{ kind: 'resolved' as const, alert: t.alert, atMs: t.atMs, currentAction: t.currentAction }] : [])));
      }
    } catch (error) {
      logger.error({ error: (error as Error).message }, 'alert sweep failed');
    }
  }

  const unsubscribe = decisionLog.onDecision(onDecision);
  const sweepTimer = setInterval(sweep, options.timing?.errorSweepIntervalMs ?? DEFAULT_ERROR_SWEEP_INTERVAL_MS);
  sweepTimer.unref();
  logger.info({ rules: rules.map((rule) => rule.rule.name) }, 'alert rules active');

  return {
    activeAlerts: () => [...states.values()].flatMap((alerts) => [...alerts.values()]),
    idle: () => notifier?.idle() ?? Promise.resolve(),
    async stop() {
      unsubscribe();
      clearInterval(sweepTimer);
      await notifier?.stop();
    },
  };
}
