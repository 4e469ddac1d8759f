import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MAIL_LANGUAGES, type Language } from './mail-data.js';

/**
 * The mail texts, one JSON file per language in templates/mail/i18n. A value is either a string
 * with {name} placeholders or, when it depends on a number, plural forms keyed by the
 * Intl.PluralRules category: {"one": "{count} milstolpe", "other": "{count} milstolpar"}; the
 * form is picked by the `count` parameter. All five languages only use "one" and "other", but
 * the other categories are accepted so a language that needs them can have them.
 */

const pluralForms = z.strictObject({
  zero: z.string().optional(),
  one: z.string().optional(),
  two: z.string().optional(),
  few: z.string().optional(),
  many: z.string().optional(),
  other: z.string(),
});
const stringsFile = z.record(z.string(), z.union([z.string(), pluralForms]));

export type PluralForms = z.infer<typeof pluralForms>;
export type Message = string | PluralForms;
export type Strings = Record<string, Message>;
export type Params = Record<string, unknown>;

/** English as the British write dates ("1 December 2026"), not the American way. */
const LOCALES: Record<Language, string> = { da: 'da-DK', sv: 'sv-SE', nb: 'nb-NO', fi: 'fi-FI', en: 'en-GB' };

const DEFAULT_TIME_ZONE = 'Europe/Copenhagen';

const PLACEHOLDER = /\{(\w+)\}/g;

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (MAIL_LANGUAGES as readonly string[]).includes(value);
}

/** An unknown language (a bad database value, a typo in config) gets English rather than an error. */
export function toLanguage(value: unknown): Language {
  return isLanguage(value) ? value : 'en';
}

/**
 * The zone deadlines are shown in. An empty TZ or a POSIX form Intl does not know (":/etc/localtime")
 * falls back to Copenhagen rather than failing every mail.
 */
export function resolveTimeZone(value = process.env.TZ): string {
  const candidate = value?.replace(/^:/, '') || DEFAULT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en', { timeZone: candidate });
    return candidate;
  } catch {
    return DEFAULT_TIME_ZONE;
  }
}

export function placeholdersOf(message: Message): Set<string> {
  const texts = typeof message === 'string' ? [message] : Object.values(message).filter((t): t is string => t !== undefined);
  return new Set(texts.flatMap((text) => [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!)));
}

export class Translations {
  private readonly dates = new Map<Language, Intl.DateTimeFormat>();
  private readonly numbers = new Map<Language, Intl.NumberFormat>();
  private readonly plurals = new Map<Language, Intl.PluralRules>();

  constructor(
    readonly strings: Record<Language, Strings>,
    readonly timeZone = resolveTimeZone(),
  ) {}

  /** Reads and checks every language file; a missing or malformed file stops the service at boot. */
  static load(i18nDir: string, timeZone?: string): Translations {
    const strings = {} as Record<Language, Strings>;
    for (const language of MAIL_LANGUAGES) {
      const file = join(i18nDir, `${language}.json`);
      const result = stringsFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!result.success) {
        const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        throw new Error(`${file} is not a valid strings file:\n  ${problems.join('\n  ')}`);
      }
      strings[language] = result.data;
    }
    return new Translations(strings, timeZone);
  }

  /** A language's text for a key; English when the language lacks it (a translation lagging behind). */
  message(language: Language, key: string): Message {
    const own = Object.hasOwn(this.strings[language], key) ? this.strings[language][key] : undefined;
    if (own !== undefined) return own;
    const english = Object.hasOwn(this.strings.en, key) ? this.strings.en[key] : undefined;
    if (english === undefined) throw new Error(`No mail text "${key}" in templates/mail/i18n/en.json`);
    return english;
  }

  /**
   * The text for a key with its placeholders filled. Dates are written out as long dates; other
   * values as they are, so a year stays "2024" rather than "2 024" (use the number helper for
   * figures that want grouping). A placeholder without a value is a template bug and throws.
   */
  translate(language: Language, key: string, params: Params = {}): string {
    const message = this.message(language, key);
    let text: string;
    if (typeof message === 'string') {
      text = message;
    } else {
      if (params.count === undefined) throw new Error(`Mail text "${key}" has plural forms and needs a count`);
      const category = this.pluralRules(language).select(Number(params.count));
      text = message[category] ?? message.other;
    }
    return text.replace(PLACEHOLDER, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`Mail text "${key}" needs a value for {${name}}`);
      if (value === null) return '';
      return value instanceof Date ? this.formatDate(language, value) : String(value);
    });
  }

  formatDate(language: Language, value: unknown): string {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (date === null || Number.isNaN(date.getTime())) throw new TypeError(`Not a date: ${String(value)}`);
    let format = this.dates.get(language);
    if (!format) {
      format = new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'long', timeZone: this.timeZone });
      this.dates.set(language, format);
    }
    return format.format(date);
  }

  formatNumber(language: Language, value: unknown): string {
    const number = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(number)) throw new TypeError(`Not a number: ${String(value)}`);
    let format = this.numbers.get(language);
    if (!format) {
      format = new Intl.NumberFormat(LOCALES[language]);
      this.numbers.set(language, format);
    }
    return format.format(number);
  }

  private pluralRules(language: Language): Intl.PluralRules {
    let rules = this.plurals.get(language);
    if (!rules) {
      rules = new Intl.PluralRules(LOCALES[language]);
      this.plurals.set(language, rules);
    }
    return rules;
  }
}
