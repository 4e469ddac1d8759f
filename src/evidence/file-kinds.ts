import type { FileKind } from '../config/configuration.js';

/**
 * What a file is, by its content alone: the magic bytes of PDF, PNG and JPEG, and for DOCX and
 * XLSX (ZIP packages) the names in the archive's central directory. Nothing is unpacked: an
 * archive is only ever read for its list of names, so a zip bomb costs what its bytes cost.
 */
export const KIND_TYPES: Record<FileKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  png: 'image/png',
  jpeg: 'image/jpeg',
};

/** The extensions a name may carry for each kind. */
export const KIND_EXTENSIONS: Record<FileKind, readonly string[]> = {
  pdf: ['pdf'],
  docx: ['docx'],
  xlsx: ['xlsx'],
  png: ['png'],
  jpeg: ['jpg', 'jpeg'],
};

const startsWith = (content: Uint8Array, bytes: number[]) => content.length >= bytes.length && bytes.every((b, i) => content[i] === b);

export function sniff(content: Uint8Array): FileKind | null {
  if (startsWith(content, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf'; // %PDF-
  if (startsWith(content, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(content, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(content, [0x50, 0x4b, 0x03, 0x04])) {
    const names = zipEntryNames(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
    if (!names || !names.has('[Content_Types].xml')) return null;
    if (names.has('word/document.xml')) return 'docx';
    if (names.has('xl/workbook.xml')) return 'xlsx';
  }
  return null;
}

/** The kind a file name claims by its extension, the extension itself, or null without one. */
export function extensionOf(name: string): string | null {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return match ? match[1]!.toLowerCase() : null;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const MAX_ENTRIES = 10_000;

/**
 * The entry names of a ZIP archive, read from its central directory (end-of-central-directory
 * record, then each header), or null when it is not a well-formed, single-disk, non-ZIP64 archive.
 */
function zipEntryNames(zip: Buffer): Set<string> | null {
  const from = Math.max(0, zip.length - 22 - 0xffff);
  let end = -1;
  for (let at = zip.length - 22; at >= from; at--) {
    if (zip.readUInt32LE(at) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) return null;
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || at === 0xffffffff || at + size > end || count > MAX_ENTRIES) return null;
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) return null;
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    if (at + 46 + nameLength > end) return null;
    names.add(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}
