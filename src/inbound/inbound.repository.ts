import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { jsonBuildObject, jsonObjectFrom } from 'kysely/helpers/postgres';
import { countAll, Database, type Db, type Tx } from '../database/database.js';
import type { InboundStatus, Language } from '../generated/db/enums.js';
import type { ParsedReply } from './reply-parser/parse-reply.js';

export interface NewInboundMessage {
  messageId: string;
  fromAddress: string;
  subject: string;
  requestId: number | null;
  status: InboundStatus;
  reason: string | null;
  body: string;
  /** The reading of the body; nothing (an empty object) when it was not read. */
  parsed: ParsedReply | Record<string, never>;
  applied: number;
  receivedAt: Date;
}

/** How a reply in the review queue was decided. */
export interface InboundResolution {
  status: Extract<InboundStatus, 'accepted' | 'rejected'>;
  applied?: number;
  reviewedAt: Date;
  reviewedBy: string;
}

/** The question whose mail a reply answers (by its reply address or In-Reply-To / References), and who may answer it. */
export interface AnsweredQuestion {
  reviewId: number;
  milestoneId: number;
  /** The milestone's label, or its text without one: how reasons name it. */
  milestone: string;
  label: string | null;
  text: string;
  question: string;
  planTitle: string;
  organisation: string;
  language: Language;
  contacts: string[];
  /** The request whose link the question's mail carried, if any. */
  requestId: number | null;
}

export interface NewMilestoneReply {
  milestoneId: number;
  reviewId: number;
  fromAddress: string;
  text: string;
  at: Date;
}

/** A message with this Message-ID was recorded meanwhile (two deliveries of one message at once). */
export class DuplicateMessage extends Error {}

const isMessageIdTaken = (error: unknown) =>
  (error as { code?: string; constraint?: string }).code === '23505' &&
  (error as { constraint?: string }).constraint === 'InboundMessage_messageId_key';

@Injectable()
export class InboundRepository {
  constructor(private readonly database: Database) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(run);
  }

  async exists(messageId: string): Promise<boolean> {
    const found = await this.database.db
      .selectFrom('InboundMessage')
      .select('id')
      .where('messageId', '=', messageId)
      .limit(1)
      .executeTakeFirst();
    return found !== undefined;
  }

  async create(data: NewInboundMessage, db: Db = this.database.db): Promise<number> {
    try {
      const created = await db
        .insertInto('InboundMessage')
        .values({ ...data, parsed: JSON.stringify(data.parsed) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return created.id;
    } catch (error) {
      if (isMessageIdTaken(error)) throw new DuplicateMessage(data.messageId);
      throw error;
    }
  }

  /**
   * The question a reply answers: the latest question mail among the Message-IDs it refers to
   * (its outbox row's dedupe key is `review:<id>:question`); null when it refers to none.
   */
  async questionAnswered(messageIds: string[]): Promise<AnsweredQuestion | null> {
    if (messageIds.length === 0) return null;
    const question = await this.questions()
      .innerJoin('OutboxMessage as om', (join) => join.on(sql<boolean>`om."dedupeKey" = 'review:' || r.id || ':question'`))
      .where('om.messageId', '=', (eb) => eb.fn.any(eb.val(messageIds)))
      .where('om.template', '=', 'milestone-question')
      .orderBy('om.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return question ? this.withContacts(question) : null;
  }

  /** The question a question's own reply address names (see SignedLinks.questionReplyKey); null when it is gone. */
  async questionById(reviewId: number): Promise<AnsweredQuestion | null> {
    const question = await this.questions().where('r.id', '=', reviewId).executeTakeFirst();
    return question ? this.withContacts(question) : null;
  }

  /** Questions (an answer returned with one, or one asked) with their milestone and committee. */
  private questions() {
    return this.database.db
      .selectFrom('MilestoneReview as r')
      .innerJoin('Milestone as m', 'm.id', 'r.milestoneId')
      .innerJoin('Plan as p', 'p.id', 'm.planId')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .select([
        'r.id as reviewId',
        'r.milestoneId',
        'r.requestId',
        'r.question',
        'm.label',
        'm.text',
        'p.title as planTitle',
        'o.id as organisationId',
        'o.name as organisation',
        'o.language',
      ])
      .where('r.action', 'in', ['asked', 'returned']);
  }

  private async withContacts(question: {
    reviewId: number;
    milestoneId: number;
    requestId: number | null;
    question: string | null;
    label: string | null;
    text: string;
    planTitle: string;
    organisationId: number;
    organisation: string;
    language: Language;
  }): Promise<AnsweredQuestion> {
    const contacts = await this.database.db
      .selectFrom('Contact')
      .select('email')
      .where('organisationId', '=', question.organisationId)
      .execute();
    return {
      reviewId: question.reviewId,
      milestoneId: question.milestoneId,
      milestone: question.label ?? question.text,
      label: question.label,
      text: question.text,
      question: question.question ?? '',
      planTitle: question.planTitle,
      organisation: question.organisation,
      language: question.language,
      contacts: contacts.map((contact) => contact.email.toLowerCase()),
      requestId: question.requestId,
    };
  }

  /** Keeps a committee's reply to a question in the milestone's thread, with its message. */
  async addReply(tx: Tx, reply: NewMilestoneReply, inboundMessageId: number): Promise<void> {
    await tx
      .insertInto('MilestoneReply')
      .values({ ...reply, inboundMessageId })
      .execute();
  }

  async find(id: number) {
    return (await this.database.db.selectFrom('InboundMessage').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async resolve(id: number, resolution: InboundResolution, db: Db = this.database.db): Promise<void> {
    await db.updateTable('InboundMessage').set(resolution).where('id', '=', id).returning('id').executeTakeFirstOrThrow();
  }

  /** Replies to a round's requests that wait in the review queue. */
  async countInReview(roundId: number): Promise<number> {
    const row = await this.database.db
      .selectFrom('InboundMessage as i')
      .innerJoin('ReportRequest as r', 'r.id', 'i.requestId')
      .select(countAll().as('n'))
      .where('r.roundId', '=', roundId)
      .where('i.status', '=', 'in_review')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(status: InboundStatus | undefined, page: { skip: number; take: number }) {
    let query = this.database.db.selectFrom('InboundMessage as i');
    if (status !== undefined) query = query.where('i.status', '=', status);
    const [counted, items] = await Promise.all([
      query.select(countAll().as('total')).executeTakeFirstOrThrow(),
      query
        .selectAll('i')
        .select((eb) =>
          jsonObjectFrom(
            eb
              .selectFrom('ReportRequest as r')
              .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
              .select((sub) => ['r.id', 'r.roundId', jsonBuildObject({ id: sub.ref('o.id'), name: sub.ref('o.name') }).as('organisation')])
              .whereRef('r.id', '=', 'i.requestId'),
          ).as('request'),
        )
        .orderBy('i.id', 'desc')
        .offset(page.skip)
        .limit(page.take)
        .execute(),
    ]);
    return [counted.total, items] as const;
  }
}
