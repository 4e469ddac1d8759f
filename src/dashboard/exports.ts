export type ExportRow = Record<string, string | number | null>;

/** CSV as spreadsheets read it: UTF-8 with a byte-order mark, quoted fields, CRLF lines. */
export function toCsv(rows: ExportRow[]): string {
  if (rows.length === 0) return '\uFEFF';
  const headers = Object.keys(rows[0]!);
  const cell = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    // A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
    return /[",\r\n;]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return `\uFEFF${[headers.join(','), ...rows.map((row) => headers.map((h) => cell(row[h] ?? null)).join(','))].join('\r\n')}\r\n`;
}

export async function toXlsx(rows: ExportRow[], sheetName: string): Promise<Buffer> {
  // Loaded on first export, not at start: exceljs costs ~26 MiB that most processes never use.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'handlingsplan';
  const sheet = workbook.addWorksheet(sheetName);
  const headers = rows.length ? Object.keys(rows[0]!) : [];
  sheet.columns = headers.map((header) => ({ header, key: header, width: header === 'milestone' || header === 'lastComment' ? 60 : 14 }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
