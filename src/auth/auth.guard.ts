import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { readCookie } from '../common/cookies.js';
import { ACCESS, type Access } from './access.decorators.js';
import { AuthService } from './auth.service.js';
import { atLeast, type Principal } from './principal.js';

export const SESSION_COOKIE = 'hp_session';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Thrown for pages: the filter turns it into a redirect to the sign-in page. */
export class SignInRequired extends UnauthorizedException {}

/**
 * Secure by default: every route needs a signed-in user or an API token with at least the
 * "viewer" role, unless it is marked @Public(). A browser session must also send its CSRF value
 * with every request that changes something; API tokens are not cookies, so they need none.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ?? {
      role: 'viewer',
    };
    const principal = await this.principal(req);
    if (principal) req.principal = principal;
    if ('public' in access) return true;

    const isPage = !req.path.startsWith('/api/');
    if (!principal) {
      if (isPage) throw new SignInRequired();
      throw new UnauthorizedException('Sign in, or send an API token as "Authorization: Bearer <token>".');
    }
    if (principal.kind === 'user' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const given = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?._csrf;
      const sent = typeof given === 'string' ? given : ''; // a repeated header or a non-text field is no token
      if (!principal.csrf || sent.length !== principal.csrf.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(principal.csrf))) {
        throw new ForbiddenException(
          'The form had expired or did not come from this site (missing CSRF token). Reload the page and try again.',
        );
      }
    }
    if (!atLeast(principal.role, access.role)) {
      throw new ForbiddenException(`This needs the ${access.role} role; ${principal.name} has ${principal.role}.`);
    }
    return true;
  }

  private async principal(req: Request): Promise<Principal | null> {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return this.auth.tokenPrincipal(header.slice(7).trim());
    const session = readCookie(req, SESSION_COOKIE);
    return session ? this.auth.sessionPrincipal(session) : null;
  }
}
