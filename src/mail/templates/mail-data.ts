import { LANGUAGES } from '../../i18n/i18n.js';
import { type MilestoneStateName } from '../../common/milestone-states.js';

/**
 * What each mail template is rendered from. The callers build these from the database; the
 * templates only format them, so every decision (who is late, which milestones to ask about)
 * stays in code that is tested without HTML.
 */

export type Language = (typeof LANGUAGES)[number];

export interface DigestMilestone {
  /** 1-based position in this digest: the committee can answer "3: completed". */
  number: number;
  /** As written in the plan: "MP2022", "M23/24", "D:" or null. */
  label: string | null;
  /**
   * The label, or where several milestones of this digest share it the label with a letter
   * ("MP2023-a"): unique within the digest, so a reply can name the milestone by it
   * (src/common/digest-references.ts). Null without a label; absent in digests written before it.
   */
  reference?: string | null;
  text: string;
  dueFrom: number | null;
  dueTo: number | null;
  state: MilestoneStateName;
  goalNumber: number;
  interventionCode: string | null;
  lastComment: string | null;
}

export interface Round {
  year: number;
  deadline: Date;
  graceUntil: Date;
}

/** Templates 'status-request' and 'reminder'. */
export interface DigestData {
  organisation: { name: string };
  plan: { title: string };
  round: Round;
  /** For reminders: only the unanswered ones. */
  milestones: DigestMilestone[];
  /** Personal link to the answer form. */
  answerUrl: string;
  /** reports+<key>@domain: replying to the mail answers it. */
  replyAddress: string;
  /**
   * Required by 'reminder'. 'before': daysLeft > 0 until the deadline. 'overdue': the deadline
   * has passed (daysLeft <= 0); answers are still accepted until round.graceUntil.
   */
  reminder?: { step: 'before' | 'overdue'; daysLeft: number };
}

export interface PendingOrganisation {
  name: string;
  outstanding: number;
  status: 'missing' | 'partial' | 'no_contact' | 'bounced';
  lastMessageAt: Date | null;
}

/** Templates 'escalation' and 'pending-summary', to the secretariat. */
export interface SecretariatSummaryData {
  plan: { title: string };
  round: Round;
  totals: { expected: number; answered: number; missing: number; outstandingMilestones: number };
  pending: PendingOrganisation[];
  dashboardUrl: string;
}

/**
 * A reply line that was not used and why, as the reply reader's reason code and values; the
 * confirmation says it in the committee's language (mail texts "unread.<code>").
 */
export type UnreadLineData = {
  line: string;
  code: string;
  params: Record<string, string | number>;
};

/**
 * An attachment of a reply that was not kept, as the file check's reason code and values (the
 * limit among them); the confirmation says it in the committee's language (mail texts
 * "refused_file.<code>").
 */
export type RefusedFileData = {
  name: string;
  code: string;
  params: Record<string, string | number>;
};

/** Template 'answer-confirmation', to the organisation after it answered. */
export interface ConfirmationData {
  organisation: { name: string };
  plan: { title: string };
  round: Round;
  recorded: {
    number: number;
    label: string | null;
    text: string;
    state: MilestoneStateName;
    progress: number | null;
    comment: string | null;
    /** Delayed, at risk or cancelled without a comment: the mail asks for the reason. */
    reasonMissing?: boolean;
  }[];
  /** Lines of an email reply that could not be read, each with why (older confirmations: the line only). */
  notUnderstood: (string | UnreadLineData)[];
  /** Attachments of an email reply that were not kept, each with why (absent in older confirmations). */
  refusedFiles?: RefusedFileData[];
  late: boolean;
  /** The year's figures were approved: nothing was recorded for it, the answer waits for the secretariat. */
  yearApproved?: { year: number } | null;
  answerUrl: string;
  /** For changes applied from an email reply: the one-click "this was not me" link that reverts them. */
  revertUrl?: string;
}

/** Template 'reply-reverted', to the secretariat: a contact said an applied reply was not theirs. */
export interface ReplyRevertedData {
  organisation: { name: string };
  plan: { title: string };
  round: { year: number };
  from: string;
  subject: string;
  receivedAt: string;
  /** The milestones set back, and those left as they were (changed again since, or the year approved). */
  reverted: { number: number; label: string | null; text: string }[];
  kept: { number: number; label: string | null; text: string }[];
  /** Set when the year was approved meanwhile: nothing was reverted. */
  yearApproved?: { year: number } | null;
  reviewUrl: string;
}

/** Template 'report-ready': an annual report was generated. */
export interface ReportReadyData {
  plan: { title: string };
  year: number;
  preliminary: boolean;
  links: { format: 'html' | 'pdf' | 'docx' | 'xlsx'; url: string }[];
  /** Until when the signed links work (ISO instant). */
  validUntil?: string;
}

/** What a report-ready outbox row keeps instead of its links: they are signed when the mail is rendered. */
export interface ReportLinks {
  reportId: number;
  formats: ReportReadyData['links'][number]['format'][];
  expiresAt: string;
}

/** Template 'milestone-question': the secretariat asks a committee about a milestone, or returns its answer with a question. */
export interface QuestionData {
  organisation: { name: string };
  plan: { title: string };
  /** `number`: as the committee's open request numbers it, when there is one. */
  milestone: { number: number | null; label: string | null; text: string };
  question: string;
  /** The answer returned with the question; null for a question about the milestone. */
  answer: { state: MilestoneStateName; progress: number; comment: string | null } | null;
  /** The open round whose link the mail carries; null when the committee has no open request. */
  round: Round | null;
  /** With an open request: the personal link (derived from the request's nonce when composed). */
  answerUrl?: string;
  /**
   * Where a reply goes: the request's reply address, or without a request the question's own
   * (derived when composed from the row's `questionReply`, the question's id); the secretariat's
   * in messages written before questions had one.
   */
  replyAddress?: string;
}

/**
 * Template 'question-reply-confirmation', to the contact whose free-text reply to a question was
 * kept in the milestone's thread: it arrived, and with which question it is kept.
 */
export interface QuestionReplyConfirmationData {
  organisation: { name: string };
  plan: { title: string };
  milestone: { label: string | null; text: string };
  question: string;
}

/** Template 'question-reply-notice', to the secretariat: a committee's reply to its question, kept in the thread. */
export interface QuestionReplyNoticeData {
  organisation: { name: string };
  plan: { title: string };
  milestone: { label: string | null; text: string };
  question: string;
  from: string;
  /** ISO instant. */
  receivedAt: string;
  /** The reply as kept; a long one cut (`cut`), as the milestone page has all of it. */
  reply: string;
  cut: boolean;
  /** Files the reply brought, kept with the milestone. */
  files: number;
  /** The milestone's page, at its thread. */
  milestoneUrl: string;
}

/** One milestone state change in a follow digest. */
export type FollowedChangeData = {
  milestone: { label: string | null; text: string; url: string };
  organisation: string;
  goalNumber: number;
  from: MilestoneStateName | null;
  to: MilestoneStateName;
  comment: string | null;
  /** ISO instant. */
  at: string;
};

/**
 * Template 'follow-digest': a user's daily digest of changes in the goals and organisations they
 * follow. (Type aliases, not interfaces: the outbox stores it as JSON.)
 */
export type FollowDigestData = {
  plan: { title: string };
  user: { name: string | null };
  /** How many changes the digest lists (a change under two follows counts once). */
  count: number;
  /** Per follow: a goal or an organisation, with its page and its changes, oldest first. */
  groups: {
    goal: { number: number; title: string } | null;
    organisation: { name: string } | null;
    url: string;
    changes: FollowedChangeData[];
  }[];
  /** Where the user sees and ends their follows. */
  followsUrl: string;
};

export type MailData = {
  'status-request': DigestData;
  reminder: DigestData;
  escalation: SecretariatSummaryData;
  'pending-summary': SecretariatSummaryData;
  'answer-confirmation': ConfirmationData;
  'report-ready': ReportReadyData;
  'reply-reverted': ReplyRevertedData;
  'milestone-question': QuestionData;
  'question-reply-confirmation': QuestionReplyConfirmationData;
  'question-reply-notice': QuestionReplyNoticeData;
  'follow-digest': FollowDigestData;
};

export type MailTemplateName = keyof MailData;

// A record rather than an array so that adding a template to MailData without listing it here
// is a type error.
const TEMPLATE_NAMES: Record<MailTemplateName, true> = {
  'status-request': true,
  reminder: true,
  escalation: true,
  'pending-summary': true,
  'answer-confirmation': true,
  'report-ready': true,
  'reply-reverted': true,
  'milestone-question': true,
  'question-reply-confirmation': true,
  'question-reply-notice': true,
  'follow-digest': true,
};

export const MAIL_TEMPLATE_NAMES = Object.keys(TEMPLATE_NAMES) as MailTemplateName[];

export const MAIL_LANGUAGES: readonly Language[] = LANGUAGES;

export interface RenderedMail {
  /** One line: no control characters, at most 200 characters. */
  subject: string;
  html: string;
  text: string;
}

export function isReportLinks(value: unknown): value is ReportLinks {
  return (
    typeof value === 'object' &&
    value !== null &&
    'reportId' in value &&
    typeof value.reportId === 'number' &&
    'formats' in value &&
    Array.isArray(value.formats) &&
    'expiresAt' in value &&
    typeof value.expiresAt === 'string'
  );
}
