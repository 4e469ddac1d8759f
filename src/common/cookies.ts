import { parse } from 'cookie';
import type { Request } from 'express';

/**
 * A cookie sent with the request. A value that is not valid percent-encoding (hp_session=%ZZ) is
 * read as it was sent rather than failing the request; it then simply matches nothing.
 */
export function readCookie(req: Request, name: string): string | undefined {
  return parse(req.headers.cookie ?? '')[name];
}

/**
 * Cookies are Secure whenever the service is published on https, whatever the hop to it looked
 * like (a proxy may speak plain http to it), and also on a request that itself came by https.
 */
export function secureCookie(publicUrl: string, req: Request): boolean {
  return publicUrl.startsWith('https:') || req.secure;
}
