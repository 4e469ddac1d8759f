import type { MilestoneStateName } from '../common/milestone-states.js';

/**
 * The attainment figures and the plain-English formulas that explain them. Everything here works
 * on tallies the database has already counted (see AttainmentRepository), never on milestones,
 * so it costs the same for a hundred milestones as for a million.
 */

export type StateCounts = Record<MilestoneStateName, number>;

/** What the database counts for a set of milestones; tallies add up, so a goal's is the sum of its parts'. */
export interface Tally extends StateCounts {
  total: number;
  /** Due before the reference year and still open (not completed, not cancelled). */
  overdue: number;
  /** Sum of progress (0-100) over the milestones that are not cancelled. */
  progressSum: number;
}

export const emptyTally = (): Tally => ({
  not_started: 0,
  in_progress: 0,
  at_risk: 0,
  delayed: 0,
  completed: 0,
  cancelled: 0,
  total: 0,
  overdue: 0,
  progressSum: 0,
});

/** The reference point of every figure: `asOf` as given (or today), and its year. */
export interface Reference {
  asOf: string;
  year: number;
}

export interface BudgetWeighted {
  value: number | null;
  currency: string;
  /** What the completions are weighted by. */
  basis: 'goal budget totals' | 'contribution budgets';
  /** The budget that took part (the denominator). */
  weight: number;
  included: number;
  leftOut: string[];
  formula: string;
  /** The formula's parts, for writing it in another language (formula-text.ts): the terms shown and what was left out. */
  parts?: {
    terms: { label: string; completion: number; budget: number }[];
    moreTerms: number;
    leftOut: LeftOutPart[];
  };
}

/** A part left out of a budget-weighted completion, and why; many parts without a budget are counted, not named. */
export type LeftOutPart =
  | { reason: 'no_budget'; label: string }
  | { reason: 'no_budget_count'; count: number }
  | { reason: 'other_currency'; label: string; currency: string | null }
  | { reason: 'no_completion'; label: string };

export interface Figures {
  counts: StateCounts & { total: number; formula: string };
  completion: { value: number | null; completed: number; denominator: number; formula: string };
  budgetWeighted: BudgetWeighted | null;
  /** asOf is the day the reference year was taken from (absent in snapshots made before it was kept). */
  overdue: { count: number; referenceYear: number; asOf?: string; formula: string };
  atRisk: { count: number; atRisk: number; delayed: number; formula: string };
  averageProgress: { value: number | null; sum: number; count: number; formula: string };
}

/** 30000000 → "30 000 000": a space groups thousands the same way in every Nordic language. */
export const formatNumber = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
export const formatPercent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

/** completed / (all − cancelled): cancelled milestones are no longer expected, so they leave the denominator. */
export function completionOf(tally: Tally): number | null {
  const denominator = tally.total - tally.cancelled;
  return denominator === 0 ? null : tally.completed / denominator;
}

export function figures(tally: Tally, reference: Reference, budgetWeighted: BudgetWeighted | null = null): Figures {
  const { not_started, in_progress, at_risk, delayed, completed, cancelled, total, overdue, progressSum } = tally;
  const denominator = total - cancelled;
  const completion = completionOf(tally);
  const averageProgress = denominator === 0 ? null : progressSum / denominator;
  return {
    counts: {
      not_started,
      in_progress,
      at_risk,
      delayed,
      completed,
      cancelled,
      total,
      formula:
        `all = not started ${not_started} + in progress ${in_progress} + at risk ${at_risk} + delayed ${delayed}` +
        ` + completed ${completed} + cancelled ${cancelled} = ${total}`,
    },
    completion: {
      value: completion,
      completed,
      denominator,
      formula:
        `completion = completed / (all − cancelled) = ${completed} / (${total} − ${cancelled}) = ` +
        (completion === null ? 'no figure (no milestone is left to complete)' : formatPercent(completion)),
    },
    budgetWeighted,
    overdue: {
      count: overdue,
      referenceYear: reference.year,
      asOf: reference.asOf,
      formula:
        `overdue = milestones due by ${reference.year - 1} at the latest (before ${reference.year}, the year of ${reference.asOf})` +
        ` that are neither completed nor cancelled = ${overdue}; milestones without a due year are never overdue`,
    },
    atRisk: {
      count: at_risk + delayed,
      atRisk: at_risk,
      delayed,
      formula: `at risk = milestones in state "at risk" + in state "delayed" = ${at_risk} + ${delayed} = ${at_risk + delayed}`,
    },
    averageProgress: {
      value: averageProgress,
      sum: progressSum,
      count: denominator,
      formula:
        `average progress = sum of progress / milestones not cancelled = ${formatNumber(progressSum)} / ${denominator} = ` +
        (averageProgress === null ? 'no figure (every milestone is cancelled or there are none)' : `${averageProgress.toFixed(1)} %`),
    },
  };
}

/** One goal (or contribution) in a budget-weighted completion. */
export interface WeightedPart {
  label: string;
  completion: number | null;
  budget: bigint | null;
  currency: string | null;
}

/** Terms listed in a formula before it says "… and N more", so a huge plan still gets a readable sentence. */
const TERMS_SHOWN = 12;

/**
 * Σ(completion × budget) / Σ budget over the parts with a budget in `currency`. Parts without a
 * budget, with a budget in another currency, or without a completion figure are left out, and
 * `leftOut` and the formula say so. Null when no part has a budget at all.
 */
export function budgetWeighted(parts: WeightedPart[], currency: string, basis: BudgetWeighted['basis']): BudgetWeighted | null {
  if (!parts.some((part) => part.budget !== null)) return null;
  const noun = basis === 'goal budget totals' ? 'goal' : 'contribution';
  const unbudgeted: string[] = [];
  const otherwise: string[] = [];
  const otherParts: LeftOutPart[] = [];
  const included: { label: string; completion: number; budget: number }[] = [];
  for (const part of parts) {
    if (part.budget === null) unbudgeted.push(part.label);
    else if (part.currency !== currency) {
      otherwise.push(`${part.label} (budget in ${part.currency ?? 'no currency'}, not ${currency})`);
      otherParts.push({ reason: 'other_currency', label: part.label, currency: part.currency });
    } else if (part.completion === null) {
      otherwise.push(`${part.label} (no completion figure)`);
      otherParts.push({ reason: 'no_completion', label: part.label });
    } else included.push({ label: part.label, completion: part.completion, budget: Number(part.budget) });
  }
  const weight = included.reduce((sum, part) => sum + part.budget, 0);
  const value = weight === 0 ? null : included.reduce((sum, part) => sum + part.completion * part.budget, 0) / weight;
  const terms = included
    .slice(0, TERMS_SHOWN)
    .map((part) => `${formatPercent(part.completion)} × ${formatNumber(part.budget)} (${part.label})`);
  if (included.length > TERMS_SHOWN) terms.push(`… ${included.length - TERMS_SHOWN} more`);
  // A few parts without a budget are named; many (most contributions have none) are counted.
  const leftOut = [
    ...(unbudgeted.length <= 3 ? unbudgeted.map((label) => `${label} (no budget)`) : [`${unbudgeted.length} ${noun}s without a budget`]),
    ...otherwise,
  ];
  const shown =
    leftOut.length > TERMS_SHOWN
      ? `${leftOut.slice(0, TERMS_SHOWN).join(', ')} … ${leftOut.length - TERMS_SHOWN} more`
      : leftOut.join(', ');
  const formula =
    `budget-weighted completion = Σ(${noun} completion × ${noun} budget${noun === 'goal' ? ' total' : ''}) / Σ budget = ` +
    (value === null
      ? `no figure (no ${noun} with a budget in ${currency} has a completion figure)`
      : `(${terms.join(' + ')}) / ${formatNumber(weight)} ${currency} = ${formatPercent(value)}`) +
    (leftOut.length === 0 ? '' : `; left out: ${shown}`);
  const wording = {
    terms: included.slice(0, TERMS_SHOWN),
    moreTerms: Math.max(0, included.length - TERMS_SHOWN),
    leftOut: [
      ...(unbudgeted.length <= 3
        ? unbudgeted.map((label): LeftOutPart => ({ reason: 'no_budget', label }))
        : [{ reason: 'no_budget_count', count: unbudgeted.length } as const]),
      ...otherParts,
    ],
  };
  return { value, currency, basis, weight, included: included.length, leftOut, formula, parts: wording };
}

/**
 * The currency a goal's contributions can be weighted in: the one currency every budgeted
 * contribution uses, or null when none has a budget or budgets are in several currencies
 * (amounts in EUR and DKK cannot be added without a rate the plan does not give).
 */
export function singleCurrency(parts: WeightedPart[]): string | null {
  const currencies = new Set(parts.filter((part) => part.budget !== null).map((part) => part.currency));
  const [only] = currencies;
  return currencies.size === 1 && only ? only : null;
}

/**
 * How many years late a milestone is in the reference year, or null when it is not overdue: due
 * before that year (by its last due year) and neither completed nor cancelled. The same rule as
 * the overdue list and the figures, for one milestone.
 */
export function yearsLate(milestone: { dueTo: number | null; state: string }, referenceYear: number): number | null {
  if (milestone.dueTo === null || milestone.state === 'completed' || milestone.state === 'cancelled') return null;
  return milestone.dueTo < referenceYear ? referenceYear - milestone.dueTo : null;
}
