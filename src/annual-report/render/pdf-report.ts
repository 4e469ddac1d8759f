import { chromium } from 'playwright-core';
import { escapeXml } from './charts.js';

/**
 * The PDF is the HTML page printed by headless Chromium (playwright-core drives the system's
 * Chromium; it downloads no browser of its own). One browser per report: it starts in well under
 * a second, and nothing is left running between reports. The page gets no network at all: the
 * HTML is self-contained, and a stray URL in a comment must not make the worker fetch anything.
 */
export async function renderPdf(
  html: string,
  options: { chromiumPath: string; footer: string; pageLabel: string; language: string },
): Promise<Buffer> {
  const browser = await chromium
    .launch({
      executablePath: options.chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
    .catch((error: Error) => {
      // The operator's to fix, so say what to fix rather than pass on Playwright's page of advice.
      throw new Error(
        `PDF: Chromium could not be started from CHROMIUM_PATH=${options.chromiumPath} (${error.message.split('\n')[0]}); install Debian's chromium or set CHROMIUM_PATH.`,
      );
    });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true, locale: options.language });
    const page = await context.newPage();
    // Playwright's 30 s default suits a page, not a plan of 100,000 milestones (thousands of pages):
    // allow a minute per 10 MB of HTML, at least two. The job itself is bounded by its attempts.
    page.setDefaultTimeout(Math.max(120_000, Math.ceil(html.length / 10_000_000) * 60_000));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      // A tagged PDF (structure, reading order, the document's language from <html lang>) with its
      // headings as bookmarks, for screen readers and for finding one's way in a long report.
      tagged: true,
      outline: true,
      margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      // Chromium fills pageNumber and totalPages; the rest is escaped text.
      footerTemplate:
        `<div style="font-size:8px; color:#5b6470; width:100%; padding:0 14mm; display:flex; justify-content:space-between; font-family:Helvetica, Arial, sans-serif;">` +
        `<span>${escapeXml(options.footer)}</span><span>${escapeXml(options.pageLabel)} <span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
    });
  } finally {
    await browser.close();
  }
}
