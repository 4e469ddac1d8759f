import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/access.decorators.js';
import { browserLanguage, EVERY_LANGUAGE } from '../web/page-language.js';
import { PageRenderer } from '../web/page-renderer.js';
import type { ReplyChange, ReplyRevertRow } from './reply-revert.repository.js';
import { ReplyRevertService, type RevertOutcome } from './reply-revert.service.js';

/**
 * /not-me/<token>: the "this was not me" link in the confirmation of an email reply. The GET only
 * shows what would be undone (mail scanners open links); the POST undoes it. The token is the
 * secret, so no other check is needed; the page is in the committee's language.
 */
@ApiExcludeController()
@Public()
@Controller('not-me')
export class ReplyRevertController {
  constructor(
    private readonly reverts: ReplyRevertService,
    private readonly pages: PageRenderer,
  ) {}

  @Get(':token')
  async show(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    noCache(res);
    const link = await this.reverts.find(token);
    if (link.kind !== 'open') return this.outcome(req, res, link);
    this.page(res, 200, link.row, {
      done: false,
      revert: link.changes.filter((c) => c.latest),
      keep: link.changes.filter((c) => !c.latest),
    });
  }

  @Post(':token')
  async undo(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    noCache(res);
    const outcome = await this.reverts.revert(token);
    if (outcome.kind !== 'reverted') return this.outcome(req, res, outcome);
    this.page(res, 200, outcome.row, { done: true, revert: outcome.reverted, keep: outcome.kept });
  }

  private outcome(req: Request, res: Response, outcome: Exclude<RevertOutcome, { kind: 'reverted' }>) {
    if (outcome.kind === 'unknown') {
      const known = browserLanguage(req);
      return this.message(res, 404, known ? [known] : EVERY_LANGUAGE, 'page.invalid_link', 'page.invalid_link_text', {});
    }
    const language = [outcome.row.language];
    if (outcome.kind === 'year_approved')
      return this.message(res, 409, language, 'revert.year_approved', 'revert.year_approved_text', { year: outcome.year });
    return this.message(res, 410, language, `revert.${outcome.kind}`, `revert.${outcome.kind}_text`, {});
  }

  private message(
    res: Response,
    status: number,
    languages: readonly string[],
    heading: string,
    text: string,
    params: Record<string, number>,
  ) {
    const sections = languages.map((language) => ({
      language,
      heading: this.pages.t(language, heading, params),
      message: this.pages.t(language, text, params),
      tone: 'warn',
    }));
    res
      .status(status)
      .type('html')
      .send(this.pages.render('problem', languages[0]!, sections[0]!.heading, { sections }));
  }

  private page(res: Response, status: number, row: ReplyRevertRow, data: { done: boolean; revert: ReplyChange[]; keep: ReplyChange[] }) {
    const title = this.pages.t(row.language, 'revert.title', { organisation: row.organisationName });
    res
      .status(status)
      .type('html')
      .send(
        this.pages.render('not-me', row.language, title, {
          ...data,
          organisation: row.organisationName,
          plan: row.planTitle,
          from: row.fromAddress ?? '',
          subject: row.subject ?? '',
          received: row.receivedAt ?? row.appliedAt,
        }),
      );
  }
}

function noCache(res: Response) {
  res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
}
