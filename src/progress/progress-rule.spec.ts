import { recordedProgress } from './progress-rule.js';

describe('recordedProgress', () => {
  it('records completed as 100 % whatever figure came with it', () => {
    expect(recordedProgress({ state: 'completed', given: 0 }, { state: 'not_started', progress: 0 })).toBe(100);
    expect(recordedProgress({ state: 'completed' }, { state: 'in_progress', progress: 40 })).toBe(100);
  });

  it('records not started as 0 % and cancelled as 0 % (left out of every figure)', () => {
    expect(recordedProgress({ state: 'not_started', given: 30 }, { state: 'in_progress', progress: 40 })).toBe(0);
    expect(recordedProgress({ state: 'cancelled', given: 70 }, { state: 'in_progress', progress: 40 })).toBe(0);
  });

  it('takes the percentage the committee gave for the other states', () => {
    expect(recordedProgress({ state: 'in_progress', given: 40 }, null)).toBe(40);
    expect(recordedProgress({ state: 'delayed', given: 10 }, { state: 'in_progress', progress: 60 })).toBe(10);
    expect(recordedProgress({ state: 'at_risk', given: 0 }, { state: 'at_risk', progress: 60 })).toBe(0);
  });

  it('keeps the last reported percentage when none is given', () => {
    expect(recordedProgress({ state: 'in_progress' }, { state: 'in_progress', progress: 40 })).toBe(40);
    expect(recordedProgress({ state: 'delayed', given: null }, { state: 'in_progress', progress: 40 })).toBe(40);
    expect(recordedProgress({ state: 'at_risk' }, { state: 'delayed', progress: 15 })).toBe(15);
  });

  it("falls back to the state's default when nothing was reported while under way", () => {
    expect(recordedProgress({ state: 'in_progress' }, null)).toBe(50);
    expect(recordedProgress({ state: 'in_progress' }, { state: 'not_started', progress: 0 })).toBe(50);
    expect(recordedProgress({ state: 'delayed' }, { state: 'completed', progress: 100 })).toBe(25);
    expect(recordedProgress({ state: 'at_risk' }, { state: 'cancelled', progress: 0 })).toBe(50);
  });

  it('rounds and bounds a figure to a whole percentage', () => {
    expect(recordedProgress({ state: 'in_progress', given: 33.4 }, null)).toBe(33);
    expect(recordedProgress({ state: 'in_progress', given: 140 }, null)).toBe(100);
  });
});
