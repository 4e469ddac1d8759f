/** Small helpers for figures and tables: percentiles by nearest rank, Markdown tables. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : '—';
}

export function seconds(valueMs: number, digits = 2): string {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(digits)} s` : '—';
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : '—';
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export type Verdict = 'pass' | 'FAIL' | 'n/a';

export const verdict = (ok: boolean | null): Verdict => (ok === null ? 'n/a' : ok ? 'pass' : 'FAIL');

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes: string[];
}

export function renderTable(table: Table): string {
  const widths = table.columns.map((column, i) => Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `### ${table.title}`,
    '',
    line(table.columns),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...table.rows.map(line),
    ...(table.notes.length ? ['', ...table.notes.map((note) => `- ${note}`)] : []),
    '',
  ].join('\n');
}
