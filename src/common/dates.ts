import { z } from 'zod';
import { DateTime, type DateTimeMaybeValid } from 'luxon';

/**
 * Calendar arithmetic in the configured time zone (TZ, Europe/Copenhagen by default): a deadline
 * "2026-12-01" means the end of that day where the secretariat sits, and a reminder goes out at nine
 * in the morning there, not at midnight UTC. Luxon knows the zones' rules; a date or time that does
 * not exist on the calendar (2026-02-30, 25:00) is refused with a RangeError, never rolled over.
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function valid(value: DateTimeMaybeValid, input: string): DateTime<true> {
  if (!value.isValid) throw new RangeError(`${input} is not a valid date: ${value.invalidExplanation ?? value.invalidReason}`);
  return value;
}

/** A calendar date (YYYY-MM-DD) as the start of that day in `timeZone`. */
function day(date: string, timeZone: string): DateTime<true> {
  if (!DAY.test(date)) throw new RangeError(`${date} is not a date (YYYY-MM-DD)`);
  return valid(DateTime.fromFormat(date, 'yyyy-MM-dd', { zone: timeZone }), date);
}

/**
 * The instant of a wall-clock time (HH:mm[:ss[.SSS]]) in `timeZone`. A time skipped when the clocks
 * go forward is read as the same time after the change (02:30 is 03:30 summer time); a time that
 * happens twice when they go back is the later one.
 */
export function zonedTime(date: string, time: string, timeZone: string): Date {
  day(date, timeZone);
  return valid(DateTime.fromISO(`${date}T${time}`, { zone: timeZone }), `${date}T${time}`).toJSDate();
}

/** The calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return valid(DateTime.fromJSDate(instant, { zone: timeZone }), String(instant)).toISODate();
}

/** The date `days` calendar days after `date` (before, when negative), whatever the time zone. */
export function addCalendarDays(date: string, days: number): string {
  return day(date, 'UTC').plus({ days }).toISODate();
}

/** The first instant of a calendar day in `timeZone` (its first existing one, where the day starts with a gap). */
export const startOfDay = (date: string, timeZone: string): Date => day(date, timeZone).startOf('day').toJSDate();
/** The last millisecond of a calendar day in `timeZone`. */
export const endOfDay = (date: string, timeZone: string): Date => day(date, timeZone).endOf('day').toJSDate();

/**
 * A date-only value means a whole day: its start for an opening, its end for a deadline. Anything
 * else must be an ISO 8601 date-time; one without an offset is wall-clock time in `timeZone`.
 */
export function parseDayOrInstant(value: string, edge: 'start' | 'end', timeZone: string): Date {
  if (DAY.test(value)) return edge === 'start' ? startOfDay(value, timeZone) : endOfDay(value, timeZone);
  return valid(DateTime.fromISO(value, { zone: timeZone }), value).toJSDate();
}

/** A calendar day in a query (YYYY-MM-DD): the shape, and a day the calendar has (no 2023-02-30, no 2023-13-45). */
export const calendarDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((value) => DateTime.fromISO(value, { zone: 'UTC' }).isValid, 'must be a real calendar date YYYY-MM-DD');
