import { notFound } from '../common/refusal.js';
import { Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import type { Page, Pagination } from '../common/pagination.js';
import { toSkipTake } from '../common/pagination.js';
import { presentBudget, presentContribution, presentMilestone } from './plan.presenter.js';
import { PlanRepository, type MilestoneFilter } from './plan.repository.js';

/** The read side of the plan: what the API and the dashboard show. */
@Injectable()
export class PlanService {
  constructor(
    private readonly plans: PlanRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * The plan a request means: the one asked for, or else the current one (the plan whose period
   * holds this year, or the latest), so a single-plan installation needs no plan id anywhere.
   */
  async resolvePlanId(planId?: number, today = this.clock.now()): Promise<number> {
    if (planId !== undefined) {
      if (!(await this.plans.findPlan(planId))) throw new NotFoundException(`There is no plan with id ${planId}.`);
      return planId;
    }
    const plans = await this.plans.findPlans();
    if (plans.length === 0) throw new NotFoundException('No plan has been imported yet: run `npm run cli -- plan import <file>`.');
    const year = today.getFullYear();
    return (plans.find((plan) => plan.periodFrom <= year && year <= plan.periodTo) ?? plans[0]!).id;
  }

  listPlans() {
    return this.plans.findPlans();
  }

  async planTree(planId: number) {
    const plan = await this.plans.findPlanTree(planId);
    if (!plan) throw new NotFoundException(`There is no plan with id ${planId}.`);
    return {
      id: plan.id,
      slug: plan.slug,
      title: plan.title,
      period: { from: plan.periodFrom, to: plan.periodTo },
      currency: plan.currency,
      notes: plan.notes,
      organisations: plan.organisations.map(({ organisation }) => ({
        id: organisation.id,
        name: organisation.name,
        kind: organisation.kind,
        language: organisation.language,
      })),
      priorities: plan.priorities.map((priority) => ({
        name: priority.name,
        goals: priority.goals.map((goal) => ({
          number: goal.number,
          title: goal.title,
          attainmentCriteria: goal.attainmentCriteria,
          criteria: goal.criteria.map(({ id, key, text, source }) => ({ id, key, text, source })),
          budget: presentBudget(goal),
          notes: goal.notes,
          contributions: goal.contributions.map(presentContribution),
          interventions: goal.interventions.map((intervention) => ({
            code: intervention.code,
            title: intervention.title,
            partners: intervention.partners,
            notes: intervention.notes,
            contributions: intervention.contributions.map(presentContribution),
          })),
        })),
      })),
    };
  }

  async goals(planId: number) {
    const goals = await this.plans.findGoals(planId);
    return goals.map((goal) => ({
      number: goal.number,
      title: goal.title,
      priority: goal.priorityName,
      attainmentCriteria: goal.attainmentCriteria,
      criteria: goal.criteria.map(({ id, key, text, source }) => ({ id, key, text, source })),
      budget: presentBudget(goal),
      interventions: goal.interventions,
      notes: goal.notes,
    }));
  }

  async goal(planId: number, number: number) {
    const goal = await this.plans.findGoal(planId, number);
    if (!goal) throw notFound('problem.no_goal', { number }, `The plan has no goal ${number}.`);
    return {
      number: goal.number,
      title: goal.title,
      priority: goal.priorityName,
      attainmentCriteria: goal.attainmentCriteria,
      criteria: goal.criteria.map(({ id, key, text, source }) => ({ id, key, text, source })),
      budget: presentBudget(goal),
      notes: goal.notes,
      contributions: goal.contributions.map(presentContribution),
      interventions: goal.interventions.map((intervention) => ({
        code: intervention.code,
        title: intervention.title,
        partners: intervention.partners,
        notes: intervention.notes,
        contributions: intervention.contributions.map(presentContribution),
      })),
    };
  }

  async intervention(planId: number, code: string) {
    const intervention = await this.plans.findIntervention(planId, code);
    if (!intervention) throw new NotFoundException(`The plan has no intervention ${code}.`);
    return {
      code: intervention.code,
      title: intervention.title,
      goal: { number: intervention.goalNumber, title: intervention.goalTitle },
      partners: intervention.partners,
      notes: intervention.notes,
      contributions: intervention.contributions.map(presentContribution),
    };
  }

  async organisations(planId: number) {
    const organisations = await this.plans.findOrganisations(planId);
    return organisations.map((organisation) => ({
      id: organisation.id,
      name: organisation.name,
      kind: organisation.kind,
      language: organisation.language,
      contacts: organisation.contacts.map((contact) => ({ email: contact.email, name: contact.name, placeholder: contact.placeholder })),
      contributions: organisation.contributions,
      notes: organisation.notes,
    }));
  }

  async milestones(filter: MilestoneFilter, pagination: Pagination): Promise<Page<ReturnType<typeof presentMilestone>>> {
    const { total, items } = await this.plans.findMilestones(filter, toSkipTake(pagination));
    return { items: items.map(presentMilestone), page: pagination.page, pageSize: pagination.pageSize, total };
  }

  async milestone(id: number) {
    const milestone = await this.plans.findMilestone(id);
    if (!milestone) throw notFound('problem.no_milestone', { id }, `There is no milestone with id ${id}.`);
    return presentMilestone(milestone);
  }
}
