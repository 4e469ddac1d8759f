import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { Database, type Db, type Tx } from '../database/database.js';
import type { MilestoneState, ReviewAction, UpdateChannel } from '../generated/db/enums.js';

/** The channels a committee answers by: its answers are what a thread shows besides the questions. */
const COMMITTEE_CHANNELS: UpdateChannel[] = ['link_form', 'email_reply', 'api'];

export interface NewReview {
  milestoneId: number;
  updateId: number | null;
  requestId: number | null;
  action: ReviewAction;
  question: string | null;
  actor: string;
  actorName: string;
  at: Date;
}

/** A received answer of a round: the latest update per request and milestone, with its review state. */
export interface RoundAnswer {
  updateId: number;
  requestId: number;
  milestoneId: number;
  label: string | null;
  text: string;
  organisationId: number;
  organisation: string;
  state: MilestoneState;
  progress: number;
  comment: string | null;
  channel: UpdateChannel;
  createdAt: Date;
  /** The latest review of this answer, if any: reviewed or returned. */
  review: ReviewAction | null;
  reviewedAt: Date | null;
  reviewedBy: string | null;
  question: string | null;
}

/**
 * One entry of a milestone's conversation: a question of the secretariat, an answer of the
 * committee (a state), or the committee's reply in its own words to a question's mail.
 */
export type ThreadEntry =
  | { kind: 'question'; milestoneId: number; at: Date; by: string; text: string; returned: boolean }
  | { kind: 'answer'; milestoneId: number; at: Date; by: string; state: MilestoneState; progress: number; text: string | null }
  | { kind: 'reply'; milestoneId: number; at: Date; by: string; text: string };

/** What a question's mail and its row need to know about an answer, or a milestone. */
export interface QuestionTarget {
  milestoneId: number;
  label: string | null;
  text: string;
  planTitle: string;
  organisation: { id: number; name: string; language: string; contacts: string[] };
  /** The request whose link the mail carries: one of an open round that asks about the milestone. */
  request: { id: number; roundId: number; year: number; deadline: Date; graceUntil: Date; tokenNonce: string; number: number } | null;
}

/**
 * The secretariat's reviews of answers and its questions about milestones (MilestoneReview):
 * appended, never changed. An answer's review state is its latest row; a milestone's thread is its
 * questions and the committee's answers from the first question on.
 */
@Injectable()
export class ReviewsRepository {
  constructor(private readonly database: Database) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  async add(tx: Tx, review: NewReview): Promise<number> {
    const row = await tx.insertInto('MilestoneReview').values(review).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * A round's answers: per request and milestone the latest update, with its latest review; or
   * only `updateId`'s. `toReviewFirst`: those not reviewed, then those returned, then the rest, at
   * most `limit` of them (a page of a large round).
   */
  async roundAnswers(
    roundId: number,
    options: { updateId?: number; toReviewFirst?: boolean; limit?: number } = {},
    db: Db = this.database.db,
  ): Promise<RoundAnswer[]> {
    const { updateId, toReviewFirst = false, limit } = options;
    const rows = await this.latestAnswers(db, roundId)
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .innerJoin('Milestone as m', 'm.id', 'u.milestoneId')
      .select([
        'u.id as updateId',
        'r.id as requestId',
        'm.id as milestoneId',
        'm.label',
        'm.text',
        'o.id as organisationId',
        'o.name as organisation',
        'u.toState as state',
        'u.progress',
        'u.comment',
        'u.channel',
        'u.createdAt',
        'v.action as review',
        'v.at as reviewedAt',
        'v.actorName as reviewedBy',
        'v.question',
      ])
      .$if(updateId !== undefined, (q) => q.where('u.id', '=', updateId!))
      .$if(toReviewFirst, (q) => q.orderBy(sql`CASE WHEN v.action IS NULL THEN 0 WHEN v.action = 'returned' THEN 1 ELSE 2 END`))
      .$if(limit !== undefined, (q) => q.limit(limit!))
      .orderBy('o.name')
      .orderBy('m.planOrder')
      .orderBy('m.id')
      .execute();
    return rows.map((row) => ({
      ...row,
      review: row.review ?? null,
      reviewedAt: row.reviewedAt ?? null,
      reviewedBy: row.reviewedBy ?? null,
      question: row.question ?? null,
    }));
  }

  /** How many answers the round has (the latest per request and milestone), reviewed and returned, counted by the database. */
  async reviewCounts(roundId: number, db: Db = this.database.db): Promise<{ answers: number; reviewed: number; returned: number }> {
    return db
      .selectFrom(this.latestAnswers(db, roundId).select('v.action').as('a'))
      .select([
        sql<number>`count(*)::int`.as('answers'),
        sql<number>`(count(*) FILTER (WHERE a.action = 'reviewed'))::int`.as('reviewed'),
        sql<number>`(count(*) FILTER (WHERE a.action = 'returned'))::int`.as('returned'),
      ])
      .executeTakeFirstOrThrow();
  }

  /** The round's latest answer per request and milestone (u, r), each with its latest review (v). */
  private latestAnswers(db: Db, roundId: number) {
    return db
      .selectFrom('MilestoneUpdate as u')
      .innerJoin('ReportRequest as r', 'r.id', 'u.requestId')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('MilestoneReview as v')
            .select(['v.action', 'v.at', 'v.actorName', 'v.question'])
            .whereRef('v.updateId', '=', 'u.id')
            .orderBy('v.at', 'desc')
            .orderBy('v.id', 'desc')
            .limit(1)
            .as('v'),
        (join) => join.onTrue(),
      )
      .where('r.roundId', '=', roundId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('MilestoneUpdate as later')
              .select('later.id')
              .whereRef('later.requestId', '=', 'u.requestId')
              .whereRef('later.milestoneId', '=', 'u.milestoneId')
              .whereRef('later.id', '>', 'u.id'),
          ),
        ),
      );
  }

  /**
   * An update answering a request of the round, locked with its request's row so that two reviews
   * of it are decided one after the other; null when the round has no such answer. `latest` says
   * whether the committee has answered the milestone again since.
   */
  async answerOfRound(tx: Tx, roundId: number, updateId: number) {
    const found = await tx
      .selectFrom('MilestoneUpdate as u')
      .innerJoin('ReportRequest as r', 'r.id', 'u.requestId')
      .select(['u.id', 'u.milestoneId', 'u.requestId', 'u.toState as state', 'u.progress', 'u.comment', 'r.roundId'])
      .select((eb) =>
        eb
          .not(
            eb.exists(
              eb
                .selectFrom('MilestoneUpdate as later')
                .select('later.id')
                .whereRef('later.requestId', '=', 'u.requestId')
                .whereRef('later.milestoneId', '=', 'u.milestoneId')
                .whereRef('later.id', '>', 'u.id'),
            ),
          )
          .as('latest'),
      )
      .where('u.id', '=', updateId)
      .forUpdate('r')
      .executeTakeFirst();
    return found && found.roundId === roundId ? { ...found, requestId: found.requestId! } : null;
  }

  /**
   * The milestone, its owner and the owner's contacts, and the request a question's mail links to:
   * `requestId` when given and still open, else any open request that asks about the milestone.
   */
  async questionTarget(db: Db, milestoneId: number, now: Date, requestId: number | null = null): Promise<QuestionTarget | null> {
    const milestone = await db
      .selectFrom('Milestone as m')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Plan as p', 'p.id', 'm.planId')
      .select(['m.id', 'm.label', 'm.text', 'p.title as planTitle', 'o.id as organisationId', 'o.name', 'o.language'])
      .where('m.id', '=', milestoneId)
      .executeTakeFirst();
    if (!milestone) return null;
    const [contacts, request] = await Promise.all([
      db.selectFrom('Contact').select('email').where('organisationId', '=', milestone.organisationId).orderBy('id').execute(),
      db
        .selectFrom('RequestMilestone as rm')
        .innerJoin('ReportRequest as r', 'r.id', 'rm.requestId')
        .innerJoin('ReportingRound as g', 'g.id', 'r.roundId')
        .select(['r.id', 'g.id as roundId', 'g.year', 'g.deadline', 'g.graceUntil', 'r.tokenNonce', 'rm.number'])
        .where('rm.milestoneId', '=', milestoneId)
        .where('r.organisationId', '=', milestone.organisationId)
        .where('g.state', '=', 'open')
        .where('r.expiresAt', '>', now)
        .$if(requestId !== null, (q) => q.where('r.id', '=', requestId!))
        .orderBy('g.year', 'desc')
        .limit(1)
        .executeTakeFirst(),
    ]);
    return {
      milestoneId: milestone.id,
      label: milestone.label,
      text: milestone.text,
      planTitle: milestone.planTitle,
      organisation: {
        id: milestone.organisationId,
        name: milestone.name,
        language: milestone.language,
        contacts: contacts.map((contact) => contact.email),
      },
      request: request ?? null,
    };
  }

  /**
   * The conversations of milestones, oldest first: every question (asked, or an answer returned
   * with one), the committee's answers from the first question on, and its replies to questions. Milestones without a
   * question have none.
   */
  async threads(milestoneIds: number[], db: Db = this.database.db): Promise<Map<number, ThreadEntry[]>> {
    const threads = new Map<number, ThreadEntry[]>();
    if (milestoneIds.length === 0) return threads;
    const questions = await db
      .selectFrom('MilestoneReview')
      .select(['milestoneId', 'at', 'actorName', 'question', 'action'])
      .where('milestoneId', '=', (eb) => eb.fn.any(eb.val(milestoneIds)))
      .where('action', 'in', ['returned', 'asked'])
      .orderBy('at')
      .orderBy('id')
      .execute();
    if (questions.length === 0) return threads;
    const asked = [...new Set(questions.map((q) => q.milestoneId))];
    const replies = await db
      .selectFrom('MilestoneReply')
      .select(['milestoneId', 'at', 'fromAddress', 'text'])
      .where('milestoneId', '=', (eb) => eb.fn.any(eb.val(asked)))
      .orderBy('at')
      .orderBy('id')
      .execute();
    const answers = await db
      .selectFrom('MilestoneUpdate as u')
      .select(['u.milestoneId', 'u.createdAt', 'u.actor', 'u.toState', 'u.progress', 'u.comment'])
      .where('u.milestoneId', '=', (eb) => eb.fn.any(eb.val(asked)))
      .where('u.channel', 'in', COMMITTEE_CHANNELS)
      .where((eb) =>
        eb(
          'u.createdAt',
          '>=',
          eb
            .selectFrom('MilestoneReview as first')
            .select(sql<Date>`min(first.at)`.as('at'))
            .whereRef('first.milestoneId', '=', 'u.milestoneId')
            .where('first.action', 'in', ['returned', 'asked']),
        ),
      )
      .orderBy('u.createdAt')
      .orderBy('u.id')
      .execute();
    const entries: ThreadEntry[] = [
      ...questions.map((q): ThreadEntry => ({
        kind: 'question',
        milestoneId: q.milestoneId,
        at: q.at,
        by: q.actorName,
        text: q.question ?? '',
        returned: q.action === 'returned',
      })),
      ...answers.map((a): ThreadEntry => ({
        kind: 'answer',
        milestoneId: a.milestoneId,
        at: a.createdAt,
        by: a.actor,
        state: a.toState,
        progress: a.progress,
        text: a.comment,
      })),
      ...replies.map((r): ThreadEntry => ({ kind: 'reply', milestoneId: r.milestoneId, at: r.at, by: r.fromAddress, text: r.text })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const entry of entries) {
      const list = threads.get(entry.milestoneId) ?? [];
      list.push(entry);
      threads.set(entry.milestoneId, list);
    }
    return threads;
  }
}
