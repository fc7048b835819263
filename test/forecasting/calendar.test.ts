import { describe, expect, it } from 'vitest';
import { activeWindowsAt, CalendarConfigError, calendarEffectAt, combineWindows, parseCalendar, windowsBetween } from '../../forecasting/calendar.ts';
import { serverConfigSchema } from '../../src/config/server-config.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const CALENDAR = [
  { name: 'business-hours', cron: '0 9 * * mon-fri', duration: '8h', loadMultiplier: 1.5 },
  { name: 'release-day', cron: '0 12 * * wed', duration: '4h', loadMultiplier: 2, minReplicas: 10 },
  { name: 'hackathon', cron: '0 0 1 oct *', duration: '31d', minReplicas: 6, targets: ['ci/gateway'] },
];

describe('calendar windows from the server config', () => {
  it('accepts what the server config schema accepts', () => {
    const config = serverConfigSchema.parse({ calendar: CALENDAR });
    expect(parseCalendar(config.calendar).map((window) => window.name)).toEqual(['business-hours', 'release-day', 'hackathon']);
  });

  const invalid: { name: string; input: unknown; want: RegExp }[] = [
    { name: 'not a list', input: { name: 'x' }, want: /calendar: must be a list of windows/ },
    { name: 'a window without a name', input: [{ cron: '* * * * *', duration: '1h', minReplicas: 2 }], want: /calendar\[0\]\.name: must be a non-empty string/ },
    { name: 'a bad cron field', input: [{ name: 'release', cron: '0 12 * * wed-frx', duration: '4h', loadMultiplier: 2 }], want: /calendar\[0\] "release"\.cron: day-of-week field: "wed-frx" is not valid/ },
    { name: 'a duration without a unit', input: [{ name: 'release', cron: '0 12 * * wed', duration: '4', loadMultiplier: 2 }], want: /calendar\[0\] "release"\.duration: must be a duration like "30m"/ },
    { name: 'a multiplier of 0', input: [{ name: 'quiet', cron: '0 0 * * *', duration: '1h', loadMultiplier: 0 }], want: /"quiet"\.loadMultiplier: must be a number > 0/ },
    { name: 'fractional minReplicas', input: [{ name: 'x', cron: '0 0 * * *', duration: '1h', minReplicas: 2.5 }], want: /"x"\.minReplicas: must be an integer ≥ 1/ },
    { name: 'neither multiplier nor minimum', input: [{ name: 'noop', cron: '0 0 * * *', duration: '1h' }], want: /"noop": needs loadMultiplier or minReplicas/ },
    { name: 'a target without a namespace', input: [{ name: 'x', cron: '0 0 * * *', duration: '1h', minReplicas: 2, targets: ['gateway'] }], want: /"x"\.targets: must be a list of "namespace\/name"/ },
    { name: 'an unknown field', input: [{ name: 'x', cron: '0 0 * * *', duration: '1h', minReplicas: 2, timezone: 'CET' }], want: /"x": unknown field "timezone"/ },
    {
      name: 'a duplicate name',
      input: [
        { name: 'x', cron: '0 0 * * *', duration: '1h', minReplicas: 2 },
        { name: 'x', cron: '0 1 * * *', duration: '1h', minReplicas: 2 },
      ],
      want: /calendar\[1\] "x"\.name: another window already has this name/,
    },
  ];
  for (const row of invalid) {
    it(`rejects ${row.name}, naming the window and the field`, () => {
      expect(() => parseCalendar(row.input)).toThrow(CalendarConfigError);
      expect(() => parseCalendar(row.input)).toThrow(row.want);
    });
  }

  it('has no windows when the section is absent', () => {
    expect(parseCalendar(undefined)).toEqual([]);
  });
});

describe('windows open at an instant (UTC)', () => {
  const calendar = parseCalendar(CALENDAR);
  const cases: { name: string; time: string; target?: string; want: string[] }[] = [
    { name: 'weekday morning: business hours', time: '2026-03-02T09:00:00Z', want: ['business-hours'] },
    { name: 'the last second of the window is inside, its end is not', time: '2026-03-02T16:59:59Z', want: ['business-hours'] },
    { name: 'at the end of the duration the window has closed', time: '2026-03-02T17:00:00Z', want: [] },
    { name: 'Wednesday 13:00: business hours and release day overlap', time: '2026-03-04T13:00:00Z', want: ['business-hours', 'release-day'] },
    { name: 'Saturday: nothing', time: '2026-03-07T10:00:00Z', want: [] },
    { name: 'a window opened 20 days ago is still open for its target', time: '2026-10-21T03:00:00Z', target: 'ci/gateway', want: ['hackathon'] },
    { name: 'a targeted window does not apply to other targets', time: '2026-10-21T03:00:00Z', target: 'web/gateway', want: [] },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(activeWindowsAt(calendar, at(row.time), row.target).map((window) => window.name)).toEqual(row.want);
    });
  }

  it('reports when the open window started and ends', () => {
    const [open] = activeWindowsAt(calendar, at('2026-03-02T10:30:00Z'));
    expect([iso(open!.startMs), iso(open!.endMs)]).toEqual(['2026-03-02T09:00:00.000Z', '2026-03-02T17:00:00.000Z']);
  });
});

describe('overlapping windows: the largest multiplier and the largest minimum apply', () => {
  const cases: { name: string; input: { loadMultiplier?: number; minReplicas?: number }[]; want: { loadMultiplier: number; minReplicas: number | undefined } }[] = [
    { name: 'no window: multiplier 1, no minimum', input: [], want: { loadMultiplier: 1, minReplicas: undefined } },
    { name: '1.5 and 2 give 2, not 3', input: [{ loadMultiplier: 1.5 }, { loadMultiplier: 2 }], want: { loadMultiplier: 2, minReplicas: undefined } },
    { name: 'minimums take the larger', input: [{ minReplicas: 4 }, { minReplicas: 10, loadMultiplier: 1.2 }], want: { loadMultiplier: 1.2, minReplicas: 10 } },
    { name: 'a lone multiplier below 1 applies', input: [{ loadMultiplier: 0.5 }], want: { loadMultiplier: 0.5, minReplicas: undefined } },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const open = row.input.map((window, i) => ({ name: `w${i}`, startMs: 0, endMs: 1, loadMultiplier: window.loadMultiplier, minReplicas: window.minReplicas }));
      const effect = combineWindows(open);
      expect({ loadMultiplier: effect.loadMultiplier, minReplicas: effect.minReplicas }).toEqual(row.want);
    });
  }

  it('applies the rule to the calendar at an instant', () => {
    const effect = calendarEffectAt(parseCalendar(CALENDAR), at('2026-03-04T13:00:00Z'));
    expect(effect).toEqual({ loadMultiplier: 2, minReplicas: 10, windows: ['business-hours', 'release-day'] });
  });
});

describe('windows over a horizon', () => {
  it('lists each opening inside the horizon, including one that opened before it', () => {
    const calendar = parseCalendar(CALENDAR);
    const stretches = windowsBetween(calendar, at('2026-03-03T12:00:00Z'), at('2026-03-05T00:00:00Z'));
    expect(stretches.map((s) => `${s.name} ${iso(s.startMs)}`)).toEqual([
      'business-hours 2026-03-03T09:00:00.000Z',
      'business-hours 2026-03-04T09:00:00.000Z',
      'release-day 2026-03-04T12:00:00.000Z',
    ]);
  });

  it('merges firings that overlap into one stretch', () => {
    const calendar = parseCalendar([{ name: 'every-minute', cron: '* 9 * * *', duration: '30m', minReplicas: 3 }]);
    const stretches = windowsBetween(calendar, at('2026-03-02T00:00:00Z'), at('2026-03-03T00:00:00Z'));
    expect(stretches.map((s) => [iso(s.startMs), iso(s.endMs)])).toEqual([['2026-03-02T09:00:00.000Z', '2026-03-02T10:29:00.000Z']]);
  });
});
