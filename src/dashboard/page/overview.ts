// Fleet overview: one row per target with its status colour, replicas and the latest summary sentence.
import type { ClockKind, TargetSummaryView } from '../target-views.ts';
import { getJson } from './api-client.ts';
import { el, replaceChildren } from './dom.ts';
import { formatAge, formatTime, setClock } from './format.ts';

/** A view the router can mount and dispose. */
export interface View {
  dispose(): void;
}

const REFRESH_MS = 5000;

const STATUS_WORDS: Readonly<Record<TargetSummaryView['status'], string>> = {
  critical: 'needs attention',
  warning: 'holding',
  scaling: 'scaling',
  steady: 'steady',
  pending: 'no decision yet',
};

/** The status dot with its word, used on both pages. */
export function statusBadge(status: TargetSummaryView['status']): HTMLElement {
  return el('span', { class: `status status-${status}`, title: STATUS_WORDS[status] }, el('span', { class: 'status-dot', 'aria-hidden': 'true' }), STATUS_WORDS[status]);
}

export function targetHash(target: { namespace: string; name: string }): string {
  return `#/targets/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.name)}`;
}

function replicasText(target: TargetSummaryView): string {
  if (target.currentReplicas === null || target.recommendedReplicas === null) return '–';
  if (target.currentReplicas === target.recommendedReplicas) return String(target.currentReplicas);
  // The HPA ignores a change inside its tolerance: the tier stays, so no arrow.
  return target.withinHpaTolerance ? `${target.currentReplicas} (${target.recommendedReplicas} inside ±10%)` : `${target.currentReplicas} → ${target.recommendedReplicas}`;
}

function row(target: TargetSummaryView): HTMLTableRowElement {
  const summary = target.lastError ? `${target.lastError.code}: ${target.lastError.message}` : (target.summary ?? 'Waiting for the first evaluation.');
  const guards = target.activeGuards.filter((guard) => guard.effect !== 'note');
  return el(
    'tr',
    { class: `target-row row-${target.status}`, 'data-target': `${target.namespace}/${target.name}` },
    el('td', { 'data-label': 'Status' }, statusBadge(target.status)),
    el('td', { 'data-label': 'Target' }, el('a', { href: targetHash(target), class: 'target-link' }, `${target.namespace}/${target.name}`)),
    el('td', { 'data-label': 'Mode' }, `${target.mode} · ${target.origin}`),
    el('td', { 'data-label': 'Replicas', class: 'num', title: 'current → recommended' }, replicasText(target)),
    el('td', { 'data-label': 'Why', class: 'summary' }, summary, guards.length > 0 ? el('span', { class: 'guards' }, ...guards.map((guard) => el('span', { class: `chip chip-${guard.effect}` }, guard.name))) : null),
    el('td', { 'data-label': 'Data age', class: target.dataStale ? 'num stale' : 'num' }, formatAge(target.dataAgeSeconds)),
    el('td', { 'data-label': 'Updated', class: 'num' }, formatTime(target.lastUpdateMs)),
  );
}

/** Renders the overview into `root` and keeps it fresh until disposed; `onError` shows load failures. */
export function showOverview(root: HTMLElement, onError: (error: unknown) => void): View {
  const body = el('tbody');
  const note = el('p', { class: 'muted', id: 'overview-note' }, 'Loading targets…');
  const table = el(
    'table',
    { class: 'targets', id: 'targets' },
    el('thead', null, el('tr', null, ...['Status', 'Target', 'Mode', 'Replicas', 'Why', 'Data age', 'Updated'].map((title) => el('th', { scope: 'col' }, title)))),
    body,
  );
  replaceChildren(root, el('h1', null, 'Gateway tiers'), note, table);
  let disposed = false;
  let timer: number | undefined;

  const load = async () => {
    try {
      const answer = await getJson<{ nowMs: number; clock: ClockKind; targets: TargetSummaryView[] }>('/api/targets');
      if (disposed) return;
      setClock(answer.clock, answer.nowMs);
      replaceChildren(body, ...answer.targets.map(row));
      note.textContent =
        answer.targets.length === 0
          ? 'No targets yet: KEDA has not polled this scaler and no advisoryTargets are declared in the server config.'
          : `${answer.targets.length} target${answer.targets.length === 1 ? '' : 's'} · current → recommended replicas · as of ${formatTime(answer.nowMs)}`;
    } catch (error) {
      if (!disposed) onError(error);
      return;
    }
    if (!disposed) timer = window.setTimeout(load, REFRESH_MS);
  };
  void load();
  return {
    dispose: () => {
      disposed = true;
      window.clearTimeout(timer);
    },
  };
}
