import type { I18n } from '../i18n/i18n.js';
import type { BudgetWeighted, Figures, LeftOutPart } from './attainment.formulas.js';

/** The figures a formula can be written for. */
export type FigureName = 'counts' | 'completion' | 'budgetWeighted' | 'overdue' | 'atRisk' | 'averageProgress';

/** Terms and left-out parts a formula lists before it says "… and N more". */
const LEFT_OUT_SHOWN = 12;

/**
 * A figure's formula in a person's language, with the numbers written as the language writes them
 * ("33,3 %", "2 000 000"), from the same counts the English `formula` of the API was built from.
 * The pages and the annual report use this; the API keeps its English formula. A figure stored
 * before its parts were kept (an old report snapshot) keeps its English formula.
 */
export function formulaText(i18n: I18n, language: string, name: FigureName, figures: Figures): string {
  const t = (key: string, params: Record<string, unknown> = {}) => i18n.t(language, `formula:${key}`, params);
  const n = (value: number) => i18n.number(language, value, { maximumFractionDigits: 1 });
  const pct = (ratio: number) => i18n.percent(language, ratio);
  const { counts } = figures;
  switch (name) {
    case 'counts':
      return t('counts', {
        not_started: n(counts.not_started),
        in_progress: n(counts.in_progress),
        at_risk: n(counts.at_risk),
        delayed: n(counts.delayed),
        completed: n(counts.completed),
        cancelled: n(counts.cancelled),
        total: n(counts.total),
      });
    case 'completion': {
      const { value, completed } = figures.completion;
      const result = value === null ? t('completion.none') : pct(value);
      return t('completion', { completed: n(completed), total: n(counts.total), cancelled: n(counts.cancelled), result });
    }
    case 'overdue': {
      const { count, referenceYear, asOf } = figures.overdue;
      if (asOf === undefined) return figures.overdue.formula;
      return t('overdue', {
        lastYear: String(referenceYear - 1),
        year: String(referenceYear),
        asOf: i18n.day(language, asOf),
        count: n(count),
      });
    }
    case 'atRisk': {
      const { atRisk, delayed, count } = figures.atRisk;
      return t('at_risk', {
        atRiskState: i18n.t(language, 'mail:state.at_risk'),
        delayedState: i18n.t(language, 'mail:state.delayed'),
        atRisk: n(atRisk),
        delayed: n(delayed),
        count: n(count),
      });
    }
    case 'averageProgress': {
      const { value, sum, count } = figures.averageProgress;
      const result = value === null ? t('average.none') : pct(value / 100);
      return t('average', { sum: n(sum), count: n(count), result });
    }
    case 'budgetWeighted':
      return figures.budgetWeighted === null ? '' : budgetText(i18n, language, figures.budgetWeighted);
  }
}

function budgetText(i18n: I18n, language: string, figure: BudgetWeighted): string {
  const { parts } = figure;
  if (parts === undefined) return figure.formula;
  const t = (key: string, params: Record<string, unknown> = {}) => i18n.t(language, `formula:${key}`, params);
  const n = (value: number) => i18n.number(language, value, { maximumFractionDigits: 0 });
  const pct = (ratio: number) => i18n.percent(language, ratio);
  const goal = figure.basis === 'goal budget totals';
  // The service names a goal "goal 6"; the reader's language names it its own way.
  const label = (text: string) => {
    const number = goal ? /^goal (\d+)$/.exec(text)?.[1] : undefined;
    return number === undefined ? text : t('goal_label', { number });
  };
  const terms = parts.terms.map((term) => `${pct(term.completion)} × ${n(term.budget)} (${label(term.label)})`);
  if (parts.moreTerms > 0) terms.push(t('more', { count: parts.moreTerms }));
  const result =
    figure.value === null
      ? t(goal ? 'budget.none_goal' : 'budget.none_contribution', { currency: figure.currency })
      : `(${terms.join(' + ')}) / ${n(figure.weight)} ${figure.currency} = ${pct(figure.value)}`;
  const leftOut = parts.leftOut
    .slice(0, LEFT_OUT_SHOWN)
    .map((part) => leftOutText(t, 'label' in part ? { ...part, label: label(part.label) } : part, goal, figure.currency));
  if (parts.leftOut.length > LEFT_OUT_SHOWN) leftOut.push(t('more', { count: parts.leftOut.length - LEFT_OUT_SHOWN }));
  const text = t(goal ? 'budget.goal' : 'budget.contribution', { result });
  return leftOut.length === 0 ? text : `${text}; ${t('budget.left_out', { parts: leftOut.join(', ') })}`;
}

function leftOutText(
  t: (key: string, params?: Record<string, unknown>) => string,
  part: LeftOutPart,
  goal: boolean,
  currency: string,
): string {
  switch (part.reason) {
    case 'no_budget':
      return t('budget.no_budget', { label: part.label });
    case 'no_budget_count':
      return t(goal ? 'budget.goals_without_budget' : 'budget.contributions_without_budget', { count: part.count });
    case 'other_currency':
      return part.currency === null
        ? t('budget.no_currency', { label: part.label, expected: currency })
        : t('budget.other_currency', { label: part.label, currency: part.currency, expected: currency });
    case 'no_completion':
      return t('budget.no_completion', { label: part.label });
  }
}
