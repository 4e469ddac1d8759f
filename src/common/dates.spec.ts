import { addCalendarDays, endOfDay, localDate, parseDayOrInstant, startOfDay, zonedTime } from './dates.js';

describe('calendar arithmetic in a time zone', () => {
  it('places wall-clock times in Copenhagen winter and summer time', () => {
    expect(zonedTime('2026-12-01', '09:00:00', 'Europe/Copenhagen').toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(zonedTime('2026-06-01', '09:00:00', 'Europe/Copenhagen').toISOString()).toBe('2026-06-01T07:00:00.000Z');
    expect(zonedTime('2026-12-01', '09:00:00', 'Europe/Helsinki').toISOString()).toBe('2026-12-01T07:00:00.000Z');
  });

  it('handles the day daylight saving time ends', () => {
    expect(startOfDay('2026-10-25', 'Europe/Copenhagen').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(endOfDay('2026-10-25', 'Europe/Copenhagen').toISOString()).toBe('2026-10-25T22:59:59.999Z');
  });

  it('reads a date as a whole day and an instant as itself', () => {
    expect(parseDayOrInstant('2026-12-01', 'end', 'Europe/Copenhagen').toISOString()).toBe('2026-12-01T22:59:59.999Z');
    expect(parseDayOrInstant('2026-12-01T10:00:00Z', 'end', 'Europe/Copenhagen').toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  it('counts calendar days across month ends', () => {
    expect(addCalendarDays('2026-12-01', -7)).toBe('2026-11-24');
    expect(addCalendarDays('2026-12-29', 3)).toBe('2027-01-01');
    expect(localDate(new Date('2026-11-30T23:30:00Z'), 'Europe/Copenhagen')).toBe('2026-12-01');
  });
});
