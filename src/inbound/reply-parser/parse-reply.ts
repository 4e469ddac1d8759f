import { containsStateWord, matchState, type MilestoneState } from './state-words.js';
import { stripQuotedText } from './strip-quoted.js';

/**
 * Reads a committee's plain reply to its digest: one milestone per line, named by its number in
 * the digest ("3: klar") or by its label as written in the plan ("MP2022: completed"), then a
 * state, an optional progress and an optional comment ("M23/24 - i gang, 50 % - rapport i maj").
 * Anything it cannot read with certainty goes back to the person rather than into the plan, so
 * the grammar is strict: a comment must be set off by a dash, comma or the like, because
 * "klar till sommaren" ("ready by the summer") is not "klar".
 */
export interface DigestMilestone {
  number: number;
  label: string | null;
}

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
  notUnderstoodReasons: { line: string; reason: string }[];
  /** Lines not used because they could mean more than one thing, or were overridden by a later line. */
  ambiguous: { line: string; reason: string }[];
}

type Reading =
  | { kind: 'update'; number: number; state: MilestoneState; progress: number | null; comment: string | null }
  | { kind: 'ambiguous'; reason: string }
  | { kind: 'not_understood'; reason: string }
  | { kind: 'ignored' };

export function parseReply(body: string, milestones: DigestMilestone[]): ParsedReply {
  const digest = indexDigest(milestones);
  const readings: { line: string; reading: Reading }[] = [];
  const lastLineOf = new Map<number, number>();
  let signedOff = false;
  for (const raw of stripQuotedText(body).split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    let reading = readLine(line, digest);
    // Below "Med vänlig hälsning" come names, titles, addresses and phone numbers ("0155 Oslo"):
    // a line there is used when it reads as an update and is otherwise not worth reporting.
    if (signedOff && reading.kind === 'not_understood') reading = { kind: 'ignored' };
    if (SIGN_OFF.test(line) && line.length <= 60) signedOff = true;
    if (reading.kind === 'update') lastLineOf.set(reading.number, readings.length);
    readings.push({ line, reading });
  }

  const reply: ParsedReply = { updates: [], notUnderstood: [], notUnderstoodReasons: [], ambiguous: [] };
  readings.forEach(({ line, reading }, at) => {
    if (reading.kind === 'update') {
      const { number, state, progress, comment } = reading;
      if (lastLineOf.get(number) === at) reply.updates.push({ line, number, state, progress, comment });
      else reply.ambiguous.push({ line, reason: `milestone ${reading.number} is given again further down; the later line was used` });
    } else if (reading.kind === 'ambiguous') {
      reply.ambiguous.push({ line, reason: reading.reason });
    } else if (reading.kind === 'not_understood') {
      reply.notUnderstood.push(line);
      reply.notUnderstoodReasons.push({ line, reason: reading.reason });
    }
  });
  return reply;
}

interface Digest {
  numbers: Set<number>;
  /** Label key → the numbers of the milestones that carry it. */
  labels: Map<string, number[]>;
  /** Label keys, longest first, so "M2021-2024" is tried before "M2021". */
  keys: string[];
}

function indexDigest(milestones: DigestMilestone[]): Digest {
  const numbers = new Set<number>();
  const labels = new Map<string, number[]>();
  for (const { number, label } of milestones) {
    numbers.add(number);
    const key = label === null ? '' : labelKey(label);
    if (key === '') continue;
    const carriers = labels.get(key) ?? [];
    carriers.push(number);
    labels.set(key, carriers);
  }
  const keys = [...labels.keys()].sort((a, b) => b.length - a.length);
  return { numbers, labels, keys };
}

/** "MP 2022" and "mp2022" are the same label; so are "D:" and "D" (the colon is punctuation). */
function labelKey(label: string): string {
  return label.toLowerCase().replace(/\s+/g, '').replace(/:+$/, '');
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
      return {
        kind: 'ambiguous',
        reason: `${label.written} is the label of milestones ${numbers.join(', ')}; write the milestone's number instead (e.g. "${numbers[0]}: …")`,
      };
    }
    // A label is in the digest only with the milestone that carries it, so the list is never empty.
    return readState(text.slice(label.end), numbers[0]!, label.written, digest, nested);
  }

  const number = NUMBER.exec(text);
  if (number) {
    const value = Number(number[1]);
    if (!digest.numbers.has(value)) return { kind: 'not_understood', reason: `there is no milestone ${number[1]} in the list` };
    let at = number[0].length + SEPARATORS.exec(text.slice(number[0].length))![0].length;
    // "3. MP2022: klar" repeats the label from the digest; it must be the label of milestone 3.
    const repeated = readLabel(text, text[at] === '(' ? at + 1 : at, digest);
    if (repeated) {
      if (!digest.labels.get(repeated.key)!.includes(value)) {
        return { kind: 'not_understood', reason: `milestone ${value} is not labelled ${repeated.written}` };
      }
      at = repeated.end;
    }
    return readState(text.slice(at), value, String(value), digest, nested);
  }

  if (/^\d/.test(text)) return { kind: 'not_understood', reason: 'the line starts with a number that is not a milestone number' };
  const unknownLabel = LABEL_LIKE.exec(text);
  if (unknownLabel) return { kind: 'not_understood', reason: `no milestone in the list is labelled ${unknownLabel[0].trim()}` };
  // "Klart: 3 och 4", "Vi har 2 punkter klara": an answer, but not one line per milestone.
  const digit = text.search(/\d/);
  if (digit !== -1 && (matchState(text) !== null || containsStateWord(text.slice(digit)))) {
    return { kind: 'not_understood', reason: 'start the line with the number of the milestone, then its state' };
  }
  return { kind: 'ignored' };
}

/** What follows the milestone: state, optional progress, optional comment. */
function readState(rest: string, number: number, named: string, digest: Digest, nested: boolean): Reading {
  const afterName = rest.replace(SEPARATORS, '');
  if (afterName === '') return { kind: 'not_understood', reason: `no state after ${named}` };
  const state = matchState(afterName);
  if (!state) return { kind: 'not_understood', reason: `the state after ${named} is not one of the words this service knows` };
  let tail = afterName.slice(state.matched.length);

  let progress: number | null = null;
  const percent = PROGRESS.exec(tail);
  if (percent) {
    const written = percent[1]!; // PROGRESS's first group is not optional
    progress = Math.round(Number(written.replace(',', '.')));
    if (progress > 100) return { kind: 'not_understood', reason: `progress ${written} % is outside 0-100 %` };
    tail = tail.slice(percent[0].length);
  }

  let comment: string | null = null;
  if (tail.trim() !== '') {
    if (!COMMENT_START.test(tail)) {
      return { kind: 'not_understood', reason: `put a dash or a comma between the state and the comment after ${named}` };
    }
    comment = tail.replace(COMMENT_LEAD, '').trim() || null;
  }
  // "1: klar, 2: pågår" would otherwise hide the update of milestone 2 in a comment.
  if (comment !== null && !nested && readLine(comment, digest, true).kind === 'update') {
    return { kind: 'not_understood', reason: 'write one milestone per line' };
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
