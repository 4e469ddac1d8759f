import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';
import { DEFAULT_PROGRESS } from '../progress/milestone-states.js';
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
  constructor(private readonly prisma: PrismaService) {}

  async write(draft: PlanDraft): Promise<ImportReport> {
    return this.prisma.$transaction((tx) => new PlanWriter(tx, draft).write(), { timeout: 120_000, maxWait: 10_000 });
  }

  /** Numbers a plan's milestones in plan order again (after milestones were written by other means). */
  renumber(planId: number, tx: Tx = this.prisma): Promise<number> {
    return renumberPlan(tx, planId);
  }
}

/**
 * Sets Milestone.planOrder to each milestone's place in the plan: goal number, intervention code
 * (byte order, a goal's own contributions first), contribution position, milestone position, id;
 * 1, 2, 3 … per plan. The overdue list sorts by it (src/progress/attainment.repository.ts), so it
 * must be the order the list promises. One statement; rows already in place are not written.
 * The migration 20261129060000_milestone_plan_order numbers existing plans the same way.
 */
export async function renumberPlan(tx: Tx, planId: number): Promise<number> {
  return tx.$executeRaw(Prisma.sql`
    UPDATE "Milestone" m
    SET "planOrder" = o.n
    FROM (
      SELECT m.id,
             row_number() OVER (ORDER BY g.number, i.code COLLATE "C" NULLS FIRST, c.position, m.position, m.id)::int AS n
      FROM "Milestone" m
      JOIN "Contribution" c ON c.id = m."contributionId"
      JOIN "Goal" g ON g.id = c."goalId"
      LEFT JOIN "Intervention" i ON i.id = c."interventionId"
      WHERE m."planId" = ${planId}
    ) o
    WHERE o.id = m.id AND m."planOrder" IS DISTINCT FROM o.n`);
}

class PlanWriter {
  private readonly warnings: string[];
  private readonly organisationIds = new Map<string, number>();
  private readonly keptMilestoneKeys = new Set<string>();
  private readonly keptContributionKeys = new Set<string>();
  private milestoneCount = 0;
  private contributionCount = 0;

  constructor(
    private readonly tx: Tx,
    private readonly draft: PlanDraft,
  ) {
    this.warnings = [...draft.warnings];
  }

  async write(): Promise<ImportReport> {
    const { tx, draft } = this;
    const existing = await tx.plan.findUnique({ where: { slug: draft.slug }, select: { id: true } });
    const planFields = {
      title: draft.title,
      periodFrom: draft.period.from,
      periodTo: draft.period.to,
      currency: draft.currency,
      source: draft.source,
      notes: draft.notes,
    };
    const plan = await tx.plan.upsert({ where: { slug: draft.slug }, create: { slug: draft.slug, ...planFields }, update: planFields });

    for (const organisation of draft.organisations) await this.writeOrganisation(organisation);
    await tx.planOrganisation.deleteMany({ where: { planId: plan.id } });
    await tx.planOrganisation.createMany({
      data: draft.organisations.map((organisation, position) => ({
        planId: plan.id,
        organisationId: this.organisationIds.get(organisation.name)!,
        position,
      })),
    });

    const existingMilestones = new Map(
      (await tx.milestone.findMany({ where: { planId: plan.id }, select: { key: true, id: true } })).map((m) => [m.key, m.id]),
    );

    const priorityNames: string[] = [];
    const goalNumbers: number[] = [];
    const codes: string[] = [];
    for (const [position, priority] of draft.priorities.entries()) {
      priorityNames.push(priority.name);
      const { id: priorityId } = await tx.priority.upsert({
        where: { planId_name: { planId: plan.id, name: priority.name } },
        create: { planId: plan.id, name: priority.name, position, notes: priority.notes },
        update: { position, notes: priority.notes },
      });
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
          const { id: interventionId } = await tx.intervention.upsert({
            where: { planId_code: { planId: plan.id, code: intervention.code } },
            create: { planId: plan.id, code: intervention.code, ...fields },
            update: fields,
          });
          await this.writeContributions(plan.id, goalId, interventionId, intervention.contributions, existingMilestones);
        }
      }
    }

    const removed = await this.removeLeftovers(plan.id, { priorityNames, goalNumbers, codes });
    await renumberPlan(tx, plan.id);
    return {
      planId: plan.id,
      slug: draft.slug,
      created: existing === null,
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
    const { tx } = this;
    const fields = { kind: organisation.kind, language: organisation.language, notes: organisation.notes };
    const { id } = await tx.organisation.upsert({
      where: { name: organisation.name },
      create: { name: organisation.name, ...fields },
      update: fields,
    });
    this.organisationIds.set(organisation.name, id);

    // Contacts are managed in the service once real addresses are known: a file adds the contacts
    // it lists and retires placeholders it no longer lists, but never removes a real address.
    if (organisation.contacts.length === 0) return;
    const listed = new Set(organisation.contacts.map((contact) => contact.email));
    await tx.contact.deleteMany({ where: { organisationId: id, placeholder: true, email: { notIn: [...listed] } } });
    for (const contact of organisation.contacts) {
      await tx.contact.upsert({
        where: { organisationId_email: { organisationId: id, email: contact.email } },
        create: { organisationId: id, ...contact },
        update: { name: contact.name ?? undefined },
      });
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
    const { id } = await tx.goal.upsert({
      where: { planId_number: { planId, number: goal.number } },
      create: { planId, number: goal.number, ...fields },
      update: fields,
    });
    // Budget lines carry no history: replacing them is the simplest faithful update.
    await tx.budgetLine.deleteMany({ where: { goalId: id } });
    if (goal.budget) {
      await tx.budgetLine.createMany({
        data: goal.budget.lines.map((line, linePosition) => ({
          goalId: id,
          position: linePosition,
          partner: line.partner,
          amount: BigInt(line.amount),
        })),
      });
    }
    return id;
  }

  private async writeContributions(
    planId: number,
    goalId: number,
    interventionId: number | null,
    contributions: ContributionDraft[],
    existingMilestones: Map<string, number>,
  ): Promise<void> {
    const { tx } = this;
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
      const { id: contributionId } = await tx.contribution.upsert({
        where: { planId_key: { planId, key: contribution.key } },
        create: { planId, key: contribution.key, ...fields },
        update: fields,
      });

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
          const current = await tx.milestone.update({ where: { id: existingId }, data: fields, select: { state: true } });
          if (milestone.state && milestone.state !== current.state) {
            this.warnings.push(
              `Milestone ${milestone.key}: the file says "${milestone.state}", the recorded state "${current.state}" was kept (states change through reports).`,
            );
          }
          continue;
        }
        const state = milestone.state ?? 'not_started';
        const progress = milestone.progress ?? DEFAULT_PROGRESS[state];
        const created = await tx.milestone.create({
          data: { planId, key: milestone.key, ...fields, state, progress, stateChangedAt: state === 'not_started' ? null : new Date() },
          select: { id: true },
        });
        if (state !== 'not_started') {
          await tx.milestoneUpdate.create({
            data: {
              milestoneId: created.id,
              fromState: null,
              toState: state,
              progress,
              channel: 'import',
              actor: 'import',
              comment: 'State given in the imported plan file.',
            },
          });
        }
      }
    }
  }

  private async removeLeftovers(
    planId: number,
    kept: { priorityNames: string[]; goalNumbers: number[]; codes: string[] },
  ): Promise<ImportReport['removed']> {
    const { tx } = this;
    const goneMilestones = { planId, key: { notIn: [...this.keptMilestoneKeys] } };
    const reported = await tx.milestone.findMany({
      where: { ...goneMilestones, updates: { some: { channel: { not: 'import' } } } },
      select: { key: true },
      orderBy: { key: 'asc' },
    });
    if (reported.length > 0) {
      throw new PlanImportConflict(
        `The file no longer lists ${reported.length} milestone(s) that have reports recorded: ${reported.map((m) => m.key).join(', ')}. ` +
          'Keep them in the file (mark them cancelled through a report if they are dropped); history is never deleted by an import.',
      );
    }
    const milestones = (await tx.milestone.deleteMany({ where: goneMilestones })).count;
    const contributions = (await tx.contribution.deleteMany({ where: { planId, key: { notIn: [...this.keptContributionKeys] } } })).count;
    const interventions = (await tx.intervention.deleteMany({ where: { planId, code: { notIn: kept.codes } } })).count;
    const goals = (await tx.goal.deleteMany({ where: { planId, number: { notIn: kept.goalNumbers } } })).count;
    const priorities = (await tx.priority.deleteMany({ where: { planId, name: { notIn: kept.priorityNames } } })).count;
    return { milestones, contributions, interventions, goals, priorities };
  }
}
