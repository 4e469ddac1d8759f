import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Tally } from './attainment.formulas.js';
import { OPEN_STATES } from './milestone-states.js';

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

const contributionOutline = {
  orderBy: { position: 'asc' },
  select: { id: true, key: true, budgetAmount: true, budgetCurrency: true, organisation: { select: { id: true, name: true } } },
} satisfies Prisma.Goal$contributionsArgs;

const goalOutline = {
  id: true,
  number: true,
  title: true,
  budgetTotal: true,
  budgetCurrency: true,
  priority: { select: { id: true, name: true } },
  contributions: { ...contributionOutline, where: { interventionId: null } },
  interventions: { orderBy: { position: 'asc' }, select: { id: true, code: true, title: true, contributions: contributionOutline } },
} satisfies Prisma.GoalSelect;

export type GoalOutline = Prisma.GoalGetPayload<{ select: typeof goalOutline }>;
export type ContributionOutline = GoalOutline['contributions'][number];

/** An open state is one the overdue list and the overdue count look at; the array is a query parameter. */
const openStates = Prisma.sql`${OPEN_STATES}::"MilestoneState"[]`;

/**
 * Reads for the roll-ups. Figures are added up by PostgreSQL from the counts it keeps per
 * contribution, state and due year (MilestoneTally), never by loading milestones into the process
 * nor by a pass over every milestone of the plan.
 */
@Injectable()
export class AttainmentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The plan's tree down to contributions (no milestones), for the figures to hang on. Loaded a
   * level per statement: as one statement of nested JSON aggregates (relationJoins) the outline of
   * 10,000 contributions took PostgreSQL four times as long (bench/RESULTS.md).
   */
  findPlanOutline(planId: number) {
    return this.prisma.plan.findUnique({
      where: { id: planId },
      select: {
        id: true,
        slug: true,
        title: true,
        currency: true,
        periodFrom: true,
        periodTo: true,
        priorities: {
          orderBy: { position: 'asc' },
          select: { id: true, name: true, goals: { orderBy: { position: 'asc' }, select: goalOutline } },
        },
      },
    });
  }

  findGoalOutline(planId: number, number: number) {
    return this.prisma.goal.findUnique({ where: { planId_number: { planId, number } }, select: goalOutline });
  }

  /** Organisations the plan declares or that own one of its contributions (the same set, unless edited by hand). */
  findOrganisations(planId: number) {
    return this.prisma.organisation.findMany({
      where: { OR: [{ plans: { some: { planId } } }, { contributions: { some: { planId } } }] },
      orderBy: { name: 'asc' },
      select: { id: true, name: true },
    });
  }

  /**
   * Tallies for every contribution, intervention, goal, priority and organisation of the plan,
   * and the plan itself, in one statement: the kept per-contribution counts (MilestoneTally, a few
   * rows per contribution, maintained by triggers on Milestone) are summed for the reference
   * year, and GROUPING SETS adds those rows up the tree. With `goalId`, only that goal's subtree.
   */
  async tallies(planId: number, referenceYear: number, goalId?: number): Promise<TallyRow[]> {
    const goalFilter = goalId === undefined ? Prisma.empty : Prisma.sql`AND c."goalId" = ${goalId}`;
    const rows = await this.prisma.$queryRaw<(Omit<TallyRow, 'progressSum'> & { progressSum: number | bigint })[]>`
      WITH per_contribution AS (
        SELECT t."contributionId" AS id,
               sum(t.count) AS total,
               sum(t.count) FILTER (WHERE t.state = 'not_started') AS not_started,
               sum(t.count) FILTER (WHERE t.state = 'in_progress') AS in_progress,
               sum(t.count) FILTER (WHERE t.state = 'at_risk') AS at_risk,
               sum(t.count) FILTER (WHERE t.state = 'delayed') AS delayed,
               sum(t.count) FILTER (WHERE t.state = 'completed') AS completed,
               sum(t.count) FILTER (WHERE t.state = 'cancelled') AS cancelled,
               sum(t.count) FILTER (WHERE t."dueTo" < ${referenceYear} AND t.state = ANY(${openStates})) AS overdue,
               sum(t."progressSum") FILTER (WHERE t.state <> 'cancelled') AS progress_sum
        FROM "MilestoneTally" t
        JOIN "Contribution" c ON c.id = t."contributionId"
        WHERE c."planId" = ${planId} ${goalFilter}
        GROUP BY t."contributionId"
        -- Groups emptied by updates stay as zero rows; a contribution with no milestone left has no tally.
        HAVING sum(t.count) > 0
      )
      SELECT CASE
               WHEN GROUPING(c.id) = 0 THEN 'contribution'
               WHEN GROUPING(c."interventionId") = 0 THEN 'intervention'
               WHEN GROUPING(c."goalId") = 0 THEN 'goal'
               WHEN GROUPING(g."priorityId") = 0 THEN 'priority'
               WHEN GROUPING(c."organisationId") = 0 THEN 'organisation'
               ELSE 'plan'
             END AS level,
             -- Columns outside the current grouping set are NULL, so this is the id of the group.
             COALESCE(c.id, c."interventionId", c."goalId", g."priorityId", c."organisationId") AS id,
             sum(pc.total)::int AS total,
             coalesce(sum(pc.not_started), 0)::int AS not_started,
             coalesce(sum(pc.in_progress), 0)::int AS in_progress,
             coalesce(sum(pc.at_risk), 0)::int AS at_risk,
             coalesce(sum(pc.delayed), 0)::int AS delayed,
             coalesce(sum(pc.completed), 0)::int AS completed,
             coalesce(sum(pc.cancelled), 0)::int AS cancelled,
             coalesce(sum(pc.overdue), 0)::int AS overdue,
             coalesce(sum(pc.progress_sum), 0)::float8 AS "progressSum"
      FROM per_contribution pc
      JOIN "Contribution" c ON c.id = pc.id
      JOIN "Goal" g ON g.id = c."goalId"
      GROUP BY GROUPING SETS ((c.id), (c."interventionId"), (c."goalId"), (g."priorityId"), (c."organisationId"), ())
      -- Goal-level contributions (no intervention) form a NULL intervention group: not an intervention.
      HAVING NOT (GROUPING(c."interventionId") = 0 AND c."interventionId" IS NULL)`;
    return rows.map((row) => ({ ...row, progressSum: Number(row.progressSum) }));
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
    const found = await this.prisma.$queryRaw<(OverdueRow & { total: number })[]>`
      WITH total AS (
        SELECT coalesce(sum(t.count), 0)::int AS n
        FROM "MilestoneTally" t
        JOIN "Contribution" c ON c.id = t."contributionId"
        ${goalAndInterventionJoins(filter)}
        WHERE ${Prisma.join([Prisma.sql`c."planId" = ${filter.planId}`, Prisma.sql`t.state IN (${OPEN_STATE_LITERALS})`, Prisma.sql`t."dueTo" < ${filter.referenceYear}`, ...contributionFilters(filter)], ' AND ')}
      ),
      page AS (
        SELECT m.id, m."dueTo", m."planOrder"
        FROM "Milestone" m
        ${overdueJoins(filter)}
        WHERE ${overdueWhere(filter)}
        ORDER BY ${OVERDUE_ORDER}
        LIMIT ${page.take} OFFSET ${page.skip}
      )
      SELECT total.n AS total, m.id, m.key, m.label, m.text, m."dueFrom", m."dueTo", m.state::text AS state, m.progress,
             (${filter.referenceYear}::int - m."dueTo") AS "yearsLate",
             o.id AS "organisationId", o.name AS "organisationName", g.number AS "goalNumber", i.code AS "interventionCode",
             c.key AS "contributionKey",
             u."toState"::text AS "lastState", u.comment AS "lastComment", u.channel::text AS "lastChannel",
             u.actor AS "lastActor", u."createdAt" AS "lastCreatedAt"
      -- The total comes back even when the page is empty: one row with no milestone in it.
      FROM total
      LEFT JOIN (
        page p
        JOIN "Milestone" m ON m.id = p.id
        JOIN "Contribution" c ON c.id = m."contributionId"
        JOIN "Organisation" o ON o.id = c."organisationId"
        JOIN "Goal" g ON g.id = c."goalId"
        LEFT JOIN "Intervention" i ON i.id = c."interventionId"
        LEFT JOIN LATERAL (
          SELECT * FROM "MilestoneUpdate" mu WHERE mu."milestoneId" = p.id ORDER BY mu."createdAt" DESC, mu.id DESC LIMIT 1
        ) u ON true
      ) ON true
      ORDER BY p."dueTo" ASC, p."planOrder" ASC, p.id ASC`;
    const total = found[0]?.total ?? 0;
    const rows = found.filter((row) => row.id !== null).map(({ total: _total, ...row }) => row);
    return { total, rows };
  }

  findMilestone(id: number) {
    return this.prisma.milestone.findUnique({
      where: { id },
      select: {
        id: true,
        key: true,
        label: true,
        text: true,
        state: true,
        progress: true,
        contribution: {
          select: {
            organisation: { select: { id: true, name: true } },
            goal: { select: { number: true } },
            intervention: { select: { code: true } },
          },
        },
      },
    });
  }

  /** Every update of a milestone, oldest first (the index on (milestoneId, createdAt) serves it). */
  findUpdates(milestoneId: number) {
    return this.prisma.milestoneUpdate.findMany({ where: { milestoneId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }
}

/**
 * The open states written out as literals, as the partial index on (planId, dueTo, planOrder, id)
 * writes them: with a bind parameter the planner could not prove the index applies. They come from
 * a constant of the code, never from a request.
 */
const OPEN_STATE_LITERALS = Prisma.raw(OPEN_STATES.map((state) => `'${state}'`).join(', '));

/**
 * Overdue: due before the reference year and in an open state. Written as `state IN (open states)`
 * rather than `NOT IN (completed, cancelled)` so the indexes on open milestones apply.
 */
function overdueWhere(filter: OverdueFilter): Prisma.Sql {
  const conditions = [
    Prisma.sql`m."planId" = ${filter.planId}`,
    Prisma.sql`m.state IN (${OPEN_STATE_LITERALS})`,
    Prisma.sql`m."dueTo" < ${filter.referenceYear}`,
  ];
  return Prisma.join([...conditions, ...contributionFilters(filter)], ' AND ');
}

/** The filters are properties of a milestone's contribution (c), its goal (g) and intervention (i). */
function contributionFilters(filter: OverdueFilter): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (filter.organisationId !== undefined) conditions.push(Prisma.sql`c."organisationId" = ${filter.organisationId}`);
  if (filter.goalNumber !== undefined) conditions.push(Prisma.sql`g.number = ${filter.goalNumber}`);
  if (filter.interventionCode !== undefined) conditions.push(Prisma.sql`i.code = ${filter.interventionCode}`);
  return conditions;
}

/** Only the tables a filter needs: without filters the page is read from the partial index alone. */
function overdueJoins(filter: OverdueFilter): Prisma.Sql {
  if (filter.organisationId === undefined && filter.goalNumber === undefined && filter.interventionCode === undefined) return Prisma.empty;
  return Prisma.sql`JOIN "Contribution" c ON c.id = m."contributionId" ${goalAndInterventionJoins(filter)}`;
}

/** The goal (g) and intervention (i) of a contribution c, where a filter needs them. */
function goalAndInterventionJoins(filter: OverdueFilter): Prisma.Sql {
  const joins: Prisma.Sql[] = [];
  if (filter.goalNumber !== undefined) joins.push(Prisma.sql`JOIN "Goal" g ON g.id = c."goalId"`);
  if (filter.interventionCode !== undefined) joins.push(Prisma.sql`JOIN "Intervention" i ON i.id = c."interventionId"`);
  return joins.length === 0 ? Prisma.empty : Prisma.join(joins, ' ');
}

/**
 * Latest first (the earliest due year is the most years late), then in plan order: goal number,
 * intervention code (a goal's own contributions, with no code, first), contribution and milestone
 * position, which is what Milestone.planOrder numbers (kept by the plan import); the id as the last
 * word so pages never overlap, even for milestones not numbered yet (null, last).
 */
const OVERDUE_ORDER = Prisma.raw('m."dueTo" ASC, m."planOrder" ASC, m.id ASC');
