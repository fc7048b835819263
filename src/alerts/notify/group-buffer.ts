// Grouping stage: alerts of one target that start firing (or resolve) close together go out as one
// message, after a short group wait, instead of one message each.
import { targetKey } from '../../signals/signal-snapshot.ts';
import type { AlertNotice, NotificationGroup } from './alert-notice.ts';

export interface PendingGroup extends NotificationGroup {
  /** When the first notice of the group arrived; the group is due at firstAtMs + groupWaitMs. */
  readonly firstAtMs: number;
}

export type GroupBuffer = ReadonlyMap<string, PendingGroup>;

/** Adds a notice to its target's group; a later notice for the same alert replaces the earlier one. */
export function addToGroups(groups: GroupBuffer, notice: AlertNotice, nowMs: number): GroupBuffer {
  const key = targetKey(notice.alert.target);
  const existing = groups.get(key);
  const notices = existing ? [...existing.notices.filter((other) => other.alert.key !== notice.alert.key), notice] : [notice];
  const next = new Map(groups);
  next.set(key, { target: notice.alert.target, firstAtMs: existing?.firstAtMs ?? nowMs, notices });
  return next;
}

/** Groups whose wait is over, oldest first, and the rest. */
export function takeDueGroups(groups: GroupBuffer, nowMs: number, groupWaitMs: number): { readonly due: readonly PendingGroup[]; readonly remaining: GroupBuffer } {
  const due: PendingGroup[] = [];
  const remaining = new Map<string, PendingGroup>();
  for (const [key, group] of groups) {
    if (nowMs - group.firstAtMs >= groupWaitMs) due.push(group);
    else remaining.set(key, group);
  }
  due.sort((a, b) => a.firstAtMs - b.firstAtMs);
  return { due, remaining };
}

/** When the next group becomes due; undefined when there is none. */
export function nextDueAtMs(groups: GroupBuffer, groupWaitMs: number): number | undefined {
  let earliest: number | undefined;
  for (const group of groups.values()) {
    const dueAtMs = group.firstAtMs + groupWaitMs;
    if (earliest === undefined || dueAtMs < earliest) earliest = dueAtMs;
  }
  return earliest;
}
