import { describe, expect, it } from 'vitest';
import { needsNotify, type NotifyRecord, type NotifyVerdict } from '../../../src/alerts/notify/needs-notify.ts';

const hour = 3_600_000;
const repeatIntervalMs = 4 * hour;

describe('needsNotify', () => {
  const rows: { name: string; input: { previous: NotifyRecord | undefined; current: 'firing' | 'resolved'; nowMs: number }; want: NotifyVerdict }[] = [
    { name: 'a new firing alert is sent', input: { previous: undefined, current: 'firing', nowMs: 0 }, want: { send: true, why: 'new' } },
    { name: 'a firing alert already sent is not sent again within the repeat interval', input: { previous: { status: 'firing', atMs: 0 }, current: 'firing', nowMs: repeatIntervalMs - 1 }, want: { send: false, why: 'already-notified' } },
    { name: 'a firing alert is reminded once the repeat interval has passed', input: { previous: { status: 'firing', atMs: 0 }, current: 'firing', nowMs: repeatIntervalMs }, want: { send: true, why: 'repeat' } },
    { name: 'an alert firing again after its resolution was sent is new', input: { previous: { status: 'resolved', atMs: 0 }, current: 'firing', nowMs: 60_000 }, want: { send: true, why: 'new' } },
    { name: 'a resolution is sent when its firing was', input: { previous: { status: 'firing', atMs: 0 }, current: 'resolved', nowMs: 60_000 }, want: { send: true, why: 'resolved' } },
    { name: 'a resolution is not sent when its firing never was', input: { previous: undefined, current: 'resolved', nowMs: 60_000 }, want: { send: false, why: 'never-notified' } },
    { name: 'a resolution is sent once', input: { previous: { status: 'resolved', atMs: 0 }, current: 'resolved', nowMs: 60_000 }, want: { send: false, why: 'already-notified' } },
  ];
  for (const row of rows) it(row.name, () => expect(needsNotify(row.input.previous, row.input.current, row.input.nowMs, repeatIntervalMs)).toEqual(row.want));
});
