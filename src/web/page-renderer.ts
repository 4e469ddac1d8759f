import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_TEMPLATES_DIR } from '../mail/templates/mail-renderer.js';
import { registerHelpers } from '../mail/templates/helpers.js';
import { MAIL_LANGUAGES, type Language } from '../mail/templates/mail-data.js';
import { toLanguage, Translations, type Strings } from '../mail/templates/translations.js';

export const PAGES_DIR = resolve(import.meta.dirname, '../../templates/pages');

/**
 * Server-rendered pages (the answer form, and the secretariat's pages). Its own Handlebars
 * instance, with the mail helpers (t, date, number, state, due) over the mail strings plus the
 * page strings in templates/pages/i18n, so a state is called the same in a mail and on a page.
 * HTML is escaped everywhere; no template uses triple braces except for the rendered body.
 */
@Injectable()
export class PageRenderer {
  private readonly hbs = Handlebars.create();
  private readonly translations: Translations;
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor() {
    const mail = Translations.load(join(DEFAULT_TEMPLATES_DIR, 'i18n'));
    const pages = Translations.load(join(PAGES_DIR, 'i18n'));
    const strings = Object.fromEntries(
      MAIL_LANGUAGES.map((language) => [language, { ...mail.strings[language], ...pages.strings[language] }]),
    ) as Record<Language, Strings>;
    this.translations = new Translations(strings);
    registerHelpers(this.hbs, this.translations);
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.hbs.registerHelper('or', (a: unknown, b: unknown) => a || b);
    this.hbs.registerHelper('percentWidth', (value: unknown) => (typeof value === 'number' ? Math.round(value * 100) : 0));
    this.hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
    this.hbs.registerHelper('percent', (value: unknown) => (typeof value === 'number' ? `${Math.round(value * 1000) / 10} %` : '–'));
    for (const file of readdirSync(join(PAGES_DIR, 'partials'))) {
      this.hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(PAGES_DIR, 'partials', file), 'utf8'));
    }
    for (const file of readdirSync(PAGES_DIR, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.hbs'))) {
      if (file.startsWith('layouts') || file.startsWith('partials')) continue;
      this.pages.set(file.replace(/\.hbs$/, ''), this.hbs.compile(readFileSync(join(PAGES_DIR, file), 'utf8')));
    }
    this.layout = this.hbs.compile(readFileSync(join(PAGES_DIR, 'layouts', 'page.hbs'), 'utf8'));
  }

  render(page: string, language: string, title: string, data: object): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`No page template ${page}.hbs in templates/pages`);
    const lang = toLanguage(language);
    const privateData = { language: lang, format: 'html' };
    const body = template(data, { data: privateData });
    return this.layout({ ...data, title }, { data: { ...privateData, body } });
  }

  t(language: string, key: string, params?: Record<string, unknown>): string {
    return this.translations.translate(toLanguage(language), key, params);
  }
}
