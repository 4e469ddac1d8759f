/**
 * The vocabulary of milestone states, owned here so that the plan, progress, mail and every page
 * speak of the same states. Progress defaults follow the state unless a report gives its own
 * figure; cancelled milestones leave the denominator of every completion figure.
 */
export const MILESTONE_STATES = ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'] as const;
export type MilestoneStateName = (typeof MILESTONE_STATES)[number];

export const DEFAULT_PROGRESS: Record<MilestoneStateName, number> = {
  not_started: 0,
  in_progress: 50,
  at_risk: 50,
  delayed: 25,
  completed: 100,
  cancelled: 0,
};

/** States that still need work: the ones a reporting round asks about. */
export const OPEN_STATES: MilestoneStateName[] = ['not_started', 'in_progress', 'at_risk', 'delayed'];
