import { expressionBuilder, sql, type Expression } from 'kysely';
import type { Db } from '../database/database.js';
import type { MilestoneState, UpdateChannel } from '../generated/db/enums.js';
import type { DB } from '../generated/db/schema.js';
import type { RecordedAnswer } from './milestone-update.js';
import { yearOpenGuard } from './records.repository.js';

export interface UpdateContext {
  channel: UpdateChannel;
  actor: string;
  requestId: number | null;
  late: boolean;
  at: Date;
  /** The year of the round answered (it counts for that year's figures of record); null for a correction. */
  reportingYear: number | null;
  /** Why the secretariat corrected on a committee's behalf; null otherwise. */
  reason: string | null;
  /**
   * The plan whose `reportingYear` must be open: the statement fails (assert_year_open) when that
   * year is approved, and nothing is written then. A plain value, not an object, so a statement
   * compiled once (PreparedStatement) can take it as a parameter.
   */
  guardPlanId?: number;
}

/** Answers as the statement takes them: one array per column, in the answers' order. */
export interface AnswerColumns {
  milestoneIds: number[];
  states: MilestoneState[];
  progress: number[];
  comments: (string | null)[];
  evidenceUrls: (string | null)[];
}

export const answerColumns = (answers: RecordedAnswer[]): AnswerColumns => ({
  milestoneIds: answers.map((a) => a.milestoneId),
  states: answers.map((a) => a.state),
  progress: answers.map((a) => a.progress),
  comments: answers.map((a) => a.comment),
  evidenceUrls: answers.map((a) => a.evidenceUrl),
});

interface AnswerRow {
  id: number;
  state: MilestoneState;
  progress: number;
  comment: string | null;
  evidenceUrl: string | null;
  ord: number;
}

/**
 * Milestone history: every update is kept; the milestone row holds the latest accepted one.
 *
 * The common table expressions that record answers (one per milestone), whatever their number,
 * with every value a parameter (the statement is compiled once, see `PreparedStatement`):
 * the milestones are locked and read as they are (the history's "from" state), set to the
 * answers, and one history row per answer is added, in the answers' order. `stateChangedAt` moves
 * only for a milestone whose state changed. A statement built on them does more in the same breath
 * (an answer also marks its request and queues the confirmation); `changed` and `history` return
 * the milestones set and the history rows added.
 */
export function withRecordedAnswers(db: Db, answers: AnswerColumns, context: UpdateContext) {
  const { at } = context;
  return db
    .with('answer', (qc) =>
      qc
        .selectFrom(
          sql<AnswerRow>`unnest(${answers.milestoneIds}::int[], ${answers.states}::"MilestoneState"[], ${answers.progress}::int[], ${answers.comments}::text[], ${answers.evidenceUrls}::text[]) WITH ORDINALITY`.as<'a'>(
            sql`a(id, state, progress, comment, "evidenceUrl", ord)`,
          ),
        )
        .selectAll()
        .$if(context.guardPlanId !== undefined, (q) => q.where(yearOpenGuard(context.guardPlanId!, context.reportingYear!))),
    )
    .with('before', (qc) =>
      qc.selectFrom('Milestone as m').select(['m.id', 'm.state']).where('m.id', 'in', qc.selectFrom('answer').select('id')).forUpdate(),
    )
    .with('changed', (qc) =>
      qc
        .updateTable('Milestone as m')
        .from('answer')
        .innerJoin('before', 'before.id', 'answer.id')
        .set((eb) => ({
          state: eb.ref('answer.state'),
          progress: eb.ref('answer.progress'),
          stateChangedAt: eb.case().when('before.state', '=', eb.ref('answer.state')).then(eb.ref('m.stateChangedAt')).else(at).end(),
          updatedAt: at,
        }))
        .whereRef('m.id', '=', 'answer.id')
        .returning('m.id'),
    )
    .with('history', (qc) =>
      qc
        .insertInto('MilestoneUpdate')
        .columns([
          'milestoneId',
          'fromState',
          'toState',
          'progress',
          'comment',
          'evidenceUrl',
          'channel',
          'actor',
          'late',
          'requestId',
          'reportingYear',
          'reason',
          'createdAt',
        ])
        .expression((eb) =>
          eb
            .selectFrom('answer')
            .leftJoin('before', 'before.id', 'answer.id')
            .select([
              'answer.id',
              'before.state',
              'answer.state as toState',
              'answer.progress',
              'answer.comment',
              'answer.evidenceUrl',
              sql<UpdateChannel>`${context.channel}::"UpdateChannel"`.as('channel'),
              sql<string>`${context.actor}::text`.as('actor'),
              sql<boolean>`${context.late}::boolean`.as('late'),
              sql<number | null>`${context.requestId}::int`.as('requestId'),
              sql<number | null>`${context.reportingYear}::int`.as('reportingYear'),
              sql<string | null>`${context.reason}::text`.as('reason'),
              sql<Date>`${at}::timestamptz`.as('createdAt'),
            ])
            .orderBy('answer.ord'),
        )
        .returning('id'),
    );
}

/**
 * The latest update of a milestone that someone reported (imports left out): its comment is what
 * a digest quotes, the form pre-fills and a report shows. A subquery for `milestoneId`'s row.
 */
export function lastReportedUpdate(milestoneId: Expression<number>) {
  return expressionBuilder<DB, never>()
    .selectFrom('MilestoneUpdate as u')
    .select(['u.comment', 'u.evidenceUrl'])
    .where('u.milestoneId', '=', milestoneId)
    .where('u.channel', '<>', 'import')
    .orderBy('u.createdAt', 'desc')
    .orderBy('u.id', 'desc')
    .limit(1);
}

/** The latest comment someone reported on a milestone (imports left out): what a digest quotes. */
export function lastReportedComment(milestoneId: Expression<number>) {
  return expressionBuilder<DB, never>()
    .selectFrom('MilestoneUpdate as u')
    .select('u.comment')
    .where('u.milestoneId', '=', milestoneId)
    .where('u.comment', 'is not', null)
    .where('u.channel', '<>', 'import')
    .orderBy('u.createdAt', 'desc')
    .orderBy('u.id', 'desc')
    .limit(1);
}
