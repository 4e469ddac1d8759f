import { DEFAULT_PROGRESS, type MilestoneStateName } from '../common/milestone-states.js';

/** States whose progress is fixed by the state itself, whatever figure came with the answer. */
const FIXED_PROGRESS: Partial<Record<MilestoneStateName, number>> = {
  completed: 100,
  not_started: 0,
  // Cancelled milestones leave every completion figure's denominator, so their progress counts nowhere.
  cancelled: 0,
};

/** States in which a stored progress is a figure a committee gave (or its default), worth carrying on. */
const REPORTED_STATES: readonly MilestoneStateName[] = ['in_progress', 'at_risk', 'delayed'];

export interface ProgressAnswer {
  state: MilestoneStateName;
  /** The percentage the committee gave: the form's field, or "40 %" read from an email line. */
  given?: number | null;
}

export interface LastRecorded {
  state: MilestoneStateName;
  progress: number;
}

/**
 * The progress a milestone is recorded with after an answer, the same for every channel (link
 * form, JSON API, email reply, secretariat): completed is 100 %, not started 0 %, cancelled 0 %
 * and excluded from the figures; any other state takes the percentage the committee gave, else
 * the last one reported while the milestone was under way, else the state's default.
 */
export function recordedProgress(answer: ProgressAnswer, last: LastRecorded | null): number {
  const fixed = FIXED_PROGRESS[answer.state];
  if (fixed !== undefined) return fixed;
  if (answer.given !== undefined && answer.given !== null) return clampPercent(answer.given);
  if (last && REPORTED_STATES.includes(last.state)) return last.progress;
  return DEFAULT_PROGRESS[answer.state];
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** States a committee must explain: the secretariat cannot act on "delayed" without knowing why. */
export const STATES_NEEDING_REASON: readonly MilestoneStateName[] = ['delayed', 'at_risk', 'cancelled'];

/** True when an answer's state needs a reason and its comment gives none. */
export function lacksReason(state: MilestoneStateName, comment: string | null | undefined): boolean {
  return STATES_NEEDING_REASON.includes(state) && (comment ?? '').trim() === '';
}
