import { Catch, HttpException, InternalServerErrorException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { SESSION_COOKIE, SignInRequired, type AuthenticatedRequest } from '../auth/auth.guard.js';
import { AuthService } from '../auth/auth.service.js';
import { SignInRequiredFilter } from '../auth/sign-in-required.filter.js';
import { readCookie } from '../common/cookies.js';
import { isLanguage, type Language } from '../i18n/i18n.js';
import { browserLanguage, EVERY_LANGUAGE } from './page-language.js';
import { PageRenderer } from './page-renderer.js';

/**
 * Errors as a person sees them. The API (`/api/…`) and a client that asks for JSON get Nest's
 * JSON; a browser gets an HTML page with the status, in the reader's language (the signed-in
 * user's, else the browser's; where neither is known, in every language, English first), that
 * says what was wrong: a Refusal by its text key, anything else by its status with the English
 * detail beneath.
 */
@Catch()
export class PageErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Pages');
  private readonly signIn = new SignInRequiredFilter();

  constructor(
    private readonly pages: PageRenderer,
    private readonly auth: AuthService,
  ) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const req = host.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof SignInRequired) return this.signIn.catch(exception, host);
    if (wantsJson(req) || res.headersSent) return super.catch(exception, host);
    this.page(exception, req, res).catch((error: unknown) => {
      // The error page itself failed: say so in the log, and answer as Nest would.
      this.logger.error(`error page: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) super.catch(exception, host);
    });
  }

  private async page(exception: unknown, req: AuthenticatedRequest, res: Response): Promise<void> {
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    if (status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    const principal = req.principal ?? (await this.principal(req));
    const user = principal?.kind === 'user' ? principal : null;
    const known: Language | null = user ? (isLanguage(user.language) ? user.language : 'en') : browserLanguage(req);
    const languages = known ? [known] : EVERY_LANGUAGE;
    const error = exception instanceof HttpException ? exception : new InternalServerErrorException();
    const sections = languages.map((language) => ({
      language,
      ...this.pages.problem(language, error),
      back: this.pages.t(language, 'problem.back'),
    }));
    res.set({ 'Cache-Control': 'no-store' });
    res.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const data = {
      sections,
      several: sections.length > 1,
      back: user ? '/' : null,
      nav: Boolean(user),
      user: user ? { name: user.name, role: user.role } : undefined,
      csrf: user?.csrf,
    };
    res
      .status(status)
      .type('html')
      .send(this.pages.render('problem', languages[0]!, `${sections[0]!.heading} · handlingsplan`, data));
  }

  private async principal(req: Request) {
    const session = readCookie(req, SESSION_COOKIE);
    return session ? this.auth.sessionPrincipal(session).catch(() => null) : null;
  }
}

/** The API, and any client that prefers JSON to HTML, keeps Nest's JSON errors. */
function wantsJson(req: Request): boolean {
  if (req.path === '/api' || req.path.startsWith('/api/')) return true;
  return req.accepts(['html', 'json']) === 'json';
}
