import { Injectable, NotFoundException } from '@nestjs/common';
import { PlanRepository, type ContributionTree } from './plan.repository.js';
import { presentBudget, presentContributionBudget } from './plan.presenter.js';

/**
 * The plan as a plan file (the shape `plan import` reads), with the stable keys and the current
 * milestone states, so export → import → export gives the same document.
 */
@Injectable()
export class PlanExportService {
  constructor(private readonly plans: PlanRepository) {}

  async export(planId: number) {
    const plan = await this.plans.findPlanTree(planId);
    if (!plan) throw new NotFoundException(`There is no plan with id ${planId}.`);
    return {
      slug: plan.slug,
      title: plan.title,
      period: { from: plan.periodFrom, to: plan.periodTo },
      currency: plan.currency,
      source: plan.source,
      notes: plan.notes,
      organisations: plan.organisations.map(({ organisation }) => ({
        name: organisation.name,
        kind: organisation.kind,
        language: organisation.language,
        contacts: organisation.contacts.map((contact) => ({ email: contact.email, name: contact.name, placeholder: contact.placeholder })),
        notes: organisation.notes,
      })),
      priorities: plan.priorities.map((priority) => ({
        name: priority.name,
        notes: priority.notes,
        goals: priority.goals.map((goal) => ({
          number: goal.number,
          title: goal.title,
          attainmentCriteria: goal.attainmentCriteria,
          criteria: goal.criteria.map(({ key, text, source }) => ({ key, text, source })),
          budget: presentBudget(goal),
          notes: goal.notes,
          contributions: goal.contributions.map(exportContribution),
          interventions: goal.interventions.map((intervention) => ({
            code: intervention.code,
            title: intervention.title,
            partners: intervention.partners,
            notes: intervention.notes,
            contributions: intervention.contributions.map(exportContribution),
          })),
        })),
      })),
    };
  }
}

function exportContribution(contribution: ContributionTree) {
  return {
    key: contribution.key,
    organisation: contribution.organisation.name,
    summary: contribution.summary,
    text: contribution.text,
    budget: presentContributionBudget(contribution),
    notes: contribution.notes,
    milestones: contribution.milestones.map((milestone) => ({
      key: milestone.key,
      label: milestone.label,
      kind: milestone.kind,
      dueFrom: milestone.dueFrom,
      dueTo: milestone.dueTo,
      dueMonth: milestone.dueMonth,
      text: milestone.text,
      state: milestone.state,
      progress: milestone.progress,
      notes: milestone.notes,
    })),
  };
}
