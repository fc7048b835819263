import { describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/alerts/alert-state.ts';
import type { AlertNotice } from '../../../src/alerts/notify/alert-notice.ts';
import { addToGroups, type GroupBuffer, nextDueAtMs, takeDueGroups } from '../../../src/alerts/notify/group-buffer.ts';
import type { AlertRuleName } from '../../../src/alerts/rules/alert-rule.ts';

function notice(name: string, rule: AlertRuleName, kind: 'firing' | 'resolved' = 'firing'): AlertNotice {
  const alert = { key: `obs/${name}:${rule}`, rule, target: { namespace: 'obs', name } } as AlertState;
  return kind === 'firing' ? { kind, repeat: false, alert, atMs: 0 } : { kind, alert, atMs: 0, currentAction: 'Held at 6 replicas.' };
}

function fill(adds: readonly [number, AlertNotice][]): GroupBuffer {
  return adds.reduce<GroupBuffer>((groups, [atMs, item]) => addToGroups(groups, item, atMs), new Map());
}

const groupWaitMs = 30_000;

describe('grouping by target within the group wait', () => {
  const rows: { name: string; input: { adds: [number, AlertNotice][]; nowMs: number }; want: { due: string[][]; remaining: string[] } }[] = [
    {
      name: 'alerts of one target arriving within the wait go out together',
      input: { adds: [[0, notice('gw-a', 'backendBottleneck')], [20_000, notice('gw-a', 'refusedSpans')]], nowMs: 30_000 },
      want: { due: [['backendBottleneck', 'refusedSpans']], remaining: [] },
    },
    {
      name: 'the wait runs from the first alert: nothing is due before it ends',
      input: { adds: [[0, notice('gw-a', 'backendBottleneck')]], nowMs: 29_999 },
      want: { due: [], remaining: ['obs/gw-a'] },
    },
    {
      name: 'targets are grouped apart, each on its own wait, oldest first',
      input: { adds: [[10_000, notice('gw-b', 'refusedSpans')], [0, notice('gw-a', 'dataMissing')], [25_000, notice('gw-c', 'forecastMiss')]], nowMs: 40_000 },
      want: { due: [['dataMissing'], ['refusedSpans']], remaining: ['obs/gw-c'] },
    },
    {
      name: 'a later notice of the same alert replaces the earlier one',
      input: { adds: [[0, notice('gw-a', 'refusedSpans')], [5000, notice('gw-a', 'refusedSpans', 'resolved')]], nowMs: 30_000 },
      want: { due: [['refusedSpans']], remaining: [] },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { due, remaining } = takeDueGroups(fill(row.input.adds), row.input.nowMs, groupWaitMs);
      expect(due.map((group) => group.notices.map((item) => item.alert.rule))).toEqual(row.want.due);
      expect([...remaining.keys()]).toEqual(row.want.remaining);
    });
  }

  it('keeps the replacing notice, not the replaced one', () => {
    const groups = fill([[0, notice('gw-a', 'refusedSpans')], [5000, notice('gw-a', 'refusedSpans', 'resolved')]]);
    expect(groups.get('obs/gw-a')?.notices.map((item) => item.kind)).toEqual(['resolved']);
  });

  it('the next flush is due when the oldest group’s wait ends', () => {
    expect(nextDueAtMs(fill([[10_000, notice('gw-b', 'refusedSpans')], [4000, notice('gw-a', 'dataMissing')]]), groupWaitMs)).toBe(34_000);
    expect(nextDueAtMs(new Map(), groupWaitMs)).toBeUndefined();
  });
});
