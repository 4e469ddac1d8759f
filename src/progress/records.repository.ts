import { Injectable } from '@nestjs/common';
import { Refusal } from '../common/refusal.js';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { endOfDay } from '../common/dates.js';
import { Database, type Db, type Tx } from '../database/database.js';
import type { RoundState, YearApprovalAction } from '../generated/db/enums.js';
import type { DB } from '../generated/db/schema.js';

/**
 * Which updates of the history a figure is made of. `year` set: the figures of record for that
 * reporting year (answers to its round and earlier ones, whenever they came, plus everything
 * else dated up to `cutoff`). `year` null: the history as of the moment `cutoff`. Imports are the
 * plan's starting state and belong to every moment. An approved year's cut also leaves out
 * everything recorded after its approval, whatever it is, so its figures stay as approved.
 */
export interface RecordCut {
  year: number | null;
  cutoff: Date;
  /** The approval in force; `tallied` when its figures were counted and kept as it was made. */
  approval?: { id: number; at: Date; tallied: boolean };
}

export interface ApprovalEvent {
  id: number;
  year: number;
  action: YearApprovalAction;
  actor: string;
  actorName: string;
  reason: string | null;
  at: Date;
  tallied: boolean;
}

export interface YearStanding {
  round: { id: number; state: RoundState; opensAt: Date; graceUntil: Date } | null;
  /** When the next year's round opens (or opened), if it exists. */
  nextRoundOpensAt: Date | null;
  /** Every approval and reopening of the year, oldest first. */
  events: ApprovalEvent[];
}

/** The year is approved: its figures of record are frozen until the secretariat reopens it. */
export class YearApproved extends Refusal {
  constructor(
    readonly year: number,
    readonly approval: ApprovalEvent,
  ) {
    const date = approval.at.toISOString().slice(0, 10);
    super(
      409,
      'problem.year_approved',
      { year, date, name: approval.actorName },
      `The figures of ${year} were approved on ${date} by ${approval.actorName}; ` +
        `nothing that changes ${year} can be recorded until the secretariat reopens the year.`,
    );
  }
}

/** assert_year_open's refusal, as the pg driver reports it. */
export const isYearApprovedError = (error: unknown) =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'HP423';

/**
 * The guard for a statement that writes a year's figures: `WHERE (SELECT assert_year_open(…))`
 * evaluates once and fails the whole statement when the year is approved.
 */
export const yearOpenGuard = (planId: number, year: number) => sql<boolean>`(SELECT assert_year_open(${planId}::int, ${year}::int))`;

/** The latest event says whether a year is locked: approved, unless reopened since. */
export const lockOf = (events: ApprovalEvent[]): ApprovalEvent | null => {
  const last = events.at(-1);
  return last?.action === 'approved' ? last : null;
};

/**
 * What a year's figures of record are cut at: its approval or, without one, its round's close
 * (the end of the year where it had no round), but never past the opening of the next year's round.
 */
export function yearCut(year: number, standing: YearStanding, timeZone: string): RecordCut {
  const lock = lockOf(standing.events);
  let cutoff = lock?.at ?? standing.round?.graceUntil ?? endOfDay(`${year}-12-31`, timeZone);
  if (standing.nextRoundOpensAt && standing.nextRoundOpensAt < cutoff) cutoff = standing.nextRoundOpensAt;
  return { year, cutoff, ...(lock && { approval: { id: lock.id, at: lock.at, tallied: lock.tallied } }) };
}

/**
 * Which of a milestone's updates (`u`) count for a cut: see RecordCut. The moment is inclusive.
 * One expression for every figure, list and comment, so they cannot disagree.
 */
export function inRecord(eb: ExpressionBuilder<DB & { u: DB['MilestoneUpdate'] }, 'u'>, cut: RecordCut): Expression<SqlBool> {
  const byMoment = eb.and([eb('u.reportingYear', 'is', null), eb('u.createdAt', '<=', cut.cutoff)]);
  const counted =
    cut.year === null
      ? eb.or([eb('u.channel', '=', 'import'), eb('u.createdAt', '<=', cut.cutoff)])
      : eb.or([eb('u.channel', '=', 'import'), eb('u.reportingYear', '<=', cut.year), byMoment]);
  return cut.approval ? eb.and([counted, eb('u.createdAt', '<=', cut.approval.at)]) : counted;
}

/** Approvals of a plan's years, and what the figures of record of a year are cut at. */
@Injectable()
export class RecordsRepository {
  constructor(private readonly database: Database) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  async yearStanding(planId: number, year: number, db: Db = this.database.db): Promise<YearStanding> {
    const [rounds, events] = await Promise.all([
      db
        .selectFrom('ReportingRound')
        .select(['id', 'year', 'state', 'opensAt', 'graceUntil'])
        .where('planId', '=', planId)
        .where('year', 'in', [year, year + 1])
        .execute(),
      this.events(planId, year, db),
    ]);
    const round = rounds.find((r) => r.year === year);
    return {
      round: round ? { id: round.id, state: round.state, opensAt: round.opensAt, graceUntil: round.graceUntil } : null,
      nextRoundOpensAt: rounds.find((r) => r.year === year + 1)?.opensAt ?? null,
      events,
    };
  }

  events(planId: number, year: number, db: Db = this.database.db): Promise<ApprovalEvent[]> {
    return db
      .selectFrom('YearApproval')
      .select(['id', 'year', 'action', 'actor', 'actorName', 'reason', 'at', 'tallied'])
      .where('planId', '=', planId)
      .where('year', '=', year)
      .orderBy('at')
      .orderBy('id')
      .execute();
  }

  /**
   * Refuses (YearApproved, a 409) when the plan's year is approved. The one check every writer of
   * a year's figures makes inside its transaction: answers, corrections (and criteria assessments).
   * It waits for an approval or reopening of the same year in progress, so none slips between.
   */
  async assertYearOpen(tx: Tx, planId: number, year: number): Promise<void> {
    try {
      await sql`SELECT assert_year_open(${planId}::int, ${year}::int)`.execute(tx);
    } catch (error) {
      throw await this.refusal(error, planId, year);
    }
  }

  /** The error as YearApproved when it is assert_year_open's refusal (SQLSTATE HP423); otherwise the error itself. */
  async refusal(error: unknown, planId: number, year: number): Promise<unknown> {
    if (!isYearApprovedError(error)) return error;
    const lock = lockOf(await this.events(planId, year));
    return lock ? new YearApproved(year, lock) : error;
  }

  /**
   * Serialises the approval of a plan's year with everything written for it: approvals take the
   * lock exclusively, writers (assert_year_open) shared, until their transaction ends.
   */
  async lockYear(tx: Tx, planId: number, year: number): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`year-of-record:${planId}:${year}`}, 0))`.execute(tx);
  }

  async addEvent(tx: Tx, event: Omit<ApprovalEvent, 'id'> & { planId: number }): Promise<ApprovalEvent> {
    return tx
      .insertInto('YearApproval')
      .values(event)
      .returning(['id', 'year', 'action', 'actor', 'actorName', 'reason', 'at', 'tallied'])
      .executeTakeFirstOrThrow();
  }

  /** A milestone of the plan with its current state, locked for a correction; null when the plan has no such milestone. */
  async milestoneForCorrection(tx: Tx, planId: number, milestoneId: number) {
    const found = await tx
      .selectFrom('Milestone')
      .select(['id', 'planId', 'state', 'progress'])
      .where('id', '=', milestoneId)
      .forUpdate()
      .executeTakeFirst();
    return found && found.planId === planId ? found : found ? 'other-plan' : null;
  }

  async planOfMilestone(milestoneId: number): Promise<number | null> {
    const found = await this.database.db.selectFrom('Milestone').select('planId').where('id', '=', milestoneId).executeTakeFirst();
    return found?.planId ?? null;
  }
}
