import { Injectable } from '@nestjs/common';
import { PrismaService, utc, type Tx } from '../database/prisma.service.js';
import { Prisma, type AnnualReportFormat, type AnnualReportTrigger, type Language } from '../generated/prisma/client.js';
import type { MilestoneStateName } from '../plan/plan-file.schema.js';
import type { CommentRow, LastComment, RoundRow } from './annual-report.content.js';

/** What lists and the record endpoint show: never the snapshot or the files, which are large. */
const reportSummary = {
  id: true,
  planId: true,
  year: true,
  language: true,
  trigger: true,
  status: true,
  preliminary: true,
  error: true,
  requestedBy: true,
  createdAt: true,
  generatedAt: true,
  plan: { select: { title: true, slug: true } },
  files: { select: { format: true }, orderBy: { format: 'asc' } },
} satisfies Prisma.AnnualReportSelect;

export type ReportSummary = Prisma.AnnualReportGetPayload<{ select: typeof reportSummary }>;

export interface NewReport {
  planId: number;
  year: number;
  language: Language;
  trigger: AnnualReportTrigger;
  preliminary: boolean;
  requestedBy: string;
  createdAt: Date;
}

/** Annual reports, their files, and the reads the content model needs beyond the plan and its figures. */
@Injectable()
export class AnnualReportRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(run, { timeout: 60_000, maxWait: 10_000 });
  }

  createReport(data: NewReport) {
    return this.prisma.annualReport.create({ data, select: reportSummary });
  }

  /**
   * Creates an automatic report unless one with the same key exists (then null): the unique
   * autoKey lets exactly one of several instances ticking at once through.
   */
  async claimAutomatic(data: NewReport & { autoKey: string }): Promise<number | null> {
    const [created] = await this.prisma.annualReport.createManyAndReturn({ data: [data], skipDuplicates: true, select: { id: true } });
    return created?.id ?? null;
  }

  /** A final (not preliminary) report that is made or being made: another one would say the same. */
  async hasFinalReport(planId: number, year: number): Promise<boolean> {
    const found = await this.prisma.annualReport.findFirst({
      where: { planId, year, preliminary: false, status: { not: 'failed' } },
      select: { id: true },
    });
    return found !== null;
  }

  findReport(id: number) {
    return this.prisma.annualReport.findUnique({ where: { id }, select: reportSummary });
  }

  /** The stored snapshot as text, straight from PostgreSQL on the pool (null before it is taken). */
  async findSnapshotText(id: number): Promise<{ status: string; snapshot: string | null } | null> {
    const [row] = await this.prisma.query<{ status: string; snapshot: string | null }>(
      Prisma.sql`SELECT status::text AS status, snapshot::text AS snapshot FROM "AnnualReport" WHERE id = ${id}`,
    );
    return row ?? null;
  }

  listReports(planId?: number) {
    return this.prisma.annualReport.findMany({ where: { planId }, orderBy: [{ year: 'desc' }, { id: 'desc' }], select: reportSummary });
  }

  findFile(reportId: number, format: AnnualReportFormat) {
    return this.prisma.annualReportFile.findUnique({ where: { reportId_format: { reportId, format } }, select: { content: true } });
  }

  /** queued → generating; a retry after a crash finds it generating already. False when it is done or failed. */
  async markGenerating(id: number): Promise<boolean> {
    const { count } = await this.prisma.annualReport.updateMany({
      where: { id, status: { in: ['queued', 'generating'] } },
      data: { status: 'generating', error: null },
    });
    return count === 1;
  }

  /** The snapshot decides: a round that closed between the request and the job makes the report final. */
  /**
   * Stores the snapshot given as JSON text, on the pool. Text in and text out (findSnapshotText),
   * not a value through Prisma's engine: for a plan of 100,000 milestones it is tens of MiB.
   */
  async saveSnapshot(id: number, snapshotJson: string, generatedAt: Date, preliminary: boolean): Promise<void> {
    await this.prisma.query(
      Prisma.sql`UPDATE "AnnualReport" SET snapshot = ${snapshotJson}::jsonb, "generatedAt" = ${utc(generatedAt)}, preliminary = ${preliminary} WHERE id = ${id}`,
    );
  }

  /** Stores the files and marks the report ready, inside the caller's transaction (with its mail). */
  async complete(tx: Tx, id: number, files: { format: AnnualReportFormat; content: Uint8Array<ArrayBuffer> }[]): Promise<void> {
    await tx.annualReportFile.deleteMany({ where: { reportId: id } });
    await tx.annualReportFile.createMany({ data: files.map((file) => ({ reportId: id, ...file })) });
    await tx.annualReport.update({ where: { id }, data: { status: 'ready', error: null } });
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.prisma.annualReport.updateMany({ where: { id, status: { not: 'ready' } }, data: { status: 'failed', error } });
  }

  /** Reports left queued (their job lost with a Redis flush): re-enqueued by the tick. */
  async findQueuedIds(limit: number): Promise<number[]> {
    const rows = await this.prisma.annualReport.findMany({
      where: { status: { in: ['queued'] } },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  closedRounds() {
    return this.prisma.reportingRound.findMany({
      where: { state: 'closed' },
      orderBy: [{ planId: 'asc' }, { year: 'asc' }],
      select: { planId: true, year: true },
    });
  }

  roundState(planId: number, year: number) {
    return this.prisma.reportingRound.findUnique({ where: { planId_year: { planId, year } }, select: { state: true } });
  }

  /** The year's round with every request's standing, or null when the plan had none that year. */
  async roundOfYear(planId: number, year: number): Promise<RoundRow | null> {
    const round = await this.prisma.reportingRound.findUnique({
      where: { planId_year: { planId, year } },
      select: {
        id: true,
        state: true,
        opensAt: true,
        deadline: true,
        graceUntil: true,
        closedAt: true,
        requests: {
          orderBy: { id: 'asc' },
          select: {
            status: true,
            late: true,
            answeredAt: true,
            organisation: { select: { name: true } },
            milestones: { select: { optional: true, answeredAt: true } },
          },
        },
      },
    });
    if (!round) return null;
    return {
      ...round,
      requests: round.requests.map((request) => {
        const required = request.milestones.filter((m) => !m.optional);
        return {
          organisation: request.organisation.name,
          status: request.status,
          late: request.late,
          answeredAt: request.answeredAt,
          required: required.length,
          answered: required.filter((m) => m.answeredAt !== null).length,
        };
      }),
    };
  }

  /** The latest comment on each of the plan's milestones, by id; imported notes are not comments. */
  async lastComments(planId: number): Promise<Map<number, LastComment>> {
    const updates = await this.prisma.milestoneUpdate.findMany({
      where: { milestone: { planId }, comment: { not: null }, channel: { not: 'import' } },
      distinct: ['milestoneId'],
      orderBy: [{ milestoneId: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }],
      select: { milestoneId: true, comment: true, createdAt: true, channel: true },
    });
    return new Map(
      updates
        .filter((update) => update.comment!.trim() !== '')
        .map((update) => [update.milestoneId, { text: update.comment!, at: update.createdAt.toISOString(), channel: update.channel }]),
    );
  }

  /** Comments written in [from, to): what the organisations told the secretariat during the year. */
  async commentsBetween(planId: number, from: Date, to: Date): Promise<CommentRow[]> {
    const updates = await this.prisma.milestoneUpdate.findMany({
      where: { milestone: { planId }, comment: { not: null }, channel: { not: 'import' }, createdAt: { gte: from, lt: to } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: {
        id: true,
        createdAt: true,
        toState: true,
        progress: true,
        comment: true,
        channel: true,
        late: true,
        milestone: {
          select: {
            key: true,
            label: true,
            text: true,
            contribution: {
              select: {
                organisation: { select: { name: true } },
                goal: { select: { number: true } },
                intervention: { select: { code: true } },
              },
            },
          },
        },
      },
    });
    return updates
      .filter((update) => update.comment!.trim() !== '')
      .map((update) => ({
        id: update.id,
        createdAt: update.createdAt,
        milestoneKey: update.milestone.key,
        label: update.milestone.label,
        milestone: update.milestone.text,
        owner: update.milestone.contribution.organisation.name,
        goal: update.milestone.contribution.goal.number,
        intervention: update.milestone.contribution.intervention?.code ?? null,
        toState: update.toState as MilestoneStateName,
        progress: update.progress,
        comment: update.comment!,
        channel: update.channel,
        late: update.late,
      }));
  }
}
