import { ownPath } from './own-path.js';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SignInRequired } from './auth.guard.js';

/** A signed-out visitor of any page is sent to the sign-in page, and back afterwards. */
@Catch(SignInRequired)
export class SignInRequiredFilter implements ExceptionFilter {
  catch(_error: SignInRequired, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const next = req.method === 'GET' ? ownPath(req.originalUrl) : '/';
    res.redirect(303, `/login?next=${encodeURIComponent(next)}`);
  }
}
