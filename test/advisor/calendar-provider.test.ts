import { describe, expect, it } from 'vitest';
import { calendarProvider, calendarWindowsFromConfig } from '../../src/advisor/calendar-provider.ts';
import { serverConfigSchema } from '../../src/config/server-config.ts';
import { ScalerError } from '../../src/errors.ts';
import { decide } from '../../src/policy/decide.ts';
import { settings, snapshot } from '../policy/policy-fixtures.ts';

const config = serverConfigSchema.parse({
  calendar: [
    { name: 'business-hours', cron: '0 9 * * mon-fri', duration: '8h', loadMultiplier: 1.5 },
    { name: 'release-day', cron: '0 12 * * wed', duration: '4h', minReplicas: 12, targets: ['ci/otel-gateway'] },
  ],
});
const provider = calendarProvider(calendarWindowsFromConfig(config.calendar));
const wednesday13h = Date.parse('2026-03-04T13:00:00Z');

describe('calendarFor hook', () => {
  const cases: { name: string; target: { namespace: string; name: string }; at: number; want: object[] }[] = [
    {
      name: 'a targeted window applies to its target, with the global one',
      target: { namespace: 'ci', name: 'otel-gateway' },
      at: wednesday13h,
      want: [{ name: 'business-hours', loadMultiplier: 1.5 }, { name: 'release-day', minReplicas: 12 }],
    },
    { name: 'and not to other targets', target: { namespace: 'web', name: 'otel-gateway' }, at: wednesday13h, want: [{ name: 'business-hours', loadMultiplier: 1.5 }] },
    { name: 'nothing is open on a Saturday', target: { namespace: 'ci', name: 'otel-gateway' }, at: Date.parse('2026-03-07T13:00:00Z'), want: [] },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(provider(row.target, settings(), row.at)).toEqual({ activeWindows: row.want });
    });
  }

  it('reaches the policy: the calendar proposal keeps the window minimum', () => {
    const calendar = provider({ namespace: 'ci', name: 'otel-gateway' }, settings(), wednesday13h);
    const { decision } = decide({ nowMs: wednesday13h, snapshot: snapshot({ observedAtMs: wednesday13h }), calendar }, settings());
    expect(decision.proposals.find((proposal) => proposal.name === 'calendar')!.replicas).toBe(12);
  });

  it('rejects a bad window at start-up as a server config error naming it', () => {
    let caught: unknown;
    try {
      calendarWindowsFromConfig([{ name: 'release-day', cron: '0 12 * * wednes', duration: '4h', minReplicas: 12 }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScalerError);
    expect((caught as ScalerError).code).toBe('INVALID_SERVER_CONFIG');
    expect((caught as ScalerError).message).toMatch(/calendar\[0\] "release-day"\.cron: day-of-week field: "wednes" is not valid/);
  });
});
