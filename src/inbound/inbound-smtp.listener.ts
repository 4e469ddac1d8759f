import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { authenticate, type DNSResolver } from 'mailauth';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { AppConfig } from '../config/config.module.js';
import { InboundService, MalformedMessage } from './inbound.service.js';
import { verdictFromMailauth, type SenderVerdict } from './sender-authentication.js';

/**
 * A built-in SMTP listener for replies, for installations where the MX for INBOUND_DOMAIN points
 * straight at the service. Off unless INBOUND_SMTP_PORT is set. It accepts mail only for
 * reports+<key>@INBOUND_DOMAIN, checks who sent it (SPF for the connecting address, DKIM, DMARC,
 * with mailauth) and hands each message with that verdict to the same intake as the webhook.
 */
@Injectable()
export class InboundSmtpListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboundSmtpListener.name);
  private server?: SMTPServer;
  /** The DNS lookups of the sender checks; the system's resolver unless replaced (tests use a local zone). */
  resolver?: DNSResolver;

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
          const raw = Buffer.concat(chunks);
          this.checkSender(raw, session)
            .then((sender) => this.inbound.receive(raw, { to: session.envelope.rcptTo.map((rcpt) => rcpt.address), sender }))
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

  /**
   * SPF of the connecting address for the envelope sender, DKIM signatures and the From: domain's
   * DMARC policy. A DNS failure counts as "not verified": the reply then waits for review.
   */
  private async checkSender(raw: Buffer, session: SMTPServerSession): Promise<SenderVerdict> {
    try {
      const result = await authenticate(raw, {
        ip: session.remoteAddress.replace(/^::ffff:/, ''),
        helo: session.hostNameAppearsAs,
        sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        mta: this.config.get('INBOUND_DOMAIN'),
        resolver: this.resolver,
        disableArc: true,
        disableBimi: true,
      });
      return verdictFromMailauth(result, result.dkim.headerFrom?.[0] ?? '');
    } catch (error) {
      return { verified: false, detail: `the checks failed: ${(error as Error).message}` };
    }
  }

  /** Early in a shutdown, so that replies being received are still recorded while the database is open. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
