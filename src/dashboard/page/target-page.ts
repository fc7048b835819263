// One target: the latest decision's reasons in plain words, its charts over time, the signals with
// their thresholds, the effective settings, and the what-if form.
import { PROPOSAL_NAMES } from '../../policy/decision.ts';
import type { ClockKind, HistorySeriesView, TargetDetailView } from '../target-views.ts';
import { getJson, targetPath } from './api-client.ts';
import { COLORS, type ChartColumns, type ChartHandle, type ChartSpec, createChart } from './charts.ts';
import { el, replaceChildren, scrollingTable } from './dom.ts';
import { formatAge, formatTime, formatWithUnit, setClock } from './format.ts';
import { statusBadge, type View } from './overview.ts';
import { whatIfSection } from './what-if-form.ts';

const REFRESH_MS = 10_000;
const RANGES = [
  { label: '1 h', since: '1h' },
  { label: '6 h', since: '6h' },
  { label: '24 h', since: '24h' },
  { label: '7 d', since: '7d' },
  { label: 'all', since: '' },
] as const;

interface ChartDefinition {
  readonly spec: ChartSpec;
  readonly columns: (history: HistorySeriesView) => ChartColumns;
}

const constant = (history: HistorySeriesView, value: number) => history.atMs.map(() => value);

const CHARTS: readonly ChartDefinition[] = [
  {
    spec: {
      id: 'chart-load',
      title: 'Load and forecast (spans/s)',
      unit: 'spans/s',
      lines: [
        { label: 'accepted', color: COLORS.load, width: 2 },
        { label: 'forecast', color: COLORS.forecast, dash: [6, 4] },
        { label: 'forecast upper', color: COLORS.forecast, dash: [2, 3], width: 1 },
        { label: 'capacity at target', color: COLORS.capacity, stepped: true, width: 1 },
      ],
      bands: [{ between: [2, 1], fill: 'rgba(148, 103, 189, 0.15)' }],
    },
    columns: (h) => [h.atMs, h.acceptedSpansPerSecond, h.forecastPointSpansPerSecond, h.forecastUpperSpansPerSecond, h.capacityAtTargetSpansPerSecond],
  },
  {
    spec: {
      id: 'chart-replicas',
      title: 'Replicas: current vs recommended',
      unit: 'count',
      lines: [
        { label: 'current', color: COLORS.current, stepped: true, width: 2 },
        { label: 'recommended', color: COLORS.recommended, stepped: true, dash: [6, 3], width: 2 },
      ],
    },
    columns: (h) => [h.atMs, h.currentReplicas, h.recommendedReplicas],
  },
  {
    spec: {
      id: 'chart-proposals',
      title: 'Replicas each proposal asked for',
      unit: 'count',
      lines: PROPOSAL_NAMES.map((name, index) => ({ label: name, color: COLORS.proposals[index]!, stepped: true })),
    },
    columns: (h) => [h.atMs, ...PROPOSAL_NAMES.map((name) => h.proposals[name])],
  },
  {
    spec: {
      id: 'chart-queue',
      title: 'Exporter queue fill',
      unit: 'ratio',
      lines: [
        { label: 'fullest gateway', color: COLORS.load, width: 2 },
        { label: 'mean', color: COLORS.secondary },
        { label: 'targetQueueFill', color: COLORS.threshold, dash: [4, 4], width: 1 },
      ],
    },
    columns: (h) => [h.atMs, h.queueFillMax, h.queueFillMean, constant(h, h.thresholds.targetQueueFill)],
  },
  {
    spec: {
      id: 'chart-send-failed',
      title: 'Send-failed ratio (backend rejecting)',
      unit: 'ratio',
      lines: [
        { label: 'send failed', color: COLORS.recommended, width: 2 },
        { label: 'backendFailureRatio', color: COLORS.threshold, dash: [4, 4], width: 1 },
      ],
    },
    columns: (h) => [h.atMs, h.sendFailedRatio, constant(h, h.thresholds.backendFailureRatio)],
  },
  {
    spec: {
      id: 'chart-latency',
      title: 'Tail-sampling decision latency p99',
      unit: 'ms',
      lines: [
        { label: 'p99', color: COLORS.load, width: 2 },
        { label: 'decisionLatencyBudget', color: COLORS.threshold, dash: [4, 4], width: 1 },
      ],
    },
    columns: (h) => [h.atMs, h.decisionLatencyP99Ms, constant(h, h.thresholds.decisionLatencyBudgetMs)],
  },
];

function whySection(detail: TargetDetailView): HTMLElement {
  const decision = detail.decision;
  const target = detail.target;
  if (decision === null) {
    return el('section', { id: 'why', class: 'card' }, el('h2', null, 'Why'), el('p', { class: 'reason-summary' }, target.lastError ? `${target.lastError.code}: ${target.lastError.message}` : 'No decision yet.'));
  }
  return el(
    'section',
    { id: 'why', class: 'card' },
    el('h2', null, 'Why'),
    el('p', { class: 'reason-summary', id: 'reason-summary' }, decision.summary),
    target.lastError ? el('p', { class: 'error-text' }, `Last evaluation failed (${formatTime(target.lastError.atMs)}): ${target.lastError.code}: ${target.lastError.message}`) : null,
    decision.reasons.length > 1 ? el('ul', { class: 'reasons', id: 'reasons' }, ...decision.reasons.slice(1).map((reason) => el('li', null, reason))) : null,
    el('p', { class: 'capacity', id: 'capacity' }, el('span', { class: `chip chip-capacity-${decision.capacity.source}` }, `capacity · ${decision.capacity.source}`), ' ', decision.capacity.sentence),
    el('p', { class: 'startup', id: 'startup' }, el('span', { class: `chip chip-capacity-${decision.startup.source}` }, `startup · ${decision.startup.source}`), ' ', decision.startup.sentence),
    el('p', { class: 'drain', id: 'drain' }, el('span', { class: `chip chip-capacity-${decision.drain.reresolveSource}` }, `re-resolve · ${decision.drain.reresolveSource}`), ' ', `${decision.drain.sentence}.`),
    decision.guards.length > 0
      ? el(
          'p',
          { class: 'guard-list', id: 'guards' },
          'Guards: ',
          ...decision.guards.map((guard) => el('span', { class: `chip chip-${guard.effect}`, title: guard.reason }, `${guard.name} · ${guard.effect} ${guard.from} → ${guard.to}`)),
        )
      : null,
    el(
      'p',
      { class: 'muted' },
      `Decided ${formatTime(decision.at)} · signals ${formatAge(target.dataAgeSeconds)} old${target.dataStale ? ' (stale)' : ''}`,
      decision.forecast ? ` · forecast ${decision.forecast.model}, q${decision.forecast.quantile}, fitted ${formatTime(decision.forecast.fittedAtMs)}` : '',
      decision.estimatedBrokenTraces > 0 && !decision.withinHpaTolerance ? ` · this step would break about ${Math.round(decision.estimatedBrokenTraces)} traces` : '',
    ),
  );
}

function proposalsSection(detail: TargetDetailView): HTMLElement {
  const proposals = detail.decision?.proposals ?? [];
  return el(
    'section',
    { id: 'proposals', class: 'card' },
    el('h2', null, 'Proposals'),
    scrollingTable(
      null,
      el('tr', null, el('th', null, 'Proposal'), el('th', { class: 'num' }, 'Replicas'), el('th', null, 'Reason')),
      proposals.map((proposal) => el('tr', null, el('td', null, proposal.name), el('td', { class: 'num' }, proposal.replicas ?? '–'), el('td', null, proposal.reason))),
    ),
  );
}

function signalsSection(detail: TargetDetailView): HTMLElement {
  return el(
    'section',
    { id: 'signals', class: 'card' },
    el('h2', null, 'Signals'),
    scrollingTable(
      null,
      el('tr', null, el('th', null, 'Signal'), el('th', { class: 'num' }, 'Value'), el('th', null, 'Compared with')),
      detail.signals.map((signal) =>
        el(
          'tr',
          null,
          el('td', null, signal.name),
          el('td', { class: 'num' }, signal.reading.kind === 'ok' ? formatWithUnit(signal.reading.value, signal.unit) : el('span', { class: 'missing', title: signal.reading.reason }, `missing: ${signal.reading.reason}`)),
          el('td', null, ...signal.thresholds.map((threshold) => el('div', { title: threshold.meaning }, `${threshold.setting ?? 'limit'} ${formatWithUnit(threshold.value, signal.unit)}`, el('span', { class: 'muted' }, ` — ${threshold.meaning}`)))),
        ),
      ),
    ),
  );
}

function settingsSection(detail: TargetDetailView): HTMLElement {
  return el(
    'section',
    { id: 'settings', class: 'card' },
    el(
      'details',
      null,
      el('summary', null, 'Effective settings (scalerMetadata)'),
      el('dl', { class: 'settings' }, ...Object.entries(detail.effectiveMetadata).flatMap(([key, value]) => [el('dt', null, key), el('dd', null, value)])),
    ),
  );
}

/** Renders the page of one target into `root`; refreshes until disposed. */
export function showTarget(root: HTMLElement, namespace: string, name: string, onError: (error: unknown) => void): View {
  const header = el('div', { class: 'target-header' });
  const why = el('div');
  const tables = el('div', { class: 'two-columns' });
  const settings = el('div');
  const chartGrid = el('div', { class: 'chart-grid', id: 'charts' });
  const rangeButtons = RANGES.map((range, index) => el('button', { type: 'button', class: index === 1 ? 'range selected' : 'range', 'data-since': range.since }, range.label));
  const charts: ChartHandle[] = [];
  let since: string = RANGES[1].since;
  let whatIf: HTMLElement | undefined;
  let disposed = false;
  let timer: number | undefined;
  // A range click while a refresh is in flight: only the newest answer is drawn.
  let generation = 0;

  replaceChildren(
    root,
    el('p', null, el('a', { href: '#/', class: 'back' }, '← all targets')),
    header,
    why,
    el('section', { class: 'card' }, el('div', { class: 'section-head' }, el('h2', null, 'Over time'), el('div', { class: 'ranges', role: 'group', 'aria-label': 'time range' }, ...rangeButtons)), chartGrid),
    tables,
    el('div', { id: 'whatif-slot' }),
    settings,
  );

  const load = async () => {
    window.clearTimeout(timer);
    const mine = ++generation;
    try {
      const query = since === '' ? '' : `?since=${encodeURIComponent(since)}`;
      const [detail, history] = await Promise.all([
        getJson<TargetDetailView & { nowMs: number; clock: ClockKind }>(targetPath(namespace, name)),
        getJson<HistorySeriesView>(targetPath(namespace, name, `/history${query}`)),
      ]);
      if (disposed || mine !== generation) return;
      setClock(detail.clock, detail.nowMs);
      const target = detail.target;
      replaceChildren(
        header,
        el('h1', null, `${target.namespace}/${target.name}`),
        el(
          'p',
          { class: 'target-facts' },
          statusBadge(target.status),
          el('span', null, `mode ${target.mode}`),
          el('span', null, `origin ${target.origin}`),
          el(
            'span',
            null,
            target.withinHpaTolerance
              ? `replicas ${target.currentReplicas}, holding (${target.recommendedReplicas} recommended is inside the HPA’s ±10%)`
              : `replicas ${target.currentReplicas ?? '–'} → ${target.recommendedReplicas ?? '–'} recommended`,
          ),
          el('span', null, `KEDA is answered ${target.answeredReplicas ?? '–'}`),
        ),
      );
      replaceChildren(why, whySection(detail));
      replaceChildren(tables, proposalsSection(detail), signalsSection(detail));
      replaceChildren(settings, settingsSection(detail));
      if (whatIf === undefined) {
        whatIf = whatIfSection(namespace, name, detail);
        root.querySelector('#whatif-slot')?.replaceWith(whatIf);
      }
      if (charts.length === 0) {
        for (const chart of CHARTS) {
          const handle = createChart(chart.spec, chart.columns(history));
          charts.push(handle);
          chartGrid.appendChild(handle.element);
        }
      } else {
        for (const [index, chart] of CHARTS.entries()) charts[index]!.update(chart.columns(history));
      }
    } catch (error) {
      if (!disposed && mine === generation) onError(error);
      return;
    }
    if (!disposed && mine === generation) timer = window.setTimeout(load, REFRESH_MS);
  };

  for (const button of rangeButtons) {
    button.addEventListener('click', () => {
      since = button.dataset.since ?? '';
      for (const other of rangeButtons) other.classList.toggle('selected', other === button);
      void load();
    });
  }
  void load();
  return {
    dispose: () => {
      disposed = true;
      window.clearTimeout(timer);
      for (const chart of charts) chart.destroy();
    },
  };
}
