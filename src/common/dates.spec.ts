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

describe('the daylight saving changes in Copenhagen (last Sunday of March and of October)', () => {
  const cph = 'Europe/Copenhagen';

  it('makes the day the clocks go forward 23 hours long', () => {
    expect(startOfDay('2026-03-29', cph).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfDay('2026-03-29', cph).toISOString()).toBe('2026-03-29T21:59:59.999Z');
    expect(startOfDay('2027-03-28', cph).toISOString()).toBe('2027-03-27T23:00:00.000Z');
  });

  it('makes the day the clocks go back 25 hours long', () => {
    expect(startOfDay('2027-10-31', cph).toISOString()).toBe('2027-10-30T22:00:00.000Z');
    expect(endOfDay('2027-10-31', cph).toISOString()).toBe('2027-10-31T22:59:59.999Z');
  });

  it('sends at nine local time on either side of each change', () => {
    expect(zonedTime('2026-03-28', '09:00:00', cph).toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(zonedTime('2026-03-29', '09:00:00', cph).toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(zonedTime('2026-10-24', '09:00:00', cph).toISOString()).toBe('2026-10-24T07:00:00.000Z');
    expect(zonedTime('2026-10-25', '09:00:00', cph).toISOString()).toBe('2026-10-25T08:00:00.000Z');
  });

  it('reads a skipped time as the same time after the change, and a repeated one as the later', () => {
    // 02:30 does not exist on 29 March (02:00 CET is 03:00 CEST) and happens twice on 25 October.
    expect(zonedTime('2026-03-29', '02:30:00', cph).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedTime('2026-10-25', '02:30:00', cph).toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });

  it('puts a reminder seven calendar days before a deadline across the change at nine, not 7 × 24 hours earlier', () => {
    const deadline = parseDayOrInstant('2026-04-01', 'end', cph);
    expect(deadline.toISOString()).toBe('2026-04-01T21:59:59.999Z');
    const deadlineDay = localDate(deadline, cph);
    expect(deadlineDay).toBe('2026-04-01');
    const reminder = zonedTime(addCalendarDays(deadlineDay, -7), '09:00:00', cph);
    expect(reminder.toISOString()).toBe('2026-03-25T08:00:00.000Z');
    expect(zonedTime(deadlineDay, '09:00:00', cph).getTime() - reminder.getTime()).toBe((7 * 24 - 1) * 3_600_000);
  });

  it('gives the local date of instants around midnight on the days of the changes', () => {
    expect(localDate(new Date('2026-03-28T22:30:00Z'), cph)).toBe('2026-03-28');
    expect(localDate(new Date('2026-03-28T23:30:00Z'), cph)).toBe('2026-03-29');
    expect(localDate(new Date('2026-10-24T21:30:00Z'), cph)).toBe('2026-10-24');
    expect(localDate(new Date('2026-10-24T22:30:00Z'), cph)).toBe('2026-10-25');
    expect(localDate(new Date('2026-10-25T22:30:00Z'), cph)).toBe('2026-10-25');
    expect(localDate(new Date('2026-10-25T23:00:00Z'), cph)).toBe('2026-10-26');
  });
});

describe('zones east of UTC+12', () => {
  it('starts and ends a day in Kiritimati (UTC+14) while it is still the day before in UTC', () => {
    const zone = 'Pacific/Kiritimati';
    expect(startOfDay('2026-12-01', zone).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(endOfDay('2026-12-01', zone).toISOString()).toBe('2026-12-01T09:59:59.999Z');
    expect(zonedTime('2026-12-01', '09:00:00', zone).toISOString()).toBe('2026-11-30T19:00:00.000Z');
    expect(localDate(new Date('2026-11-30T09:59:59.999Z'), zone)).toBe('2026-11-30');
    expect(localDate(new Date('2026-11-30T10:00:00Z'), zone)).toBe('2026-12-01');
    expect(parseDayOrInstant('2026-12-01T10:00:00', 'end', zone).toISOString()).toBe('2026-11-30T20:00:00.000Z');
  });

  it('follows New Zealand daylight saving time (UTC+13 in its summer)', () => {
    const zone = 'Pacific/Auckland';
    expect(zonedTime('2026-12-01', '09:00:00', zone).toISOString()).toBe('2026-11-30T20:00:00.000Z');
    expect(zonedTime('2026-06-01', '09:00:00', zone).toISOString()).toBe('2026-05-31T21:00:00.000Z');
    // The clocks go forward on the last Sunday of September: a day of 23 hours.
    expect(startOfDay('2026-09-27', zone).toISOString()).toBe('2026-09-26T12:00:00.000Z');
    expect(endOfDay('2026-09-27', zone).toISOString()).toBe('2026-09-27T10:59:59.999Z');
  });

  it('copes with the day Samoa skipped when it crossed the date line (30 December 2011)', () => {
    const zone = 'Pacific/Apia';
    expect(endOfDay('2011-12-29', zone).toISOString()).toBe('2011-12-30T09:59:59.999Z');
    expect(startOfDay('2011-12-30', zone).toISOString()).toBe('2011-12-30T10:00:00.000Z');
    expect(localDate(new Date('2011-12-30T10:00:00Z'), zone)).toBe('2011-12-31');
  });
});

describe('strict dates', () => {
  const cph = 'Europe/Copenhagen';

  it('refuses a day that is not on the calendar instead of rolling it over', () => {
    for (const day of ['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10']) {
      expect(() => parseDayOrInstant(day, 'end', cph)).toThrow(RangeError);
      expect(() => startOfDay(day, cph)).toThrow(RangeError);
      expect(() => addCalendarDays(day, 1)).toThrow(RangeError);
      expect(() => zonedTime(day, '09:00:00', cph)).toThrow(RangeError);
    }
    expect(() => parseDayOrInstant('2026-02-30', 'end', cph)).toThrow('2026-02-30 is not a valid date');
    expect(() => parseDayOrInstant('2026-02-30T10:00:00Z', 'end', cph)).toThrow(RangeError);
    expect(() => zonedTime('2026-03-01', '24:30:00', cph)).toThrow(RangeError);
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseDayOrInstant('2028-02-29', 'end', cph).toISOString()).toBe('2028-02-29T22:59:59.999Z');
    expect(addCalendarDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addCalendarDays('2026-02-28', 1)).toBe('2026-03-01');
  });

  it('refuses what is neither a date nor an ISO 8601 date-time, and an unknown zone', () => {
    expect(() => parseDayOrInstant('soon', 'end', cph)).toThrow(RangeError);
    expect(() => parseDayOrInstant('1 December 2026', 'end', cph)).toThrow(RangeError);
    expect(() => parseDayOrInstant('2026-12-1', 'end', cph)).toThrow(RangeError);
    expect(() => startOfDay('2026-12-01', 'Europe/Atlantis')).toThrow(RangeError);
    expect(() => localDate(new Date(Number.NaN), cph)).toThrow(RangeError);
  });

  it('reads a date-time without an offset as wall-clock time in the zone', () => {
    expect(parseDayOrInstant('2026-12-01T10:00:00', 'end', cph).toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(parseDayOrInstant('2026-07-01T10:00:00+02:00', 'start', cph).toISOString()).toBe('2026-07-01T08:00:00.000Z');
  });
});
