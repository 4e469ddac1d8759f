import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { alive, track } from './service.js';

/**
 * A local SMTP server (the smtp-server package) that accepts every message and discards it,
 * counting. It runs in a process of its own so that it takes no CPU from the sender being
 * measured, and reports the moment it has accepted the number of messages it was told to expect.
 */

type ToSink = { type: 'expect'; count: number } | { type: 'count' } | { type: 'reset' } | { type: 'sample' };
type FromSink =
  | { type: 'ready'; port: number }
  | { type: 'reached'; at: number; firstAt: number }
  | { type: 'count'; count: number; bytes: number }
  | { type: 'sample'; raw: string | null };

export const now = () => performance.timeOrigin + performance.now();

function runSink(): void {
  let count = 0;
  let bytes = 0;
  let firstAt = 0;
  let expected = Infinity;
  let sample: Buffer | null = null;
  const send = (message: FromSink) => process.send!(message);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 50 * 1024 * 1024,
    onData(stream, _session, callback) {
      const keep = sample === null;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      stream.on('end', () => {
        count++;
        if (count === 1) firstAt = now();
        if (keep && sample === null) sample = Buffer.concat(chunks);
        callback();
        if (count === expected) send({ type: 'reached', at: now(), firstAt });
      });
    },
  });
  process.on('message', (message: ToSink) => {
    if (message.type === 'expect') {
      expected = message.count;
      if (count >= expected) send({ type: 'reached', at: now(), firstAt });
    } else if (message.type === 'count') send({ type: 'count', count, bytes });
    else if (message.type === 'reset') {
      count = 0;
      bytes = 0;
      expected = Infinity;
      sample = null;
    } else if (message.type === 'sample') send({ type: 'sample', raw: sample ? sample.toString('latin1') : null });
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.server.address() as AddressInfo).port }));
}

if (process.argv[2] === '--sink') runSink();

export class SmtpSink {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(): Promise<SmtpSink> {
    const child = track(fork(new URL(import.meta.url).pathname, ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: FromSink) =>
        message.type === 'ready' ? resolve(message.port) : reject(new Error('unexpected message')),
      );
      child.once('exit', (code) => reject(new Error(`the SMTP sink exited with ${code}`)));
    });
    return new SmtpSink(child, port);
  }

  private ask<T extends FromSink['type']>(message: ToSink, answer: T): Promise<Extract<FromSink, { type: T }>> {
    return new Promise((resolve) => {
      const listener = (reply: FromSink) => {
        if (reply.type !== answer) return;
        this.child.off('message', listener);
        resolve(reply as Extract<FromSink, { type: T }>);
      };
      this.child.on('message', listener);
      this.child.send(message);
    });
  }

  count() {
    return this.ask({ type: 'count' }, 'count');
  }

  /** Resolves with the moment the sink had accepted `count` messages, or null after `timeoutMs`. */
  async waitFor(count: number, timeoutMs: number): Promise<{ at: number; firstAt: number } | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    const reached = this.ask({ type: 'expect', count }, 'reached');
    const result = await Promise.race([reached, timeout]);
    clearTimeout(timer);
    return result;
  }

  reset(): void {
    this.child.send({ type: 'reset' } satisfies ToSink);
  }

  async sample(): Promise<Buffer | null> {
    const { raw } = await this.ask({ type: 'sample' }, 'sample');
    return raw === null ? null : Buffer.from(raw, 'latin1');
  }

  async stop(): Promise<void> {
    if (!alive(this.child)) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
