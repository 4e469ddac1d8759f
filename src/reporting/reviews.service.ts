import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { badRequest, notFound, Refusal } from '../common/refusal.js';
import { unstorableText } from '../common/text.js';
import { AppConfig } from '../config/config.module.js';
import type { Tx } from '../database/database.js';
import type { Language } from '../generated/db/enums.js';
import { MailDeliveryService } from '../mail/mail-delivery.service.js';
import { OutboxRepository } from '../mail/outbox.repository.js';
import type { QuestionData } from '../mail/templates/mail-data.js';
import { ReviewsRepository, type QuestionTarget, type RoundAnswer, type ThreadEntry } from '../progress/reviews.repository.js';

/** Who acts: a stable identity for the row and the name pages show. */
export interface Reviewer {
  id: string;
  name: string;
}

export type ReviewDecision = { action: 'reviewed' } | { action: 'returned'; question: string };

/** How far the secretariat has got with a round's answers: "37 of 52 answers reviewed, 3 returned". */
export interface ReviewSummary {
  answers: number;
  reviewed: number;
  returned: number;
}

export const QUESTION_MAX = 5_000;

const presentAnswer = (answer: RoundAnswer) => ({
  id: answer.updateId,
  request: answer.requestId,
  milestone: { id: answer.milestoneId, label: answer.label, text: answer.text },
  organisation: { id: answer.organisationId, name: answer.organisation },
  state: answer.state,
  progress: answer.progress,
  comment: answer.comment,
  channel: answer.channel,
  answeredAt: answer.createdAt,
  review:
    answer.review === null
      ? null
      : {
          action: answer.review,
          at: answer.reviewedAt,
          by: answer.reviewedBy,
          question: answer.review === 'returned' ? answer.question : null,
        },
});

/**
 * The secretariat's review of the answers a round received, and its questions to a committee
 * about a milestone. Returning an answer is a question linked to that answer: the committee gets a
 * mail in its language with its link, and the answer stays recorded until the committee replaces
 * it (a new answer is not reviewed yet). Each decision and its mail are one transaction.
 */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly reviews: ReviewsRepository,
    private readonly outbox: OutboxRepository,
    private readonly delivery: MailDeliveryService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** A round's answers (the latest per request and milestone) with their review, and the counts. */
  async roundAnswers(roundId: number) {
    const answers = await this.reviews.roundAnswers(roundId);
    return { summary: summarise(answers), answers: answers.map(presentAnswer) };
  }

  /** For the round page: the counts, and at most `limit` answers, those still to review first. */
  async toReview(roundId: number, limit: number) {
    const [summary, answers] = await Promise.all([
      this.reviews.reviewCounts(roundId),
      this.reviews.roundAnswers(roundId, { toReviewFirst: true, limit }),
    ]);
    return { summary, answers: answers.map(presentAnswer) };
  }

  /** How many of the round's answers there are, and how many are reviewed or returned. */
  async counts(roundId: number) {
    return this.reviews.reviewCounts(roundId);
  }

  /** Marks an answer of the round reviewed, or returns it to the committee with a question. */
  async review(roundId: number, updateId: number, decision: ReviewDecision, actor: Reviewer) {
    const question = decision.action === 'returned' ? decision.question.trim() : null;
    if (decision.action === 'returned') this.checkQuestion(question!);
    const now = this.clock.now();
    const ids = await this.reviews.transaction(async (tx) => {
      const answer = await this.reviews.answerOfRound(tx, roundId, updateId);
      if (!answer) throw notFound('problem.no_answer', { id: updateId }, `Round ${roundId} has no answer ${updateId}.`);
      if (!answer.latest)
        throw new Refusal(
          409,
          'problem.answer_replaced',
          { id: updateId },
          `Answer ${updateId} has been replaced by a newer answer from the committee; review that one instead.`,
        );
      const id = await this.reviews.add(tx, {
        milestoneId: answer.milestoneId,
        updateId,
        requestId: answer.requestId,
        action: decision.action,
        question,
        actor: actor.id,
        actorName: actor.name,
        at: now,
      });
      if (question === null) return [];
      const target = (await this.reviews.questionTarget(tx, answer.milestoneId, now, answer.requestId))!;
      return this.questionMail(tx, id, target, question, { state: answer.state, progress: answer.progress, comment: answer.comment });
    });
    await this.delivery.enqueue(ids);
    const [reviewed] = await this.reviews.roundAnswers(roundId, { updateId });
    if (!reviewed) throw notFound('problem.no_answer', { id: updateId }, `Round ${roundId} has no answer ${updateId}.`);
    return presentAnswer(reviewed);
  }

  /**
   * A question to the committee about one of its milestones: the mail carries its link when one of
   * its requests in an open round asks about the milestone; otherwise the committee replies to it.
   */
  async ask(milestoneId: number, text: string, actor: Reviewer) {
    const question = text.trim();
    this.checkQuestion(question);
    const now = this.clock.now();
    const { ids, mailed } = await this.reviews.transaction(async (tx) => {
      const target = await this.reviews.questionTarget(tx, milestoneId, now);
      if (!target) throw notFound('problem.no_milestone', { id: milestoneId }, `There is no milestone with id ${milestoneId}.`);
      const id = await this.reviews.add(tx, {
        milestoneId,
        updateId: null,
        requestId: target.request?.id ?? null,
        action: 'asked',
        question,
        actor: actor.id,
        actorName: actor.name,
        at: now,
      });
      const ids = await this.questionMail(tx, id, target, question, null);
      return { ids, mailed: target.organisation.contacts.length > 0 };
    });
    await this.delivery.enqueue(ids);
    return { milestone: milestoneId, mailed, thread: await this.thread(milestoneId) };
  }

  /** A milestone's conversation, oldest first. */
  async thread(milestoneId: number): Promise<ThreadEntry[]> {
    return (await this.reviews.threads([milestoneId])).get(milestoneId) ?? [];
  }

  private checkQuestion(question: string): void {
    if (question === '')
      throw badRequest('question', 'problem.question_required', {}, 'question: is required: say what the committee should answer.');
    if (unstorableText(question) !== null)
      throw badRequest(
        'question',
        'problem.text_unstorable',
        {},
        'question: must not contain NUL characters or broken characters (unpaired surrogates).',
      );
    if (question.length > QUESTION_MAX)
      throw badRequest(
        'question',
        'problem.question_too_long',
        { max: QUESTION_MAX },
        `question: must be at most ${QUESTION_MAX} characters.`,
      );
  }

  /**
   * The question's mail to the committee's contacts, in its language; none without a contact. The
   * answer link and the reply address are derived when it is composed: from the request's nonce,
   * or without an open request from the question's id (a reply to it then reaches its thread even
   * when the committee's mail client drops In-Reply-To).
   */
  private async questionMail(tx: Tx, reviewId: number, target: QuestionTarget, question: string, answer: QuestionData['answer']) {
    if (target.organisation.contacts.length === 0) return [];
    const request = target.request;
    const data = {
      organisation: { name: target.organisation.name },
      plan: { title: target.planTitle },
      milestone: { number: request?.number ?? null, label: target.label, text: target.text },
      question,
      answer,
      round: request
        ? { year: request.year, deadline: request.deadline.toISOString(), graceUntil: request.graceUntil.toISOString() }
        : null,
      ...(request ? { answerNonce: request.tokenNonce } : { questionReply: reviewId }),
    };
    return this.outbox.add(
      tx,
      [
        {
          dedupeKey: `review:${reviewId}:question`,
          template: 'milestone-question',
          language: target.organisation.language as Language,
          recipients: target.organisation.contacts,
          requestId: request?.id ?? null,
          roundId: request?.roundId ?? null,
          data,
        },
      ],
      this.config.get('MAIL_FROM').split('@')[1]!,
    );
  }
}

export function summarise(answers: RoundAnswer[]): ReviewSummary {
  return {
    answers: answers.length,
    reviewed: answers.filter((answer) => answer.review === 'reviewed').length,
    returned: answers.filter((answer) => answer.review === 'returned').length,
  };
}
