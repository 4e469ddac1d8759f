import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { AppConfig } from '../../config/config.module.js';
import { DEFAULT_TEMPLATES_DIR, MAIL_TEMPLATES_DIR } from '../templates/mail-renderer.js';
import type { ComposeReply } from './compose.thread.js';
import { MessageComposer, type ComposedMessage, type ComposeRequest } from './message-composer.js';

/**
 * The compiled thread script. This file is src/mail/compose/ or, compiled, dist/mail/compose/:
 * either way three levels below the root, so tests running from src use the build's thread too
 * (a thread cannot load TypeScript); `npm run build` makes it.
 */
export const THREAD_SCRIPT = resolve(import.meta.dirname, '../../../dist/mail/compose/compose.thread.js');

/** How long a shutdown waits for the messages in flight. */
const SHUTDOWN_WAIT_MS = 10_000;

/** What piscina tells of one of its threads ('workerCreate'); the getters are live. */
interface PoolThread {
  readonly currentUsage: number;
  readonly destroyed: boolean;
}

/**
 * Composes outgoing mail on MAIL_COMPOSE_THREADS threads of their own (0: on the calling thread),
 * a piscina pool. Rendering and MIME building are most of a delivery's CPU and all synchronous; on
 * threads they run beside the queue, database and socket work of the delivery worker, and never
 * hold up the API's event loop in a process that does both. The pool starts with the first message
 * (an API-only process never starts any thread); a thread that dies fails the message it was
 * composing (its job is retried like any failed send) and piscina starts another in its place.
 */
@Injectable()
export class ComposeThreads implements OnApplicationShutdown {
  private readonly logger = new Logger(ComposeThreads.name);
  private readonly size: number;
  private pool?: Piscina<ComposeRequest, ComposeReply>;
  private threads: PoolThread[] = [];
  private readonly inFlight = new Set<Promise<ComposedMessage>>();
  private local?: MessageComposer;
  private closing = false;

  constructor(
    config: AppConfig,
    @Optional() @Inject(MAIL_TEMPLATES_DIR) private readonly templatesDir: string = DEFAULT_TEMPLATES_DIR,
  ) {
    this.size = config.get('MAIL_COMPOSE_THREADS');
    if (this.size > 0 && !existsSync(THREAD_SCRIPT)) {
      throw new Error(
        `MAIL_COMPOSE_THREADS=${this.size} needs the compiled thread ${THREAD_SCRIPT}: run \`npm run build\` (or set MAIL_COMPOSE_THREADS=0).`,
      );
    }
  }

  compose(request: ComposeRequest): Promise<ComposedMessage> {
    // A job still running at shutdown fails and is retried by the next worker, rather than wait on a thread that is gone.
    if (this.closing) return Promise.reject(new Error('the mail compose threads are shutting down'));
    if (this.size === 0) {
      this.local ??= new MessageComposer(this.templatesDir);
      return this.local.compose(request);
    }
    const composed = this.onThread(request);
    this.inFlight.add(composed);
    const settled = () => this.inFlight.delete(composed);
    composed.then(settled, settled);
    return composed;
  }

  /** Messages each thread is composing now (for tests and diagnostics); the others wait in the pool's queue. */
  get load(): number[] {
    return Array.from({ length: this.size }, (_, i) => this.threads[i]?.currentUsage ?? 0);
  }

  private async onThread(request: ComposeRequest): Promise<ComposedMessage> {
    let reply: ComposeReply;
    try {
      reply = await this.started().run(request);
    } catch (error) {
      const failure = this.threadFailure(error as Error);
      this.logger.error(`${failure.message}; the message it was composing will be retried`);
      throw failure;
    }
    if ('error' in reply) throw Object.assign(new Error(reply.error.message), { stack: reply.error.stack });
    return { subject: reply.message.subject, raw: reply.message.raw };
  }

  private started(): Piscina<ComposeRequest, ComposeReply> {
    if (this.pool) return this.pool;
    const pool = new Piscina<ComposeRequest, ComposeReply>({
      filename: THREAD_SCRIPT,
      minThreads: this.size,
      maxThreads: this.size,
      workerData: { templatesDir: this.templatesDir },
      // Without a limit a thread's heap is sized from the machine's memory and V8 lets it grow at
      // leisure; 256 MiB still composes the secretariat's summary of a 100,000-organisation round.
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    pool.on('workerCreate', (thread: PoolThread) => this.threads.push(thread));
    pool.on('workerDestroy', () => (this.threads = this.threads.filter((thread) => !thread.destroyed)));
    // A thread failing with nothing in flight is reported as the pool's 'error' (unhandled, it would end the process).
    pool.on('error', (error: Error) => this.logger.error(`a mail compose thread failed: ${error.message}`));
    return (this.pool = pool);
  }

  /** The reason a task of the pool was rejected: its thread exited or failed under it. */
  private threadFailure(error: Error): Error {
    const exit = /^worker exited with code: (-?\d+)/.exec(error.message);
    const reason = this.closing ? 'was stopped at shutdown' : exit ? `exited with code ${exit[1]}` : `failed: ${error.message}`;
    return new Error(`the mail compose thread ${reason}`, { cause: error });
  }

  /**
   * Lets the messages in flight finish (a send being shut down gets its bytes), for at most 10 s,
   * then ends the threads. Not piscina's close(): it ends every thread as soon as one is idle, so
   * a message still being composed on another would be lost.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (!this.pool) return;
    await Promise.race([Promise.allSettled(this.inFlight), sleep(SHUTDOWN_WAIT_MS, undefined, { ref: false })]);
    await this.pool.destroy();
  }
}
