import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/access.decorators.js';
import { readCookie, secureCookie } from '../common/cookies.js';
import { AppConfig } from '../config/config.module.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import { YearApproved } from '../progress/records.repository.js';
import { browserLanguage, EVERY_LANGUAGE } from '../web/page-language.js';
import { PageRenderer } from '../web/page-renderer.js';
import type { RequestForAnswering } from './answers.repository.js';
import {
  AnswersService,
  FormAlreadySubmitted,
  InvalidAnswers,
  RoundClosed,
  TooManyAttempts,
  UnknownLink,
  type AnswerProblem,
  type NumberedAnswer,
} from './answers.service.js';

const CSRF_COOKIE = 'hp_answer_csrf';

/**
 * The answer form behind each personal link: /r/<token>. A GET never changes anything (mail
 * scanners open links); a POST needs the CSRF value the page was served with (a SameSite cookie
 * and the same value in the form). Pages carry no referrer, so the token never leaks to a
 * documentation link someone follows.
 */
@ApiExcludeController()
@Public()
@Controller('r')
export class AnswerFormController {
  constructor(
    private readonly answers: AnswersService,
    private readonly pages: PageRenderer,
    private readonly config: AppConfig,
  ) {}

  @Get(':token')
  async show(@Param('token') token: string, @Query('saved') saved: string | undefined, @Req() req: Request, @Res() res: Response) {
    const request = await this.resolve(token, req, res);
    if (!request) return;
    const csrf = randomBytes(24).toString('base64url');
    res.cookie(CSRF_COOKIE, csrf, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookie(this.config.get('PUBLIC_URL'), req),
      path: '/r/',
    });
    await this.page(res, 200, request, { csrf, saved: saved === 'draft' || saved === 'submitted' ? saved : undefined });
  }

  @Post(':token')
  async save(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const request = await this.resolve(token, req, res);
    if (!request) return;
    const cookie = readCookie(req, CSRF_COOKIE);
    const csrf = typeof body.csrf === 'string' ? body.csrf : '';
    if (!cookie || !sameValue(cookie, csrf)) {
      return await this.page(res, 403, request, {
        csrf: cookie ?? '',
        problems: [this.pages.t(request.organisation.language, 'form.expired')],
      });
    }
    const entered = readForm(body, request);
    try {
      if (body.action === 'draft') {
        await this.answers.saveDraft(request, entered);
        return res.redirect(303, `/r/${token}?saved=draft`);
      }
      const answers = entered.filter((answer): answer is NumberedAnswer => answer.state !== undefined);
      // The CSRF value is new with every page served: it names this form instance.
      await this.answers.submit(request, answers, {
        channel: 'link_form',
        actor: `link:${request.organisation.name}`,
        final: true,
        requireReasons: true,
        formInstance: csrf,
      });
      return res.redirect(303, `/r/${token}?saved=submitted`);
    } catch (error) {
      // Submitted twice (a double click, a resent POST): the second shows what the first recorded.
      if (error instanceof FormAlreadySubmitted) return res.redirect(303, `/r/${token}?saved=submitted`);
      if (error instanceof InvalidAnswers) {
        const language = request.organisation.language;
        const problems = error.problems.map((p) => ({ ...p, message: this.problemText(language, p) }));
        const lines = problems.map((p) =>
          p.number === null ? p.message : `${this.pages.t(language, 'form.error.milestone', { number: p.number })}: ${p.message}`,
        );
        return await this.page(res, 400, request, { csrf, entered, problems: lines, byNumber: problems });
      }
      if (error instanceof RoundClosed) return await this.page(res, 410, request, { csrf });
      if (error instanceof YearApproved) {
        const language = request.organisation.language;
        const title = this.pages.t(language, 'form.year_approved', { year: error.year });
        return res
          .status(409)
          .type('html')
          .send(
            this.pages.render('message', language, title, {
              heading: title,
              message: this.pages.t(language, 'form.year_approved_text', { year: error.year }),
              tone: 'warn',
            }),
          );
      }
      throw error;
    }
  }

  private async resolve(token: string, req: Request, res: Response): Promise<RequestForAnswering | null> {
    // No referrer and no framing come from helmet (src/http.ts).
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
    res.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    try {
      return await this.answers.requestForToken(token, req.ip ?? 'unknown');
    } catch (error) {
      // Nobody is known by a wrong link: the browser's language, or every language, English first.
      const known = browserLanguage(req);
      const languages = known ? [known] : EVERY_LANGUAGE;
      if (error instanceof TooManyAttempts) this.message(res, 429, languages, 'page.too_many', 'page.too_many_text', 'bad');
      else if (error instanceof UnknownLink) this.message(res, 404, languages, 'page.invalid_link', 'page.invalid_link_text', 'warn');
      else throw error;
      return null;
    }
  }

  /**
   * A problem in the organisation's language. The form can only produce problems with a state,
   * progress, comment (or its missing reason) or link; anything else (a tampered form) keeps the service's English text.
   */
  private problemText(language: string, problem: AnswerProblem): string {
    const field = problem.field.split('.')[0]!;
    return ['state', 'progress', 'comment', 'reason', 'evidenceUrl'].includes(field)
      ? this.pages.t(language, `form.error.${field}`)
      : `${problem.field}: ${problem.message}`;
  }

  private message(res: Response, status: number, languages: readonly string[], heading: string, text: string, tone: string) {
    const sections = languages.map((language) => ({
      language,
      heading: this.pages.t(language, heading),
      message: this.pages.t(language, text),
      tone,
    }));
    res
      .status(status)
      .type('html')
      .send(this.pages.render('problem', languages[0]!, sections[0]!.heading, { sections }));
  }

  private async page(
    res: Response,
    status: number,
    request: RequestForAnswering,
    extra: {
      csrf: string;
      saved?: string;
      problems?: string[];
      entered?: Partial<NumberedAnswer>[];
      byNumber?: { number: number | null; field: string; message: string }[];
    },
  ) {
    const view = this.answers.view(request);
    // The secretariat's questions about each milestone and the committee's answers since, read-only.
    const threads = await this.answers.threads(request);
    const entered = new Map((extra.entered ?? []).map((answer) => [answer.number, answer]));
    const language = request.organisation.language;
    const data = {
      ...view,
      csrf: extra.csrf,
      saved: extra.saved,
      problems: extra.problems ?? [],
      states: MILESTONE_STATES,
      milestones: view.milestones.map((milestone) => {
        const typed = entered.get(milestone.number);
        const source = typed ?? milestone.draft ?? milestone.current;
        return {
          ...milestone,
          form: {
            state: source.state ?? '',
            progress: source.progress ?? '',
            comment: source.comment ?? '',
            evidenceUrl: source.evidenceUrl ?? '',
          },
          errors: (extra.byNumber ?? []).filter((p) => p.number === milestone.number).map((p) => p.message),
          thread: threads.get(request.milestones.find((row) => row.number === milestone.number)!.milestoneId) ?? [],
        };
      }),
    };
    const title = this.pages.t(language, 'form.title', { organisation: view.organisation.name, year: view.round.year });
    res
      .status(status)
      .type('html')
      .send(this.pages.render('answer-form', language, title, data));
  }
}

/** The form's fields, named state_<n>, progress_<n>, comment_<n>, evidence_<n> for milestone n. */
function readForm(body: Record<string, unknown>, request: RequestForAnswering): Partial<NumberedAnswer>[] {
  const text = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
  return request.milestones.flatMap((row) => {
    const n = row.number;
    const state = text(`state_${n}`);
    const progress = text(`progress_${n}`).trim();
    const comment = text(`comment_${n}`);
    const evidenceUrl = text(`evidence_${n}`).trim();
    if (!state && !progress && !comment.trim() && !evidenceUrl) return [];
    return [
      {
        number: n,
        state: (state || undefined) as NumberedAnswer['state'] | undefined,
        progress: progress === '' ? undefined : Number(progress),
        comment: comment.trim() === '' ? undefined : comment,
        evidenceUrl: evidenceUrl === '' ? undefined : evidenceUrl,
      },
    ];
  });
}

function sameValue(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
