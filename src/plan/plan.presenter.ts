import type { Milestone } from '../generated/prisma/client.js';
import type { ContributionTree, GoalTree } from './plan.repository.js';

/** API shapes of the plan tree: BigInt amounts become numbers, relations become names and codes. */

export function presentBudget(goal: Pick<GoalTree, 'budgetCurrency' | 'budgetTotal' | 'budgetLines'>) {
  if (goal.budgetCurrency === null) return null;
  return {
    currency: goal.budgetCurrency,
    lines: goal.budgetLines.map((line) => ({ partner: line.partner, amount: Number(line.amount) })),
    total: goal.budgetTotal === null ? null : Number(goal.budgetTotal),
  };
}

export function presentContribution(contribution: ContributionTree) {
  return {
    id: contribution.id,
    key: contribution.key,
    organisation: contribution.organisation.name,
    summary: contribution.summary,
    text: contribution.text,
    budget:
      contribution.budgetCurrency === null || contribution.budgetAmount === null
        ? null
        : { currency: contribution.budgetCurrency, amount: Number(contribution.budgetAmount) },
    notes: contribution.notes,
    milestones: contribution.milestones.map(presentMilestoneFields),
  };
}

export function presentMilestoneFields(milestone: Milestone) {
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

type MilestoneWithContext = Milestone & {
  contribution: {
    key: string;
    organisation: { id: number; name: string };
    goal: { number: number };
    intervention: { code: string } | null;
  };
};

export function presentMilestone(milestone: MilestoneWithContext) {
  return {
    ...presentMilestoneFields(milestone),
    owner: milestone.contribution.organisation,
    goal: milestone.contribution.goal.number,
    intervention: milestone.contribution.intervention?.code ?? null,
    contribution: milestone.contribution.key,
  };
}
