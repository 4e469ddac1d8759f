import { addCalendarDays, localDate, zonedTime } from '../common/dates.js';

export interface ScheduleSettings {
  reminderDays: number[];
  escalationDays: number;
  timeZone: string;
}

export type RoundStepName = 'open' | `reminder:${number}` | 'escalation' | 'close';

export interface PlannedStep {
  step: RoundStepName;
  at: Date;
}

/** Reminders and escalations go out at nine in the morning, local time, on their day. */
const SENDING_TIME = '09:00:00';

/**
 * The steps of a round and when each is due: reminders on days relative to the deadline,
 * the escalation some days after it, closing when the grace window ends. A step whose time had
 * already passed when the round opened does not apply: a round opened five days before its
 * deadline sends no "seven days left" reminder.
 */
export function plannedSteps(
  round: { opensAt: Date; deadline: Date; graceUntil: Date; openedAt: Date | null },
  settings: ScheduleSettings,
): PlannedStep[] {
  const deadlineDay = localDate(round.deadline, settings.timeZone);
  const onDay = (offset: number) => zonedTime(addCalendarDays(deadlineDay, offset), SENDING_TIME, settings.timeZone);
  const openedAt = round.openedAt ?? round.opensAt;
  const steps: PlannedStep[] = [
    { step: 'open', at: round.opensAt },
    ...settings.reminderDays.map((days) => ({ step: `reminder:${days}` as const, at: onDay(days) })),
    { step: 'escalation', at: onDay(settings.escalationDays) },
    { step: 'close', at: round.graceUntil },
  ];
  return steps.filter((planned) => planned.step === 'open' || planned.step === 'close' || planned.at > openedAt);
}

export function reminderOffset(step: RoundStepName): number | null {
  return step.startsWith('reminder:') ? Number(step.slice('reminder:'.length)) : null;
}
