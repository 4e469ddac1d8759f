import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { AddressObject, ParsedMail } from 'mailparser';
import { z } from 'zod';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import type { InboundStatus } from '../generated/db/enums.js';
import { MILESTONE_STATES } from '../common/milestone-states.js';
import type { RequestForAnswering } from '../answers/answers.repository.js';
import { AnswersRepository } from '../answers/answers.repository.js';
import { AnswersService, InvalidAnswers, RoundClosed, type NumberedAnswer } from '../answers/answers.service.js';
import { YearApproved } from '../progress/records.repository.js';
import { SignedLinks } from '../common/signed-links.js';
import { EvidenceService, type CheckedFile, type FileLink } from '../evidence/evidence.service.js';
import { cleanText, unstorableText } from '../common/text.js';
import { ReplyRevertService } from './reply-revert.service.js';
import { DuplicateMessage, InboundRepository, type AnsweredQuestion, type NewInboundMessage } from './inbound.repository.js';
import { verdictFromRelay, type SenderVerdict } from './sender-authentication.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import type { RefusedFileData } from '../mail/templates/mail-data.js';
import { questionReplyMails } from './question-reply-mail.js';
import { parseReply, type ParsedReply } from './reply-parser/parse-reply.js';
import { isAutoReplySubject } from './reply-parser/auto-reply.js';
import { stripQuotedText } from './reply-parser/strip-quoted.js';

export class MalformedMessage extends Error {}

/**
 * What review needs of the reading stored with a message (InboundMessage.parsed, a ParsedReply):
 * its updates and the lines not understood. A message dropped before it was read has `{}`.
 */
const storedReading = z.object({
  updates: z
    .array(
      z.object({
        number: z.number(),
        state: z.enum(MILESTONE_STATES),
        progress: z.number().nullable(),
        comment: z.string().nullable(),
      }),
    )
    .default([]),
  notUnderstood: z.array(z.string()).default([]),
});

export interface InboundOutcome {
  status: InboundStatus | 'duplicate';
  reason: string | null;
  inboundId: number | null;
  applied: number;
}

/**
 * Replies by email. A reply is matched to its request, or to a question mailed without one, by
 * the reply address, checked (sender, auto-reply, repeat), read, and what is clear is applied
 * through the same rules as the form; the rest goes to the secretariat's review queue with the
 * reason. The message, the answers and the confirmation are written in one transaction.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    private readonly inbound: InboundRepository,
    private readonly requests: AnswersRepository,
    private readonly answers: AnswersService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly evidence: EvidenceService,
    private readonly reverts: ReplyRevertService,
    private readonly links: SignedLinks,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
  ) {}

  /**
   * Takes one received message. `sender` is the verdict of the SMTP listener's own checks; a
   * message from the webhook is judged by the Authentication-Results of a trusted relay.
   */
  async receive(raw: Buffer, envelope: { to?: string[]; sender?: SenderVerdict } = {}): Promise<InboundOutcome> {
    const mail = await this.parse(raw);
    const messageId = cleanText(
      mail.messageId ?? `<sha256-${createHash('sha256').update(raw).digest('hex')}@${this.config.get('INBOUND_DOMAIN')}>`,
    ).slice(0, 500);
    if (await this.inbound.exists(messageId))
      return { status: 'duplicate', reason: `message ${messageId} was already processed`, inboundId: null, applied: 0 };

    const from = cleanText(mail.from?.value[0]?.address ?? '').toLowerCase();
    const subject = cleanText(mail.subject ?? '').slice(0, 500);
    // PostgreSQL stores no NUL and no lone surrogate: such a message is kept, cleaned, for review.
    const unstorable = [mail.text ?? '', mail.subject ?? '', mail.from?.text ?? ''].map(unstorableText).find((found) => found !== null);
    const text = cleanText(mail.text ?? '');
    const body = stripQuotedText(text).slice(0, 100_000);
    const { files, fileNote, refusedFiles } = this.attachments(mail);
    const record = (status: InboundStatus, reason: string | null, parsed: ParsedReply | null, requestId: number | null, applied = 0) =>
      ({
        messageId,
        fromAddress: from,
        subject,
        requestId,
        status,
        reason: status === 'dropped' ? reason : [reason, fileNote].filter(Boolean).join('; ') || null,
        body,
        parsed: parsed ?? {},
        applied,
        receivedAt: this.clock.now(),
      }) satisfies NewInboundMessage;

    const autoReply = this.autoReplyReason(mail, subject);
    if (autoReply) return this.store(record('dropped', autoReply, null, null));

    const replyKey = this.replyKeyOf(mail, envelope.to ?? []);
    // A reply to a question's mail in the committee's own words belongs in the milestone's thread.
    const threadReply = (question: AnsweredQuestion, requestId: number | null) =>
      this.keepReply(
        question,
        { from, body, unstorable, sender: () => envelope.sender ?? this.relayVerdict(mail, from) },
        (status, reason) => record(status, reason, null, requestId),
        files,
      );
    // A question mailed while its committee had no open request has a reply address of its own:
    // it names the question, so the reply needs no In-Reply-To (clients and forwards drop it).
    const questionKey = replyKey === null ? null : this.links.questionOfReplyKey(replyKey);
    if (questionKey) {
      const { questionId } = questionKey;
      if (!questionKey.genuine)
        return this.store(
          record('dropped', `the reply address names question ${questionId}, but its key was not made by this service`, null, null),
        );
      const asked = await this.inbound.questionById(questionId);
      if (!asked)
        return this.store(
          record('in_review', `a reply to question ${questionId}, which no longer exists (its milestone was removed)`, null, null),
          files,
        );
      if (body.trim() === '')
        return this.store(
          record('in_review', `a reply to the question about ${asked.milestone}, with no text`, null, asked.requestId),
          files,
        );
      return threadReply(asked, asked.requestId);
    }
    const request = replyKey ? await this.requests.findByReplyKeyHash(SignedLinks.hash(replyKey)) : null;
    const question = await this.inbound.questionAnswered(referencedMessageIds(mail));
    if (!request && question && body.trim() !== '') return threadReply(question, question.requestId);
    if (!request)
      return this.store(
        record(
          'dropped',
          replyKey ? 'no report request has this reply address' : 'not addressed to a report request (no reports+<key> address)',
          null,
          null,
        ),
      );

    const parsed = parseReply(
      text,
      request.milestones.map((row) => ({ number: row.number, label: row.milestone.label, text: row.milestone.text })),
    );
    // Answers written into the quoted digest: the secretariat needs the whole text to see them.
    const full = text.slice(0, 100_000);
    const recordFull = (status: InboundStatus, reason: string | null, applied = 0) => ({
      ...record(status, reason, parsed, request.id, applied),
      body: parsed.inline ? full : body,
    });
    const store = (data: NewInboundMessage) => this.store(data, files);
    const contacts = request.organisation.contacts.map((contact) => contact.email.toLowerCase());
    if (!from || !contacts.includes(from)) {
      return store(recordFull('in_review', `the sender ${from || '(none)'} is not a contact of ${request.organisation.name}`));
    }
    if (parsed.unnamedInline.length > 0) {
      const lines = parsed.unnamedInline.map((line) => `"${line}"`).join('; ');
      return store(recordFull('in_review', `answers written between the quoted lines do not name their milestone: ${lines}`));
    }
    // The reply address and a contact's address are not secrets; only the sender's domain vouching for it counts.
    const sender = envelope.sender ?? this.relayVerdict(mail, from);
    if (!sender.verified) {
      return store(recordFull('in_review', `the sender ${from} could not be authenticated: ${sender.detail}`));
    }
    if (unstorable) {
      const what = unstorable === 'NUL' ? 'NUL characters' : 'broken characters (lone surrogates)';
      return store(recordFull('in_review', `the message contained ${what}, removed before it was stored`));
    }
    if (parsed.updates.length === 0) {
      if (question && body.trim() !== '') return threadReply(question, request.id);
      return store(recordFull('in_review', 'no line naming a milestone and a status could be read'));
    }
    try {
      return await this.apply(request, parsed, from, recordFull, files, refusedFiles);
    } catch (error) {
      // The same message delivered twice at once: the second insert meets the first's Message-ID.
      if (error instanceof DuplicateMessage) return this.duplicate(messageId);
      throw error;
    }
  }

  private duplicate(messageId: string): InboundOutcome {
    return { status: 'duplicate', reason: `message ${messageId} was already processed`, inboundId: null, applied: 0 };
  }

  /** The verdict of the topmost Authentication-Results a trusted relay stamped on the message. */
  private relayVerdict(mail: ParsedMail, from: string): SenderVerdict {
    const headers = mail.headerLines
      .filter((header) => header.key === 'authentication-results')
      .map((header) => header.line.replace(/^[^:]*:\s*/, ''));
    return verdictFromRelay(headers, this.config.get('INBOUND_TRUSTED_RELAYS'), from);
  }

  /** Applies what was read; what could not be read is listed in the confirmation and the reason. */
  private async apply(
    request: RequestForAnswering,
    parsed: ParsedReply,
    actor: string,
    record: (status: InboundStatus, reason: string | null, applied: number) => NewInboundMessage,
    files: CheckedFile[],
    refusedFiles: RefusedFileData[],
  ): Promise<InboundOutcome> {
    const unread = [...parsed.notUnderstoodReasons, ...parsed.ambiguous];
    const unclear = unread.map((a) => a.line);
    const answers: NumberedAnswer[] = parsed.updates.map((u) => ({
      number: u.number,
      state: u.state,
      progress: u.progress,
      comment: u.comment,
    }));
    const reason = unclear.length ? `not understood: ${unclear.map((line) => `"${line}"`).join('; ')}` : null;
    let inboundId = 0;
    const applied = record('applied', reason, answers.length);
    // The files document the milestones the reply answered (a deliverable with its report attached).
    const answered = new Map(request.milestones.map((row) => [row.number, row.milestoneId]));
    const milestoneIds = answers.map((answer) => answered.get(answer.number)!).filter((id) => id !== undefined);
    const revertNonce = this.reverts.newNonce();
    try {
      await this.evidence.keep(files, (save) =>
        this.answers.submit(request, answers, {
          channel: 'email_reply',
          actor,
          final: false,
          notUnderstood: unread.map(({ line, code, params }) => ({ line, code, params })),
          refusedFiles,
          revertNonce,
          alsoInTransaction: async (tx: Tx, at: Date) => {
            inboundId = await this.inbound.create(applied, tx);
            await this.reverts.record(tx, revertNonce, request.id, inboundId, at);
            if (files.length > 0)
              await save(tx, { source: 'email_reply', requestId: request.id, inboundMessageId: inboundId, milestoneIds });
          },
        }),
      );
      return { status: 'applied', reason: applied.reason, inboundId, applied: answers.length };
    } catch (error) {
      if (error instanceof InvalidAnswers || error instanceof RoundClosed || error instanceof YearApproved) {
        const why =
          error instanceof RoundClosed
            ? 'the round had closed'
            : error instanceof YearApproved
              ? error.message
              : (error.getResponse() as { message: string[] }).message.join('; ');
        return this.store(record('in_review', why, 0), files);
      }
      throw error;
    }
  }

  /**
   * Keeps a free-text reply to a question's mail in the milestone's thread, with the message and
   * its files (which then document the milestone), and confirms it to the contact and tells the
   * secretariat. Only from a contact of the milestone's committee whose domain vouches for the
   * sender; anything else waits in review with the reason.
   */
  private async keepReply(
    question: AnsweredQuestion,
    reply: { from: string; body: string; unstorable: string | null | undefined; sender: () => SenderVerdict },
    record: (status: InboundStatus, reason: string | null) => NewInboundMessage,
    files: CheckedFile[],
  ): Promise<InboundOutcome> {
    const about = `the question about ${question.milestone}`;
    if (!reply.from || !question.contacts.includes(reply.from))
      return this.store(
        record('in_review', `a reply to ${about}, but ${reply.from || '(none)'} is not a contact of ${question.organisation}`),
        files,
      );
    const sender = reply.sender();
    if (!sender.verified)
      return this.store(
        record('in_review', `a reply to ${about}, but the sender ${reply.from} could not be authenticated: ${sender.detail}`),
        files,
      );
    if (reply.unstorable)
      return this.store(record('in_review', `a reply to ${about}; the message contained characters removed before it was stored`), files);
    const data = record('applied', `a reply to ${about}, kept in its thread`);
    const at = data.receivedAt;
    const write = (save?: (tx: Tx, link: FileLink) => Promise<number[]>) =>
      this.inbound.transaction(async (tx) => {
        const id = await this.inbound.create(data, tx);
        await this.inbound.addReply(
          tx,
          { milestoneId: question.milestoneId, reviewId: question.reviewId, fromAddress: reply.from, text: reply.body, at },
          id,
        );
        if (save)
          await save(tx, { source: 'email_reply', requestId: data.requestId, inboundMessageId: id, milestoneIds: [question.milestoneId] });
        // The contact hears that the reply arrived, and the secretariat that there is one to read.
        const mails = questionReplyMails(
          question,
          { inboundId: id, from: reply.from, text: reply.body, files: files.length, at },
          {
            recipients: this.config.get('SECRETARIAT_EMAIL'),
            language: this.config.get('SECRETARIAT_LANGUAGE'),
            publicUrl: this.config.get('PUBLIC_URL'),
          },
        );
        return { id, outboxIds: await this.outbox.add(tx, mails, this.config.get('MAIL_FROM').split('@')[1]!) };
      });
    try {
      const { id, outboxIds } = files.length === 0 ? await write() : await this.evidence.keep(files, (save) => write(save));
      await this.delivery.enqueue(outboxIds);
      this.logger.log(`inbound ${data.messageId} from ${reply.from}: ${data.reason}`);
      return { status: 'applied', reason: data.reason, inboundId: id, applied: 0 };
    } catch (error) {
      if (error instanceof DuplicateMessage) return this.duplicate(data.messageId);
      throw error;
    }
  }

  /** Records a message that is not applied, with the files it brought (kept for review, on no milestone yet). */
  private async store(data: NewInboundMessage, files: CheckedFile[] = []): Promise<InboundOutcome> {
    let id: number;
    try {
      id =
        files.length === 0
          ? await this.inbound.create(data)
          : await this.evidence.keep(files, (save) =>
              this.inbound.transaction(async (tx) => {
                const created = await this.inbound.create(data, tx);
                await save(tx, { source: 'email_reply', requestId: data.requestId, inboundMessageId: created });
                return created;
              }),
            );
    } catch (error) {
      if (error instanceof DuplicateMessage) return this.duplicate(data.messageId);
      throw error;
    }
    if (data.status !== 'applied') this.logger.log(`inbound ${data.messageId} from ${data.fromAddress}: ${data.status} (${data.reason})`);
    return { status: data.status, reason: data.reason ?? null, inboundId: id, applied: 0 };
  }

  /**
   * The files a reply brought, checked as uploads are (count, size, kind by content). A file that
   * cannot be kept, and a name that had to be cleaned, are noted in the message's reason; images
   * shown inside the text (signature logos) are not attachments.
   */
  private attachments(mail: ParsedMail): { files: CheckedFile[]; fileNote: string | null; refusedFiles: RefusedFileData[] } {
    const incoming = (mail.attachments ?? [])
      .filter((attachment) => !attachment.related)
      .map((attachment) => ({ name: attachment.filename ?? '', content: attachment.content }));
    const { accepted, problems } = this.evidence.check(incoming, { strictNames: false });
    const notes = [
      ...problems.map((problem) => `attachment not kept: ${problem.message}`),
      ...accepted
        .filter((file) => file.renamed)
        .map((file) => `attachment kept as "${file.fileName}": its name had a path or control characters`),
    ];
    return {
      files: accepted,
      fileNote: notes.length > 0 ? notes.join('; ') : null,
      // For the confirmation, in the committee's language: each file refused, why, and the limit.
      refusedFiles: problems.map(({ name, code, params }) => ({ name, code, params })),
    };
  }

  private async parse(raw: Buffer): Promise<ParsedMail> {
    const head = raw.subarray(0, 64 * 1024).toString('latin1');
    // mailparser accepts almost anything; a message needs at least a header block with a From line.
    if (!/^[\x21-\x39\x3b-\x7e]+:/m.test(head) || !/^from:/im.test(head)) {
      throw new MalformedMessage('not an RFC 5322 message: no header block with a From: line');
    }
    // Loaded with the first reply, not at boot: mailparser and its charset tables weigh 9–20 MiB
    // in every process, and most processes never read a reply (bench/RESULTS.md, 12).
    const { simpleParser } = await import('mailparser');
    try {
      return await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
    } catch (error) {
      throw new MalformedMessage(`not a readable RFC 5322 message: ${(error as Error).message}`);
    }
  }

  private autoReplyReason(mail: ParsedMail, subject: string): string | null {
    const header = (name: string) => {
      const value = mail.headers.get(name);
      return typeof value === 'string' ? value.toLowerCase() : value ? JSON.stringify(value).toLowerCase() : '';
    };
    const autoSubmitted = header('auto-submitted');
    if (autoSubmitted && autoSubmitted !== 'no') return `automatic reply (Auto-Submitted: ${autoSubmitted})`;
    if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond')) {
      return 'automatic reply (X-Autoreply)';
    }
    if (['auto_reply', 'bulk', 'junk', 'list'].includes(header('precedence')))
      return `automatic reply (Precedence: ${header('precedence')})`;
    if (isAutoReplySubject(subject)) return `automatic reply (subject "${subject}")`;
    return null;
  }

  /** The key of the first reports+<key>@INBOUND_DOMAIN address among the recipients. */
  private replyKeyOf(mail: ParsedMail, envelopeTo: string[]): string | null {
    const domain = this.config.get('INBOUND_DOMAIN').toLowerCase();
    const addresses = [mail.to, mail.cc, mail.headers.get('delivered-to') as AddressObject | undefined]
      .flatMap((field) => (Array.isArray(field) ? field : field ? [field] : []))
      .flatMap((field) => (typeof field === 'object' && 'value' in field ? field.value.map((v) => v.address ?? '') : [String(field)]))
      .concat(envelopeTo);
    for (const address of addresses) {
      const match = /^reports\+([a-z0-9]+)@(.+)$/i.exec(address.trim());
      if (match && match[2]!.toLowerCase() === domain) return match[1]!.toLowerCase();
    }
    return null;
  }

  /** The review queue: the secretariat accepts (what was read is applied) or rejects a reply. */
  async review(id: number, decision: 'accept' | 'reject', reviewer: string): Promise<InboundOutcome> {
    const message = await this.inbound.find(id);
    if (!message) throw new NotFoundException(`There is no inbound message ${id}.`);
    if (message.status !== 'in_review') throw new ConflictException(`Inbound message ${id} is ${message.status}, not waiting for review.`);
    const now = this.clock.now();
    if (decision === 'reject' || message.requestId === null) {
      await this.inbound.resolve(id, { status: 'rejected', reviewedAt: now, reviewedBy: reviewer });
      return { status: 'rejected', reason: message.reason, inboundId: id, applied: 0 };
    }
    const request = (await this.requests.findById(message.requestId))!;
    const parsed = storedReading.parse(message.parsed);
    if (!parsed.updates.length)
      throw new ConflictException(
        `Nothing in inbound message ${id} could be read, so there is nothing to accept; reject it and record the answer by hand.`,
      );
    const answers: NumberedAnswer[] = parsed.updates.map((u) => ({
      number: u.number,
      state: u.state,
      progress: u.progress,
      comment: u.comment,
    }));
    const revertNonce = this.reverts.newNonce();
    await this.answers.submit(request, answers, {
      channel: 'email_reply',
      actor: `${message.fromAddress} (accepted by ${reviewer})`,
      final: false,
      notUnderstood: parsed.notUnderstood,
      revertNonce,
      alsoInTransaction: async (tx, at) => {
        await this.inbound.resolve(id, { status: 'accepted', applied: answers.length, reviewedAt: now, reviewedBy: reviewer }, tx);
        await this.reverts.record(tx, revertNonce, request.id, id, at);
        const answered = new Map(request.milestones.map((row) => [row.number, row.milestoneId]));
        await this.evidence.linkMessage(
          tx,
          id,
          answers.flatMap((answer) => answered.get(answer.number) ?? []),
        );
      },
    });
    return { status: 'accepted', reason: message.reason, inboundId: id, applied: answers.length };
  }
}

/** The Message-IDs a reply refers to: In-Reply-To first, then References from the newest. */
function referencedMessageIds(mail: ParsedMail): string[] {
  const references = typeof mail.references === 'string' ? mail.references.split(/\s+/) : (mail.references ?? []);
  const ids = [...(mail.inReplyTo ?? '').split(/\s+/), ...[...references].reverse()]
    .map((id) => id.trim())
    .filter((id) => /^<[^<>\s]+>$/.test(id));
  return [...new Set(ids)].slice(0, 50);
}
