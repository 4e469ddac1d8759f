import busboy from 'busboy';
import type { Request } from 'express';

export interface UploadedPart {
  field: string;
  name: string;
  content: Buffer;
  /** More than `maxBytes` came: `content` holds only the first `maxBytes`. */
  truncated: boolean;
}

export class UnreadableForm extends Error {}

/**
 * A multipart/form-data body, read only after the link was found valid: its fields, and its files
 * held in memory up to `maxBytes` each (the rest of a larger file is read and thrown away, so
 * every other field still arrives and the form can say which file was too large). A file beyond
 * `maxFiles + 1` is not read at all; one too many is enough to say so.
 */
export function readMultipartForm(
  req: Request,
  limits: { maxBytes: number; maxFiles: number },
): Promise<{ fields: Record<string, string>; files: UploadedPart[]; tooManyFiles: boolean }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // The name as sent, path included, so a name with a path is refused rather than silently cut.
        preservePath: true,
        limits: {
          fileSize: limits.maxBytes,
          files: limits.maxFiles + 1,
          fields: 2_000,
          fieldSize: 64 * 1024,
          parts: 2_000 + limits.maxFiles + 1,
        },
      });
    } catch (error) {
      reject(new UnreadableForm((error as Error).message));
      return;
    }
    const fields: Record<string, string> = {};
    const files: UploadedPart[] = [];
    let tooManyFiles = false;
    parser.on('field', (name, value) => {
      if (!(name in fields)) fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const content = Buffer.concat(chunks);
        // A file input left empty still sends a part, with no name and no bytes.
        if (info.filename === undefined || (info.filename === '' && content.length === 0)) return;
        files.push({ field, name: info.filename, content, truncated: (stream as unknown as { truncated: boolean }).truncated });
      });
    });
    parser.on('filesLimit', () => (tooManyFiles = true));
    parser.on('error', (error: Error) => reject(new UnreadableForm(error.message)));
    parser.on('close', () => resolve({ fields, files, tooManyFiles }));
    req.on('error', (error) => reject(new UnreadableForm(error.message)));
    req.pipe(parser);
  });
}
