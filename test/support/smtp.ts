import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server for tests (the smtp-server package) that keeps what it accepts. Its
 * behaviour can be changed between sends: refuse temporarily (451), refuse permanently (550), or
 * accept the connection and then never answer.
 */
export type SmtpBehaviour = 'accept' | { reply: number; times?: number } | 'silent' | { holdMs: number };

export interface ReceivedMail extends ParsedMail {
  envelopeTo: string[];
}

export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  behaviour: SmtpBehaviour = 'accept';
  /** How many messages began to arrive (DATA), accepted or not. */
  dataStarted = 0;
  /** Messages begun and not answered yet (accepted, refused, or cut off by a client that went away). */
  receiving = 0;
  private refusals = 0;
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 20 * 1024 * 1024,
      onConnect: (_session: SMTPServerSession, callback: (error?: Error) => void) => {
        // "silent": accept the TCP connection and never send the greeting.
        if (this.behaviour === 'silent') return;
        callback();
      },
      onMailFrom: (_address, _session, callback) => {
        // …and on a connection opened earlier (a pooled one), never answer MAIL FROM.
        if (this.behaviour === 'silent') return;
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        this.dataStarted++;
        this.receiving++;
        let ended = false;
        // A client that dies before the end of its message: smtp-server destroys the stream and no 'end' comes.
        stream.on('close', () => {
          if (!ended) this.receiving--;
        });
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          ended = true;
          void answer().finally(() => {
            this.receiving--;
          });
        });
        const answer = async () => {
          const behaviour = this.behaviour;
          // "holdMs": keep the message, but answer only after a while (a send caught in flight).
          if (typeof behaviour === 'object' && 'holdMs' in behaviour) await new Promise((resolve) => setTimeout(resolve, behaviour.holdMs));
          if (typeof behaviour === 'object' && 'reply' in behaviour && (behaviour.times === undefined || this.refusals < behaviour.times)) {
            this.refusals++;
            const error = Object.assign(new Error(behaviour.reply >= 500 ? 'mailbox unavailable' : 'try again later'), {
              responseCode: behaviour.reply,
            });
            return callback(error);
          }
          const parsed = (await simpleParser(Buffer.concat(chunks))) as ReceivedMail;
          parsed.envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          this.received.push(parsed);
          callback();
        };
      },
    });
    // A client that dies mid-conversation resets its socket; that is the client's problem, not the test's.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  set(behaviour: SmtpBehaviour): void {
    this.behaviour = behaviour;
    this.refusals = 0;
  }

  /** Waits until `count` messages have arrived (or fails after `ms`). */
  async waitFor(count: number, ms = 15_000): Promise<ReceivedMail[]> {
    const until = Date.now() + ms;
    while (this.received.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} mails, got ${this.received.length}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.received;
  }

  clear(): void {
    this.received.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
