import { Injectable } from '@nestjs/common';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { jsonArrayFrom, jsonBuildObject, jsonObjectFrom } from 'kysely/helpers/postgres';
import { Clock } from '../common/clock.js';
import { countAll, Database, PreparedStatement, type Db, type Tx } from '../database/database.js';
import type { Language, MilestoneState, RequestStatus, RoundState } from '../generated/db/enums.js';
import type { DB, ReportRequest } from '../generated/db/schema.js';
import { outboxFields, outboxRow, type NewOutboxMessage, type OutboxFields } from '../mail/outbox.repository.js';
import {
  answerColumns,
  lastReportedUpdate,
  withRecordedAnswers,
  type AnswerColumns,
  type UpdateContext,
} from '../progress/milestone-history.js';
import type { RecordedAnswer } from '../progress/milestone-update.js';

/** A request as the person answering it sees it: the organisation, the round, every milestone asked about. */
export interface RequestForAnswering {
  id: number;
  roundId: number;
  organisationId: number;
  tokenNonce: string;
  status: RequestStatus;
  expiresAt: Date;
  answeredAt: Date | null;
  late: boolean;
  organisation: { id: number; name: string; language: Language; contacts: { email: string }[] };
  round: { id: number; year: number; deadline: Date; graceUntil: Date; state: RoundState; plan: { id: number; title: string } };
  milestones: AskedMilestone[];
}

/** A milestone in the request's scope, numbered as the digest lists it, with its draft if one was saved. */
export interface AskedMilestone {
  milestoneId: number;
  number: number;
  optional: boolean;
  answeredAt: Date | null;
  draftState: MilestoneState | null;
  draftProgress: number | null;
  draftComment: string | null;
  draftEvidenceUrl: string | null;
  draftSavedAt: Date | null;
  milestone: {
    id: number;
    label: string | null;
    text: string;
    dueFrom: number | null;
    dueTo: number | null;
    state: MilestoneState;
    progress: number;
    contribution: { goal: { number: number }; intervention: { code: string } | null };
    /** The latest reported update (imports left out): what the form pre-fills. */
    updates: { comment: string | null; evidenceUrl: string | null }[];
    /** The secretariat has asked about it (a question, or an answer returned): it has a thread to show. */
    questioned: boolean;
    /** Files are kept on it (by any organisation): the form looks for the committee's own. */
    filed: boolean;
  };
}

/** What a submission writes: checked answers to record, and the confirmation to queue (none without contacts). */
export interface Submission {
  requestId: number;
  answers: RecordedAnswer[];
  context: UpdateContext;
  final: boolean;
  confirmation: { message: NewOutboxMessage; messageIdDomain: string } | null;
}

export interface Draft {
  milestoneId: number;
  state: MilestoneState | null;
  progress: number | null;
  comment: string | null;
  evidenceUrl: string | null;
}

/** Requests as the people answering them see them. */
@Injectable()
export class AnswersRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(run);
  }

  async findByTokenHash(tokenHash: string): Promise<RequestForAnswering | null> {
    return toRequest((await requestByTokenHash.execute(this.database.db, { tokenHash }))[0]);
  }

  /** Records a form instance as submitted; false when it already was (ON CONFLICT waits for a concurrent one). */
  async claimFormInstance(tx: Tx, requestId: number, tokenHash: string, at: Date): Promise<boolean> {
    const claimed = await tx
      .insertInto('FormSubmission')
      .values({ tokenHash, requestId, createdAt: at })
      .onConflict((conflict) => conflict.column('tokenHash').doNothing())
      .returning('tokenHash')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  /** By the SHA-256 of a reply key: the derived key, or the random one of a request made before keys were derived. */
  async findByReplyKeyHash(hash: string): Promise<RequestForAnswering | null> {
    return toRequest((await requestByReplyKeyHash.execute(this.database.db, { hash }))[0]);
  }

  async findById(id: number): Promise<RequestForAnswering | null> {
    return toRequest((await requestById.execute(this.database.db, { id }))[0]);
  }

  /** Saves the drafts of a request's milestones in one statement. */
  async saveDrafts(tx: Tx, requestId: number, drafts: Draft[], at: Date): Promise<void> {
    if (drafts.length === 0) return;
    await draftsSaved.execute(tx, {
      requestId,
      milestoneIds: drafts.map((d) => d.milestoneId),
      states: drafts.map((d) => d.state),
      progress: drafts.map((d) => d.progress),
      comments: drafts.map((d) => d.comment),
      evidenceUrls: drafts.map((d) => d.evidenceUrl),
      at,
    });
  }

  /**
   * Keeps an answer that could not be recorded (its year is approved) in the secretariat's review
   * queue, with what it said, so it is not lost: the same queue as replies that need review.
   */
  async keepForReview(
    tx: Tx,
    entry: { key: string; from: string; subject: string; body: string; requestId: number; reason: string; at: Date; parsed: object },
  ): Promise<void> {
    await tx
      .insertInto('InboundMessage')
      .values({
        messageId: entry.key,
        fromAddress: entry.from,
        subject: entry.subject,
        requestId: entry.requestId,
        status: 'in_review',
        reason: entry.reason,
        body: entry.body,
        parsed: JSON.stringify(entry.parsed),
        receivedAt: entry.at,
      })
      .execute();
  }

  /**
   * Records a submission as one statement, so one round trip and atomic without a transaction:
   * the answers and their history, the request's milestones marked answered with their drafts
   * cleared, the request itself answered when nothing required is left unanswered or the
   * submission is final, and the confirmation mail. Given `tx`, it runs in the caller's
   * transaction instead. Returns whether the request is complete and the new outbox ids.
   *
   * A milestone that no longer exists fails the history's foreign key, and with it everything.
   */
  async recordSubmission(submission: Submission, tx?: Tx): Promise<{ complete: boolean; outboxIds: number[] }> {
    const { requestId, answers, context, final, confirmation } = submission;
    const values: SubmissionValues = { ...answerColumns(answers), ...context, request: requestId, final, now: this.clock.now() };
    const db = tx ?? this.database.db;
    const [row] = confirmation
      ? await submissionWithConfirmation.execute(db, { ...values, ...outboxFields(confirmation.message, confirmation.messageIdDomain) })
      : await submissionAlone.execute(db, values);
    return { complete: row!.unanswered === 0, outboxIds: row!.outboxIds };
  }
}

interface SubmissionValues extends AnswerColumns, UpdateContext {
  /** The request answered. */
  request: number;
  final: boolean;
  now: Date;
}

/**
 * A submission as one statement, compiled once: the answers and their history, the request's
 * milestones marked answered with their drafts cleared, the request itself answered when nothing
 * required is left unanswered or the submission is final, and the confirmation mail if any.
 */
function submissionStatement(db: Db, v: SubmissionValues, confirmation: OutboxFields | null) {
  return (
    withRecordedAnswers(db, v, v)
      .with('answered', (qc) =>
        qc
          .updateTable('RequestMilestone')
          .set({ answeredAt: v.at, draftState: null, draftProgress: null, draftComment: null, draftEvidenceUrl: null, draftSavedAt: null })
          .where('requestId', '=', v.request)
          .where('milestoneId', '=', (eb) => eb.fn.any(eb.val(v.milestoneIds)))
          .returning('milestoneId'),
      )
      // The statement's snapshot is from before the UPDATE above: what it answers is left out here.
      .with('remaining', (qc) =>
        qc
          .selectFrom('RequestMilestone')
          .select(countAll().as('n'))
          .where('requestId', '=', v.request)
          .where('optional', '=', false)
          .where('answeredAt', 'is', null)
          .where((eb) => eb.not(eb('milestoneId', '=', eb.fn.any(eb.val(v.milestoneIds))))),
      )
      .with('request', (qc) =>
        qc
          .updateTable('ReportRequest')
          .set({ status: 'answered', answeredAt: v.at, late: v.late, updatedAt: v.now })
          .where('id', '=', v.request)
          .where((eb) => eb.or([eb.val(v.final), eb(eb.selectFrom('remaining').select('n'), '=', 0)]))
          .returning('id'),
      )
      .with('confirmation', (qc) =>
        confirmation
          ? qc
              .insertInto('OutboxMessage')
              .values(outboxRow(confirmation, v.at))
              .onConflict((oc) => oc.column('dedupeKey').doNothing())
              .returning('id')
          : qc
              .selectFrom('OutboxMessage')
              .select('id')
              .where(sql<boolean>`false`),
      )
      // The data-modifying CTEs (changed, history, answered, request) run whether or not they are read.
      .selectNoFrom((eb) => [
        eb.selectFrom('remaining').select('n').as('unanswered'),
        sql<number[]>`ARRAY(SELECT id FROM confirmation)`.as('outboxIds'),
      ])
  );
}

const submissionAlone = new PreparedStatement((db: Db, v: SubmissionValues) => submissionStatement(db, v, null));
const submissionWithConfirmation = new PreparedStatement((db: Db, v: SubmissionValues & OutboxFields) => submissionStatement(db, v, v));

/**
 * The request with everything the form, the API and the reply parser need, in one statement:
 * this runs for every link opened and every answer, so it is compiled once per key. The nested
 * parts are built as JSON by PostgreSQL, so their timestamps come back as text and are read here.
 */
function requestQuery(db: Db, where: (eb: RequestExpressions) => Expression<SqlBool>) {
  return db
    .selectFrom('ReportRequest as r')
    .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
    .innerJoin('ReportingRound as rr', 'rr.id', 'r.roundId')
    .innerJoin('Plan as p', 'p.id', 'rr.planId')
    .select((eb) => [
      'r.id',
      'r.roundId',
      'r.organisationId',
      'r.tokenNonce',
      'r.status',
      'r.expiresAt',
      'r.answeredAt',
      'r.late',
      jsonBuildObject({
        id: eb.ref('o.id'),
        name: eb.ref('o.name'),
        language: eb.ref('o.language'),
        contacts: sql<
          { email: string }[]
        >`COALESCE((SELECT json_agg(json_build_object('email', c.email) ORDER BY c.id) FROM "Contact" c WHERE c."organisationId" = o.id), '[]'::json)`,
      }).as('organisation'),
      jsonBuildObject({
        id: eb.ref('rr.id'),
        year: eb.ref('rr.year'),
        deadline: eb.ref('rr.deadline'),
        graceUntil: eb.ref('rr.graceUntil'),
        state: eb.ref('rr.state'),
        plan: jsonBuildObject({ id: eb.ref('p.id'), title: eb.ref('p.title') }),
      }).as('round'),
      jsonArrayFrom(
        eb
          .selectFrom('RequestMilestone as rm')
          .innerJoin('Milestone as m', 'm.id', 'rm.milestoneId')
          .innerJoin('Contribution as ct', 'ct.id', 'm.contributionId')
          .innerJoin('Goal as g', 'g.id', 'ct.goalId')
          .leftJoin('Intervention as i', 'i.id', 'ct.interventionId')
          .select((eb) => [
            'rm.milestoneId',
            'rm.number',
            'rm.optional',
            'rm.answeredAt',
            'rm.draftState',
            'rm.draftProgress',
            'rm.draftComment',
            'rm.draftEvidenceUrl',
            'rm.draftSavedAt',
            jsonBuildObject({
              id: eb.ref('m.id'),
              label: eb.ref('m.label'),
              text: eb.ref('m.text'),
              dueFrom: eb.ref('m.dueFrom'),
              dueTo: eb.ref('m.dueTo'),
              state: eb.ref('m.state'),
              progress: eb.ref('m.progress'),
              goalNumber: eb.ref('g.number'),
              interventionCode: eb.ref('i.code'),
            }).as('milestone'),
            jsonObjectFrom(lastReportedUpdate(eb.ref('m.id'))).as('lastUpdate'),
            // In the same statement, so a link without questions costs no read of threads.
            eb
              .exists(
                eb
                  .selectFrom('MilestoneReview as q')
                  .select('q.id')
                  .whereRef('q.milestoneId', '=', 'm.id')
                  .where('q.action', 'in', ['returned', 'asked']),
              )
              .as('questioned'),
            eb
              .exists(eb.selectFrom('AttachmentMilestone as am').select('am.attachmentId').whereRef('am.milestoneId', '=', 'm.id'))
              .as('filed'),
          ])
          .whereRef('rm.requestId', '=', 'r.id')
          .orderBy('rm.number'),
      ).as('milestones'),
    ])
    .where(where);
}

const requestByTokenHash = new PreparedStatement((db: Db, v: { tokenHash: string }) =>
  requestQuery(db, (eb) => eb('r.tokenHash', '=', v.tokenHash)),
);
const requestByReplyKeyHash = new PreparedStatement((db: Db, v: { hash: string }) =>
  requestQuery(db, (eb) => eb.or([eb('r.replyKeyHash', '=', v.hash), eb('r.legacyReplyKeyHash', '=', v.hash)])),
);
const requestById = new PreparedStatement((db: Db, v: { id: number }) => requestQuery(db, (eb) => eb('r.id', '=', v.id)));

type RequestRow = Awaited<ReturnType<ReturnType<typeof requestQuery>['executeTakeFirstOrThrow']>>;

function toRequest(row: RequestRow | undefined): RequestForAnswering | null {
  if (!row) return null;
  return {
    ...row,
    round: { ...row.round, deadline: new Date(row.round.deadline), graceUntil: new Date(row.round.graceUntil) },
    milestones: row.milestones.map(({ milestone, lastUpdate, questioned, filed, ...asked }) => ({
      ...asked,
      answeredAt: asked.answeredAt === null ? null : new Date(asked.answeredAt),
      draftSavedAt: asked.draftSavedAt === null ? null : new Date(asked.draftSavedAt),
      milestone: {
        id: milestone.id,
        label: milestone.label,
        text: milestone.text,
        dueFrom: milestone.dueFrom,
        dueTo: milestone.dueTo,
        state: milestone.state,
        progress: milestone.progress,
        contribution: {
          goal: { number: milestone.goalNumber },
          intervention: milestone.interventionCode === null ? null : { code: milestone.interventionCode },
        },
        updates: lastUpdate ? [lastUpdate] : [],
        questioned: questioned === true,
        filed: filed === true,
      },
    })),
  };
}

interface DraftValues {
  requestId: number;
  milestoneIds: number[];
  states: (MilestoneState | null)[];
  progress: (number | null)[];
  comments: (string | null)[];
  evidenceUrls: (string | null)[];
  at: Date;
}

/** Drafts are saved as the form is filled in: compiled once, like the submission. */
const draftsSaved = new PreparedStatement((db: Db, v: DraftValues) =>
  db
    .updateTable('RequestMilestone as rm')
    .from(
      sql<DraftRow>`unnest(${v.milestoneIds}::int[], ${v.states}::"MilestoneState"[], ${v.progress}::int[], ${v.comments}::text[], ${v.evidenceUrls}::text[])`.as<'d'>(
        sql`d("milestoneId", state, progress, comment, "evidenceUrl")`,
      ),
    )
    .set((eb) => ({
      draftState: eb.ref('d.state'),
      draftProgress: eb.ref('d.progress'),
      draftComment: eb.ref('d.comment'),
      draftEvidenceUrl: eb.ref('d.evidenceUrl'),
      draftSavedAt: v.at,
    }))
    .where('rm.requestId', '=', v.requestId)
    .whereRef('rm.milestoneId', '=', 'd.milestoneId'),
);

type RequestExpressions = ExpressionBuilder<DB & { r: ReportRequest }, 'r'>;

interface DraftRow {
  milestoneId: number;
  state: MilestoneState | null;
  progress: number | null;
  comment: string | null;
  evidenceUrl: string | null;
}
