import { Injectable } from '@nestjs/common';
import { jsonArrayFrom, jsonBuildObject } from 'kysely/helpers/postgres';
import { Database, type Db, type Tx } from '../database/database.js';
import type { AnnualReportFormat, AnnualReportStatus, AnnualReportTrigger, Language, RoundState } from '../generated/db/enums.js';
import { inRecord, type RecordCut } from '../progress/records.repository.js';
import type { CommentRow, LastComment, RoundRow } from './annual-report.content.js';

/** What lists and the record endpoint show: never the snapshot or the files, which are large. */
export interface ReportSummary {
  id: number;
  planId: number;
  year: number;
  language: Language;
  trigger: AnnualReportTrigger;
  status: AnnualReportStatus;
  preliminary: boolean;
  error: string | null;
  requestedBy: string;
  createdAt: Date;
  generatedAt: Date | null;
  plan: { title: string; slug: string };
  files: { format: AnnualReportFormat }[];
}

export interface NewReport {
  planId: number;
  year: number;
  language: Language;
  trigger: AnnualReportTrigger;
  preliminary: boolean;
  requestedBy: string;
  createdAt: Date;
}

/** A year's foreword as the report prints it. */
export interface Foreword {
  text: string;
  by: string;
  /** ISO instant of the last change. */
  at: string;
}

/** Annual reports, their files, and the reads the content model needs beyond the plan and its figures. */
@Injectable()
export class AnnualReportRepository {
  constructor(private readonly database: Database) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  async createReport(data: NewReport): Promise<ReportSummary> {
    const { id } = await this.database.db.insertInto('AnnualReport').values(data).returning('id').executeTakeFirstOrThrow();
    return (await this.findReport(id))!;
  }

  /**
   * Creates an automatic report unless one with the same key exists (then null): the unique
   * autoKey lets exactly one of several instances ticking at once through.
   */
  async claimAutomatic(data: NewReport & { autoKey: string }): Promise<number | null> {
    const created = await this.database.db
      .insertInto('AnnualReport')
      .values(data)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return created?.id ?? null;
  }

  /** A final (not preliminary) report that is made or being made: another one would say the same. */
  async hasFinalReport(planId: number, year: number): Promise<boolean> {
    const found = await this.database.db
      .selectFrom('AnnualReport')
      .select('id')
      .where('planId', '=', planId)
      .where('year', '=', year)
      .where('preliminary', '=', false)
      .where('status', '<>', 'failed')
      .limit(1)
      .executeTakeFirst();
    return found !== undefined;
  }

  async findReport(id: number): Promise<ReportSummary | null> {
    return (await this.summaries().where('r.id', '=', id).executeTakeFirst()) ?? null;
  }

  /** The stored snapshot as text, straight from PostgreSQL (null before it is taken). */
  async findSnapshotText(id: number): Promise<{ status: AnnualReportStatus; snapshot: string | null } | null> {
    const row = await this.database.db
      .selectFrom('AnnualReport')
      .select((eb) => ['status', eb.cast<string | null>('snapshot', 'text').as('snapshot')])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  listReports(planId?: number): Promise<ReportSummary[]> {
    let query = this.summaries();
    if (planId !== undefined) query = query.where('r.planId', '=', planId);
    return query.orderBy('r.year', 'desc').orderBy('r.id', 'desc').execute();
  }

  async findFile(reportId: number, format: AnnualReportFormat): Promise<{ content: Buffer } | null> {
    const file = await this.database.db
      .selectFrom('AnnualReportFile')
      .select('content')
      .where('reportId', '=', reportId)
      .where('format', '=', format)
      .executeTakeFirst();
    return file ?? null;
  }

  /** queued → generating; a retry after a crash finds it generating already. False when it is done or failed. */
  async markGenerating(id: number): Promise<boolean> {
    const { numUpdatedRows } = await this.database.db
      .updateTable('AnnualReport')
      .set({ status: 'generating', error: null })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'generating'])
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  }

  /**
   * Stores the snapshot given as JSON text. Text in and text out (findSnapshotText), never parsed
   * here: for a plan of 100,000 milestones it is tens of MiB. The snapshot decides `preliminary`:
   * a round that closed between the request and the job makes the report final.
   */
  async saveSnapshot(id: number, snapshotJson: string, generatedAt: Date, preliminary: boolean): Promise<void> {
    await this.database.db
      .updateTable('AnnualReport')
      .set((eb) => ({ snapshot: eb.cast(eb.val(snapshotJson), 'jsonb'), generatedAt, preliminary }))
      .where('id', '=', id)
      .execute();
  }

  /**
   * Stores the files and marks the report ready, inside the caller's transaction (with its mail).
   * One statement per file, so each file goes as a binary parameter of its own.
   */
  async complete(db: Db, id: number, files: { format: AnnualReportFormat; content: Uint8Array }[]): Promise<void> {
    await db.deleteFrom('AnnualReportFile').where('reportId', '=', id).execute();
    for (const file of files) {
      const content = Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength);
      await db.insertInto('AnnualReportFile').values({ reportId: id, format: file.format, content }).execute();
    }
    await db
      .updateTable('AnnualReport')
      .set({ status: 'ready', error: null })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirstOrThrow();
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.database.db
      .updateTable('AnnualReport')
      .set({ status: 'failed', error })
      .where('id', '=', id)
      .where('status', '<>', 'ready')
      .execute();
  }

  /** Reports left queued (their job lost with a Redis flush): re-enqueued by the tick. */
  async findQueuedIds(limit: number): Promise<number[]> {
    const rows = await this.database.db
      .selectFrom('AnnualReport')
      .select('id')
      .where('status', '=', 'queued')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Rounds that ended: closed when their grace window was over. A round closed early by hand is
   * not taken for one that ended (it may be reopened); the year's report still comes in January.
   */
  closedRounds(): Promise<{ planId: number; year: number }[]> {
    return this.database.db
      .selectFrom('ReportingRound')
      .select(['planId', 'year'])
      .where('state', '=', 'closed')
      .whereRef('closedAt', '>=', 'graceUntil')
      .orderBy('planId')
      .orderBy('year')
      .execute();
  }

  async roundState(planId: number, year: number): Promise<{ state: RoundState } | null> {
    const round = await this.database.db
      .selectFrom('ReportingRound')
      .select('state')
      .where('planId', '=', planId)
      .where('year', '=', year)
      .executeTakeFirst();
    return round ?? null;
  }

  /** The year's round with every request's standing, or null when the plan had none that year. */
  /** The secretariat's foreword to a year's report, if one is written. */
  async foreword(planId: number, year: number, tx?: Tx): Promise<Foreword | null> {
    const row = await (tx ?? this.database.db)
      .selectFrom('ReportForeword')
      .select(['text', 'updatedBy', 'updatedAt'])
      .where('planId', '=', planId)
      .where('year', '=', year)
      .executeTakeFirst();
    return row ? { text: row.text, by: row.updatedBy, at: row.updatedAt.toISOString() } : null;
  }

  /** Writes (or, with an empty text, removes) a year's foreword in the caller's transaction. */
  async saveForeword(tx: Tx, planId: number, year: number, text: string, by: string, at: Date): Promise<void> {
    if (text === '') {
      await tx.deleteFrom('ReportForeword').where('planId', '=', planId).where('year', '=', year).execute();
      return;
    }
    await tx
      .insertInto('ReportForeword')
      .values({ planId, year, text, updatedBy: by, updatedAt: at })
      .onConflict((oc) => oc.columns(['planId', 'year']).doUpdateSet({ text, updatedBy: by, updatedAt: at }))
      .execute();
  }

  async roundOfYear(planId: number, year: number): Promise<RoundRow | null> {
    const [round, requests] = await Promise.all([
      this.database.db
        .selectFrom('ReportingRound')
        .select(['id', 'state', 'opensAt', 'deadline', 'graceUntil', 'closedAt'])
        .where('planId', '=', planId)
        .where('year', '=', year)
        .executeTakeFirst(),
      this.database.db
        .selectFrom('ReportRequest as r')
        .innerJoin('ReportingRound as rr', 'rr.id', 'r.roundId')
        .innerJoin('Organisation as o', 'o.id', 'r.organisationId')
        .leftJoin('RequestMilestone as rm', 'rm.requestId', 'r.id')
        .select((eb) => [
          'o.name as organisation',
          'r.status',
          'r.late',
          'r.answeredAt',
          eb.cast<number>(eb.fn.count('rm.milestoneId').filterWhere('rm.optional', '=', false), 'integer').as('required'),
          eb
            .cast<number>(
              eb.fn.count('rm.milestoneId').filterWhere((f) => f.and([f('rm.optional', '=', false), f('rm.answeredAt', 'is not', null)])),
              'integer',
            )
            .as('answered'),
        ])
        .where('rr.planId', '=', planId)
        .where('rr.year', '=', year)
        .groupBy(['r.id', 'o.name'])
        .orderBy('r.id')
        .execute(),
    ]);
    return round ? { ...round, requests } : null;
  }

  /** The latest comment on each of the plan's milestones in the year's record, by id; imported notes are not comments. */
  async lastComments(planId: number, cut: RecordCut): Promise<Map<number, LastComment>> {
    const updates = await this.planComments(planId, cut)
      .distinctOn('u.milestoneId')
      .select(['u.milestoneId', 'u.comment', 'u.createdAt', 'u.channel'])
      .orderBy('u.milestoneId')
      .orderBy('u.createdAt', 'desc')
      .orderBy('u.id', 'desc')
      .execute();
    return new Map(
      updates
        .filter(hasText)
        .map((update) => [update.milestoneId, { text: update.comment, at: update.createdAt.toISOString(), channel: update.channel }]),
    );
  }

  /**
   * What the organisations told the secretariat for the year: comments in the year's record that
   * answered its round, or that were written (corrections) from `from`, the start of the year, on.
   */
  async commentsOfYear(planId: number, cut: RecordCut & { year: number }, from: Date): Promise<CommentRow[]> {
    const updates = await this.planComments(planId, cut)
      .innerJoin('Contribution as c', 'c.id', 'm.contributionId')
      .innerJoin('Organisation as o', 'o.id', 'c.organisationId')
      .innerJoin('Goal as g', 'g.id', 'c.goalId')
      .leftJoin('Intervention as i', 'i.id', 'c.interventionId')
      .select([
        'u.id',
        'u.createdAt',
        'm.key as milestoneKey',
        'm.label',
        'm.text as milestone',
        'o.name as owner',
        'g.number as goal',
        'i.code as intervention',
        'u.toState',
        'u.progress',
        'u.comment',
        'u.channel',
        'u.late',
      ])
      .where((eb) =>
        eb.or([eb('u.reportingYear', '=', cut.year), eb.and([eb('u.reportingYear', 'is', null), eb('u.createdAt', '>=', from)])]),
      )
      .orderBy('u.createdAt')
      .orderBy('u.id')
      .execute();
    return updates.filter(hasText);
  }

  /** Updates of the plan's milestones that carry a comment someone wrote: an import's notes are not comments. */
  private planComments(planId: number, cut: RecordCut) {
    return this.database.db
      .selectFrom('MilestoneUpdate as u')
      .innerJoin('Milestone as m', 'm.id', 'u.milestoneId')
      .where('m.planId', '=', planId)
      .where((eb) => inRecord(eb, cut))
      .where('u.comment', 'is not', null)
      .where('u.channel', '<>', 'import');
  }

  private summaries() {
    return this.database.db
      .selectFrom('AnnualReport as r')
      .innerJoin('Plan as p', 'p.id', 'r.planId')
      .select((eb) => [
        'r.id',
        'r.planId',
        'r.year',
        'r.language',
        'r.trigger',
        'r.status',
        'r.preliminary',
        'r.error',
        'r.requestedBy',
        'r.createdAt',
        'r.generatedAt',
        jsonBuildObject({ title: eb.ref('p.title'), slug: eb.ref('p.slug') }).as('plan'),
        jsonArrayFrom(eb.selectFrom('AnnualReportFile as f').select('f.format').whereRef('f.reportId', '=', 'r.id').orderBy('f.format')).as(
          'files',
        ),
      ]);
  }
}

/** A comment that says something: a blank one is no comment. */
const hasText = <T extends { comment: string | null }>(update: T): update is T & { comment: string } =>
  update.comment !== null && update.comment.trim() !== '';
