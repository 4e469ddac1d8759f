import type { Figures } from '../progress/attainment.formulas.js';
import type { CriterionVerdict } from '../generated/db/enums.js';
import { summariseCriteria, type CriteriaSummary } from '../progress/criteria.service.js';
import type { AttainmentService } from '../progress/attainment.service.js';
import { requestStanding } from '../reporting/request-standing.js';
import type { PlanService } from '../plan/plan.service.js';
import { MILESTONE_STATES, type MilestoneStateName } from '../common/milestone-states.js';

/**
 * The content model of the annual status report: everything any format shows, as plain JSON.
 * It is stored with the report (AnnualReport.snapshot) and every renderer works from the stored
 * copy, so a report made last January still shows what was known then, and the HTML, PDF, DOCX
 * and XLSX of one report can never disagree. Building it is a pure function of what the
 * repositories and services read, with every list in an explicit order, so the same data gives
 * the same snapshot apart from `generatedAt`.
 */

export const REPORT_LANGUAGES = ['da', 'sv', 'nb', 'en'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

export const REPORT_FORMATS = ['html', 'pdf', 'docx', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Bumped when the shape changes, so a renderer can tell an old snapshot from a new one. */
export const CONTENT_VERSION = 1;

export interface LastComment {
  text: string;
  /** ISO instant. */
  at: string;
  channel: string;
}

export interface MilestoneRow {
  key: string;
  label: string | null;
  kind: 'milestone' | 'deliverable';
  text: string;
  owner: string;
  goal: number;
  intervention: string | null;
  contribution: string;
  dueFrom: number | null;
  dueTo: number | null;
  state: MilestoneStateName;
  progress: number;
  lastComment: LastComment | null;
}

export interface ContributionBlock {
  key: string;
  organisation: string;
  summary: string;
  budget: { currency: string; amount: number } | null;
  figures: Figures;
  milestones: MilestoneRow[];
}

export interface InterventionBlock {
  code: string;
  title: string;
  partners: string[];
  figures: Figures;
  contributions: ContributionBlock[];
}

export interface GoalBlock {
  number: number;
  title: string;
  /** The plan's "Målopnåelse": what counts as reaching the goal, as written. */
  attainmentCriteria: string[];
  budget: { currency: string; total: number | null; lines: { partner: string; amount: number }[] } | null;
  figures: Figures;
  /** The goal attainment by its criteria: each assessable item with the year's verdict. */
  criteria: {
    summary: CriteriaSummary;
    items: { key: string; text: string; verdict: CriterionVerdict; justification: string | null; evidenceUrl: string | null }[];
  };
  /** Contributions to the goal's opening row (no intervention). */
  contributions: ContributionBlock[];
  interventions: InterventionBlock[];
}

export interface PriorityBlock {
  name: string;
  figures: Figures;
  goals: GoalBlock[];
}

export interface ReportingRate {
  round: {
    id: number;
    state: 'scheduled' | 'open' | 'closed';
    opensAt: string;
    deadline: string;
    graceUntil: string;
    closedAt: string | null;
  };
  expected: number;
  answeredOnTime: number;
  answeredLate: number;
  missing: number;
  /** (on time + late) / expected; null when nobody was asked. */
  rate: number | null;
}

export type MissingReason = 'missing' | 'partial' | 'no_contact' | 'bounced';

export interface Responses {
  onTime: { organisation: string; answeredAt: string | null }[];
  late: { organisation: string; answeredAt: string | null }[];
  missing: { organisation: string; reason: MissingReason }[];
}

export interface NarrativeComment {
  at: string;
  milestoneKey: string;
  label: string | null;
  milestone: string;
  owner: string;
  goal: number;
  intervention: string | null;
  state: MilestoneStateName;
  progress: number;
  comment: string;
  channel: string;
  late: boolean;
}

export interface OverdueEntry {
  key: string;
  owner: string;
  goal: number;
  intervention: string | null;
  contribution: string;
  label: string | null;
  text: string;
  dueFrom: number | null;
  dueTo: number;
  state: MilestoneStateName;
  progress: number;
  yearsLate: number;
  lastUpdate: { state: string; comment: string | null; channel: string | null; at: string | null } | null;
}

/** A file kept as evidence on a milestone (a reply's attachment or an upload), as the annex lists it. */
export interface EvidenceFile {
  milestoneKey: string;
  label: string | null;
  milestone: string;
  owner: string;
  goal: number;
  intervention: string | null;
  fileName: string;
  size: number;
  /** ISO instant it was received. */
  at: string;
  channel: string;
  /** Who sent it: the organisation whose link or reply it came with, else the reply's address (absent in older snapshots). */
  organisation?: string | null;
}

export interface ReportApproval {
  at: string;
  by: string;
  reason: string | null;
}

export interface AnnualReportContent {
  version: typeof CONTENT_VERSION;
  language: ReportLanguage;
  year: number;
  /** `${year}-12-31`: the reference day of every figure. */
  asOf: string;
  /** ISO instant; the one thing that differs between two reports made from the same data. */
  generatedAt: string;
  /** The year's round was still scheduled or open, and the year not approved. */
  preliminary: boolean;
  /** The secretariat's approval of the year's figures of record; null (or absent, in older snapshots) while not approved. */
  approval?: ReportApproval | null;
  /** Every approval and reopening of the year (a reopening with its reason), oldest first. */
  approvals?: { action: string; at: string; by: string; reason: string | null }[];
  /** The secretariat's foreword for the year; null (or absent, in older snapshots) without one. */
  foreword?: { text: string; by: string; at: string } | null;
  plan: { id: number; slug: string; title: string; currency: string; period: { from: number; to: number } };
  summary: {
    figures: Figures;
    /** Every state, in the plan's order of states, with its count. */
    states: { state: MilestoneStateName; count: number }[];
    overdue: number;
    reporting: ReportingRate | null;
  };
  priorities: PriorityBlock[];
  /** Comments submitted during the year (not imported ones), oldest first. */
  comments: NarrativeComment[];
  /** AttainmentService.recordedOverdue for the year, in its order (most years late first). */
  overdue: OverdueEntry[];
  /** Who answered the year's round on time, late, or not at all; null without a round. */
  responses: Responses | null;
  /** Files kept on the plan's milestones up to the figures' cut, per milestone in the plan's order (absent in older snapshots). */
  files?: EvidenceFile[];
}

// ─────────────────────────── building ───────────────────────────

export type PlanTree = Awaited<ReturnType<PlanService['planTree']>>;
export type PlanAttainment = Awaited<ReturnType<AttainmentService['plan']>>;
export type OverdueItem = Awaited<ReturnType<AttainmentService['recordedOverdue']>>[number];

export interface RoundRequestRow {
  organisation: string;
  status: 'sent' | 'answered' | 'no_contact' | 'bounced';
  late: boolean;
  answeredAt: Date | null;
  required: number;
  answered: number;
}

export interface RoundRow {
  id: number;
  state: 'scheduled' | 'open' | 'closed';
  opensAt: Date;
  deadline: Date;
  graceUntil: Date;
  closedAt: Date | null;
  requests: RoundRequestRow[];
}

export interface CommentRow {
  id: number;
  createdAt: Date;
  milestoneKey: string;
  label: string | null;
  milestone: string;
  owner: string;
  goal: number;
  intervention: string | null;
  toState: MilestoneStateName;
  progress: number;
  comment: string;
  channel: string;
  late: boolean;
}

export interface ContentInput {
  language: ReportLanguage;
  year: number;
  generatedAt: Date;
  tree: PlanTree;
  attainment: PlanAttainment;
  /** Latest comment (not imported) per milestone id. */
  lastComments: Map<number, LastComment>;
  /** The year's assessment per criterion id; a criterion missing here is not assessed. */
  criteriaAssessments?: Map<number, { verdict: CriterionVerdict; justification: string; evidenceUrl: string | null }>;
  comments: CommentRow[];
  overdue: OverdueItem[];
  /** Files kept per milestone id, oldest first. */
  files?: Map<number, { fileName: string; size: number; createdAt: Date; source: string; sender: string | null }[]>;
  round: RoundRow | null;
  /** Each milestone's state and progress of record for the year; milestones absent did not exist then. */
  states: Map<number, { state: MilestoneStateName; progress: number }>;
  approval: ReportApproval | null;
  approvals: NonNullable<AnnualReportContent['approvals']>;
  foreword?: AnnualReportContent['foreword'];
}

/** Strings compared by code unit: the same order on every machine, whatever its locale. */
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export const asOfDay = (year: number) => `${year}-12-31`;

/** A round still scheduled or open may yet change the figures. */
export const isPreliminary = (round: { state: string } | null) => round !== null && round.state !== 'closed';

/** How one organisation stands in a round (the one rule, requestStanding), with late answers apart. */
function standing(request: RoundRequestRow): 'on_time' | 'late' | MissingReason {
  const standing = requestStanding(request);
  if (standing === 'answered') return request.late ? 'late' : 'on_time';
  return standing;
}

export function buildContent(input: ContentInput): AnnualReportContent {
  const { tree, attainment } = input;
  const figuresOf = indexFigures(attainment);

  const milestoneRow =
    (contribution: PlanTree['priorities'][number]['goals'][number]['contributions'][number], goal: number, intervention: string | null) =>
    (milestone: (typeof contribution.milestones)[number]): MilestoneRow => ({
      key: milestone.key,
      label: milestone.label,
      kind: milestone.kind,
      text: milestone.text,
      owner: contribution.organisation,
      goal,
      intervention,
      contribution: contribution.key,
      dueFrom: milestone.dueFrom,
      dueTo: milestone.dueTo,
      state: input.states.get(milestone.id)!.state,
      progress: input.states.get(milestone.id)!.progress,
      lastComment: input.lastComments.get(milestone.id) ?? null,
    });

  const contributionBlock =
    (goal: number, intervention: string | null) =>
    (contribution: PlanTree['priorities'][number]['goals'][number]['contributions'][number]): ContributionBlock => ({
      key: contribution.key,
      organisation: contribution.organisation,
      summary: contribution.summary,
      budget: contribution.budget,
      figures: figuresOf.contribution(contribution.key),
      // The plan's order: PlanRepository reads every level of the tree ordered by position.
      milestones: contribution.milestones.filter((m) => input.states.has(m.id)).map(milestoneRow(contribution, goal, intervention)),
    });

  const priorities: PriorityBlock[] = tree.priorities.map((priority) => ({
    name: priority.name,
    figures: figuresOf.priority(priority.name),
    goals: priority.goals.map((goal) => ({
      number: goal.number,
      title: goal.title,
      attainmentCriteria: [...goal.attainmentCriteria],
      budget:
        goal.budget === null
          ? null
          : { currency: goal.budget.currency, total: goal.budget.total, lines: goal.budget.lines.map((line) => ({ ...line })) },
      figures: figuresOf.goal(goal.number),
      criteria: criteriaBlock(goal.criteria, input.criteriaAssessments ?? NO_ASSESSMENTS),
      contributions: goal.contributions.map(contributionBlock(goal.number, null)),
      interventions: goal.interventions.map((intervention) => ({
        code: intervention.code,
        title: intervention.title,
        partners: [...intervention.partners],
        figures: figuresOf.intervention(intervention.code),
        contributions: intervention.contributions.map(contributionBlock(goal.number, intervention.code)),
      })),
    })),
  }));

  const planFigures = attainment.figures;
  const comments = [...input.comments]
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id)
    .map((row): NarrativeComment => ({
      at: row.createdAt.toISOString(),
      milestoneKey: row.milestoneKey,
      label: row.label,
      milestone: row.milestone,
      owner: row.owner,
      goal: row.goal,
      intervention: row.intervention,
      state: row.toState,
      progress: row.progress,
      comment: row.comment,
      channel: row.channel,
      late: row.late,
    }));

  const overdue = input.overdue.map((item): OverdueEntry => ({
    key: item.key,
    owner: item.owner.name,
    goal: item.goal,
    intervention: item.intervention,
    contribution: item.contribution,
    label: item.label,
    text: item.text,
    dueFrom: item.dueFrom,
    dueTo: item.dueTo,
    state: item.state as MilestoneStateName,
    progress: item.progress,
    yearsLate: item.yearsLate,
    lastUpdate:
      item.lastUpdate === null
        ? null
        : {
            state: item.lastUpdate.state,
            comment: item.lastUpdate.comment,
            channel: item.lastUpdate.channel,
            at: iso(item.lastUpdate.createdAt),
          },
  }));

  let reporting: ReportingRate | null = null;
  let responses: Responses | null = null;
  if (input.round) {
    const round = input.round;
    const requests = [...round.requests].sort((a, b) => byString(a.organisation, b.organisation));
    responses = { onTime: [], late: [], missing: [] };
    for (const request of requests) {
      const where = standing(request);
      if (where === 'on_time') responses.onTime.push({ organisation: request.organisation, answeredAt: iso(request.answeredAt) });
      else if (where === 'late') responses.late.push({ organisation: request.organisation, answeredAt: iso(request.answeredAt) });
      else responses.missing.push({ organisation: request.organisation, reason: where });
    }
    const answered = responses.onTime.length + responses.late.length;
    reporting = {
      round: {
        id: round.id,
        state: round.state,
        opensAt: round.opensAt.toISOString(),
        deadline: round.deadline.toISOString(),
        graceUntil: round.graceUntil.toISOString(),
        closedAt: iso(round.closedAt),
      },
      expected: requests.length,
      answeredOnTime: responses.onTime.length,
      answeredLate: responses.late.length,
      missing: responses.missing.length,
      rate: requests.length === 0 ? null : answered / requests.length,
    };
  }

  const content: AnnualReportContent = {
    version: CONTENT_VERSION,
    language: input.language,
    year: input.year,
    asOf: attainment.asOf,
    generatedAt: input.generatedAt.toISOString(),
    preliminary: input.approval === null && isPreliminary(input.round),
    approval: input.approval,
    approvals: input.approvals,
    foreword: input.foreword ?? null,
    plan: {
      id: tree.id,
      slug: tree.slug,
      title: tree.title,
      currency: tree.currency,
      period: { from: tree.period.from, to: tree.period.to },
    },
    summary: {
      figures: planFigures,
      states: MILESTONE_STATES.map((state) => ({ state, count: planFigures.counts[state] })),
      overdue: planFigures.overdue.count,
      reporting,
    },
    priorities,
    comments,
    overdue,
    responses,
    files: filesOf(input, milestonesInOrder(priorities)),
  };
  // Through JSON once: what is stored is exactly what the renderers will read back.
  return JSON.parse(JSON.stringify(content)) as AnnualReportContent;
}

/** Every milestone row of the report with its plan id, in the report's order. */
function milestonesInOrder(priorities: PriorityBlock[]): MilestoneRow[] {
  return priorities.flatMap((priority) =>
    priority.goals.flatMap((goal) => [
      ...goal.contributions.flatMap((contribution) => contribution.milestones),
      ...goal.interventions.flatMap((intervention) => intervention.contributions.flatMap((contribution) => contribution.milestones)),
    ]),
  );
}

function filesOf(input: ContentInput, rows: MilestoneRow[]): EvidenceFile[] {
  if (!input.files || input.files.size === 0) return [];
  const ids = new Map(
    input.tree.priorities.flatMap((priority) =>
      priority.goals.flatMap((goal) =>
        [...goal.contributions, ...goal.interventions.flatMap((intervention) => intervention.contributions)].flatMap((contribution) =>
          contribution.milestones.map((milestone) => [milestone.key, milestone.id] as const),
        ),
      ),
    ),
  );
  return rows.flatMap((row) =>
    (input.files!.get(ids.get(row.key)!) ?? []).map((file) => ({
      milestoneKey: row.key,
      label: row.label,
      milestone: row.text,
      owner: row.owner,
      goal: row.goal,
      intervention: row.intervention,
      fileName: file.fileName,
      size: file.size,
      at: file.createdAt.toISOString(),
      channel: file.source,
      organisation: file.sender,
    })),
  );
}

/** The attainment tree indexed by the plan's own identities: priority name, goal number, code, contribution key. */
function indexFigures(attainment: PlanAttainment) {
  const priorities = new Map<string, Figures>();
  const goals = new Map<number, Figures>();
  const interventions = new Map<string, Figures>();
  const contributions = new Map<string, Figures>();
  for (const priority of attainment.priorities) {
    priorities.set(priority.name, priority.figures);
    for (const goal of priority.goals) {
      goals.set(goal.number, goal.figures);
      for (const contribution of goal.contributions) contributions.set(contribution.key, contribution.figures);
      for (const intervention of goal.interventions) {
        interventions.set(intervention.code, intervention.figures);
        for (const contribution of intervention.contributions) contributions.set(contribution.key, contribution.figures);
      }
    }
  }
  const get =
    <K>(map: Map<K, Figures>, what: string) =>
    (key: K) => {
      const figures = map.get(key);
      // The tree and the attainment are read from the same plan a moment apart: a mismatch is a re-import in between.
      if (!figures)
        throw new Error(`No attainment figures for ${what} ${String(key)}: was the plan re-imported while the report was made?`);
      return figures;
    };
  return {
    priority: get(priorities, 'priority'),
    goal: get(goals, 'goal'),
    intervention: get(interventions, 'intervention'),
    contribution: get(contributions, 'contribution'),
  };
}

const NO_ASSESSMENTS: NonNullable<ContentInput['criteriaAssessments']> = new Map();

function criteriaBlock(
  criteria: { id: number; key: string; text: string }[],
  assessments: NonNullable<ContentInput['criteriaAssessments']>,
): GoalBlock['criteria'] {
  const items = criteria.map((criterion) => {
    const assessment = assessments.get(criterion.id);
    return {
      key: criterion.key,
      text: criterion.text,
      verdict: assessment?.verdict ?? 'not_assessed',
      justification: assessment?.justification || null,
      evidenceUrl: assessment?.evidenceUrl ?? null,
    };
  });
  return { summary: summariseCriteria(items.map((item) => item.verdict)), items };
}
