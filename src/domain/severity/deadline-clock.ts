import { DomainError } from '../../errors.js';
import type { Severity } from './effective-severity.js';

// Severity clocks: pure date arithmetic. "Now" is always passed in (`from`), so SLA timers are testable.

/** A yearly closed period, both ends inclusive, as MM-DD; `to` before `from` wraps the new year (12-24..01-02). */
export type Shutdown = { readonly from: string; readonly to: string };

export type PeriodOptions = {
  readonly days: number;
  readonly mode: 'calendar' | 'business';
  readonly shutdowns?: readonly Shutdown[];
  readonly noFridayDeadline?: boolean;
  /** IANA zone in which weekdays, shutdown dates and the time of day are read; default UTC. */
  readonly timeZone?: string;
};

const DAY_MS = 86_400_000;
// A year of shutdowns plus weekends cannot exceed this; more means the options leave no working day.
const MAX_STEPS = 4000;

/**
 * Adds `days` to `from` and returns the deadline, keeping the local time of day in `timeZone`.
 * Calendar mode counts every day, business mode skips Saturday and Sunday; both skip shutdown days.
 * The deadline always lands on a day that would count: with 0 days that is `from` itself when it counts,
 * else the next day that does. With `noFridayDeadline`, a Friday deadline moves FORWARD to the next
 * Monday (past any shutdown, to the first working non-Friday day): a deadline is never made earlier,
 * because that would silently shorten the time the team was promised.
 */
export function addPeriod(from: Date, options: PeriodOptions): Date {
  const { days, mode, noFridayDeadline = false, timeZone = 'UTC' } = options;
  if (!Number.isInteger(days) || days < 0) {
    throw new DomainError('VALIDATION_FAILED', 'days must be a whole number of at least 0.', { field: 'days' });
  }
  if (Number.isNaN(from.getTime())) {
    throw new DomainError('VALIDATION_FAILED', 'from must be a valid date.', { field: 'from' });
  }
  const shutdowns = (options.shutdowns ?? []).map(parseShutdown);
  const zone = zoneReader(timeZone);
  const local = zone.localParts(from);
  const inShutdown = (day: number): boolean => shutdowns.some((s) => s(monthDay(day)));
  const counts = (day: number): boolean => !inShutdown(day) && (mode === 'calendar' || !isWeekend(day));

  let day = local.day;
  let steps = 0;
  const step = (): void => {
    day += 1;
    if (++steps > MAX_STEPS) {
      throw new DomainError('VALIDATION_FAILED', 'The shutdowns leave no working day.', { field: 'shutdowns' });
    }
  };
  for (let counted = 0; counted < days;) {
    step();
    if (counts(day)) counted += 1;
  }
  while (!counts(day)) step();
  if (noFridayDeadline && weekday(day) === 5) {
    do step();
    while (inShutdown(day) || isWeekend(day) || weekday(day) === 5);
  }
  return zone.instantOf(day, local.timeMs);
}

/** 0 = Sunday ... 6 = Saturday; day numbers count from 1970-01-01, a Thursday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

function monthDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function parseMonthDay(value: string, field: string): number {
  const match = /^(\d{2})-(\d{2})$/.exec(value);
  const month = Number(match?.[1]);
  const date = Number(match?.[2]);
  // 2024 is a leap year, so 02-29 is accepted as a shutdown bound.
  const probe = new Date(Date.UTC(2024, month - 1, date));
  if (!match || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== date) {
    throw new DomainError('VALIDATION_FAILED', `Shutdown ${field} must be a date as MM-DD.`, { field, value });
  }
  return month * 100 + date;
}

function parseShutdown(shutdown: Shutdown): (md: number) => boolean {
  const start = parseMonthDay(shutdown.from, 'from');
  const end = parseMonthDay(shutdown.to, 'to');
  return start <= end ? (md) => md >= start && md <= end : (md) => md >= start || md <= end;
}

type ZoneReader = {
  localParts(instant: Date): { day: number; timeMs: number };
  instantOf(day: number, timeMs: number): Date;
};

function zoneReader(timeZone: string): ZoneReader {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'Unknown time zone.', { field: 'timeZone', value: timeZone });
  }
  // The wall-clock reading of an instant, expressed as if that reading were UTC.
  const wallMs = (ms: number): number => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(new Date(ms))) parts[p.type] = Number(p.value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
    return Date.UTC(year, month - 1, day, hour, minute, second) + (((ms % 1000) + 1000) % 1000);
  };
  return {
    localParts(instant) {
      const wall = wallMs(instant.getTime());
      const day = Math.floor(wall / DAY_MS);
      return { day, timeMs: wall - day * DAY_MS };
    },
    instantOf(day, timeMs) {
      const wall = day * DAY_MS + timeMs;
      // Two passes settle the offset across a DST change; a time inside a spring-forward gap lands just after it.
      let guess = wall - (wallMs(wall) - wall);
      guess = wall - (wallMs(guess) - guess);
      return new Date(guess);
    },
  };
}

/** The severities a clock follows (the effective severity of a case). */
export type ClockSeverity = Exclude<Severity, 'none'>;

/** Days of no movement before the case owner is reminded; null means never reminded. */
export type ReminderPolicy = Readonly<Record<ClockSeverity, number | null>>;

/**
 * Issue 4's defaults. Low has no reminder: a low case may wait for the next patch release, and a
 * periodic nag for it would train owners to ignore reminders on the cases that matter.
 */
export const defaultReminderPolicy: ReminderPolicy = { critical: 2, high: 7, medium: 30, low: null };

/** Reminder interval in days for a severity, a project's overrides taking precedence over the defaults. */
export function reminderInterval(severity: ClockSeverity, policy: Partial<ReminderPolicy> = {}): number | null {
  const days = policy[severity] === undefined ? defaultReminderPolicy[severity] : policy[severity];
  if (days !== null && (!Number.isInteger(days) || days < 1)) {
    throw new DomainError('VALIDATION_FAILED', 'A reminder interval must be a whole number of days, at least 1.', {
      field: severity,
    });
  }
  return days;
}
