import { Injectable } from '@nestjs/common';
import { PrismaService, utc, type Tx } from '../database/prisma.service.js';
import { Prisma, type Language, type MilestoneState, type RequestStatus, type RoundState } from '../generated/prisma/client.js';
import { outboxInsertion, type NewOutboxMessage } from '../mail/outbox.repository.js';
import { recordingAnswers, type UpdateContext } from '../progress/milestone-history.js';
import type { RecordedAnswer } from '../progress/milestone-update.js';

/** A request as the person answering it sees it: the organisation, the round, every milestone asked about. */
export interface RequestForAnswering {
  id: number;
  roundId: number;
  organisationId: number;
  tokenNonce: string;
  /** The suffix of the reply address: reports+<replyKey>@INBOUND_DOMAIN. */
  replyKey: string;
  status: RequestStatus;
  expiresAt: Date;
  answeredAt: Date | null;
  late: boolean;
  organisation: { id: number; name: string; language: Language; contacts: { email: string }[] };
  round: { id: number; year: number; deadline: Date; graceUntil: Date; state: RoundState; plan: { title: string } };
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
  };
}

/** JSON carries timestamps as text; `timestamp(3)` columns hold UTC. */
const utcDate = (value: string | null): Date | null => (value === null ? null : new Date(`${value}Z`));

type Row = Omit<RequestForAnswering, 'milestones' | 'round'> & {
  round: Omit<RequestForAnswering['round'], 'deadline' | 'graceUntil'> & { deadline: string; graceUntil: string };
  milestones: (Omit<AskedMilestone, 'answeredAt' | 'draftSavedAt'> & { answeredAt: string | null; draftSavedAt: string | null })[];
};

/**
 * The request with everything the form, the API and the reply parser need, in one statement and
 * without Prisma's query engine: this runs for every link opened and every answer (see
 * PrismaService.query). The nested parts are built as JSON by PostgreSQL.
 */
function selectRequest(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT r.id, r."roundId", r."organisationId", r."tokenNonce", r."replyKey", r.status, r."expiresAt", r."answeredAt", r.late,
      json_build_object('id', o.id, 'name', o.name, 'language', o.language,
        'contacts', COALESCE((SELECT json_agg(json_build_object('email', c.email) ORDER BY c.id) FROM "Contact" c WHERE c."organisationId" = o.id), '[]'::json)) AS organisation,
      json_build_object('id', rr.id, 'year', rr.year, 'deadline', rr.deadline, 'graceUntil', rr."graceUntil", 'state', rr.state,
        'plan', json_build_object('title', p.title)) AS round,
      COALESCE((
        SELECT json_agg(json_build_object(
          'milestoneId', rm."milestoneId", 'number', rm.number, 'optional', rm.optional, 'answeredAt', rm."answeredAt",
          'draftState', rm."draftState", 'draftProgress', rm."draftProgress", 'draftComment', rm."draftComment",
          'draftEvidenceUrl', rm."draftEvidenceUrl", 'draftSavedAt', rm."draftSavedAt",
          'milestone', json_build_object(
            'id', m.id, 'label', m.label, 'text', m.text, 'dueFrom', m."dueFrom", 'dueTo', m."dueTo", 'state', m.state, 'progress', m.progress,
            'contribution', json_build_object('goal', json_build_object('number', g.number),
                                              'intervention', CASE WHEN i.id IS NULL THEN NULL ELSE json_build_object('code', i.code) END),
            'updates', COALESCE((
              SELECT json_agg(json_build_object('comment', u.comment, 'evidenceUrl', u."evidenceUrl"))
              FROM (SELECT u.comment, u."evidenceUrl" FROM "MilestoneUpdate" u
                    WHERE u."milestoneId" = m.id AND u.channel <> 'import'
                    ORDER BY u."createdAt" DESC, u.id DESC LIMIT 1) u), '[]'::json)))
          ORDER BY rm.number)
        FROM "RequestMilestone" rm
        JOIN "Milestone" m ON m.id = rm."milestoneId"
        JOIN "Contribution" ct ON ct.id = m."contributionId"
        JOIN "Goal" g ON g.id = ct."goalId"
        LEFT JOIN "Intervention" i ON i.id = ct."interventionId"
        WHERE rm."requestId" = r.id), '[]'::json) AS milestones
    FROM "ReportRequest" r
    JOIN "Organisation" o ON o.id = r."organisationId"
    JOIN "ReportingRound" rr ON rr.id = r."roundId"
    JOIN "Plan" p ON p.id = rr."planId"
    WHERE ${where}`;
}

function toRequest(row: Row | undefined): RequestForAnswering | null {
  if (!row) return null;
  return {
    ...row,
    round: { ...row.round, deadline: utcDate(row.round.deadline)!, graceUntil: utcDate(row.round.graceUntil)! },
    milestones: row.milestones.map((asked) => ({
      ...asked,
      answeredAt: utcDate(asked.answeredAt),
      draftSavedAt: utcDate(asked.draftSavedAt),
    })),
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

interface SubmissionRow {
  unanswered: number;
  outboxIds: number[];
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
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(run, { timeout: 30_000 });
  }

  async findByTokenHash(tokenHash: string): Promise<RequestForAnswering | null> {
    return toRequest((await this.prisma.query<Row>(selectRequest(Prisma.sql`r."tokenHash" = ${tokenHash}`), { prepared: true }))[0]);
  }

  async findByReplyKey(replyKey: string): Promise<RequestForAnswering | null> {
    return toRequest((await this.prisma.query<Row>(selectRequest(Prisma.sql`r."replyKey" = ${replyKey}`), { prepared: true }))[0]);
  }

  async findById(id: number): Promise<RequestForAnswering | null> {
    return toRequest((await this.prisma.query<Row>(selectRequest(Prisma.sql`r.id = ${id}`), { prepared: true }))[0]);
  }

  /** Saves the drafts of a request's milestones in one statement. */
  async saveDrafts(tx: Tx, requestId: number, drafts: Draft[], at: Date): Promise<void> {
    if (drafts.length === 0) return;
    await tx.$executeRaw`
      UPDATE "RequestMilestone" rm
      SET "draftState" = d.state::"MilestoneState", "draftProgress" = d.progress, "draftComment" = d.comment,
          "draftEvidenceUrl" = d."evidenceUrl", "draftSavedAt" = ${utc(at)}
      FROM unnest(${drafts.map((d) => d.milestoneId)}::int[], ${drafts.map((d) => d.state)}::text[], ${drafts.map((d) => d.progress)}::int[],
                  ${drafts.map((d) => d.comment)}::text[], ${drafts.map((d) => d.evidenceUrl)}::text[]) AS d("milestoneId", state, progress, comment, "evidenceUrl")
      WHERE rm."requestId" = ${requestId} AND rm."milestoneId" = d."milestoneId"`;
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
    const { at, late } = context;
    const milestoneIds = answers.map((answer) => answer.milestoneId);
    const statement = Prisma.sql`
      WITH ${recordingAnswers(answers, context)},
      answered AS (
        UPDATE "RequestMilestone"
        SET "answeredAt" = ${utc(at)}, "draftState" = NULL, "draftProgress" = NULL, "draftComment" = NULL, "draftEvidenceUrl" = NULL, "draftSavedAt" = NULL
        WHERE "requestId" = ${requestId} AND "milestoneId" = ANY(${milestoneIds}::int[])
        RETURNING "milestoneId"
      ),
      -- The statement's snapshot is from before the UPDATE above: what it answers is left out here.
      remaining AS (
        SELECT count(*)::int AS n FROM "RequestMilestone"
        WHERE "requestId" = ${requestId} AND NOT optional AND "answeredAt" IS NULL AND NOT ("milestoneId" = ANY(${milestoneIds}::int[]))
      ),
      request AS (
        UPDATE "ReportRequest"
        SET status = 'answered', "answeredAt" = ${utc(at)}, late = ${late}, "updatedAt" = ${utc(new Date())}
        WHERE id = ${requestId} AND (${final} OR (SELECT n FROM remaining) = 0)
        RETURNING id
      ),
      ${confirmation ? outboxInsertion('confirmation', confirmation.message, confirmation.messageIdDomain, at) : Prisma.sql`confirmation AS (SELECT NULL::int AS id WHERE false)`}
      -- The data-modifying CTEs (changed, history, answered, request) run whether or not they are read.
      SELECT (SELECT n FROM remaining) AS unanswered, ARRAY(SELECT id FROM confirmation) AS "outboxIds"`;
    const [row] = tx
      ? await tx.$queryRaw<SubmissionRow[]>(statement)
      : await this.prisma.query<SubmissionRow>(statement, { prepared: true });
    return { complete: row!.unanswered === 0, outboxIds: row!.outboxIds };
  }
}
