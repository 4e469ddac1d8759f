import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService, utc, type Sql } from '../database/prisma.service.js';
import { Prisma, type Language, type OutboxStatus, type RoundState } from '../generated/prisma/client.js';

export interface NewOutboxMessage {
  dedupeKey: string;
  template: string;
  language: Language;
  recipients: string[];
  replyTo?: string | null;
  data: Prisma.InputJsonValue;
  requestId?: number | null;
  roundId?: number | null;
}

/** What the deliver job reads of a message: the message, and whether its round has closed. */
export interface DeliverableMessage {
  id: number;
  template: string;
  language: Language;
  recipients: string[];
  replyTo: string | null;
  data: Prisma.JsonValue;
  messageId: string;
  status: OutboxStatus;
  roundState: RoundState | null;
}

/** The outbox table: decisions to send, written inside the caller's transaction. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Writes the messages that are not there yet (by dedupe key) and returns the ids of the new
   * ones: the same decision taken twice writes one message. One statement with the messages as one
   * JSON parameter, however many: a round's opening writes hundreds of digests at a time.
   */
  async add(sql: Sql, messages: NewOutboxMessage[], messageIdDomain: string): Promise<number[]> {
    if (messages.length === 0) return [];
    const rows = messages.map((message) => ({
      dedupeKey: message.dedupeKey,
      template: message.template,
      language: message.language,
      recipients: message.recipients,
      replyTo: message.replyTo ?? null,
      data: message.data,
      requestId: message.requestId ?? null,
      roundId: message.roundId ?? null,
      messageId: `<${randomUUID()}@${messageIdDomain}>`,
    }));
    // Timestamps from here, not the columns' defaults: those follow the session's time zone, Prisma's writes are UTC.
    const now = utc(new Date());
    const created = await sql.query<{ id: number }>(Prisma.sql`
      INSERT INTO "OutboxMessage" ("dedupeKey", template, language, recipients, "replyTo", data, "requestId", "roundId", "messageId", "createdAt", "updatedAt")
      SELECT m."dedupeKey", m.template, m.language, m.recipients, m."replyTo", m.data, m."requestId", m."roundId", m."messageId", ${now}, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS m("dedupeKey" text, template text, language "Language", recipients text[], "replyTo" text, data jsonb, "requestId" int, "roundId" int, "messageId" text)
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING id`);
    return created.map((row) => row.id);
  }

  /** Many messages in one statement, in the order of the ids (null where there is none). */
  async findForDelivery(ids: number[]): Promise<(DeliverableMessage | null)[]> {
    const rows = await this.prisma.query<DeliverableMessage>(
      Prisma.sql`
      SELECT m.id, m.template, m.language::text AS language, m.recipients, m."replyTo", m.data, m."messageId", m.status::text AS status,
             rr.state::text AS "roundState"
      FROM "OutboxMessage" m
      LEFT JOIN "ReportRequest" r ON r.id = m."requestId"
      LEFT JOIN "ReportingRound" rr ON rr.id = r."roundId"
      WHERE m.id = ANY(${ids}::int[])`,
      { prepared: true },
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Records many deliveries in one statement; a message no longer pending is left as it is. */
  async markSentMany(sent: { id: number; subject: string; sentAt: Date }[]): Promise<void> {
    if (sent.length === 0) return;
    await this.prisma.query(
      Prisma.sql`
      UPDATE "OutboxMessage" o
      SET status = 'sent', subject = t.subject, "sentAt" = t."sentAt" AT TIME ZONE 'UTC', attempts = o.attempts + 1, "lastError" = NULL, "updatedAt" = ${utc(new Date())}
      FROM unnest(${sent.map((row) => row.id)}::int[], ${sent.map((row) => row.subject)}::text[], ${sent.map((row) => row.sentAt.toISOString())}::timestamptz[]) AS t(id, subject, "sentAt")
      WHERE o.id = t.id AND o.status = 'pending'`,
      { prepared: true },
    );
  }

  findPendingIds(limit: number): Promise<number[]> {
    return this.prisma.outboxMessage
      .findMany({ where: { status: 'pending' }, select: { id: true }, orderBy: { id: 'asc' }, take: limit })
      .then((rows) => rows.map((row) => row.id));
  }

  async markAttemptFailed(id: number, error: string): Promise<void> {
    await this.prisma.outboxMessage.update({ where: { id }, data: { attempts: { increment: 1 }, lastError: error } });
  }

  /** Gives a message up; a request whose only status mail was refused is recorded as bounced. */
  async markGivenUp(id: number, status: Extract<OutboxStatus, 'failed' | 'skipped'>, reason: string, countAttempt: boolean): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const message = await tx.outboxMessage.update({
        where: { id },
        data: { status, lastError: reason, attempts: countAttempt ? { increment: 1 } : undefined },
        select: { requestId: true, template: true },
      });
      if (status === 'failed' && message.requestId !== null && message.template !== 'answer-confirmation') {
        await tx.reportRequest.updateMany({
          where: { id: message.requestId, status: 'sent' },
          data: { status: 'bounced', deliveryError: reason },
        });
      }
    });
  }

  list(filter: { roundId?: number; status?: OutboxStatus; requestId?: number }, page: { skip: number; take: number }) {
    const where = { roundId: filter.roundId, status: filter.status, requestId: filter.requestId };
    return this.prisma.$transaction([
      this.prisma.outboxMessage.count({ where }),
      this.prisma.outboxMessage.findMany({
        where,
        orderBy: { id: 'desc' },
        skip: page.skip,
        take: page.take,
        select: {
          id: true,
          template: true,
          language: true,
          recipients: true,
          replyTo: true,
          subject: true,
          status: true,
          attempts: true,
          lastError: true,
          roundId: true,
          requestId: true,
          messageId: true,
          createdAt: true,
          sentAt: true,
        },
      }),
    ]);
  }
}

/**
 * The same decision as OutboxRepository.add for one message, as a common table expression named
 * `name` that returns the new id (none when the dedupe key is already there), for a repository
 * whose statement does more in the same breath (an answer's, src/answers/answers.repository.ts).
 */
export function outboxInsertion(name: string, message: NewOutboxMessage, messageIdDomain: string, at: Date): Prisma.Sql {
  return Prisma.sql`${Prisma.raw(name)} AS (
      INSERT INTO "OutboxMessage" ("dedupeKey", template, language, recipients, "replyTo", data, "requestId", "roundId", "messageId", "createdAt", "updatedAt")
      VALUES (${message.dedupeKey}, ${message.template}, ${message.language}::"Language", ${message.recipients}::text[], ${message.replyTo ?? null},
              ${JSON.stringify(message.data)}::jsonb, ${message.requestId ?? null}::int, ${message.roundId ?? null}::int,
              ${`<${randomUUID()}@${messageIdDomain}>`}, ${utc(at)}, ${utc(at)})
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING id
    )`;
}
