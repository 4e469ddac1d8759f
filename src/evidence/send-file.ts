import type { Response } from 'express';
import type { AttachmentListing } from './evidence.repository.js';

/**
 * A kept file as a download, never as a page: attachment disposition with its cleaned name, the
 * type its content was found to be, nosniff (helmet, src/http.ts, and here again), and a policy
 * that lets nothing run should a browser open it anyway.
 */
export function sendFile(res: Response, file: AttachmentListing & { content: Buffer }): void {
  res.attachment(file.fileName);
  res.set({
    'Content-Type': file.contentType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
  });
  res.status(200).end(file.content);
}
