import { Injectable } from '@nestjs/common';
import { sql, type Insertable } from 'kysely';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { countAll, Database, PreparedStatement, type Db } from '../database/database.js';
import type { JsonObject } from '../database/json.js';
import type { Language, OutboxStatus, RoundState } from '../generated/db/enums.js';
import type { OutboxMessage } from '../generated/db/schema.js';

export interface NewOutboxMessage {
  dedupeKey: string;
  template: string;
  language: Language;
  recipients: string[];
  replyTo?: string | null;
  data: JsonObject;
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
  data: unknown;
  messageId: string;
  status: OutboxStatus;
  /**
   * Set when a worker took it to send and never learned the outcome (it died while composing it
   * or handing it to the SMTP server); cleared when an attempt fails or is given up.
   */
  handingAt: Date | null;
  possiblyTwice: boolean;
  roundState: RoundState | null;
}

/** A message given up, with what the caller needs to record a bounce. */
export interface GivenUpMessage {
  requestId: number | null;
  template: string;
}

/** The outbox table: decisions to send, written inside the caller's transaction. */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Writes the messages that are not there yet (by dedupe key) and returns the ids of the new
   * ones: the same decision taken twice writes one message. One statement with the messages as one
   * JSON parameter, however many: a round's opening writes hundreds of digests at a time.
   */
  async add(db: Db, messages: NewOutboxMessage[], messageIdDomain: string): Promise<number[]> {
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
      messageId: newMessageId(messageIdDomain),
    }));
    const now = this.clock.now();
    const created = await db
      .insertInto('OutboxMessage')
      .columns([
        'dedupeKey',
        'template',
        'language',
        'recipients',
        'replyTo',
        'data',
        'requestId',
        'roundId',
        'messageId',
        'createdAt',
        'updatedAt',
      ])
      .expression((eb) =>
        eb
          .selectFrom(
            sql<OutboxRecord>`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)`.as<'m'>(
              sql`m("dedupeKey" text, template text, language "Language", recipients text[], "replyTo" text, data jsonb, "requestId" int, "roundId" int, "messageId" text)`,
            ),
          )
          .select([
            'm.dedupeKey',
            'm.template',
            'm.language',
            'm.recipients',
            'm.replyTo',
            'm.data',
            'm.requestId',
            'm.roundId',
            'm.messageId',
            sql<Date>`${now}::timestamptz`.as('createdAt'),
            sql<Date>`${now}::timestamptz`.as('updatedAt'),
          ]),
      )
      .onConflict((oc) => oc.column('dedupeKey').doNothing())
      .returning('id')
      .execute();
    return created.map((row) => row.id);
  }

  /**
   * Takes many pending messages for delivery in one statement: each not yet marked is marked as
   * being handed to the SMTP server from now on, and each comes back as it was before (in the
   * order of the ids; null where there is none, or it is no longer pending).
   */
  async claimForDelivery(ids: number[]): Promise<(DeliverableMessage | null)[]> {
    const rows = await claim.execute(this.database.db, { ids, at: this.clock.now() });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Records many deliveries in one statement; a message no longer pending is left as it is. */
  async markSentMany(sent: { id: number; subject: string; sentAt: Date }[]): Promise<void> {
    if (sent.length === 0) return;
    await markSent.execute(this.database.db, {
      ids: sent.map((row) => row.id),
      subjects: sent.map((row) => row.subject),
      sentAt: sent.map((row) => row.sentAt),
      now: this.clock.now(),
    });
  }

  /** A message found in the SMTP window after a crash, about to be sent once more: it may arrive twice. */
  async markPossiblyTwice(id: number): Promise<void> {
    const now = this.clock.now();
    await this.database.db
      .updateTable('OutboxMessage')
      .set({ possiblyTwice: true, handingAt: now, updatedAt: now })
      .where('id', '=', id)
      .execute();
  }

  /** How many of a round's messages were sent once more after a crash in the SMTP window. */
  async countPossiblyTwice(roundId: number): Promise<number> {
    const row = await this.database.db
      .selectFrom('OutboxMessage')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('roundId', '=', roundId)
      .where('possiblyTwice', '=', true)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findPendingIds(limit: number): Promise<number[]> {
    const rows = await this.database.db
      .selectFrom('OutboxMessage')
      .select('id')
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  async markAttemptFailed(id: number, error: string): Promise<void> {
    await this.database.db
      .updateTable('OutboxMessage')
      // The server answered (or the connection failed): the message is out of the SMTP window.
      .set((eb) => ({ attempts: eb('attempts', '+', 1), lastError: error, handingAt: null, updatedAt: this.clock.now() }))
      .where('id', '=', id)
      .execute();
  }

  /** Gives a message up; returns what it was about (null when there is no such message). */
  async markGivenUp(
    id: number,
    status: Extract<OutboxStatus, 'failed' | 'skipped'>,
    reason: string,
    countAttempt: boolean,
  ): Promise<GivenUpMessage | null> {
    const row = await this.database.db
      .updateTable('OutboxMessage')
      .set((eb) => ({
        status,
        lastError: reason,
        handingAt: null,
        attempts: countAttempt ? eb('attempts', '+', 1) : eb.ref('attempts'),
        updatedAt: this.clock.now(),
      }))
      .where('id', '=', id)
      .returning(['requestId', 'template'])
      .executeTakeFirst();
    return row ?? null;
  }

  async list(
    filter: { roundId?: number; status?: OutboxStatus; requestId?: number; organisationId?: number; template?: string; id?: number },
    page: { skip: number; take: number },
  ) {
    let query = this.database.db.selectFrom('OutboxMessage');
    if (filter.id !== undefined) query = query.where('id', '=', filter.id);
    if (filter.roundId !== undefined) query = query.where('roundId', '=', filter.roundId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.requestId !== undefined) query = query.where('requestId', '=', filter.requestId);
    if (filter.template !== undefined) query = query.where('template', '=', filter.template);
    const organisationId = filter.organisationId;
    if (organisationId !== undefined)
      query = query.where('requestId', 'in', (eb) =>
        eb.selectFrom('ReportRequest').select('ReportRequest.id').where('ReportRequest.organisationId', '=', organisationId),
      );
    const [counted, items] = await Promise.all([
      query.select(countAll().as('total')).executeTakeFirstOrThrow(),
      query
        .select([
          'id',
          'template',
          'language',
          'recipients',
          // Whether replies reach the service, not the address: it is a secret like the answer link.
          // (Questions written before they had a reply address of their own name the secretariat's.)
          sql<boolean>`coalesce("replyTo" LIKE 'reports+%', template IN ('status-request', 'reminder', 'milestone-question'))`.as(
            'replyAddress',
          ),
          'subject',
          'status',
          'attempts',
          'lastError',
          'roundId',
          'requestId',
          'messageId',
          'createdAt',
          'sentAt',
        ])
        .orderBy('id', 'desc')
        .offset(page.skip)
        .limit(page.take)
        .execute(),
    ]);
    return [counted.total, items] as const;
  }

  /** A message's stored template data, to show what it said. */
  async findData(id: number) {
    return this.database.db
      .selectFrom('OutboxMessage')
      .select(['id', 'template', 'language', 'data'])
      .where('id', '=', id)
      .executeTakeFirst();
  }
}

// The deliver job's two statements, compiled once: they run for every mail sent. The claim
// returns each row as it was before the claim (the self-join reads the row's old version), so a
// worker learns whether another one died holding the message.
const claim = new PreparedStatement((db: Db, v: { ids: number[]; at: Date }) =>
  db
    .updateTable('OutboxMessage as m')
    .from('OutboxMessage as before')
    .leftJoin('ReportRequest as r', 'r.id', 'before.requestId')
    .leftJoin('ReportingRound as rr', 'rr.id', 'r.roundId')
    .set((eb) => ({ handingAt: eb.fn.coalesce('m.handingAt', eb.val(v.at)) }))
    .whereRef('before.id', '=', 'm.id')
    .where('m.id', '=', (eb) => eb.fn.any(eb.val(v.ids)))
    .where('m.status', '=', 'pending')
    .returning([
      'm.id',
      'm.template',
      'm.language',
      'm.recipients',
      'm.replyTo',
      'm.data',
      'm.messageId',
      'm.status',
      'before.handingAt',
      'm.possiblyTwice',
      'rr.state as roundState',
    ]),
);

const markSent = new PreparedStatement((db: Db, v: { ids: number[]; subjects: string[]; sentAt: Date[]; now: Date }) =>
  db
    .updateTable('OutboxMessage as o')
    .from(
      sql<{
        id: number;
        subject: string;
        sentAt: Date;
      }>`unnest(${v.ids}::int[], ${v.subjects}::text[], ${v.sentAt}::timestamptz[])`.as<'t'>(sql`t(id, subject, "sentAt")`),
    )
    .set((eb) => ({
      status: 'sent',
      subject: eb.ref('t.subject'),
      sentAt: eb.ref('t.sentAt'),
      attempts: eb('o.attempts', '+', 1),
      lastError: null,
      updatedAt: v.now,
    }))
    .whereRef('o.id', '=', 't.id')
    .where('o.status', '=', 'pending'),
);

interface OutboxRecord {
  dedupeKey: string;
  template: string;
  language: Language;
  recipients: string[];
  replyTo: string | null;
  data: JsonObject;
  requestId: number | null;
  roundId: number | null;
  messageId: string;
}

const newMessageId = (domain: string) => `<${randomUUID()}@${domain}>`;

/**
 * One message's values, for a repository whose statement writes it in the same breath as what
 * caused it (an answer's confirmation): the statement inserts `outboxRow(fields, at)` with
 * ON CONFLICT ("dedupeKey") DO NOTHING.
 */
export interface OutboxFields {
  dedupeKey: string;
  template: string;
  language: Language;
  recipients: string[];
  replyTo: string | null;
  data: string;
  messageRequestId: number | null;
  roundId: number | null;
  messageId: string;
}

export function outboxFields(message: NewOutboxMessage, messageIdDomain: string): OutboxFields {
  return {
    dedupeKey: message.dedupeKey,
    template: message.template,
    language: message.language,
    recipients: message.recipients,
    replyTo: message.replyTo ?? null,
    data: JSON.stringify(message.data),
    messageRequestId: message.requestId ?? null,
    roundId: message.roundId ?? null,
    messageId: newMessageId(messageIdDomain),
  };
}

/** The row for `fields` (placeholders, in a statement compiled once), written at `at`. */
export function outboxRow(fields: OutboxFields, at: Date): Insertable<OutboxMessage> {
  return {
    dedupeKey: fields.dedupeKey,
    template: fields.template,
    language: fields.language,
    recipients: fields.recipients,
    replyTo: fields.replyTo,
    data: fields.data,
    requestId: fields.messageRequestId,
    roundId: fields.roundId,
    messageId: fields.messageId,
    createdAt: at,
    updatedAt: at,
  };
}
