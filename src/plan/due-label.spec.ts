import { readDueLabel } from './due-label.js';

const plan = { from: 2021, to: 2024 };

describe('readDueLabel', () => {
  it.each([
    ['M2021', 'milestone', 2021, 2021],
    ['MP2021', 'milestone', 2021, 2021],
    ['MP 2022', 'milestone', 2022, 2022],
    ['M21', 'milestone', 2021, 2021],
    ['M23/24', 'milestone', 2023, 2024],
    ['M2021/2024', 'milestone', 2021, 2024],
    ['M2022/2023', 'milestone', 2022, 2023],
    ['M2021-2024', 'milestone', 2021, 2024],
    ['D2024', 'deliverable', 2024, 2024],
    ['D:', 'deliverable', 2024, 2024],
    ['D', 'deliverable', 2024, 2024],
    ['M 5', 'milestone', null, null],
    ['M12', 'milestone', null, null],
    ['Milstolpe', 'milestone', null, null],
  ])('%s → %s %s-%s', (label, kind, dueFrom, dueTo) => {
    expect(readDueLabel(label, plan)).toEqual({ kind, dueFrom, dueTo });
  });

  it('has no due year without a label', () => {
    expect(readDueLabel(null, plan)).toEqual({ kind: 'milestone', dueFrom: null, dueTo: null });
  });

  it('reads two-digit years against the plan period', () => {
    expect(readDueLabel('M26', { from: 2025, to: 2030 })).toEqual({ kind: 'milestone', dueFrom: 2026, dueTo: 2026 });
    expect(readDueLabel('M12', { from: 2025, to: 2030 })).toEqual({ kind: 'milestone', dueFrom: null, dueTo: null });
  });
});
