import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/access.decorators.js';
import { readCookie, secureCookie } from '../common/cookies.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import { YearApproved } from '../progress/records.repository.js';
import { EvidenceService, type CheckedFile, type FileProblem, type IncomingFile } from '../evidence/evidence.service.js';
import { sendFile } from '../evidence/send-file.js';
import { IdPipe } from '../common/id.pipe.js';
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
import { readMultipartForm, UnreadableForm } from './multipart-form.js';

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
    private readonly evidence: EvidenceService,
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

  /** A file the committee kept on one of its milestones, for its own link only. */
  @Get(':token/files/:id')
  async file(@Param('token') token: string, @Param('id', IdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const request = await this.resolve(token, req, res);
    if (!request) return;
    const file = await this.evidence.read(id);
    if (!file || file.organisationId !== request.organisation.id) {
      const known = browserLanguage(req);
      return this.message(res, 404, known ? [known] : EVERY_LANGUAGE, 'page.no_file', 'page.no_file_text', 'warn');
    }
    sendFile(res, file);
  }

  @Post(':token')
  async save(@Param('token') token: string, @Body() form: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const request = await this.resolve(token, req, res);
    if (!request) return;
    const language = request.organisation.language;
    // Files are read only once the link is known good, and only as far as the limits allow.
    let body = form ?? {};
    let uploads: IncomingFile[] = [];
    if (req.is('multipart/form-data')) {
      try {
        const read = await readMultipartForm(req, this.evidence.limits);
        body = read.fields;
        uploads = uploadsOf(read.files, request);
      } catch (error) {
        if (!(error instanceof UnreadableForm)) throw error;
        return this.page(res, 400, request, {
          csrf: readCookie(req, CSRF_COOKIE) ?? '',
          problems: [this.pages.t(language, 'problem.file_unreadable')],
        });
      }
    }
    const cookie = readCookie(req, CSRF_COOKIE);
    const csrf = typeof body.csrf === 'string' ? body.csrf : '';
    if (!cookie || !sameValue(cookie, csrf)) {
      return await this.page(res, 403, request, {
        csrf: cookie ?? '',
        problems: [this.pages.t(request.organisation.language, 'form.expired')],
      });
    }
    const entered = readForm(body, request);
    const checked = this.evidence.check(uploads, { strictNames: true });
    if (checked.problems.length > 0) return this.refuseFiles(res, request, csrf, entered, checked.problems);
    const files: CheckedFile[] = checked.accepted;
    try {
      // Files first into the store, then answers and files recorded together; a failure removes the files.
      await this.evidence.keep<unknown>(files, (save) => {
        const alsoInTransaction = files.length > 0 ? (tx: Tx) => save(tx, { source: 'link_form', requestId: request.id }) : undefined;
        if (body.action === 'draft') return this.answers.saveDraft(request, entered, alsoInTransaction);
        const answers = entered.filter((answer): answer is NumberedAnswer => answer.state !== undefined);
        // The CSRF value is new with every page served: it names this form instance.
        return this.answers.submit(request, answers, {
          channel: 'link_form',
          actor: `link:${request.organisation.name}`,
          final: true,
          requireReasons: true,
          formInstance: csrf,
          alsoInTransaction,
        });
      });
      return res.redirect(303, `/r/${token}?saved=${body.action === 'draft' ? 'draft' : 'submitted'}`);
    } catch (error) {
      // Submitted twice (a double click, a resent POST): the second shows what the first recorded.
      if (error instanceof FormAlreadySubmitted) return res.redirect(303, `/r/${token}?saved=submitted`);
      if (error instanceof InvalidAnswers) {
        const problems = error.problems.map((p) => ({ ...p, message: this.problemText(language, p) }));
        const lines = problems.map((p) =>
          p.number === null ? p.message : `${this.pages.t(language, 'form.error.milestone', { number: p.number })}: ${p.message}`,
        );
        if (files.length > 0) lines.push(this.pages.t(language, 'problem.files_again'));
        return await this.page(res, 400, request, { csrf, entered, problems: lines, byNumber: problems });
      }
      if (error instanceof RoundClosed) return await this.page(res, 410, request, { csrf });
      if (error instanceof YearApproved) {
        const params = { year: error.year };
        this.message(res, 409, [request.organisation.language], 'form.year_approved', 'form.year_approved_text', 'warn', params);
        return;
      }
      throw error;
    }
  }

  private async resolve(token: string, req: Request, res: Response): Promise<RequestForAnswering | null> {
    // No referrer and no framing come from helmet (src/http.ts).
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
    res.locals.answerToken = token;
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

  /** Files that cannot be kept: each with its reason in the committee's language; nothing is recorded. */
  private refuseFiles(
    res: Response,
    request: RequestForAnswering,
    csrf: string,
    entered: Partial<NumberedAnswer>[],
    problems: FileProblem[],
  ) {
    const language = request.organisation.language;
    const numbers = new Map(request.milestones.map((row) => [row.milestoneId, row.number]));
    const byNumber = problems.map((problem) => ({
      number: numbers.get(problem.milestoneIds[0]!) ?? null,
      field: 'file',
      message: this.pages.t(language, `problem.file_${problem.code}`, problem.params),
    }));
    const lines = byNumber.map((p) =>
      p.number === null ? p.message : `${this.pages.t(language, 'form.error.milestone', { number: p.number })}: ${p.message}`,
    );
    lines.push(this.pages.t(language, 'problem.files_again'));
    const status = problems.every((problem) => problem.code === 'too_large') ? 413 : 400;
    return this.page(res, status, request, { csrf, entered, problems: lines, byNumber });
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

  private message(
    res: Response,
    status: number,
    languages: readonly string[],
    heading: string,
    text: string,
    tone: string,
    params: Record<string, string | number> = {},
  ) {
    const sections = languages.map((language) => ({
      language,
      heading: this.pages.t(language, heading, params),
      message: this.pages.t(language, text, params),
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
    // Only where files are kept: a form without any costs no read of them.
    const filed = request.milestones.filter((row) => row.milestone.filed).map((row) => row.milestoneId);
    const kept = filed.length === 0 ? [] : await this.evidence.ofOrganisation(request.organisation.id, filed);
    const ids = new Map(request.milestones.map((row) => [row.number, row.milestoneId]));
    // The secretariat's questions about each milestone and the committee's answers since, read-only.
    const threads = await this.answers.threads(request);
    const entered = new Map((extra.entered ?? []).map((answer) => [answer.number, answer]));
    const language = request.organisation.language;
    const data = {
      ...view,
      token: res.locals.answerToken as string,
      upload: {
        maxMegabytes: Math.floor(this.evidence.limits.maxBytes / (1024 * 1024)),
        kinds: this.evidence.limits.kinds.join(', ').toUpperCase(),
      },
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
          files: kept.filter((file) => file.milestoneId === ids.get(milestone.number)),
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

/** Uploaded parts named files_<n>, for milestone n of the request; parts named otherwise are not files of this form. */
function uploadsOf(
  parts: { field: string; name: string; content: Buffer; truncated: boolean }[],
  request: RequestForAnswering,
): IncomingFile[] {
  const ids = new Map(request.milestones.map((row) => [`files_${row.number}`, row.milestoneId]));
  return parts.flatMap((part) => {
    const milestoneId = ids.get(part.field);
    return milestoneId === undefined
      ? []
      : [{ name: part.name, content: part.content, truncated: part.truncated, milestoneIds: [milestoneId] }];
  });
}

function sameValue(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
