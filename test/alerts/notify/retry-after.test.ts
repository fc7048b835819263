import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../../../src/alerts/notify/retry-after.ts';

const nowMs = Date.parse('2024-05-06T12:00:00Z');

describe('parseRetryAfterMs', () => {
  const rows: { name: string; input: string | null; want: number | undefined }[] = [
    { name: 'delay-seconds', input: '30', want: 30_000 },
    { name: 'delay-seconds with spaces', input: ' 2 ', want: 2000 },
    { name: 'an HTTP-date in the future', input: 'Mon, 06 May 2024 12:00:45 GMT', want: 45_000 },
    { name: 'an HTTP-date in the past means now', input: 'Mon, 06 May 2024 11:59:00 GMT', want: 0 },
    { name: 'absent', input: null, want: undefined },
    { name: 'negative seconds are not valid', input: '-5', want: undefined },
    { name: 'fractional seconds are not valid', input: '1.5', want: undefined },
    { name: 'text that is not a date', input: 'soon', want: undefined },
  ];
  for (const row of rows) it(row.name, () => expect(parseRetryAfterMs(row.input, nowMs)).toBe(row.want));
});
