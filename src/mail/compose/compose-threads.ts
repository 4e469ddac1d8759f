import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppConfig } from '../../config/config.module.js';
import { DEFAULT_TEMPLATES_DIR, MAIL_TEMPLATES_DIR } from '../templates/mail-renderer.js';
import { MessageComposer, type ComposedMessage, type ComposeRequest } from './message-composer.js';

/**
 * The compiled thread script. This file is src/mail/compose/ or, compiled, dist/mail/compose/:
 * either way three levels below the root, so tests running from src use the build's thread too
 * (a thread cannot load TypeScript); `npm run build` makes it.
 */
export const THREAD_SCRIPT = resolve(import.meta.dirname, '../../../dist/mail/compose/compose.thread.js');

interface Pending {
  resolve: (message: ComposedMessage) => void;
  reject: (error: Error) => void;
}

interface ComposeThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Composes outgoing mail on MAIL_COMPOSE_THREADS threads of their own (0: on the calling thread).
 * Rendering and MIME building are most of a delivery's CPU and all synchronous; on threads they
 * run beside the queue, database and socket work of the delivery worker, and never hold up the
 * API's event loop in a process that does both. Threads start with the first message (an API-only
 * process never starts any); a thread that dies fails its messages in flight (their jobs are
 * retried like any failed send) and is replaced by the next message.
 */
@Injectable()
export class ComposeThreads implements OnApplicationShutdown {
  private readonly logger = new Logger(ComposeThreads.name);
  private readonly threads: (ComposeThread | null)[];
  private local?: MessageComposer;
  private nextId = 1;
  private closing = false;

  constructor(
    config: AppConfig,
    @Optional() @Inject(MAIL_TEMPLATES_DIR) private readonly templatesDir: string = DEFAULT_TEMPLATES_DIR,
  ) {
    this.threads = Array.from({ length: config.get('MAIL_COMPOSE_THREADS') }, () => null);
    if (this.threads.length > 0 && !existsSync(THREAD_SCRIPT)) {
      throw new Error(
        `MAIL_COMPOSE_THREADS=${this.threads.length} needs the compiled thread ${THREAD_SCRIPT}: run \`npm run build\` (or set MAIL_COMPOSE_THREADS=0).`,
      );
    }
  }

  compose(request: ComposeRequest): Promise<ComposedMessage> {
    // A job still running at shutdown fails and is retried by the next worker, rather than wait on a thread that is gone.
    if (this.closing) return Promise.reject(new Error('the mail compose threads are shutting down'));
    if (this.threads.length === 0) {
      this.local ??= new MessageComposer(this.templatesDir);
      return this.local.compose(request);
    }
    const thread = this.leastBusy();
    const id = this.nextId++;
    return new Promise<ComposedMessage>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, request });
    });
  }

  /** Messages in flight per thread (for tests and diagnostics). */
  get load(): number[] {
    return this.threads.map((thread) => thread?.pending.size ?? 0);
  }

  private leastBusy(): ComposeThread {
    let best = 0;
    for (let i = 0; i < this.threads.length; i++) {
      const thread = this.threads[i];
      if (!thread) return (this.threads[i] = this.start(i));
      if (thread.pending.size < this.threads[best]!.pending.size) best = i;
    }
    return this.threads[best]!;
  }

  private start(index: number): ComposeThread {
    const worker = new Worker(THREAD_SCRIPT, {
      workerData: { templatesDir: this.templatesDir },
      name: `mail-compose-${index}`,
      // Without a limit a thread's heap is sized from the machine's memory and V8 lets it grow at
      // leisure: 10,000 digests left the process 40 MiB larger than with this bound, which still
      // composes the secretariat's summary of a 100,000-organisation round (58 MiB) in one piece.
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    const thread: ComposeThread = { worker, pending: new Map() };
    worker.on('message', (reply: { id?: number; message?: ComposedMessage; error?: { message: string; stack?: string } }) => {
      if (reply.id === undefined) return;
      const pending = thread.pending.get(reply.id);
      if (!pending) return;
      thread.pending.delete(reply.id);
      if (reply.error) pending.reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack }));
      else pending.resolve({ subject: reply.message!.subject, raw: reply.message!.raw });
    });
    const fail = (reason: string) => {
      if (this.threads[index] === thread) this.threads[index] = null;
      if (thread.pending.size > 0)
        this.logger.error(`mail compose thread ${index} ${reason}; ${thread.pending.size} message(s) in flight will be retried`);
      for (const pending of thread.pending.values()) pending.reject(new Error(`the mail compose thread ${reason}`));
      thread.pending.clear();
    };
    worker.on('error', (error) => fail(`failed: ${error.message}`));
    worker.on('exit', (code) => fail(this.closing ? 'was stopped at shutdown' : `exited with code ${code}`));
    return thread;
  }

  /** Lets messages in flight finish (a send being shut down gets its bytes), for at most 10 s. */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    const until = Date.now() + 10_000;
    while (this.load.some((n) => n > 0) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all(this.threads.map((thread) => thread?.worker.terminate()));
  }
}
