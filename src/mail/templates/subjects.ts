import type { MailData, MailTemplateName } from './mail-data.js';
import type { Params } from '../../i18n/i18n.js';

/**
 * Which text is each mail's subject and what fills it. Kept in code rather than a template so the
 * compiler checks the data paths, and because a subject is one line of plain text, not markup.
 */
export interface SubjectText {
  key: string;
  params: Params;
}

type Subjects = { [N in MailTemplateName]: (data: MailData[N]) => SubjectText };

export const SUBJECTS: Subjects = {
  'status-request': (data) => ({
    key: 'status_request.subject',
    params: { year: data.round.year, organisation: data.organisation.name, plan: data.plan.title },
  }),
  reminder: (data) => {
    if (!data.reminder) throw new Error('A reminder mail needs data.reminder (step and daysLeft)');
    return {
      key: data.reminder.step === 'overdue' ? 'reminder.subject_overdue' : 'reminder.subject_before',
      params: { year: data.round.year, organisation: data.organisation.name, plan: data.plan.title },
    };
  },
  escalation: (data) => ({
    key: 'escalation.subject',
    params: { count: data.pending.length, year: data.round.year, plan: data.plan.title },
  }),
  'pending-summary': (data) => ({
    key: 'pending_summary.subject',
    params: { answered: data.totals.answered, count: data.totals.expected, year: data.round.year, plan: data.plan.title },
  }),
  'answer-confirmation': (data) => ({
    key: 'confirmation.subject',
    params: { year: data.round.year, organisation: data.organisation.name },
  }),
  'report-ready': (data) => ({
    key: data.preliminary ? 'report_ready.subject_preliminary' : 'report_ready.subject_final',
    params: { year: data.year, plan: data.plan.title },
  }),
  'reply-reverted': (data) => ({ key: 'reverted.subject', params: { year: data.round.year, organisation: data.organisation.name } }),
  'milestone-question': (data) => ({
    key: data.answer ? 'question.subject_returned' : 'question.subject',
    params: { milestone: data.milestone.label ?? data.milestone.text, organisation: data.organisation.name },
  }),
  'question-reply-confirmation': (data) => ({
    key: 'question_reply.subject',
    params: { milestone: data.milestone.label ?? data.milestone.text, organisation: data.organisation.name },
  }),
  'question-reply-notice': (data) => ({
    key: 'question_notice.subject',
    params: { milestone: data.milestone.label ?? data.milestone.text, organisation: data.organisation.name },
  }),
  'follow-digest': (data) => ({ key: 'follow_digest.subject', params: { count: data.count, plan: data.plan.title } }),
};

const MAX_SUBJECT = 200;

/**
 * A subject is one header line: every control character (CR and LF above all, which would let an
 * organisation name like "X\r\nBcc: …" add headers) becomes a space, runs of spaces collapse, and
 * the result is cut to 200 characters (by code point, so no emoji is split).
 */
export function oneLine(value: string): string {
  const flat = value
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(flat);
  return chars.length <= MAX_SUBJECT
    ? flat
    : `${chars
        .slice(0, MAX_SUBJECT - 1)
        .join('')
        .trimEnd()}…`;
}
