import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { MilestoneState, Prisma } from '../generated/prisma/client.js';
import { utc } from '../progress/milestone-updates.repository.js';

const requestForAnswering = {
  organisation: { select: { id: true, name: true, language: true, contacts: { select: { email: true }, orderBy: { id: 'asc' } } } },
  round: { select: { id: true, year: true, deadline: true, graceUntil: true, state: true, plan: { select: { title: true } } } },
  milestones: {
    orderBy: { number: 'asc' },
    include: {
      milestone: {
        select: {
          id: true,
          label: true,
          text: true,
          dueFrom: true,
          dueTo: true,
          state: true,
          progress: true,
          contribution: { select: { goal: { select: { number: true } }, intervention: { select: { code: true } } } },
          updates: { where: { channel: { not: 'import' } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 1, select: { comment: true, evidenceUrl: true } },
        },
      },
    },
  },
} satisfies Prisma.ReportRequestInclude;

/** The request, its organisation, round and every milestone asked about, in one statement (LATERAL joins). */
const oneStatement = 'join' satisfies Prisma.RelationLoadStrategy;

export type RequestForAnswering = Prisma.ReportRequestGetPayload<{ include: typeof requestForAnswering }>;

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

  findByTokenHash(tokenHash: string, tx: Tx = this.prisma): Promise<RequestForAnswering | null> {
    return tx.reportRequest.findUnique({ where: { tokenHash }, include: requestForAnswering, relationLoadStrategy: oneStatement });
  }

  findByReplyKey(replyKey: string, tx: Tx = this.prisma): Promise<RequestForAnswering | null> {
    return tx.reportRequest.findUnique({ where: { replyKey }, include: requestForAnswering, relationLoadStrategy: oneStatement });
  }

  findById(id: number, tx: Tx = this.prisma): Promise<RequestForAnswering | null> {
    return tx.reportRequest.findUnique({ where: { id }, include: requestForAnswering, relationLoadStrategy: oneStatement });
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
   * Marks the answered milestones of a request, clearing their drafts, and the request itself
   * answered when nothing required is left unanswered or the submission is final; one statement.
   * Returns whether every required milestone is now answered.
   */
  async markAnswered(tx: Tx, requestId: number, milestoneIds: number[], at: Date, request: { late: boolean; final: boolean }): Promise<{ complete: boolean }> {
    const [row] = await tx.$queryRaw<{ unanswered: number }[]>`
      WITH answered AS (
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
        SET status = 'answered', "answeredAt" = ${utc(at)}, late = ${request.late}, "updatedAt" = ${utc(new Date())}
        WHERE id = ${requestId} AND (${request.final} OR (SELECT n FROM remaining) = 0)
        RETURNING id
      )
      SELECT (SELECT n FROM remaining) AS unanswered, (SELECT count(*) FROM answered)::int AS answered, (SELECT count(*) FROM request)::int AS request`;
    return { complete: row!.unanswered === 0 };
  }
}
