import i18next, { type i18n as I18next, type TOptions } from 'i18next';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The service's one translation system: every text a person reads (mails, the answer form, the
 * secretariat's pages, the annual report) comes from templates/i18n/<language>/<namespace>.json
 * through i18next, and every number, percentage and date is written by Intl for the language.
 *
 * This file is plain code with no Nest in it, so it runs wherever text is made: in the service,
 * in the mail compose threads (which build their own MailRenderer and so their own I18n from the
 * same JSON files), in the report renderers and in Handlebars helpers. I18nModule hands the same
 * class to Nest with the configured time zone.
 *
 * The files are i18next's JSON format with flat keys ("status_request.intro") and {name}
 * placeholders. A text that depends on a number has one key per plural category of the language,
 * "<key>_one", "<key>_other" (and _zero, _two, _few, _many where a language has them); i18next
 * picks the form with Intl.PluralRules from the `count` parameter.
 */

/** The languages the service speaks, mail and pages alike. */
export const LANGUAGES = ['da', 'sv', 'nb', 'fi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Which languages each namespace is written in; a language without a namespace reads English. */
export const NAMESPACES = {
  /** Every mail the service sends (templates/mail). */
  mail: LANGUAGES,
  /** The answer form and its messages (templates/pages/answer-form.hbs) and the error pages (problem.hbs). */
  form: LANGUAGES,
  /** The secretariat's pages (templates/pages/dashboard). */
  dashboard: LANGUAGES,
  /** The annual report in all its formats (HTML, PDF, DOCX, XLSX); REPORT_LANGUAGES. */
  report: ['da', 'sv', 'nb', 'en'],
  /** The formulas of the figures, for pages and report (src/progress/formula-text.ts); the API keeps English. */
  formula: LANGUAGES,
} as const satisfies Record<string, readonly Language[]>;

export type Namespace = keyof typeof NAMESPACES;
export const NAMESPACE_NAMES = Object.keys(NAMESPACES) as Namespace[];

/** What a missing key is called in the error, as each part of the service always called it. */
const NOUNS: Record<Namespace, string> = {
  mail: 'mail text',
  form: 'page text',
  dashboard: 'page text',
  report: 'annual report label',
  formula: 'formula text',
};

/** English as the British write dates ("1 December 2026"), not the American way. */
export const LOCALES: Record<Language, string> = { da: 'da-DK', sv: 'sv-SE', nb: 'nb-NO', fi: 'fi-FI', en: 'en-GB' };

export const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

/**
 * templates/i18n at the repository root. This file is src/i18n/ or, compiled, dist/i18n/: two
 * levels below the root either way, so the compose threads (run from dist) find the same files.
 */
export const DEFAULT_I18N_DIR = resolve(import.meta.dirname, '../../templates/i18n');

const DEFAULT_TIME_ZONE = 'Europe/Copenhagen';

export type Params = Record<string, unknown>;

/** A text as a person reads it: one string, or its plural forms by Intl.PluralRules category. */
export type Message = string | Partial<Record<(typeof PLURAL_CATEGORIES)[number], string>>;

const resourceFile = z.record(
  z.string().regex(/^[A-Za-z0-9_.]+$/, 'a key is letters, digits, "_" and "." (":" separates a namespace)'),
  z.string(),
);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** An unknown language (a bad database value, a typo in config) gets English rather than an error. */
export function toLanguage(value: unknown): Language {
  return isLanguage(value) ? value : 'en';
}

/**
 * The zone dates are shown in. An empty TZ or a POSIX form Intl does not know (":/etc/localtime")
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

const PLACEHOLDER = /\{(\w+)\}/g;

/** The {name} placeholders of a text, or of all its plural forms together. */
export function placeholdersOf(message: Message): Set<string> {
  const texts = typeof message === 'string' ? [message] : Object.values(message).filter((t): t is string => t !== undefined);
  return new Set(texts.flatMap((text) => [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!)));
}

/**
 * A namespace file's keys as texts: "<key>_one" and "<key>_other" become one plural Message under
 * "<key>". A key only counts as a plural form when its "_other" form exists, so "page.too_many"
 * stays a key of its own.
 */
export function messagesOf(strings: Record<string, string>): Record<string, Message> {
  const messages: Record<string, Message> = {};
  for (const [key, text] of Object.entries(strings)) {
    const match = /^(.+)_(zero|one|two|few|many|other)$/.exec(key);
    if (match && Object.hasOwn(strings, `${match[1]}_other`)) {
      const forms = (messages[match[1]!] ??= {}) as Exclude<Message, string>;
      forms[match[2] as keyof typeof forms] = text;
    } else {
      messages[key] = text;
    }
  }
  return messages;
}

export type Resources = Record<Language, Partial<Record<Namespace, Record<string, string>>>>;

/** Reads every namespace file; a missing or malformed file stops the service at boot. */
export function readResources(dir = DEFAULT_I18N_DIR): Resources {
  const resources = Object.fromEntries(LANGUAGES.map((language) => [language, {}])) as Resources;
  for (const ns of NAMESPACE_NAMES) {
    for (const language of NAMESPACES[ns]) {
      const file = join(dir, language, `${ns}.json`);
      if (!existsSync(file)) throw new Error(`${file} is missing: the ${ns} texts are written in ${NAMESPACES[ns].join(', ')}`);
      const result = resourceFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!result.success) {
        const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        throw new Error(`${file} is not a valid i18next strings file:\n  ${problems.join('\n  ')}`);
      }
      resources[language][ns] = result.data;
    }
  }
  return resources;
}

export interface I18nOptions {
  /** templates/i18n unless given (tests, a deployment's own texts). */
  dir?: string;
  /** The zone dates are shown in; TZ (or Copenhagen) unless given. */
  timeZone?: string;
}

/** Translates with one namespace, or several looked up in order: what a renderer binds once. */
export type Translate = (language: string, key: string, params?: Params) => string;

export class I18n {
  readonly timeZone: string;
  private readonly i18next: I18next;
  /** Texts without parameters, by language, namespaces and key: the report asks for a state's name per row. */
  private readonly plain = new Map<string, string>();
  private readonly formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
  /** Keys (with their namespaces) English is known to have: checked once, asked for on every mail. */
  private readonly known = new Set<string>();

  constructor(
    readonly resources: Resources,
    timeZone?: string,
  ) {
    this.timeZone = resolveTimeZone(timeZone);
    this.i18next = i18next.createInstance();
    // With the resources given and initAsync off, init is synchronous: t works when it returns.
    void this.i18next.init({
      resources: resources,
      initAsync: false,
      lng: 'en',
      fallbackLng: 'en',
      supportedLngs: [...LANGUAGES],
      ns: NAMESPACE_NAMES,
      defaultNS: false,
      // Flat keys with dots; "report:figure.total" names a namespace.
      keySeparator: false,
      nsSeparator: ':',
      returnNull: false,
      returnEmptyString: true,
      interpolation: {
        prefix: '{',
        suffix: '}',
        // Handlebars escapes what goes into HTML; text parts, subjects, DOCX and XLSX want the text as it is.
        escapeValue: false,
        skipOnVariables: true,
      },
    });
  }

  static load(options: I18nOptions = {}): I18n {
    return new I18n(readResources(options.dir), options.timeZone);
  }

  locale(language: string): string {
    return LOCALES[toLanguage(language)];
  }

  /**
   * The text for a key in a language, its placeholders filled: "ns:key", or the key with the
   * namespace(s) to look in. A language lacking the key gets the English text (a translation
   * lagging behind; the tests keep every file complete). A key English lacks, a plural text
   * without a count and a placeholder without a value are bugs and throw. Date values become
   * long dates; other values are written as they are, so a year stays "2024" rather than "2 024"
   * (format figures with number()).
   */
  t(language: string, key: string, params: Params = {}, ns?: Namespace | readonly Namespace[]): string {
    const lng = toLanguage(language);
    const colon = key.indexOf(':');
    const namespaces: readonly string[] = colon >= 0 ? [key.slice(0, colon)] : typeof ns === 'string' ? [ns] : (ns ?? []);
    const bare = colon >= 0 ? key.slice(colon + 1) : key;
    const hasParams = Object.keys(params).length > 0;
    const memo = hasParams ? undefined : `${lng}\u0000${namespaces.join(',')}\u0000${bare}`;
    if (memo !== undefined) {
      const known = this.plain.get(memo);
      if (known !== undefined) return known;
    }
    const noun = NOUNS[namespaces[0] as Namespace] ?? 'text';
    const replace: Params = {};
    for (const [name, value] of Object.entries(params)) replace[name] = value instanceof Date ? this.date(lng, value) : value;
    const count = params.count === undefined || params.count === null ? undefined : Number(params.count);
    const options: TOptions = {
      lng,
      ns: [...namespaces],
      ...(count === undefined || Number.isNaN(count) ? {} : { count }),
      replace,
      // No $t(…) nesting: a value (an organisation's name) is never read as a key.
      nest: false,
      missingInterpolationHandler: (_text: string, match: RegExpExecArray) => {
        throw new Error(`${noun.charAt(0).toUpperCase()}${noun.slice(1)} "${bare}" needs a value for {${match[1]}}`);
      },
    };
    const checked = `${namespaces.join(',')}\u0000${bare}\u0000${options.count === undefined ? '' : 'count'}`;
    if (!this.known.has(checked) && (namespaces.length === 0 || !this.i18next.exists(bare, { ...options, lng: 'en' }))) {
      const files = namespaces.map((name) => `templates/i18n/en/${name}.json`).join(' or ') || 'any namespace (write "ns:key")';
      const plural = namespaces.length > 0 && this.i18next.exists(`${bare}_other`, { ...options, lng: 'en', count: undefined });
      throw new Error(plural ? `The ${noun} "${bare}" has plural forms and needs a count` : `No ${noun} "${bare}" in ${files}`);
    }
    this.known.add(checked);
    const text: string = this.i18next.t(bare, options);
    if (memo !== undefined) this.plain.set(memo, text);
    return text;
  }

  /** t bound to a namespace, or to namespaces looked up in order (the pages also use the mail texts). */
  translator(ns: Namespace | readonly Namespace[]): Translate {
    return (language, key, params) => this.t(language, key, params, ns);
  }

  /** A namespace's texts in a language, plural forms grouped (for checks; rendering uses t). */
  messages(language: Language, ns: Namespace): Record<string, Message> {
    return messagesOf(this.resources[language][ns] ?? {});
  }

  /** A moment (a Date or an ISO string) as a long date in the time zone: "1. december 2026". */
  date(language: string, value: unknown): string {
    return this.dateFormat(language, 'date', { dateStyle: 'long', timeZone: this.timeZone }).format(toDate(value));
  }

  /** A moment as a long date and a short time in the time zone. */
  dateTime(language: string, value: unknown): string {
    return this.dateFormat(language, 'dateTime', { dateStyle: 'long', timeStyle: 'short', timeZone: this.timeZone }).format(toDate(value));
  }

  /** A calendar day (YYYY-MM-DD) as a long date, whatever the time zone. */
  day(language: string, day: string): string {
    return this.dateFormat(language, 'day', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
  }

  /** A figure as the language writes it: "1.234" (da), "1 234" (sv), "1,234" (en). */
  number(language: string, value: unknown, options: Intl.NumberFormatOptions = {}): string {
    const number = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(number)) throw new TypeError(`Not a number: ${String(value)}`);
    return this.numberFormat(language, options).format(number);
  }

  /** A ratio 0…1 as a percentage: "48,6 %" (da, sv, nb, fi), "48.6%" (en); one decimal unless told. */
  percent(
    language: string,
    ratio: number,
    options: Intl.NumberFormatOptions = { minimumFractionDigits: 1, maximumFractionDigits: 1 },
  ): string {
    return this.numberFormat(language, { style: 'percent', ...options }).format(ratio);
  }

  private numberFormat(language: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
    const id = `number\u0000${language}\u0000${JSON.stringify(options)}`;
    let format = this.formats.get(id) as Intl.NumberFormat | undefined;
    if (!format) {
      format = new Intl.NumberFormat(this.locale(language), options);
      this.formats.set(id, format);
    }
    return format;
  }

  private dateFormat(language: string, name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
    const id = `${name}\u0000${language}`;
    let format = this.formats.get(id) as Intl.DateTimeFormat | undefined;
    if (!format) {
      format = new Intl.DateTimeFormat(this.locale(language), options);
      this.formats.set(id, format);
    }
    return format;
  }
}

function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) throw new TypeError(`Not a date: ${String(value)}`);
  return date;
}

let shared: I18n | undefined;

/** The process's (or thread's) I18n over templates/i18n in the TZ zone, read on first use. */
export function i18n(): I18n {
  return (shared ??= I18n.load());
}

/**
 * The pure translation function: t("da", "mail:status_request.deadline", { deadline }) anywhere,
 * in a thread or a helper, without Nest.
 */
export function t(language: string, key: string, params?: Params): string {
  return i18n().t(language, key, params);
}
