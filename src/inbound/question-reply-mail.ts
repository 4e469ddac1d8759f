import type { Language } from '../generated/db/enums.js';
import type { NewOutboxMessage } from '../mail/outbox.repository.js';
import type { QuestionReplyConfirmationData, QuestionReplyNoticeData } from '../mail/templates/mail-data.js';
import type { AnsweredQuestion } from './inbound.repository.js';

/** How much of a reply the secretariat's notice quotes: the milestone's page shows all of it. */
export const NOTICE_EXCERPT = 2_000;

/** A reply kept in a question's thread, as its mails need it. */
export interface KeptReply {
  inboundId: number;
  from: string;
  text: string;
  files: number;
  at: Date;
}

/**
 * The mails a reply kept in a question's thread sends: a confirmation to the contact who wrote it,
 * in the committee's language, and a notice to the secretariat with the reply and a link to the
 * thread. Neither is the request's (a bounce of either is no bounce of the committee's request),
 * and neither carries a reply address of the service's, so an auto-reply to one is no reply to the question.
 */
export function questionReplyMails(
  question: AnsweredQuestion,
  reply: KeptReply,
  secretariat: { recipients: string[]; language: Language; publicUrl: string },
): NewOutboxMessage[] {
  const milestone = { label: question.label, text: question.text };
  // Cut by code point: half of a surrogate pair is text PostgreSQL refuses to store.
  const chars = Array.from(reply.text.trim());
  const confirmation: QuestionReplyConfirmationData = {
    organisation: { name: question.organisation },
    plan: { title: question.planTitle },
    milestone,
    question: question.question,
  };
  const notice: QuestionReplyNoticeData = {
    organisation: { name: question.organisation },
    plan: { title: question.planTitle },
    milestone,
    question: question.question,
    from: reply.from,
    receivedAt: reply.at.toISOString(),
    reply: chars.slice(0, NOTICE_EXCERPT).join('').trimEnd(),
    cut: chars.length > NOTICE_EXCERPT,
    files: reply.files,
    milestoneUrl: `${secretariat.publicUrl}/milestones/${question.milestoneId}#questions`,
  };
  return [
    {
      dedupeKey: `inbound:${reply.inboundId}:question-reply-confirmation`,
      template: 'question-reply-confirmation',
      language: question.language,
      recipients: [reply.from],
      requestId: null,
      roundId: null,
      data: { ...confirmation },
    },
    {
      dedupeKey: `inbound:${reply.inboundId}:question-reply-notice`,
      template: 'question-reply-notice',
      language: secretariat.language,
      recipients: secretariat.recipients,
      requestId: null,
      roundId: null,
      data: { ...notice },
    },
  ];
}
