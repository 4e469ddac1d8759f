import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { Clock } from '../common/clock.js';
import { localDate } from '../common/dates.js';
import { AppConfig } from '../config/config.module.js';
import type { CriterionVerdict } from '../generated/db/enums.js';
import { CriteriaRepository, ForeignCriteria, type CriterionWithAssessment } from './criteria.repository.js';
import { httpLink } from './milestone-update.js';

export const CRITERION_VERDICTS = ['met', 'partly_met', 'not_met', 'not_assessed'] as const satisfies readonly CriterionVerdict[];

/** One criterion's verdict for a year: anything but "not assessed" says why. */
export const criterionAssessmentSchema = z
  .strictObject({
    criterionId: z.number({ message: 'must be the id of one of the goal’s criteria' }).int().positive(),
    verdict: z.enum(CRITERION_VERDICTS, { message: `must be one of ${CRITERION_VERDICTS.join(', ')}` }),
    justification: z.string().trim().max(5_000, 'must be at most 5,000 characters').default(''),
    evidenceUrl: z
      .union([z.literal(''), httpLink])
      .nullish()
      .transform((value) => value || null),
  })
  .superRefine((assessment, ctx) => {
    if (assessment.verdict !== 'not_assessed' && assessment.justification === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['justification'],
        message: `must say why the criterion is ${assessment.verdict.replace('_', ' ')}`,
      });
    }
  });

export const assessCriteriaSchema = z
  .strictObject({
    year: z.number({ message: 'must be a year' }).int('must be a whole year').min(1900, 'must be a year').max(2200, 'must be a year'),
    assessments: z.array(criterionAssessmentSchema).min(1, 'must assess at least one criterion').max(500),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<number>();
    body.assessments.forEach((assessment, index) => {
      if (seen.has(assessment.criterionId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['assessments', index, 'criterionId'],
          message: `criterion ${assessment.criterionId} is assessed twice`,
        });
      }
      seen.add(assessment.criterionId);
    });
  })
  .meta({
    examples: [
      {
        year: 2023,
        assessments: [
          {
            criterionId: 1,
            verdict: 'met',
            justification: 'The benchmark analysis was published in May 2023.',
            evidenceUrl: 'https://example.org/benchmark',
          },
          { criterionId: 2, verdict: 'partly_met', justification: 'Proposals drafted; not yet adopted.' },
        ],
      },
    ],
  });
export type AssessCriteria = z.infer<typeof assessCriteriaSchema>;

export interface CriteriaSummary {
  total: number;
  met: number;
  partlyMet: number;
  notMet: number;
  notAssessed: number;
  /** "3 of 4 criteria met, 1 partly" */
  text: string;
}

/** Counts a goal's criteria by the year's verdict; one without an assessment is not assessed. */
export function summariseCriteria(verdicts: (CriterionVerdict | null)[]): CriteriaSummary {
  const count = (verdict: CriterionVerdict) => verdicts.filter((v) => (v ?? 'not_assessed') === verdict).length;
  const summary = {
    total: verdicts.length,
    met: count('met'),
    partlyMet: count('partly_met'),
    notMet: count('not_met'),
    notAssessed: count('not_assessed'),
  };
  const parts = [`${summary.met} of ${summary.total} ${summary.total === 1 ? 'criterion' : 'criteria'} met`];
  if (summary.partlyMet) parts.push(`${summary.partlyMet} partly`);
  if (summary.notMet) parts.push(`${summary.notMet} not met`);
  if (summary.notAssessed) parts.push(`${summary.notAssessed} not assessed`);
  return { ...summary, text: parts.join(', ') };
}

export interface CriterionVerdictRecord {
  verdict: CriterionVerdict;
  justification: string;
  evidenceUrl: string | null;
  assessedBy: string;
  assessedAt: Date;
}

export interface GoalCriteria {
  goal: number;
  year: number;
  summary: CriteriaSummary;
  criteria: {
    id: number;
    key: string;
    text: string;
    source: number;
    verdict: CriterionVerdict;
    justification: string | null;
    evidenceUrl: string | null;
    assessedBy: string | null;
    assessedAt: Date | null;
  }[];
}

/** Goal attainment by the goal's own criteria, assessed per year by the secretariat. */
@Injectable()
export class CriteriaService {
  constructor(
    private readonly criteria: CriteriaRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * The year assessed when none is asked for: the year "now" is in where the service runs, or the
   * nearest year of the plan's period (after a plan has ended, its last year).
   */
  async defaultYear(planId: number): Promise<number> {
    const now = Number(localDate(this.clock.now(), this.config.get('TZ')).slice(0, 4));
    const period = await this.criteria.planPeriod(planId);
    return period ? Math.min(Math.max(now, period.periodFrom), period.periodTo) : now;
  }

  /** A goal's criteria and their latest assessment for `year`, made up to `until` when given. */
  async forGoal(planId: number, number: number, year: number, until?: Date): Promise<GoalCriteria> {
    const goalId = await this.criteria.goalId(planId, number);
    if (goalId === undefined) throw new NotFoundException(`The plan has no goal ${number}.`);
    return present(number, year, await this.criteria.withAssessments([goalId], year, until));
  }

  /** Every goal's criteria for a year, by goal id (for the annual report). */
  async forGoals(goalIds: number[], year: number, until?: Date): Promise<Map<number, CriterionWithAssessment[]>> {
    const rows = await this.criteria.withAssessments(goalIds, year, until);
    const byGoal = new Map<number, CriterionWithAssessment[]>(goalIds.map((id) => [id, []]));
    for (const row of rows) byGoal.get(row.goalId)?.push(row);
    return byGoal;
  }

  /** The year's verdicts of these criteria, by criterion id; a criterion without one is not assessed. */
  async assessmentsOf(criterionIds: number[], year: number, until?: Date): Promise<Map<number, CriterionVerdictRecord>> {
    const rows = await this.criteria.latestAssessments(criterionIds, year, until);
    return new Map(rows.map(({ criterionId, ...assessment }) => [criterionId, assessment]));
  }

  async assess(planId: number, number: number, body: AssessCriteria, actor: string): Promise<GoalCriteria> {
    const goalId = await this.criteria.goalId(planId, number);
    if (goalId === undefined) throw new NotFoundException(`The plan has no goal ${number}.`);
    try {
      await this.criteria.recordAssessments(planId, goalId, body.year, body.assessments, actor, this.clock.now());
    } catch (error) {
      if (error instanceof ForeignCriteria) {
        const which = error.criterionIds.map((id) => `criterion ${id}`).join(', ');
        throw new BadRequestException(
          `assessments: ${which} ${error.criterionIds.length === 1 ? 'is' : 'are'} not a criterion of goal ${number}; nothing was recorded.`,
        );
      }
      throw error;
    }
    return this.forGoal(planId, number, body.year);
  }
}

function present(goal: number, year: number, rows: CriterionWithAssessment[]): GoalCriteria {
  return {
    goal,
    year,
    summary: summariseCriteria(rows.map((row) => row.assessment?.verdict ?? null)),
    criteria: rows.map((row) => ({
      id: row.id,
      key: row.key,
      text: row.text,
      source: row.source,
      verdict: row.assessment?.verdict ?? 'not_assessed',
      justification: row.assessment?.justification || null,
      evidenceUrl: row.assessment?.evidenceUrl ?? null,
      assessedBy: row.assessment?.assessedBy ?? null,
      assessedAt: row.assessment?.assessedAt ?? null,
    })),
  };
}
