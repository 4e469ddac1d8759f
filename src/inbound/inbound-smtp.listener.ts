import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SMTPServer } from 'smtp-server';
import { AppConfig } from '../config/config.module.js';
import { InboundService, MalformedMessage } from './inbound.service.js';

/**
 * A built-in SMTP listener for replies, for installations where the MX for INBOUND_DOMAIN points
 * straight at the service. Off unless INBOUND_SMTP_PORT is set. It accepts mail only for
 * reports+<key>@INBOUND_DOMAIN, and hands each message to the same intake as the webhook.
 */
@Injectable()
export class InboundSmtpListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboundSmtpListener.name);
  private server?: SMTPServer;

  constructor(
    private readonly config: AppConfig,
    private readonly inbound: InboundService,
  ) {}

  get port(): number | undefined {
    const address = this.server?.server.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('INBOUND_SMTP_PORT');
    if (port === undefined) return;
    const domain = this.config.get('INBOUND_DOMAIN').toLowerCase();
    const maxBytes = this.config.get('INBOUND_MAX_BYTES');
    this.server = new SMTPServer({
      name: domain,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: maxBytes,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const ok = new RegExp(`^reports\\+[a-z0-9]+@${domain.replace(/\./g, '\\.')}$`, 'i').test(address.address);
        callback(ok ? undefined : Object.assign(new Error('no such recipient here'), { responseCode: 550 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            return callback(Object.assign(new Error(`message larger than ${maxBytes} bytes`), { responseCode: 552 }));
          }
          this.inbound
            .receive(Buffer.concat(chunks), { to: session.envelope.rcptTo.map((rcpt) => rcpt.address) })
            .then(() => callback())
            .catch((error: Error) => {
              this.logger.error(`inbound SMTP: ${error.message}`);
              callback(
                Object.assign(new Error(error instanceof MalformedMessage ? error.message : 'temporary failure, try again later'), {
                  responseCode: error instanceof MalformedMessage ? 554 : 451,
                }),
              );
            });
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.config.get('INBOUND_SMTP_HOST'), resolve);
    });
    this.logger.log(`listening for replies by SMTP on ${this.config.get('INBOUND_SMTP_HOST')}:${this.port}`);
  }

  /** Early in a shutdown, so that replies being received are still recorded while the database is open. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
