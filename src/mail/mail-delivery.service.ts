import { isReportLinks } from './templates/mail-data.js';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { Clock } from '../common/clock.js';
import { SignedLinks } from '../common/signed-links.js';
import { AppConfig } from '../config/config.module.js';
import { jobIds, RunLater } from '../queue/jobs.js';
import { QueueService } from '../queue/queue.service.js';
import { Coalescer } from './coalescer.js';
import { MailTransport } from './mail-transport.js';
import { OutboxRepository } from './outbox.repository.js';
import { ComposeThreads } from './compose/compose-threads.js';
import type { ComposedMessage } from './compose/message-composer.js';
import type { MailTemplateName } from './templates/mail-data.js';

/** Templates that ask an organisation for something: pointless once their round has closed. */
const ROUND_BOUND_TEMPLATES = new Set(['status-request', 'reminder']);
/** Templates a reply to which answers the request: their Reply-To is the request's reply address. */
const REPLY_TEMPLATES = new Set([...ROUND_BOUND_TEMPLATES, 'milestone-question']);

/**
 * Delivers outbox messages. It knows nothing of rounds or milestones beyond "skip what no longer
 * applies": it renders the stored template data, sends, and records the outcome. Temporary
 * failures (4xx, network, time-outs) are thrown back to BullMQ, which retries with exponential
 * backoff; a permanent refusal (5xx) is recorded and not retried.
 */
/** A message given up as undeliverable (a permanent refusal, or every attempt used). */
export interface Undeliverable {
  requestId: number | null;
  template: string;
  reason: string;
}
export type UndeliverableListener = (message: Undeliverable) => Promise<void>;

@Injectable()
export class MailDeliveryService implements OnModuleInit {
  private readonly logger = new Logger(MailDeliveryService.name);
  private readonly undeliverableListeners: UndeliverableListener[] = [];
  /**
   * The worker runs 2 × SMTP_POOL_SIZE jobs at once: their claims and their "sent" records share
   * statements (one each per batch instead of one each per message). A job still completes only
   * after its own message is recorded as sent.
   */
  /** The messages this process is delivering now. */
  private readonly delivering = new Set<number>();
  private readonly claims = new Coalescer((ids: number[]) => this.outbox.claimForDelivery(ids));
  private readonly sentRecords = new Coalescer(async (rows: { id: number; subject: string; sentAt: Date }[]) => {
    await this.outbox.markSentMany(rows);
    return rows.map(() => undefined);
  });

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly composer: ComposeThreads,
    private readonly links: SignedLinks,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.queues.handle('mail.deliver', ({ outboxId }, job) => this.deliver(outboxId, job));
  }

  /** Call after the transaction that wrote the messages has committed. */
  async enqueue(outboxIds: number[]): Promise<void> {
    await this.queues.addBulk(
      'mail.deliver',
      outboxIds.map((outboxId) => ({
        payload: { outboxId },
        options: {
          jobId: jobIds.deliver(outboxId),
          attempts: this.config.get('MAIL_ATTEMPTS'),
          backoff: { type: 'exponential', delay: this.config.get('MAIL_BACKOFF_MS') },
          removeOnComplete: { count: 10_000 },
          removeOnFail: { count: 10_000 },
        },
      })),
    );
  }

  /**
   * Re-enqueues messages still pending after a crash, a deploy or a Redis flush. Enqueueing one
   * that is already queued is a no-op (same job id), and one delivered meanwhile is skipped by the
   * handler, so this is safe to run at any time.
   */
  async reconcile(): Promise<number> {
    const ids = await this.outbox.findPendingIds(5_000);
    await this.enqueue(ids);
    return ids.length;
  }

  async deliver(outboxId: number, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<'sent' | 'skipped' | 'already-done'> {
    // A job of ours whose lock ran out while this process was busy comes back while we still send it.
    if (this.delivering.has(outboxId))
      throw new RunLater(2 * this.config.get('SMTP_TIMEOUT_MS'), `outbox ${outboxId} is being delivered by this process`);
    this.delivering.add(outboxId);
    try {
      return await this.deliverOnce(outboxId, job);
    } finally {
      this.delivering.delete(outboxId);
    }
  }

  private async deliverOnce(outboxId: number, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<'sent' | 'skipped' | 'already-done'> {
    const message = await this.claims.load(outboxId);
    if (!message) return 'already-done';
    if (message.roundState === 'closed' && ROUND_BOUND_TEMPLATES.has(message.template)) {
      await this.outbox.markGivenUp(outboxId, 'skipped', 'not sent: the round closed before it was delivered', false);
      return 'skipped';
    }

    if (message.handingAt !== null) {
      // Another worker took it and has not recorded the outcome. It may still be at work (a job
      // whose lock ran out while its event loop was busy is handed to a second worker): until every
      // SMTP time-out it could meet has passed, wait rather than send a copy beside it.
      const heldFor = this.clock.now().getTime() - message.handingAt.getTime();
      const mayStillHold = 2 * this.config.get('SMTP_TIMEOUT_MS');
      if (heldFor < mayStillHold)
        throw new RunLater(mayStillHold - heldFor, `outbox ${outboxId} is being handed to the SMTP server by another worker`);
      // That worker died before the SMTP server's answer, perhaps after handing it over: it may
      // have arrived. Sent once more, and counted on the round page; never a third time.
      if (message.possiblyTwice) {
        const reason = 'not sent again: twice a worker died while handing it to the SMTP server, so it has probably arrived';
        await this.outbox.markGivenUp(outboxId, 'failed', reason, false);
        this.logger.warn(`outbox ${outboxId} ${message.messageId}: ${reason}`);
        return 'skipped';
      }
      await this.outbox.markPossiblyTwice(outboxId);
      this.logger.warn(
        `outbox ${outboxId} ${message.messageId} was being handed to the SMTP server (since ${message.handingAt.toISOString()}) when its worker stopped: sending it once more, so it may arrive twice`,
      );
    }
    const from = this.config.get('MAIL_FROM');
    let composed: ComposedMessage;
    try {
      // Rendered and built on a compose thread. A failure there (bad stored data, a thread that
      // died) is retried like a temporary SMTP failure and recorded, so no message stays pending unexplained.
      composed = await this.composer.compose({
        template: message.template as MailTemplateName,
        language: message.language,
        data: this.withAnswerLink(message.data as Record<string, unknown>),
        from,
        to: message.recipients,
        replyTo: this.replyTo(message),
        messageId: message.messageId,
      });
    } catch (error) {
      return this.failed(
        outboxId,
        Object.assign(new Error(`could not compose the message: ${(error as Error).message}`), { code: 'ECOMPOSE' }),
        job,
      );
    }
    try {
      await this.transport.send({ from, to: message.recipients, messageId: message.messageId, raw: composed.raw });
    } catch (error) {
      return this.failed(outboxId, error as SmtpError, job);
    }
    await this.sentRecords.load({ id: outboxId, subject: composed.subject, sentAt: this.clock.now() });
    return 'sent';
  }

  private async failed(outboxId: number, error: SmtpError, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<never> {
    const reason = describeSmtpError(error);
    if (isPermanent(error)) {
      await this.giveUp(outboxId, reason);
      this.logger.warn(`outbox ${outboxId} refused permanently: ${reason}`);
      throw new UnrecoverableError(reason);
    }
    const lastAttempt = job !== undefined && job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (lastAttempt) await this.giveUp(outboxId, `gave up after ${job.attemptsMade + 1} attempts: ${reason}`);
    else await this.outbox.markAttemptFailed(outboxId, reason);
    throw Object.assign(new Error(reason), { cause: error });
  }

  /**
   * Listens for messages given up as undeliverable: the module that asked for a message decides
   * what that means for it (reporting records the request as bounced).
   */
  onUndeliverable(listener: UndeliverableListener): void {
    this.undeliverableListeners.push(listener);
  }

  private async giveUp(outboxId: number, reason: string): Promise<void> {
    const message = await this.outbox.markGivenUp(outboxId, 'failed', reason, true);
    if (!message) return;
    for (const listener of this.undeliverableListeners) await listener({ ...message, reason });
  }

  /** The links a message carries, signed only now: the outbox keeps what they are made from, never the links. */
  private withAnswerLink(data: Record<string, unknown>): Record<string, unknown> {
    const { answerNonce, reportLinks, revertNonce, questionReply, ...rest } = data;
    if (typeof revertNonce === 'string') rest.revertUrl = this.links.revertUrl(revertNonce);
    if (typeof questionReply === 'number') rest.replyAddress = this.links.questionReplyAddress(questionReply);
    if (isReportLinks(reportLinks)) {
      const expiresAt = new Date(reportLinks.expiresAt);
      return {
        ...rest,
        validUntil: reportLinks.expiresAt,
        links: reportLinks.formats.map((format) => ({ format, url: this.links.reportUrl(reportLinks.reportId, format, expiresAt) })),
      };
    }
    return typeof answerNonce === 'string'
      ? { replyAddress: this.links.replyAddress(answerNonce), ...rest, answerUrl: this.links.answerUrl(answerNonce) }
      : rest;
  }

  /**
   * A digest's or question's Reply-To: written on rows queued before reply keys were derived,
   * derived otherwise, from the request's nonce or (a question without a request) the question's id.
   */
  private replyTo(message: { replyTo: string | null; template: string; data: unknown }): string | undefined {
    if (message.replyTo) return message.replyTo;
    if (!REPLY_TEMPLATES.has(message.template)) return undefined;
    const { answerNonce, questionReply } = message.data as { answerNonce?: unknown; questionReply?: unknown };
    if (typeof questionReply === 'number') return this.links.questionReplyAddress(questionReply);
    return typeof answerNonce === 'string' ? this.links.replyAddress(answerNonce) : undefined;
  }
}

export interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

export function isPermanent(error: SmtpError): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500 && error.responseCode < 600;
}

export function describeSmtpError(error: SmtpError): string {
  if (error.code === 'ECOMPOSE') return error.message.slice(0, 300);
  if (error.code === 'ETIMEDOUT') return `timed out: the SMTP server did not answer (${error.message})`;
  if (error.responseCode) return `SMTP ${error.responseCode}: ${(error.response ?? error.message).slice(0, 300)}`;
  return `${error.code ?? 'error'}: ${error.message.slice(0, 300)}`;
}
