import type { MilestoneStateName } from '../../common/milestone-states.js';

/**
 * The report's two charts as inline SVG strings, drawn here rather than by a chart library: they
 * are a few rectangles and labels, they must print the same in Chromium's PDF as on screen, and
 * the same numbers must give the same bytes (coordinates are rounded to fixed decimals, nothing
 * is random or measured). Every text is XML-escaped here, since the HTML template inserts the SVG
 * unescaped.
 */

export const STATE_COLOURS: Record<MilestoneStateName, string> = {
  not_started: '#9aa5b1',
  in_progress: '#0b5cad',
  at_risk: '#d9a400',
  delayed: '#c0571b',
  completed: '#1e7a3c',
  cancelled: '#5b6470',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fixed = (n: number) => (Math.round(n * 100) / 100).toFixed(2).replace(/\.?0+$/, '');

export interface Bar {
  label: string;
  /** 0…1, or null for "no figure" (no bar, the value text says so). */
  value: number | null;
  valueText: string;
}

/** Horizontal bars, one per goal, on a 0-100 % scale with grid lines every 25 %. */
export function barChart(title: string, bars: Bar[], axisLabels: string[]): string {
  const width = 680;
  const labelWidth = 110;
  const valueWidth = 80;
  const plot = width - labelWidth - valueWidth;
  const row = 28;
  const top = 8;
  const height = top + bars.length * row + 24;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  axisLabels.forEach((label, index) => {
    const x = labelWidth + (plot * index) / (axisLabels.length - 1);
    parts.push(`<line x1="${fixed(x)}" y1="${top}" x2="${fixed(x)}" y2="${top + bars.length * row}" stroke="#d5dae0" stroke-width="1"/>`);
    parts.push(`<text x="${fixed(x)}" y="${height - 8}" text-anchor="middle" fill="#5b6470">${escapeXml(label)}</text>`);
  });
  bars.forEach((bar, index) => {
    const y = top + index * row;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end" fill="#1b1f24">${escapeXml(bar.label)}</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y + 6}" width="${plot}" height="16" fill="#eef1f4"/>`);
    if (bar.value !== null) {
      const w = Math.max(0, Math.min(1, bar.value)) * plot;
      parts.push(`<rect x="${labelWidth}" y="${y + 6}" width="${fixed(w)}" height="16" fill="#1e7a3c"/>`);
    }
    parts.push(`<text x="${width - valueWidth + 8}" y="${y + 18}" fill="#1b1f24">${escapeXml(bar.valueText)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Slice {
  state: MilestoneStateName;
  label: string;
  count: number;
  shareText: string;
}

/** One bar split by state, with a legend underneath: how all the milestones stand. */
export function stateDistributionChart(title: string, slices: Slice[]): string {
  const width = 680;
  const barHeight = 28;
  const legendRow = 20;
  const height = barHeight + 16 + slices.length * legendRow + 4;
  const total = slices.reduce((sum, slice) => sum + slice.count, 0);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${barHeight}" fill="#eef1f4"/>`);
  let x = 0;
  for (const slice of slices) {
    if (total === 0 || slice.count === 0) continue;
    const w = (slice.count / total) * width;
    parts.push(`<rect x="${fixed(x)}" y="0" width="${fixed(w)}" height="${barHeight}" fill="${STATE_COLOURS[slice.state]}"/>`);
    x += w;
  }
  slices.forEach((slice, index) => {
    const y = barHeight + 16 + index * legendRow;
    parts.push(`<rect x="0" y="${y - 11}" width="12" height="12" fill="${STATE_COLOURS[slice.state]}"/>`);
    parts.push(`<text x="20" y="${y}" fill="#1b1f24">${escapeXml(slice.label)}</text>`);
    parts.push(`<text x="300" y="${y}" text-anchor="end" fill="#1b1f24">${slice.count}</text>`);
    parts.push(`<text x="380" y="${y}" text-anchor="end" fill="#5b6470">${escapeXml(slice.shareText)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
