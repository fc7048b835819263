// The Advisor's `calendarFor` hook over the server config's `calendar:` section: the windows open for
// a target at `nowMs`, computed by forecasting/calendar.ts (cron in UTC, duration, targets). The
// policy applies them: the largest minReplicas and the largest loadMultiplier of the open windows.
import { CalendarConfigError, type CalendarWindow, activeWindowsAt, parseCalendar } from '../../forecasting/calendar.ts';
import { ScalerError } from '../errors.ts';
import { targetKey } from '../signals/signal-snapshot.ts';
import type { CalendarProvider } from './advisor.ts';

/** Parses the `calendar:` section once at start-up; a bad window is INVALID_SERVER_CONFIG naming it and the field. */
export function calendarWindowsFromConfig(section: unknown): readonly CalendarWindow[] {
  try {
    return parseCalendar(section);
  } catch (error) {
    if (error instanceof CalendarConfigError) throw new ScalerError('INVALID_SERVER_CONFIG', error.message);
    throw error;
  }
}

/** A calendarFor hook over parsed windows; no window open means an empty list. */
export function calendarProvider(windows: readonly CalendarWindow[]): CalendarProvider {
  return (target, _settings, nowMs) => ({
    activeWindows: activeWindowsAt(windows, nowMs, targetKey(target)).map((window) => ({
      name: window.name,
      ...(window.minReplicas === undefined ? {} : { minReplicas: window.minReplicas }),
      ...(window.loadMultiplier === undefined ? {} : { loadMultiplier: window.loadMultiplier }),
    })),
  });
}
