import { digestReferences, labelKey } from '../../common/digest-references.js';
import { ownLines } from './own-words.js';
import { containsStateWord, matchState, planOrCondition, type MilestoneState } from './state-words.js';
import { splitReply } from './strip-quoted.js';

/**
 * Reads a committee's plain reply to its digest: one milestone per line, named by its number in
 * the digest ("3: klar"), by its reference in the digest ("MP2023-b") or by its label as written
 * in the plan when only one milestone carries it ("MP2022: completed"), then a state, an optional
 * progress and an optional comment ("M23/24 - i gang, 50 % - rapport i maj", "M22 er forsinket
 * pga. corona."). Anything it cannot read with certainty goes back to the person rather than into
 * the plan: "klar till sommaren" ("ready by the summer") is a plan, not "klar".
 *
 * The digest's own lines quoted back are never read as answers (own-words.ts), and answers
 * written into the quoted digest are read when they name their milestone.
 */
export interface DigestMilestone {
  number: number;
  label: string | null;
  /** The milestone's text as the digest showed it; lets the reader recognise the digest quoted back. */
  text?: string | null;
}

/** Why a line was not used, as a code and its values, so the confirmation can say it in the committee's language. */
export type UnreadReason =
  | { code: 'unknown_number'; params: { number: string } }
  | { code: 'unknown_label'; params: { label: string } }
  | { code: 'label_mismatch'; params: { number: number; label: string } }
  | { code: 'shared_label'; params: { label: string; references: string } }
  | { code: 'no_state'; params: { name: string } }
  | { code: 'unknown_state'; params: { name: string } }
  | { code: 'plan_or_condition'; params: { name: string; words: string } }
  | { code: 'progress_range'; params: { progress: string } }
  | { code: 'one_per_line'; params: Record<string, never> }
  | { code: 'number_first'; params: Record<string, never> }
  | { code: 'not_a_milestone_number'; params: Record<string, never> }
  | { code: 'given_again'; params: { number: number } };

export type UnreadCode = UnreadReason['code'];

/** A line not used: as written, why in English (for the log and review), and why as a code. */
export type UnreadLine = { line: string; reason: string } & UnreadReason;

export interface ParsedLine {
  /** The line as written, without surrounding whitespace. */
  line: string;
  number: number;
  state: MilestoneState;
  /** 0-100, or null when the line gives none. */
  progress: number | null;
  comment: string | null;
}

export interface ParsedReply {
  updates: ParsedLine[];
  /** Lines that look like an answer but could not be read, as written. */
  notUnderstood: string[];
  /** The same lines, in the same order, each with what was wrong. */
  notUnderstoodReasons: UnreadLine[];
  /** Lines not used because they could mean more than one thing, or were overridden by a later line. */
  ambiguous: UnreadLine[];
  /** Answers were written between the lines of the quoted digest (the full text shows them). */
  inline: boolean;
  /** Lines written into the quoted digest that give a state without naming the milestone ("klar"). */
  unnamedInline: string[];
}

type Unread = { reason: string } & UnreadReason;

type Reading =
  | { kind: 'update'; number: number; state: MilestoneState; progress: number | null; comment: string | null }
  | ({ kind: 'ambiguous' } & Unread)
  | ({ kind: 'not_understood' } & Unread)
  | { kind: 'ignored' };

const unread = <R extends UnreadReason>(kind: 'ambiguous' | 'not_understood', reason: string, why: R): Reading => ({
  kind,
  reason,
  ...why,
});

export function parseReply(body: string, milestones: DigestMilestone[]): ParsedReply {
  const digest = indexDigest(milestones);
  const parts = splitReply(body);
  const echo = milestones.map((m) => ({ ...m, reference: digest.references.get(m.number) ?? String(m.number) }));
  const withoutEcho = (lines: string[]) => {
    const own = ownLines(lines, echo);
    return lines.filter((_, at) => !own[at]);
  };
  const written = withoutEcho(parts.own);
  const inline = withoutEcho(parts.inline);

  const readings: { line: string; reading: Reading }[] = [];
  const lastLineOf = new Map<number, number>();
  const unnamedInline: string[] = [];
  let signedOff = false;
  const read = (raw: string, isInline: boolean) => {
    const line = raw.trim();
    if (line === '') return;
    let reading = readLine(line, digest);
    // An answer written under the quoted milestone it answers ("> 3. MP2023 …" then "klar"):
    // the milestone is named only by its place, which is for a person to read, not for us.
    if (isInline && reading.kind === 'ignored' && matchState(line.replace(BULLET, '')) !== null) unnamedInline.push(line);
    // Below "Med vänlig hälsning" come names, titles, addresses and phone numbers ("0155 Oslo"):
    // a line there is used when it reads as an update and is otherwise not worth reporting.
    if (signedOff && reading.kind === 'not_understood') reading = { kind: 'ignored' };
    if (SIGN_OFF.test(line) && line.length <= 60) signedOff = true;
    if (reading.kind === 'update') lastLineOf.set(reading.number, readings.length);
    readings.push({ line, reading });
  };
  for (const line of written) read(line, false);
  signedOff = false;
  for (const line of inline) read(line, true);

  const reply: ParsedReply = {
    updates: [],
    notUnderstood: [],
    notUnderstoodReasons: [],
    ambiguous: [],
    inline: inline.length > 0,
    unnamedInline,
  };
  readings.forEach(({ line, reading }, at) => {
    if (reading.kind === 'update') {
      const { number, state, progress, comment } = reading;
      if (lastLineOf.get(number) === at) reply.updates.push({ line, number, state, progress, comment });
      else
        reply.ambiguous.push({
          line,
          reason: `milestone ${reading.number} is given again further down; the later line was used`,
          code: 'given_again',
          params: { number },
        });
    } else if (reading.kind === 'ambiguous') {
      const { kind: _, ...why } = reading;
      reply.ambiguous.push({ line, ...why });
    } else if (reading.kind === 'not_understood') {
      const { kind: _, ...why } = reading;
      reply.notUnderstood.push(line);
      reply.notUnderstoodReasons.push({ line, ...why });
    }
  });
  return reply;
}

interface Digest {
  numbers: Set<number>;
  /** Label or reference key → the numbers of the milestones that carry it. */
  labels: Map<string, number[]>;
  /** Keys, longest first, so "M2021-2024" is tried before "M2021" and "MP2023-a" before "MP2023". */
  keys: string[];
  /** Each milestone's reference, unique within the digest. */
  references: Map<number, string>;
}

function indexDigest(milestones: DigestMilestone[]): Digest {
  const numbers = new Set<number>();
  const labels = new Map<string, number[]>();
  const references = digestReferences(milestones);
  const carry = (key: string, number: number) => {
    if (key === '' || /^\d+$/.test(key)) return;
    const carriers = labels.get(key) ?? [];
    if (!carriers.includes(number)) carriers.push(number);
    labels.set(key, carriers);
  };
  for (const { number, label } of milestones) {
    numbers.add(number);
    carry(label === null ? '' : labelKey(label), number);
    carry(labelKey(references.get(number) ?? ''), number);
  }
  const keys = [...labels.keys()].sort((a, b) => b.length - a.length);
  return { numbers, labels, keys, references };
}

const BULLET = /^[-*•·–]\s+/u;
/** "3", "#3", "Nr 3", "nr. 3", "Punkt 3", "Milestone 3", followed by a separator or the end. */
const NUMBER = /^(?:(?:#|(?:nr|no|nro|n:o|punkt|kohta|milestone|milstolpe|milepæl|milepel|delmål)\.?)\s*)?(\d+)(?=$|[\s:.)\-–—,])/iu;
const SEPARATORS = /^[\s:.)\-–—,]*/u;
/** Something that looks like a label of the plan (M2025, MP 2023, D:) though not one of this digest. */
const LABEL_LIKE = /^(?:(?:mp|m|d)\s?\d[\d/-]*|d\s*:)/iu;
/** "ca 40 %", "omkring 40 procent", "noin 40 %": the figure counts as given; the hedge is dropped. */
const ABOUT = String.raw`(?:ca\.?|cirka|circa|omkr\.?|omkring|ungefär|ungefær|omtrent|runt|rundt|noin|n\.|about|approx\.?|approximately|around|roughly|~)`;
/** "40 % klart", "40 % done": the word after the figure only says what the figure measures. */
const DONE = String.raw`(?:klart|klar|färdigt|färdig|færdigt|færdig|ferdig|fullført|gennemført|genomfört|gjennomført|valmiina|valmis|tehty|done|complete|completed|finished)`;
// No two optional runs of whitespace touch, so a line of blanks cannot make the match quadratic.
const PROGRESS = new RegExp(
  String.raw`^\s*(?:[,;:\-–—]\s*)?(?:\(\s*)?(?:${ABOUT}\s*)?(\d+(?:[.,]\d+)?)\s*(?:%|procent|prosent|prosenttia|percent|per cent|pct)(?![\p{L}\p{N}])\s*(?:${DONE}(?![\p{L}\p{N}])\s*)?\)?`,
  'iu',
);
const COMMENT_START = /^\s*[-–—,:;.!(]/u;
const COMMENT_LEAD = /^\s*[-–—,:;.!]*\s*/u;
const SIGN_OFF =
  /^(?:med )?(?:vänlig(?:a)? hälsning(?:ar)?|bästa hälsningar|hälsningar|venlig(?:st)? hilsen|vennlig(?:st)? hilsen|kærlig hilsen|kær hilsen|(?:de )?bedste hilsner|hilsen|hilsner|mvh|vh|kh|kind regards|best regards|warm regards|regards|best wishes|all the best|yours sincerely|sincerely|ystävällisin terveisin|parhain terveisin|terveisin|ystävällisesti)(?=$|[\s,.!])/iu;

function readLine(line: string, digest: Digest, nested = false): Reading {
  const text = line.replace(BULLET, '');
  const label = readLabel(text, 0, digest);
  if (label) {
    const numbers = digest.labels.get(label.key)!;
    if (numbers.length > 1) {
      const references = numbers.map((n) => `${digest.references.get(n)} (${n})`).join(', ');
      return unread(
        'ambiguous',
        `${label.written} is the label of milestones ${numbers.join(', ')}; write the milestone's reference or number instead: ${references}`,
        { code: 'shared_label', params: { label: label.written, references } },
      );
    }
    // A label is in the digest only with the milestone that carries it, so the list is never empty.
    return readState(text.slice(label.end), numbers[0]!, label.written, digest, nested);
  }

  const number = NUMBER.exec(text);
  if (number) {
    const value = Number(number[1]);
    if (!digest.numbers.has(value)) {
      return unread('not_understood', `there is no milestone ${number[1]} in the list`, {
        code: 'unknown_number',
        params: { number: number[1]! },
      });
    }
    let at = number[0].length + SEPARATORS.exec(text.slice(number[0].length))![0].length;
    // "3. MP2022: klar" repeats the label from the digest; it must be the label of milestone 3.
    const repeated = readLabel(text, text[at] === '(' ? at + 1 : at, digest);
    if (repeated) {
      if (!digest.labels.get(repeated.key)!.includes(value)) {
        return unread('not_understood', `milestone ${value} is not labelled ${repeated.written}`, {
          code: 'label_mismatch',
          params: { number: value, label: repeated.written },
        });
      }
      at = repeated.end;
    }
    return readState(text.slice(at), value, String(value), digest, nested);
  }

  if (/^\d/.test(text)) {
    return unread('not_understood', 'the line starts with a number that is not a milestone number', {
      code: 'not_a_milestone_number',
      params: {},
    });
  }
  const unknownLabel = LABEL_LIKE.exec(text);
  if (unknownLabel) {
    const label = unknownLabel[0].trim();
    return unread('not_understood', `no milestone in the list is labelled ${label}`, { code: 'unknown_label', params: { label } });
  }
  // "Klart: 3 och 4", "Vi har 2 punkter klara": an answer, but not one line per milestone.
  const digit = text.search(/\d/);
  if (digit !== -1 && (matchState(text) !== null || containsStateWord(text.slice(digit)))) {
    return unread('not_understood', 'start the line with the number of the milestone, then its state', {
      code: 'number_first',
      params: {},
    });
  }
  return { kind: 'ignored' };
}

/** What follows the milestone: state, optional progress, optional comment. */
function readState(rest: string, number: number, named: string, digest: Digest, nested: boolean): Reading {
  const afterName = rest.replace(SEPARATORS, '');
  if (afterName === '') return unread('not_understood', `no state after ${named}`, { code: 'no_state', params: { name: named } });
  const state = matchState(afterName);
  if (!state) {
    return unread('not_understood', `the state after ${named} is not one of the words this service knows`, {
      code: 'unknown_state',
      params: { name: named },
    });
  }
  let tail = afterName.slice(state.matched.length);

  let progress: number | null = null;
  const percent = PROGRESS.exec(tail);
  if (percent) {
    const written = percent[1]!; // PROGRESS's first group is not optional
    progress = Math.round(Number(written.replace(',', '.')));
    if (progress > 100) {
      return unread('not_understood', `progress ${written} % is outside 0-100 %`, {
        code: 'progress_range',
        params: { progress: written },
      });
    }
    tail = tail.slice(percent[0].length);
  }

  let comment: string | null = null;
  if (tail.trim() !== '') {
    if (COMMENT_START.test(tail)) {
      comment = tail.replace(COMMENT_LEAD, '').trim() || null;
    } else {
      // No dash or comma: the words are a comment ("forsinket pga. corona") unless they make the
      // state a plan or a condition ("klar till sommaren", "cancelled if the budget is cut").
      const words = planOrCondition(state.state, tail);
      if (words !== null) {
        return unread(
          'not_understood',
          `"${state.matched} ${words}" after ${named} reads as a plan or a condition, not as the state today; write the state it has now, then a dash and the comment`,
          { code: 'plan_or_condition', params: { name: named, words: `${state.matched} ${words}` } },
        );
      }
      comment = tail.trim();
    }
  }
  // "1: klar, 2: pågår" would otherwise hide the update of milestone 2 in a comment.
  if (comment !== null && !nested && readLine(comment, digest, true).kind === 'update') {
    return unread('not_understood', 'write one milestone per line', { code: 'one_per_line', params: {} });
  }
  return { kind: 'update', number, state: state.state, progress, comment };
}

/** A known label at `at`, compared without case and without spaces ("MP 2022" = "MP2022"). */
function readLabel(text: string, at: number, digest: Digest): { key: string; end: number; written: string } | null {
  for (const key of digest.keys) {
    const end = labelEnd(text, at, key);
    if (end !== -1) return { key, end, written: text.slice(at, end) };
  }
  return null;
}

function labelEnd(text: string, at: number, key: string): number {
  let i = at;
  for (let k = 0; k < key.length; k++) {
    if (k > 0) while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length || text.charAt(i).toLowerCase() !== key[k]) return -1;
    i++;
  }
  // A label ends where the word ends: "M2021" is not the start of "M20215", "D" not of "Done".
  return /[\p{L}\p{N}]/u.test(text[i] ?? '') ? -1 : i;
}
