import { Injectable } from '@nestjs/common';
import { expressionBuilder, sql, type Insertable, type Updateable } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import { Clock } from '../common/clock.js';
import { countAll, Database, type Db, type Tx } from '../database/database.js';
import type { Language, RequestStatus, RoundState } from '../generated/db/enums.js';
import type { DB, ReportingRound, RoundEvent } from '../generated/db/schema.js';
import { OPEN_STATES } from '../common/milestone-states.js';
import { lastReportedComment } from '../progress/milestone-history.js';

/** What a digest shows of a milestone. */
export interface DigestMilestoneFields {
  milestoneId: number;
  label: string | null;
  text: string;
  dueFrom: number | null;
  dueTo: number | null;
  state: string;
  goalNumber: number;
  interventionCode: string | null;
  /** The latest comment on the milestone (not from an import), quoted in the digest. */
  lastComment: string | null;
}

/** A request of a round as the secretariat's views list it (RoundsRepository.roundRequests). */
export interface RoundRequestRow {
  id: number;
  status: RequestStatus;
  answeredAt: Date | null;
  late: boolean;
  deliveryError: string | null;
  organisationId: number;
  organisationName: string;
  organisationLanguage: Language;
  /** Milestones due by the round's year: the ones chased. */
  required: number;
  /** Of those, the ones answered. */
  answered: number;
  /** Milestones due later, which the organisation may report on. */
  optional: number;
  remindersSent: number;
  lastMessageAt: Date | null;
}

/** A milestone an organisation is asked about in a round. */
export interface ScopeRow extends DigestMilestoneFields {
  organisationId: number;
  /** Due in or before the reporting year (or undated): chased. Otherwise the organisation may report on it. */
  required: boolean;
}

export interface OrganisationWithContacts {
  id: number;
  name: string;
  language: Language;
  contacts: string[];
}

export interface NewRequest {
  organisationId: number;
  tokenNonce: string;
  tokenHash: string;
  replyKeyHash: string;
  status: Extract<RequestStatus, 'sent' | 'no_contact'>;
}

/** One row per request of a round: enough for the secretariat's summaries, without the milestones themselves. */
export interface RequestSummary {
  id: number;
  name: string;
  status: RequestStatus;
  late: boolean;
  /** Milestones chased (due by the round's year), and of those the ones answered. */
  required: number;
  answered: number;
}

/** What may change of a round (its updatedAt is set from the clock). */
export type RoundChanges = Pick<Updateable<ReportingRound>, 'opensAt' | 'deadline' | 'graceUntil' | 'state' | 'openedAt' | 'closedAt'>;

/** The plan's order: goal, intervention (goal-level contributions last), contribution, position. */
const planOrder = sql`g.number, i.position NULLS LAST, c.position, m.position, m.id`;
/** pg_advisory_xact_lock(ROUND_OPENING_LOCK, roundId): chunks of one round's opening, one at a time. */
const ROUND_OPENING_LOCK = 72_707_371;
const ACTIVE_STATES: RoundState[] = ['scheduled', 'open'];

/** What a digest shows of a milestone (m), its goal (g) and intervention (i): DigestMilestoneFields. */
const DIGEST_COLUMNS = [
  'm.label',
  'm.text',
  'm.dueFrom',
  'm.dueTo',
  'm.state',
  'g.number as goalNumber',
  'i.code as interventionCode',
] as const;

/** A milestone of a request still waiting for answers, as the reminders read it (RoundsRepository.reminderRows). */
export interface ReminderRow extends Omit<DigestMilestoneFields, 'lastComment'> {
  requestId: number;
  organisationId: number;
  status: RequestStatus;
  tokenNonce: string;
  number: number;
  optional: boolean;
  answeredAt: Date | null;
}

/** Rounds, their steps, requests and scope. */
@Injectable()
export class RoundsRepository {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  /** The round with its plan's id, title and period. */
  async findRound(id: number) {
    const round = await this.database.db
      .selectFrom('ReportingRound as r')
      .selectAll('r')
      .select((eb) =>
        jsonObjectFrom(
          eb.selectFrom('Plan as p').select(['p.id', 'p.title', 'p.periodFrom', 'p.periodTo']).whereRef('p.id', '=', 'r.planId'),
        )
          .$notNull()
          .as('plan'),
      )
      .where('r.id', '=', id)
      .executeTakeFirst();
    return round ?? null;
  }

  async findRoundByYear(planId: number, year: number) {
    const round = await this.database.db
      .selectFrom('ReportingRound')
      .selectAll()
      .where('planId', '=', planId)
      .where('year', '=', year)
      .executeTakeFirst();
    return round ?? null;
  }

  listRounds(planId: number) {
    return this.database.db.selectFrom('ReportingRound').selectAll().where('planId', '=', planId).orderBy('year', 'desc').execute();
  }

  findActiveRounds() {
    return this.database.db
      .selectFrom('ReportingRound')
      .selectAll()
      .where('state', '=', (eb) => eb.fn.any(eb.val(ACTIVE_STATES)))
      .orderBy('id', 'asc')
      .execute();
  }

  /** Creates the round unless the plan already has one for that year (then returns null). */
  async createRound(data: { planId: number; year: number; opensAt: Date; deadline: Date; graceUntil: Date }) {
    const now = this.clock.now();
    const created = await this.database.db
      .insertInto('ReportingRound')
      .values({ ...data, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.columns(['planId', 'year']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return created ?? null;
  }

  async updateRound(id: number, data: RoundChanges, db: Db = this.database.db): Promise<void> {
    await db
      .updateTable('ReportingRound')
      .set({ ...data, updatedAt: this.clock.now() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Records that a step is being carried out. Returns false when it already was: the unique key
   * (round, step) lets exactly one of several racing instances through, inside its transaction.
   */
  async claimStep(db: Db, roundId: number, step: string): Promise<boolean> {
    const claimed = await db
      .insertInto('RoundStep')
      .values({ roundId, step, doneAt: this.clock.now() })
      .onConflict((oc) => oc.columns(['roundId', 'step']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  /** Removes a step's row; true for the one caller that removed it (of several racing instances). */
  async unclaimStep(db: Db, roundId: number, step: string): Promise<boolean> {
    const { numDeletedRows } = await db.deleteFrom('RoundStep').where('roundId', '=', roundId).where('step', '=', step).executeTakeFirst();
    return numDeletedRows === 1n;
  }

  async doneSteps(roundId: number): Promise<Set<string>> {
    const steps = await this.database.db.selectFrom('RoundStep').select('step').where('roundId', '=', roundId).execute();
    return new Set(steps.map((s) => s.step));
  }

  /** Changes the round if it is in one of the states `from`; true when it did. */
  async setRoundState(db: Db, roundId: number, from: RoundState[], data: RoundChanges): Promise<boolean> {
    const { numUpdatedRows } = await db
      .updateTable('ReportingRound')
      .set({ ...data, updatedAt: this.clock.now() })
      .where('id', '=', roundId)
      .where('state', '=', (eb) => eb.fn.any(eb.val(from)))
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  }

  /**
   * The organisations a round asks, in the plan order of their first open milestone: those with an
   * open milestone due in or before the year (or undated). Ids only, so a large round costs little.
   */
  async askedOrganisations(planId: number, year: number, db: Db = this.database.db): Promise<number[]> {
    const rows = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('Milestone as m')
          .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
          .innerJoin('Goal as g', 'g.id', 'c.goalId')
          .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
          .select(['c.organisationId', 'm.dueTo', sql<bigint>`row_number() OVER (ORDER BY ${planOrder})`.as('rn')])
          .where('m.planId', '=', planId)
          .where('m.state', '=', (eb) => eb.fn.any(eb.val(OPEN_STATES)))
          .as('s'),
      )
      .select('s.organisationId as id')
      .groupBy('s.organisationId')
      .having((eb) => eb.fn<boolean>('bool_or', [eb.or([eb('s.dueTo', 'is', null), eb('s.dueTo', '<=', year)])]))
      .orderBy((eb) => eb.fn.min('s.rn'))
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Serialises the chunks of one round's opening across instances (held until the transaction
   * ends), so two instances finishing the same opening take turns instead of doing each other's work.
   */
  async lockOpening(db: Db, roundId: number): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${ROUND_OPENING_LOCK}::int, ${roundId}::int)`.execute(db);
  }

  /** Of these organisations, those without a request in the round yet. */
  async withoutRequest(db: Db, roundId: number, organisationIds: number[]): Promise<number[]> {
    const rows = await db
      .selectFrom(sql<{ id: number; n: bigint }>`unnest(${organisationIds}::int[]) WITH ORDINALITY`.as<'o'>(sql`o(id, n)`))
      .select('o.id')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('ReportRequest as r').select('r.id').where('r.roundId', '=', roundId).whereRef('r.organisationId', '=', 'o.id'),
          ),
        ),
      )
      .orderBy('o.n')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * The open milestones of these organisations in a plan, in plan order, with what a digest shows
   * of each. One statement however many: the ids travel as one array parameter.
   */
  scope(db: Db, planId: number, year: number, organisationIds: number[]): Promise<ScopeRow[]> {
    return db
      .selectFrom('Milestone as m')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
      .select((eb) => [
        'm.id as milestoneId',
        'c.organisationId',
        eb
          .or([eb('m.dueTo', 'is', null), eb('m.dueTo', '<=', year)])
          .$castTo<boolean>()
          .as('required'),
        ...DIGEST_COLUMNS,
        lastReportedComment(eb.ref('m.id')).as('lastComment'),
      ])
      .where('m.planId', '=', planId)
      .where('m.state', '=', (eb) => eb.fn.any(eb.val(OPEN_STATES)))
      .where('c.organisationId', '=', (eb) => eb.fn.any(eb.val(organisationIds)))
      .orderBy(planOrder)
      .execute();
  }

  organisationsWithContacts(db: Db, ids: number[]): Promise<OrganisationWithContacts[]> {
    return db
      .selectFrom('Organisation as o')
      .leftJoin('Contact as ct', 'ct.organisationId', 'o.id')
      .select([
        'o.id',
        'o.name',
        'o.language',
        sql<string[]>`coalesce(array_agg(ct.email ORDER BY ct.id) FILTER (WHERE ct.id IS NOT NULL), '{}')`.as('contacts'),
      ])
      .where('o.id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .groupBy('o.id')
      .execute();
  }

  /**
   * Writes the requests of organisations that have none in the round yet and returns those it
   * wrote: a second attempt at the same organisations (a resumed or concurrent opening) writes nothing.
   */
  async createRequests(
    db: Db,
    roundId: number,
    expiresAt: Date,
    requests: NewRequest[],
  ): Promise<{ id: number; organisationId: number; status: RequestStatus }[]> {
    if (requests.length === 0) return [];
    const column = <K extends keyof NewRequest>(key: K) => requests.map((request) => request[key]);
    const now = this.clock.now();
    return db
      .insertInto('ReportRequest')
      .columns(['roundId', 'organisationId', 'tokenNonce', 'tokenHash', 'replyKeyHash', 'expiresAt', 'status', 'createdAt', 'updatedAt'])
      .expression((eb) =>
        eb
          .selectFrom(
            sql<NewRequestRecord>`unnest(${column('organisationId')}::int[], ${column('tokenNonce')}::text[], ${column('tokenHash')}::text[], ${column('replyKeyHash')}::text[], ${column('status')}::"RequestStatus"[]) WITH ORDINALITY`.as<'t'>(
              sql`t("organisationId", "tokenNonce", "tokenHash", "replyKeyHash", status, ord)`,
            ),
          )
          .select([
            sql<number>`${roundId}::int`.as('roundId'),
            't.organisationId',
            't.tokenNonce',
            't.tokenHash',
            't.replyKeyHash',
            sql<Date>`${expiresAt}::timestamptz`.as('expiresAt'),
            't.status',
            sql<Date>`${now}::timestamptz`.as('createdAt'),
            sql<Date>`${now}::timestamptz`.as('updatedAt'),
          ])
          .orderBy('t.ord'),
      )
      .onConflict((oc) => oc.columns(['roundId', 'organisationId']).doNothing())
      .returning(['id', 'organisationId', 'status'])
      .execute();
  }

  async createRequestMilestones(
    db: Db,
    rows: { requestId: number; milestoneId: number; number: number; optional: boolean }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await db
      .insertInto('RequestMilestone')
      .columns(['requestId', 'milestoneId', 'number', 'optional'])
      .expression((eb) =>
        eb
          .selectFrom(
            sql<{
              requestId: number;
              milestoneId: number;
              number: number;
              optional: boolean;
            }>`unnest(${rows.map((r) => r.requestId)}::int[], ${rows.map((r) => r.milestoneId)}::int[], ${rows.map((r) => r.number)}::int[], ${rows.map((r) => r.optional)}::boolean[])`.as<'t'>(
              sql`t("requestId", "milestoneId", number, optional)`,
            ),
          )
          .select(['t.requestId', 't.milestoneId', 't.number', 't.optional']),
      )
      .execute();
  }

  /** Every request of a round with its required and outstanding milestones, in request order. */
  requestSummaries(roundId: number, db: Db = this.database.db): Promise<RequestSummary[]> {
    return db
      .selectFrom('ReportRequest as r')
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .leftJoin('RequestMilestone as rm', 'rm.requestId', 'r.id')
      .select([
        'r.id',
        'o.name',
        'r.status',
        'r.late',
        sql<number>`count(rm."milestoneId") FILTER (WHERE NOT rm.optional)::int`.as('required'),
        sql<number>`count(rm."milestoneId") FILTER (WHERE NOT rm.optional AND rm."answeredAt" IS NOT NULL)::int`.as('answered'),
      ])
      .where('r.roundId', '=', roundId)
      .groupBy(['r.id', 'o.name'])
      .orderBy('r.id')
      .execute();
  }

  async countRequests(db: Db, roundId: number, status?: RequestStatus): Promise<number> {
    let query = db.selectFrom('ReportRequest').select(countAll().as('count')).where('roundId', '=', roundId);
    if (status !== undefined) query = query.where('status', '=', status);
    const { count } = await query.executeTakeFirstOrThrow();
    return count;
  }

  /**
   * The milestones of the round's requests that still wait for answers (status "sent", at least
   * one chased milestone unanswered), optionally of one organisation: every milestone of such a
   * request, in request and number order, with what its digest shows.
   */
  reminderRows(db: Db, roundId: number, organisationId?: number): Promise<ReminderRow[]> {
    let query = db
      .selectFrom('ReportRequest as r')
      .innerJoin('RequestMilestone as rm', 'rm.requestId', 'r.id')
      .innerJoin('Milestone as m', 'm.id', 'rm.milestoneId')
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
      .select([
        'r.id as requestId',
        'r.organisationId',
        'r.status',
        'r.tokenNonce',
        'rm.milestoneId',
        'rm.number',
        'rm.optional',
        'rm.answeredAt',
        ...DIGEST_COLUMNS,
      ])
      .where('r.roundId', '=', roundId)
      .where('r.status', '=', 'sent');
    if (organisationId !== undefined) query = query.where('r.organisationId', '=', organisationId);
    return query
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('RequestMilestone as x')
            .select('x.requestId')
            .whereRef('x.requestId', '=', 'r.id')
            .where('x.optional', '=', false)
            .where('x.answeredAt', 'is', null),
        ),
      )
      .orderBy('r.id')
      .orderBy('rm.number')
      .execute();
  }

  /**
   * The latest comment on each milestone asked about in a round (optionally of one organisation),
   * for the reminders. Selected by round in one statement, so its size has no limit.
   */
  async lastComments(db: Db, roundId: number, organisationId?: number): Promise<Map<number, string>> {
    let query = db
      .selectFrom('RequestMilestone as rm')
      .innerJoin('ReportRequest as r', 'r.id', 'rm.requestId')
      .select((eb) => ['rm.milestoneId', lastReportedComment(eb.ref('rm.milestoneId')).as('comment')])
      .where('r.roundId', '=', roundId);
    if (organisationId !== undefined) query = query.where('r.organisationId', '=', organisationId);
    const rows = await query.execute();
    const comments = new Map<number, string>();
    for (const row of rows) if (row.comment !== null) comments.set(row.milestoneId, row.comment);
    return comments;
  }

  /** Records what the secretariat did to a round by hand, in the transaction that did it. */
  async addEvent(db: Db, event: Insertable<RoundEvent>): Promise<void> {
    await db.insertInto('RoundEvent').values(event).execute();
  }

  /** A round's events, oldest first. */
  events(roundId: number) {
    return this.database.db
      .selectFrom('RoundEvent')
      .select(['kind', 'actor', 'reason', 'deadline', 'graceUntil', 'at'])
      .where('roundId', '=', roundId)
      .orderBy('at')
      .orderBy('id')
      .execute();
  }

  /** Notes when reminders were written for these requests. */
  async markReminded(db: Db, requestIds: number[], at: Date): Promise<void> {
    if (requestIds.length === 0) return;
    await db
      .updateTable('ReportRequest')
      .set({ lastRemindedAt: at, updatedAt: at })
      .where('id', '=', (eb) => eb.fn.any(eb.val(requestIds)))
      .execute();
  }

  /** The round's requests (of one organisation, if given) reminded since `since`, with their organisation. */
  remindedSince(db: Db, roundId: number, since: Date, organisationId?: number) {
    let query = db
      .selectFrom('ReportRequest as r')
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .select(['r.id', 'r.organisationId', 'o.name', 'r.lastRemindedAt'])
      .where('r.roundId', '=', roundId)
      .where('r.lastRemindedAt', '>=', since);
    if (organisationId !== undefined) query = query.where('r.organisationId', '=', organisationId);
    return query.orderBy('o.name').execute();
  }

  async extendRequests(db: Db, roundId: number, expiresAt: Date): Promise<void> {
    await db.updateTable('ReportRequest').set({ expiresAt, updatedAt: this.clock.now() }).where('roundId', '=', roundId).execute();
  }

  /**
   * Fills in the reply-key hash of requests made before keys were derived (see the migration
   * reply_key_hash); the hash needs APP_SECRET, which the database does not have. Returns how many.
   */
  async fillReplyKeyHashes(hashOf: (nonce: string) => string): Promise<number> {
    const rows = await this.database.db
      .selectFrom('ReportRequest')
      .select(['id', 'tokenNonce'])
      .where('replyKeyHash', 'is', null)
      .execute();
    if (rows.length === 0) return 0;
    const result = await this.database.db
      .updateTable('ReportRequest as r')
      .from(
        sql<{
          id: number;
          hash: string;
        }>`unnest(${rows.map((row) => row.id)}::int[], ${rows.map((row) => hashOf(row.tokenNonce))}::text[])`.as<'t'>(sql`t(id, hash)`),
      )
      .set((eb) => ({ replyKeyHash: eb.ref('t.hash') }))
      .whereRef('r.id', '=', 't.id')
      .where('r.replyKeyHash', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Records that a request's mail bounced: the request becomes "bounced", with the reason, if it
   * was still "sent" (an answered request stays answered).
   */
  async recordBounce(requestId: number, reason: string): Promise<void> {
    await this.database.db
      .updateTable('ReportRequest')
      .set({ status: 'bounced', deliveryError: reason, updatedAt: this.clock.now() })
      .where('id', '=', requestId)
      .where('status', '=', 'sent')
      .execute();
  }

  /**
   * Every request of a round, counted in the database: how many milestones it asks about and how
   * many are answered, how many reminders went out and when it last got mail. One statement, one
   * row per request.
   */
  roundRequests(roundId: number): Promise<RoundRequestRow[]> {
    const roundRequestIds = expressionBuilder<DB>().selectFrom('ReportRequest').select('id').where('roundId', '=', roundId);
    return this.database.db
      .selectFrom('ReportRequest as r')
      .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('RequestMilestone')
            .select([
              'requestId',
              sql<number>`(count(*) FILTER (WHERE NOT optional))::int`.as('required'),
              sql<number>`(count(*) FILTER (WHERE NOT optional AND "answeredAt" IS NOT NULL))::int`.as('answered'),
              sql<number>`(count(*) FILTER (WHERE optional))::int`.as('optional'),
            ])
            .where('requestId', 'in', roundRequestIds)
            .groupBy('requestId')
            .as('rm'),
        (join) => join.onRef('rm.requestId', '=', 'r.id'),
      )
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('OutboxMessage')
            .select([
              'requestId',
              sql<number>`(count(*) FILTER (WHERE template = 'reminder' AND status = 'sent'))::int`.as('reminders'),
              (eb) => eb.fn.max('sentAt').as('lastMessageAt'),
            ])
            .where('requestId', 'in', roundRequestIds)
            .groupBy('requestId')
            .as('m'),
        (join) => join.onRef('m.requestId', '=', 'r.id'),
      )
      .select((eb) => [
        'r.id',
        'r.status',
        'r.answeredAt',
        'r.late',
        'r.deliveryError',
        'o.id as organisationId',
        'o.name as organisationName',
        'o.language as organisationLanguage',
        eb.fn.coalesce('rm.required', eb.lit(0)).as('required'),
        eb.fn.coalesce('rm.answered', eb.lit(0)).as('answered'),
        eb.fn.coalesce('rm.optional', eb.lit(0)).as('optional'),
        eb.fn.coalesce('m.reminders', eb.lit(0)).as('remindersSent'),
        'm.lastMessageAt',
      ])
      .where('r.roundId', '=', roundId)
      .orderBy('o.name')
      .orderBy('r.id')
      .execute();
  }
}

interface NewRequestRecord extends NewRequest {
  ord: bigint;
}
