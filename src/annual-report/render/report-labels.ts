import { resolve } from 'node:path';
import type { I18n, Params } from '../../i18n/i18n.js';
import type { Figures } from '../../progress/attainment.formulas.js';
import { formulaText, type FigureName } from '../../progress/formula-text.js';
import type { ReportLanguage } from '../annual-report.content.js';

/** templates/annual-report at the repository root (this file is src/annual-report/render/ or dist/annual-report/render/). */
export const ANNUAL_REPORT_TEMPLATES_DIR = resolve(import.meta.dirname, '../../../templates/annual-report');

/**
 * The report's words and figures as every renderer (HTML, PDF, DOCX, XLSX) writes them: the
 * service's I18n (src/i18n) with the "report" namespace (templates/i18n/<language>/report.json)
 * and the report's conventions for figures. Numbers and dates are formatted by Intl for the
 * language, in the service's time zone, so the same snapshot always reads the same.
 */
export class ReportLabels {
  constructor(private readonly i18n: I18n) {}

  get timeZone(): string {
    return this.i18n.timeZone;
  }

  /** The BCP 47 locale of the language (da-DK …), for the documents' own language tags. */
  locale(language: ReportLanguage): string {
    return this.i18n.locale(language);
  }

  t(language: ReportLanguage, key: string, params: Params = {}): string {
    return this.i18n.t(language, key, params, 'report');
  }

  /** A ratio 0…1 as "42,9 %" (da) or "42.9%" (en); "–" for no figure. */
  /**
   * The report's title as a file name in its language: "Årsrapport 2023" → "arsrapport-2023",
   * letters without their marks (æ and ø spelt out), so every mail client and file system keeps it.
   */
  fileName(language: ReportLanguage, year: number): string {
    return this.t(language, 'report.title', { year })
      .toLowerCase()
      .replace(/æ/g, 'ae')
      .replace(/ø/g, 'o')
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  }

  percent(language: ReportLanguage, ratio: number | null): string {
    return ratio === null ? this.t(language, 'figure.none') : this.i18n.percent(language, ratio);
  }

  /** A figure's formula in the report's language, with its numbers as the language writes them. */
  formula(language: ReportLanguage, name: FigureName, figures: Figures): string {
    return formulaText(this.i18n, language, name, figures);
  }

  number(language: ReportLanguage, value: number): string {
    return this.i18n.number(language, value, { maximumFractionDigits: 1 });
  }

  date(language: ReportLanguage, iso: string): string {
    return this.i18n.date(language, iso);
  }

  /** A calendar day (YYYY-MM-DD) as a long date, whatever the time zone. */
  day(language: ReportLanguage, day: string): string {
    return this.i18n.day(language, day);
  }

  /** The calendar year of an instant in the service's time zone (what the secretariat calls "received in 2023"). */
  yearOf(iso: string): number {
    return Number(new Intl.DateTimeFormat('en', { timeZone: this.timeZone, year: 'numeric' }).format(new Date(iso)));
  }

  dateTime(language: ReportLanguage, iso: string): string {
    return this.i18n.dateTime(language, iso);
  }

  /** "2021", "2022–2023", or the language's "no year". */
  due(language: ReportLanguage, dueFrom: number | null, dueTo: number | null): string {
    if (dueFrom === null && dueTo === null) return this.t(language, 'due.none');
    if (dueFrom === null || dueTo === null || dueFrom === dueTo) return String(dueTo ?? dueFrom);
    return `${dueFrom}–${dueTo}`;
  }
}
