import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { Database, type Db, type Tx } from '../database/database.js';
import type { MilestoneState } from '../generated/db/enums.js';

/** What a "this was not me" link stands for: the reply, its request and who it was for. */
export type ReplyRevertRow = NonNullable<Awaited<ReturnType<ReplyRevertRepository['findByTokenHash']>>>;

/** A milestone the reply changed, with what it was before the reply and whether the reply's change is still its latest. */
export interface ReplyChange {
  milestoneId: number;
  number: number;
  label: string | null;
  text: string;
  before: { state: MilestoneState; progress: number; comment: string | null; evidenceUrl: string | null };
  latest: boolean;
}

@Injectable()
export class ReplyRevertRepository {
  constructor(private readonly database: Database) {}

  db(): Db {
    return this.database.db;
  }

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(run);
  }

  async create(
    tx: Tx,
    row: { tokenHash: string; requestId: number; inboundMessageId: number | null; appliedAt: Date; expiresAt: Date; createdAt: Date },
  ): Promise<void> {
    await tx.insertInto('ReplyRevert').values(row).execute();
  }

  findByTokenHash(tokenHash: string, db: Db = this.database.db) {
    return db
      .selectFrom('ReplyRevert as v')
      .innerJoin('ReportRequest as r', 'r.id', 'v.requestId')
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .innerJoin('ReportingRound as rr', 'rr.id', 'r.roundId')
      .innerJoin('Plan as p', 'p.id', 'rr.planId')
      .leftJoin('InboundMessage as m', 'm.id', 'v.inboundMessageId')
      .select([
        'v.id',
        'v.requestId',
        'v.inboundMessageId',
        'v.appliedAt',
        'v.expiresAt',
        'v.usedAt',
        'o.name as organisationName',
        'o.language',
        'rr.id as roundId',
        'rr.year',
        'rr.planId',
        'p.title as planTitle',
        'm.messageId',
        'm.fromAddress',
        'm.subject',
        'm.receivedAt',
      ])
      .where('v.tokenHash', '=', tokenHash)
      .executeTakeFirst();
  }

  /** The milestones the reply recorded (its history rows carry the reply's instant), in the digest's order. */
  async changes(db: Db, requestId: number, appliedAt: Date): Promise<ReplyChange[]> {
    const rows = await db
      .selectFrom('MilestoneUpdate as u')
      .innerJoin('RequestMilestone as rm', (join) =>
        join.onRef('rm.requestId', '=', 'u.requestId').onRef('rm.milestoneId', '=', 'u.milestoneId'),
      )
      .innerJoin('Milestone as ms', 'ms.id', 'u.milestoneId')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('MilestoneUpdate as p')
            .select(['p.progress', 'p.comment', 'p.evidenceUrl', 'p.toState'])
            .whereRef('p.milestoneId', '=', 'u.milestoneId')
            .where(sql<boolean>`(p."createdAt", p.id) < (u."createdAt", u.id)`)
            .orderBy('p.createdAt', 'desc')
            .orderBy('p.id', 'desc')
            .limit(1)
            .as('prev'),
        (join) => join.onTrue(),
      )
      .select((eb) => [
        'u.milestoneId',
        'rm.number',
        'ms.label',
        'ms.text',
        'u.fromState',
        'prev.toState as prevState',
        'prev.progress',
        'prev.comment',
        'prev.evidenceUrl',
        eb
          .not(
            eb.exists(
              eb
                .selectFrom('MilestoneUpdate as later')
                .select('later.id')
                .whereRef('later.milestoneId', '=', 'u.milestoneId')
                .where(sql<boolean>`(later."createdAt", later.id) > (u."createdAt", u.id)`),
            ),
          )
          .as('latest'),
      ])
      .where('u.requestId', '=', requestId)
      .where('u.channel', '=', 'email_reply')
      .where('u.createdAt', '=', appliedAt)
      .orderBy('rm.number')
      .execute();
    return rows.map((row) => ({
      milestoneId: row.milestoneId,
      number: row.number,
      label: row.label,
      text: row.text,
      before: {
        state: row.fromState ?? row.prevState ?? 'not_started',
        progress: row.progress ?? 0,
        comment: row.comment,
        evidenceUrl: row.evidenceUrl,
      },
      latest: row.latest === true,
    }));
  }

  /** Uses the link: true for the one caller that got it while unused and unexpired. */
  async use(tx: Tx, id: number, now: Date): Promise<boolean> {
    const used = await tx
      .updateTable('ReplyRevert')
      .set({ usedAt: now })
      .where('id', '=', id)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .returning('id')
      .executeTakeFirst();
    return used !== undefined;
  }

  /** The reply goes back to the review queue, with why. */
  async sendToReview(tx: Tx, inboundMessageId: number, reason: string): Promise<void> {
    await tx.updateTable('InboundMessage').set({ status: 'in_review', reason, applied: 0 }).where('id', '=', inboundMessageId).execute();
  }
}
