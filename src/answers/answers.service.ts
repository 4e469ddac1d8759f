import { BadRequestException, GoneException, HttpException, HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { RateLimiter, type AttemptLimit } from '../common/rate-limiter.js';
import { SignedLinks } from '../common/signed-links.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import type { UpdateChannel } from '../generated/db/enums.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import type { RefusedFileData, UnreadLineData } from '../mail/templates/mail-data.js';
import { answerSchema, type Answer, type RecordedAnswer } from '../progress/milestone-update.js';
import { lacksReason, recordedProgress, STATES_NEEDING_REASON } from '../progress/progress-rule.js';
import { RecordsService } from '../progress/records.service.js';
import { YearApproved } from '../progress/records.repository.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import { ReviewsRepository, type ThreadEntry } from '../progress/reviews.repository.js';
import { AnswersRepository, type RequestForAnswering, type Submission } from './answers.repository.js';

/** An answer about the milestone the digest numbered `number`. */
export type NumberedAnswer = { number: number } & Answer;

export interface AnswerProblem {
  number: number | null;
  field: string;
  message: string;
}

export class InvalidAnswers extends BadRequestException {
  constructor(readonly problems: AnswerProblem[]) {
    super({
      statusCode: 400,
      error: 'Bad Request',
      message: problems.map((p) => `${p.number === null ? '' : `milestone ${p.number}: `}${p.field ? `${p.field}: ` : ''}${p.message}`),
    });
  }
}

/** The same answer for an unknown, expired-and-purged or someone else's token: nothing to learn. */
export class UnknownLink extends NotFoundException {
  constructor() {
    super('This link is not valid. Please use the link in the most recent email from the secretariat.');
  }
}

export class TooManyAttempts extends HttpException {
  constructor() {
    super('Too many invalid links from this address. Please wait a few minutes and try again.', HttpStatus.TOO_MANY_REQUESTS);
  }
}

export class RoundClosed extends GoneException {
  constructor() {
    super('This reporting round has closed, so answers can no longer be recorded through this link. Please contact the secretariat.');
  }
}

export type LinkState = 'open' | 'late' | 'closed';

export interface SubmitOptions {
  channel: Extract<UpdateChannel, 'link_form' | 'email_reply' | 'api'>;
  actor: string;
  /** A final submission must cover every milestone asked for, and marks the request answered. */
  final: boolean;
  /**
   * Refuse a delayed, at-risk or cancelled state without a comment (the link form asks for it);
   * otherwise such an answer is recorded and its confirmation asks for the reason.
   */
  requireReasons?: boolean;
  /** Lines of an email reply that could not be read, with why when known, for the confirmation. */
  notUnderstood?: (string | UnreadLineData)[];
  /** Attachments of an email reply that were not kept, with why, for the confirmation. */
  refusedFiles?: RefusedFileData[];
  /** Written in the same transaction as the answers (e.g. the inbound message they came in), given their instant. */
  alsoInTransaction?: (tx: Tx, at: Date) => Promise<unknown>;
  /** The nonce of the confirmation's "this was not me" link (email replies; see ReplyRevertService). */
  revertNonce?: string;
  /** The form instance's one-time value: a second submission of the same instance records nothing (FormAlreadySubmitted). */
  formInstance?: string;
}

/** The same form instance was submitted before (a double click, a resent POST): nothing more is recorded. */
export class FormAlreadySubmitted extends Error {}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Answers from the committees, whichever way they come: the link form, its JSON twin, or an email
 * reply. Everything is checked before anything is written; then the updates, the request's state
 * and the confirmation mail are one transaction.
 */
@Injectable()
export class AnswersService {
  /** Unknown tokens per client address. */
  private readonly wrongLinks: AttemptLimit;

  constructor(
    private readonly requests: AnswersRepository,
    private readonly records: RecordsService,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly links: SignedLinks,
    limiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly reviews: ReviewsRepository,
  ) {
    this.wrongLinks = limiter.limit('token', config.get('TOKEN_FAILURES_PER_IP'), 15 * 60);
  }

  /**
   * Resolves a presented token, counting failures per client so guessing is slowed to a stop. A
   * client known to be blocked is refused before the lookup, whatever it presents; a valid link
   * costs no Redis round trip (see AttemptLimit.blocked).
   */
  async requestForToken(token: string, client: string): Promise<RequestForAnswering> {
    if (this.wrongLinks.blocked(client)) throw new TooManyAttempts();
    const request = TOKEN.test(token) ? await this.requests.findByTokenHash(SignedLinks.hash(token)) : null;
    // Looked up by hash; still compared in constant time against the token derived from the nonce.
    if (!request || !this.links.matches(token, request.tokenNonce)) {
      // The failure that takes the last point is still answered as unknown; what follows is refused.
      throw (await this.wrongLinks.take(client)) ? new UnknownLink() : new TooManyAttempts();
    }
    return request;
  }

  linkState(request: RequestForAnswering): LinkState {
    const now = this.clock.now();
    if (request.round.state === 'closed' || now > request.expiresAt) return 'closed';
    return now > request.round.deadline ? 'late' : 'open';
  }

  /** What the form shows: every milestone asked about, pre-filled with its draft or its current state. */
  view(request: RequestForAnswering) {
    return {
      organisation: { name: request.organisation.name, language: request.organisation.language },
      plan: { title: request.round.plan.title },
      round: { year: request.round.year, deadline: request.round.deadline, graceUntil: request.round.graceUntil },
      link: this.linkState(request),
      answered: request.status === 'answered',
      answeredAt: request.answeredAt,
      milestones: request.milestones.map((row) => {
        const last = row.milestone.updates[0];
        return {
          number: row.number,
          optional: row.optional,
          answeredAt: row.answeredAt,
          label: row.milestone.label,
          text: row.milestone.text,
          dueFrom: row.milestone.dueFrom,
          dueTo: row.milestone.dueTo,
          goal: row.milestone.contribution.goal.number,
          intervention: row.milestone.contribution.intervention?.code ?? null,
          current: {
            state: row.milestone.state,
            progress: row.milestone.progress,
            comment: last?.comment ?? null,
            evidenceUrl: last?.evidenceUrl ?? null,
          },
          draft:
            row.draftSavedAt === null
              ? null
              : {
                  state: row.draftState,
                  progress: row.draftProgress,
                  comment: row.draftComment,
                  evidenceUrl: row.draftEvidenceUrl,
                  savedAt: row.draftSavedAt,
                },
        };
      }),
    };
  }

  /** The secretariat's questions about the request's milestones, with the answers since, by milestone id. */
  async threads(request: RequestForAnswering): Promise<Map<number, ThreadEntry[]>> {
    const asked = request.milestones.filter((row) => row.milestone.questioned).map((row) => row.milestoneId);
    return asked.length === 0 ? new Map() : this.reviews.threads(asked);
  }

  /** Saves what the form holds without recording anything: a draft changes no state and no figure. */
  async saveDraft(
    request: RequestForAnswering,
    answers: Partial<NumberedAnswer>[],
    alsoInTransaction?: (tx: Tx) => Promise<unknown>,
  ): Promise<void> {
    if (this.linkState(request) === 'closed') throw new RoundClosed();
    const byNumber = this.byNumber(request);
    const problems: AnswerProblem[] = [];
    const drafts = answers.flatMap((answer) => {
      const row = answer.number === undefined ? undefined : byNumber.get(answer.number);
      if (!row) {
        problems.push({ number: answer.number ?? null, field: 'number', message: 'is not one of the milestones in this request' });
        return [];
      }
      const parsed = answerSchema
        .partial()
        .safeParse({ state: answer.state, progress: answer.progress, comment: answer.comment, evidenceUrl: answer.evidenceUrl });
      if (!parsed.success) {
        problems.push(...parsed.error.issues.map((issue) => ({ number: row.number, field: issue.path.join('.'), message: issue.message })));
        return [];
      }
      return [
        {
          milestoneId: row.milestoneId,
          state: parsed.data.state ?? null,
          progress: parsed.data.progress ?? null,
          comment: parsed.data.comment || null,
          evidenceUrl: parsed.data.evidenceUrl || null,
        },
      ];
    });
    if (problems.length > 0) throw new InvalidAnswers(problems);
    await this.requests.transaction(async (tx) => {
      await this.requests.saveDrafts(tx, request.id, drafts, this.clock.now());
      if (alsoInTransaction) await alsoInTransaction(tx);
    });
  }

  /**
   * Records answers. Late answers (after the deadline, within the grace window) are accepted and
   * flagged; after that nothing is recorded.
   */
  async submit(
    request: RequestForAnswering,
    answers: NumberedAnswer[],
    options: SubmitOptions,
  ): Promise<{ recorded: RecordedAnswer[]; late: boolean; complete: boolean; withoutReason: number[] }> {
    const state = this.linkState(request);
    if (state === 'closed') throw new RoundClosed();
    const recorded = this.validate(request, answers, options.final, options.requireReasons ?? false);
    const now = this.clock.now();
    const late = state === 'late';

    const submission: Submission = {
      requestId: request.id,
      answers: recorded,
      context: {
        channel: options.channel,
        actor: options.actor,
        requestId: request.id,
        late,
        at: now,
        reportingYear: request.round.year,
        reason: null,
        guardPlanId: request.round.plan.id,
      },
      final: options.final,
      confirmation: this.confirmation(
        request,
        recorded,
        late,
        options.notUnderstood ?? [],
        now,
        options.revertNonce,
        options.refusedFiles ?? [],
      ),
    };
    // One statement on its own; with something else to write (an inbound message), one transaction.
    // Either fails as a whole when the round's year is approved (assert_year_open in the statement).
    const also = options.alsoInTransaction;
    const instance = options.formInstance;
    let written: { outboxIds: number[]; complete: boolean };
    try {
      written =
        also || instance
          ? await this.requests.transaction(async (tx) => {
              // First, so a second POST of the instance waits on the first's row and then writes nothing.
              if (instance && !(await this.requests.claimFormInstance(tx, request.id, SignedLinks.hash(instance), now)))
                throw new FormAlreadySubmitted();
              const result = await this.requests.recordSubmission(submission, tx);
              if (also) await also(tx, now);
              return result;
            })
          : await this.requests.recordSubmission(submission);
    } catch (error) {
      const refusal = await this.records.refusal(error, request.round.plan.id, request.round.year);
      if (refusal instanceof YearApproved) await this.keepForReview(request, recorded, options, refusal, submission.confirmation, now);
      throw refusal;
    }
    const { outboxIds, complete } = written;
    await this.delivery.enqueue(outboxIds);
    const numbers = new Map(request.milestones.map((row) => [row.milestoneId, row.number]));
    const withoutReason = recorded.filter((answer) => lacksReason(answer.state, answer.comment)).map((a) => numbers.get(a.milestoneId)!);
    return { recorded, late, complete, withoutReason };
  }

  /**
   * An answer for an approved year: nothing is recorded for that year. The committee is told so
   * in its language (the confirmation, with nothing recorded), and the answer waits in the review
   * queue for the secretariat to take into the next round; an email reply is kept there by the
   * inbound side with its own message.
   */
  private async keepForReview(
    request: RequestForAnswering,
    recorded: RecordedAnswer[],
    options: SubmitOptions,
    refusal: YearApproved,
    confirmation: Submission['confirmation'],
    now: Date,
  ): Promise<void> {
    const numbers = new Map(request.milestones.map((row) => [row.milestoneId, row.number]));
    const ids = await this.requests.transaction(async (tx) => {
      if (options.channel !== 'email_reply') {
        const updates = recorded.map((answer) => ({
          number: numbers.get(answer.milestoneId)!,
          state: answer.state,
          progress: answer.progress,
          comment: answer.comment,
        }));
        await this.requests.keepForReview(tx, {
          key: `<${options.channel}-${request.id}-${now.getTime()}@${this.config.get('INBOUND_DOMAIN')}>`,
          from: options.actor,
          subject: `${options.channel === 'api' ? 'API' : 'Link form'} answer for ${refusal.year} after its approval`,
          body: updates.map((u) => `${u.number}: ${u.state} (${u.progress} %)${u.comment ? ` – ${u.comment}` : ''}`).join('\n'),
          requestId: request.id,
          reason: refusal.message,
          at: now,
          parsed: { updates, notUnderstood: [], ambiguous: [] },
        });
      }
      if (!confirmation) return [];
      const { message, messageIdDomain } = confirmation;
      // Nothing was recorded, so there is nothing for "this was not me" to undo.
      const { revertNonce: _nothingToUndo, ...kept } = message.data;
      const data = { ...kept, recorded: [], yearApproved: { year: refusal.year } };
      return this.outbox.add(tx, [{ ...message, dedupeKey: `${message.dedupeKey}:year-approved`, data }], messageIdDomain);
    });
    await this.delivery.enqueue(ids);
  }

  private byNumber(request: RequestForAnswering) {
    return new Map(request.milestones.map((row) => [row.number, row]));
  }

  /** Checks every answer before anything is written, and reports every problem at once. */
  private validate(request: RequestForAnswering, answers: NumberedAnswer[], final: boolean, requireReasons: boolean): RecordedAnswer[] {
    const byNumber = this.byNumber(request);
    const problems: AnswerProblem[] = [];
    const seen = new Set<number>();
    const recorded: RecordedAnswer[] = [];
    for (const answer of answers) {
      const row = byNumber.get(answer.number);
      if (!row) {
        problems.push({ number: answer.number, field: 'number', message: 'is not one of the milestones in this request' });
        continue;
      }
      if (seen.has(answer.number)) {
        problems.push({ number: answer.number, field: 'number', message: 'is answered twice' });
        continue;
      }
      seen.add(answer.number);
      const { number: _number, ...fields } = answer;
      const parsed = answerSchema.safeParse(fields);
      if (!parsed.success) {
        problems.push(
          ...parsed.error.issues.map((issue) => ({ number: answer.number, field: issue.path.join('.'), message: issue.message })),
        );
        continue;
      }
      const current = row.milestone;
      const stateName = parsed.data.state;
      if (requireReasons && lacksReason(stateName, parsed.data.comment)) {
        problems.push({
          number: answer.number,
          field: 'reason',
          message: `a comment giving the reason is needed for the state ${stateName} (${STATES_NEEDING_REASON.join(', ')} need one)`,
        });
        continue;
      }
      recorded.push({
        milestoneId: row.milestoneId,
        state: stateName,
        progress: recordedProgress({ state: stateName, given: parsed.data.progress }, current),
        comment: parsed.data.comment || null,
        evidenceUrl: parsed.data.evidenceUrl || null,
      });
    }
    if (final) {
      for (const row of request.milestones) {
        if (!row.optional && row.answeredAt === null && !seen.has(row.number)) {
          problems.push({ number: row.number, field: 'state', message: 'needs a status before the report can be submitted' });
        }
      }
    }
    if (answers.length === 0 && !final) problems.push({ number: null, field: 'answers', message: 'there is nothing to record' });
    if (problems.length > 0) throw new InvalidAnswers(problems);
    return recorded;
  }

  /** The confirmation mail to the organisation's contacts; none when it has no contact. */
  private confirmation(
    request: RequestForAnswering,
    recorded: RecordedAnswer[],
    late: boolean,
    notUnderstood: (string | UnreadLineData)[],
    now: Date,
    revertNonce?: string,
    refusedFiles: RefusedFileData[] = [],
  ): Submission['confirmation'] {
    const recipients = request.organisation.contacts.map((contact) => contact.email);
    if (recipients.length === 0) return null;
    const rows = new Map(request.milestones.map((row) => [row.milestoneId, row]));
    return {
      message: {
        dedupeKey: `request:${request.id}:confirmation:${now.getTime()}:${recorded.map((r) => r.milestoneId).join(',')}`,
        template: 'answer-confirmation',
        language: request.organisation.language,
        recipients,
        requestId: request.id,
        roundId: request.round.id,
        data: {
          organisation: { name: request.organisation.name },
          plan: { title: request.round.plan.title },
          round: {
            year: request.round.year,
            deadline: request.round.deadline.toISOString(),
            graceUntil: request.round.graceUntil.toISOString(),
          },
          recorded: recorded.map((answer) => {
            const row = rows.get(answer.milestoneId)!;
            return {
              number: row.number,
              label: row.milestone.label,
              text: row.milestone.text,
              state: answer.state,
              progress: answer.progress,
              comment: answer.comment,
              reasonMissing: lacksReason(answer.state, answer.comment),
            };
          }),
          notUnderstood,
          ...(refusedFiles.length > 0 ? { refusedFiles } : {}),
          late,
          answerNonce: request.tokenNonce,
          ...(revertNonce ? { revertNonce } : {}),
        },
      },
      messageIdDomain: this.config.get('MAIL_FROM').split('@')[1]!,
    };
  }
}
