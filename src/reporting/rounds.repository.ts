import { Injectable } from '@nestjs/common';
import { PrismaService, utc, type Sql, type Tx } from '../database/prisma.service.js';
import { Prisma, type Language, type RequestStatus, type RoundState } from '../generated/prisma/client.js';
import { OPEN_STATES } from '../progress/milestone-states.js';

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
  replyKey: string;
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
  replyKey: string;
  status: Extract<RequestStatus, 'sent' | 'no_contact'>;
}

/** One row per request of a round: enough for the secretariat's summaries, without the milestones themselves. */
export interface RequestSummary {
  id: number;
  name: string;
  status: RequestStatus;
  late: boolean;
  required: number;
  outstanding: number;
}

const openStates = Prisma.sql`${OPEN_STATES}::"MilestoneState"[]`;
/** The plan's order: goal, intervention (goal-level contributions last), contribution, position. */
const planOrder = Prisma.sql`g.number, i.position NULLS LAST, c.position, m.position, m.id`;
/** pg_advisory_xact_lock(ROUND_OPENING_LOCK, roundId): chunks of one round's opening, one at a time. */
const ROUND_OPENING_LOCK = 72_707_371;

/** A milestone of a request still waiting for answers, as the reminders read it (RoundsRepository.reminderRows). */
export interface ReminderRow extends Omit<DigestMilestoneFields, 'lastComment'> {
  requestId: number;
  organisationId: number;
  status: RequestStatus;
  tokenNonce: string;
  replyKey: string;
  number: number;
  optional: boolean;
  answeredAt: Date | null;
}

/** Rounds, their steps, requests and scope. */
@Injectable()
export class RoundsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(run, { timeout: 120_000, maxWait: 10_000 });
  }

  /**
   * A transaction on the pool, for the steps that write a digest per organisation (a chunk of an
   * opening, a reminder): their statements carry hundreds or thousands of digests, which Prisma's
   * engine would spend more CPU passing on than PostgreSQL spends writing.
   */
  sqlTransaction<T>(run: (sql: Sql) => Promise<T>): Promise<T> {
    return this.prisma.sqlTransaction(run);
  }

  findRound(id: number) {
    return this.prisma.reportingRound.findUnique({
      where: { id },
      include: { plan: { select: { id: true, title: true, periodFrom: true, periodTo: true } } },
    });
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
  async claimStep(sql: Sql, roundId: number, step: string): Promise<boolean> {
    const claimed = await sql.query<{ id: number }>(Prisma.sql`
      INSERT INTO "RoundStep" ("roundId", step, "doneAt") VALUES (${roundId}, ${step}, ${utc(new Date())})
      ON CONFLICT ("roundId", step) DO NOTHING
      RETURNING id`);
    return claimed.length === 1;
  }

  /** Removes a step's row; true for the one caller that removed it (of several racing instances). */
  async unclaimStep(tx: Tx, roundId: number, step: string): Promise<boolean> {
    const { count } = await tx.roundStep.deleteMany({ where: { roundId, step } });
    return count === 1;
  }

  async doneSteps(roundId: number): Promise<Set<string>> {
    const steps = await this.prisma.roundStep.findMany({ where: { roundId }, select: { step: true } });
    return new Set(steps.map((s) => s.step));
  }

  async setRoundState(tx: Tx, roundId: number, from: RoundState[], data: Prisma.ReportingRoundUpdateManyMutationInput): Promise<boolean> {
    const { count } = await tx.reportingRound.updateMany({ where: { id: roundId, state: { in: from } }, data });
    return count === 1;
  }

  /**
   * The organisations a round asks, in the plan order of their first open milestone: those with an
   * open milestone due in or before the year (or undated). Ids only, so a large round costs little.
   */
  async askedOrganisations(planId: number, year: number, tx: Tx = this.prisma): Promise<number[]> {
    const rows = await tx.$queryRaw<{ id: number }[]>`
      SELECT s."organisationId" AS id
      FROM (
        SELECT c."organisationId", m."dueTo", row_number() OVER (ORDER BY ${planOrder}) AS rn
        FROM "Milestone" m
        JOIN "Contribution" c ON c.id = m."contributionId"
        JOIN "Goal" g ON g.id = c."goalId"
        LEFT JOIN "Intervention" i ON i.id = c."interventionId"
        WHERE m."planId" = ${planId} AND m.state = ANY(${openStates})
      ) s
      GROUP BY s."organisationId"
      HAVING bool_or(s."dueTo" IS NULL OR s."dueTo" <= ${year})
      ORDER BY min(s.rn)`;
    return rows.map((row) => row.id);
  }

  /**
   * Serialises the chunks of one round's opening across instances (held until the transaction
   * ends), so two instances finishing the same opening take turns instead of doing each other's work.
   */
  async lockOpening(sql: Sql, roundId: number): Promise<void> {
    await sql.query(Prisma.sql`SELECT pg_advisory_xact_lock(${ROUND_OPENING_LOCK}::int, ${roundId}::int)`);
  }

  /** Of these organisations, those without a request in the round yet. */
  async withoutRequest(sql: Sql, roundId: number, organisationIds: number[]): Promise<number[]> {
    const rows = await sql.query<{ id: number }>(Prisma.sql`
      SELECT o.id FROM unnest(${organisationIds}::int[]) WITH ORDINALITY AS o(id, n)
      WHERE NOT EXISTS (SELECT 1 FROM "ReportRequest" r WHERE r."roundId" = ${roundId} AND r."organisationId" = o.id)
      ORDER BY o.n`);
    return rows.map((row) => row.id);
  }

  /**
   * The open milestones of these organisations in a plan, in plan order, with what a digest shows
   * of each. One statement however many: the ids travel as one array parameter.
   */
  async scope(sql: Sql, planId: number, year: number, organisationIds: number[]): Promise<ScopeRow[]> {
    return sql.query<ScopeRow>(Prisma.sql`
      SELECT m.id AS "milestoneId", c."organisationId", (m."dueTo" IS NULL OR m."dueTo" <= ${year}) AS required,
             m.label, m.text, m."dueFrom", m."dueTo", m.state::text AS state, g.number AS "goalNumber", i.code AS "interventionCode",
             lc.comment AS "lastComment"
      FROM "Milestone" m
      JOIN "Contribution" c ON c.id = m."contributionId"
      JOIN "Goal" g ON g.id = c."goalId"
      LEFT JOIN "Intervention" i ON i.id = c."interventionId"
      LEFT JOIN LATERAL (
        SELECT mu.comment FROM "MilestoneUpdate" mu
        WHERE mu."milestoneId" = m.id AND mu.comment IS NOT NULL AND mu.channel <> 'import'
        ORDER BY mu."createdAt" DESC, mu.id DESC LIMIT 1
      ) lc ON true
      WHERE m."planId" = ${planId} AND m.state = ANY(${openStates}) AND c."organisationId" = ANY(${organisationIds}::int[])
      ORDER BY ${planOrder}`);
  }

  organisationsWithContacts(sql: Sql, ids: number[]): Promise<OrganisationWithContacts[]> {
    return sql.query<OrganisationWithContacts>(Prisma.sql`
      SELECT o.id, o.name, o.language::text AS language,
             coalesce(array_agg(ct.email ORDER BY ct.id) FILTER (WHERE ct.id IS NOT NULL), '{}') AS contacts
      FROM "Organisation" o LEFT JOIN "Contact" ct ON ct."organisationId" = o.id
      WHERE o.id = ANY(${ids}::int[])
      GROUP BY o.id`);
  }

  /**
   * Writes the requests of organisations that have none in the round yet and returns those it
   * wrote: a second attempt at the same organisations (a resumed or concurrent opening) writes nothing.
   */
  createRequests(
    sql: Sql,
    roundId: number,
    expiresAt: Date,
    requests: NewRequest[],
  ): Promise<{ id: number; organisationId: number; status: RequestStatus }[]> {
    if (requests.length === 0) return Promise.resolve([]);
    const column = <K extends keyof NewRequest>(key: K) => requests.map((request) => request[key]);
    const now = utc(new Date());
    return sql.query(Prisma.sql`
      INSERT INTO "ReportRequest" ("roundId", "organisationId", "tokenNonce", "tokenHash", "replyKey", "expiresAt", status, "createdAt", "updatedAt")
      SELECT ${roundId}, t.o, t.n, t.h, t.k, ${utc(expiresAt)}, t.s::"RequestStatus", ${now}, ${now}
      FROM unnest(${column('organisationId')}::int[], ${column('tokenNonce')}::text[], ${column('tokenHash')}::text[], ${column('replyKey')}::text[], ${column('status')}::text[])
        WITH ORDINALITY AS t(o, n, h, k, s, ord)
      ORDER BY t.ord
      ON CONFLICT ("roundId", "organisationId") DO NOTHING
      RETURNING id, "organisationId", status::text AS status`);
  }

  async createRequestMilestones(
    sql: Sql,
    rows: { requestId: number; milestoneId: number; number: number; optional: boolean }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await sql.query(Prisma.sql`
      INSERT INTO "RequestMilestone" ("requestId", "milestoneId", number, optional)
      SELECT * FROM unnest(${rows.map((r) => r.requestId)}::int[], ${rows.map((r) => r.milestoneId)}::int[], ${rows.map((r) => r.number)}::int[], ${rows.map((r) => r.optional)}::boolean[])`);
  }

  /** Every request of a round with its required and outstanding milestones, in request order. */
  requestSummaries(roundId: number, tx: Tx = this.prisma): Promise<RequestSummary[]> {
    return tx.$queryRaw<RequestSummary[]>`
      SELECT r.id, o.name, r.status::text AS status, r.late,
             count(rm."milestoneId") FILTER (WHERE NOT rm.optional)::int AS required,
             count(rm."milestoneId") FILTER (WHERE NOT rm.optional AND rm."answeredAt" IS NULL)::int AS outstanding
      FROM "ReportRequest" r
      JOIN "Organisation" o ON o.id = r."organisationId"
      LEFT JOIN "RequestMilestone" rm ON rm."requestId" = r.id
      WHERE r."roundId" = ${roundId}
      GROUP BY r.id, o.name
      ORDER BY r.id`;
  }

  async countRequests(tx: Tx, roundId: number, status?: RequestStatus): Promise<number> {
    return tx.reportRequest.count({ where: { roundId, status } });
  }

  /**
   * The milestones of the round's requests that still wait for answers (status "sent", at least
   * one chased milestone unanswered), optionally of one organisation: every milestone of such a
   * request, in request and number order, with what its digest shows.
   */
  reminderRows(sql: Sql, roundId: number, organisationId?: number): Promise<ReminderRow[]> {
    return sql.query<ReminderRow>(Prisma.sql`
      SELECT r.id AS "requestId", r."organisationId", r.status::text AS status, r."tokenNonce", r."replyKey",
             rm."milestoneId", rm.number, rm.optional, rm."answeredAt",
             m.label, m.text, m."dueFrom", m."dueTo", m.state::text AS state, g.number AS "goalNumber", i.code AS "interventionCode"
      FROM "ReportRequest" r
      JOIN "RequestMilestone" rm ON rm."requestId" = r.id
      JOIN "Milestone" m ON m.id = rm."milestoneId"
      JOIN "Contribution" c ON c.id = m."contributionId"
      JOIN "Goal" g ON g.id = c."goalId"
      LEFT JOIN "Intervention" i ON i.id = c."interventionId"
      WHERE r."roundId" = ${roundId} AND r.status = 'sent' ${organisationId === undefined ? Prisma.empty : Prisma.sql`AND r."organisationId" = ${organisationId}`}
        AND EXISTS (SELECT 1 FROM "RequestMilestone" x WHERE x."requestId" = r.id AND NOT x.optional AND x."answeredAt" IS NULL)
      ORDER BY r.id, rm.number`);
  }

  /**
   * The latest comment on each milestone asked about in a round (optionally of one organisation),
   * for the reminders. Selected by round in one statement, so its size has no limit.
   */
  async lastComments(sql: Sql, roundId: number, organisationId?: number): Promise<Map<number, string>> {
    const rows = await sql.query<{ milestoneId: number; comment: string }>(Prisma.sql`
      SELECT DISTINCT ON (mu."milestoneId") mu."milestoneId", mu.comment
      FROM "MilestoneUpdate" mu
      JOIN "RequestMilestone" rm ON rm."milestoneId" = mu."milestoneId"
      JOIN "ReportRequest" r ON r.id = rm."requestId"
      WHERE r."roundId" = ${roundId} ${organisationId === undefined ? Prisma.empty : Prisma.sql`AND r."organisationId" = ${organisationId}`}
        AND mu.comment IS NOT NULL AND mu.channel <> 'import'
      ORDER BY mu."milestoneId", mu."createdAt" DESC, mu.id DESC`);
    return new Map(rows.map((row) => [row.milestoneId, row.comment]));
  }

  async extendRequests(tx: Tx, roundId: number, expiresAt: Date): Promise<void> {
    await tx.reportRequest.updateMany({ where: { roundId }, data: { expiresAt } });
  }

  /**
   * Every request of a round, counted in the database: how many milestones it asks about and how
   * many are answered, how many reminders went out and when it last got mail. One statement on the
   * pool, one row per request; loading each request's milestones and messages took 1.3 s for a
   * round of 10,000 organisations (bench/RESULTS.md, 27).
   */
  roundRequests(roundId: number): Promise<RoundRequestRow[]> {
    return this.prisma.query<RoundRequestRow>(Prisma.sql`
      SELECT r.id, r.status::text AS status, r."answeredAt", r.late, r."deliveryError", r."replyKey",
             o.id AS "organisationId", o.name AS "organisationName", o.language::text AS "organisationLanguage",
             coalesce(rm.required, 0) AS required, coalesce(rm.answered, 0) AS answered, coalesce(rm.optional, 0) AS optional,
             coalesce(m.reminders, 0) AS "remindersSent", m."lastMessageAt"
      FROM "ReportRequest" r
      JOIN "Organisation" o ON o.id = r."organisationId"
      LEFT JOIN (
        SELECT "requestId",
               (count(*) FILTER (WHERE NOT optional))::int AS required,
               (count(*) FILTER (WHERE NOT optional AND "answeredAt" IS NOT NULL))::int AS answered,
               (count(*) FILTER (WHERE optional))::int AS optional
        FROM "RequestMilestone" WHERE "requestId" IN (SELECT id FROM "ReportRequest" WHERE "roundId" = ${roundId})
        GROUP BY "requestId"
      ) rm ON rm."requestId" = r.id
      LEFT JOIN (
        SELECT "requestId", (count(*) FILTER (WHERE template = 'reminder' AND status = 'sent'))::int AS reminders, max("sentAt") AS "lastMessageAt"
        FROM "OutboxMessage" WHERE "requestId" IN (SELECT id FROM "ReportRequest" WHERE "roundId" = ${roundId})
        GROUP BY "requestId"
      ) m ON m."requestId" = r.id
      WHERE r."roundId" = ${roundId}
      ORDER BY o.name, r.id`);
  }
}
