// Message content: snapshots rendered as plain text so a person can review what Slack will show,
// plus the Block Kit limits and the formatting rules the snapshots rely on.
import { describe, expect, it } from 'vitest';
import { type AlertState, evaluateTargetAlerts, type TargetAlerts } from '../../../src/alerts/alert-state.ts';
import { dashboardTargetUrl } from '../../../src/alerts/dashboard-link.ts';
import type { AlertNotice, NotificationGroup } from '../../../src/alerts/notify/alert-notice.ts';
import { resolveRuleSettings } from '../../../src/alerts/rule-settings.ts';
import type { AlertInput, EvidenceUnit } from '../../../src/alerts/rules/alert-rule.ts';
import { buildSlackMessage, formatElapsed, formatQuantity, SLACK_LIMITS, type SlackMessage } from '../../../src/alerts/slack/slack-message.ts';
import { ceilingInputs } from '../../../src/policy/backend-ceiling.ts';
import type { GuardAction } from '../../../src/policy/decision.ts';
import { checkDrain } from '../../../src/policy/drain-check.ts';
import { settings as policySettings } from '../../policy/policy-fixtures.ts';
import { BACKEND_GUARD, decisionInput, errorInput, firingAlerts, MISSING_DATA_GUARD, TARGET } from '../decision-fixture.ts';

const at = Date.parse('2024-05-06T08:42:00Z');
const dashboard = 'https://scaler.example.com/';
const shortDrain = checkDrain(policySettings({ dropPendingTracesOnShutdown: 'true', decisionWait: '60s', scaleInDrain: '40s' }));

/** What Slack shows for escaped markup. */
function unescapeMarkup(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Blocks as a person reads them: headers, sections, fields as "label: value" lines, context in italics. */
function render(message: SlackMessage): string {
  const lines = [`[notification] ${message.text}`, ''];
  for (const block of message.blocks) {
    if (block.type === 'header') lines.push(`# ${block.text.text}`);
    else if (block.type === 'divider') lines.push('----');
    else if (block.type === 'context') lines.push(...block.elements.map((element) => `_${element.text}_`));
    else if ('fields' in block) lines.push(...block.fields.map((field) => `  - ${field.text.replace('\n', ': ')}`));
    else lines.push(block.text.text);
  }
  return unescapeMarkup(`${lines.join('\n')}\n`);
}

/** Runs every sample through the state machine until all fire; returns the firing alerts. */
function fireAll(inputs: readonly AlertInput[], overrides: Parameters<typeof resolveRuleSettings>[0] = {}): AlertState[] {
  const rules = resolveRuleSettings(overrides);
  let state: TargetAlerts = new Map();
  for (const input of inputs) {
    const nowMs = input.observation.kind === 'decision' ? input.observation.decision.at : input.observation.error.atMs;
    state = evaluateTargetAlerts(state, input, rules, nowMs).next;
  }
  return [...state.values()].filter((alert) => alert.phase === 'firing');
}

function group(notices: AlertNotice[]): NotificationGroup {
  return { target: TARGET, notices };
}

function firingNotices(alerts: readonly AlertState[], repeat = false, atMs = at): AlertNotice[] {
  return alerts.map((alert) => ({ kind: 'firing', repeat, alert, atMs }));
}

/** One decision where everything is wrong at once, so every rule's text can be read side by side. */
function everythingWrong(atMs: number): AlertInput {
  const routing: GuardAction = {
    name: 'routingImbalance',
    effect: 'note',
    from: 12,
    to: 12,
    reason: 'Gateway gw-0 receives 41k spans/s while the other 3 average 12.1k spans/s: a routing hot spot (traceID hash or stale DNS on the agents) that more gateways would not fix; queue fill counts by its mean and decision latency adds no replicas.',
  };
  const clamp: GuardAction = { name: 'clamp', effect: 'limit', from: 16, to: 12, reason: 'capped at maxReplicas is 12 (load needs 16)' };
  return decisionInput(
    {
      at: atMs,
      current: 12,
      recommended: 12,
      atMaxUnderPressure: true,
      guards: [
        { ...BACKEND_GUARD, from: 16, to: 12, reason: 'backend rejects 21% of sends (limit 5%); more gateways would not help' },
        { ...MISSING_DATA_GUARD, effect: 'note', from: 12, to: 12, reason: 'no data for queueFillMean: no scale-in until it is back; scale-out on the signals present is still allowed' },
        clamp,
        routing,
        {
          name: 'drainTooShort',
          effect: 'note',
          from: 12,
          to: 12,
          reason: shortDrain.sentence,
        },
      ],
      drain: shortDrain,
      proposals: [
        {
          name: 'queue',
          replicas: 12,
          inputs: { queueFillMax: 0.97, enqueueFailedSpansPerSecond: 5200, ...ceilingInputs({ sentSpansPerSecond: 79_000, fromReplicas: 10 }) },
          reason: 'queues 97% full vs target 50% → 24; held at 12: the 2 gateways added since 10 did not raise the sent rate (79k spans/s → 79k spans/s), so the backend is the ceiling and more would not help',
        },
        {
          name: 'throughput',
          replicas: 16,
          inputs: { acceptedSpansPerSecond: 182_000 },
          reason: '182k spans/s rising to 224k spans/s by the time a new pod takes traffic (95s: pod startup 45s from the trigger) at 70% of 20k spans/s per replica → 16',
        },
      ],
      signals: {
        currentReplicas: 12,
        queueFillMax: 0.97,
        refusedSpansPerSecond: 3100,
        sendFailedSpansPerSecond: 21_000,
        sentSpansPerSecond: 79_000,
        decisionLatencyP99Ms: 1450,
        tracesOnMemory: 600_000,
        droppedTooEarlyTracesPerSecond: 4200,
        acceptedSpansPerSecond: 182_000,
        enqueueFailedSpansPerSecond: 5200,
        queueFillMean: 'missing',
      },
      byGateway: { 'gw-0': 41_000, 'gw-1': 12_500, 'gw-2': 11_800, 'gw-3': 12_100 },
    },
    {
      forecastDueNow: {
        madeAtMs: atMs - 95_000,
        forecast: { leadTimeSeconds: 95, pointSpansPerSecond: 120_000, upperSpansPerSecond: 140_000, quantile: 0.9, fittedAtMs: atMs - 3_600_000, model: 'seasonal-naive-weekly' },
      },
    },
  );
}

const everyRuleFiring = fireAll(
  Array.from({ length: 31 }, (_, index) => everythingWrong(at - (30 - index) * 60_000)),
  { forecastMiss: { for: '15m' } },
);

describe('Slack message content (snapshots reviewed by a person)', () => {
  it('backend bottleneck and refused spans firing together, with a dashboard link', async () => {
    const message = buildSlackMessage(group(firingNotices(firingAlerts(TARGET, at))), { dashboardBaseUrl: dashboard });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/firing-backend-bottleneck.txt');
  });

  it('num_traces undersized on a dry-run target: marked advisory, no dashboard link configured', async () => {
    const samples = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((minute) =>
      decisionInput({ at: at + (minute - 10) * 30_000, mode: 'dry-run', recommended: 8, signals: { droppedTooEarlyTracesPerSecond: 1850, tracesOnMemory: 300_000 } }),
    );
    const message = buildSlackMessage(group(firingNotices(fireAll(samples))), { dashboardBaseUrl: undefined });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/firing-advisory-num-traces.txt');
  });

  it('Prometheus unreachable', async () => {
    const samples = [0, 1, 2, 3, 4, 5, 6].map((step) => errorInput(at + (step - 6) * 30_000));
    const message = buildSlackMessage(group(firingNotices(fireAll(samples))), { dashboardBaseUrl: dashboard });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/firing-prometheus-unreachable.txt');
  });

  it('a reminder after the repeat interval', async () => {
    const alerts = firingAlerts(TARGET, at).filter((alert) => alert.rule === 'backendBottleneck');
    const message = buildSlackMessage(group(firingNotices(alerts, true, at + 4 * 3_600_000 + 120_000)), { dashboardBaseUrl: dashboard });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/reminder-backend-bottleneck.txt');
  });

  it('resolved alerts say for how long they fired and what the scaler does now', async () => {
    const notices: AlertNotice[] = firingAlerts(TARGET, at).map((alert) => ({ kind: 'resolved', alert, atMs: at + 38 * 60_000, currentAction: 'Asked KEDA for 9 replicas (running 6).' }));
    const message = buildSlackMessage(group(notices), { dashboardBaseUrl: dashboard });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/resolved.txt');
  });

  it('every rule firing at once', async () => {
    expect(everyRuleFiring.map((alert) => alert.rule).sort()).toEqual([
      'atMaxUnderPressure',
      'backendBottleneck',
      'backendCeiling',
      'dataMissing',
      'decisionLatencyHigh',
      'drainTooShort',
      'forecastMiss',
      'refusedSpans',
      'routingImbalance',
      'tracesDroppedTooEarly',
    ]);
    const message = buildSlackMessage(group(firingNotices(everyRuleFiring)), { dashboardBaseUrl: dashboard });
    await expect(render(message)).toMatchFileSnapshot('__snapshots__/firing-every-rule.txt');
  });
});

describe('Block Kit limits and markup', () => {
  it('a message with every rule firing and resolving stays within Block Kit limits', () => {
    const resolved: AlertNotice[] = everyRuleFiring.map((alert) => ({ kind: 'resolved', alert, atMs: at + 60_000, currentAction: 'Held at 12 replicas.' }));
    const message = buildSlackMessage(group([...firingNotices(everyRuleFiring), ...resolved]), { dashboardBaseUrl: dashboard });
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    // The footer (divider, link, keys) stays; the alerts that did not fit are counted just above it.
    expect(message.blocks.at(-4)).toMatchObject({ type: 'context' });
    expect(JSON.stringify(message.blocks.at(-4))).toMatch(/…and \d+ more; see the dashboard\./);
    for (const block of message.blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerChars);
      if (block.type === 'section' && 'text' in block) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionChars);
      if (block.type === 'section' && 'fields' in block) expect(block.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
    }
  });

  it('escapes Slack markup in texts that come from outside (error messages)', () => {
    const input = errorInput(at);
    const hostile: AlertInput = { ...input, observation: { kind: 'error', error: { ...(input.observation as Extract<AlertInput['observation'], { kind: 'error' }>).error, message: 'bad <!channel> & <http://evil|click>' } } };
    const alerts = fireAll([0, 1, 2, 3, 4, 5, 6].map((step) => ({ ...hostile, observation: { ...hostile.observation, error: { ...(hostile.observation as { error: object }).error, atMs: at + step * 30_000 } } }) as AlertInput));
    const text = JSON.stringify(buildSlackMessage(group(firingNotices(alerts)), { dashboardBaseUrl: undefined }).blocks);
    expect(text).toContain('bad &lt;!channel&gt; &amp; &lt;http://evil|click&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('links to the dashboard page of the target', () => {
    const text = JSON.stringify(buildSlackMessage(group(firingNotices(firingAlerts(TARGET, at))), { dashboardBaseUrl: dashboard }).blocks);
    expect(text).toContain('<https://scaler.example.com/#/targets/observability/otel-gateway|Open observability/otel-gateway in the scaler dashboard>');
  });
});

describe('dashboardTargetUrl', () => {
  const rows = [
    { name: 'joins base and path', input: { base: 'https://scaler.example.com', ref: TARGET }, want: 'https://scaler.example.com/#/targets/observability/otel-gateway' },
    { name: 'trailing slashes of the base are dropped', input: { base: 'https://scaler.example.com/ui//', ref: TARGET }, want: 'https://scaler.example.com/ui/#/targets/observability/otel-gateway' },
    { name: 'names are URL-encoded', input: { base: 'http://scaler:8080', ref: { namespace: 'team a', name: 'gw/1' } }, want: 'http://scaler:8080/#/targets/team%20a/gw%2F1' },
  ];
  for (const row of rows) it(row.name, () => expect(dashboardTargetUrl(row.input.base, row.input.ref)).toBe(row.want));
});

describe('formatting', () => {
  const quantities: { name: string; input: [number | string, EvidenceUnit]; want: string }[] = [
    { name: 'ratios as whole percentages', input: [0.3214, 'ratio'], want: '32%' },
    { name: 'small ratios keep one decimal', input: [0.0125, 'ratio'], want: '1.3%' },
    { name: 'rates with thousands separators', input: [16_000.4, 'spans/s'], want: '16,000 spans/s' },
    { name: 'small rates keep two decimals', input: [1.256, 'traces/s'], want: '1.26 traces/s' },
    { name: 'milliseconds', input: [740, 'ms'], want: '740 ms' },
    { name: 'counts are whole', input: [72_000, 'traces'], want: '72,000' },
    { name: 'factors', input: [3.4, 'factor'], want: '3.4×' },
    { name: 'an infinite factor (others idle)', input: [Number.POSITIVE_INFINITY, 'factor'], want: '∞×' },
    { name: 'text as is', input: ['PROMETHEUS_UNAVAILABLE', 'text'], want: 'PROMETHEUS_UNAVAILABLE' },
  ];
  for (const row of quantities) it(`formatQuantity: ${row.name}`, () => expect(formatQuantity(...row.input)).toBe(row.want));

  const elapsed = [
    { name: 'seconds', input: 45_000, want: '45s' },
    { name: 'minutes', input: 38 * 60_000 + 20_000, want: '38m' },
    { name: 'hours and minutes', input: 125 * 60_000, want: '2h 5m' },
    { name: 'whole hours', input: 4 * 3_600_000, want: '4h' },
  ];
  for (const row of elapsed) it(`formatElapsed: ${row.name}`, () => expect(formatElapsed(row.input)).toBe(row.want));
});
