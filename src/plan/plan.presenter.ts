import type { ContributionTree, GoalTree, MilestoneInContext, MilestoneRow } from './plan.repository.js';

/** API shapes of the plan tree: BigInt amounts become numbers, relations become names and codes. */

export function presentBudget(goal: Pick<GoalTree, 'budgetCurrency' | 'budgetTotal' | 'budgetLines'>) {
  if (goal.budgetCurrency === null) return null;
  return {
    currency: goal.budgetCurrency,
    lines: goal.budgetLines.map((line) => ({ partner: line.partner, amount: Number(line.amount) })),
    total: goal.budgetTotal === null ? null : Number(goal.budgetTotal),
  };
}

export function presentContributionBudget(contribution: Pick<ContributionTree, 'budgetCurrency' | 'budgetAmount'>) {
  return contribution.budgetCurrency === null || contribution.budgetAmount === null
    ? null
    : { currency: contribution.budgetCurrency, amount: Number(contribution.budgetAmount) };
}

export function presentContribution(contribution: ContributionTree) {
  return {
    id: contribution.id,
    key: contribution.key,
    organisation: contribution.organisation.name,
    summary: contribution.summary,
    text: contribution.text,
    budget: presentContributionBudget(contribution),
    notes: contribution.notes,
    milestones: contribution.milestones.map(presentMilestoneFields),
  };
}

export function presentMilestoneFields(milestone: MilestoneRow) {
  return {
    id: milestone.id,
    key: milestone.key,
    label: milestone.label,
    kind: milestone.kind,
    dueFrom: milestone.dueFrom,
    dueTo: milestone.dueTo,
    dueMonth: milestone.dueMonth,
    text: milestone.text,
    state: milestone.state,
    progress: milestone.progress,
    stateChangedAt: milestone.stateChangedAt,
    notes: milestone.notes,
  };
}

export function presentMilestone(milestone: MilestoneInContext) {
  return {
    ...presentMilestoneFields(milestone),
    owner: { id: milestone.ownerId, name: milestone.ownerName },
    goal: milestone.goalNumber,
    intervention: milestone.interventionCode,
    contribution: milestone.contributionKey,
  };
}
