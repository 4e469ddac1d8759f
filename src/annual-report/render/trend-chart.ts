import { escapeXml } from './charts.js';

/** One line of the trend: a goal (or the whole plan) and its completion in each year, 0…1 or null. */
export interface TrendLine {
  label: string;
  /** Read at the end of the line, after the label: the last year's figure as the page writes it. */
  lastText: string;
  values: (number | null)[];
  /** The whole plan's line: drawn darker and thicker than the goals'. */
  emphasis?: boolean;
}

export interface TrendChart {
  title: string;
  /** The years along the bottom, oldest first; every line has a value (or null) for each. */
  years: number[];
  /** Per year: approved figures (a filled point) or not yet (a hollow one). */
  approved: boolean[];
  lines: TrendLine[];
  axisLabels: string[];
}

/** Okabe–Ito: told apart with the common colour-vision deficiencies; each line is labelled besides. */
const LINE_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#8c6d1f', '#6a3d9a'];

const fixed = (n: number) => (Math.round(n * 100) / 100).toFixed(2).replace(/\.?0+$/, '');

/**
 * Completion over the years as lines, one per goal, labelled at their last point (so a line is
 * known without its colour), on a 0–100 % scale. Hand-drawn like the report's other charts (see
 * charts.ts): a few lines and labels, the same bytes for the same figures.
 */
export function trendChart(chart: TrendChart): string {
  const width = 600;
  const left = 40;
  const labelWidth = 150;
  const top = 12;
  const plotHeight = 220;
  const height = top + plotHeight + 30;
  const plotWidth = width - left - labelWidth;
  const n = chart.years.length;
  const x = (index: number) => left + (n === 1 ? plotWidth / 2 : (plotWidth * index) / (n - 1));
  const y = (value: number) => top + plotHeight * (1 - Math.max(0, Math.min(1, value)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" role="img" aria-label="${escapeXml(chart.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
  ];
  chart.axisLabels.forEach((label, index) => {
    const gy = top + (plotHeight * (chart.axisLabels.length - 1 - index)) / (chart.axisLabels.length - 1);
    parts.push(`<line x1="${left}" y1="${fixed(gy)}" x2="${left + plotWidth}" y2="${fixed(gy)}" stroke="#d5dae0" stroke-width="1"/>`);
    parts.push(`<text x="${left - 6}" y="${fixed(gy + 4)}" text-anchor="end" fill="#5b6470">${escapeXml(label)}</text>`);
  });
  chart.years.forEach((year, index) => {
    parts.push(`<text x="${fixed(x(index))}" y="${height - 8}" text-anchor="middle" fill="#5b6470">${year}</text>`);
  });
  const ends: { y: number; text: string; colour: string; bold: boolean }[] = [];
  chart.lines.forEach((line, lineIndex) => {
    const colour = line.emphasis ? '#1b1f24' : LINE_COLOURS[lineIndex % LINE_COLOURS.length]!;
    const points = line.values.map((value, index) => (value === null ? null : { x: x(index), y: y(value), index }));
    // A gap where a year has no figure: the line is drawn in runs of consecutive points.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        parts.push(
          `<polyline points="${run.join(' ')}" fill="none" stroke="${colour}" stroke-width="${line.emphasis ? 3 : 2}" stroke-linejoin="round"/>`,
        );
      run = [];
    };
    for (const point of points) {
      if (point === null) flush();
      else run.push(`${fixed(point.x)},${fixed(point.y)}`);
    }
    flush();
    for (const point of points) {
      if (point === null) continue;
      const fill = chart.approved[point.index] ? colour : '#ffffff';
      parts.push(`<circle cx="${fixed(point.x)}" cy="${fixed(point.y)}" r="3.5" fill="${fill}" stroke="${colour}" stroke-width="1.5"/>`);
    }
    const last = points.filter((point) => point !== null).at(-1);
    if (last) ends.push({ y: last.y, text: `${line.label} ${line.lastText}`, colour, bold: line.emphasis === true });
  });
  // Labels at the right edge, at their line's last height, pushed apart where lines end close together.
  ends.sort((a, b) => a.y - b.y);
  const gap = 14;
  for (let i = 1; i < ends.length; i++) ends[i]!.y = Math.max(ends[i]!.y, ends[i - 1]!.y + gap);
  const overflow = (ends.at(-1)?.y ?? 0) - (top + plotHeight + 4);
  if (overflow > 0) for (const end of ends) end.y -= overflow;
  for (let i = ends.length - 2; i >= 0; i--) ends[i]!.y = Math.min(ends[i]!.y, ends[i + 1]!.y - gap);
  // The text in the page's ink (legible whatever the line's colour), after a short stroke of the line's.
  for (const end of ends) {
    parts.push(
      `<line x1="${left + plotWidth + 8}" y1="${fixed(end.y)}" x2="${left + plotWidth + 22}" y2="${fixed(end.y)}" stroke="${end.colour}" stroke-width="${end.bold ? 3 : 2}"/>`,
    );
    parts.push(
      `<text x="${left + plotWidth + 27}" y="${fixed(end.y + 4)}" fill="#1b1f24"${end.bold ? ' font-weight="bold"' : ''}>${escapeXml(end.text)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
