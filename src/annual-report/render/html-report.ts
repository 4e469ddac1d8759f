import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportView } from './report-view.js';
import { ANNUAL_REPORT_TEMPLATES_DIR } from './report-labels.js';

/**
 * The report as one self-contained HTML page (templates/annual-report/report.hbs). Its own
 * Handlebars instance, so nothing registered here meets the mail or page templates, with no
 * helpers at all: the view is fully formatted before it gets here, and the template only places
 * escaped strings. Compiled once; a broken template stops the service at boot.
 */
export class HtmlReport {
  private readonly hbs = Handlebars.create();
  private readonly template: Handlebars.TemplateDelegate<ReportView>;

  constructor(dir = ANNUAL_REPORT_TEMPLATES_DIR) {
    for (const file of readdirSync(join(dir, 'partials'))
      .filter((name) => name.endsWith('.hbs'))
      .sort()) {
      this.hbs.registerPartial(file.replace(/\.hbs$/, ''), this.parse(join(dir, 'partials', file)));
    }
    // strict: a path the view lacks is a bug in report-view.ts, not an empty cell in a board report.
    this.template = this.hbs.compile(this.parse(join(dir, 'report.hbs')), { strict: true, preventIndent: true });
  }

  render(view: ReportView): string {
    return this.template(view);
  }

  private parse(file: string): string {
    const source = readFileSync(file, 'utf8');
    try {
      this.hbs.parse(source);
    } catch (error) {
      throw new Error(`Annual report template ${file}: ${(error as Error).message}`, { cause: error });
    }
    return source;
  }
}
