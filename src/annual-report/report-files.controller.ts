import { Controller, Get, Param, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { Public } from '../auth/access.decorators.js';
import { SignInRequired, type AuthenticatedRequest } from '../auth/auth.guard.js';
import { Clock } from '../common/clock.js';
import { IdPipe } from '../common/id.pipe.js';
import { notFound } from '../common/refusal.js';
import { SignedLinks } from '../common/signed-links.js';
import { REPORT_FORMATS } from './annual-report.content.js';
import { AnnualReportService, CONTENT_TYPES, REPORT_HTML_POLICY } from './annual-report.service.js';

const signedQuery = z.object({
  expires: z.coerce.number().int().positive().optional().catch(undefined),
  signature: z.string().max(100).optional().catch(undefined),
});

/**
 * The links in the "annual report ready" mail: /reports/<id>/<format>?expires=…&signature=…
 * opens the file without signing in until the link expires (REPORT_LINK_DAYS). Without a valid
 * signature a signed-in user still gets the file, and anyone else is sent to sign in and brought
 * back to it.
 */
@ApiExcludeController()
@Public()
@Controller('reports')
export class ReportFilesController {
  constructor(
    private readonly reports: AnnualReportService,
    private readonly links: SignedLinks,
    private readonly clock: Clock,
  ) {}

  @Get(':id/:format')
  async file(
    @Param('id', IdPipe) id: number,
    @Param('format') format: string,
    @Query() query: Record<string, string>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const kind = REPORT_FORMATS.find((known) => known === format);
    if (!kind) throw notFound('problem.no_page', {}, `Annual reports come as ${REPORT_FORMATS.join(', ')}.`);
    const { expires, signature } = signedQuery.parse(query);
    const signed =
      expires !== undefined &&
      signature !== undefined &&
      expires * 1000 > this.clock.now().getTime() &&
      this.links.reportSignatureMatches(id, kind, expires, signature);
    if (!signed && !req.principal) throw new SignInRequired();
    const { content, filename } = await this.reports.file(id, kind);
    res.set({ 'Cache-Control': 'private, no-store', 'X-Robots-Tag': 'noindex' });
    if (kind === 'html') res.setHeader('Content-Security-Policy', REPORT_HTML_POLICY);
    return new StreamableFile(Buffer.from(content), {
      type: CONTENT_TYPES[kind],
      disposition: kind === 'html' ? `inline; filename="${filename}"` : `attachment; filename="${filename}"`,
      length: content.byteLength,
    });
  }
}
