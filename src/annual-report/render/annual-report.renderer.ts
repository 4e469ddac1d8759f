import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '../../config/config.module.js';
import { I18n } from '../../i18n/i18n.js';
import type { AnnualReportContent, ReportFormat } from '../annual-report.content.js';
import { HtmlReport } from './html-report.js';
import { ReportLabels } from './report-labels.js';
import { reportView } from './report-view.js';

export interface RenderedReport {
  files: { format: ReportFormat; content: Uint8Array<ArrayBuffer> }[];
  /** Milliseconds per format, for the log. */
  timings: Record<ReportFormat, number>;
}

/**
 * Every format of a report, from its snapshot only. The texts (I18nModule) and the template are
 * read once, at boot, so a malformed text file or a broken template stops the service rather than
 * a report.
 * The PDF, DOCX and XLSX renderers are loaded on first use instead: playwright-core, docx and
 * exceljs together weigh well over 100 MiB of memory, and an API process never renders a report.
 */
@Injectable()
export class AnnualReportRenderer {
  readonly labels: ReportLabels;
  private readonly html = new HtmlReport();

  constructor(
    private readonly config: AppConfig,
    @Inject(I18n) i18n: I18n,
  ) {
    this.labels = new ReportLabels(i18n);
  }

  renderHtml(content: AnnualReportContent): string {
    return this.html.render(reportView(content, this.labels));
  }

  async renderAll(content: AnnualReportContent): Promise<RenderedReport> {
    const timings = {} as Record<ReportFormat, number>;
    const timed = async <T>(format: ReportFormat, run: () => T | Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await run();
      } finally {
        timings[format] = Math.round(performance.now() - started);
      }
    };
    const view = reportView(content, this.labels);
    const html = await timed('html', () => this.html.render(view));
    const [{ renderPdf }, { renderDocx }, { renderXlsx }] = await Promise.all([
      import('./pdf-report.js'),
      import('./docx-report.js'),
      import('./xlsx-report.js'),
    ]);
    const pdf = await timed('pdf', () =>
      renderPdf(html, {
        chromiumPath: this.config.get('CHROMIUM_PATH'),
        footer: `${view.title} – ${content.plan.title}`,
        pageLabel: view.pageLabel,
        language: this.labels.locale(content.language),
      }),
    );
    const docx = await timed('docx', () => renderDocx(view, content.generatedAt, this.labels.locale(content.language)));
    const xlsx = await timed('xlsx', () => renderXlsx(content, this.labels));
    const bytes = (data: Buffer | string) => new Uint8Array(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    return {
      files: [
        { format: 'html', content: bytes(html) },
        { format: 'pdf', content: bytes(pdf) },
        { format: 'docx', content: bytes(docx) },
        { format: 'xlsx', content: bytes(xlsx) },
      ],
      timings,
    };
  }
}
