import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { MilestoneState, Prisma } from '../generated/prisma/client.js';

const milestoneOrder = [
  { contribution: { goal: { number: 'asc' } } },
  { contributionId: 'asc' },
  { position: 'asc' },
] satisfies Prisma.MilestoneOrderByWithRelationInput[];

const contributionTree = {
  orderBy: { position: 'asc' },
  include: { organisation: { select: { name: true } }, milestones: { orderBy: { position: 'asc' } } },
} satisfies Prisma.Goal$contributionsArgs;

const goalTree = {
  orderBy: { position: 'asc' },
  include: {
    budgetLines: { orderBy: { position: 'asc' } },
    contributions: { ...contributionTree, where: { interventionId: null } },
    interventions: { orderBy: { position: 'asc' }, include: { contributions: contributionTree } },
  },
} satisfies Prisma.Priority$goalsArgs;

export type GoalTree = Prisma.GoalGetPayload<{ include: typeof goalTree.include }>;
export type ContributionTree = GoalTree['contributions'][number];

export interface MilestoneFilter {
  planId: number;
  organisationId?: number;
  goalNumber?: number;
  interventionCode?: string;
  /** Milestones whose due span includes this year. */
  dueYear?: number;
  state?: MilestoneState;
}

/** Reads of the plan tree. */
@Injectable()
export class PlanRepository {
  constructor(private readonly prisma: PrismaService) {}

  findPlans() {
    return this.prisma.plan.findMany({ orderBy: [{ periodFrom: 'desc' }, { id: 'asc' }] });
  }

  findPlan(id: number) {
    return this.prisma.plan.findUnique({ where: { id } });
  }

  findPlanTree(id: number) {
    return this.prisma.plan.findUnique({
      where: { id },
      include: {
        organisations: {
          orderBy: { position: 'asc' },
          include: { organisation: { include: { contacts: { orderBy: { id: 'asc' } } } } },
        },
        priorities: { orderBy: { position: 'asc' }, include: { goals: goalTree } },
      },
    });
  }

  findGoals(planId: number) {
    return this.prisma.goal.findMany({
      where: { planId },
      orderBy: { number: 'asc' },
      include: {
        priority: { select: { name: true } },
        budgetLines: { orderBy: { position: 'asc' } },
        interventions: { orderBy: { position: 'asc' }, select: { code: true, title: true, partners: true } },
      },
    });
  }

  findGoal(planId: number, number: number) {
    return this.prisma.goal.findUnique({
      where: { planId_number: { planId, number } },
      include: { priority: { select: { name: true } }, ...goalTree.include },
    });
  }

  findIntervention(planId: number, code: string) {
    return this.prisma.intervention.findUnique({
      where: { planId_code: { planId, code } },
      include: { goal: { select: { number: true, title: true } }, contributions: contributionTree },
    });
  }

  findOrganisations(planId: number) {
    return this.prisma.organisation.findMany({
      where: { plans: { some: { planId } } },
      orderBy: { name: 'asc' },
      include: {
        contacts: { orderBy: { id: 'asc' } },
        _count: { select: { contributions: { where: { planId } } } },
      },
    });
  }

  findOrganisation(id: number) {
    return this.prisma.organisation.findUnique({ where: { id }, include: { contacts: { orderBy: { id: 'asc' } } } });
  }

  async findMilestones(filter: MilestoneFilter, page: { skip: number; take: number }) {
    const where = milestoneWhere(filter);
    const [total, items] = await this.prisma.$transaction([
      this.prisma.milestone.count({ where }),
      this.prisma.milestone.findMany({
        where,
        orderBy: milestoneOrder,
        skip: page.skip,
        take: page.take,
        include: milestoneContext,
      }),
    ]);
    return { total, items };
  }

  findMilestone(id: number) {
    return this.prisma.milestone.findUnique({ where: { id }, include: milestoneContext });
  }
}

export const milestoneContext = {
  contribution: {
    select: {
      key: true,
      organisation: { select: { id: true, name: true } },
      goal: { select: { number: true } },
      intervention: { select: { code: true } },
    },
  },
} satisfies Prisma.MilestoneInclude;

export function milestoneWhere(filter: MilestoneFilter): Prisma.MilestoneWhereInput {
  return {
    planId: filter.planId,
    state: filter.state,
    contribution: {
      organisationId: filter.organisationId,
      goal: filter.goalNumber === undefined ? undefined : { number: filter.goalNumber },
      intervention: filter.interventionCode === undefined ? undefined : { code: filter.interventionCode },
    },
    ...(filter.dueYear === undefined ? {} : { dueFrom: { lte: filter.dueYear }, dueTo: { gte: filter.dueYear } }),
  };
}
