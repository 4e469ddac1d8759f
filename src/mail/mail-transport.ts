import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter, type TransportOptions } from 'nodemailer';
import { AppConfig } from '../config/config.module.js';

/** A composed message (see compose/message-composer.ts) and who it goes to. */
export interface OutgoingMail {
  from: string;
  to: string[];
  /** For the log and file names; the message's own header is inside `raw`. */
  messageId: string;
  raw: Uint8Array;
}

/**
 * Where mail goes: an SMTP server (pooled, rate-limited, with bounded timeouts) when SMTP_URL is
 * set; otherwise .eml files in MAIL_OUTBOX_DIR, so a fresh installation shows real rendered
 * messages without any mail server.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger(MailTransport.name);
  private readonly transporter: Transporter;
  private readonly outboxDir: string | null;

  constructor(config: AppConfig) {
    const smtpUrl = config.get('SMTP_URL');
    if (smtpUrl) {
      const timeout = config.get('SMTP_TIMEOUT_MS');
      const rate = config.get('SMTP_RATE_PER_SECOND');
      this.transporter = nodemailer.createTransport({
        url: smtpUrl,
        pool: true,
        maxConnections: config.get('SMTP_POOL_SIZE'),
        ...(rate > 0 ? { rateDelta: 1000, rateLimit: rate } : {}),
        // A server that accepts the connection and then says nothing must not hold a send forever.
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      } as TransportOptions);
      this.outboxDir = null;
    } else {
      this.transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
      this.outboxDir = resolve(config.get('MAIL_OUTBOX_DIR'));
    }
  }

  get kind(): 'smtp' | 'files' {
    return this.outboxDir === null ? 'smtp' : 'files';
  }

  async send(mail: OutgoingMail): Promise<void> {
    // A raw message goes out as it is: the envelope says who gets it.
    const info = await this.transporter.sendMail({
      envelope: { from: mail.from, to: mail.to },
      raw: Buffer.from(mail.raw.buffer, mail.raw.byteOffset, mail.raw.byteLength),
    });
    if (this.outboxDir !== null) {
      await mkdir(this.outboxDir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^a-zA-Z0-9-]/g, '')}.eml`;
      await writeFile(join(this.outboxDir, name), info.message as Buffer);
      this.logger.log(`mail to ${mail.to.join(', ')} written to ${join(this.outboxDir, name)}`);
    }
  }

  /** After the mail worker has finished its jobs (QueueService.beforeApplicationShutdown): no send is cut off. */
  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
