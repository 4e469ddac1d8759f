import type { Request } from 'express';
import { LANGUAGES, type Language } from '../i18n/i18n.js';

/**
 * The language a visitor's browser asks for, or null when it says nothing: Express answers the
 * first offered language when there is no Accept-Language header, which would show every stranger
 * a Danish page. "no" (Norwegian) is read as Bokmål.
 */
export function browserLanguage(req: Request): Language | null {
  if (!req.headers['accept-language']) return null;
  const found = req.acceptsLanguages([...LANGUAGES, 'no']);
  if (!found) return null;
  return found === 'no' ? 'nb' : (found as Language);
}

/** Languages for a page whose reader's language is unknown: English first, then the others. */
export const EVERY_LANGUAGE: readonly Language[] = ['en', ...LANGUAGES.filter((language) => language !== 'en')];
