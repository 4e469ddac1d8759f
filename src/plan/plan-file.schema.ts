import { z } from 'zod';
import { LANGUAGES } from '../i18n/i18n.js';
import { MILESTONE_STATES, type MilestoneStateName } from '../common/milestone-states.js';

/**
 * The plan file: what `plan import` reads and `plan export` writes (YAML or JSON, same shape).
 * Fields the export adds (keys, state, progress) are optional on import, so a hand-written seed
 * and an exported file are both valid.
 */

const text = z.string().trim().min(1, 'must not be empty');
const notes = z.array(z.string()).default([]);
const year = z.number().int('must be a whole year');
const amount = z.number().int('must be a whole amount').nonnegative('must not be negative');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter currency code such as DKK or EUR');

export const ORGANISATION_KINDS = ['border_committee', 'institution', 'thematic_group', 'secretariat'] as const;
export { LANGUAGES };
export const MILESTONE_KINDS = ['milestone', 'deliverable'] as const;
export { MILESTONE_STATES, type MilestoneStateName };

const contact = z.union([
  z.string().email('must be an email address'),
  z.strictObject({
    email: z.string().email('must be an email address'),
    name: z.string().nullish(),
    placeholder: z.boolean().default(false),
  }),
]);

export const organisationSchema = z.strictObject({
  name: text,
  kind: z.enum(ORGANISATION_KINDS),
  language: z.enum(LANGUAGES),
  contacts: z.array(contact).default([]),
  /** Marks every plain-string contact of this organisation as a placeholder. */
  contactsArePlaceholders: z.boolean().default(false),
  notes,
});

export const milestoneSchema = z.strictObject({
  key: text.optional(),
  /** Exactly as written in the plan; null where it gives none. */
  label: z.string().trim().min(1).nullable(),
  /** Derived from the label when left out (D… is a deliverable). */
  kind: z.enum(MILESTONE_KINDS).optional(),
  /** Derived from the label when left out; null means "no due year". */
  dueFrom: year.nullable().optional(),
  dueTo: year.nullable().optional(),
  dueMonth: z.number().int().min(1, 'must be a month 1-12').max(12, 'must be a month 1-12').nullish(),
  text,
  /** Only used when the milestone is new; afterwards states change through reports. */
  state: z.enum(MILESTONE_STATES).optional(),
  progress: z.number().int().min(0, 'must be 0-100').max(100, 'must be 0-100').optional(),
  notes,
});

const budgetAmount = z.strictObject({ currency, amount });

export const contributionSchema = z.strictObject({
  key: text.optional(),
  organisation: text,
  summary: text,
  text: z.string().default(''),
  budget: budgetAmount.nullish(),
  notes,
  milestones: z.array(milestoneSchema).default([]),
});

export const interventionSchema = z.strictObject({
  code: z.string().regex(/^[A-Z]\.\d+\.[a-z]$/, 'must be a code such as G.1.a'),
  title: text,
  partners: z.array(text).default([]),
  notes,
  contributions: z.array(contributionSchema).default([]),
});

export const goalSchema = z.strictObject({
  number: z.number().int().positive('must be a positive whole number'),
  title: text,
  /** The criteria as the plan writes them ("Målopnåelse"). */
  attainmentCriteria: z.array(text).default([]),
  /**
   * The assessable items, where a criterion lists several things: each with a key that stays
   * across re-imports and the number (from 1) of the criterion it comes from. Left out, each
   * criterion is one item, keyed by its number.
   */
  criteria: z
    .array(
      z.strictObject({
        key: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9.-]{1,20}$/, 'must be a short key of letters, digits, dots and dashes such as 1a'),
        text,
        source: z.number().int('must be a whole number').positive('must be the number of a criterion, counted from 1'),
      }),
    )
    .optional(),
  budget: z
    .object({
      currency,
      lines: z.array(z.strictObject({ partner: text, amount })),
      total: amount.nullish(),
    })
    .nullish(),
  notes,
  contributions: z.array(contributionSchema).default([]),
  interventions: z.array(interventionSchema).default([]),
});

export const planFileSchema = z.strictObject({
  slug: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters, digits and dashes')
    .optional(),
  title: text,
  period: z
    .object({ from: year, to: year })
    .refine((period) => period.from <= period.to, { message: 'from must not be after to', path: ['to'] }),
  currency: currency.default('DKK'),
  source: z.string().nullish(),
  notes,
  organisations: z.array(organisationSchema).min(1, 'must list at least one organisation'),
  priorities: z
    .array(z.strictObject({ name: text, notes, goals: z.array(goalSchema).default([]) }))
    .min(1, 'must list at least one priority'),
});

export type PlanFile = z.infer<typeof planFileSchema>;
export type OrganisationEntry = z.infer<typeof organisationSchema>;
export type GoalEntry = z.infer<typeof goalSchema>;
export type InterventionEntry = z.infer<typeof interventionSchema>;
export type ContributionEntry = z.infer<typeof contributionSchema>;
export type MilestoneEntry = z.infer<typeof milestoneSchema>;
