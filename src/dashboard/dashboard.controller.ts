import { badRequest, notFound } from '../common/refusal.js';
import { BadRequestException, Body, Controller, Get, HttpException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { IdPipe, MAX_ID } from '../common/id.pipe.js';
import { addDays } from '../common/clock.js';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { REPORT_FORMATS, REPORT_LANGUAGES, type ReportLanguage } from '../annual-report/annual-report.content.js';
import { AnnualReportService } from '../annual-report/annual-report.service.js';
import { ownPath } from '../auth/own-path.js';
import { assertSameOrigin } from '../auth/same-origin.js';
import { calendarDay } from '../common/dates.js';
import { Public, RequireRole } from '../auth/access.decorators.js';
import { SESSION_COOKIE, type AuthenticatedRequest } from '../auth/auth.guard.js';
import { AuthService, SESSION_HOURS, SignInRefused } from '../auth/auth.service.js';
import { atLeast, type Principal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { readCookie, secureCookie } from '../common/cookies.js';
import { AppConfig } from '../config/config.module.js';
import { InboundService } from '../inbound/inbound.service.js';
import { InboundRepository } from '../inbound/inbound.repository.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import { isReportLinks, type MailTemplateName } from '../mail/templates/mail-data.js';
import { MailRenderer } from '../mail/templates/mail-renderer.js';
import { MILESTONE_STATES, type MilestoneStateName } from '../common/milestone-states.js';
import { PlanService } from '../plan/plan.service.js';
import { AttainmentService, type Trend } from '../progress/attainment.service.js';
import { trendChart } from '../annual-report/render/trend-chart.js';
import { actorOf } from '../progress/records.controller.js';
import { RecordsService } from '../progress/records.service.js';
import { assessCriteriaSchema, CRITERION_VERDICTS, CriteriaService } from '../progress/criteria.service.js';
import { requestMatches, RoundsService, type RequestFilter } from '../reporting/rounds.service.js';
import { QUESTION_MAX, ReviewsService } from '../reporting/reviews.service.js';
import { PageRenderer } from '../web/page-renderer.js';
import { I18n } from '../i18n/i18n.js';
import type { Figures } from '../progress/attainment.formulas.js';
import { formulaText, type FigureName } from '../progress/formula-text.js';
import { DashboardRepository } from './dashboard.repository.js';
import { EvidenceService } from '../evidence/evidence.service.js';
import { FollowsService, type FollowRequest } from '../following/follows.service.js';

/** The year a goal page shows criteria for: what cannot be read falls back to this year. */
const goalYearQuery = z.coerce.number().int().min(1900).max(2200).optional().catch(undefined);

/** The filters the round page offers (of RoundsService's), with "all" first. */
const ROUND_FILTERS = ['all', 'missing', 'answered', 'overdue', 'bounced', 'no_contact'] as const satisfies readonly (
  RequestFilter | 'all'
)[];
type RoundFilter = (typeof ROUND_FILTERS)[number];
const ROUND_PAGE_SIZE = 200;
/** A round page's filters: what cannot be read falls back to the whole list, as a link someone mistyped should. */
export const roundPageQuery = z.object({
  show: z.enum(ROUND_FILTERS).catch('all'),
  q: z.string().trim().max(200).catch('').default(''),
  page: z.coerce.number().int().min(1).catch(1).default(1),
  per: z.coerce.number().int().min(1).max(1000).catch(ROUND_PAGE_SIZE).default(ROUND_PAGE_SIZE),
});

const MAIL_PAGE_SIZE = 100;
/** The kinds of mail Sent mail can be narrowed to (the outbox's templates), those to committees first. */
const MAIL_KINDS = [
  'status-request',
  'reminder',
  'answer-confirmation',
  'milestone-question',
  'question-reply-confirmation',
  'follow-digest',
  'question-reply-notice',
  'reply-reverted',
  'escalation',
  'pending-summary',
  'report-ready',
] as const satisfies readonly MailTemplateName[];
// Every template is a kind, labelled "mail.kind.<template>" on the pages: one left out is a type error here.
const _everyTemplateIsAKind: Record<Exclude<MailTemplateName, (typeof MAIL_KINDS)[number]>, never> = {};
const mailQuery = z.object({
  round: z.coerce.number().int().positive().max(MAX_ID).optional().catch(undefined),
  organisation: z.coerce.number().int().positive().max(MAX_ID).optional().catch(undefined),
  kind: z.enum(MAIL_KINDS).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export const filterSchema = z.object({
  goal: z.coerce.number().int().positive().optional().catch(undefined),
  intervention: z
    .string()
    .regex(/^[A-Z]\.\d+\.[a-z]$/)
    .optional()
    .catch(undefined),
  organisation: z.coerce.number().int().positive().optional().catch(undefined),
  asOf: calendarDay.optional().catch(undefined),
  /** A reporting year: its figures of record. */
  year: z.coerce.number().int().min(1900).max(2999).optional().catch(undefined),
});

/**
 * A year outside the plan's period is named and refused: it has no figures of record to show.
 * `t` says it in the reader's language.
 */
export function refuseYearOutside(
  plan: { periodFrom: number; periodTo: number },
  given: string | number | undefined,
  year: number | undefined,
  t: (key: string, params: Record<string, unknown>) => string,
): void {
  if (year === undefined || (year >= plan.periodFrom && year <= plan.periodTo)) return;
  throw new BadRequestException(t('overview.bad_year', { year: given, from: plan.periodFrom, to: plan.periodTo }));
}

const languageOfPrincipal = (req: AuthenticatedRequest) => (req.principal as Principal).language;

/**
 * The secretariat's pages. Every page reads through the same services as the API, so a figure on
 * the dashboard is the figure the API gives. Nonsense filter values are ignored (and said so),
 * not turned into errors: a typo in a URL still shows the page.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  constructor(
    private readonly pages: PageRenderer,
    private readonly auth: AuthService,
    private readonly plans: PlanService,
    private readonly attainment: AttainmentService,
    private readonly criteria: CriteriaService,
    private readonly records: RecordsService,
    private readonly rounds: RoundsService,
    private readonly outbox: OutboxRepository,
    private readonly mailRenderer: MailRenderer,
    private readonly inbound: InboundService,
    private readonly inboundMessages: InboundRepository,
    private readonly data: DashboardRepository,
    private readonly reports: AnnualReportService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    i18n: I18n,
    private readonly evidence: EvidenceService,
    private readonly reviews: ReviewsService,
    private readonly follows: FollowsService,
  ) {
    // {{formula figures "completion"}}: a figure's formula in the page's language.
    pages.registerHelper('formula', (figures: Figures, name: FigureName, options: { data: { language: string } }) =>
      formulaText(i18n, options.data.language, name, figures),
    );
    // {{{trendChart trend}}}: completion per goal over the plan's years, as an SVG in the page's language.
    pages.registerHelper('trendChart', (trend: Trend, options: { data: { language: string } }) => {
      const language = options.data.language;
      const percent = (value: number | null) => (value === null ? '–' : i18n.percent(language, value, { maximumFractionDigits: 0 }));
      const line = (label: string, values: (number | null)[], emphasis = false) => ({
        label,
        values,
        lastText: percent(values.findLast((value) => value !== null) ?? null),
        emphasis,
      });
      return trendChart({
        title: pages.t(language, 'overview.trend_title'),
        years: trend.years.map((year) => year.year),
        approved: trend.years.map((year) => year.approved),
        axisLabels: [0, 0.25, 0.5, 0.75, 1].map((value) => percent(value)),
        lines: [
          ...trend.goals.map((goal, index) =>
            line(
              pages.t(language, 'overview.goal_n', { number: goal.number }),
              trend.years.map((year) => year.goals[index] ?? null),
            ),
          ),
          line(
            pages.t(language, 'overview.trend_plan'),
            trend.years.map((year) => year.plan),
            true,
          ),
        ],
      });
    });
  }

  // ─── sign-in ───

  @Public()
  @Get('login')
  login(@Query('next') next: string | undefined, @Res() res: Response) {
    this.send(res, 200, 'login', 'en', 'login', { next: ownPath(next), nav: false });
  }

  @Public()
  @Post('login')
  async signIn(@Body() body: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    // Before any session exists there is no CSRF value to check: the request's origin is (login CSRF).
    assertSameOrigin(req, this.config.get('PUBLIC_URL'));
    try {
      const session = await this.auth.signIn(body.email ?? '', body.password ?? '', req.ip ?? 'unknown');
      res.cookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookie(this.config.get('PUBLIC_URL'), req),
        // Relative, so the browser's clock and the server's need not agree; the server checks expiry itself.
        maxAge: SESSION_HOURS * 3_600_000,
        path: '/',
      });
      res.redirect(303, ownPath(body.next));
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      this.send(res, error.reason === 'locked' ? 429 : 401, 'login', 'en', 'login', {
        next: ownPath(body.next),
        error: error.message,
        email: body.email,
        nav: false,
      });
    }
  }

  @Public()
  @Post('logout')
  async signOut(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    assertSameOrigin(req, this.config.get('PUBLIC_URL'));
    const token = readCookie(req, SESSION_COOKIE);
    if (token) await this.auth.signOut(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  }

  // ─── pages ───

  @Get()
  async overview(@Query() query: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const yearParam = typeof query.year === 'string' ? query.year : undefined;
    const planId = await this.plans.resolvePlanId();
    const { plan, planYears } = await this.planYears(planId);
    // A reporting year's figures of record, or the current figures; a year outside the plan is named and refused.
    const year = yearParam === undefined || yearParam === '' ? undefined : Number(yearParam);
    refuseYearOutside(plan, yearParam, year, (key, params) => this.pages.t(languageOfPrincipal(req), key, params));
    // The overview shows the plan, its priorities and goals: a plan of thousands of contributions builds no more than that.
    const attainment = await this.attainment.planView(planId, year === undefined ? undefined : { year }, {
      depth: 'goals',
      organisations: false,
    });
    const round = await this.currentRound(planId, year);
    const trend = await this.attainment.trend(planId);
    const outstanding = year !== undefined && !attainment.figuresOf?.approval ? await this.outstanding(round) : null;
    this.page(req, res, 'overview', 'overview', {
      attainment,
      round,
      outstanding,
      trend: trend.years.length > 0 ? trend : null,
      years: planYears.map((y) => ({ year: y, selected: y === year })),
      year: year ?? null,
      approvedNow: query.approved !== undefined,
      reopenedNow: query.reopened !== undefined,
    });
  }

  /** Approves a year's figures of record from the overview; a note is optional. */
  @Post('records/:year/approve')
  @RequireRole('secretariat')
  async approveYear(
    @Param('year', IdPipe) year: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const planId = await this.plans.resolvePlanId();
    const note = typeof body.note === 'string' ? body.note.trim().slice(0, 2_000) : '';
    // The page lists what the year's round still has open; approving over it takes a tick.
    const approved = await this.records.isApproved(planId, year);
    if (body.anyway !== 'yes' && !approved && (await this.outstanding(await this.currentRound(planId, year))) !== null)
      throw badRequest(
        'anyway',
        'problem.approve_outstanding',
        { year },
        `anyway: reporting round ${year} still has open items (listed on the overview); send anyway=yes to approve it all the same.`,
      );
    await this.records.approve(planId, year, actorOf(req), note || null);
    res.redirect(303, `/?year=${year}&approved`);
  }

  /** Reopens an approved year; without a reason the secretariat is asked for one. */
  @Post('records/:year/reopen')
  @RequireRole('secretariat')
  async reopenYear(
    @Param('year', IdPipe) year: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const planId = await this.plans.resolvePlanId();
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (reason === '' || reason.length > 500)
      throw badRequest('reason', 'problem.reason_required', {}, 'reason: say why the year is reopened (at most 500 characters)');
    await this.records.reopen(planId, year, actorOf(req), reason);
    res.redirect(303, `/?year=${year}&reopened`);
  }

  @Get('overdue')
  async overdue(@Query() query: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const planId = await this.plans.resolvePlanId();
    const filters = filterSchema.parse(query);
    const ignored = Object.entries(filters)
      .filter(([key, value]) => value === undefined && query[key])
      .map(([key]) => key);
    const { plan, planYears } = await this.planYears(planId);
    refuseYearOutside(plan, query.year, filters.year, (key, params) => this.pages.t(languageOfPrincipal(req), key, params));
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
    const choices = await this.data.filterChoices(planId);
    const search = new URLSearchParams(
      Object.entries(filters).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
    ).toString();
    const years = planYears.map((y) => ({ year: y, selected: y === filters.year }));
    this.page(req, res, 'overdue', 'overdue', { list, filters, ignored, choices, search, years });
  }

  @Get('rounds')
  async roundList(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    this.page(req, res, 'rounds', 'rounds', await this.roundsPage());
  }

  /** The rounds, and the organisations whose contacts are still placeholders (a round would mail those). */
  private async roundsPage() {
    const planId = await this.plans.resolvePlanId();
    const [rounds, placeholders] = await Promise.all([this.rounds.list(planId), this.data.placeholderContacts(planId)]);
    return { rounds, placeholders };
  }

  @Post('rounds')
  @RequireRole('secretariat')
  async createRound(@Body() body: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    try {
      const round = await this.rounds.create({
        // An empty field is no year (Number('') would be 0): the service refuses it by name.
        year: /^\s*\d+\s*$/.test(body.year ?? '') ? Number(body.year) : NaN,
        deadline: body.deadline ?? '',
        opensAt: body.opensAt || undefined,
      });
      res.redirect(303, `/rounds/${round.id}`);
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() >= 500) throw error;
      this.page(
        req,
        res,
        'rounds',
        'rounds',
        { ...(await this.roundsPage()), error: this.problemText(req, error), form: body },
        error.getStatus(),
      );
    }
  }

  /**
   * A round and its requests: filtered by state (or "not answered"), found by name and paged, so a
   * round of thousands of organisations shows who has not reported without a page of megabytes.
   */
  @Get('rounds/:id')
  async round(
    @Param('id', IdPipe) id: number,
    @Query() query: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    await this.roundPage(id, query, req, res);
  }

  /** The round page; after a refused action, with its message and the status. */
  private async roundPage(
    id: number,
    query: Record<string, string>,
    req: AuthenticatedRequest,
    res: Response,
    refused?: { error: string; form: Record<string, string>; status: number },
  ) {
    const { show, q, page, per } = roundPageQuery.parse(query);
    const round = await this.rounds.detail(id);
    const missing = round.requests.filter((r) => !['answered', 'no_contact'].includes(r.state));
    const needle = q.toLocaleLowerCase();
    const named = needle ? round.requests.filter((r) => r.organisation.name.toLocaleLowerCase().includes(needle)) : round.requests;
    const link = (changes: { show?: RoundFilter; page?: number }) => {
      const params = new URLSearchParams();
      const target = { show, q, page: 1, ...changes };
      if (target.show !== 'all') params.set('show', target.show);
      if (target.q) params.set('q', target.q);
      if (target.page > 1) params.set('page', String(target.page));
      if (per !== ROUND_PAGE_SIZE) params.set('per', String(per));
      const search = params.toString();
      return `/rounds/${id}${search ? `?${search}` : ''}`;
    };
    const filters = ROUND_FILTERS.map((filter) => ({
      filter,
      count: named.filter((r) => requestMatches(r, filter)).length,
      current: filter === show,
      href: link({ show: filter }),
    }));
    const shown = named.filter((r) => requestMatches(r, show));
    const pages = Math.max(1, Math.ceil(shown.length / per));
    const current = Math.min(page, pages);
    const requests = shown.slice((current - 1) * per, current * per);
    const paging = {
      from: shown.length === 0 ? 0 : (current - 1) * per + 1,
      to: (current - 1) * per + requests.length,
      total: shown.length,
      previous: current > 1 ? link({ page: current - 1 }) : null,
      next: current < pages ? link({ page: current + 1 }) : null,
    };
    const reminded = query.reminded === undefined ? undefined : Number(query.reminded);
    // Who was left out of a reminder for having had one within the quiet period (ids in the redirect).
    const skippedIds = new Set((query.skipped ?? '').split(',').map(Number));
    const skipped = round.requests.filter((r) => skippedIds.has(r.organisation.id));
    // The export takes the filter and the search, not the page: it holds every request shown.
    const exportParams = new URLSearchParams();
    if (show !== 'all') exportParams.set('show', show);
    if (q) exportParams.set('q', q);
    const [events, withoutReason, possiblyTwice, review] = await Promise.all([
      this.rounds.events(id),
      this.data.answersWithoutReason(id),
      this.outbox.countPossiblyTwice(id),
      this.reviews.toReview(id, 200),
    ]);
    const reopenUntil = round.state === 'closed' && round.closedAt ? addDays(round.closedAt, this.config.get('ROUND_REOPEN_DAYS')) : null;
    this.page(
      req,
      res,
      'round',
      'rounds',
      {
        round,
        requests,
        filters,
        q,
        show,
        paging,
        missing,
        reminded,
        exportQuery: exportParams.toString(),
        withoutReason,
        possiblyTwice,
        review: reviewList(review, query.review),
        skipped,
        skippedOne: skipped.length === 1 ? skipped[0] : null,
        quietHours: this.config.get('REMINDER_QUIET_HOURS'),
        events,
        canReopen: reopenUntil !== null && reopenUntil >= this.clock.now(),
        reopenUntil,
        error: refused?.error,
        form: refused?.form ?? {},
      },
      refused?.status,
    );
  }

  /**
   * A reminder now, to one organisation or to all missing. Those reminded within the quiet period
   * are left out unless the form says confirm=yes; the page lists them with a button that does.
   */
  @Post('rounds/:id/remind')
  @RequireRole('secretariat')
  async remind(@Param('id', IdPipe) id: number, @Body() body: Record<string, string>, @Res() res: Response) {
    const organisation = body.organisation ? Number(body.organisation) : undefined;
    if (organisation !== undefined && !(Number.isSafeInteger(organisation) && organisation > 0))
      throw badRequest('organisation', 'problem.id', { max: MAX_ID }, 'organisation: must be an organisation id.');
    const { reminded, skipped } = await this.rounds.remindNow(id, organisation, { confirm: body.confirm === 'yes' });
    const left = skipped.length > 0 ? `&skipped=${skipped.map((s) => s.organisation.id).join(',')}` : '';
    res.redirect(303, `/rounds/${id}?reminded=${reminded}${left}`);
  }

  /** Marks an answer reviewed, or returns it to the committee with a question (refused without one). */
  @Post('rounds/:id/answers/:updateId/review')
  @RequireRole('secretariat')
  async reviewAnswer(
    @Param('id', IdPipe) id: number,
    @Param('updateId', IdPipe) updateId: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const action = body.action === 'returned' ? 'returned' : 'reviewed';
    const question = typeof body.question === 'string' ? body.question : '';
    try {
      await this.rounds.get(id);
      await this.reviews.review(id, updateId, action === 'returned' ? { action, question } : { action }, actorOf(req));
      res.redirect(303, `/rounds/${id}?review=${action}#review`);
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() >= 500) throw error;
      await this.roundPage(id, {}, req, res, { error: this.problemText(req, error), form: { question }, status: error.getStatus() });
    }
  }

  /** Closing asks first: this page shows who has not answered yet, and the form that closes. */
  @Get('rounds/:id/close')
  @RequireRole('secretariat')
  async confirmClose(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const round = await this.rounds.detail(id);
    if (round.state === 'closed') return res.redirect(303, `/rounds/${id}`);
    const missing = round.requests.filter((r) => r.state !== 'answered');
    const early = this.clock.now() < round.graceUntil;
    this.page(req, res, 'round_close', 'rounds', { round, missing, early });
  }

  @Post('rounds/:id/close')
  @RequireRole('secretariat')
  async close(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    // Without the confirmation page's answer nothing is closed: the browser is shown that page.
    if (body.confirm !== 'yes') return res.redirect(303, `/rounds/${id}/close`);
    await this.rounds.close(id, req.principal!.name, (body.reason ?? '').slice(0, 500));
    res.redirect(303, `/rounds/${id}`);
  }

  /** Reopens a closed round (within ROUND_REOPEN_DAYS) with a new deadline and a reason. */
  @Post('rounds/:id/reopen')
  @RequireRole('secretariat')
  async reopen(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    try {
      await this.rounds.reopen(id, { deadline: body.deadline ?? '', reason: body.reason ?? '' }, req.principal!.name);
      res.redirect(303, `/rounds/${id}`);
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() >= 500) throw error;
      await this.roundPage(id, {}, req, res, { error: this.problemText(req, error), form: body, status: error.getStatus() });
    }
  }

  @Get('milestones/:id')
  async milestone(
    @Param('id', IdPipe) id: number,
    @Query('corrected') corrected: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
    refused?: { form: Record<string, string>; errors: string[] },
    asking?: { question: string; errors: string[] },
  ) {
    const history = await this.attainment.history(id);
    const asked = typeof req.query.asked === 'string' ? req.query.asked : undefined;
    const { state, progress } = history.milestone;
    this.page(
      req,
      res,
      'milestone',
      'overdue',
      {
        history,
        updates: [...history.updates].reverse(),
        corrected: corrected !== undefined,
        correction: refused?.form ?? { state, progress: String(progress), comment: '', reason: '' },
        correctionErrors: refused?.errors ?? [],
        files: await this.evidence.ofMilestone(id),
        thread: await this.reviews.thread(id),
        asked: asked === undefined ? null : { mailed: asked !== 'no-contact' },
        question: asking?.question ?? '',
        questionErrors: asking?.errors ?? [],
      },
      refused || asking ? 400 : 200,
    );
  }

  /** A correction on the committee's behalf, with its reason: the same rule and history as the API's. */
  @Post('milestones/:id/correct')
  @RequireRole('secretariat')
  async correctMilestone(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const language = (req.principal as Principal).language;
    const text = (name: string) => (typeof body[name] === 'string' ? body[name].trim() : '');
    const form = { state: text('state'), progress: text('progress'), comment: text('comment'), reason: text('reason') };
    const errors: string[] = [];
    if (!(MILESTONE_STATES as readonly string[]).includes(form.state)) errors.push(this.pages.t(language, 'milestone.correct_error_state'));
    const progress = form.progress === '' ? null : Number(form.progress);
    if (progress !== null && !(Number.isInteger(progress) && progress >= 0 && progress <= 100))
      errors.push(this.pages.t(language, 'milestone.correct_error_progress'));
    if (form.comment.length > 5_000) errors.push(this.pages.t(language, 'milestone.correct_error_comment'));
    if (form.reason === '') errors.push(this.pages.t(language, 'milestone.correct_error_reason'));
    if (form.reason.length > 2_000) errors.push(this.pages.t(language, 'milestone.correct_error_reason_long'));
    if (errors.length > 0) return this.milestone(id, undefined, req, res, { form, errors });
    const planId = await this.plans.resolvePlanId();
    await this.records.correct(
      planId,
      id,
      { state: form.state as MilestoneStateName, progress, comment: form.comment || null, reason: form.reason },
      actorOf(req),
    );
    res.redirect(303, `/milestones/${id}?corrected`);
  }

  /** A question to the committee about the milestone, by mail in its language (see ReviewsService.ask). */
  @Post('milestones/:id/questions')
  @RequireRole('secretariat')
  async askQuestion(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const question = typeof body.question === 'string' ? body.question.trim() : '';
    if (question === '' || question.length > QUESTION_MAX)
      return this.milestone(id, undefined, req, res, undefined, {
        question,
        errors: [this.pages.t(req.principal!.language, 'milestone.ask_error')],
      });
    const { mailed } = await this.reviews.ask(id, question, actorOf(req));
    res.redirect(303, `/milestones/${id}?asked${mailed ? '' : '=no-contact'}#questions`);
  }

  /** A goal: its milestone completion, and its criteria as assessed for a year (?year=, default this year). */
  @Get('goals/:number')
  async goal(
    @Param('number', IdPipe) number: number,
    @Query() query: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
    form?: { entered: Record<string, string>; errors: Map<number, string[]> },
  ) {
    const planId = await this.plans.resolvePlanId();
    const year = goalYearQuery.parse(query.year) ?? (await this.criteria.defaultYear(planId));
    const [goal, attainment, criteria] = await Promise.all([
      this.plans.goal(planId, number),
      this.attainment.goal(planId, number),
      this.criteria.forGoal(planId, number, year),
    ]);
    const { plan, planYears } = await this.planYears(planId);
    refuseYearOutside(plan, query.year, year, (key, params) => this.pages.t(languageOfPrincipal(req), key, params));
    const years = planYears.map((y) => ({ year: y, selected: y === year }));
    const items = criteria.criteria.map((criterion) => ({
      ...criterion,
      form: {
        verdict: form?.entered[`verdict_${criterion.id}`] ?? criterion.verdict,
        justification: form?.entered[`justification_${criterion.id}`] ?? criterion.justification ?? '',
        evidenceUrl: form?.entered[`evidence_${criterion.id}`] ?? criterion.evidenceUrl ?? '',
      },
      errors: form?.errors.get(criterion.id) ?? [],
    }));
    const data = {
      goal,
      attainment,
      criteria: { ...criteria, criteria: items },
      verdicts: CRITERION_VERDICTS,
      years,
      saved: query.saved !== undefined,
      follow: await this.follows.followOf(req.principal!, { goal: number, plan: planId }),
    };
    this.page(req, res, 'goal', 'overview', data, form ? 400 : 200);
  }

  /** Assesses the criteria whose verdict, justification or link changed; all or nothing. */
  @Post('goals/:number/criteria')
  @RequireRole('secretariat')
  async assessCriteria(
    @Param('number', IdPipe) number: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const planId = await this.plans.resolvePlanId();
    const year = goalYearQuery.parse(body.year) ?? (await this.criteria.defaultYear(planId));
    const current = await this.criteria.forGoal(planId, number, year);
    const field = (name: string) => (typeof body[name] === 'string' ? body[name].trim() : '');
    const changed = current.criteria.flatMap((criterion) => {
      // A criterion the form did not send is left as it is.
      if (typeof body[`verdict_${criterion.id}`] !== 'string') return [];
      const entered = {
        criterionId: criterion.id,
        verdict: field(`verdict_${criterion.id}`) || criterion.verdict,
        justification: field(`justification_${criterion.id}`),
        evidenceUrl: field(`evidence_${criterion.id}`) || null,
      };
      const same =
        entered.verdict === criterion.verdict &&
        entered.justification === (criterion.justification ?? '') &&
        entered.evidenceUrl === criterion.evidenceUrl;
      return same ? [] : [entered];
    });
    if (changed.length === 0) return res.redirect(303, `/goals/${number}?year=${year}`);
    const parsed = assessCriteriaSchema.safeParse({ year, assessments: changed });
    if (!parsed.success) {
      const language = (req.principal as Principal).language;
      const errors = new Map<number, string[]>();
      for (const issue of parsed.error.issues) {
        const [, index, name] = issue.path;
        const criterion = typeof index === 'number' ? changed[index] : undefined;
        if (!criterion) throw new BadRequestException(issue.message);
        const key =
          name === 'justification' ? 'goal.error.justification' : name === 'evidenceUrl' ? 'goal.error.evidence' : 'goal.error.verdict';
        errors.set(criterion.criterionId, [...(errors.get(criterion.criterionId) ?? []), this.pages.t(language, key)]);
      }
      return this.goal(number, { year: String(year) }, req, res, { entered: body, errors });
    }
    await this.criteria.assess(planId, number, parsed.data, (req.principal as Principal).name);
    res.redirect(303, `/goals/${number}?year=${year}&saved`);
  }

  @Get('organisations/:id')
  async organisation(
    @Param('id', IdPipe) id: number,
    @Query('saved') saved: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
    error?: string,
    status = 200,
  ) {
    const planId = await this.plans.resolvePlanId();
    const organisation = await this.data.organisation(id, planId);
    if (!organisation) throw notFound('problem.no_organisation', { id }, `There is no organisation ${id}.`);
    const canEdit = atLeast(req.principal!.role, 'admin');
    const follow = await this.follows.followOf(req.principal!, { organisation: id });
    this.page(req, res, 'organisation', 'organisations', { organisation, canEdit, saved: saved !== undefined, error, follow }, status);
  }

  // ─── follows ───

  /** Follow or unfollow a goal (Follow / Unfollow on its page); any role that can view may. */
  @Post('goals/:number/follow')
  async followGoal(
    @Param('number', IdPipe) number: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    await this.toggleFollow(req, body, { goal: number, plan: await this.plans.resolvePlanId() });
    res.redirect(303, `/goals/${number}#follow`);
  }

  @Post('organisations/:id/follow')
  async followOrganisation(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    await this.toggleFollow(req, body, { organisation: id });
    res.redirect(303, `/organisations/${id}#follow`);
  }

  @Get('follows')
  async followsPage(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    const { follows } = await this.follows.list(req.principal!);
    this.page(req, res, 'follows', 'follows', { follows, digestAt: this.config.get('FOLLOW_DIGEST_AT') });
  }

  @Post('follows/:id/unfollow')
  async unfollow(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    assertSameOrigin(req, this.config.get('PUBLIC_URL'));
    await this.follows.unfollow(req.principal!, id);
    res.redirect(303, '/follows');
  }

  /** The form says what the button meant (follow or unfollow), so a second click is no toggle back. */
  private async toggleFollow(req: AuthenticatedRequest, body: Record<string, string>, target: FollowRequest) {
    assertSameOrigin(req, this.config.get('PUBLIC_URL'));
    const action = body.action;
    if (action !== 'follow' && action !== 'unfollow')
      throw badRequest('action', 'problem.follow_action', {}, 'action: must be follow or unfollow.');
    if (action === 'follow') return void (await this.follows.follow(req.principal!, target));
    const id = await this.follows.followOf(req.principal!, target);
    if (id !== null) await this.follows.unfollow(req.principal!, id);
  }

  @Post('organisations/:id/contacts')
  @RequireRole('admin')
  async saveContacts(
    @Param('id', IdPipe) id: number,
    @Body() body: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    const emails = (body.contacts ?? '')
      .split(/[\s,;]+/)
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean);
    const invalid = emails.filter((email) => !z.string().email().safeParse(email).success);
    if (invalid.length > 0)
      return this.organisation(id, undefined, req, res, `Not an email address: ${invalid.join(', ')}. Nothing was changed.`, 400);
    await this.data.replaceContacts(id, emails);
    res.redirect(303, `/organisations/${id}?saved`);
  }

  @Get('organisations')
  async organisations(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    const planId = await this.plans.resolvePlanId();
    const { organisations } = await this.attainment.planView(planId, undefined, { depth: 'plan', organisations: true });
    this.page(req, res, 'organisations', 'organisations', { organisations });
  }

  @Get('review')
  async review(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    const [total, items] = await this.inboundMessages.list('in_review', { skip: 0, take: 200 });
    const files = await this.evidence.ofMessages(items.map((item) => item.id));
    const withFiles = items.map((item) => ({ ...item, files: files.filter((file) => file.inboundMessageId === item.id) }));
    this.page(req, res, 'review', 'review', { total, items: withFiles });
  }

  @Post('review/:id/:decision')
  @RequireRole('secretariat')
  async decide(
    @Param('id', IdPipe) id: number,
    @Param('decision') decision: string,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    if (decision !== 'accept' && decision !== 'reject') throw notFound('problem.no_page', {}, 'Decide accept or reject');
    await this.inbound.review(id, decision, req.principal!.name);
    res.redirect(303, '/review');
  }

  /** Sent mail, newest first: filtered by round, organisation and kind, paged. */
  @Get('mail')
  async mail(@Query() query: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const { round, organisation, kind, page } = mailQuery.parse(query);
    const [total, items] = await this.outbox.list(
      { roundId: round, organisationId: organisation, template: kind },
      { skip: (page - 1) * MAIL_PAGE_SIZE, take: MAIL_PAGE_SIZE },
    );
    const planId = await this.plans.resolvePlanId();
    const [rounds, choices] = await Promise.all([this.rounds.list(planId), this.data.filterChoices(planId)]);
    const link = (target: number) => {
      const params = new URLSearchParams();
      if (round) params.set('round', String(round));
      if (organisation) params.set('organisation', String(organisation));
      if (kind) params.set('kind', kind);
      if (target > 1) params.set('page', String(target));
      const search = params.toString();
      return `/mail${search ? `?${search}` : ''}`;
    };
    const pages = Math.max(1, Math.ceil(total / MAIL_PAGE_SIZE));
    this.page(req, res, 'mail', 'mail', {
      total,
      items: items.map((item) => ({ ...item, kindKey: textKey(item.template) })),
      filters: { round, organisation, kind },
      rounds,
      organisations: choices.organisations,
      kinds: MAIL_KINDS.map((value) => ({ value, key: textKey(value) })),
      paging: {
        from: total === 0 ? 0 : (page - 1) * MAIL_PAGE_SIZE + 1,
        to: (page - 1) * MAIL_PAGE_SIZE + items.length,
        total,
        previous: page > 1 ? link(page - 1) : null,
        next: page < pages ? link(page + 1) : null,
      },
    });
  }

  /**
   * One message as it was rendered: its subject and text. Answer links show without their token and
   * report links unsigned, so reading a message here grants nothing the reader did not have.
   */
  @Get('mail/:id')
  async mailMessage(@Param('id', IdPipe) id: number, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const [[, [message]], row] = await Promise.all([this.outbox.list({ id }, { skip: 0, take: 1 }), this.outbox.findData(id)]);
    if (!message || !row) throw notFound('problem.no_message', { id }, `There is no message ${id}.`);
    const { answerNonce, reportLinks, questionReply, ...data } = row.data as Record<string, unknown>;
    const base = this.config.get('PUBLIC_URL');
    if (typeof answerNonce === 'string') {
      data.answerUrl = `${base}/r/…`;
      data.replyAddress = `reports+…@${this.config.get('INBOUND_DOMAIN')}`;
    }
    if (typeof questionReply === 'number') data.replyAddress = `reports+…@${this.config.get('INBOUND_DOMAIN')}`;
    if (isReportLinks(reportLinks))
      data.links = reportLinks.formats.map((format) => ({ format, url: `${base}/api/annual-reports/${reportLinks.reportId}/${format}` }));
    const rendered = this.mailRenderer.render(row.template as MailTemplateName, row.language, data as never);
    this.page(req, res, 'mail_message', 'mail', {
      message,
      kindKey: textKey(message.template),
      subject: rendered.subject,
      text: rendered.text,
    });
  }

  // ─── annual reports ───

  @Get('reports')
  async reportList(@Query() query: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    this.page(req, res, 'reports', 'reports', {
      ...(await this.reportsPage(Number(query.foreword), query.saved !== undefined)),
      requested: query.requested === undefined ? undefined : Number(query.requested),
    });
  }

  /** The secretariat's foreword to a year's report; refused once the year is approved. */
  @Post('reports/foreword')
  @RequireRole('secretariat')
  async saveForeword(@Body() body: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const planId = await this.plans.resolvePlanId();
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    const year = Number(body.year);
    if (!Number.isInteger(year) || year < plan.periodFrom || year > plan.periodTo)
      throw badRequest(
        'year',
        'problem.year_outside',
        { year: body.year ?? '', from: plan.periodFrom, to: plan.periodTo },
        'year: not a year of the plan',
      );
    await this.reports.setForeword(planId, year, typeof body.text === 'string' ? body.text : '', (req.principal as Principal).name);
    res.redirect(303, `/reports?foreword=${year}&saved#foreword`);
  }

  @Post('reports')
  @RequireRole('secretariat')
  async requestReport(@Body() body: Record<string, string>, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const requested = body.language;
    const language =
      requested !== undefined && (REPORT_LANGUAGES as readonly string[]).includes(requested) ? (requested as ReportLanguage) : undefined;
    try {
      if (!language) throw new BadRequestException(`language: must be one of ${REPORT_LANGUAGES.join(', ')}.`);
      if (!/^\d{4}$/.test(body.year ?? '')) throw new BadRequestException('year: must be a year such as 2023.');
      const report = await this.reports.request({ year: Number(body.year), language }, req.principal?.name ?? 'unknown');
      res.redirect(303, `/reports?requested=${report.id}`);
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() >= 500) throw error;
      this.page(
        req,
        res,
        'reports',
        'reports',
        { ...(await this.reportsPage()), error: this.problemText(req, error), form: body },
        error.getStatus(),
      );
    }
  }

  /** The reports so far, and the form's choices: the plan's years (last year first) and the languages. */
  private async reportsPage(forewordYear?: number, forewordSaved = false) {
    const planId = await this.plans.resolvePlanId(undefined);
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    const lastYear = Math.min(Math.max(this.clock.now().getUTCFullYear() - 1, plan.periodFrom), plan.periodTo);
    const years = Array.from({ length: plan.periodTo - plan.periodFrom + 1 }, (_, i) => plan.periodTo - i).map((year) => ({
      year,
      selected: year === lastYear,
    }));
    const reports = (await this.reports.list(planId)).map((report) => ({
      ...report,
      links: REPORT_FORMATS.filter((format) => report.files[format]).map((format) => ({ format, href: report.files[format] })),
    }));
    // While one is being made the page refreshes itself (a meta refresh: no script needed).
    const pending = reports.some((report) => report.status === 'queued' || report.status === 'generating');
    // The foreword shown for editing: the year asked for, else the year a new report would be for.
    const year = years.some((y) => y.year === forewordYear) ? forewordYear! : lastYear;
    const written = await this.reports.foreword(planId, year);
    const foreword = { year, text: written?.text ?? '', by: written?.by ?? null, at: written?.at ?? null, saved: forewordSaved };
    const forewordYears = years.map((y) => ({ year: y.year, selected: y.year === year }));
    return { reports, years, languages: REPORT_LANGUAGES, pending, foreword, forewordYears };
  }

  // ─── helpers ───

  /** The plan and its years, latest first: the years whose figures of record a page can show. */
  private async planYears(planId: number) {
    const plan = (await this.plans.listPlans()).find((p) => p.id === planId)!;
    const planYears: number[] = [];
    for (let y = plan.periodTo; y >= plan.periodFrom; y--) planYears.push(y);
    return { plan, planYears };
  }

  /** The reporting year's round, or without a year the open round, else the latest. */
  private async currentRound(planId: number, year?: number) {
    const rounds = await this.rounds.list(planId);
    const current = year === undefined ? (rounds.find((r) => r.state === 'open') ?? rounds[0]) : rounds.find((r) => r.year === year);
    if (!current) return null;
    // Totals counted by the database: the overview needs the rate, not every request of a large round.
    const round = await this.rounds.overview(current.id);
    const { expected, answered, answeredLate: late } = round.totals;
    return {
      ...round,
      rate: {
        expected,
        answered,
        onTime: answered - late,
        late,
        missing: expected - answered,
        share: expected ? answered / expected : null,
      },
    };
  }

  /** What a round still has open before its year is approved; null when nothing is. */
  private async outstanding(round: { id: number; rate: { missing: number } } | null) {
    if (!round) return null;
    const [counts, inReview] = await Promise.all([this.reviews.counts(round.id), this.inboundMessages.countInReview(round.id)]);
    const open = {
      roundId: round.id,
      missing: round.rate.missing,
      unreviewed: counts.answers - counts.reviewed - counts.returned,
      inReview,
    };
    return open.missing + open.unreviewed + open.inReview > 0 ? open : null;
  }

  /** A refusal in the user's language, naming the field and the rule. */
  private problemText(req: AuthenticatedRequest, error: HttpException): string {
    const { message, detail } = this.pages.problem(req.principal!.language, error);
    return detail ? `${message} ${detail}` : message;
  }

  private page(req: AuthenticatedRequest, res: Response, page: string, section: string, data: Record<string, unknown>, status = 200) {
    const user = req.principal as Principal;
    this.send(res, status, page, user.language, page, {
      ...data,
      nav: true,
      section,
      user: { name: user.name, role: user.role, canAct: atLeast(user.role, 'secretariat'), isAdmin: atLeast(user.role, 'admin') },
      csrf: user.csrf,
      states: MILESTONE_STATES,
    });
  }

  private send(res: Response, status: number, page: string, language: string, titleKey: string, data: Record<string, unknown>) {
    // DENY comes from helmet (src/http.ts); the dashboard sends its Referer only within the site.
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' });
    res.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const title = `${this.pages.t(language, `nav.${titleKey}`)} · handlingsplan`;
    res
      .status(status)
      .type('html')
      .send(this.pages.render(`dashboard/${page}`, language, title, data));
  }
}

/** The round page's review list (answers still to review first), and what happened last. */
function reviewList(review: Awaited<ReturnType<ReviewsService['toReview']>>, done: unknown) {
  const shown = review.answers.length;
  return {
    ...review,
    shown,
    more: shown < review.summary.answers,
    list: review.answers,
    done: done === 'reviewed' || done === 'returned' ? done : null,
  };
}

/** A template's name as a text key ("status-request" → "status_request"): keys have no hyphens. */
const textKey = (template: string) => template.replace(/-/g, '_');
