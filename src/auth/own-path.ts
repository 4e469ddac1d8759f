const OWN = 'http://own.invalid';

const hasControl = (text: string) => [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);

/**
 * A path of this service to send a browser to after signing in, or '/' for anything else: one
 * leading slash, then no slash or backslash (browsers read `//host` and `/\host` as another host),
 * no control characters, no scheme.
 */
export function ownPath(candidate: string | undefined): string {
  if (!candidate || !candidate.startsWith('/') || /^\/[/\\]/.test(candidate) || candidate.includes('\\') || hasControl(candidate))
    return '/';
  const url = new URL(candidate, OWN);
  return url.origin === OWN ? `${url.pathname}${url.search}${url.hash}` : '/';
}
