import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { Clock } from '../common/clock.js';
import { Database, type Db, type Tx } from '../database/database.js';
import { DEFAULT_PROGRESS } from '../common/milestone-states.js';
import type { ContributionDraft, GoalDraft, OrganisationDraft, PlanDraft } from './plan-file.reader.js';

export interface ImportReport {
  planId: number;
  slug: string;
  created: boolean;
  counts: { organisations: number; goals: number; interventions: number; contributions: number; milestones: number };
  removed: { milestones: number; contributions: number; interventions: number; goals: number; priorities: number };
  warnings: string[];
}

export class PlanImportConflict extends Error {}

/**
 * Writes a validated plan into the database in one transaction. Items are matched by their
 * stable identity (plan slug, organisation name, goal number, intervention code, contribution and
 * milestone keys), so re-importing updates in place. Recorded milestone states are never
 * overwritten by a file, and an item that is gone from the file is removed only if no report was
 * ever recorded against it: otherwise the whole import is refused.
 */
@Injectable()
export class PlanWriterRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  write(draft: PlanDraft): Promise<ImportReport> {
    return this.database.transaction((tx) => new PlanWriter(tx, draft, this.clock.now()).write());
  }

  /** Numbers a plan's milestones in plan order again (after milestones were written by other means). */
  renumber(planId: number, db: Db = this.database.db): Promise<number> {
    return renumberPlan(db, planId);
  }
}

/**
 * Sets Milestone.planOrder to each milestone's place in the plan: goal number, intervention code
 * (byte order, a goal's own contributions first), contribution position, milestone position, id;
 * 1, 2, 3 … per plan. The overdue list sorts by it (src/progress/attainment.repository.ts), so it
 * must be the order the list promises. One statement; rows already in place are not written.
 * The migration 20261129060000_milestone_plan_order numbers existing plans the same way.
 */
export async function renumberPlan(db: Db, planId: number): Promise<number> {
  const ordered = db
    .selectFrom('Milestone as m')
    .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
    .innerJoin('Goal as g', 'g.id', 'c.goalId')
    .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
    .select([
      'm.id',
      sql<number>`row_number() OVER (ORDER BY g.number, i.code COLLATE "C" NULLS FIRST, c.position, m.position, m.id)::int`.as('n'),
    ])
    .where('m.planId', '=', planId);
  const result = await db
    .updateTable('Milestone as m')
    .from(ordered.as('o'))
    .set((eb) => ({ planOrder: eb.ref('o.n') }))
    .whereRef('o.id', '=', 'm.id')
    .where((eb) => eb('m.planOrder', 'is distinct from', eb.ref('o.n')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

class PlanWriter {
  private readonly warnings: string[];
  private readonly organisationIds = new Map<string, number>();
  private readonly keptMilestoneKeys = new Set<string>();
  private readonly keptContributionKeys = new Set<string>();
  private milestoneCount = 0;
  private contributionCount = 0;

  /** `now` stamps every row the import writes. */
  constructor(
    private readonly tx: Tx,
    private readonly draft: PlanDraft,
    private readonly now: Date,
  ) {
    this.warnings = [...draft.warnings];
  }

  async write(): Promise<ImportReport> {
    const { tx, draft, now } = this;
    const existing = await tx.selectFrom('Plan').select('id').where('slug', '=', draft.slug).executeTakeFirst();
    const planFields = {
      title: draft.title,
      periodFrom: draft.period.from,
      periodTo: draft.period.to,
      currency: draft.currency,
      source: draft.source,
      notes: draft.notes,
    };
    const plan = await tx
      .insertInto('Plan')
      .values({ slug: draft.slug, ...planFields, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.column('slug').doUpdateSet({ ...planFields, updatedAt: now }))
      .returning('id')
      .executeTakeFirstOrThrow();

    for (const organisation of draft.organisations) await this.writeOrganisation(organisation);
    await tx.deleteFrom('PlanOrganisation').where('planId', '=', plan.id).execute();
    const organisationIds = draft.organisations.map((organisation) => this.organisationIds.get(organisation.name)!);
    await tx
      .insertInto('PlanOrganisation')
      .columns(['planId', 'organisationId', 'position'])
      .expression((eb) =>
        eb
          .selectFrom(
            sql<{
              organisationId: number;
              position: number;
            }>`unnest(${organisationIds}::int[], ${organisationIds.map((_, position) => position)}::int[])`.as<'o'>(
              sql`o("organisationId", position)`,
            ),
          )
          .select((eb) => [eb.val(plan.id).as('planId'), 'o.organisationId', 'o.position']),
      )
      .execute();

    const existingMilestones = new Map(
      (await tx.selectFrom('Milestone').select(['key', 'id']).where('planId', '=', plan.id).execute()).map((m) => [m.key, m.id]),
    );

    const priorityNames: string[] = [];
    const goalNumbers: number[] = [];
    const codes: string[] = [];
    for (const [position, priority] of draft.priorities.entries()) {
      priorityNames.push(priority.name);
      const { id: priorityId } = await tx
        .insertInto('Priority')
        .values({ planId: plan.id, name: priority.name, position, notes: priority.notes })
        .onConflict((oc) => oc.columns(['planId', 'name']).doUpdateSet({ position, notes: priority.notes }))
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const [goalPosition, goal] of priority.goals.entries()) {
        goalNumbers.push(goal.number);
        const goalId = await this.writeGoal(plan.id, priorityId, goalPosition, goal);
        await this.writeContributions(plan.id, goalId, null, goal.contributions, existingMilestones);
        for (const [interventionPosition, intervention] of goal.interventions.entries()) {
          codes.push(intervention.code);
          const fields = {
            goalId,
            position: interventionPosition,
            title: intervention.title,
            partners: intervention.partners,
            notes: intervention.notes,
          };
          const { id: interventionId } = await tx
            .insertInto('Intervention')
            .values({ planId: plan.id, code: intervention.code, ...fields })
            .onConflict((oc) => oc.columns(['planId', 'code']).doUpdateSet(fields))
            .returning('id')
            .executeTakeFirstOrThrow();
          await this.writeContributions(plan.id, goalId, interventionId, intervention.contributions, existingMilestones);
        }
      }
    }

    const removed = await this.removeLeftovers(plan.id, { priorityNames, goalNumbers, codes });
    await renumberPlan(tx, plan.id);
    return {
      planId: plan.id,
      slug: draft.slug,
      created: existing === undefined,
      counts: {
        organisations: draft.organisations.length,
        goals: goalNumbers.length,
        interventions: codes.length,
        contributions: this.contributionCount,
        milestones: this.milestoneCount,
      },
      removed,
      warnings: this.warnings,
    };
  }

  private async writeOrganisation(organisation: OrganisationDraft): Promise<void> {
    const { tx, now } = this;
    const fields = { kind: organisation.kind, language: organisation.language, notes: organisation.notes };
    const { id } = await tx
      .insertInto('Organisation')
      .values({ name: organisation.name, ...fields, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ ...fields, updatedAt: now }))
      .returning('id')
      .executeTakeFirstOrThrow();
    this.organisationIds.set(organisation.name, id);

    // Contacts are managed in the service once real addresses are known: a file adds the contacts
    // it lists and retires placeholders it no longer lists, but never removes a real address.
    if (organisation.contacts.length === 0) return;
    const listed = [...new Set(organisation.contacts.map((contact) => contact.email))];
    await tx
      .deleteFrom('Contact')
      .where('organisationId', '=', id)
      .where('placeholder', '=', true)
      .where((eb) => eb.not(eb('email', '=', eb.fn.any(eb.val(listed)))))
      .execute();
    for (const contact of organisation.contacts) {
      // A contact already there keeps its name unless the file gives one.
      await tx
        .insertInto('Contact')
        .values({ organisationId: id, ...contact, createdAt: now })
        .onConflict((oc) =>
          oc
            .columns(['organisationId', 'email'])
            .doUpdateSet((eb) => ({ name: eb.fn.coalesce(eb.val(contact.name), eb.ref('Contact.name')) })),
        )
        .execute();
    }
  }

  private async writeGoal(planId: number, priorityId: number, position: number, goal: GoalDraft): Promise<number> {
    const { tx } = this;
    const fields = {
      priorityId,
      position,
      title: goal.title,
      attainmentCriteria: goal.attainmentCriteria,
      budgetCurrency: goal.budget?.currency ?? null,
      budgetTotal: goal.budget?.total == null ? null : BigInt(goal.budget.total),
      notes: goal.notes,
    };
    const { id } = await tx
      .insertInto('Goal')
      .values({ planId, number: goal.number, ...fields })
      .onConflict((oc) => oc.columns(['planId', 'number']).doUpdateSet(fields))
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.writeCriteria(id, goal.criteria);
    // Budget lines carry no history: replacing them is the simplest faithful update.
    await tx.deleteFrom('BudgetLine').where('goalId', '=', id).execute();
    if (goal.budget) {
      const lines = goal.budget.lines;
      await tx
        .insertInto('BudgetLine')
        .columns(['goalId', 'position', 'partner', 'amount'])
        .expression((eb) =>
          eb
            .selectFrom(
              sql<{
                position: number;
                partner: string;
                amount: bigint;
              }>`unnest(${lines.map((_, position) => position)}::int[], ${lines.map((line) => line.partner)}::text[], ${lines.map((line) => BigInt(line.amount))}::int8[])`.as<'l'>(
                sql`l(position, partner, amount)`,
              ),
            )
            .select((eb) => [eb.val(id).as('goalId'), 'l.position', 'l.partner', 'l.amount']),
        )
        .execute();
    }
    return id;
  }

  /**
   * Criteria are matched by key, so their assessments survive a re-import that rewords them. One
   * left out of the file goes only if it was never assessed; an assessed one stays, so no
   * year's assessment is lost.
   */
  private async writeCriteria(goalId: number, criteria: GoalDraft['criteria']): Promise<void> {
    const { tx } = this;
    const keys = criteria.map((criterion) => criterion.key);
    await tx
      .deleteFrom('GoalCriterion as gc')
      .where('gc.goalId', '=', goalId)
      .where((eb) => eb.not(eb('gc.key', '=', eb.fn.any(eb.val(keys)))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('CriterionAssessment as a').select('a.id').whereRef('a.criterionId', '=', 'gc.id'))))
      .execute();
    if (criteria.length === 0) return;
    await tx
      .insertInto('GoalCriterion')
      .columns(['goalId', 'position', 'key', 'text', 'source'])
      .expression((eb) =>
        eb
          .selectFrom(
            sql<{
              position: number;
              key: string;
              text: string;
              source: number;
            }>`unnest(${criteria.map((_, position) => position)}::int[], ${keys}::text[], ${criteria.map((c) => c.text)}::text[], ${criteria.map((c) => c.source)}::int[])`.as<'c'>(
              sql`c(position, key, text, source)`,
            ),
          )
          .select((eb) => [eb.val(goalId).as('goalId'), 'c.position', 'c.key', 'c.text', 'c.source']),
      )
      .onConflict((oc) =>
        oc.columns(['goalId', 'key']).doUpdateSet((eb) => ({
          position: eb.ref('excluded.position'),
          text: eb.ref('excluded.text'),
          source: eb.ref('excluded.source'),
        })),
      )
      .execute();
  }

  private async writeContributions(
    planId: number,
    goalId: number,
    interventionId: number | null,
    contributions: ContributionDraft[],
    existingMilestones: Map<string, number>,
  ): Promise<void> {
    const { tx, now } = this;
    for (const [position, contribution] of contributions.entries()) {
      this.contributionCount++;
      this.keptContributionKeys.add(contribution.key);
      const fields = {
        goalId,
        interventionId,
        organisationId: this.organisationIds.get(contribution.organisation)!,
        position,
        summary: contribution.summary,
        text: contribution.text,
        budgetAmount: contribution.budget ? BigInt(contribution.budget.amount) : null,
        budgetCurrency: contribution.budget?.currency ?? null,
        notes: contribution.notes,
      };
      const { id: contributionId } = await tx
        .insertInto('Contribution')
        .values({ planId, key: contribution.key, ...fields })
        .onConflict((oc) => oc.columns(['planId', 'key']).doUpdateSet(fields))
        .returning('id')
        .executeTakeFirstOrThrow();

      for (const [milestonePosition, milestone] of contribution.milestones.entries()) {
        this.milestoneCount++;
        this.keptMilestoneKeys.add(milestone.key);
        const fields = {
          contributionId,
          position: milestonePosition,
          label: milestone.label,
          kind: milestone.kind,
          dueFrom: milestone.dueFrom,
          dueTo: milestone.dueTo,
          dueMonth: milestone.dueMonth,
          text: milestone.text,
          notes: milestone.notes,
        };
        const existingId = existingMilestones.get(milestone.key);
        if (existingId !== undefined) {
          const current = await tx
            .updateTable('Milestone')
            .set({ ...fields, updatedAt: now })
            .where('id', '=', existingId)
            .returning('state')
            .executeTakeFirstOrThrow();
          if (milestone.state && milestone.state !== current.state) {
            this.warnings.push(
              `Milestone ${milestone.key}: the file says "${milestone.state}", the recorded state "${current.state}" was kept (states change through reports).`,
            );
          }
          continue;
        }
        const state = milestone.state ?? 'not_started';
        const progress = milestone.progress ?? DEFAULT_PROGRESS[state];
        const created = await tx
          .insertInto('Milestone')
          .values({
            planId,
            key: milestone.key,
            ...fields,
            state,
            progress,
            stateChangedAt: state === 'not_started' ? null : now,
            createdAt: now,
            updatedAt: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        // Every milestone's history starts with the state it was created in, so its state at any
        // moment (the figures of record) is read from the history alone.
        await tx
          .insertInto('MilestoneUpdate')
          .values({
            milestoneId: created.id,
            fromState: null,
            toState: state,
            progress,
            channel: 'import',
            actor: 'import',
            comment: milestone.state ? 'State given in the imported plan file.' : null,
            createdAt: now,
          })
          .execute();
      }
    }
  }

  private async removeLeftovers(
    planId: number,
    kept: { priorityNames: string[]; goalNumbers: number[]; codes: string[] },
  ): Promise<ImportReport['removed']> {
    const { tx } = this;
    const keptMilestoneKeys = [...this.keptMilestoneKeys];
    const reported = await tx
      .selectFrom('Milestone as m')
      .select('m.key')
      .where('m.planId', '=', planId)
      .where((eb) => eb.not(eb('m.key', '=', eb.fn.any(eb.val(keptMilestoneKeys)))))
      .where((eb) =>
        eb.exists(
          eb.selectFrom('MilestoneUpdate as u').select('u.id').whereRef('u.milestoneId', '=', 'm.id').where('u.channel', '!=', 'import'),
        ),
      )
      .orderBy('m.key')
      .execute();
    if (reported.length > 0) {
      throw new PlanImportConflict(
        `The file no longer lists ${reported.length} milestone(s) that have reports recorded: ${reported.map((m) => m.key).join(', ')}. ` +
          'Keep them in the file (mark them cancelled through a report if they are dropped); history is never deleted by an import.',
      );
    }
    const milestones = await tx
      .deleteFrom('Milestone')
      .where('planId', '=', planId)
      .where((eb) => eb.not(eb('key', '=', eb.fn.any(eb.val(keptMilestoneKeys)))))
      .executeTakeFirst();
    const contributions = await tx
      .deleteFrom('Contribution')
      .where('planId', '=', planId)
      .where((eb) => eb.not(eb('key', '=', eb.fn.any(eb.val([...this.keptContributionKeys])))))
      .executeTakeFirst();
    const interventions = await tx
      .deleteFrom('Intervention')
      .where('planId', '=', planId)
      .where((eb) => eb.not(eb('code', '=', eb.fn.any(eb.val(kept.codes)))))
      .executeTakeFirst();
    const goals = await tx
      .deleteFrom('Goal')
      .where('planId', '=', planId)
      .where((eb) => eb.not(eb('number', '=', eb.fn.any(eb.val(kept.goalNumbers)))))
      .executeTakeFirst();
    const priorities = await tx
      .deleteFrom('Priority')
      .where('planId', '=', planId)
      .where((eb) => eb.not(eb('name', '=', eb.fn.any(eb.val(kept.priorityNames)))))
      .executeTakeFirst();
    return {
      milestones: Number(milestones.numDeletedRows),
      contributions: Number(contributions.numDeletedRows),
      interventions: Number(interventions.numDeletedRows),
      goals: Number(goals.numDeletedRows),
      priorities: Number(priorities.numDeletedRows),
    };
  }
}
