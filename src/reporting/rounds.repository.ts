import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { Prisma, RoundState } from '../generated/prisma/client.js';
import { OPEN_STATES } from '../progress/milestone-states.js';

/** A milestone an organisation is asked about in a round. */
export interface ScopeRow {
  milestoneId: number;
  organisationId: number;
  /** Due in or before the reporting year (or undated): chased. Otherwise the organisation may report on it. */
  required: boolean;
}

const requestDetail = {
  organisation: { select: { id: true, name: true, language: true, contacts: { select: { email: true }, orderBy: { id: 'asc' } } } },
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
        },
      },
    },
  },
} satisfies Prisma.ReportRequestInclude;

export type RequestDetail = Prisma.ReportRequestGetPayload<{ include: typeof requestDetail }>;

/** Rounds, their steps, requests and scope. */
@Injectable()
export class RoundsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(run, { timeout: 120_000, maxWait: 10_000 });
  }

  findRound(id: number) {
    return this.prisma.reportingRound.findUnique({ where: { id }, include: { plan: { select: { id: true, title: true, periodFrom: true, periodTo: true } } } });
  }

  findRoundByYear(planId: number, year: number) {
    return this.prisma.reportingRound.findUnique({ where: { planId_year: { planId, year } } });
  }

  listRounds(planId: number) {
    return this.prisma.reportingRound.findMany({ where: { planId }, orderBy: { year: 'desc' } });
  }

  findActiveRounds() {
    return this.prisma.reportingRound.findMany({ where: { state: { in: ['scheduled', 'open'] } }, orderBy: { id: 'asc' } });
  }

  /** Creates the round unless the plan already has one for that year (then returns null). */
  async createRound(data: { planId: number; year: number; opensAt: Date; deadline: Date; graceUntil: Date }) {
    const [created] = await this.prisma.reportingRound.createManyAndReturn({ data: [data], skipDuplicates: true });
    return created ?? null;
  }

  async updateRound(id: number, data: Prisma.ReportingRoundUpdateInput, tx: Tx = this.prisma) {
    return tx.reportingRound.update({ where: { id }, data });
  }

  /**
   * Records that a step is being carried out. Returns false when it already was: the unique key
   * (round, step) lets exactly one of several racing instances through, inside its transaction.
   */
  async claimStep(tx: Tx, roundId: number, step: string): Promise<boolean> {
    const claimed = await tx.roundStep.createManyAndReturn({ data: [{ roundId, step }], skipDuplicates: true, select: { id: true } });
    return claimed.length === 1;
  }

  async doneSteps(roundId: number): Promise<Set<string>> {
    const steps = await this.prisma.roundStep.findMany({ where: { roundId }, select: { step: true } });
    return new Set(steps.map((s) => s.step));
  }

  async setRoundState(tx: Tx, roundId: number, from: RoundState[], data: Prisma.ReportingRoundUpdateManyMutationInput): Promise<boolean> {
    const { count } = await tx.reportingRound.updateMany({ where: { id: roundId, state: { in: from } }, data });
    return count === 1;
  }

  /** Open milestones of a plan with their owners, in plan order (goal, intervention, contribution, position). */
  async scope(tx: Tx, planId: number, year: number): Promise<ScopeRow[]> {
    const rows = await tx.milestone.findMany({
      where: { planId, state: { in: OPEN_STATES } },
      select: { id: true, dueTo: true, contribution: { select: { organisationId: true } } },
      orderBy: [
        { contribution: { goal: { number: 'asc' } } },
        { contribution: { intervention: { position: 'asc' } } },
        { contribution: { position: 'asc' } },
        { position: 'asc' },
      ],
    });
    return rows.map((row) => ({
      milestoneId: row.id,
      organisationId: row.contribution.organisationId,
      required: row.dueTo === null || row.dueTo <= year,
    }));
  }

  organisationsWithContacts(tx: Tx, ids: number[]) {
    return tx.organisation.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, language: true, contacts: { select: { email: true }, orderBy: { id: 'asc' } } } });
  }

  createRequests(tx: Tx, requests: Prisma.ReportRequestCreateManyInput[]) {
    return tx.reportRequest.createManyAndReturn({ data: requests, select: { id: true, organisationId: true, status: true, tokenNonce: true, replyKey: true } });
  }

  async createRequestMilestones(tx: Tx, rows: Prisma.RequestMilestoneCreateManyInput[]): Promise<void> {
    await tx.requestMilestone.createMany({ data: rows });
  }

  requestDetails(tx: Tx, where: Prisma.ReportRequestWhereInput): Promise<RequestDetail[]> {
    return tx.reportRequest.findMany({ where, include: requestDetail, orderBy: { id: 'asc' } });
  }

  /** The latest comment on each milestone, for the digest. */
  async lastComments(tx: Tx, milestoneIds: number[]): Promise<Map<number, string>> {
    const updates = await tx.milestoneUpdate.findMany({
      where: { milestoneId: { in: milestoneIds }, comment: { not: null }, channel: { not: 'import' } },
      distinct: ['milestoneId'],
      orderBy: [{ milestoneId: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }],
      select: { milestoneId: true, comment: true },
    });
    return new Map(updates.map((update) => [update.milestoneId, update.comment!]));
  }

  async extendRequests(tx: Tx, roundId: number, expiresAt: Date): Promise<void> {
    await tx.reportRequest.updateMany({ where: { roundId }, data: { expiresAt } });
  }

  /** Every request of a round with what it was asked, what is answered, and the mail it received. */
  roundRequests(roundId: number) {
    return this.prisma.reportRequest.findMany({
      where: { roundId },
      orderBy: { organisation: { name: 'asc' } },
      select: {
        id: true,
        status: true,
        answeredAt: true,
        late: true,
        deliveryError: true,
        replyKey: true,
        organisation: { select: { id: true, name: true, language: true } },
        milestones: { select: { optional: true, answeredAt: true } },
        messages: { select: { template: true, status: true, sentAt: true, createdAt: true }, orderBy: { id: 'asc' } },
      },
    });
  }
}
