import { Inject, Injectable, type HttpException } from '@nestjs/common';
import { Refusal } from '../common/refusal.js';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { I18n, toLanguage, type Namespace, type Params } from '../i18n/i18n.js';
import { registerHelpers } from '../i18n/template-helpers.js';
import { actorText } from './actor.js';

/** Statuses with a heading of their own; others read as their class (400, 500). */
const HEADINGS = new Set([400, 401, 403, 404, 405, 409, 410, 413, 429]);

export const PAGES_DIR = resolve(import.meta.dirname, '../../templates/pages');

/**
 * Where the pages look a key up, in order: the secretariat's pages, the answer form, then the
 * mail texts, so a state is called the same in a mail and on a page.
 */
export const PAGE_NAMESPACES: readonly Namespace[] = ['dashboard', 'form', 'mail'];

/**
 * Server-rendered pages (the answer form, and the secretariat's pages). Its own Handlebars
 * instance, with the mail helpers (t, date, number, state, due) over the page and mail texts of
 * templates/i18n (see PAGE_NAMESPACES). HTML is escaped everywhere; no template uses triple
 * braces except for the rendered body.
 */
@Injectable()
export class PageRenderer {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(@Inject(I18n) private readonly i18n: I18n) {
    registerHelpers(this.hbs, i18n, PAGE_NAMESPACES);
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.hbs.registerHelper('or', (a: unknown, b: unknown) => a || b);
    this.hbs.registerHelper('percentWidth', (value: unknown) => (typeof value === 'number' ? Math.round(value * 100) : 0));
    this.hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
    // A ratio as the page's language writes a percentage, to one decimal: "48,6 %" (da, sv, nb, fi), "48.6%" (en).
    this.hbs.registerHelper('percent', (value: unknown, options: Handlebars.HelperOptions) =>
      typeof value === 'number' ? i18n.percent((options.data as { language: string }).language, value, { maximumFractionDigits: 1 }) : '–',
    );
    // A whole number of percent (a milestone's progress) as the language writes it: "50 %" (sv), "50%" (en).
    this.hbs.registerHelper('progress', (value: unknown, options: Handlebars.HelperOptions) =>
      typeof value === 'number'
        ? i18n.percent((options.data as { language: string }).language, value / 100, { maximumFractionDigits: 0 })
        : '–',
    );
    // A file's size as the language writes it: "340 kB", "1,2 MB".
    this.hbs.registerHelper('bytes', (value: unknown, options: Handlebars.HelperOptions) => {
      const bytes = typeof value === 'number' ? value : 0;
      const [amount, unit] = bytes < 1024 * 1024 ? [Math.max(1, bytes / 1024), 'kilobyte'] : [bytes / (1024 * 1024), 'megabyte'];
      return i18n.number((options.data as { language: string }).language, amount, {
        style: 'unit',
        unit,
        maximumFractionDigits: bytes < 1024 * 1024 ? 0 : 1,
      });
    });
    this.hbs.registerHelper('actor', (value: unknown, options: Handlebars.HelperOptions) =>
      actorText(i18n, (options.data as { language: string }).language, typeof value === 'string' ? value : ''),
    );
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

  /**
   * What a refused request says to a person: a Refusal by its text key, its field by its label and
   * large numbers as the language writes them; anything else by its status, with the English detail.
   */
  problem(language: string, error: HttpException): { heading: string; message: string; detail?: string } {
    const status = error.getStatus();
    const kind = HEADINGS.has(status) ? status : status >= 500 ? 500 : 400;
    const heading = this.t(language, `problem.heading_${kind}`);
    if (error instanceof Refusal) {
      const params: Params = { ...error.params };
      for (const [name, value] of Object.entries(params)) {
        if (typeof value === 'number' && Math.abs(value) >= 10_000) params[name] = this.i18n.number(toLanguage(language), value);
      }
      if (error.field) params.field = this.t(language, `problem.field.${error.field}`);
      return { heading, message: this.t(language, error.key, params) };
    }
    const message = this.t(language, `problem.status_${kind}`);
    if (status >= 500) return { heading, message };
    const response = error.getResponse();
    const detail = typeof response === 'string' ? response : (response as { message?: string | string[] }).message;
    return { heading, message, detail: Array.isArray(detail) ? detail.join('; ') : String(detail ?? error.message) };
  }

  /** A helper a page module adds (the dashboard's formulas, which come from a layer above this one). */
  registerHelper(name: string, helper: Handlebars.HelperDelegate): void {
    this.hbs.registerHelper(name, helper);
  }

  t(language: string, key: string, params?: Params): string {
    return this.i18n.t(toLanguage(language), key, params, PAGE_NAMESPACES);
  }
}
