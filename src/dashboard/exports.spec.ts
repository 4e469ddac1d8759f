import { COMMA_DIALECT, toCsv, toXlsx, type CellType, type CsvDialect, type ExportTable } from './exports.js';
import ExcelJS from 'exceljs';

const BOM = '\uFEFF';
/** The lines of a CSV, without its byte-order mark and final line break. */
const lines = (csv: string) => csv.slice(BOM.length).replace(/\r\n$/, '').split('\r\n');
const SEMICOLON: CsvDialect = { separator: ';', decimal: ',', yes: 'ja', no: 'nej' };

/** A table of text columns named by the first row's keys, as the older tests wrote their rows. */
function table(rows: Record<string, string | number | null>[], types: Record<string, CellType> = {}): ExportTable {
  const headers = rows.length ? Object.keys(rows[0]!) : [];
  return {
    sheet: 'Test',
    columns: headers.map((header) => ({ header, type: types[header] ?? 'text' })),
    rows: rows.map((row) => headers.map((h) => row[h] ?? null)),
  };
}

describe('toCsv', () => {
  it('starts with a byte-order mark, puts the header first, and ends every line with CRLF', () => {
    const csv = toCsv(
      table([
        { key: 'M1', progress: 50 },
        { key: 'M2', progress: 100 },
      ]),
    );
    expect(csv).toBe(`${BOM}key,progress\r\nM1,50\r\nM2,100\r\n`);
  });

  it('is only the byte-order mark and the header for no rows', () => {
    expect(toCsv({ sheet: 'x', columns: [{ header: 'a', type: 'text' }], rows: [] })).toBe(`${BOM}a\r\n`);
  });

  it('leaves missing and null cells empty', () => {
    expect(lines(toCsv(table([{ b: 'x', a: 1, c: null }])))).toEqual(['b,a,c', 'x,1,']);
  });

  it('leaves plain text, numbers and non-ASCII text unquoted', () => {
    expect(lines(toCsv(table([{ name: 'Kvarkenrådet', n: 3.5, empty: '' }], { n: 'decimal' })))[1]).toBe('Kvarkenrådet,3.5,');
  });

  it('writes the Nordic dialect: semicolons, a decimal comma, yes and no in the language, and quotes a semicolon', () => {
    const csv = toCsv(
      {
        sheet: 'x',
        columns: [
          { header: 'Organisation', type: 'text' },
          { header: 'Andel', type: 'decimal' },
          { header: 'Sent', type: 'boolean' },
          { header: 'År', type: 'integer' },
        ],
        rows: [
          ['Nordregio, Stockholm', 48.6, true, 2023],
          ['a;b', 1200.5, false, null],
        ],
      },
      SEMICOLON,
    );
    expect(lines(csv)).toEqual(['Organisation;Andel;Sent;År', 'Nordregio, Stockholm;48,6;ja;2023', '"a;b";1200,5;nej;']);
  });

  it.each([
    ['a comma', 'Nordregio, Stockholm', '"Nordregio, Stockholm"'],
    ['a double quote, doubled', 'the "plan"', '"the ""plan"""'],
    ['a line feed', 'line 1\nline 2', '"line 1\nline 2"'],
    ['a carriage return', 'line 1\r\nline 2', '"line 1\r\nline 2"'],
  ])('quotes a cell with %s', (_what, value, cell) => {
    const csv = toCsv(table([{ before: 'x', value, after: 'y' }]), COMMA_DIALECT);
    expect(csv).toBe(`${BOM}before,value,after\r\nx,${cell},y\r\n`);
  });

  it.each([
    ['=', '=HYPERLINK("http://evil.test","click")', `"'=HYPERLINK(""http://evil.test"",""click"")"`],
    ['+', '+1+1', `"'+1+1"`],
    ['-', '-2+3', `"'-2+3"`],
    ['@', '@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
  ])('makes a cell starting with %s text, not a formula', (_sign, value, cell) => {
    expect(lines(toCsv(table([{ comment: value }])))[1]).toBe(cell);
  });

  it('escapes a negative number too, since a spreadsheet cannot tell it from a formula by its first character', () => {
    expect(lines(toCsv(table([{ n: -5 }], { n: 'integer' })))[1]).toBe(`"'-5"`);
  });

  it('escapes only a leading sign: one inside the text is left alone', () => {
    expect(lines(toCsv(table([{ a: 'a=b', b: 'x-y', c: 'me@example.org', d: ' =1' }])))[1]).toBe('a=b,x-y,me@example.org, =1');
  });

  it('escapes and quotes a formula that also needs quoting, once', () => {
    expect(lines(toCsv(table([{ v: '=1,2' }])))[1]).toBe(`"'=1,2"`);
  });

  it('keeps a cell with a line break in one record', () => {
    const csv = toCsv(
      table([
        { key: 'M1', comment: 'first\nsecond' },
        { key: 'M2', comment: 'plain' },
      ]),
    );
    expect(csv).toBe(`${BOM}key,comment\r\nM1,"first\nsecond"\r\nM2,plain\r\n`);
  });
});

describe('toXlsx', () => {
  it('writes typed cells: numbers as numbers, days as dates, yes/no as booleans, empty as empty', async () => {
    const buffer = await toXlsx({
      sheet: 'Förfallna: milstolpar/2023 och mycket mer än trettioen tecken',
      columns: [
        { header: 'Mål', type: 'integer' },
        { header: 'Senaste uppdatering', type: 'date' },
        { header: 'Sent', type: 'boolean' },
        { header: 'Kommentar', type: 'text' },
      ],
      rows: [
        [6, '2023-11-10', true, 'Nytt datum'],
        [7, null, false, null],
      ],
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name.length).toBeLessThanOrEqual(31);
    expect(sheet.getRow(1).values).toEqual([undefined, 'Mål', 'Senaste uppdatering', 'Sent', 'Kommentar']);
    expect(sheet.getCell('A2').value).toBe(6);
    expect(sheet.getCell('B2').value).toEqual(new Date('2023-11-10T00:00:00Z'));
    expect(sheet.getCell('C2').value).toBe(true);
    expect(sheet.getCell('C3').value).toBe(false);
    expect(sheet.getCell('B3').value).toBeNull();
  });
});
