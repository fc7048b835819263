import { describe, expect, it } from 'vitest';
import { parseInstantMs, parseStepSeconds, readQuery } from '../../src/dashboard/request-parsing.ts';
import { ScalerError } from '../../src/errors.ts';

const NOW_MS = Date.parse('2024-05-01T12:00:00Z');

function rejection(run: () => unknown): ScalerError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScalerError) return error;
    throw error;
  }
  throw new Error('expected a ScalerError');
}

describe('parseInstantMs', () => {
  const accepted: { name: string; input: string; want: number }[] = [
    { name: 'ISO time in UTC', input: '2024-05-01T08:00:00Z', want: Date.parse('2024-05-01T08:00:00Z') },
    { name: 'ISO time with an offset and fractions', input: '2024-05-01T10:00:00.250+02:00', want: Date.parse('2024-05-01T08:00:00.250Z') },
    { name: 'milliseconds since the epoch', input: '1714550400000', want: 1_714_550_400_000 },
    { name: 'hours before now', input: '6h', want: NOW_MS - 6 * 3_600_000 },
    { name: 'minutes before now, padded', input: ' 90m ', want: NOW_MS - 90 * 60_000 },
    { name: 'days before now', input: '7d', want: NOW_MS - 7 * 86_400_000 },
  ];
  for (const row of accepted) {
    it(`reads ${row.name}`, () => {
      expect(parseInstantMs(row.input, NOW_MS, 'since')).toBe(row.want);
    });
  }

  const rejected: { name: string; input: string; want: RegExp }[] = [
    { name: 'seconds since the epoch', input: '1714550400', want: /since "1714550400" is not milliseconds since the epoch \(seconds\? multiply by 1000\)/ },
    { name: 'an ISO date without a zone', input: '2024-05-01T08:00:00', want: /since "2024-05-01T08:00:00" is not a time: give an ISO time with a zone/ },
    { name: 'a duration without unit', input: '-6h', want: /since "-6h" is not a time/ },
    { name: 'a word', input: 'yesterday', want: /since "yesterday" is not a time/ },
    { name: 'an impossible date', input: '2024-13-45T99:00:00Z', want: /is not a time/ },
  ];
  for (const row of rejected) {
    it(`rejects ${row.name} naming the parameter`, () => {
      const error = rejection(() => parseInstantMs(row.input, NOW_MS, 'since'));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(row.want);
    });
  }
});

describe('parseStepSeconds', () => {
  it('reads a duration inside the bounds', () => {
    expect(parseStepSeconds('30s', 'step', { minSeconds: 1, maxSeconds: 3600 })).toBe(30);
  });
  const rejected: { name: string; input: string }[] = [
    { name: 'below the smallest step', input: '500ms' },
    { name: 'above the largest step', input: '2h' },
    { name: 'a bare number', input: '30' },
  ];
  for (const row of rejected) {
    it(`rejects ${row.name} with the bounds in the message`, () => {
      const error = rejection(() => parseStepSeconds(row.input, 'step', { minSeconds: 1, maxSeconds: 3600 }));
      expect(error.message).toBe(`step "${row.input}" must be a duration like "30s" or "1m" between 1s and 1h`);
    });
  }
});

describe('readQuery', () => {
  it('returns the allowed parameters', () => {
    expect(readQuery(new URL('http://x/p?since=6h'), ['since'])).toEqual({ since: '6h' });
  });
  it('names an unknown parameter and the allowed ones', () => {
    expect(rejection(() => readQuery(new URL('http://x/p?from=6h'), ['since'])).message).toBe('unknown query parameter "from"; allowed: since');
  });
  it('refuses a repeated parameter as ambiguous', () => {
    expect(rejection(() => readQuery(new URL('http://x/p?since=1h&since=2h'), ['since'])).message).toBe('query parameter "since" is given more than once');
  });
});
