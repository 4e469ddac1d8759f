import MailComposer from 'nodemailer/lib/mail-composer';
import { MailRenderer } from '../templates/mail-renderer.js';
import type { Language, MailData, MailTemplateName } from '../templates/mail-data.js';

/** Everything a message needs to become bytes on the wire: the outbox row, with its answer link filled in. */
export interface ComposeRequest {
  template: MailTemplateName;
  language: Language;
  data: Record<string, unknown>;
  from: string;
  to: string[];
  replyTo?: string;
  messageId: string;
}

/** A message ready for SMTP's DATA: its subject (recorded in the outbox) and the RFC 5322 bytes. */
export interface ComposedMessage {
  subject: string;
  raw: Uint8Array;
}

/**
 * Renders a message's template and builds its MIME structure (multipart/alternative, quoted-printable
 * parts, encoded headers) with nodemailer's own composer, as sendMail would. Kept apart from sending
 * so that it can run on a thread of its own (compose.thread.ts): for a digest it is about two
 * thirds of the CPU a delivery costs, and all of it synchronous.
 */
export class MessageComposer {
  private readonly renderer: MailRenderer;

  constructor(templatesDir?: string) {
    this.renderer = new MailRenderer(templatesDir);
  }

  async compose(request: ComposeRequest): Promise<ComposedMessage> {
    const rendered = this.renderer.render(request.template, request.language, request.data as unknown as MailData[MailTemplateName]);
    const mail = new MailComposer({
      from: request.from,
      to: request.to,
      replyTo: request.replyTo,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId: request.messageId,
      // Tells well-behaved servers not to answer with out-of-office replies.
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const raw = await new Promise<Buffer>((resolve, reject) =>
      mail.compile().build((error, message) => (error ? reject(error) : resolve(message))),
    );
    return { subject: rendered.subject, raw };
  }
}
