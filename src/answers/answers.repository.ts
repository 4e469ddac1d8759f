import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { MilestoneState, Prisma } from '../generated/prisma/client.js';

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
    return tx.reportRequest.findUnique({ where: { tokenHash }, include: requestForAnswering });
  }

  findByReplyKey(replyKey: string, tx: Tx = this.prisma): Promise<RequestForAnswering | null> {
    return tx.reportRequest.findUnique({ where: { replyKey }, include: requestForAnswering });
  }

  findById(id: number, tx: Tx = this.prisma): Promise<RequestForAnswering | null> {
    return tx.reportRequest.findUnique({ where: { id }, include: requestForAnswering });
  }

  async saveDrafts(tx: Tx, requestId: number, drafts: Draft[], at: Date): Promise<void> {
    for (const draft of drafts) {
      await tx.requestMilestone.update({
        where: { requestId_milestoneId: { requestId, milestoneId: draft.milestoneId } },
        data: { draftState: draft.state, draftProgress: draft.progress, draftComment: draft.comment, draftEvidenceUrl: draft.evidenceUrl, draftSavedAt: at },
      });
    }
  }

  async markAnswered(tx: Tx, requestId: number, milestoneIds: number[], at: Date): Promise<void> {
    await tx.requestMilestone.updateMany({
      where: { requestId, milestoneId: { in: milestoneIds } },
      data: { answeredAt: at, draftState: null, draftProgress: null, draftComment: null, draftEvidenceUrl: null, draftSavedAt: null },
    });
  }

  async markRequestAnswered(tx: Tx, requestId: number, at: Date, late: boolean): Promise<void> {
    await tx.reportRequest.update({ where: { id: requestId }, data: { status: 'answered', answeredAt: at, late } });
  }

  async unansweredRequired(tx: Tx, requestId: number): Promise<number> {
    return tx.requestMilestone.count({ where: { requestId, optional: false, answeredAt: null } });
  }
}
