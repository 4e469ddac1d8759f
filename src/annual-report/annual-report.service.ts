import { EvidenceService } from '../evidence/evidence.service.js';
import { badRequest, notFound } from '../common/refusal.js';
import { unstorableText } from '../common/text.js';
import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { addDays, Clock } from '../common/clock.js';
import { localDate, startOfDay } from '../common/dates.js';
import { AppConfig } from '../config/config.module.js';
import type { AnnualReportTrigger } from '../generated/db/enums.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository, type NewOutboxMessage } from '../mail/outbox.repository.js';
import type { ReportLinks, ReportReadyData } from '../mail/templates/mail-data.js';
import { PlanService } from '../plan/plan.service.js';
import { AttainmentService } from '../progress/attainment.service.js';
import { CriteriaService } from '../progress/criteria.service.js';
import { RecordsRepository } from '../progress/records.repository.js';
import { jobIds } from '../queue/jobs.js';
import { QueueService } from '../queue/queue.service.js';
import {
  buildContent,
  CONTENT_VERSION,
  isPreliminary,
  REPORT_FORMATS,
  REPORT_LANGUAGES,
  type AnnualReportContent,
  type ReportFormat,
  type ReportLanguage,
} from './annual-report.content.js';
import { AnnualReportRepository, type ReportSummary } from './annual-report.repository.js';
import { AnnualReportRenderer } from './render/annual-report.renderer.js';

/** A foreword is a page or two, not a document. */
const FOREWORD_MAX = 10_000;

export interface RequestReport {
  plan?: number;
  year: number;
  language?: ReportLanguage;
}

/**
 * The HTML report is served from the service's own origin: it may style itself and show its inline
 * charts, and nothing else (no script, no fetch, no form), whatever a comment contains.
 */
export const REPORT_HTML_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * The annual status report. A request writes a queued record and a BullMQ job; the job takes a
 * snapshot of the content (the figures, the tree, the year's comments, the overdue list, the
 * year's round) once, renders every format from that stored snapshot, stores the files, and
 * writes the "report ready" mail to the outbox in the same transaction. Automatic reports (early
 * January for the previous year, and when a year's round has closed) are made by the tick; a
 * unique key per plan, year and trigger lets one instance make each however many tick at once.
 */
@Injectable()
export class AnnualReportService implements OnModuleInit {
  private readonly logger = new Logger(AnnualReportService.name);

  constructor(
    private readonly reports: AnnualReportRepository,
    private readonly renderer: AnnualReportRenderer,
    private readonly plans: PlanService,
    private readonly attainment: AttainmentService,
    private readonly criteria: CriteriaService,
    private readonly records: RecordsRepository,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly evidence: EvidenceService,
  ) {}

  onModuleInit(): void {
    this.queues.handle('reports.generate', ({ reportId }, job) => this.generate(reportId, job));
  }

  async request(input: RequestReport, requestedBy: string) {
    const planId = await this.plans.resolvePlanId(input.plan);
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    if (!Number.isInteger(input.year) || input.year < plan.periodFrom || input.year > plan.periodTo) {
      throw new BadRequestException(`year: ${input.year} is outside the plan period ${plan.periodFrom}-${plan.periodTo}.`);
    }
    // An open round is no reason to refuse: the report says it is preliminary.
    const round = await this.reports.roundState(planId, input.year);
    const report = await this.reports.createReport({
      planId,
      year: input.year,
      language: input.language ?? 'da',
      trigger: 'requested',
      preliminary: isPreliminary(round),
      requestedBy,
      createdAt: this.clock.now(),
    });
    await this.enqueue([report.id]);
    return this.present(report);
  }

  async list(planId?: number) {
    return (await this.reports.listReports(planId)).map((report) => this.present(report));
  }

  async get(id: number) {
    const report = await this.reports.findReport(id);
    if (!report) throw notFound('problem.no_report', { id }, `There is no annual report with id ${id}.`);
    return this.present(report);
  }

  /**
   * The snapshot every format is rendered from, as the JSON text PostgreSQL stores: never parsed
   * and serialised again here (at 100,000 milestones it is tens of MiB), and not part of the
   * record that clients poll while the report is being made.
   */
  async snapshotJson(id: number): Promise<string> {
    const found = await this.reports.findSnapshotText(id);
    if (!found) throw notFound('problem.no_report', { id }, `There is no annual report with id ${id}.`);
    if (found.snapshot === null)
      throw new ConflictException(`Annual report ${id} is ${found.status}; its content exists once its snapshot is taken.`);
    return found.snapshot;
  }

  async file(id: number, format: ReportFormat): Promise<{ content: Uint8Array; filename: string }> {
    const report = await this.reports.findReport(id);
    if (!report) throw notFound('problem.no_report', { id }, `There is no annual report with id ${id}.`);
    if (report.status !== 'ready')
      throw new ConflictException(
        `Annual report ${id} is ${report.status}${report.error ? `: ${report.error}` : ''}; its files exist once it is ready.`,
      );
    const file = await this.reports.findFile(id, format);
    if (!file) throw new NotFoundException(`Annual report ${id} has no ${format} file.`);
    // Reports are made in the report languages only; the column's type is every language.
    const name = this.renderer.labels.fileName(report.language as ReportLanguage, report.year);
    return { content: file.content, filename: `${name}-${report.plan.slug}-${id}.${format}` };
  }

  /** A year's foreword, as the secretariat last wrote it. */
  foreword(planId: number, year: number) {
    return this.reports.foreword(planId, year);
  }

  /**
   * Writes a year's foreword (an empty text removes it). Part of what the secretariat signs: it
   * cannot change once the year is approved (YearApproved), until the year is reopened.
   */
  async setForeword(planId: number, year: number, text: string, by: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed.length > FOREWORD_MAX)
      throw badRequest('foreword', 'problem.foreword_too_long', { max: FOREWORD_MAX }, `foreword: at most ${FOREWORD_MAX} characters`);
    if (unstorableText(trimmed) !== null)
      throw badRequest('foreword', 'problem.unstorable', {}, 'foreword: must not contain NUL characters or broken characters');
    await this.reports.transaction(async (tx) => {
      await this.records.assertYearOpen(tx, planId, year);
      await this.reports.saveForeword(tx, planId, year, trimmed, by, this.clock.now());
    });
  }

  /** The job: snapshot once, render from the stored snapshot, store, and mail, in that order. */
  async generate(reportId: number, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<'ready' | 'already-done'> {
    if (!(await this.reports.markGenerating(reportId))) return 'already-done';
    try {
      const started = performance.now();
      const report = (await this.reports.findReport(reportId))!;
      let stored = (await this.reports.findSnapshotText(reportId))!.snapshot;
      // A retry after a failed render keeps the snapshot it took: the report shows what was known when it was asked for.
      if (stored === null) {
        const taken = await this.content(report.planId, report.year, report.language as ReportLanguage, this.clock.now());
        await this.reports.saveSnapshot(reportId, JSON.stringify(taken), new Date(taken.generatedAt), taken.preliminary);
        stored = (await this.reports.findSnapshotText(reportId))!.snapshot!;
      }
      const snapshotMs = Math.round(performance.now() - started);
      // Rendered from what the database holds, not from the object just built: the stored snapshot is the report.
      const content = parseSnapshot(stored);
      const { files, timings } = await this.renderer.renderAll(content);
      const outboxIds = await this.reports.transaction(async (tx) => {
        await this.reports.complete(tx, reportId, files);
        return this.outbox.add(tx, [this.readyMail(reportId, content)], this.config.get('MAIL_FROM').split('@')[1]!);
      });
      await this.delivery.enqueue(outboxIds);
      const sizes = files
        .map((file) => `${file.format} ${Math.round(file.content.byteLength / 1024)} kB in ${timings[file.format]} ms`)
        .join(', ');
      this.logger.log(`annual report ${reportId} (${content.year}, ${content.language}) ready: snapshot in ${snapshotMs} ms; ${sizes}`);
      return 'ready';
    } catch (error) {
      const message = (error as Error).message.slice(0, 1_000);
      const lastAttempt = job === undefined || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) await this.reports.markFailed(reportId, message);
      this.logger.warn(`annual report ${reportId}: ${message}${lastAttempt ? ' (given up)' : ' (will retry)'}`);
      throw error;
    }
  }

  /**
   * The content model of a plan's year: its figures of record (AttainmentService.resolve), so the
   * report of a year says the same whenever it is made, and whether the secretariat approved it.
   */
  async content(planId: number, year: number, language: ReportLanguage, now: Date): Promise<AnnualReportContent> {
    const timeZone = this.config.get('TZ');
    const { cut, figuresOf } = await this.attainment.resolve(planId, { year });
    const record = { ...cut!, year };
    const [tree, attainment, states, lastComments, comments, overdue, round, foreword, files] = await Promise.all([
      this.plans.planTree(planId),
      this.attainment.plan(planId, { year }),
      this.attainment.recordedStates(planId, record),
      this.reports.lastComments(planId, record),
      // Corrections count from the start of the year, where the secretariat sits.
      this.reports.commentsOfYear(planId, record, startOfDay(`${year}-01-01`, timeZone)),
      this.attainment.recordedOverdue(planId, year),
      this.reports.roundOfYear(planId, year),
      this.reports.foreword(planId, year),
      this.evidence.ofPlan(planId, record.cutoff),
    ]);
    const criterionIds = tree.priorities.flatMap((priority) => priority.goals.flatMap((goal) => goal.criteria.map((c) => c.id)));
    // Criteria are assessed after the year, up to its approval: the latest assessment made by then.
    const approvedAt = figuresOf.approval ? new Date(figuresOf.approval.at) : undefined;
    const criteriaAssessments = await this.criteria.assessmentsOf(criterionIds, year, approvedAt);
    return buildContent({
      language,
      year,
      generatedAt: now,
      tree,
      attainment,
      states,
      lastComments,
      comments,
      overdue,
      round,
      files,
      criteriaAssessments,
      approval: figuresOf.approval,
      approvals: figuresOf.approvals,
      foreword,
    });
  }

  /**
   * Called by the tick (RoundScheduler). From ANNUAL_REPORT_ON on, the previous year of every plan
   * that covers it gets its report; a year whose round has closed gets one too. Neither is made
   * when a final report of that year is already there (or being made). The claim is the unique
   * autoKey "<trigger>:<plan>:<year>": racing instances make one report, the others none.
   */
  async ensureYearlyReport(now = this.clock.now()): Promise<number[]> {
    if (!this.config.get('ANNUAL_REPORT_AUTO')) return [];
    const today = localDate(now, this.config.get('TZ'));
    const previous = Number(today.slice(0, 4)) - 1;
    const candidates: { planId: number; year: number; trigger: AnnualReportTrigger }[] = [];
    // Yearly first: an instance that loses this race has waited for the winner's row, so it sees
    // that report when it comes to the closed rounds and does not make a second one.
    if (today.slice(5) >= this.config.get('ANNUAL_REPORT_ON')) {
      for (const plan of await this.plans.listPlans()) {
        if (plan.periodFrom <= previous && previous <= plan.periodTo)
          candidates.push({ planId: plan.id, year: previous, trigger: 'yearly' });
      }
    }
    for (const round of await this.reports.closedRounds())
      candidates.push({ planId: round.planId, year: round.year, trigger: 'round_closed' });

    const created: number[] = [];
    for (const candidate of candidates) {
      if (await this.reports.hasFinalReport(candidate.planId, candidate.year)) continue;
      const round = await this.reports.roundState(candidate.planId, candidate.year);
      const id = await this.reports.claimAutomatic({
        ...candidate,
        autoKey: `${candidate.trigger}:${candidate.planId}:${candidate.year}`,
        language: this.automaticLanguage(),
        preliminary: isPreliminary(round),
        requestedBy: `schedule:${candidate.trigger}`,
        createdAt: now,
      });
      if (id !== null) {
        created.push(id);
        this.logger.log(`annual report ${id} for ${candidate.year} (plan ${candidate.planId}, ${candidate.trigger}) queued`);
      }
    }
    // Reports still queued (their job lost with a Redis flush) are enqueued again; the job id makes a live one a no-op.
    await this.enqueue([...new Set([...created, ...(await this.reports.findQueuedIds(100))])]);
    return created;
  }

  /** Automatic reports are in the secretariat's language, or Danish where there are no labels for it. */
  private automaticLanguage(): ReportLanguage {
    const language = this.config.get('SECRETARIAT_LANGUAGE');
    return (REPORT_LANGUAGES as readonly string[]).includes(language) ? (language as ReportLanguage) : 'da';
  }

  private async enqueue(reportIds: number[]): Promise<void> {
    await this.queues.addBulk(
      'reports.generate',
      reportIds.map((reportId) => ({
        payload: { reportId },
        options: {
          jobId: jobIds.report(reportId),
          attempts: 3,
          backoff: { type: 'exponential', delay: 5_000 },
          removeOnComplete: { count: 1_000 },
          removeOnFail: { count: 1_000 },
        },
      })),
    );
  }

  /**
   * The "report ready" mail. Its links are signed and expire after REPORT_LINK_DAYS, so they open
   * where the mail is read, signed in or not; the row keeps what they are made from, and the
   * delivery signs them (MailDeliveryService).
   */
  private readyMail(reportId: number, content: AnnualReportContent): NewOutboxMessage {
    const expiresAt = addDays(this.clock.now(), this.config.get('REPORT_LINK_DAYS'));
    const data = {
      plan: { title: content.plan.title },
      year: content.year,
      preliminary: content.preliminary,
      reportLinks: { reportId, formats: [...REPORT_FORMATS], expiresAt: expiresAt.toISOString() } satisfies ReportLinks,
    } satisfies Omit<ReportReadyData, 'links'> & { reportLinks: ReportLinks };
    return {
      dedupeKey: `annual-report:${reportId}:ready`,
      template: 'report-ready',
      language: content.language,
      recipients: this.config.get('REPORT_RECIPIENTS'),
      data,
    };
  }

  private present(report: ReportSummary) {
    const base = `/api/annual-reports/${report.id}`;
    return {
      id: report.id,
      plan: { id: report.planId, title: report.plan.title, slug: report.plan.slug },
      year: report.year,
      language: report.language,
      trigger: report.trigger,
      status: report.status,
      preliminary: report.preliminary,
      error: report.error,
      requestedBy: report.requestedBy,
      createdAt: report.createdAt,
      generatedAt: report.generatedAt,
      files: Object.fromEntries(report.files.map((file) => [file.format, `${base}/${file.format}`])) as Partial<
        Record<ReportFormat, string>
      >,
      /** The snapshot (figures, tree, comments, overdue list, round) as JSON, once it is taken. */
      content: report.generatedAt === null ? null : `${base}/content`,
    };
  }
}

/**
 * The stored snapshot read back. It was written from an AnnualReportContent of this version; what
 * is checked here is that it still is one, so a renderer never works from something else.
 */
function parseSnapshot(json: string): AnnualReportContent {
  const value: unknown = JSON.parse(json);
  if (!isContent(value)) throw new Error(`The stored snapshot is not an annual report content model of version ${CONTENT_VERSION}.`);
  return value;
}

function isContent(value: unknown): value is AnnualReportContent {
  return (
    typeof value === 'object' &&
    value !== null &&
    'version' in value &&
    value.version === CONTENT_VERSION &&
    'language' in value &&
    REPORT_LANGUAGES.some((language) => language === value.language) &&
    'year' in value &&
    typeof value.year === 'number' &&
    'generatedAt' in value &&
    typeof value.generatedAt === 'string' &&
    'plan' in value &&
    typeof value.plan === 'object' &&
    value.plan !== null &&
    'summary' in value &&
    typeof value.summary === 'object' &&
    value.summary !== null &&
    'priorities' in value &&
    Array.isArray(value.priorities) &&
    'comments' in value &&
    Array.isArray(value.comments) &&
    'overdue' in value &&
    Array.isArray(value.overdue)
  );
}
