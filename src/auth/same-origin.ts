import type { Request } from 'express';
import { Refusal } from '../common/refusal.js';

/**
 * Refuses a request that changes something unless it came from a page of this service. A browser
 * names where a request came from: `Sec-Fetch-Site` (every current browser; where sent it
 * decides), else `Origin` (sent with every POST, fetch or form) or `Referer` (our pages send it
 * to themselves). Either naming another site, or `Origin: null`, refuses. A request with none of them is no browser's, so it
 * cannot carry a victim's cookies against their will; `required` refuses it anyway where only a
 * browser has business (the queue board's own fetches always send Origin).
 *
 * The origin may be `PUBLIC_URL`'s or the one the request was addressed to (its Host), so the
 * service reached directly on its port still works; an attacker's page cannot set either.
 */
export function assertSameOrigin(req: Request, publicUrl: string, options: { required?: boolean } = {}): void {
  // Set by the browser itself, never by a page: where present it decides. (Chromium sends
  // `Origin: null` with a form posted from a page whose referrer policy withholds the origin.)
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
    throw crossOrigin(`Sec-Fetch-Site: ${site}`);
  }
  const from = header(req, 'origin') ?? header(req, 'referer');
  if (from === undefined) {
    if (options.required) throw crossOrigin('no Origin or Referer');
    return;
  }
  const origin = originOf(from);
  const own = new Set([new URL(publicUrl).origin]);
  const host = header(req, 'host');
  if (host) own.add(`${req.protocol}://${host}`).add(`${req.protocol === 'https' ? 'http' : 'https'}://${host}`);
  if (origin === null || !own.has(origin)) throw crossOrigin(`from ${from.slice(0, 100)}`);
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

const crossOrigin = (why: string) =>
  new Refusal(
    403,
    'problem.cross_origin',
    {},
    `This request did not come from a page of this service (${why}). Open the page here and try again.`,
  );
