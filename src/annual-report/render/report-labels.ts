import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { REPORT_LANGUAGES, type ReportLanguage } from '../annual-report.content.js';

/** templates/annual-report at the repository root (this file is src/annual-report/render/ or dist/annual-report/render/). */
export const ANNUAL_REPORT_TEMPLATES_DIR = resolve(import.meta.dirname, '../../../templates/annual-report');

const labelsFile = z.record(z.string(), z.string()).refine((labels) => typeof labels.locale === 'string', 'needs a "locale" (e.g. da-DK)');

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * The report's words in Danish, Swedish, Norwegian and English (templates/annual-report/i18n).
 * Every file must have exactly the keys of en.json: a label missing in one language stops the
 * service at boot instead of showing a key in a report sent to a board. Numbers and dates are
 * formatted by Intl for the language, in the service's time zone, so the same snapshot always
 * reads the same.
 */
export class ReportLabels {
  private readonly percents = new Map<ReportLanguage, Intl.NumberFormat>();
  private readonly numbers = new Map<ReportLanguage, Intl.NumberFormat>();
  private readonly dates = new Map<ReportLanguage, Intl.DateTimeFormat>();
  private readonly dateTimes = new Map<ReportLanguage, Intl.DateTimeFormat>();

  constructor(
    private readonly labels: Record<ReportLanguage, Record<string, string>>,
    readonly timeZone: string,
  ) {}

  static load(timeZone: string, dir = ANNUAL_REPORT_TEMPLATES_DIR): ReportLabels {
    const labels = {} as Record<ReportLanguage, Record<string, string>>;
    for (const language of REPORT_LANGUAGES) {
      const file = join(dir, 'i18n', `${language}.json`);
      const result = labelsFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!result.success)
        throw new Error(`${file}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      labels[language] = result.data;
    }
    const keys = Object.keys(labels.en).sort();
    for (const language of REPORT_LANGUAGES) {
      const own = new Set(Object.keys(labels[language]));
      const missing = keys.filter((key) => !own.has(key));
      const extra = [...own].filter((key) => !(key in labels.en));
      if (missing.length || extra.length) {
        throw new Error(
          `templates/annual-report/i18n/${language}.json: missing ${missing.join(', ') || 'nothing'}; not in en.json: ${extra.join(', ') || 'nothing'}`,
        );
      }
    }
    return new ReportLabels(labels, timeZone);
  }

  locale(language: ReportLanguage): string {
    return this.labels[language].locale!;
  }

  t(language: ReportLanguage, key: string, params: Record<string, unknown> = {}): string {
    const text = this.labels[language][key];
    if (text === undefined) throw new Error(`No annual report label "${key}"`);
    return text.replace(PLACEHOLDER, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`Annual report label "${key}" needs {${name}}`);
      return value === null ? '' : String(value);
    });
  }

  /** A ratio 0…1 as "42,9 %" (da) or "42.9%" (en); "–" for no figure. */
  percent(language: ReportLanguage, ratio: number | null): string {
    if (ratio === null) return this.t(language, 'figure.none');
    let format = this.percents.get(language);
    if (!format) {
      format = new Intl.NumberFormat(this.locale(language), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
      this.percents.set(language, format);
    }
    return format.format(ratio);
  }

  number(language: ReportLanguage, value: number): string {
    let format = this.numbers.get(language);
    if (!format) {
      format = new Intl.NumberFormat(this.locale(language), { maximumFractionDigits: 1 });
      this.numbers.set(language, format);
    }
    return format.format(value);
  }

  date(language: ReportLanguage, iso: string): string {
    let format = this.dates.get(language);
    if (!format) {
      format = new Intl.DateTimeFormat(this.locale(language), { dateStyle: 'long', timeZone: this.timeZone });
      this.dates.set(language, format);
    }
    return format.format(new Date(iso));
  }

  /** A calendar day (YYYY-MM-DD) as a long date, whatever the time zone. */
  day(language: ReportLanguage, day: string): string {
    return new Intl.DateTimeFormat(this.locale(language), { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
  }

  dateTime(language: ReportLanguage, iso: string): string {
    let format = this.dateTimes.get(language);
    if (!format) {
      format = new Intl.DateTimeFormat(this.locale(language), { dateStyle: 'long', timeStyle: 'short', timeZone: this.timeZone });
      this.dateTimes.set(language, format);
    }
    return format.format(new Date(iso));
  }

  /** "2021", "2022–2023", or the language's "no year". */
  due(language: ReportLanguage, dueFrom: number | null, dueTo: number | null): string {
    if (dueFrom === null && dueTo === null) return this.t(language, 'due.none');
    if (dueFrom === null || dueTo === null || dueFrom === dueTo) return String(dueTo ?? dueFrom);
    return `${dueFrom}–${dueTo}`;
  }
}
