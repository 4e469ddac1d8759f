import { plannedSteps } from './round-schedule.js';

const settings = { reminderDays: [-7, -1, 3], escalationDays: 10, timeZone: 'Europe/Copenhagen' };
const round = {
  opensAt: new Date('2026-11-01T00:00:00+01:00'),
  deadline: new Date('2026-12-01T23:59:59.999+01:00'),
  graceUntil: new Date('2026-12-15T23:59:59.999+01:00'),
  openedAt: new Date('2026-11-01T00:00:00+01:00'),
};

describe('plannedSteps', () => {
  it('places reminders, escalation and closing around the deadline, at nine local time', () => {
    expect(plannedSteps(round, settings).map(({ step, at }) => [step, at.toISOString()])).toEqual([
      ['open', '2026-10-31T23:00:00.000Z'],
      ['reminder:-7', '2026-11-24T08:00:00.000Z'],
      ['reminder:-1', '2026-11-30T08:00:00.000Z'],
      ['reminder:3', '2026-12-04T08:00:00.000Z'],
      ['escalation', '2026-12-11T08:00:00.000Z'],
      ['close', '2026-12-15T22:59:59.999Z'],
    ]);
  });

  it('drops reminders whose time had passed when the round opened', () => {
    const late = { ...round, openedAt: new Date('2026-11-28T12:00:00Z') };
    expect(plannedSteps(late, settings).map((s) => s.step)).toEqual(['open', 'reminder:-1', 'reminder:3', 'escalation', 'close']);
  });
});
