import { Injectable } from '@nestjs/common';

/** The time, as one injectable thing: tests of anything scheduled replace it with a fixed clock. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export const addDays = (date: Date, days: number) => new Date(date.getTime() + days * DAY_MS);
export const addHours = (date: Date, hours: number) => new Date(date.getTime() + hours * 3_600_000);
