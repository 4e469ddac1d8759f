import { Controller, Get, HttpException, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { localDate } from '../common/dates.js';
import { IdPipe } from '../common/id.pipe.js';
import { I18n, toLanguage } from '../i18n/i18n.js';
import { InboundRepository } from '../inbound/inbound.repository.js';
import { PlanService } from '../plan/plan.service.js';
import { AttainmentService } from '../progress/attainment.service.js';
import { requestMatches, RoundsService } from '../reporting/rounds.service.js';
import { actorText } from '../web/actor.js';
import { filterSchema, refuseYearOutside, roundPageQuery } from './dashboard.controller.js';
import { DashboardRepository } from './dashboard.repository.js';
import { csvDialect, toCsv, toXlsx, type Cell, type CellType, type ExportTable } from './exports.js';

type Format = 'csv' | 'xlsx';

/** A column: its header's key in the dashboard texts (col.*), and its type in the spreadsheet. */
type Columns = [key: string, type: CellType, width?: number][];

/**
 * Every secretariat view downloads as CSV and XLSX, with what the page shows: the same filters,
 * the headers and the codes (states, channels) in the reader's language, numbers and dates typed.
 * The CSV uses the language's separator (";" where a comma is the decimal mark) and a byte-order
 * mark, so Nordic Excel splits the columns and reads "å" right.
 */
@ApiExcludeController()
@Controller('export')
export class ExportsController {
  constructor(
    private readonly plans: PlanService,
    private readonly attainment: AttainmentService,
    private readonly rounds: RoundsService,
    private readonly inboundMessages: InboundRepository,
    private readonly data: DashboardRepository,
    private readonly i18n: I18n,
  ) {}

  @Get('overdue.:format')
  async overdue(
    @Param('format') format: string,
    @Query() query: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const planId = await this.plans.resolvePlanId();
    const filters = filterSchema.parse(query);
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    refuseYearOutside(plan, query.year, filters.year, (key, params) => this.i18n.t(lang, `dashboard:${key}`, params));
    const list = await this.attainment.overdue(
      {
        planId,
        asOf: filters.asOf,
        year: filters.year,
        goalNumber: filters.goal,
        interventionCode: filters.intervention,
        organisationId: filters.organisation,
      },
      { page: 1, pageSize: 500 },
    );
    const table = this.table(lang, 'nav.overdue', [
      ['col.goal', 'integer'],
      ['col.intervention', 'text'],
      ['col.organisation', 'text', 28],
      ['col.label', 'text', 14],
      ['col.milestone', 'text', 60],
      ['col.due_from', 'integer'],
      ['col.due_to', 'integer'],
      ['col.state', 'text', 18],
      ['col.progress', 'integer'],
      ['col.years_late', 'integer'],
      ['col.last_update', 'date'],
      ['col.last_comment', 'text', 60],
    ]);
    table.rows = list.items.map((item) => [
      item.goal,
      item.intervention,
      item.owner.name,
      item.label,
      item.text,
      item.dueFrom,
      item.dueTo,
      this.word(lang, 'mail:state', item.state),
      item.progress,
      item.yearsLate,
      item.lastUpdate?.createdAt ? this.day(item.lastUpdate.createdAt) : null,
      item.lastUpdate?.comment ?? null,
    ]);
    await this.send(res, as, lang, table, `${this.name(lang, 'nav.overdue')}-${list.asOf}`);
  }

  /** A round's requests, filtered and found by name as on its page, every page of them. */
  @Get('rounds/:id/requests.:format')
  async roundRequests(
    @Param('id', IdPipe) id: number,
    @Param('format') format: string,
    @Query() query: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const { show, q } = roundPageQuery.parse(query);
    const round = await this.rounds.detail(id);
    const needle = q.toLocaleLowerCase();
    const requests = round.requests
      .filter((r) => !needle || r.organisation.name.toLocaleLowerCase().includes(needle))
      .filter((r) => requestMatches(r, show));
    const table = this.table(lang, 'nav.round', [
      ['col.organisation', 'text', 32],
      ['col.request_state', 'text', 20],
      ['col.late', 'boolean'],
      ['col.answered', 'integer'],
      ['col.required', 'integer'],
      ['col.reminders', 'integer'],
      ['col.delivery_error', 'text', 40],
    ]);
    table.rows = requests.map((r) => [
      r.organisation.name,
      this.word(lang, 'dashboard:request_state', r.state),
      r.late,
      r.milestones.answered,
      r.milestones.required,
      r.remindersSent,
      r.deliveryError ?? null,
    ]);
    await this.send(res, as, lang, table, `${this.name(lang, 'nav.round')}-${round.year}`);
  }

  @Get('goals/:number.:format')
  async goal(
    @Param('number', IdPipe) number: number,
    @Param('format') format: string,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const goal = await this.plans.goal(await this.plans.resolvePlanId(), number);
    const table = this.table(lang, 'nav.goal', [
      ['col.intervention', 'text'],
      ['col.organisation', 'text', 28],
      ['col.label', 'text', 14],
      ['col.milestone', 'text', 60],
      ['col.due_from', 'integer'],
      ['col.due_to', 'integer'],
      ['col.state', 'text', 18],
      ['col.progress', 'integer'],
    ]);
    const contributions = [
      ...goal.contributions.map((contribution) => ({ code: null as string | null, contribution })),
      ...goal.interventions.flatMap((intervention) =>
        intervention.contributions.map((contribution) => ({ code: intervention.code, contribution })),
      ),
    ];
    table.rows = contributions.flatMap(({ code, contribution }) =>
      contribution.milestones.map((m): Cell[] => [
        code,
        contribution.organisation,
        m.label,
        m.text,
        m.dueFrom,
        m.dueTo,
        this.word(lang, 'mail:state', m.state),
        m.progress,
      ]),
    );
    await this.send(res, as, lang, table, `${this.name(lang, 'nav.goal')}-${number}`);
  }

  @Get('organisations/:id/milestones.:format')
  async organisation(
    @Param('id', IdPipe) id: number,
    @Param('format') format: string,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const organisation = await this.data.organisation(id, await this.plans.resolvePlanId());
    if (!organisation) throw new NotFoundException(`There is no organisation ${id}.`);
    const table = this.table(lang, 'organisation.milestones', [
      ['col.goal', 'integer'],
      ['col.intervention', 'text'],
      ['col.label', 'text', 14],
      ['col.milestone', 'text', 60],
      ['col.due_from', 'integer'],
      ['col.due_to', 'integer'],
      ['col.state', 'text', 18],
      ['col.progress', 'integer'],
    ]);
    table.rows = organisation.contributions.flatMap((contribution) =>
      contribution.milestones.map((m): Cell[] => [
        contribution.goal.number,
        contribution.intervention?.code ?? null,
        m.label,
        m.text,
        m.dueFrom,
        m.dueTo,
        this.word(lang, 'mail:state', m.state),
        m.progress,
      ]),
    );
    await this.send(res, as, lang, table, `${organisation.name}-${this.name(lang, 'organisation.milestones')}`);
  }

  @Get('milestones/:id/history.:format')
  async milestone(
    @Param('id', IdPipe) id: number,
    @Param('format') format: string,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const history = await this.attainment.history(id);
    const table = this.table(lang, 'milestone.history', [
      ['col.when', 'date'],
      ['col.who', 'text', 28],
      ['col.channel', 'text', 18],
      ['col.from_state', 'text', 18],
      ['col.to_state', 'text', 18],
      ['col.progress', 'integer'],
      ['col.late', 'boolean'],
      ['col.comment', 'text', 60],
      ['col.evidence', 'text', 40],
    ]);
    table.rows = [...history.updates]
      .reverse()
      .map((u) => [
        this.day(u.createdAt),
        actorText(this.i18n, lang, u.actor),
        this.word(lang, 'dashboard:channel', u.channel),
        u.fromState === null ? null : this.word(lang, 'mail:state', u.fromState),
        this.word(lang, 'mail:state', u.toState),
        u.progress,
        u.late,
        u.comment,
        u.evidenceUrl,
      ]);
    const name = history.milestone.label?.replace(/[:\s]+$/, '') || String(id);
    await this.send(res, as, lang, table, `${this.name(lang, 'nav.milestone')}-${name}`);
  }

  @Get('review.:format')
  async review(@Param('format') format: string, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const as = formatOf(format);
    const lang = languageOf(req);
    const [, items] = await this.inboundMessages.list('in_review', { skip: 0, take: 200 });
    const table = this.table(lang, 'nav.review', [
      ['col.received', 'date'],
      ['col.from', 'text', 30],
      ['col.subject', 'text', 40],
      ['col.organisation', 'text', 28],
      ['col.reason', 'text', 40],
      ['col.body', 'text', 80],
    ]);
    table.rows = items.map((item) => [
      this.day(item.receivedAt),
      item.fromAddress,
      item.subject,
      item.request?.organisation.name ?? null,
      item.reason,
      item.body,
    ]);
    await this.send(res, as, lang, table, this.name(lang, 'nav.review'));
  }

  private table(lang: string, sheetKey: string, columns: Columns): ExportTable {
    return {
      sheet: this.i18n.t(lang, `dashboard:${sheetKey}`),
      columns: columns.map(([key, type, width]) => ({ header: this.i18n.t(lang, `dashboard:${key}`), type, width })),
      rows: [],
    };
  }

  /** A code (a state, a channel) in the language. */
  private word(lang: string, prefix: string, code: string): string {
    return this.i18n.t(lang, `${prefix}.${code}`);
  }

  /** An instant as the calendar day it was in the service's time zone. */
  private day(instant: Date | string): string {
    return localDate(instant instanceof Date ? instant : new Date(instant), this.i18n.timeZone);
  }

  /** A file name from a page's title in the language: letters and digits kept, the rest a hyphen. */
  private name(lang: string, key: string): string {
    return this.i18n.t(lang, `dashboard:${key}`);
  }

  private async send(res: Response, format: Format, lang: string, table: ExportTable, name: string) {
    const file = name
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, '')
      .toLocaleLowerCase();
    res.set('Cache-Control', 'no-store');
    if (format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`${file}.csv`)
        .send(toCsv(table, csvDialect(this.i18n, lang)));
    } else {
      res
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .attachment(`${file}.xlsx`)
        .send(await toXlsx(table));
    }
  }
}

function formatOf(format: string): Format {
  if (format !== 'csv' && format !== 'xlsx') throw new HttpException('Export as .csv or .xlsx', 404);
  return format;
}

function languageOf(req: AuthenticatedRequest): string {
  return toLanguage(req.principal?.language);
}
