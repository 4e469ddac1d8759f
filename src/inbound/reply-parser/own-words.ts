import { i18n, LANGUAGES, type Message } from '../../i18n/i18n.js';
import { matchState } from './state-words.js';

/**
 * The service's own words in a reply: the lines of the digest it sent (its milestone lines, its
 * example answers, its instructions) quoted back, with or without quote markers and whatever the
 * language of the quote header. A client whose quote header is not recognised leaves them in the
 * reply as if the person had written them, and the digest's example "1: genomförd - rapporten
 * publicerades i maj" would then override the person's real answer. They are removed before the
 * reply is read.
 *
 * The digest's texts come from the mail texts of every language (the digest may have been
 * forwarded from a colleague who reads another), the milestones from the request answered.
 */
export interface EchoMilestone {
  number: number;
  reference: string;
  label: string | null;
  text?: string | null;
}

interface Pattern {
  regex: RegExp;
  /** An example answer: the digest's own only where the digest is evidently quoted (see ownLines). */
  example: boolean;
  /** Long enough that a line matching it shows the digest is quoted here. */
  evidence: boolean;
}

interface Patterns {
  /** By the first two characters of the text, for texts that start with two of them. */
  byStart: Map<string, Pattern[]>;
  /** Texts that start with a placeholder. */
  anywhere: Pattern[];
}

/**
 * Texts of the mails that carry a digest (and the confirmation, which repeats the answers). Not
 * the names of the states: a state alone on a line is also what a person writes under the
 * milestone it answers, and it is never read as an answer by itself.
 */
const DIGEST_KEYS = /^(greeting|signoff|signature|layout\.|milestone\.|answer\.|status_request\.|reminder\.|confirmation\.|due\.)/;
/** An example answer: a reply line with the example's placeholder where the milestone goes. */
const EXAMPLE_KEYS = /^answer\.example_/;
/** Below this many letters a text ("Nr", "Milstolpe", "Tidsplan") is only its own word when it is the whole line. */
const PREFIX_MIN = 12;

/** How a line is compared: without quote marks and emphasis, one space for any run, lower case. */
export function normaliseLine(line: string): string {
  return line
    .normalize('NFC')
    .replace(/^[\s>|]+/, '')
    .replace(/[*_]+/g, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .toLowerCase();
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function patternOf(text: string, example: boolean): Pattern | null {
  const normal = normaliseLine(text);
  const parts = normal.split(/\{\w+\}/);
  const literal = parts.join('').replace(/[\s\p{P}]/gu, '');
  if (literal.length < 4) return null;
  // A short text after a placeholder ("{progress} % klart") is a fragment of a composed line and
  // ends many a person's own answer ("3: pågår - ca 40 % klart"): not evidence of a quote.
  if (parts[0] === '' && literal.length < PREFIX_MIN) return null;
  // An example's reference is one short name ("3", "MP 2022", "MP2023-a"), never a whole line.
  const source = parts.map(escape).join(example ? '[^:]{1,24}?' : '.+?');
  const open = (parts[0] ?? '').length >= PREFIX_MIN;
  return { regex: new RegExp(`^${source}${open ? '' : '$'}`, 'u'), example, evidence: !example && literal.length >= 25 };
}

let digestPatterns: Patterns | undefined;

/** Every line of every digest text, in every language, as a pattern; built once. */
function patterns(): Patterns {
  if (digestPatterns) return digestPatterns;
  const texts: { text: string; example: boolean }[] = [];
  for (const language of LANGUAGES) {
    const messages = i18n().messages(language, 'mail');
    const plain = (key: string): string[] => formsOf(messages[key]);
    for (const [key, message] of Object.entries(messages)) {
      if (!DIGEST_KEYS.test(key)) continue;
      for (const form of formsOf(message)) {
        for (const line of form.split('\n')) texts.push({ text: line, example: EXAMPLE_KEYS.test(key) });
      }
    }
    // The lines the milestone list composes from several texts: "Tidsplan: 2024 | Nuvarande status: Pågår".
    for (const due of plain('milestone.due')) {
      for (const state of plain('milestone.state')) texts.push({ text: `${due}: {due} | ${state}: {state}`, example: false });
    }
    for (const goal of plain('milestone.goal')) {
      for (const intervention of plain('milestone.intervention')) {
        texts.push({ text: `${goal} | ${intervention}`, example: false }, { text: `${goal} · ${intervention}`, example: false });
      }
    }
  }
  const built: Patterns = { byStart: new Map(), anywhere: [] };
  for (const { text, example } of texts) {
    const pattern = patternOf(text, example);
    if (!pattern) continue;
    const start = normaliseLine(text).slice(0, 2);
    if (start.length < 2 || start.includes('{')) built.anywhere.push(pattern);
    else built.byStart.set(start, [...(built.byStart.get(start) ?? []), pattern]);
  }
  digestPatterns = built;
  return built;
}

function matching(all: Patterns, line: string): Pattern[] {
  return [...(all.byStart.get(line.slice(0, 2)) ?? []), ...all.anywhere].filter((p) => p.regex.test(line));
}

function formsOf(message: Message | undefined): string[] {
  if (message === undefined) return [];
  return typeof message === 'string' ? [message] : Object.values(message).filter((t): t is string => typeof t === 'string');
}

/**
 * Which lines are the digest's own (true at their index). A line is the digest's when it is one
 * of its texts, when it starts with a text long enough not to be an answer's opening, or when it
 * is a milestone line of this digest ("3. MP2023-a Rapport om …", wrapped or not). An example
 * answer ("3: genomförd - rapporten publicerades i maj", also wrapped over two lines) is a line a
 * committee may well write itself, so it counts as the digest's only where the digest is
 * evidently there: quoted with ">", or below a milestone line or a long text of the digest.
 */
export function ownLines(lines: readonly string[], milestones: readonly EchoMilestone[]): boolean[] {
  const all = patterns();
  const normal = lines.map(normaliseLine);
  const own = normal.map(() => false);
  const texts = milestones.map((m) => ({ ...m, normalText: m.text ? normaliseLine(m.text) : '' }));
  let quoted = false;
  normal.forEach((line, at) => {
    if (line === '' || own[at]) return;
    const found = matching(all, line);
    const milestoneLine = isMilestoneLine(line, texts);
    if (milestoneLine || found.some((p) => p.evidence)) quoted = true;
    const inQuote = quoted || /^\s*>/.test(lines[at]!);
    if (milestoneLine || found.some((p) => !p.example || inQuote)) {
      own[at] = true;
      return;
    }
    const next = normal[at + 1];
    if (inQuote && next) {
      if (matching(all, `${line} ${next}`).some((p) => p.example)) own[at] = own[at + 1] = true;
    }
  });
  return own;
}

function isMilestoneLine(line: string, milestones: readonly (EchoMilestone & { normalText: string })[]): boolean {
  for (const { number, reference, label, normalText } of milestones) {
    if (normalText === '') continue;
    const names = [reference, label ?? ''].map((name) => name.toLowerCase().trim()).filter((name) => name !== '');
    const afterNumber = new RegExp(`^${number}\\s*[.):|]?\\s+`).exec(line);
    let rest = afterNumber ? line.slice(afterNumber[0].length) : line;
    const name = names.find((n) => rest.startsWith(`${n} `) || rest.startsWith(`${n}\t`));
    if (name) rest = rest.slice(name.length).trimStart();
    else if (!afterNumber) {
      // A line of the milestone's text alone, e.g. the rest of a wrapped one.
      if (line.length >= 20 && normalText.includes(line)) return true;
      continue;
    }
    const enough = Math.min(normalText.length, PREFIX_MIN);
    if (rest.length >= enough && normalText.startsWith(rest)) return true;
    // The whole text and more: the digest's table flattened to a line ("… Mål 1 · Insats 1.1 2024
    // Pågår"), unless a state follows straight after it: then a person copied the line to answer it.
    if (rest.startsWith(normalText) && matchState(rest.slice(normalText.length).replace(/^[\s:.,;\-–—]+/u, '')) === null) return true;
  }
  return false;
}
