import { yearsLate } from './attainment.formulas.js';
import { notFound } from '../common/refusal.js';
import { Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { localDate, parseDayOrInstant } from '../common/dates.js';
import type { Page, Pagination } from '../common/pagination.js';
import { toSkipTake } from '../common/pagination.js';
import { AppConfig } from '../config/config.module.js';
import {
  budgetWeighted,
  completionOf,
  emptyTally,
  figures,
  singleCurrency,
  type Reference,
  type Tally,
  type WeightedPart,
} from './attainment.formulas.js';
import {
  AttainmentRepository,
  type ContributionOutline,
  type GoalOutline,
  type OverdueRow,
  type TallyLevel,
  type TallyRow,
} from './attainment.repository.js';
import { lockOf, RecordsRepository, yearCut, type ApprovalEvent, type RecordCut } from './records.repository.js';

/**
 * Which figures: `year` for that reporting year's figures of record; `at` (a day, to its end, or
 * an instant) for the history as it stood then; otherwise the current states, with `asOf`'s year
 * (default: today's) as the reference year of "overdue".
 */
export type When = { asOf?: string; year?: number; at?: string } | string | undefined;

/** What a set of figures is of, said in every answer that carries them. */
export interface FiguresOf {
  kind: 'current' | 'at' | 'year-of-record';
  year: number | null;
  /** Corrections and other dated changes count up to this moment (null for current figures). */
  cutoff: string | null;
  /** For a year of record: whether the secretariat approved it, when and by whom; null while not approved. */
  approval: { at: string; by: string; reason: string | null } | null;
  /** Every approval and reopening of the year, oldest first. */
  approvals: { action: string; at: string; by: string; reason: string | null }[];
}

interface Resolved {
  reference: Reference;
  cut: RecordCut | undefined;
  figuresOf: FiguresOf;
}

const presentEvent = (event: ApprovalEvent) => ({
  action: event.action,
  at: event.at.toISOString(),
  by: event.actorName,
  reason: event.reason,
});

/** The levels of the plan's tree, from the top; a view of the attainment stops at one of them. */
export const TREE_LEVELS = ['plan', 'priorities', 'goals', 'interventions', 'contributions'] as const;
export type TreeLevel = (typeof TREE_LEVELS)[number];

/** How much of the plan's attainment to build: the whole tree and the organisations unless asked for less. */
export interface AttainmentView {
  depth: TreeLevel;
  organisations: boolean;
}

const WHOLE: AttainmentView = { depth: 'contributions', organisations: true };

/** A view with every level present; nothing in the attainment is optional otherwise. */
type Whole<T> = T extends (infer U)[] ? Whole<U>[] : T extends object ? { [K in keyof T]-?: Whole<T[K]> } : T;
export type PlanAttainment = Whole<Awaited<ReturnType<AttainmentService['planView']>>>;
const reaches = (view: AttainmentView, level: TreeLevel) => TREE_LEVELS.indexOf(view.depth) >= TREE_LEVELS.indexOf(level);

/** Completion of the plan and of each goal (in plan order) in each year of the plan so far. */
export type Trend = Awaited<ReturnType<AttainmentService['trend']>>;

export interface OverdueQuery {
  planId: number;
  asOf?: string;
  /** The overdue list by the figures of record of this year (read whole, then paged). */
  year?: number;
  organisationId?: number;
  goalNumber?: number;
  interventionCode?: string;
}

/** Tallies by level and id, with an empty tally for anything that has no milestones. */
class Tallies {
  private readonly rows = new Map<string, Tally>();

  constructor(rows: TallyRow[]) {
    for (const { level, id, ...tally } of rows) this.rows.set(`${level}:${id}`, tally);
  }

  of(level: TallyLevel, id: number | null = null): Tally {
    return this.rows.get(`${level}:${id}`) ?? emptyTally();
  }
}

/**
 * Attainment of the plan at every level, the overdue list and a milestone's history. The counting
 * is done by the database; this service hangs the tallies on the plan's tree and applies the rules
 * (what completion, overdue and budget weighting mean) in attainment.formulas.ts.
 */
@Injectable()
export class AttainmentService {
  constructor(
    private readonly attainment: AttainmentRepository,
    private readonly records: RecordsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** `asOf` as given, or today where the secretariat sits: a request at 00:30 on 1 January is in the new year. */
  reference(asOf?: string): Reference {
    const day = asOf ?? localDate(this.clock.now(), this.config.get('TZ'));
    return { asOf: day, year: Number(day.slice(0, 4)) };
  }

  /**
   * What figures `when` asks for, and the cut of the history they are made of. A year's figures
   * of record take its round's answers and earlier rounds' whenever they came, and other dated
   * changes (corrections) up to the year's approval or, without one, its round's close (the end
   * of the year where it had no round), but never past the opening of the next year's round.
   */
  async resolve(planId: number, when: When): Promise<Resolved> {
    const { asOf, year, at } = typeof when === 'string' || when === undefined ? { asOf: when, year: undefined, at: undefined } : when;
    const timeZone = this.config.get('TZ');
    if (year !== undefined) {
      const standing = await this.records.yearStanding(planId, year);
      const lock = lockOf(standing.events);
      const cut = yearCut(year, standing, timeZone);
      return {
        reference: { asOf: `${year}-12-31`, year },
        cut,
        figuresOf: {
          kind: 'year-of-record',
          year,
          cutoff: cut.cutoff.toISOString(),
          approval: lock && { at: lock.at.toISOString(), by: lock.actorName, reason: lock.reason },
          approvals: standing.events.map(presentEvent),
        },
      };
    }
    if (at === undefined)
      return {
        reference: this.reference(asOf),
        cut: undefined,
        figuresOf: { kind: 'current', year: null, cutoff: null, approval: null, approvals: [] },
      };
    const cutoff = parseDayOrInstant(at, 'end', timeZone);
    return {
      reference: this.reference(localDate(cutoff, timeZone)),
      cut: { year: null, cutoff },
      figuresOf: { kind: 'at', year: null, cutoff: cutoff.toISOString(), approval: null, approvals: [] },
    };
  }

  /** The plan's figures at every level of its tree, and every organisation's. */
  async plan(planId: number, when?: When): Promise<PlanAttainment> {
    return (await this.planView(planId, when, WHOLE)) as PlanAttainment;
  }

  /**
   * The plan's figures and, down to `view.depth`, its tree's; the organisations' with
   * `view.organisations`. Every figure is computed the same way at any depth (a goal's budget
   * weighting still looks at its contributions); only the answer is smaller.
   */
  async planView(planId: number, when: When, view: AttainmentView) {
    const { reference, cut, figuresOf } = await this.resolve(planId, when);
    const [plan, organisations, rows] = await Promise.all([
      this.attainment.findPlanOutline(planId),
      view.organisations ? this.attainment.findOrganisations(planId) : null,
      this.attainment.tallies(planId, reference.year, undefined, cut),
    ]);
    if (!plan) throw new NotFoundException(`There is no plan with id ${planId}.`);
    const tallies = new Tallies(rows);
    const goalLabel = (goal: GoalOutline) => `goal ${goal.number}`;
    const goalPart = (goal: GoalOutline): WeightedPart => ({
      label: goalLabel(goal),
      completion: completionOf(tallies.of('goal', goal.id)),
      budget: goal.budgetTotal,
      currency: goal.budgetCurrency,
    });
    const allGoals = plan.priorities.flatMap((priority) => priority.goals);
    return {
      plan: {
        id: plan.id,
        slug: plan.slug,
        title: plan.title,
        currency: plan.currency,
        period: { from: plan.periodFrom, to: plan.periodTo },
      },
      asOf: reference.asOf,
      referenceYear: reference.year,
      figuresOf,
      figures: figures(tallies.of('plan'), reference, budgetWeighted(allGoals.map(goalPart), plan.currency, 'goal budget totals')),
      ...(reaches(view, 'priorities') && {
        priorities: plan.priorities.map((priority) => ({
          name: priority.name,
          figures: figures(
            tallies.of('priority', priority.id),
            reference,
            budgetWeighted(priority.goals.map(goalPart), plan.currency, 'goal budget totals'),
          ),
          ...(reaches(view, 'goals') && { goals: priority.goals.map((goal) => this.goalNode(goal, tallies, reference, view)) }),
        })),
      }),
      ...(organisations && {
        organisations: organisations.map((organisation) => ({
          id: organisation.id,
          name: organisation.name,
          figures: figures(tallies.of('organisation', organisation.id), reference),
        })),
      }),
    };
  }

  async goal(planId: number, number: number, when?: When) {
    const goal = await this.attainment.findGoalOutline(planId, number);
    if (!goal) throw notFound('problem.no_goal', { number }, `The plan has no goal ${number}.`);
    const { reference, cut, figuresOf } = await this.resolve(planId, when);
    const tallies = new Tallies(await this.attainment.tallies(planId, reference.year, goal.id, cut));
    return {
      asOf: reference.asOf,
      referenceYear: reference.year,
      figuresOf,
      priority: goal.priority.name,
      ...this.goalNode(goal, tallies, reference),
    };
  }

  private goalNode(goal: GoalOutline, tallies: Tallies, reference: Reference, view: AttainmentView = WHOLE) {
    const contributionNode = (contribution: ContributionOutline) => ({
      key: contribution.key,
      organisation: contribution.organisation.name,
      figures: figures(tallies.of('contribution', contribution.id), reference),
    });
    const contributions = [...goal.contributions, ...goal.interventions.flatMap((intervention) => intervention.contributions)];
    const parts: WeightedPart[] = contributions.map((contribution) => ({
      label: contribution.key,
      completion: completionOf(tallies.of('contribution', contribution.id)),
      budget: contribution.budgetCurrency === null ? null : contribution.budgetAmount,
      currency: contribution.budgetCurrency,
    }));
    const currency = singleCurrency(parts);
    return {
      number: goal.number,
      title: goal.title,
      figures: figures(
        tallies.of('goal', goal.id),
        reference,
        currency === null ? null : budgetWeighted(parts, currency, 'contribution budgets'),
      ),
      ...(reaches(view, 'interventions') && {
        interventions: goal.interventions.map((intervention) => ({
          code: intervention.code,
          title: intervention.title,
          figures: figures(tallies.of('intervention', intervention.id), reference),
          ...(reaches(view, 'contributions') && { contributions: intervention.contributions.map(contributionNode) }),
        })),
      }),
      ...(reaches(view, 'contributions') && { contributions: goal.contributions.map(contributionNode) }),
    };
  }

  async overdue(
    query: OverdueQuery,
    pagination: Pagination,
  ): Promise<Page<ReturnType<typeof presentOverdue>> & { asOf: string; referenceYear: number }> {
    if (query.year !== undefined) {
      const all = (await this.recordedOverdue(query.planId, query.year)).filter(
        (row) =>
          (query.organisationId === undefined || row.owner.id === query.organisationId) &&
          (query.goalNumber === undefined || row.goal === query.goalNumber) &&
          (query.interventionCode === undefined || row.intervention === query.interventionCode),
      );
      const { skip, take } = toSkipTake(pagination);
      return {
        asOf: `${query.year}-12-31`,
        referenceYear: query.year,
        items: all.slice(skip, skip + take),
        page: pagination.page,
        pageSize: pagination.pageSize,
        total: all.length,
      };
    }
    const reference = this.reference(query.asOf);
    const filter = { ...query, referenceYear: reference.year };
    const { total, rows } = await this.attainment.findOverdue(filter, toSkipTake(pagination));
    return {
      asOf: reference.asOf,
      referenceYear: reference.year,
      items: rows.map(presentOverdue),
      page: pagination.page,
      pageSize: pagination.pageSize,
      total,
    };
  }

  /**
   * Completion of the plan and of each goal in every year of the plan up to this one, each by
   * that year's figures of record (an approved year's as kept, others counted from the history).
   */
  async trend(planId: number) {
    const plan = await this.attainment.findPlanOutline(planId);
    if (!plan) throw new NotFoundException(`There is no plan with id ${planId}.`);
    const goals = plan.priorities.flatMap((priority) => priority.goals);
    const last = Math.min(plan.periodTo, this.reference().year);
    const years = [];
    for (let year = plan.periodFrom; year <= last; year++) {
      const { cut } = await this.resolve(planId, { year });
      const tallies = new Tallies(await this.attainment.tallies(planId, year, undefined, cut));
      years.push({
        year,
        approved: cut?.approval !== undefined,
        plan: completionOf(tallies.of('plan')),
        goals: goals.map((goal) => completionOf(tallies.of('goal', goal.id))),
      });
    }
    return { goals: goals.map((goal) => ({ number: goal.number, title: goal.title })), years };
  }

  /** Each milestone's state and progress in the year's figures of record. */
  recordedStates(planId: number, cut: RecordCut) {
    return this.attainment.findRecordedStates(planId, cut);
  }

  /** Every overdue milestone by the year's figures of record, the most years late first. */
  async recordedOverdue(planId: number, year: number) {
    const { reference, cut } = await this.resolve(planId, { year });
    return (await this.attainment.findRecordedOverdue(planId, reference.year, cut!)).map(presentOverdue);
  }

  async history(milestoneId: number) {
    const milestone = await this.attainment.findMilestone(milestoneId);
    if (!milestone) throw notFound('problem.no_milestone', { id: milestoneId }, `There is no milestone with id ${milestoneId}.`);
    const updates = await this.attainment.findUpdates(milestoneId);
    const reference = this.reference();
    return {
      /** Whether it is overdue today, by the rule every figure uses. */
      overdue: { asOf: reference.asOf, yearsLate: yearsLate(milestone, reference.year) },
      milestone: {
        id: milestone.id,
        key: milestone.key,
        label: milestone.label,
        text: milestone.text,
        state: milestone.state,
        progress: milestone.progress,
        dueFrom: milestone.dueFrom,
        dueTo: milestone.dueTo,
        owner: milestone.contribution.organisation,
        goal: milestone.contribution.goal.number,
        intervention: milestone.contribution.intervention?.code ?? null,
      },
      updates: updates.map((update) => ({
        id: update.id,
        createdAt: update.createdAt,
        actor: update.actor,
        channel: update.channel,
        fromState: update.fromState,
        toState: update.toState,
        progress: update.progress,
        comment: update.comment,
        evidenceUrl: update.evidenceUrl,
        late: update.late,
        requestId: update.requestId,
        reportingYear: update.reportingYear,
        reason: update.reason,
      })),
    };
  }
}

function presentOverdue(row: OverdueRow) {
  return {
    id: row.id,
    key: row.key,
    owner: { id: row.organisationId, name: row.organisationName },
    goal: row.goalNumber,
    intervention: row.interventionCode,
    contribution: row.contributionKey,
    label: row.label,
    text: row.text,
    dueFrom: row.dueFrom,
    dueTo: row.dueTo,
    state: row.state,
    progress: row.progress,
    yearsLate: row.yearsLate,
    lastUpdate:
      row.lastState === null
        ? null
        : { state: row.lastState, comment: row.lastComment, channel: row.lastChannel, actor: row.lastActor, createdAt: row.lastCreatedAt },
  };
}
