// The what-if form: override a few policy settings, pick a past window, and compare what the replayed
// policy would have run with what the gateways ran.
import type { WhatIfAnswer } from '../api-routes.ts';
import type { TargetDetailView } from '../target-views.ts';
import { ApiError, postJson, targetPath } from './api-client.ts';
import { COLORS, type ChartHandle, createChart } from './charts.ts';
import { el, replaceChildren, scrollingTable } from './dom.ts';
import { formatDateTime, formatNumber } from './format.ts';

/** The settings people most often try other values for; any scalerMetadata key is accepted by the API. */
const OVERRIDABLE_KEYS = [
  'minReplicas',
  'maxReplicas',
  'targetQueueFill',
  'capacitySpansPerReplica',
  'targetUtilization',
  'backendFailureRatio',
  'scaleInStep',
  'scaleInWindow',
  'decisionWait',
  'numTraces',
  'decisionLatencyBudget',
  'podStartup',
] as const;

const LISTED_ACTIONS = 12;

function field(label: string, name: string, placeholder: string, hint: string): HTMLElement {
  return el('label', { class: 'field' }, el('span', null, label), el('input', { name, placeholder, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${name}-hint` }), el('small', { id: `${name}-hint`, class: 'muted' }, hint));
}

function change(actual: number | null, replay: number | null, digits = 1): string {
  if (actual === null || replay === null) return '–';
  const difference = replay - actual;
  const percent = actual === 0 ? '' : ` (${difference >= 0 ? '+' : ''}${((difference / actual) * 100).toFixed(0)}%)`;
  return `${difference >= 0 ? '+' : ''}${formatNumber(difference, digits)}${percent}`;
}

function resultView(answer: WhatIfAnswer): { element: HTMLElement; chart: ChartHandle } {
  const rows: [string, number | null, number | null][] = [
    ['Replica-hours', answer.actual.replicaHours, answer.replay.replicaHours],
    ['Estimated lost spans', answer.actual.estimatedLostSpans, answer.replay.estimatedLostSpans],
    ['Scale actions', answer.actual.scaleActions, answer.replay.scaleActions],
    ['Peak replicas', answer.actual.peakReplicas, answer.replay.peakReplicas],
  ];
  const chart = createChart(
    {
      id: 'chart-whatif',
      title: 'Replicas: gateways ran vs what-if',
      unit: 'count',
      lines: [
        { label: 'gateways ran', color: COLORS.current, stepped: true, width: 2 },
        { label: 'what-if asked', color: COLORS.recommended, stepped: true, dash: [6, 3], width: 2 },
        { label: 'what-if ready', color: COLORS.forecast, stepped: true, width: 1 },
      ],
    },
    [answer.series.atMs, answer.series.actualReplicas, answer.series.replayedReplicas, answer.series.replayedReadyReplicas],
  );
  const overrides = Object.entries(answer.overrides);
  const element = el(
    'div',
    { class: 'whatif-result', id: 'whatif-result' },
    el(
      'p',
      null,
      `${formatDateTime(answer.window.fromMs)} → ${formatDateTime(answer.window.toMs)}, ${answer.steps} steps of ${answer.window.stepSeconds} s (${answer.comparedSteps} with load and replica data)`,
      overrides.length > 0 ? ` · overrides: ${overrides.map(([key, value]) => `${key}=${value}`).join(', ')}` : ' · no overrides: the current settings replayed',
    ),
    scrollingTable(
      { id: 'whatif-totals' },
      el('tr', null, el('th', null, ''), el('th', { class: 'num' }, 'Gateways ran'), el('th', { class: 'num' }, 'What-if'), el('th', { class: 'num' }, 'Change')),
      rows.map(([label, actual, replay]) =>
        el('tr', { 'data-row': label }, el('th', { scope: 'row' }, label), el('td', { class: 'num' }, formatNumber(actual)), el('td', { class: 'num' }, formatNumber(replay)), el('td', { class: 'num' }, change(actual, replay))),
      ),
    ),
    chart.element,
    answer.scaleActions.length > 0
      ? el(
          'details',
          null,
          el('summary', null, `What-if scale actions (${answer.replay.scaleActions})`),
          el('ul', { class: 'actions' }, ...answer.scaleActions.slice(0, LISTED_ACTIONS).map((action) => el('li', null, `${formatDateTime(action.atMs)}: ${action.from} → ${action.to} — ${action.summary}`))),
          answer.scaleActions.length > LISTED_ACTIONS || answer.scaleActionsTruncated ? el('p', { class: 'muted' }, 'Later actions are left out here; the API answer lists up to 200.') : null,
        )
      : el('p', { class: 'muted' }, 'The what-if policy would not have changed the replica count in this window.'),
    el('p', { class: 'muted estimator' }, answer.estimator),
  );
  return { element, chart };
}

/** The what-if section for one target; placeholders show the target's effective settings. */
export function whatIfSection(namespace: string, name: string, detail: TargetDetailView): HTMLElement {
  const metadata = detail.effectiveMetadata;
  const form = el(
    'form',
    { id: 'whatif-form', class: 'whatif-form', novalidate: '' },
    el(
      'fieldset',
      null,
      el('legend', null, 'Window'),
      field('from', 'from', '6h', 'ISO time, ms since epoch, or a duration before now'),
      field('to', 'to', 'now', 'same forms; empty = now'),
      field('step', 'step', metadata.pollingInterval, 'default: pollingInterval'),
    ),
    el('fieldset', null, el('legend', null, 'Overrides (empty = current value)'), ...OVERRIDABLE_KEYS.map((key) => field(key, key, metadata[key] ?? '', `now ${metadata[key] ?? 'default'}`))),
    el('div', { class: 'form-actions' }, el('button', { type: 'submit', id: 'whatif-submit' }, 'Replay'), el('span', { class: 'muted', id: 'whatif-status', role: 'status' })),
  );
  const result = el('div');
  const status = form.querySelector<HTMLElement>('#whatif-status')!;
  const submit = form.querySelector<HTMLButtonElement>('#whatif-submit')!;
  let chart: ChartHandle | undefined;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value = (key: string) => String(data.get(key) ?? '').trim();
    const body: Record<string, unknown> = { overrides: Object.fromEntries(OVERRIDABLE_KEYS.filter((key) => value(key) !== '').map((key) => [key, value(key)])) };
    for (const key of ['from', 'to', 'step']) if (value(key) !== '') body[key] = value(key);
    submit.disabled = true;
    status.textContent = 'Replaying…';
    postJson<WhatIfAnswer>(targetPath(namespace, name, '/whatif'), body)
      .then((answer) => {
        chart?.destroy();
        const view = resultView(answer);
        chart = view.chart;
        replaceChildren(result, view.element);
        status.textContent = '';
      })
      .catch((error: unknown) => {
        status.textContent = '';
        replaceChildren(result, el('p', { class: 'error-text', role: 'alert', id: 'whatif-error' }, error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  return el(
    'section',
    { id: 'whatif', class: 'card' },
    el('h2', null, 'What if'),
    el('p', { class: 'muted' }, 'Replays this target’s policy over a past window with the settings you change, next to what the gateways actually ran. Nothing in the cluster changes.'),
    form,
    result,
  );
}
