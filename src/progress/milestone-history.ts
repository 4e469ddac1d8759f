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
  /** The statement fails (assert_year_open) when this plan's year is approved: nothing is written then. */
  yearOpen?: { planId: number; year: number };
}

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
 * The common table expressions that record answers (one per milestone), whatever their number:
 * the milestones are locked and read as they are (the history's "from" state), set to the
 * answers, and one history row per answer is added, in the answers' order. `stateChangedAt` moves
 * only for a milestone whose state changed. A statement built on them does more in the same breath
 * (an answer also marks its request and queues the confirmation); `changed` and `history` return
 * the milestones set and the history rows added.
 */
export function withRecordedAnswers(db: Db, answers: RecordedAnswer[], context: UpdateContext) {
  const { at } = context;
  return db
    .with('answer', (qc) =>
      qc
        .selectFrom(
          sql<AnswerRow>`unnest(${answers.map((a) => a.milestoneId)}::int[], ${answers.map((a) => a.state)}::"MilestoneState"[], ${answers.map((a) => a.progress)}::int[], ${answers.map((a) => a.comment)}::text[], ${answers.map((a) => a.evidenceUrl)}::text[]) WITH ORDINALITY`.as<'a'>(
            sql`a(id, state, progress, comment, "evidenceUrl", ord)`,
          ),
        )
        .selectAll()
        .$if(context.yearOpen !== undefined, (q) => q.where(yearOpenGuard(context.yearOpen!.planId, context.yearOpen!.year))),
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
