import type { I18n } from '../i18n/i18n.js';

export type CellType = 'text' | 'integer' | 'decimal' | 'date' | 'boolean';
export type Cell = string | number | boolean | null;

export interface ExportColumn {
  header: string;
  type: CellType;
  /** Width in characters in the XLSX; a guess from the type when not given. */
  width?: number;
}

/** A view as a table to download: headers in the reader's language, cells typed for the spreadsheet. */
export interface ExportTable {
  sheet: string;
  columns: ExportColumn[];
  rows: Cell[][];
}

/** How a CSV is written for a language: Nordic spreadsheets split on ";" and read "48,6" as a number. */
export interface CsvDialect {
  separator: ',' | ';';
  decimal: '.' | ',';
  yes: string;
  no: string;
}

export function csvDialect(i18n: I18n, language: string): CsvDialect {
  const decimal = i18n.number(language, 1.5).includes(',') ? ',' : '.';
  return {
    separator: decimal === ',' ? ';' : ',',
    decimal,
    yes: i18n.t(language, 'dashboard:yes'),
    no: i18n.t(language, 'dashboard:no'),
  };
}

/** The English dialect, as older exports wrote it. */
export const COMMA_DIALECT: CsvDialect = { separator: ',', decimal: '.', yes: 'yes', no: 'no' };

/**
 * CSV as spreadsheets read it: UTF-8 with a byte-order mark, quoted fields, CRLF lines, the
 * language's separator and decimal mark. Numbers carry no thousands separator, so a spreadsheet
 * reads them as numbers; dates are ISO days (YYYY-MM-DD), which every spreadsheet reads.
 */
export function toCsv(table: ExportTable, dialect: CsvDialect = COMMA_DIALECT): string {
  const { separator } = dialect;
  const needsQuotes = new RegExp(`["\\r\\n${separator}]`);
  const text = (value: Cell, type: CellType): string => {
    if (value === null) return '';
    if (typeof value === 'boolean') return value ? dialect.yes : dialect.no;
    if (typeof value === 'number') return type === 'text' ? String(value) : String(value).replace('.', dialect.decimal);
    return value;
  };
  const cell = (value: Cell, type: CellType) => {
    const plain = text(value, type);
    // A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
    const safe = /^[=+\-@]/.test(plain) ? `'${plain}` : plain;
    return needsQuotes.test(safe) || safe !== plain ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [
    table.columns.map((column) => cell(column.header, 'text')).join(separator),
    ...table.rows.map((row) => table.columns.map((column, i) => cell(row[i] ?? null, column.type)).join(separator)),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const WIDTHS: Record<CellType, number> = { text: 24, integer: 10, decimal: 12, date: 12, boolean: 8 };

/** An XLSX workbook of one sheet whose columns are typed: numbers as numbers, days as dates, yes/no as booleans. */
export async function toXlsx(table: ExportTable): Promise<Buffer> {
  // Loaded on first export, not at start: exceljs costs ~26 MiB that most processes never use.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'handlingsplan';
  // Excel refuses sheet names over 31 characters or with []:*?/\.
  const sheet = workbook.addWorksheet(table.sheet.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31));
  sheet.columns = table.columns.map((column, i) => ({
    header: column.header,
    key: String(i),
    width: column.width ?? Math.max(WIDTHS[column.type], Math.min(column.header.length + 2, 30)),
    style: column.type === 'date' ? { numFmt: 'yyyy-mm-dd' } : column.type === 'decimal' ? { numFmt: '0.0' } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of table.rows) {
    sheet.addRow(
      table.columns.map((column, i) => {
        const value = row[i] ?? null;
        if (value === null) return null;
        if (column.type === 'date' && typeof value === 'string') return new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
        return value;
      }),
    );
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
