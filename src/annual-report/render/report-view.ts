import type { Figures } from '../../progress/attainment.formulas.js';
import type {
  AnnualReportContent,
  ContributionBlock,
  EvidenceFile,
  GoalBlock,
  MilestoneRow,
  MissingReason,
  ReportLanguage,
} from '../annual-report.content.js';
import { barChart, stateDistributionChart } from './charts.js';
import { highlights } from './highlights.js';
import type { ReportLabels } from './report-labels.js';

/**
 * The snapshot put into words: every label translated, every number and date formatted, every
 * table laid out as rows of strings. The HTML template and the DOCX writer both render this, so
 * the two formats say the same thing in the same words and only differ in markup.
 */

export interface FigureRow {
  name: string;
  value: string;
  formula: string;
}

export interface MilestoneView {
  label: string;
  text: string;
  owner: string;
  due: string;
  state: string;
  stateKey: string;
  progress: string;
  lastComment: string | null;
  lastCommentAt: string | null;
  /** Too long for a narrow column: shown in a full-width row under the milestone instead. */
  longComment: boolean;
}

export interface ContributionView {
  organisation: string;
  summary: string;
  meta: string;
  milestones: MilestoneView[];
  /** Set instead of the table when the plan is too large to print every milestone. */
  annexNote: string | null;
}

export interface AtRiskView {
  title: string;
  none: string;
  /** "… and N more in Annex A" (or the XLSX annex), when the goal has more than fit its half page. */
  more: string | null;
  rows: { label: string; text: string; owner: string; state: string; stateKey: string; reason: string; reasonAt: string | null }[];
}

export interface ReportView {
  lang: ReportLanguage;
  title: string;
  planTitle: string;
  preliminary: string | null;
  preliminaryNote: string | null;
  /** "Approved <date> by <name>", or that the secretariat has not approved the year yet; null while preliminary. */
  approval: string | null;
  /** Each reopening of the year, with its reason. */
  reopenings: string[];
  /** The secretariat's foreword, paragraph by paragraph, signed; null without one. */
  foreword: { heading: string; paragraphs: string[]; byline: string } | null;
  generated: string;
  asOf: string;
  period: string;
  formulasNote: string;
  headings: {
    contents: string;
    summary: string;
    goals: string;
    comments: string;
    overdue: string;
    responses: string;
    annexMilestones: string;
    annexEvidence: string;
  };
  columns: Record<
    | 'label'
    | 'milestone'
    | 'owner'
    | 'due'
    | 'state'
    | 'progress'
    | 'lastComment'
    | 'goal'
    | 'intervention'
    | 'yearsLate'
    | 'date'
    | 'comment'
    | 'organisation'
    | 'answered'
    | 'reason'
    | 'channel'
    | 'figure'
    | 'value'
    | 'formula'
    | 'count'
    | 'share',
    string
  >;
  summary: {
    /** The opening sentences (highlights.ts). */
    highlights: string[];
    figures: FigureRow[];
    statesTitle: string;
    states: { label: string; count: string; share: string; stateKey: string }[];
    reportingTitle: string;
    reporting: { name: string; value: string }[];
    reportingNote: string;
    goalsChartTitle: string;
    goalsChart: string;
    /** The chart said in words, for the DOCX image's alt text. */
    goalsChartText: string;
    goals: { label: string; value: string }[];
    statesChartTitle: string;
    statesChart: string;
    statesChartText: string;
  };
  priorities: {
    heading: string;
    figures: FigureRow[];
    goals: {
      anchor: string;
      heading: string;
      criteriaTitle: string;
      criteria: string[];
      /** The criteria as assessed for the year, beside the milestone completion. */
      assessment: {
        title: string;
        summary: string;
        milestones: string;
        columns: { criterion: string; verdict: string; justification: string };
        rows: { key: string; text: string; verdict: string; verdictClass: string; justification: string; evidenceUrl: string | null }[];
      };
      figuresTitle: string;
      figures: FigureRow[];
      /** "Milestones: see Annex A, goal 1", with the annex's anchor for the goal. */
      annexPointer: { text: string; href: string };
      /** The goal's milestones at risk or delayed, each with the committee's last comment. */
      atRisk: AtRiskView;
    }[];
  }[];
  /** Annex A: the full milestone tables, goal by goal. */
  annexMilestones: {
    intro: string;
    goals: {
      anchor: string;
      heading: string;
      /** The plan's budget per partner: the same for every year, so with the annex rather than on the goal's half page. */
      budgetTitle: string;
      budget: {
        partnerHeader: string;
        amountHeader: string;
        lines: { partner: string; amount: string }[];
        totalLabel: string;
        total: string | null;
      } | null;
      noBudget: string;
      ownContributionsTitle: string;
      ownContributions: ContributionView[];
      interventions: { heading: string; partners: string | null; completion: FigureRow; contributions: ContributionView[]; none: string }[];
    }[];
  };
  /** Annex B: the files received as evidence in the year, goal by goal, milestone by milestone. */
  annexEvidence: {
    intro: string;
    none: string;
    /** "… and N more files in the XLSX annex", when the list was cut at the printed limit. */
    more: string | null;
    columns: { milestone: string; file: string; organisation: string; date: string };
    goals: { heading: string; rows: { milestone: string; file: string; organisation: string; date: string }[] }[];
  };
  noMilestones: string;
  comments: {
    none: string;
    /** "… and N more: see the XLSX annex", when the list was cut at the printed limit. */
    more: string | null;
    rows: {
      date: string;
      goal: string;
      intervention: string;
      label: string;
      milestone: string;
      owner: string;
      state: string;
      comment: string;
      channel: string;
      long: boolean;
    }[];
  };
  overdue: {
    intro: string;
    none: string;
    /** "… and N more: see the XLSX annex", when the list was cut at the printed limit. */
    more: string | null;
    rows: {
      goal: string;
      intervention: string;
      label: string;
      milestone: string;
      owner: string;
      due: string;
      state: string;
      yearsLate: string;
      lastComment: string;
    }[];
  };
  responses: {
    none: string | null;
    groups: { title: string; rows: { organisation: string; detail: string }[] }[];
    nobody: string;
  };
  pageLabel: string;
}

/**
 * Comments longer than this get a row of their own across the whole table: in a column a fifth
 * of the page wide, a long comment would run down several pages beside empty cells.
 */
export const LONG_TEXT = 280;

/**
 * Above this many milestones the printed formats (HTML, PDF, DOCX) no longer list every one under
 * its contribution, and the year's comments and the overdue list stop at this many rows (all of
 * them are in the XLSX annex): a plan of 100,000 milestones would
 * be thousands of A4 pages, which no minister reads and Chromium cannot print (measured in bench/).
 * The figures stay complete, and the XLSX annex keeps one row per milestone.
 */
export const PRINTED_MILESTONES_LIMIT = 2_000;

/** A goal's section keeps to half a page: its list of milestones at risk or delayed stops here (Annex A has them all). */
export const AT_RISK_PER_GOAL = 8;

export function reportView(content: AnnualReportContent, labels: ReportLabels, printedLimit = PRINTED_MILESTONES_LIMIT): ReportView {
  const lang = content.language;
  const t = (key: string, params?: Record<string, unknown>) => labels.t(lang, key, params);
  const pct = (ratio: number | null) => labels.percent(lang, ratio);
  const state = (value: string) => t(`state.${value}`);

  const figureRows = (figures: Figures): FigureRow[] => [
    { name: t('figure.total'), value: labels.number(lang, figures.counts.total), formula: labels.formula(lang, 'counts', figures) },
    { name: t('figure.completion'), value: pct(figures.completion.value), formula: labels.formula(lang, 'completion', figures) },
    ...(figures.budgetWeighted === null
      ? []
      : [
          {
            name: t('figure.budget_weighted'),
            value: pct(figures.budgetWeighted.value),
            formula: labels.formula(lang, 'budgetWeighted', figures),
          },
        ]),
    { name: t('figure.overdue'), value: labels.number(lang, figures.overdue.count), formula: labels.formula(lang, 'overdue', figures) },
    { name: t('figure.at_risk'), value: labels.number(lang, figures.atRisk.count), formula: labels.formula(lang, 'atRisk', figures) },
    {
      name: t('figure.average_progress'),
      value: figures.averageProgress.value === null ? t('figure.none') : pct(figures.averageProgress.value / 100),
      formula: labels.formula(lang, 'averageProgress', figures),
    },
  ];

  const milestoneView = (milestone: MilestoneRow): MilestoneView => ({
    label: milestone.label ?? '',
    text: milestone.text,
    owner: milestone.owner,
    due: labels.due(lang, milestone.dueFrom, milestone.dueTo),
    state: state(milestone.state),
    stateKey: milestone.state,
    progress: pct(milestone.progress / 100),
    lastComment: milestone.lastComment?.text ?? null,
    lastCommentAt: milestone.lastComment ? labels.date(lang, milestone.lastComment.at) : null,
    longComment: (milestone.lastComment?.text.length ?? 0) > LONG_TEXT,
  });

  const inAnnex = content.summary.figures.counts.total > printedLimit;
  const contributionView = (contribution: ContributionBlock): ContributionView => ({
    organisation: contribution.organisation,
    summary: contribution.summary,
    meta: [
      t('contribution.completion', { value: pct(contribution.figures.completion.value) }),
      ...(contribution.budget
        ? [t('contribution.budget', { amount: labels.number(lang, contribution.budget.amount), currency: contribution.budget.currency })]
        : []),
    ].join(' · '),
    milestones: inAnnex ? [] : contribution.milestones.map(milestoneView),
    annexNote: inAnnex ? t('milestones.in_annex', { count: contribution.milestones.length }) : null,
  });

  const goals = content.priorities.flatMap((priority) => priority.goals);
  const total = content.summary.figures.counts.total;
  const stateRows = content.summary.states.map((row) => ({
    label: state(row.state),
    count: labels.number(lang, row.count),
    share: pct(total === 0 ? null : row.count / total),
    stateKey: row.state,
  }));

  const reporting = content.summary.reporting;
  const reason = (value: MissingReason) => t(`reason.${value}`);

  const atRiskView = (goal: GoalBlock): AtRiskView => {
    const troubled = goalMilestones(goal).filter((m) => m.state === 'at_risk' || m.state === 'delayed');
    return {
      title: t('goal.at_risk'),
      none: t('goal.at_risk_none'),
      // Annex A has the rest, unless the plan is too large to print its milestones: then the XLSX annex.
      more:
        troubled.length > AT_RISK_PER_GOAL
          ? t(inAnnex ? 'goal.at_risk_more_xlsx' : 'goal.at_risk_more', { count: troubled.length - AT_RISK_PER_GOAL })
          : null,
      rows: troubled.slice(0, AT_RISK_PER_GOAL).map((m) => ({
        label: m.label ?? '',
        text: m.text,
        owner: m.owner,
        state: state(m.state),
        stateKey: m.state,
        reason: m.lastComment ? brief(m.lastComment.text) : t('goal.no_reason'),
        reasonAt: m.lastComment ? labels.date(lang, m.lastComment.at) : null,
      })),
    };
  };

  // Annex B: what came in during the report's year, not every file kept before it.
  const evidenceView = (): ReportView['annexEvidence'] => {
    const received = (content.files ?? []).filter((file) => labels.yearOf(file.at) === content.year);
    const printed = received.slice(0, printedLimit);
    const byGoal = new Map<number, EvidenceFile[]>();
    for (const file of printed) {
      const list = byGoal.get(file.goal) ?? [];
      list.push(file);
      byGoal.set(file.goal, list);
    }
    return {
      intro: t('annex_b.intro', { year: content.year }),
      none: t('annex_b.none', { year: content.year }),
      more: received.length > printedLimit ? t('annex_b.more', { count: received.length - printedLimit }) : null,
      columns: { milestone: t('col.milestone'), file: t('col.file'), organisation: t('col.organisation'), date: t('col.date') },
      goals: goals
        .filter((goal) => byGoal.has(goal.number))
        .map((goal) => ({
          heading: t('goal.heading', { number: goal.number, title: goal.title }),
          rows: byGoal.get(goal.number)!.map((file) => ({
            milestone: file.label ? `${file.label} ${file.milestone}` : file.milestone,
            file: file.fileName,
            organisation: file.organisation ?? file.owner,
            date: labels.date(lang, file.at),
          })),
        })),
    };
  };

  return {
    lang,
    title: t('report.title', { year: content.year }),
    planTitle: content.plan.title,
    preliminary: content.preliminary ? t('report.preliminary') : null,
    preliminaryNote: content.preliminary ? t('report.preliminary_note', { year: content.year }) : null,
    approval: content.approval
      ? t('report.approved', { date: labels.dateTime(lang, content.approval.at), name: content.approval.by })
      : content.preliminary
        ? null
        : t('report.not_approved', { year: content.year }),
    reopenings: (content.approvals ?? [])
      .filter((event) => event.action === 'reopened')
      .map((event) => t('report.reopened', { date: labels.dateTime(lang, event.at), name: event.by, reason: event.reason ?? '' })),
    foreword: content.foreword
      ? {
          heading: t('section.foreword'),
          paragraphs: content.foreword.text.split(/\n\s*\n/).map((paragraph) => paragraph.trim()),
          byline: t('foreword.byline', { name: content.foreword.by, date: labels.date(lang, content.foreword.at) }),
        }
      : null,
    generated: t('report.generated', { date: labels.dateTime(lang, content.generatedAt) }),
    asOf: t('report.as_of', { date: labels.day(lang, content.asOf) }),
    period: t('report.period', { from: content.plan.period.from, to: content.plan.period.to }),
    formulasNote: t('report.formulas_note'),
    headings: {
      contents: t('report.contents'),
      summary: t('section.summary'),
      goals: t('section.goals'),
      comments: t('section.comments', { year: content.year }),
      overdue: t('section.overdue'),
      responses: t('section.responses', { year: content.year }),
      annexMilestones: t('section.annex_milestones'),
      annexEvidence: t('section.annex_evidence', { year: content.year }),
    },
    columns: {
      label: t('col.label'),
      milestone: t('col.milestone'),
      owner: t('col.owner'),
      due: t('col.due'),
      state: t('col.state'),
      progress: t('col.progress'),
      lastComment: t('col.last_comment'),
      goal: t('col.goal'),
      intervention: t('col.intervention'),
      yearsLate: t('col.years_late'),
      date: t('col.date'),
      comment: t('col.comment'),
      organisation: t('col.organisation'),
      answered: t('col.answered'),
      reason: t('col.reason'),
      channel: t('col.channel'),
      figure: t('figure.name'),
      value: t('figure.value'),
      formula: t('figure.formula'),
      count: t('summary.count'),
      share: t('summary.share'),
    },
    summary: {
      highlights: highlights(content, labels, lang),
      figures: figureRows(content.summary.figures),
      statesTitle: t('summary.states'),
      states: stateRows,
      reportingTitle: t('summary.reporting'),
      reporting: reporting
        ? [
            { name: t('reporting.expected'), value: labels.number(lang, reporting.expected) },
            { name: t('reporting.on_time'), value: labels.number(lang, reporting.answeredOnTime) },
            { name: t('reporting.late'), value: labels.number(lang, reporting.answeredLate) },
            { name: t('reporting.missing'), value: labels.number(lang, reporting.missing) },
            { name: t('reporting.rate'), value: pct(reporting.rate) },
          ]
        : [],
      reportingNote: reporting
        ? `${t(`reporting.state.${reporting.round.state}`)}. ${t('reporting.deadline', { date: labels.date(lang, reporting.round.deadline) })}.`
        : t('reporting.none', { year: content.year }),
      goalsChartTitle: t('summary.goals_chart'),
      goalsChart: barChart(
        t('summary.goals_chart'),
        goals.map((goal) => ({
          label: t('goal.short', { number: goal.number }),
          value: goal.figures.completion.value,
          valueText: pct(goal.figures.completion.value),
        })),
        [0, 0.25, 0.5, 0.75, 1].map((tick) =>
          new Intl.NumberFormat(labels.locale(lang), { style: 'percent', maximumFractionDigits: 0 }).format(tick),
        ),
      ),
      goalsChartText: `${t('summary.goals_chart')}: ${goals
        .map((goal) => `${t('goal.short', { number: goal.number })} ${pct(goal.figures.completion.value)}`)
        .join('; ')}.`,
      goals: goals.map((goal) => ({ label: t('goal.short', { number: goal.number }), value: pct(goal.figures.completion.value) })),
      statesChartTitle: t('summary.states_chart'),
      statesChartText: `${t('summary.states_chart')}: ${stateRows.map((row) => `${row.label} ${row.count} (${row.share})`).join('; ')}.`,
      statesChart: stateDistributionChart(
        t('summary.states_chart'),
        content.summary.states.map((row, index) => ({
          state: row.state,
          label: stateRows[index]!.label,
          count: row.count,
          shareText: stateRows[index]!.share,
        })),
      ),
    },
    priorities: content.priorities.map((priority) => ({
      heading: t('priority.heading', { name: priority.name }),
      figures: figureRows(priority.figures),
      goals: priority.goals.map((goal) => ({
        anchor: `goal-${goal.number}`,
        heading: t('goal.heading', { number: goal.number, title: goal.title }),
        criteriaTitle: t('goal.criteria'),
        criteria: goal.attainmentCriteria,
        assessment: {
          title: t('criteria.heading', { year: content.year }),
          summary: criteriaSummary(t, goal.criteria.summary),
          milestones: `${t('criteria.milestones')}: ${pct(goal.figures.completion.value)}`,
          columns: { criterion: t('col.criterion'), verdict: t('col.verdict'), justification: t('col.justification') },
          rows: goal.criteria.items.map((item) => ({
            key: item.key,
            text: item.text,
            verdict: t(`verdict.${item.verdict}`),
            verdictClass: `verdict-${item.verdict}`,
            justification: item.justification ?? '',
            evidenceUrl: item.evidenceUrl,
          })),
        },
        figuresTitle: t('goal.figures'),
        figures: figureRows(goal.figures),
        annexPointer: { text: t('goal.milestones_pointer', { number: goal.number }), href: `#annex-a-goal-${goal.number}` },
        atRisk: atRiskView(goal),
      })),
    })),
    annexMilestones: {
      intro: t('annex_a.intro'),
      goals: goals.map((goal) => ({
        anchor: `annex-a-goal-${goal.number}`,
        heading: t('goal.heading', { number: goal.number, title: goal.title }),
        budgetTitle: t('goal.budget'),
        budget:
          goal.budget === null
            ? null
            : {
                partnerHeader: t('budget.partner'),
                amountHeader: t('budget.amount', { currency: goal.budget.currency }),
                lines: goal.budget.lines.map((line) => ({ partner: line.partner, amount: labels.number(lang, line.amount) })),
                totalLabel: t('budget.total'),
                total: goal.budget.total === null ? null : labels.number(lang, goal.budget.total),
              },
        noBudget: t('goal.no_budget'),
        ownContributionsTitle: t('goal.own_contributions'),
        ownContributions: goal.contributions.map(contributionView),
        interventions: goal.interventions.map((intervention) => ({
          heading: t('intervention.heading', { code: intervention.code, title: intervention.title }),
          partners: intervention.partners.length ? t('intervention.partners', { partners: intervention.partners.join(', ') }) : null,
          completion: {
            name: t('figure.completion'),
            value: pct(intervention.figures.completion.value),
            formula: labels.formula(lang, 'completion', intervention.figures),
          },
          contributions: intervention.contributions.map(contributionView),
          none: t('intervention.no_contributions'),
        })),
      })),
    },
    annexEvidence: evidenceView(),
    noMilestones: t('milestones.none'),
    comments: {
      none: t('comments.none', { year: content.year }),
      more: content.comments.length > printedLimit ? t('comments.more', { count: content.comments.length - printedLimit }) : null,
      rows: content.comments.slice(0, printedLimit).map((comment) => ({
        date: labels.date(lang, comment.at),
        goal: String(comment.goal),
        intervention: comment.intervention ?? '',
        label: comment.label ?? '',
        milestone: comment.milestone,
        owner: comment.owner,
        state: state(comment.state),
        comment: comment.comment,
        // How a committee answered is no reader's concern; a correction by the secretariat and a late answer are.
        channel: [
          ...(comment.channel === 'secretariat' ? [t('comments.corrected')] : []),
          ...(comment.late ? [t('comments.late')] : []),
        ].join(', '),
        long: comment.comment.length > LONG_TEXT,
      })),
    },
    overdue: {
      intro: t('overdue.intro', { year: content.year - 1, count: content.overdue.length }),
      none: t('overdue.none'),
      more: content.overdue.length > printedLimit ? t('overdue.more', { count: content.overdue.length - printedLimit }) : null,
      rows: content.overdue.slice(0, printedLimit).map((item) => ({
        goal: String(item.goal),
        intervention: item.intervention ?? '',
        label: item.label ?? '',
        milestone: item.text,
        owner: item.owner,
        due: labels.due(lang, item.dueFrom, item.dueTo),
        state: state(item.state),
        yearsLate: labels.number(lang, item.yearsLate),
        lastComment: item.lastUpdate?.comment ?? '',
      })),
    },
    responses: {
      none: content.responses === null ? t('reporting.none', { year: content.year }) : null,
      groups:
        content.responses === null
          ? []
          : [
              {
                title: t('responses.on_time'),
                rows: content.responses.onTime.map((row) => ({
                  organisation: row.organisation,
                  detail: row.answeredAt ? labels.date(lang, row.answeredAt) : '',
                })),
              },
              {
                title: t('responses.late'),
                rows: content.responses.late.map((row) => ({
                  organisation: row.organisation,
                  detail: row.answeredAt ? labels.date(lang, row.answeredAt) : '',
                })),
              },
              {
                title: t('responses.missing'),
                rows: content.responses.missing.map((row) => ({ organisation: row.organisation, detail: reason(row.reason) })),
              },
            ],
      nobody: t('responses.nobody'),
    },
    pageLabel: t('report.page'),
  };
}

/** A comment cut to fit a goal's half page, at a word where it can; Annex A and the year's comments give it whole. */
function brief(text: string): string {
  if (text.length <= LONG_TEXT) return text;
  return `${text.slice(0, LONG_TEXT).replace(/\s+\S*$/, '')} …`;
}

/** A goal's milestones in the plan's order: its own contributions first, then each intervention's. */
function goalMilestones(goal: GoalBlock): MilestoneRow[] {
  return [
    ...goal.contributions.flatMap((contribution) => contribution.milestones),
    ...goal.interventions.flatMap((intervention) => intervention.contributions.flatMap((contribution) => contribution.milestones)),
  ];
}

/** "3 af 4 kriterier opfyldt, 1 delvist": the same sentence as the dashboard's goal page. */
function criteriaSummary(
  t: (key: string, params?: Record<string, unknown>) => string,
  summary: { total: number; met: number; partlyMet: number; notMet: number; notAssessed: number },
): string {
  const parts = [t('criteria.met_of', { count: summary.total, met: summary.met })];
  if (summary.partlyMet) parts.push(t('criteria.partly', { count: summary.partlyMet }));
  if (summary.notMet) parts.push(t('criteria.not_met', { count: summary.notMet }));
  if (summary.notAssessed) parts.push(t('criteria.not_assessed', { count: summary.notAssessed }));
  return parts.join(', ');
}
