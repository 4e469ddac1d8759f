import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { cleanFileName } from './file-name.js';
import { extensionOf, sniff } from './file-kinds.js';

const zip = async (entries: Record<string, string | Buffer>) => {
  const archive = new JSZip();
  for (const [name, content] of Object.entries(entries)) archive.file(name, content);
  return archive.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
};

describe('what a file is, by its content', () => {
  it('knows PDF, PNG and JPEG by their magic bytes', () => {
    expect(sniff(Buffer.from('%PDF-1.7\n%âãÏÓ\n'))).toBe('pdf');
    expect(sniff(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe('png');
    expect(sniff(Buffer.from('ffd8ffe000104a464946', 'hex'))).toBe('jpeg');
  });

  it('knows DOCX and XLSX by the names in the archive, without unpacking it', async () => {
    expect(sniff(await zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' }))).toBe('docx');
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Ark1').addRow(['Slutrapport', 2024]);
    expect(sniff(Buffer.from(await workbook.xlsx.writeBuffer()))).toBe('xlsx');
  });

  it('refuses everything else: HTML, an executable, a plain or bomb-like ZIP, a truncated archive', async () => {
    expect(sniff(Buffer.from('<!doctype html><script>alert(1)</script>'))).toBeNull();
    expect(sniff(Buffer.from('4d5a90000300000004000000ffff0000', 'hex'))).toBeNull();
    expect(sniff(Buffer.alloc(0))).toBeNull();
    // 50 MB of zeros deflates to a few kilobytes; its name list is all that is read.
    const bomb = await zip({ 'zeros.bin': Buffer.alloc(50 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(200_000);
    expect(sniff(bomb)).toBeNull();
    const docx = await zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' });
    expect(sniff(docx.subarray(0, docx.length - 30))).toBeNull();
  });

  it('reads the extension a name claims', () => {
    expect(extensionOf('Slutrapport 2024.PDF')).toBe('pdf');
    expect(extensionOf('rapport')).toBeNull();
    expect(extensionOf('arkiv.tar.gz')).toBe('gz');
  });
});

describe('a sender’s file name', () => {
  it('keeps an ordinary name as it is, letters of every Nordic language included', () => {
    expect(cleanFileName('Årsrapport – Tornedalsrådet 2024 (endelig).pdf')).toEqual({
      name: 'Årsrapport – Tornedalsrådet 2024 (endelig).pdf',
      unsafe: false,
    });
  });

  it('keeps only the last path segment, and drops control and bidirectional characters', () => {
    expect(cleanFileName('../../etc/passwd.pdf')).toEqual({ name: 'passwd.pdf', unsafe: true });
    expect(cleanFileName('C:\\Users\\anna\\rapport.docx')).toEqual({ name: 'rapport.docx', unsafe: true });
    expect(cleanFileName('rap\u0000port\r\n.pdf')).toEqual({ name: 'rapport.pdf', unsafe: true });
    expect(cleanFileName('invoice\u202Efdp.exe')).toEqual({ name: 'invoicefdp.exe', unsafe: true });
    expect(cleanFileName('..').name).toBe('file');
  });

  it('shortens a long name and keeps its extension', () => {
    const { name } = cleanFileName(`${'å'.repeat(400)}.xlsx`);
    expect(name).toHaveLength(150);
    expect(name.endsWith('.xlsx')).toBe(true);
  });
});
