import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { CronSyntaxError, cronMatches, nextCronMatch, parseCron, previousCronMatch } from '../../forecasting/cron.ts';

const at = (iso: string) => Date.parse(iso);

describe('cron expressions in node-cron syntax', () => {
  const valid: { name: string; expression: string; matches: string[]; misses: string[] }[] = [
    { name: '5 fields fire at second 0', expression: '30 9 * * *', matches: ['2026-03-02T09:30:00Z'], misses: ['2026-03-02T09:30:01Z', '2026-03-02T09:31:00Z'] },
    { name: '6 fields put seconds first', expression: '15 30 9 * * *', matches: ['2026-03-02T09:30:15Z'], misses: ['2026-03-02T09:30:00Z'] },
    { name: 'day names and a range (weekdays)', expression: '0 9 * * mon-fri', matches: ['2026-03-02T09:00:00Z', '2026-03-06T09:00:00Z'], misses: ['2026-03-07T09:00:00Z', '2026-03-08T09:00:00Z'] },
    { name: 'full names, any case', expression: '0 0 1 January,JULY *', matches: ['2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'], misses: ['2026-02-01T00:00:00Z'] },
    { name: 'steps over a range and over *', expression: '*/20 8-10/2 * * *', matches: ['2026-03-02T08:40:00Z', '2026-03-02T10:00:00Z'], misses: ['2026-03-02T09:00:00Z', '2026-03-02T08:30:00Z'] },
    { name: 'lists', expression: '0 6,18 * * *', matches: ['2026-03-02T06:00:00Z', '2026-03-02T18:00:00Z'], misses: ['2026-03-02T12:00:00Z'] },
    { name: 'a wrapping range (fri-mon)', expression: '0 0 * * fri-mon', matches: ['2026-03-06T00:00:00Z', '2026-03-09T00:00:00Z'], misses: ['2026-03-04T00:00:00Z'] },
    { name: 'a wrapping hour range (22-2)', expression: '0 22-2 * * *', matches: ['2026-03-02T23:00:00Z', '2026-03-02T01:00:00Z'], misses: ['2026-03-02T03:00:00Z'] },
    { name: '7 is Sunday', expression: '0 0 * * 7', matches: ['2026-03-08T00:00:00Z'], misses: ['2026-03-07T00:00:00Z'] },
    { name: 'day-of-month AND day-of-week must both match, as in node-cron', expression: '0 0 13 * fri', matches: ['2026-03-13T00:00:00Z'], misses: ['2026-03-06T00:00:00Z', '2026-04-13T00:00:00Z'] },
    { name: 'a nickname', expression: '@daily', matches: ['2026-03-02T00:00:00Z'], misses: ['2026-03-02T01:00:00Z'] },
  ];
  for (const row of valid) {
    it(`parses and matches: ${row.name}`, () => {
      const schedule = parseCron(row.expression);
      for (const time of row.matches) expect(cronMatches(schedule, at(time)), time).toBe(true);
      for (const time of row.misses) expect(cronMatches(schedule, at(time)), time).toBe(false);
    });
  }

  const invalid: { name: string; expression: string; want: RegExp }[] = [
    { name: 'too few fields', expression: '* * *', want: /has 3 fields; node-cron takes 5 .* or 6/ },
    { name: 'too many fields', expression: '* * * * * * *', want: /has 7 fields/ },
    { name: 'minute out of range', expression: '60 * * * *', want: /minute field: 60 in "60" is outside 0-59/ },
    { name: 'a misspelt day', expression: '0 9 * * mon-fry', want: /day-of-week field: "mon-fry" is not valid/ },
    { name: 'a step of 0', expression: '*/0 * * * *', want: /minute field: step in "\*\/0" must be a whole number ≥ 1/ },
    { name: 'a step without a range', expression: '5/10 * * * *', want: /minute field: "5\/10" needs a range or "\*" before the step/ },
    { name: 'an empty list item', expression: '1,,3 * * * *', want: /minute field: empty item/ },
    { name: 'a date that never exists', expression: '0 0 31 feb *', want: /day-of-month field: no day in "31" exists/ },
    { name: "node-cron's L token", expression: '0 0 L * *', want: /day-of-month field: "L" uses node-cron's L\/W\/# tokens/ },
    { name: 'an unknown nickname', expression: '@fortnightly', want: /not a known nickname/ },
    { name: 'an empty expression', expression: '  ', want: /empty/ },
  ];
  for (const row of invalid) {
    it(`rejects ${row.name}, naming the field`, () => {
      expect(() => parseCron(row.expression)).toThrow(CronSyntaxError);
      expect(() => parseCron(row.expression)).toThrow(row.want);
    });
  }

  it('accepts and rejects the same expressions as node-cron (outside L/W/#)', () => {
    const expressions = ['0 9 * * 1-5', '*/15 * * * *', '0 0 1 jan-mar *', '0 0 5-1 * *', '60 * * * *', '0 0 * * 8', '0 0 0 * *', '* * *', '0 0 * * sun-sat', ' 0  9 * * * ', '0 0 31 2 *'];
    for (const expression of expressions) {
      let ours = true;
      try {
        parseCron(expression);
      } catch {
        ours = false;
      }
      expect(ours, expression).toBe(cron.validate(expression));
    }
  });

  it('finds the next and previous firing across days', () => {
    const schedule = parseCron('0 9 * * mon-fri');
    const friday = at('2026-03-06T12:00:00Z');
    expect(nextCronMatch(schedule, friday, friday + 7 * 86_400_000)).toBe(at('2026-03-09T09:00:00Z'));
    expect(previousCronMatch(schedule, friday, friday - 7 * 86_400_000)).toBe(at('2026-03-06T09:00:00Z'));
    expect(previousCronMatch(schedule, at('2026-03-08T12:00:00Z'), at('2026-03-07T00:00:00Z'))).toBeUndefined();
    expect(nextCronMatch(schedule, at('2026-03-09T09:00:00Z'), at('2026-03-10T00:00:00Z'))).toBe(at('2026-03-09T09:00:00Z'));
  });
});
