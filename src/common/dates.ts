/**
 * Calendar arithmetic in the configured time zone (TZ, Europe/Copenhagen by default), with no
 * library: a deadline "2026-12-01" means the end of that day where the secretariat sits, and a
 * reminder goes out at nine in the morning there, not at midnight UTC.
 */

/** The offset of `timeZone` from UTC at `instant`, in minutes (e.g. 60 for CET, 120 for CEST). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(instant);
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

/** The instant of a wall-clock time in `timeZone`. */
export function zonedTime(date: string, time: string, timeZone: string): Date {
  const asUtc = new Date(`${date}T${time}Z`);
  // Two passes settle the offset even on the day a daylight-saving change happens.
  let instant = new Date(asUtc.getTime() - offsetMinutes(asUtc, timeZone) * 60_000);
  instant = new Date(asUtc.getTime() - offsetMinutes(instant, timeZone) * 60_000);
  return instant;
}

/** The calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

export function addCalendarDays(date: string, days: number): string {
  const day = new Date(`${date}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

export const startOfDay = (date: string, timeZone: string) => zonedTime(date, '00:00:00.000', timeZone);
export const endOfDay = (date: string, timeZone: string) => zonedTime(date, '23:59:59.999', timeZone);

/** A date-only value means a whole day: its start for an opening, its end for a deadline. */
export function parseDayOrInstant(value: string, edge: 'start' | 'end', timeZone: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return edge === 'start' ? startOfDay(value, timeZone) : endOfDay(value, timeZone);
  return new Date(value);
}
