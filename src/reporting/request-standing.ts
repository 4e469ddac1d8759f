import type { RequestStatus } from '../generated/db/enums.js';

/** How an organisation stands in a round: what every page, mail and report that counts answers shows. */
export type RequestStanding = 'answered' | 'partial' | 'missing' | 'no_contact' | 'bounced';

export interface RequestCounts {
  status: RequestStatus;
  /** Milestones the round chases the organisation for (due by the round's year). */
  required: number;
  /** Of those, the ones answered. */
  answered: number;
}

/**
 * A request is answered when it is marked so (a final submission, or one that left nothing
 * required open) or when every milestone it chases has its answer; partly answered when some have.
 * A request that never reached anyone (no contact, a bounced mail) stands as that, whatever else.
 */
export function requestStanding(request: RequestCounts): RequestStanding {
  if (request.status === 'no_contact' || request.status === 'bounced') return request.status;
  if (request.status === 'answered' || (request.required > 0 && request.answered >= request.required)) return 'answered';
  return request.answered > 0 ? 'partial' : 'missing';
}
