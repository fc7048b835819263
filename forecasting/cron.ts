// Cron expressions in node-cron's syntax (the scheduler the scaler runs its jobs with), parsed and
// matched here without a clock so calendar windows can be computed for any time, past or future:
// 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); `*`, lists `a,b`,
// ranges `a-b` (wrapping, as node-cron's: `fri-mon`, `22-2`), steps `*/n` and `a-b/n`, month and
// day names (`jan`, `january`, `mon`, `monday`, any case), 7 = Sunday, `?` = `*` in the day fields,
// and node-cron's nicknames (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly).
// As in node-cron (and unlike Vixie cron), day-of-month and day-of-week must BOTH match. Times are
// UTC. Not supported: node-cron's L, W and # day tokens; they are rejected with a clear message.

export const CRON_FIELDS = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
export type CronField = (typeof CRON_FIELDS)[number];

/** A cron expression that cannot be used; names the field and what it accepts. */
export class CronSyntaxError extends Error {
  readonly field: CronField | undefined;
  constructor(message: string, field?: CronField) {
    super(message);
    this.name = 'CronSyntaxError';
    this.field = field;
  }
}

/** A parsed expression: the allowed values of each field, seconds/minutes/hours sorted ascending. */
export interface CronSchedule {
  readonly expression: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Index 1..31. */
  readonly daysOfMonth: readonly boolean[];
  /** Index 1..12. */
  readonly months: readonly boolean[];
  /** Index 0..6, 0 = Sunday. */
  readonly daysOfWeek: readonly boolean[];
}

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface FieldSpec {
  readonly field: CronField;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value the first name stands for (1 for months, 0 for days). */
  readonly nameBase?: number;
}

const SPECS: readonly FieldSpec[] = [
  { field: 'second', min: 0, max: 59 },
  { field: 'minute', min: 0, max: 59 },
  { field: 'hour', min: 0, max: 23 },
  { field: 'day-of-month', min: 1, max: 31 },
  { field: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is accepted as Sunday and folded onto 0 after expansion.
  { field: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

function accepted(spec: FieldSpec): string {
  const names = spec.names ? `, or names such as ${spec.names[0]!.slice(0, 3)}/${spec.names[0]}` : '';
  return `numbers ${spec.min}-${spec.max}${names}, "*", lists "a,b", ranges "a-b" and steps "*/n" or "a-b/n"`;
}

function parseValue(text: string, spec: FieldSpec, token: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) {
      throw new CronSyntaxError(`${spec.field} field: ${value} in "${token}" is outside ${spec.min}-${spec.max}`, spec.field);
    }
    return value;
  }
  const lower = text.toLowerCase();
  const index = spec.names?.findIndex((name) => name === lower || name.slice(0, 3) === lower) ?? -1;
  if (index >= 0) return index + spec.nameBase!;
  if (/^(l|l-\d+|\d+w|lw|[0-7]l|[0-7]#[1-5])$/i.test(text)) {
    throw new CronSyntaxError(`${spec.field} field: "${token}" uses node-cron's L/W/# tokens, which calendar windows do not support; list the days instead`, spec.field);
  }
  throw new CronSyntaxError(`${spec.field} field: "${token}" is not valid; use ${accepted(spec)}`, spec.field);
}

function expandField(text: string, spec: FieldSpec): boolean[] {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  const tokens = text.split(',');
  for (const token of tokens) {
    if (token === '') throw new CronSyntaxError(`${spec.field} field: empty item in list "${text}"`, spec.field);
    const [range = '', stepText, extra] = token.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`${spec.field} field: "${token}" has more than one "/"`, spec.field);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronSyntaxError(`${spec.field} field: step in "${token}" must be a whole number ≥ 1`, spec.field);
      }
      step = Number(stepText);
    }
    let first: number;
    let last: number;
    if (range === '*' || range === '?') {
      if (range === '?' && spec.field !== 'day-of-month' && spec.field !== 'day-of-week') {
        throw new CronSyntaxError(`${spec.field} field: "?" is only allowed in the day fields`, spec.field);
      }
      first = spec.min;
      last = spec.field === 'day-of-week' ? 6 : spec.max;
    } else if (range.includes('-')) {
      const [from = '', to = '', more] = range.split('-');
      if (more !== undefined || from === '' || to === '') {
        throw new CronSyntaxError(`${spec.field} field: range "${token}" must be "a-b"`, spec.field);
      }
      first = parseValue(from, spec, token);
      last = parseValue(to, spec, token);
    } else {
      if (stepText !== undefined) {
        throw new CronSyntaxError(`${spec.field} field: "${token}" needs a range or "*" before the step (e.g. "*/${stepText}" or "0-30/${stepText}")`, spec.field);
      }
      first = parseValue(range, spec, token);
      last = first;
    }
    // A range whose end is below its start wraps around, as node-cron's does (fri-mon, 22-2).
    const size = (spec.field === 'day-of-week' ? 7 : spec.max) - spec.min + 1;
    const wrap = spec.field === 'day-of-week' ? 6 : spec.max;
    const span = last >= first ? last - first : ((last - first) % size) + size;
    for (let offset = 0; offset <= span; offset += step) {
      let value = first + offset;
      if (value > wrap && last < first) value -= size;
      allowed[value] = true;
    }
  }
  return allowed;
}

function sortedValues(allowed: readonly boolean[]): number[] {
  const out: number[] = [];
  allowed.forEach((on, value) => {
    if (on) out.push(value);
  });
  return out;
}

/** Days in each month of a leap year: the most any year allows. */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses and validates an expression; throws CronSyntaxError naming the field at fault. */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  if (trimmed === '') throw new CronSyntaxError('cron expression is empty; write e.g. "0 9 * * mon-fri"');
  const expanded = NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) {
    throw new CronSyntaxError(`"${trimmed}" is not a known nickname; use one of ${Object.keys(NICKNAMES).join(', ')}`);
  }
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CronSyntaxError(
      `cron expression "${trimmed}" has ${parts.length} fields; node-cron takes 5 (minute hour day-of-month month day-of-week) or 6 (second first)`,
    );
  }
  const fields = parts.length === 5 ? ['0', ...parts] : parts;
  const [seconds, minutes, hours, daysOfMonth, months, daysOfWeekWithSeven] = fields.map((text, i) => expandField(text, SPECS[i]!)) as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];
  const daysOfWeek = daysOfWeekWithSeven.slice(0, 7);
  if (daysOfWeekWithSeven[7]) daysOfWeek[0] = true;
  const possible = sortedValues(months).some((month) => sortedValues(daysOfMonth).some((day) => day <= MAX_DAYS_IN_MONTH[month]!));
  if (!possible) throw new CronSyntaxError(`day-of-month field: no day in "${fields[3]}" exists in month(s) "${fields[4]}"`, 'day-of-month');
  return {
    expression: trimmed,
    seconds: sortedValues(seconds),
    minutes: sortedValues(minutes),
    hours: sortedValues(hours),
    daysOfMonth,
    months,
    daysOfWeek,
  };
}

const DAY_MS = 86_400_000;

function dayMatches(schedule: CronSchedule, dayStartMs: number): boolean {
  const date = new Date(dayStartMs);
  return schedule.months[date.getUTCMonth() + 1]! && schedule.daysOfMonth[date.getUTCDate()]! && schedule.daysOfWeek[date.getUTCDay()]!;
}

/** Whether the expression fires at the given second (UTC); milliseconds are ignored. */
export function cronMatches(schedule: CronSchedule, timeMs: number): boolean {
  const date = new Date(Math.floor(timeMs / 1000) * 1000);
  return (
    dayMatches(schedule, timeMs - (((timeMs % DAY_MS) + DAY_MS) % DAY_MS)) &&
    schedule.hours.includes(date.getUTCHours()) &&
    schedule.minutes.includes(date.getUTCMinutes()) &&
    schedule.seconds.includes(date.getUTCSeconds())
  );
}

/** Seconds of the day at which the expression fires, ascending. */
function firingSecondsOfDay(schedule: CronSchedule): number[] {
  const out: number[] = [];
  for (const hour of schedule.hours) for (const minute of schedule.minutes) for (const second of schedule.seconds) out.push(hour * 3600 + minute * 60 + second);
  return out;
}

const firingCache = new WeakMap<CronSchedule, number[]>();
function firings(schedule: CronSchedule): number[] {
  let cached = firingCache.get(schedule);
  if (!cached) {
    cached = firingSecondsOfDay(schedule);
    firingCache.set(schedule, cached);
  }
  return cached;
}

/** First firing at or after `fromMs` and before `untilMs` (ms, UTC), or undefined. */
export function nextCronMatch(schedule: CronSchedule, fromMs: number, untilMs: number): number | undefined {
  const secondsOfDay = firings(schedule);
  const from = Math.ceil(fromMs / 1000) * 1000;
  for (let day = from - (((from % DAY_MS) + DAY_MS) % DAY_MS); day < untilMs; day += DAY_MS) {
    if (!dayMatches(schedule, day)) continue;
    for (const second of secondsOfDay) {
      const at = day + second * 1000;
      if (at >= untilMs) return undefined;
      if (at >= from) return at;
    }
  }
  return undefined;
}

/** Last firing at or before `atMs` and at or after `notBeforeMs` (ms, UTC), or undefined. */
export function previousCronMatch(schedule: CronSchedule, atMs: number, notBeforeMs: number): number | undefined {
  const secondsOfDay = firings(schedule);
  const at = Math.floor(atMs / 1000) * 1000;
  for (let day = at - (((at % DAY_MS) + DAY_MS) % DAY_MS); day + DAY_MS > notBeforeMs; day -= DAY_MS) {
    if (!dayMatches(schedule, day)) continue;
    for (let i = secondsOfDay.length - 1; i >= 0; i--) {
      const time = day + secondsOfDay[i]! * 1000;
      if (time > at) continue;
      return time >= notBeforeMs ? time : undefined;
    }
  }
  return undefined;
}
