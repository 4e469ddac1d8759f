import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { notFound } from '../common/refusal.js';
import { PlanService } from '../plan/plan.service.js';
import { IdPipe, idSchema } from '../common/id.pipe.js';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { RequireRole } from '../auth/access.decorators.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ApiBodyFrom, ApiQueryFrom } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { REPORT_FORMATS, REPORT_LANGUAGES } from './annual-report.content.js';
import { AnnualReportService, CONTENT_TYPES, REPORT_HTML_POLICY } from './annual-report.service.js';

export const requestReport = z.strictObject({
  plan: z.number().int().positive('must be a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
  year: z.number({ message: 'must be a year' }).int('must be a whole year'),
  language: z.enum(REPORT_LANGUAGES, { message: `must be one of ${REPORT_LANGUAGES.join(', ')}` }).default('da'),
});

const listQuery = z.object({
  plan: idSchema('a plan id').optional().meta({ description: 'Only the reports of this plan (default: every plan)' }),
});

const format = z.enum(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` });

/**
 * Annual status reports. Asking for one needs the secretariat role and answers 202 at once: the
 * report is made by a job, and its record says when it is ready (and the recipients get a mail).
 * Reading needs a signed-in viewer, like everything that names who answered what.
 */
@ApiTags('annual reports')
@Controller('api/annual-reports')
export class AnnualReportController {
  constructor(private readonly reports: AnnualReportService) {}

  @Post()
  @RequireRole('secretariat')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ask for the annual status report of a year (made by a job; the record is queued)',
    description:
      'The plan defaults to the current one, the language to da (sv, nb and en too). A year outside the plan period is a 400. ' +
      'While the year’s round is scheduled or open the report is made anyway and marked preliminary.',
  })
  @ApiBodyFrom(requestReport)
  @ApiAcceptedResponse({ description: 'The report record, status queued' })
  @ApiBadRequestResponse({ description: 'A malformed body, or a year outside the plan period' })
  @ApiNotFoundResponse({ description: 'No such plan' })
  request(@Body(new ZodPipe(requestReport)) body: z.infer<typeof requestReport>, @Req() req: AuthenticatedRequest) {
    return this.reports.request(body, req.principal?.name ?? 'unknown');
  }

  @Get()
  @ApiOperation({ summary: 'Annual reports, newest year first, with the links to their files once ready' })
  @ApiQueryFrom(listQuery)
  list(@Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    return this.reports.list(query.plan);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One report: its status, and the links to its files and its content once they exist' })
  @ApiNotFoundResponse({ description: 'No such report' })
  get(@Param('id', IdPipe) id: number) {
    return this.reports.get(id);
  }

  // Before ':id/:format', which would take "content" for a format.
  @Get(':id/content')
  @ApiOperation({ summary: 'The snapshot every format is rendered from: figures, the plan tree, comments, the overdue list, the round' })
  @ApiNotFoundResponse({ description: 'No such report' })
  @ApiConflictResponse({ description: 'The snapshot is not taken yet (queued)' })
  async content(@Param('id', IdPipe) id: number, @Res({ passthrough: true }) res: Response) {
    const json = await this.reports.snapshotJson(id);
    res.type('application/json');
    return json;
  }

  @Get(':id/:format')
  @ApiOperation({ summary: 'A rendered report: html (shown in the browser), pdf, docx or xlsx (downloads)' })
  @ApiParam({ name: 'format', enum: REPORT_FORMATS })
  @ApiNotFoundResponse({ description: 'No such report' })
  @ApiConflictResponse({ description: 'The report is not ready (queued, generating or failed)' })
  async file(
    @Param('id', IdPipe) id: number,
    @Param('format', new ZodPipe(format)) kind: z.infer<typeof format>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { content, filename } = await this.reports.file(id, kind);
    if (kind === 'html') {
      // The page is served from the API's own origin: it may style itself and show its inline
      // charts, and nothing else (no script, no fetch, no form), whatever a comment contains.
      res.setHeader('Content-Security-Policy', REPORT_HTML_POLICY);
    }
    return new StreamableFile(Buffer.from(content), {
      type: CONTENT_TYPES[kind],
      disposition: kind === 'html' ? `inline; filename="${filename}"` : `attachment; filename="${filename}"`,
      length: content.byteLength,
    });
  }
}

export const forewordBody = z
  .strictObject({
    plan: z.number().int().positive('must be a plan id').optional().meta({ description: 'Plan id; defaults to the current plan.' }),
    text: z.string({ message: 'must be the foreword’s text (empty removes it)' }).max(10_000, 'must be at most 10,000 characters'),
  })
  .meta({ examples: [{ text: 'Året 2023 var præget af …\n\nSekretariatet takker udvalgene for …' }] });

/**
 * The secretariat's foreword to a year's report: printed first, in every format, as written. It
 * can change until the year is approved (then 409), and reports made afterwards print it.
 */
@ApiTags('annual reports')
@Controller('api/forewords')
export class ForewordController {
  constructor(
    private readonly reports: AnnualReportService,
    private readonly plans: PlanService,
  ) {}

  @Get(':year')
  @ApiOperation({ summary: "A year's foreword (404 while none is written)" })
  @ApiQueryFrom(listQuery)
  @ApiNotFoundResponse({ description: 'No foreword for that year' })
  async get(@Param('year', IdPipe) year: number, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    const foreword = await this.reports.foreword(await this.plans.resolvePlanId(query.plan), year);
    if (!foreword) throw notFound('problem.no_foreword', { year }, `There is no foreword for ${year}.`);
    return { year, ...foreword };
  }

  @Put(':year')
  @RequireRole('secretariat')
  @ApiOperation({ summary: "Write a year's foreword (an empty text removes it); refused once the year is approved" })
  @ApiBodyFrom(forewordBody)
  @ApiBadRequestResponse({ description: 'A malformed body or a text too long' })
  @ApiConflictResponse({ description: 'The year is approved' })
  async put(
    @Param('year', IdPipe) year: number,
    @Body(new ZodPipe(forewordBody)) body: z.infer<typeof forewordBody>,
    @Req() req: AuthenticatedRequest,
  ) {
    const planId = await this.plans.resolvePlanId(body.plan);
    await this.reports.setForeword(planId, year, body.text, req.principal?.name ?? 'unknown');
    return { year, ...(await this.reports.foreword(planId, year)) };
  }
}
