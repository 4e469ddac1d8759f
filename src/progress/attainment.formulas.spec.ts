import {
  yearsLate,
  budgetWeighted,
  completionOf,
  emptyTally,
  figures,
  formatNumber,
  formatPercent,
  singleCurrency,
  type Tally,
  type WeightedPart,
} from './attainment.formulas.js';

const reference = { asOf: '2023-12-31', year: 2023 };

/** A tally whose total is the sum of its states, as the database counts it. */
const tally = (counts: Partial<Tally>): Tally => {
  const t = { ...emptyTally(), ...counts };
  if (counts.total === undefined) t.total = t.not_started + t.in_progress + t.at_risk + t.delayed + t.completed + t.cancelled;
  return t;
};

describe('formatting', () => {
  it('groups thousands with a space and rounds to whole numbers', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(999)).toBe('999');
    expect(formatNumber(1000)).toBe('1 000');
    expect(formatNumber(30_000_000)).toBe('30 000 000');
    expect(formatNumber(1234.5)).toBe('1 235');
    expect(formatNumber(1234.4)).toBe('1 234');
  });

  it('writes a ratio as a percentage with one decimal', () => {
    expect(formatPercent(0)).toBe('0.0 %');
    expect(formatPercent(1)).toBe('100.0 %');
    expect(formatPercent(2 / 3)).toBe('66.7 %');
    expect(formatPercent(0.12345)).toBe('12.3 %');
  });
});

describe('completionOf', () => {
  it('is completed / (all − cancelled)', () => {
    expect(completionOf(tally({ completed: 3, in_progress: 1, not_started: 2, cancelled: 4 }))).toBe(3 / 6);
    expect(completionOf(tally({ completed: 5 }))).toBe(1);
    expect(completionOf(tally({ not_started: 5 }))).toBe(0);
  });

  it('leaves cancelled milestones out: cancelling an open milestone raises completion', () => {
    const before = completionOf(tally({ completed: 2, in_progress: 2 }));
    const after = completionOf(tally({ completed: 2, in_progress: 1, cancelled: 1 }));
    expect(before).toBe(0.5);
    expect(after).toBe(2 / 3);
  });

  it('has no figure when nothing is left to complete', () => {
    expect(completionOf(emptyTally())).toBeNull();
    expect(completionOf(tally({ cancelled: 3 }))).toBeNull();
  });
});

describe('figures', () => {
  const t = tally({ not_started: 2, in_progress: 3, at_risk: 1, delayed: 2, completed: 4, cancelled: 3, overdue: 5, progressSum: 655 });

  it('counts every state, and writes the sum out', () => {
    const { counts } = figures(t, reference);
    expect(counts).toMatchObject({ not_started: 2, in_progress: 3, at_risk: 1, delayed: 2, completed: 4, cancelled: 3, total: 15 });
    expect(counts.formula).toBe('all = not started 2 + in progress 3 + at risk 1 + delayed 2 + completed 4 + cancelled 3 = 15');
  });

  it('gives completion over the milestones not cancelled, rounded to one decimal in the formula', () => {
    const { completion } = figures(t, reference);
    expect(completion.value).toBe(4 / 12);
    expect(completion.completed).toBe(4);
    expect(completion.denominator).toBe(12);
    expect(completion.formula).toBe('completion = completed / (all − cancelled) = 4 / (15 − 3) = 33.3 %');
  });

  it('counts at risk and delayed together', () => {
    expect(figures(t, reference).atRisk).toEqual({
      count: 3,
      atRisk: 1,
      delayed: 2,
      formula: 'at risk = milestones in state "at risk" + in state "delayed" = 1 + 2 = 3',
    });
  });

  it('takes the overdue count as counted, and names the reference year', () => {
    const { overdue } = figures(t, { asOf: '2024-06-30', year: 2024 });
    expect(overdue.count).toBe(5);
    expect(overdue.referenceYear).toBe(2024);
    expect(overdue.formula).toContain('due by 2023 at the latest (before 2024, the year of 2024-06-30)');
    expect(overdue.formula).toContain('= 5;');
  });

  it('averages progress over the milestones not cancelled, with one decimal', () => {
    const { averageProgress } = figures(t, reference);
    expect(averageProgress.value).toBeCloseTo(655 / 12, 10);
    expect(averageProgress).toMatchObject({ sum: 655, count: 12 });
    expect(averageProgress.formula).toBe('average progress = sum of progress / milestones not cancelled = 655 / 12 = 54.6 %');
  });

  it('groups thousands in the progress sum', () => {
    const big = figures(tally({ completed: 20_000, progressSum: 2_000_000 }), reference);
    expect(big.averageProgress.formula).toBe('average progress = sum of progress / milestones not cancelled = 2 000 000 / 20000 = 100.0 %');
  });

  it('has no completion or average when every milestone is cancelled, and says why', () => {
    const cancelled = figures(tally({ cancelled: 4, progressSum: 0 }), reference);
    expect(cancelled.completion.value).toBeNull();
    expect(cancelled.completion.denominator).toBe(0);
    expect(cancelled.completion.formula).toBe(
      'completion = completed / (all − cancelled) = 0 / (4 − 4) = no figure (no milestone is left to complete)',
    );
    expect(cancelled.averageProgress.value).toBeNull();
    expect(cancelled.averageProgress.formula).toMatch(/= 0 \/ 0 = no figure \(every milestone is cancelled or there are none\)$/);
  });

  it('has no figures for an empty tally, and does not divide by zero', () => {
    const empty = figures(emptyTally(), reference);
    expect(empty.completion.value).toBeNull();
    expect(empty.averageProgress.value).toBeNull();
    expect(empty.counts.total).toBe(0);
    expect(empty.budgetWeighted).toBeNull();
  });

  it('passes a budget-weighted completion through', () => {
    const weighted = budgetWeighted([{ label: 'A', completion: 0.5, budget: 100n, currency: 'EUR' }], 'EUR', 'goal budget totals');
    expect(figures(t, reference, weighted).budgetWeighted).toBe(weighted);
  });
});

describe('budgetWeighted', () => {
  const part = (label: string, completion: number | null, budget: bigint | null, currency: string | null = 'EUR'): WeightedPart => ({
    label,
    completion,
    budget,
    currency,
  });

  it('is Σ(completion × budget) / Σ budget', () => {
    const result = budgetWeighted([part('Goal 1', 0.5, 1_000_000n), part('Goal 2', 1, 3_000_000n)], 'EUR', 'goal budget totals')!;
    expect(result.value).toBeCloseTo((0.5 * 1_000_000 + 1 * 3_000_000) / 4_000_000, 12);
    expect(result).toMatchObject({ weight: 4_000_000, included: 2, leftOut: [], currency: 'EUR', basis: 'goal budget totals' });
    expect(result.formula).toBe(
      'budget-weighted completion = Σ(goal completion × goal budget total) / Σ budget = ' +
        '(50.0 % × 1 000 000 (Goal 1) + 100.0 % × 3 000 000 (Goal 2)) / 4 000 000 EUR = 87.5 %',
    );
  });

  it('leaves out parts without a budget, in another currency or without a completion figure, and names them', () => {
    const result = budgetWeighted(
      [part('A', 0.2, 100n), part('B', 0.9, null), part('C', 0.9, 500n, 'DKK'), part('D', null, 700n), part('E', 0.9, 50n, null)],
      'EUR',
      'contribution budgets',
    )!;
    expect(result.value).toBeCloseTo(0.2, 12);
    expect(result.weight).toBe(100);
    expect(result.included).toBe(1);
    expect(result.leftOut).toEqual([
      'B (no budget)',
      'C (budget in DKK, not EUR)',
      'D (no completion figure)',
      'E (budget in no currency, not EUR)',
    ]);
    expect(result.formula).toMatch(/^budget-weighted completion = Σ\(contribution completion × contribution budget\) \/ Σ budget = /);
    expect(result.formula).toMatch(/; left out: B \(no budget\), C \(budget in DKK, not EUR\), D \(no completion figure\), E /);
  });

  it('counts parts without a budget instead of naming them when there are more than three', () => {
    const result = budgetWeighted(
      [part('A', 1, 10n), ...['B', 'C', 'D', 'E'].map((label) => part(label, 0, null))],
      'EUR',
      'contribution budgets',
    )!;
    expect(result.leftOut).toEqual(['4 contributions without a budget']);
  });

  it('is null when no part has a budget, and has no figure when no budgeted part can be weighted', () => {
    expect(budgetWeighted([part('A', 0.5, null)], 'EUR', 'goal budget totals')).toBeNull();
    expect(budgetWeighted([], 'EUR', 'goal budget totals')).toBeNull();
    const none = budgetWeighted([part('A', null, 100n), part('B', 0.5, 100n, 'DKK')], 'EUR', 'goal budget totals')!;
    expect(none.value).toBeNull();
    expect(none.weight).toBe(0);
    expect(none.formula).toContain('no figure (no goal with a budget in EUR has a completion figure)');
  });

  it('has no figure when the budgets in the currency add up to zero (no division by zero)', () => {
    const zero = budgetWeighted([part('A', 0.5, 0n)], 'EUR', 'goal budget totals')!;
    expect(zero.value).toBeNull();
    expect(zero.included).toBe(1);
  });

  it('shows twelve terms and says how many more there are', () => {
    const parts = Array.from({ length: 15 }, (_, i) => part(`P${i + 1}`, 1, 1n));
    const { formula, value } = budgetWeighted(parts, 'EUR', 'contribution budgets')!;
    expect(value).toBe(1);
    expect(formula).toContain('(P12) + … 3 more) / 15 EUR = 100.0 %');
    expect(formula).not.toContain('(P13)');
  });
});

describe('singleCurrency', () => {
  const part = (budget: bigint | null, currency: string | null): WeightedPart => ({ label: 'x', completion: 0, budget, currency });

  it('is the one currency of the budgeted parts', () => {
    expect(singleCurrency([part(1n, 'EUR'), part(null, 'DKK'), part(2n, 'EUR')])).toBe('EUR');
  });

  it('is null for several currencies, for no budget at all, or for budgets without a currency', () => {
    expect(singleCurrency([part(1n, 'EUR'), part(2n, 'DKK')])).toBeNull();
    expect(singleCurrency([part(null, 'EUR')])).toBeNull();
    expect(singleCurrency([])).toBeNull();
    expect(singleCurrency([part(1n, null)])).toBeNull();
  });
});

describe('yearsLate', () => {
  it.each([
    [{ dueTo: 2022, state: 'in_progress' }, 2024, 2],
    [{ dueTo: 2023, state: 'not_started' }, 2024, 1],
    [{ dueTo: 2024, state: 'delayed' }, 2024, null],
    [{ dueTo: 2021, state: 'completed' }, 2024, null],
    [{ dueTo: 2021, state: 'cancelled' }, 2024, null],
    [{ dueTo: null, state: 'not_started' }, 2024, null],
  ])('%j in %i: %p', (milestone, year, expected) => {
    expect(yearsLate(milestone, year)).toBe(expected);
  });
});
