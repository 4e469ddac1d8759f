import type { AnnualReportContent, ReportLanguage } from '../annual-report.content.js';
import type { ReportLabels } from './report-labels.js';

/** How many organisations, and how many reasons, a sentence names before it stops. */
const NAMED = 3;
/** A quoted reason is cut to this many characters (the comments section has them in full). */
const QUOTE = 110;

/**
 * The report's opening sentences, built from its figures: what was achieved, what is late and
 * with whom, what was reported delayed and why (the committees' own words), who answered, and how
 * the goals' criteria were assessed. A minister reads these first; every number in them is one
 * the report's tables show.
 */
export function highlights(content: AnnualReportContent, labels: ReportLabels, lang: ReportLanguage): string[] {
  const t = (key: string, params?: Record<string, unknown>) => labels.t(lang, key, params);
  const n = (value: number) => labels.number(lang, value);
  const list = (items: string[]) => new Intl.ListFormat(labels.locale(lang), { type: 'conjunction' }).format(items);
  const count = (state: string) => content.summary.states.find((row) => row.state === state)?.count ?? 0;
  const sentences: string[] = [];

  const total = content.summary.figures.counts.total;
  const completed = count('completed');
  sentences.push(
    t('highlights.completed', {
      date: labels.day(lang, content.asOf),
      completed: n(completed),
      total: n(total),
      share: labels.percent(lang, total === 0 ? null : completed / total),
      inProgress: n(count('in_progress')),
      notStarted: n(count('not_started')),
    }),
  );

  if (content.overdue.length === 0) sentences.push(t('highlights.overdue_none'));
  else {
    const byOwner = new Map<string, number>();
    for (const entry of content.overdue) byOwner.set(entry.owner, (byOwner.get(entry.owner) ?? 0) + 1);
    const owners = [...byOwner]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, NAMED)
      .map(([owner, late]) => `${owner} (${n(late)})`);
    sentences.push(t('highlights.overdue', { count: content.overdue.length, n: n(content.overdue.length), owners: list(owners) }));
  }

  const troubled = count('delayed') + count('at_risk');
  if (troubled > 0) {
    // The latest reason given in the year for each milestone that is delayed or at risk now.
    const latest = new Map<string, (typeof content.comments)[number]>();
    for (const comment of content.comments)
      if (comment.state === 'delayed' || comment.state === 'at_risk') latest.set(comment.milestoneKey, comment);
    const reasons = [...latest.values()]
      .reverse()
      .slice(0, NAMED)
      .map((comment) => {
        const text = comment.comment.replace(/\s+/g, ' ').trim();
        return t('highlights.quote', { text: text.length > QUOTE ? `${text.slice(0, QUOTE - 1).trimEnd()}…` : text, owner: comment.owner });
      });
    sentences.push(
      reasons.length > 0
        ? t('highlights.delayed', { count: troubled, n: n(troubled), reasons: list(reasons) })
        : t('highlights.delayed_no_reason', { count: troubled, n: n(troubled) }),
    );
  }

  const rate = content.summary.reporting;
  if (rate) {
    const answered = rate.answeredOnTime + rate.answeredLate;
    sentences.push(
      t('highlights.reporting', { answered: n(answered), expected: n(rate.expected), onTime: n(rate.answeredOnTime), year: content.year }),
    );
  }

  // A snapshot taken before criteria were assessed has none.
  const criteria = content.priorities.flatMap((priority) =>
    priority.goals.flatMap((goal) => (goal.criteria ? [goal.criteria.summary] : [])),
  );
  const sum = (pick: (summary: (typeof criteria)[number]) => number) => criteria.reduce((acc, summary) => acc + pick(summary), 0);
  const criteriaTotal = sum((s) => s.total);
  if (criteriaTotal > 0 && sum((s) => s.notAssessed) === criteriaTotal) {
    sentences.push(t('highlights.criteria_none', { total: n(criteriaTotal), year: content.year }));
  } else if (criteriaTotal > 0) {
    sentences.push(
      t('highlights.criteria', {
        total: n(criteriaTotal),
        met: n(sum((s) => s.met)),
        partly: n(sum((s) => s.partlyMet)),
        notMet: n(sum((s) => s.notMet)),
        notAssessed: n(sum((s) => s.notAssessed)),
      }),
    );
  }
  return sentences;
}
