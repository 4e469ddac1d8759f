import { toCsv } from './exports.js';

const BOM = '\uFEFF';
/** The lines of a CSV, without its byte-order mark and final line break. */
const lines = (csv: string) => csv.slice(BOM.length).replace(/\r\n$/, '').split('\r\n');

describe('toCsv', () => {
  it('starts with a byte-order mark, puts the header first, and ends every line with CRLF', () => {
    const csv = toCsv([
      { key: 'M1', progress: 50 },
      { key: 'M2', progress: 100 },
    ]);
    expect(csv).toBe(`${BOM}key,progress\r\nM1,50\r\nM2,100\r\n`);
  });

  it('is only the byte-order mark for no rows', () => {
    expect(toCsv([])).toBe(BOM);
  });

  it('takes the columns from the first row, in its order, and leaves missing and null cells empty', () => {
    const csv = toCsv([
      { b: 'x', a: 1, c: null },
      { a: 2, extra: 'ignored' },
    ]);
    expect(lines(csv)).toEqual(['b,a,c', 'x,1,', ',2,']);
  });

  it('leaves plain text, numbers and non-ASCII text unquoted', () => {
    expect(lines(toCsv([{ name: 'Kvarkenrådet', n: 3.5, empty: '' }]))[1]).toBe('Kvarkenrådet,3.5,');
  });

  it.each([
    ['a comma', 'Nordregio, Stockholm', '"Nordregio, Stockholm"'],
    ['a semicolon (the separator of Nordic spreadsheets)', 'a;b', '"a;b"'],
    ['a double quote, doubled', 'the "plan"', '"the ""plan"""'],
    ['a line feed', 'line 1\nline 2', '"line 1\nline 2"'],
    ['a carriage return', 'line 1\r\nline 2', '"line 1\r\nline 2"'],
  ])('quotes a cell with %s', (_what, value, cell) => {
    const csv = toCsv([{ before: 'x', value, after: 'y' }]);
    expect(csv).toBe(`${BOM}before,value,after\r\nx,${cell},y\r\n`);
  });

  it.each([
    ['=', '=HYPERLINK("http://evil.test","click")', `"'=HYPERLINK(""http://evil.test"",""click"")"`],
    ['+', '+1+1', `"'+1+1"`],
    ['-', '-2+3', `"'-2+3"`],
    ['@', '@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
  ])('makes a cell starting with %s text, not a formula', (_sign, value, cell) => {
    expect(lines(toCsv([{ comment: value }]))[1]).toBe(cell);
  });

  it('escapes a negative number too, since a spreadsheet cannot tell it from a formula by its first character', () => {
    expect(lines(toCsv([{ n: -5 }]))[1]).toBe(`"'-5"`);
  });

  it('escapes only a leading sign: one inside the text is left alone', () => {
    expect(lines(toCsv([{ a: 'a=b', b: 'x-y', c: 'me@example.org', d: ' =1' }]))[1]).toBe('a=b,x-y,me@example.org, =1');
  });

  it('escapes and quotes a formula that also needs quoting, once', () => {
    expect(lines(toCsv([{ v: '=1,2' }]))[1]).toBe(`"'=1,2"`);
  });

  it('keeps a cell with a line break in one record', () => {
    const csv = toCsv([
      { key: 'M1', comment: 'first\nsecond' },
      { key: 'M2', comment: 'plain' },
    ]);
    expect(csv).toBe(`${BOM}key,comment\r\nM1,"first\nsecond"\r\nM2,plain\r\n`);
  });
});
