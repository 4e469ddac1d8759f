import type Handlebars from 'handlebars';
import { toLanguage, type I18n, type Namespace } from './i18n.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';

/**
 * The helpers every mail template can use. The renderer passes the language and the output format
 * as private data (@language, @format), which Handlebars hands down into every block and partial,
 * so no template has to thread the language through and the caller's data stays untouched.
 *
 * Helpers return plain strings: in HTML templates Handlebars escapes them, in text templates
 * (compiled with noEscape) they come out as written. Only `multiline` builds markup, and it
 * escapes the text itself.
 */

type HandlebarsEnv = typeof Handlebars;
type Options = Handlebars.HelperOptions;

export type Format = 'html' | 'text';

export interface MailPrivateData {
  language: string;
  format: Format;
  subject: string;
  /** The rendered body, for the layout only. */
  body?: string;
}

const languageOf = (options: Options) => toLanguage((options.data as MailPrivateData | undefined)?.language);

/**
 * Texts come from the I18n (src/i18n) in the namespaces given, looked up in order: the mails read
 * "mail", the pages their own namespaces and then "mail", so a state is called the same in both.
 */
export function registerHelpers(hbs: HandlebarsEnv, i18n: I18n, namespaces: readonly Namespace[] = ['mail']): void {
  const translate = i18n.translator(namespaces);

  /** {{t "key" name=value}}; with count=n the key's plural form for n is used. */
  hbs.registerHelper('t', (key: unknown, options: Options) => {
    if (typeof key !== 'string') throw new Error(`The t helper needs a key, got ${String(key)}`);
    return translate(languageOf(options), key, options.hash);
  });

  hbs.registerHelper('date', (value: unknown, options: Options) => i18n.date(languageOf(options), value));

  hbs.registerHelper('number', (value: unknown, options: Options) => i18n.number(languageOf(options), value));

  hbs.registerHelper('state', (value: unknown, options: Options) => translate(languageOf(options), `state.${String(value)}`));

  /** "2021", "2023–2024", or the language's "no year set". */
  hbs.registerHelper('due', (milestone: { dueFrom: number | null; dueTo: number | null }, options: Options) => {
    const { dueFrom, dueTo } = milestone;
    if (dueFrom === null || dueFrom === undefined) return translate(languageOf(options), 'due.none');
    return dueTo === null || dueTo === undefined || dueTo === dueFrom ? String(dueFrom) : `${dueFrom}–${dueTo}`;
  });

  /** The words a reply may use for each state, in the mail's language, in the plan's order. */
  hbs.registerHelper('replyWords', (options: Options) =>
    MILESTONE_STATES.map((state) => ({ state, word: translate(languageOf(options), `reply_word.${state}`) })),
  );

  /**
   * What the reply examples refer to: the first milestone's number, and a label from the plan when
   * one has a year or number in it (so the example shows labels work), otherwise another number.
   */
  hbs.registerHelper('replyRefs', (milestones: { number: number; label: string | null; reference?: string | null }[]) => {
    const first = milestones[0];
    const labelled = milestones.find((m) => m !== first && m.label !== null && /\d/.test(m.label));
    const second = (labelled?.reference ?? labelled?.label?.trim().replace(/\s*:$/, '')) || milestones.at(-1)?.number;
    // A reference with a letter ("MP2023-a") shows best that references tell shared labels apart.
    const lettered = milestones.find((m) => m.reference && m.label && m.reference !== m.label.trim().replace(/\s*:$/, ''));
    return {
      first: first?.number ?? 1,
      second: second === undefined || milestones.length < 2 ? null : second,
      reference: lettered?.reference ?? labelled?.reference ?? null,
    };
  });

  /**
   * Why a reply line was not read, in the mail's language: the reply reader's reason code and
   * values (mail texts "unread.<code>"). Older confirmations stored the line alone: no reason.
   */
  hbs.registerHelper('unreadReason', (item: unknown, options: Options) => {
    if (typeof item !== 'object' || item === null || typeof (item as { code?: unknown }).code !== 'string') return '';
    const { code, params } = item as { code: string; params?: Record<string, unknown> };
    return translate(languageOf(options), `unread.${code}`, params ?? {});
  });

  /** Why an attached file was not kept, with its name and the limit: mail texts "refused_file.<code>". */
  hbs.registerHelper('fileRefusal', (item: unknown, options: Options) => {
    if (typeof item !== 'object' || item === null || typeof (item as { code?: unknown }).code !== 'string') return '';
    const { code, name, params } = item as { code: string; name?: unknown; params?: Record<string, unknown> };
    return translate(languageOf(options), `refused_file.${code}`, { name, ...(params ?? {}) });
  });

  /** The line of an unread item, whether stored as a string (older confirmations) or with its reason. */
  hbs.registerHelper('unreadLine', (item: unknown) => {
    const line = typeof item === 'object' && item !== null ? (item as { line?: unknown }).line : item;
    return typeof line === 'string' ? line : '';
  });

  /**
   * A key built from a prefix and a value: {{t (key "format" format)}} for "format.pdf". A code
   * with hyphens ("status-request") finds its key with underscores, as keys are written.
   */
  hbs.registerHelper('key', (prefix: unknown, value: unknown) => `${String(prefix)}.${String(value).replace(/-/g, '_')}`);

  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);

  /** {{#if}} treats 0 as false; a progress of 0 % is still worth showing. */
  hbs.registerHelper('isNumber', (value: unknown) => typeof value === 'number' && Number.isFinite(value));

  /**
   * Comments keep their line breaks: <br> in HTML (Outlook ignores white-space: pre-line), and in
   * text the following lines are indented by indent="…" to stay under their heading.
   */
  hbs.registerHelper('multiline', (value: string | number | null | undefined, options: Options) => {
    const lines = (value === null || value === undefined ? '' : String(value)).split(/\r\n?|\n/);
    if ((options.data as MailPrivateData).format === 'text') {
      const indent = typeof options.hash.indent === 'string' ? options.hash.indent : '';
      return lines.join(`\n${indent}`);
    }
    return new hbs.SafeString(lines.map((line) => hbs.escapeExpression(line)).join('<br>'));
  });
}
