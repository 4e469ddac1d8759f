import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';

/**
 * The report's SVG charts (charts.ts) as PNG images, for the DOCX: Word draws no inline SVG, and
 * a chart given only as its table is no chart. resvg renders the very SVG the HTML and PDF show,
 * so the three formats draw the same bars. It needs a font for the labels: the first of a few
 * common sans-serif files found (Chromium's Debian package brings DejaVu), else whatever the
 * system has; the SVG asks for "Helvetica, Arial, sans-serif", which resolves to it.
 */

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf',
  '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];

const FAMILIES: Record<string, string> = { Liberation: 'Liberation Sans', DejaVu: 'DejaVu Sans' };

let font: { file: string; family: string } | null | undefined;

/** The font file and its family, looked for once: a few stat calls, not a scan of every system font per chart. */
function chartFont(): { file: string; family: string } | null {
  if (font === undefined) {
    const file = FONT_CANDIDATES.find((candidate) => existsSync(candidate)) ?? null;
    font = file ? { file, family: FAMILIES[file.includes('Liberation') ? 'Liberation' : 'DejaVu']! } : null;
  }
  return font;
}

export interface ChartImage {
  png: Buffer;
  /** Pixels: twice the SVG's own size, so it stays sharp when printed. */
  width: number;
  height: number;
}

/** One chart's SVG as a PNG at `scale` times its size, on white (Word shows a transparent image on its page colour). */
export function chartPng(svg: string, scale = 2): ChartImage {
  const found = chartFont();
  const rendered = new Resvg(svg, {
    background: '#ffffff',
    fitTo: { mode: 'zoom', value: scale },
    font: found
      ? {
          fontFiles: [found.file],
          loadSystemFonts: false,
          defaultFontFamily: found.family,
          sansSerifFamily: found.family,
        }
      : { loadSystemFonts: true },
  }).render();
  return { png: rendered.asPng(), width: rendered.width, height: rendered.height };
}
