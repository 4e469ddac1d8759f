import { Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import { countAll, Database, type Db } from '../database/database.js';
import type { MilestoneState } from '../generated/db/enums.js';
import type { BudgetLine, Contact, Contribution, Goal, Intervention, Milestone } from '../generated/db/schema.js';

export type MilestoneRow = Selectable<Milestone>;
export type ContributionTree = Selectable<Contribution> & { organisation: { name: string }; milestones: MilestoneRow[] };
export type InterventionTree = Selectable<Intervention> & { contributions: ContributionTree[] };
/** An assessable item of a goal's attainment criteria. */
export type CriterionRow = { id: number; goalId: number; key: string; text: string; source: number };
export type GoalTree = Selectable<Goal> & {
  budgetLines: Selectable<BudgetLine>[];
  criteria: CriterionRow[];
  /** The goal's own contributions (its opening row), not those of its interventions. */
  contributions: ContributionTree[];
  interventions: InterventionTree[];
};
/** A milestone with its owner and its place in the plan. */
export type MilestoneInContext = MilestoneRow & {
  contributionKey: string;
  ownerId: number;
  ownerName: string;
  goalNumber: number;
  interventionCode: string | null;
};

export interface MilestoneFilter {
  planId: number;
  organisationId?: number;
  goalNumber?: number;
  interventionCode?: string;
  /** Milestones whose due span includes this year. */
  dueYear?: number;
  state?: MilestoneState;
}

/**
 * Reads of the plan tree. Every level of the tree is read ordered by position (by id where
 * positions tie) with one statement per level, and put together here.
 */
@Injectable()
export class PlanRepository {
  constructor(private readonly database: Database) {}

  findPlans() {
    return this.database.db.selectFrom('Plan').selectAll().orderBy('periodFrom', 'desc').orderBy('id').execute();
  }

  findPlan(id: number) {
    return this.database.db.selectFrom('Plan').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findPlanTree(id: number) {
    const db = this.database.db;
    const plan = await db.selectFrom('Plan').selectAll().where('id', '=', id).executeTakeFirst();
    if (!plan) return undefined;
    const [organisations, priorities, goals] = await Promise.all([
      db
        .selectFrom('PlanOrganisation as po')
        .innerJoin('Organisation as o', 'o.id', 'po.organisationId')
        .selectAll('o')
        .where('po.planId', '=', id)
        .orderBy('po.position')
        .execute(),
      db.selectFrom('Priority').selectAll().where('planId', '=', id).orderBy('position').orderBy('id').execute(),
      db.selectFrom('Goal').selectAll().where('planId', '=', id).orderBy('position').orderBy('id').execute(),
    ]);
    const [contacts, goalTrees] = await Promise.all([
      contactsOf(
        db,
        organisations.map((organisation) => organisation.id),
      ),
      this.goalTrees(db, goals),
    ]);
    const goalsByPriority = groupBy(goalTrees, (goal) => goal.priorityId);
    return {
      ...plan,
      organisations: organisations.map((organisation) => ({
        organisation: { ...organisation, contacts: contacts.get(organisation.id) ?? [] },
      })),
      priorities: priorities.map((priority) => ({ ...priority, goals: goalsByPriority.get(priority.id) ?? [] })),
    };
  }

  async findGoals(planId: number) {
    const db = this.database.db;
    const goals = await db
      .selectFrom('Goal as g')
      .innerJoin('Priority as p', 'p.id', 'g.priorityId')
      .selectAll('g')
      .select('p.name as priorityName')
      .where('g.planId', '=', planId)
      .orderBy('g.number')
      .execute();
    const goalIds = goals.map((goal) => goal.id);
    const [budgetLines, criteria, interventions] = await Promise.all([
      budgetLinesOf(db, goalIds),
      criteriaOf(db, goalIds),
      db
        .selectFrom('Intervention')
        .select(['goalId', 'code', 'title', 'partners'])
        .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .orderBy('position')
        .orderBy('id')
        .execute(),
    ]);
    const interventionsByGoal = groupBy(interventions, (intervention) => intervention.goalId);
    return goals.map((goal) => ({
      ...goal,
      budgetLines: budgetLines.get(goal.id) ?? [],
      criteria: criteria.get(goal.id) ?? [],
      interventions: (interventionsByGoal.get(goal.id) ?? []).map(({ code, title, partners }) => ({ code, title, partners })),
    }));
  }

  async findGoal(planId: number, number: number) {
    const db = this.database.db;
    const goal = await db
      .selectFrom('Goal as g')
      .innerJoin('Priority as p', 'p.id', 'g.priorityId')
      .selectAll('g')
      .select('p.name as priorityName')
      .where('g.planId', '=', planId)
      .where('g.number', '=', number)
      .executeTakeFirst();
    if (!goal) return undefined;
    const [tree] = await this.goalTrees(db, [goal]);
    return { ...tree!, priorityName: goal.priorityName };
  }

  async findIntervention(planId: number, code: string) {
    const db = this.database.db;
    const intervention = await db
      .selectFrom('Intervention as i')
      .innerJoin('Goal as g', 'g.id', 'i.goalId')
      .selectAll('i')
      .select(['g.number as goalNumber', 'g.title as goalTitle'])
      .where('i.planId', '=', planId)
      .where('i.code', '=', code)
      .executeTakeFirst();
    if (!intervention) return undefined;
    return { ...intervention, contributions: await contributionTrees(db, [], [intervention.id]) };
  }

  async findOrganisations(planId: number) {
    const db = this.database.db;
    const organisations = await db
      .selectFrom('Organisation as o')
      .innerJoin('PlanOrganisation as po', 'po.organisationId', 'o.id')
      .leftJoin('Contribution as c', (join) => join.onRef('c.organisationId', '=', 'o.id').on('c.planId', '=', planId))
      .selectAll('o')
      .select(sql<number>`count(c.id)::int`.as('contributions'))
      .where('po.planId', '=', planId)
      .groupBy('o.id')
      .orderBy('o.name')
      .execute();
    const contacts = await contactsOf(
      db,
      organisations.map((organisation) => organisation.id),
    );
    return organisations.map((organisation) => ({ ...organisation, contacts: contacts.get(organisation.id) ?? [] }));
  }

  async findOrganisation(id: number) {
    const db = this.database.db;
    const organisation = await db.selectFrom('Organisation').selectAll().where('id', '=', id).executeTakeFirst();
    if (!organisation) return undefined;
    return { ...organisation, contacts: (await contactsOf(db, [id])).get(id) ?? [] };
  }

  async findMilestones(
    filter: MilestoneFilter,
    page: { skip: number; take: number },
  ): Promise<{ total: number; items: MilestoneInContext[] }> {
    let query = this.milestonesInContext().where('m.planId', '=', filter.planId);
    if (filter.state !== undefined) query = query.where('m.state', '=', filter.state);
    if (filter.organisationId !== undefined) query = query.where('c.organisationId', '=', filter.organisationId);
    if (filter.goalNumber !== undefined) query = query.where('g.number', '=', filter.goalNumber);
    if (filter.interventionCode !== undefined) query = query.where('i.code', '=', filter.interventionCode);
    if (filter.dueYear !== undefined) query = query.where('m.dueFrom', '<=', filter.dueYear).where('m.dueTo', '>=', filter.dueYear);
    const [counted, items] = await Promise.all([
      query.select(countAll().as('total')).executeTakeFirstOrThrow(),
      query
        .selectAll('m')
        .select(milestoneContext)
        .orderBy('g.number')
        .orderBy('m.contributionId')
        .orderBy('m.position')
        .offset(page.skip)
        .limit(page.take)
        .execute(),
    ]);
    return { total: counted.total, items };
  }

  findMilestone(id: number): Promise<MilestoneInContext | undefined> {
    return this.milestonesInContext().selectAll('m').select(milestoneContext).where('m.id', '=', id).executeTakeFirst();
  }

  private milestonesInContext() {
    return this.database.db
      .selectFrom('Milestone as m')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId');
  }

  /** Goals with their budget lines, their own contributions and their interventions with theirs. */
  private async goalTrees(db: Db, goals: Selectable<Goal>[]): Promise<GoalTree[]> {
    const goalIds = goals.map((goal) => goal.id);
    const [budgetLines, criteria, interventions] = await Promise.all([
      budgetLinesOf(db, goalIds),
      criteriaOf(db, goalIds),
      db
        .selectFrom('Intervention')
        .selectAll()
        .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .orderBy('position')
        .orderBy('id')
        .execute(),
    ]);
    const contributions = await contributionTrees(
      db,
      goalIds,
      interventions.map((intervention) => intervention.id),
    );
    const byIntervention = groupBy(contributions, (contribution) => contribution.interventionId);
    const ownContributions = groupBy(byIntervention.get(null) ?? [], (contribution) => contribution.goalId);
    const interventionsByGoal = groupBy(
      interventions.map((intervention) => ({ ...intervention, contributions: byIntervention.get(intervention.id) ?? [] })),
      (intervention) => intervention.goalId,
    );
    return goals.map((goal) => ({
      ...goal,
      budgetLines: budgetLines.get(goal.id) ?? [],
      criteria: criteria.get(goal.id) ?? [],
      contributions: ownContributions.get(goal.id) ?? [],
      interventions: interventionsByGoal.get(goal.id) ?? [],
    }));
  }
}

const milestoneContext = [
  'c.key as contributionKey',
  'o.id as ownerId',
  'o.name as ownerName',
  'g.number as goalNumber',
  'i.code as interventionCode',
] as const;

/** The contributions of these goals (their own, without an intervention) and of these interventions, with their milestones. */
async function contributionTrees(db: Db, goalIds: number[], interventionIds: number[]): Promise<ContributionTree[]> {
  const contributions = await db
    .selectFrom('Contribution as c')
    .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
    .selectAll('c')
    .select('o.name as organisationName')
    .where((eb) =>
      eb.or([
        eb.and([eb('c.goalId', '=', eb.fn.any(eb.val(goalIds))), eb('c.interventionId', 'is', null)]),
        eb('c.interventionId', '=', eb.fn.any(eb.val(interventionIds))),
      ]),
    )
    .orderBy('c.position')
    .orderBy('c.id')
    .execute();
  const contributionIds = contributions.map((contribution) => contribution.id);
  const milestones = await db
    .selectFrom('Milestone')
    .selectAll()
    .where('contributionId', '=', (eb) => eb.fn.any(eb.val(contributionIds)))
    .orderBy('position')
    .orderBy('id')
    .execute();
  const milestonesByContribution = groupBy(milestones, (milestone) => milestone.contributionId);
  return contributions.map(({ organisationName, ...contribution }) => ({
    ...contribution,
    organisation: { name: organisationName },
    milestones: milestonesByContribution.get(contribution.id) ?? [],
  }));
}

async function budgetLinesOf(db: Db, goalIds: number[]): Promise<Map<number, Selectable<BudgetLine>[]>> {
  const lines = await db
    .selectFrom('BudgetLine')
    .selectAll()
    .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
    .orderBy('position')
    .orderBy('id')
    .execute();
  return groupBy(lines, (line) => line.goalId);
}

async function criteriaOf(db: Db, goalIds: number[]): Promise<Map<number, CriterionRow[]>> {
  const criteria = await db
    .selectFrom('GoalCriterion')
    .select(['id', 'goalId', 'key', 'text', 'source'])
    .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
    .orderBy('position')
    .orderBy('id')
    .execute();
  return groupBy(criteria, (criterion) => criterion.goalId);
}

async function contactsOf(db: Db, organisationIds: number[]): Promise<Map<number, Selectable<Contact>[]>> {
  const contacts = await db
    .selectFrom('Contact')
    .selectAll()
    .where('organisationId', '=', (eb) => eb.fn.any(eb.val(organisationIds)))
    .orderBy('id')
    .execute();
  return groupBy(contacts, (contact) => contact.organisationId);
}

/** The rows by key, each group in the order of the rows. */
function groupBy<T, K>(rows: T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}
