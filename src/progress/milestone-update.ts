import { unstorableText } from '../common/text.js';
import { z } from 'zod';
import { MILESTONE_STATES, type MilestoneStateName } from '../common/milestone-states.js';

/**
 * One answer about one milestone, from any channel (the form, an email reply, the API, the
 * secretariat). Everything shown later is escaped where it is shown; here the rules are about
 * what may be stored at all.
 */
const storable = (value: string) => unstorableText(value) === null;
const UNSTORABLE = 'must not contain NUL characters or broken characters (unpaired surrogates)';

/** An evidence link: http or https only, so a page never renders a javascript: or file: link. */
export const httpLink = z
  .string()
  .trim()
  .max(2_000, 'must be at most 2,000 characters')
  .refine(storable, UNSTORABLE)
  .refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// link');

export const answerSchema = z.strictObject({
  state: z.enum(MILESTONE_STATES, { message: `must be one of ${MILESTONE_STATES.join(', ')}` }),
  progress: z.number().int('must be a whole number').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').nullish(),
  comment: z.string().trim().max(5_000, 'must be at most 5,000 characters').refine(storable, UNSTORABLE).nullish(),
  evidenceUrl: httpLink.nullish(),
});

export type Answer = z.infer<typeof answerSchema>;

export interface RecordedAnswer {
  milestoneId: number;
  state: MilestoneStateName;
  progress: number;
  comment: string | null;
  evidenceUrl: string | null;
}
