import { Injectable } from '@nestjs/common';
import { sql, type ExpressionBuilder, type QueryCreator, type SelectQueryBuilder } from 'kysely';
import { Database, type Tx } from '../database/database.js';
import type { MilestoneState } from '../generated/db/enums.js';
import type { DB } from '../generated/db/schema.js';
import type { Tally } from './attainment.formulas.js';
import { OPEN_STATES } from '../common/milestone-states.js';
import { inRecord, type RecordCut } from './records.repository.js';

export type TallyLevel = 'contribution' | 'intervention' | 'goal' | 'priority' | 'organisation' | 'plan';

export interface TallyRow extends Tally {
  level: TallyLevel;
  /** The contribution, intervention, goal, priority or organisation id; null for the plan. */
  id: number | null;
}

export interface OverdueFilter {
  planId: number;
  referenceYear: number;
  organisationId?: number;
  goalNumber?: number;
  interventionCode?: string;
}

export interface OverdueRow {
  id: number;
  key: string;
  label: string | null;
  text: string;
  dueFrom: number | null;
  dueTo: number;
  state: string;
  progress: number;
  yearsLate: number;
  organisationId: number;
  organisationName: string;
  goalNumber: number;
  interventionCode: string | null;
  contributionKey: string;
  lastState: string | null;
  lastComment: string | null;
  lastChannel: string | null;
  lastActor: string | null;
  lastCreatedAt: Date | null;
}

export interface ContributionOutline {
  id: number;
  key: string;
  budgetAmount: bigint | null;
  budgetCurrency: string | null;
  organisation: { id: number; name: string };
}

export interface GoalOutline {
  id: number;
  number: number;
  title: string;
  budgetTotal: bigint | null;
  budgetCurrency: string | null;
  priority: { id: number; name: string };
  /** The goal's own contributions (its opening row), not under an intervention. */
  contributions: ContributionOutline[];
  interventions: { id: number; code: string; title: string; contributions: ContributionOutline[] }[];
}

export interface PlanOutline {
  id: number;
  slug: string;
  title: string;
  currency: string;
  periodFrom: number;
  periodTo: number;
  priorities: { id: number; name: string; goals: GoalOutline[] }[];
}

/**
 * Reads for the roll-ups. Figures are added up by PostgreSQL from the counts it keeps per
 * contribution, state and due year (MilestoneTally), never by loading milestones into the process
 * nor by a pass over every milestone of the plan.
 */
@Injectable()
export class AttainmentRepository {
  constructor(private readonly database: Database) {}

  /**
   * The plan's tree down to contributions (no milestones), for the figures to hang on, a level per
   * statement: as one statement of nested JSON aggregates the outline of a large plan took
   * PostgreSQL four times as long.
   */
  async findPlanOutline(planId: number): Promise<PlanOutline | null> {
    const db = this.database.db;
    const plan = await db
      .selectFrom('Plan')
      .select(['id', 'slug', 'title', 'currency', 'periodFrom', 'periodTo'])
      .where('id', '=', planId)
      .executeTakeFirst();
    if (!plan) return null;
    const [priorities, goals] = await Promise.all([
      db.selectFrom('Priority').select(['id', 'name']).where('planId', '=', planId).orderBy('position').execute(),
      this.goalOutlines((eb) => eb('g.planId', '=', planId)),
    ]);
    return {
      ...plan,
      priorities: priorities.map((priority) => ({ ...priority, goals: goals.filter((goal) => goal.priority.id === priority.id) })),
    };
  }

  async findGoalOutline(planId: number, number: number): Promise<GoalOutline | null> {
    const [goal] = await this.goalOutlines((eb) => eb.and([eb('g.planId', '=', planId), eb('g.number', '=', number)]));
    return goal ?? null;
  }

  /** Goals chosen by `where` (on the goal, `g`), with their interventions and contributions, in plan order. */
  private async goalOutlines(
    where: (eb: ExpressionBuilder<DB & { g: DB['Goal'] }, 'g'>) => ReturnType<ExpressionBuilder<DB, never>['and']>,
  ) {
    const db = this.database.db;
    const goals = await db
      .selectFrom('Goal as g')
      .innerJoin('Priority as p', 'p.id', 'g.priorityId')
      .select(['g.id', 'g.number', 'g.title', 'g.budgetTotal', 'g.budgetCurrency', 'p.id as priorityId', 'p.name as priorityName'])
      .where(where)
      .orderBy('g.position')
      .execute();
    if (goals.length === 0) return [];
    const goalIds = goals.map((goal) => goal.id);
    const [interventions, contributions] = await Promise.all([
      db
        .selectFrom('Intervention')
        .select(['id', 'goalId', 'code', 'title'])
        .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .orderBy('position')
        .execute(),
      db
        .selectFrom('Contribution as c')
        .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
        .select([
          'c.id',
          'c.goalId',
          'c.interventionId',
          'c.key',
          'c.budgetAmount',
          'c.budgetCurrency',
          'o.id as organisationId',
          'o.name as organisationName',
        ])
        .where('c.goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .orderBy('c.position')
        .execute(),
    ]);
    const outline = (c: (typeof contributions)[number]): ContributionOutline => ({
      id: c.id,
      key: c.key,
      budgetAmount: c.budgetAmount,
      budgetCurrency: c.budgetCurrency,
      organisation: { id: c.organisationId, name: c.organisationName },
    });
    return goals.map((goal): GoalOutline => ({
      id: goal.id,
      number: goal.number,
      title: goal.title,
      budgetTotal: goal.budgetTotal,
      budgetCurrency: goal.budgetCurrency,
      priority: { id: goal.priorityId, name: goal.priorityName },
      contributions: contributions.filter((c) => c.goalId === goal.id && c.interventionId === null).map(outline),
      interventions: interventions
        .filter((intervention) => intervention.goalId === goal.id)
        .map((intervention) => ({
          id: intervention.id,
          code: intervention.code,
          title: intervention.title,
          contributions: contributions.filter((c) => c.interventionId === intervention.id).map(outline),
        })),
    }));
  }

  /** Organisations the plan declares or that own one of its contributions (the same set, unless edited by hand). */
  findOrganisations(planId: number): Promise<{ id: number; name: string }[]> {
    return this.database.db
      .selectFrom('Organisation as o')
      .select(['o.id', 'o.name'])
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('PlanOrganisation as po')
              .select('po.planId')
              .whereRef('po.organisationId', '=', 'o.id')
              .where('po.planId', '=', planId),
          ),
          eb.exists(
            eb.selectFrom('Contribution as c').select('c.id').whereRef('c.organisationId', '=', 'o.id').where('c.planId', '=', planId),
          ),
        ]),
      )
      .orderBy('o.name')
      .execute();
  }

  /**
   * Tallies for every contribution, intervention, goal, priority and organisation of the plan,
   * and the plan itself, in one statement: kept per-contribution counts (a few rows per
   * contribution) are summed for the reference year, and GROUPING SETS adds those rows up the
   * tree. Today's figures read MilestoneTally (maintained by triggers on Milestone), an approved
   * year's the RecordTally counted at its approval; other cuts count the states of record from
   * the history. With `goalId`, only that goal's subtree.
   */
  async tallies(planId: number, referenceYear: number, goalId?: number, cut?: RecordCut): Promise<TallyRow[]> {
    const db = this.database.db;
    const approvalId = cut?.approval?.tallied ? cut.approval.id : undefined;
    const rows = await db
      .with('per_contribution', (qc) =>
        approvalId !== undefined
          ? qc
              .selectFrom('RecordTally as t')
              .innerJoin('Contribution as c', 'c.id', 't.contributionId')
              .select(keptSums(referenceYear))
              .where('t.approvalId', '=', approvalId)
              .$if(goalId !== undefined, (q) => q.where('c.goalId', '=', goalId!))
              .groupBy('t.contributionId')
          : cut
            ? this.recordedPerContribution(qc, planId, referenceYear, cut, goalId)
            : qc
                .selectFrom('MilestoneTally as t')
                .innerJoin('Contribution as c', 'c.id', 't.contributionId')
                .select(keptSums(referenceYear))
                .where('c.planId', '=', planId)
                .$if(goalId !== undefined, (q) => q.where('c.goalId', '=', goalId!))
                .groupBy('t.contributionId')
                // Groups emptied by updates stay as zero rows; a contribution with no milestone left has no tally.
                .having(sql<boolean>`sum(t.count) > 0`),
      )
      .selectFrom('per_contribution as pc')
      .innerJoin('Contribution as c', 'c.id', 'pc.id')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .select([
        sql<TallyLevel>`CASE
               WHEN GROUPING(c.id) = 0 THEN 'contribution'
               WHEN GROUPING(c."interventionId") = 0 THEN 'intervention'
               WHEN GROUPING(c."goalId") = 0 THEN 'goal'
               WHEN GROUPING(g."priorityId") = 0 THEN 'priority'
               WHEN GROUPING(c."organisationId") = 0 THEN 'organisation'
               ELSE 'plan'
             END`.as('level'),
        // Columns outside the current grouping set are NULL, so this is the id of the group.
        sql<number | null>`COALESCE(c.id, c."interventionId", c."goalId", g."priorityId", c."organisationId")`.as('id'),
        sql<number>`sum(pc.total)::int`.as('total'),
        sql<number>`coalesce(sum(pc.not_started), 0)::int`.as('not_started'),
        sql<number>`coalesce(sum(pc.in_progress), 0)::int`.as('in_progress'),
        sql<number>`coalesce(sum(pc.at_risk), 0)::int`.as('at_risk'),
        sql<number>`coalesce(sum(pc.delayed), 0)::int`.as('delayed'),
        sql<number>`coalesce(sum(pc.completed), 0)::int`.as('completed'),
        sql<number>`coalesce(sum(pc.cancelled), 0)::int`.as('cancelled'),
        sql<number>`coalesce(sum(pc.overdue), 0)::int`.as('overdue'),
        sql<number>`coalesce(sum(pc.progress_sum), 0)::float8`.as('progressSum'),
      ])
      .groupBy(sql`GROUPING SETS ((c.id), (c."interventionId"), (c."goalId"), (g."priorityId"), (c."organisationId"), ())`)
      // Goal-level contributions (no intervention) form a NULL intervention group: not an intervention.
      .having(sql<boolean>`NOT (GROUPING(c."interventionId") = 0 AND c."interventionId" IS NULL)`)
      .execute();
    return rows;
  }

  /**
   * The same per-contribution counts as the kept tally, but of the states the history records for
   * a cut (see RecordCut): each milestone's latest update in the cut, read backwards along the
   * index on (milestoneId, createdAt). A milestone with no update in the cut did not exist yet.
   */
  private recordedPerContribution(qc: QueryCreator<DB>, planId: number, referenceYear: number, cut: RecordCut, goalId: number | undefined) {
    const counted = (state: string) => sql<number>`count(*) FILTER (WHERE r.state = ${state}::"MilestoneState")`;
    return qc
      .selectFrom(
        recordedStates(qc, planId, cut)
          .$if(goalId !== undefined, (q) => q.innerJoin('Contribution as c', 'c.id', 'm.contributionId').where('c.goalId', '=', goalId!))
          .as('r'),
      )
      .select([
        'r.contributionId as id',
        sql<number>`count(*)`.as('total'),
        counted('not_started').as('not_started'),
        counted('in_progress').as('in_progress'),
        counted('at_risk').as('at_risk'),
        counted('delayed').as('delayed'),
        counted('completed').as('completed'),
        counted('cancelled').as('cancelled'),
        sql<number>`count(*) FILTER (WHERE r."dueTo" < ${referenceYear} AND r.state = ANY(${OPEN_STATES}::"MilestoneState"[]))`.as(
          'overdue',
        ),
        sql<number>`sum(r.progress) FILTER (WHERE r.state <> 'cancelled')`.as('progress_sum'),
      ])
      .groupBy('r.contributionId');
  }

  /**
   * Counts and keeps an approved year's figures of record (RecordTally, under its approval): the
   * states of record of its cut, per contribution, state and due year, as MilestoneTally counts
   * today's. Run in the approval's transaction, after which nothing it counts can change.
   */
  async keepRecordTallies(tx: Tx, planId: number, cut: RecordCut & { approval: { id: number } }): Promise<void> {
    await tx
      .insertInto('RecordTally')
      .columns(['approvalId', 'contributionId', 'state', 'dueTo', 'count', 'progressSum'])
      .expression(
        tx
          .selectFrom(recordedStates(tx, planId, cut).as('r'))
          .select([
            sql<number>`${cut.approval.id}::int`.as('approvalId'),
            'r.contributionId',
            'r.state',
            'r.dueTo',
            sql<number>`count(*)::int`.as('count'),
            sql<bigint>`sum(r.progress)`.as('progressSum'),
          ])
          .groupBy(['r.contributionId', 'r.state', 'r.dueTo']),
      )
      .execute();
  }

  /** Every milestone's state and progress of record for a cut (milestones that did not exist yet are absent). */
  async findRecordedStates(planId: number, cut: RecordCut): Promise<Map<number, { state: MilestoneState; progress: number }>> {
    const rows = await recordedStates(this.database.db, planId, cut).execute();
    return new Map(rows.map((row) => [row.milestoneId, { state: row.state, progress: row.progress }]));
  }

  /**
   * Overdue milestones by the states of record, the most years late first, with the update that
   * set each one's state: the annual report's list, read whole.
   */
  async findRecordedOverdue(planId: number, referenceYear: number, cut: RecordCut): Promise<OverdueRow[]> {
    const db = this.database.db;
    const rows = await db
      .with('r', (qc) => recordedStates(qc, planId, cut))
      .selectFrom('r')
      .innerJoin('Milestone as m', 'm.id', 'r.milestoneId')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
      .select([
        'm.id',
        'm.key',
        'm.label',
        'm.text',
        'm.dueFrom',
        'r.dueTo',
        'r.state',
        'r.progress',
        sql<number>`(${referenceYear}::int - r."dueTo")`.as('yearsLate'),
        'o.id as organisationId',
        'o.name as organisationName',
        'g.number as goalNumber',
        'i.code as interventionCode',
        'c.key as contributionKey',
        'r.state as lastState',
        'r.comment as lastComment',
        'r.channel as lastChannel',
        'r.actor as lastActor',
        'r.createdAt as lastCreatedAt',
      ])
      .where(sql<boolean>`r.state IN (${OPEN_STATE_LITERALS})`)
      .where('r.dueTo', '<', referenceYear)
      .orderBy('r.dueTo')
      .orderBy('m.planOrder')
      .orderBy('m.id')
      .execute();
    return rows.map((row) => ({ ...row, dueTo: row.dueTo! }));
  }

  /**
   * One page of overdue milestones, the most years late first, and how many there are in all, in
   * one statement (one snapshot, so the two agree; one round trip). The count adds up the kept
   * tally (a few rows per contribution, however many milestones are overdue); the page, in
   * (dueTo, planOrder, id) order, is the first entries of the partial index on open milestones
   * (planId, dueTo, planOrder, id). Texts, owners and the last update are fetched for the rows of
   * the page only.
   */
  async findOverdue(filter: OverdueFilter, page: { skip: number; take: number }): Promise<{ total: number; rows: OverdueRow[] }> {
    const db = this.database.db;
    const found = await db
      .with('total', (qc) =>
        withContributionFilters(
          qc
            .selectFrom('MilestoneTally as t')
            .innerJoin('Contribution as c', 'c.id', 't.contributionId')
            .$if(filter.goalNumber !== undefined, (q) =>
              q.innerJoin('Goal as g', 'g.id', 'c.goalId').where('g.number', '=', filter.goalNumber!),
            )
            .$if(filter.interventionCode !== undefined, (q) =>
              q.innerJoin('Intervention as i', 'i.id', 'c.interventionId').where('i.code', '=', filter.interventionCode!),
            )
            .select(sql<number>`coalesce(sum(t.count), 0)::int`.as('n'))
            .where('c.planId', '=', filter.planId)
            .where(sql<boolean>`t.state IN (${OPEN_STATE_LITERALS})`)
            .where('t.dueTo', '<', filter.referenceYear),
          filter,
        ),
      )
      .with('page', (qc) =>
        qc
          .selectFrom('Milestone as m')
          .$if(hasContributionFilter(filter), (q) =>
            withContributionFilters(
              q
                .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
                .$if(filter.goalNumber !== undefined, (q) =>
                  q.innerJoin('Goal as g', 'g.id', 'c.goalId').where('g.number', '=', filter.goalNumber!),
                )
                .$if(filter.interventionCode !== undefined, (q) =>
                  q.innerJoin('Intervention as i', 'i.id', 'c.interventionId').where('i.code', '=', filter.interventionCode!),
                ),
              filter,
            ),
          )
          .select(['m.id', 'm.dueTo', 'm.planOrder'])
          .where('m.planId', '=', filter.planId)
          .where(sql<boolean>`m.state IN (${OPEN_STATE_LITERALS})`)
          .where('m.dueTo', '<', filter.referenceYear)
          .orderBy(OVERDUE_ORDER)
          .limit(page.take)
          .offset(page.skip),
      )
      .selectFrom('total')
      // The total comes back even when the page is empty: one row with no milestone in it.
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('page as p')
            .innerJoin('Milestone as m', 'm.id', 'p.id')
            .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
            .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
            .innerJoin('Goal as g', 'g.id', 'c.goalId')
            .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
            .leftJoinLateral(
              (eb) =>
                eb
                  .selectFrom('MilestoneUpdate as mu')
                  .select(['mu.toState', 'mu.comment', 'mu.channel', 'mu.actor', 'mu.createdAt'])
                  .whereRef('mu.milestoneId', '=', 'p.id')
                  .orderBy('mu.createdAt', 'desc')
                  .orderBy('mu.id', 'desc')
                  .limit(1)
                  .as('u'),
              (join) => join.onTrue(),
            )
            .select([
              'm.id',
              'm.key',
              'm.label',
              'm.text',
              'm.dueFrom',
              'p.dueTo',
              'p.planOrder',
              'm.state',
              'm.progress',
              sql<number>`(${filter.referenceYear}::int - m."dueTo")`.as('yearsLate'),
              'o.id as organisationId',
              'o.name as organisationName',
              'g.number as goalNumber',
              'i.code as interventionCode',
              'c.key as contributionKey',
              'u.toState as lastState',
              'u.comment as lastComment',
              'u.channel as lastChannel',
              'u.actor as lastActor',
              'u.createdAt as lastCreatedAt',
            ])
            .as('r'),
        (join) => join.onTrue(),
      )
      .selectAll('r')
      .select('total.n as total')
      .orderBy('r.dueTo')
      .orderBy('r.planOrder')
      .orderBy('r.id')
      .execute();
    const total = found[0]?.total ?? 0;
    const rows: OverdueRow[] = [];
    for (const { total: _total, planOrder: _order, ...row } of found) {
      if (row.id === null || row.dueTo === null || row.key === null) continue;
      rows.push({ ...row, id: row.id, key: row.key, dueTo: row.dueTo } as OverdueRow);
    }
    return { total, rows };
  }

  findMilestone(id: number) {
    return this.database.db
      .selectFrom('Milestone as m')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
      .select([
        'm.id',
        'm.key',
        'm.label',
        'm.text',
        'm.state',
        'm.progress',
        'm.dueFrom',
        'm.dueTo',
        'o.id as organisationId',
        'o.name as organisationName',
        'g.number as goalNumber',
        'i.code as interventionCode',
      ])
      .where('m.id', '=', id)
      .executeTakeFirst()
      .then((row) =>
        row
          ? {
              id: row.id,
              key: row.key,
              label: row.label,
              text: row.text,
              state: row.state,
              progress: row.progress,
              dueFrom: row.dueFrom,
              dueTo: row.dueTo,
              contribution: {
                organisation: { id: row.organisationId, name: row.organisationName },
                goal: { number: row.goalNumber },
                intervention: row.interventionCode === null ? null : { code: row.interventionCode },
              },
            }
          : null,
      );
  }

  /** Every update of a milestone, oldest first (the index on (milestoneId, createdAt) serves it). */
  findUpdates(milestoneId: number) {
    return this.database.db
      .selectFrom('MilestoneUpdate')
      .selectAll()
      .where('milestoneId', '=', milestoneId)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
  }
}

/**
 * A kept tally's rows (MilestoneTally or RecordTally, as `t`) summed per contribution: the counts
 * by state, the overdue ones for the reference year and the progress of those not cancelled.
 */
function keptSums(referenceYear: number) {
  const counted = (state: MilestoneState) => sql<number>`sum(t.count) FILTER (WHERE t.state = ${state}::"MilestoneState")`;
  return [
    sql<number>`t."contributionId"`.as('id'),
    sql<number>`sum(t.count)`.as('total'),
    counted('not_started').as('not_started'),
    counted('in_progress').as('in_progress'),
    counted('at_risk').as('at_risk'),
    counted('delayed').as('delayed'),
    counted('completed').as('completed'),
    counted('cancelled').as('cancelled'),
    sql<number>`sum(t.count) FILTER (WHERE t."dueTo" < ${referenceYear} AND t.state = ANY(${OPEN_STATES}::"MilestoneState"[]))`.as(
      'overdue',
    ),
    sql<number>`sum(t."progressSum") FILTER (WHERE t.state <> 'cancelled')`.as('progress_sum'),
  ];
}

/**
 * The open states written out as literals, as the partial index on (planId, dueTo, planOrder, id)
 * writes them: with a bind parameter the planner could not prove the index applies. They come from
 * a constant of the code, never from a request.
 */
const OPEN_STATE_LITERALS = sql.raw(OPEN_STATES.map((state) => `'${state}'`).join(', '));

const hasContributionFilter = (filter: OverdueFilter) =>
  filter.organisationId !== undefined || filter.goalNumber !== undefined || filter.interventionCode !== undefined;

/** The organisation filter, on a query that has the contribution as `c`. */
function withContributionFilters<Q extends SelectQueryBuilder<DB & { c: DB['Contribution'] }, 'c', object>>(
  query: Q,
  filter: OverdueFilter,
): Q {
  return filter.organisationId === undefined ? query : (query.where('c.organisationId', '=', filter.organisationId) as Q);
}

/**
 * Latest first (the earliest due year is the most years late), then in plan order: goal number,
 * intervention code (a goal's own contributions, with no code, first), contribution and milestone
 * position, which is what Milestone.planOrder numbers (kept by the plan import); the id as the last
 * word so pages never overlap, even for milestones not numbered yet (null, last).
 */
const OVERDUE_ORDER = sql`m."dueTo" ASC, m."planOrder" ASC, m.id ASC`;

/**
 * Each milestone of the plan with its state of record for a cut: its latest update in the cut
 * (DISTINCT ON, newest first). Milestones with none are left out: they did not exist yet.
 */
export function recordedStates(qc: QueryCreator<DB>, planId: number, cut: RecordCut) {
  return qc
    .selectFrom('Milestone as m')
    .innerJoin('MilestoneUpdate as u', 'u.milestoneId', 'm.id')
    .distinctOn('u.milestoneId')
    .select([
      'u.milestoneId',
      'm.contributionId',
      'm.dueTo',
      'u.toState as state',
      'u.progress',
      'u.comment',
      'u.channel',
      'u.actor',
      'u.createdAt',
    ])
    .where('m.planId', '=', planId)
    .where((eb) => inRecord(eb, cut))
    .orderBy('u.milestoneId')
    .orderBy('u.createdAt', 'desc')
    .orderBy('u.id', 'desc');
}
