import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import { RecordsRepository } from './records.repository.js';
import type { CriterionVerdict } from '../generated/db/enums.js';

export interface CriterionAssessmentInput {
  criterionId: number;
  verdict: CriterionVerdict;
  justification: string;
  evidenceUrl: string | null;
}

export interface CriterionWithAssessment {
  id: number;
  goalId: number;
  key: string;
  text: string;
  source: number;
  assessment: {
    verdict: CriterionVerdict;
    justification: string;
    evidenceUrl: string | null;
    assessedBy: string;
    assessedAt: Date;
  } | null;
}

/** A criterion named in an assessment that is not one of the goal's: nothing was written. */
export class ForeignCriteria extends Error {
  constructor(readonly criterionIds: number[]) {
    super(`not criteria of this goal: ${criterionIds.join(', ')}`);
  }
}

/** The goals' attainment criteria and the secretariat's assessments of them, year by year. */
@Injectable()
export class CriteriaRepository {
  constructor(
    private readonly database: Database,
    private readonly records: RecordsRepository,
  ) {}

  async goalId(planId: number, number: number): Promise<number | undefined> {
    const goal = await this.database.db
      .selectFrom('Goal')
      .select('id')
      .where('planId', '=', planId)
      .where('number', '=', number)
      .executeTakeFirst();
    return goal?.id;
  }

  /** The plan's period, the years its criteria are assessed for. */
  planPeriod(planId: number): Promise<{ periodFrom: number; periodTo: number } | undefined> {
    return this.database.db.selectFrom('Plan').select(['periodFrom', 'periodTo']).where('id', '=', planId).executeTakeFirst();
  }

  /**
   * The criteria of these goals, each with its assessment for the year: the latest made up to
   * `until` (default: any), so a year's figures can be read as they stood at a moment.
   */
  async withAssessments(goalIds: number[], year: number, until?: Date): Promise<CriterionWithAssessment[]> {
    const db = this.database.db;
    const [criteria, assessments] = await Promise.all([
      db
        .selectFrom('GoalCriterion')
        .select(['id', 'goalId', 'key', 'text', 'source'])
        .where('goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .orderBy('goalId')
        .orderBy('position')
        .orderBy('id')
        .execute(),
      db
        .selectFrom('CriterionAssessment as a')
        .innerJoin('GoalCriterion as c', 'c.id', 'a.criterionId')
        .distinctOn('a.criterionId')
        .select(['a.criterionId', 'a.verdict', 'a.justification', 'a.evidenceUrl', 'a.assessedBy', 'a.assessedAt'])
        .where('c.goalId', '=', (eb) => eb.fn.any(eb.val(goalIds)))
        .where('a.year', '=', year)
        .$if(until !== undefined, (qb) => qb.where('a.assessedAt', '<=', until!))
        .orderBy('a.criterionId')
        .orderBy('a.assessedAt', 'desc')
        .orderBy('a.id', 'desc')
        .execute(),
    ]);
    const latest = new Map(assessments.map(({ criterionId, ...assessment }) => [criterionId, assessment]));
    return criteria.map((criterion) => ({ ...criterion, assessment: latest.get(criterion.id) ?? null }));
  }

  /** The year's assessment of each of these criteria that has one (the latest made up to `until`). */
  async latestAssessments(criterionIds: number[], year: number, until?: Date) {
    return this.database.db
      .selectFrom('CriterionAssessment as a')
      .distinctOn('a.criterionId')
      .select(['a.criterionId', 'a.verdict', 'a.justification', 'a.evidenceUrl', 'a.assessedBy', 'a.assessedAt'])
      .where('a.criterionId', '=', (eb) => eb.fn.any(eb.val(criterionIds)))
      .where('a.year', '=', year)
      .$if(until !== undefined, (qb) => qb.where('a.assessedAt', '<=', until!))
      .orderBy('a.criterionId')
      .orderBy('a.assessedAt', 'desc')
      .orderBy('a.id', 'desc')
      .execute();
  }

  /**
   * Every write of an assessment goes through here, in one transaction: a criterion of another
   * goal refuses the whole batch. (A check that the year is still open belongs here too.)
   */
  async recordAssessments(
    planId: number,
    goalId: number,
    year: number,
    assessments: CriterionAssessmentInput[],
    actor: string,
    at: Date,
  ): Promise<void> {
    await this.database.transaction(async (tx) => {
      // An approved year's criteria are part of its figures of record: YearApproved, nothing written.
      await this.records.assertYearOpen(tx, planId, year);
      const ids = assessments.map((assessment) => assessment.criterionId);
      const own = await tx
        .selectFrom('GoalCriterion')
        .select('id')
        .where('goalId', '=', goalId)
        .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
        .forShare()
        .execute();
      const owned = new Set(own.map((row) => row.id));
      const foreign = ids.filter((id) => !owned.has(id));
      if (foreign.length > 0) throw new ForeignCriteria(foreign);
      await tx
        .insertInto('CriterionAssessment')
        .values(
          assessments.map((assessment) => ({
            criterionId: assessment.criterionId,
            year,
            verdict: assessment.verdict,
            justification: assessment.justification,
            evidenceUrl: assessment.evidenceUrl,
            assessedBy: actor,
            assessedAt: at,
          })),
        )
        .execute();
    });
  }
}
