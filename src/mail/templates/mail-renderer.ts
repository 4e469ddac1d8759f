import { Inject, Injectable, Optional } from '@nestjs/common';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_I18N_DIR, i18n, I18n, toLanguage, type Params } from '../../i18n/i18n.js';
import { registerHelpers, type Format, type MailPrivateData } from '../../i18n/template-helpers.js';
import { MAIL_TEMPLATE_NAMES, type Language, type MailData, type MailTemplateName, type RenderedMail } from './mail-data.js';
import { oneLine, SUBJECTS, type SubjectText } from './subjects.js';

/** Provide this token to read the templates from somewhere else (tests, a deployment's own texts). */
export const MAIL_TEMPLATES_DIR = Symbol('MAIL_TEMPLATES_DIR');

/** Provide this token to read the texts (templates/i18n/<language>/mail.json) from somewhere else. */
export const MAIL_I18N_DIR = Symbol('MAIL_I18N_DIR');

/**
 * templates/mail at the repository root. This file is src/mail/templates/ or, compiled,
 * dist/mail/templates/: three levels below the root either way.
 */
export const DEFAULT_TEMPLATES_DIR = resolve(import.meta.dirname, '../../../templates/mail');

const FORMATS: Format[] = ['html', 'text'];

type Compiled = Handlebars.TemplateDelegate;

/**
 * Renders every mail the service sends, in the recipient's language, as a subject, an HTML part
 * and a plain-text part.
 *
 * Each mail is templates/mail/<name>.html.hbs and <name>.text.hbs, wrapped in
 * layouts/base.<format>.hbs, with partials/<partial>.<format>.hbs available as {{> partial}}: the
 * same partial name gives the HTML or the text version, so both templates read alike. Texts come
 * from templates/i18n/<language>/mail.json through the helpers (see helpers.ts and src/i18n). The
 * compose threads build their own MailRenderer, which reads the same files.
 *
 * The data may have been through JSON (the outbox stores it), so dates can arrive as ISO strings:
 * templates format every date with the date helper, which takes both.
 *
 * Everything is read and parsed once, at construction, so a broken template stops the service at
 * boot instead of failing the first mail. The Handlebars instance is our own: helpers and partials
 * registered here cannot clash with anything else in the process.
 */
@Injectable()
export class MailRenderer {
  private readonly hbs = Handlebars.create();
  private readonly i18n: I18n;
  private readonly templates = new Map<MailTemplateName, Record<Format, Compiled>>();
  private readonly layouts: Record<Format, Compiled>;
  private readonly partials: Record<Format, Record<string, Compiled>> = { html: {}, text: {} };

  constructor(
    @Optional() @Inject(MAIL_TEMPLATES_DIR) templatesDir: string = DEFAULT_TEMPLATES_DIR,
    @Optional() @Inject(MAIL_I18N_DIR) i18nDir: string = DEFAULT_I18N_DIR,
  ) {
    // Dates in the zone of TZ, as the compose threads (which have no configuration) show them too.
    this.i18n = i18nDir === DEFAULT_I18N_DIR ? i18n() : I18n.load({ dir: i18nDir });
    registerHelpers(this.hbs, this.i18n, ['mail']);
    const compile = (file: string, format: Format) => this.compile(join(templatesDir, file), format);

    this.layouts = { html: compile('layouts/base.html.hbs', 'html'), text: compile('layouts/base.text.hbs', 'text') };
    for (const file of readdirSync(join(templatesDir, 'partials')).sort()) {
      const match = /^(.+)\.(html|text)\.hbs$/.exec(file);
      if (match) this.partials[match[2] as Format][match[1]!] = compile(`partials/${file}`, match[2] as Format);
    }
    for (const name of MAIL_TEMPLATE_NAMES) {
      this.templates.set(name, { html: compile(`${name}.html.hbs`, 'html'), text: compile(`${name}.text.hbs`, 'text') });
    }
  }

  /** An unknown language falls back to English. */
  render<N extends MailTemplateName>(name: N, language: Language, data: MailData[N]): RenderedMail {
    const lang = toLanguage(language);
    const subjectOf = SUBJECTS[name] as (data: MailData[N]) => SubjectText;
    const { key, params } = subjectOf(data);
    const subject = oneLine(this.i18n.t(lang, key, params, 'mail'));
    const [html, text] = FORMATS.map((format) => this.renderFormat(name, format, lang, subject, data));
    return { subject, html: html!, text: tidyText(text!) };
  }

  /** A mail text outside a template, e.g. the reply words (reply_word.<state>) for the reply reader. */
  translate(language: Language, key: string, params?: Params): string {
    return this.i18n.t(toLanguage(language), key, params, 'mail');
  }

  private renderFormat(name: MailTemplateName, format: Format, language: Language, subject: string, data: object): string {
    const template = this.templates.get(name)![format];
    const partials = this.partials[format];
    const privateData: MailPrivateData = { language, format, subject };
    const body = template(data, { data: privateData, partials });
    return this.layouts[format](data, { data: { ...privateData, body }, partials });
  }

  private compile(file: string, format: Format): Compiled {
    const source = readFileSync(file, 'utf8');
    try {
      // compile() is lazy; parsing now reports syntax errors at boot, with the file's name.
      this.hbs.parse(source);
    } catch (error) {
      throw new Error(`Mail template ${file}: ${(error as Error).message}`, { cause: error });
    }
    return this.hbs.compile(source, { noEscape: format === 'text' });
  }
}

/** Handlebars leaves the blank lines of skipped blocks behind; plain text wants at most one in a row. */
function tidyText(text: string): string {
  return `${text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
