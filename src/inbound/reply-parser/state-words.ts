/**
 * The words a committee may use for a milestone's state when it answers a digest in its own
 * words, in the plan's five languages. Matching folds case and accents (å, ä → a; ö, ø → o;
 * æ → ae) because replies are often typed on keyboards without them, and it pools the languages:
 * a Finnish committee may well write "klar", and no word means one state in one language and
 * another state in the next (building the index fails if one ever does).
 */
import { GRAMMARS, type MilestoneState, type ReplyLanguage } from './vocabulary.js';

export type { MilestoneState, ReplyLanguage };

export const MILESTONE_STATES: readonly MilestoneState[] = ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'];

type StateWordList = Readonly<Record<MilestoneState, readonly string[]>>;

/**
 * Per language and state, generated from each language's grammar (vocabulary.ts): participles,
 * past and passive forms, prepositional phrases, spellings without å, ä, ö, æ, ø.
 */
export const STATE_WORDS: Readonly<Record<ReplyLanguage, StateWordList>> = GRAMMARS;

/**
 * Words people put between the milestone and its state ("3: is done", "3: är klar", "3: on
 * valmis"). They are skipped only when a state follows, so "on track" still reads as on track.
 */
const LEAD_INS = [
  'is',
  'is now',
  'has now been',
  'was',
  'were',
  'are now',
  'now',
  'has',
  'has been',
  'have',
  'have been',
  'are',
  'är',
  'är nu',
  'nu',
  'var',
  'blev',
  'har',
  'har blivit',
  'har nu',
  'er',
  'er nu',
  'er nå',
  'er blevet',
  'er nu blevet',
  'blev',
  'var',
  'nu',
  'nå',
  'ble',
  'har blitt',
  'er blitt',
  'on',
  'on nyt',
  'nyt',
  'oli',
  'ovat',
  'olivat',
];

/**
 * What makes "klar till sommaren" ("ready by the summer") a plan rather than a state: a word of
 * time or of condition straight after the state word, with no dash or comma between. After an end
 * state (completed, cancelled) words of time count ("done by June", "aflyst til næste år"); after
 * any state but at risk, which is conditional by nature, words of condition count ("delayed if",
 * "klart att" - "it is clear that"). Grouped by language; matching pools them like the states.
 */
const TIME_WORDS: Readonly<Record<ReplyLanguage, readonly string[]>> = {
  en: [
    'by',
    'until',
    'till',
    'before',
    'in',
    'next',
    'soon',
    'later',
    'within',
    'when',
    'once',
    'after',
    'during',
    'this',
    'tomorrow',
    'expected',
    'hopefully',
    'probably',
    'at the end',
    'end of',
    'early',
    'mid',
    'late',
    'around',
    'for',
  ],
  sv: [
    'till',
    'tills',
    'före',
    'innan',
    'i',
    'nästa',
    'snart',
    'senare',
    'inom',
    'när',
    'efter',
    'under',
    'hösten',
    'våren',
    'sommaren',
    'vintern',
    'vid',
    'kring',
    'runt',
    'förhoppningsvis',
    'troligen',
    'troligtvis',
    'förväntas',
    'beräknas',
    'i slutet',
    'först',
  ],
  da: [
    'til',
    'inden',
    'før',
    'i',
    'næste',
    'snart',
    'senere',
    'indenfor',
    'inden for',
    'når',
    'efter',
    'under',
    'medio',
    'ultimo',
    'primo',
    'omkring',
    'forventeligt',
    'forventet',
    'forventes',
    'formentlig',
    'forhåbentlig',
    'sidst',
    'først',
    'efteråret',
    'foråret',
    'sommeren',
    'vinteren',
  ],
  nb: [
    'til',
    'innen',
    'før',
    'i',
    'neste',
    'snart',
    'senere',
    'når',
    'etter',
    'under',
    'medio',
    'ultimo',
    'primo',
    'rundt',
    'forventet',
    'forventes',
    'trolig',
    'antakelig',
    'forhåpentlig',
    'først',
    'høsten',
    'våren',
    'sommeren',
    'vinteren',
  ],
  fi: [
    'ensi',
    'ensimmäisenä',
    'pian',
    'myöhemmin',
    'syksyllä',
    'keväällä',
    'kesällä',
    'talvella',
    'vuonna',
    'vuoden',
    'viimeistään',
    'arviolta',
    'toivottavasti',
    'todennäköisesti',
    'kuluessa',
    'kun',
  ],
};
const CONDITION_WORDS: Readonly<Record<ReplyLanguage, readonly string[]>> = {
  en: ['if', 'unless', 'provided', 'assuming', 'that', 'whether'],
  sv: ['om', 'ifall', 'såvida', 'förutsatt', 'att', 'bara'],
  da: ['hvis', 'om', 'medmindre', 'såfremt', 'forudsat', 'at'],
  nb: ['hvis', 'om', 'med mindre', 'dersom', 'forutsatt', 'at'],
  fi: ['jos', 'mikäli', 'ellei', 'edellyttäen', 'että'],
};

interface Entry {
  phrase: string;
  state: MilestoneState | null;
}

const WORD = /[\p{L}\p{N}]+/uy;
/** How much of a phrase is folded to find a state or a plan at its start: far more than the longest phrase. */
const HEAD = 200;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Entries by their first folded word, longest phrase first, so a lookup costs a few comparisons. */
function buildIndex(entries: Entry[]): Map<string, Entry[]> {
  const index = new Map<string, Entry[]>();
  for (const entry of entries) {
    const first = wordAt(entry.phrase, 0);
    const bucket = index.get(first) ?? [];
    const same = bucket.find((other) => other.phrase === entry.phrase);
    if (same && same.state !== entry.state) {
      throw new Error(`state word "${entry.phrase}" means both ${same.state} and ${entry.state}`);
    }
    if (!same) bucket.push(entry);
    index.set(first, bucket);
  }
  for (const bucket of index.values()) bucket.sort((a, b) => b.phrase.length - a.phrase.length);
  return index;
}

const STATES = buildIndex(
  Object.values(STATE_WORDS).flatMap((words) =>
    MILESTONE_STATES.flatMap((state) => words[state].map((word) => ({ phrase: fold(word).folded, state }))),
  ),
);
const TIME_INDEX = buildIndex(
  Object.values(TIME_WORDS).flatMap((words) => words.map((word) => ({ phrase: fold(word).folded, state: null }))),
);
const CONDITION_INDEX = buildIndex(
  Object.values(CONDITION_WORDS).flatMap((words) => words.map((word) => ({ phrase: fold(word).folded, state: null }))),
);
const LEAD_IN_INDEX = buildIndex(LEAD_INS.map((word) => ({ phrase: fold(word).folded, state: null })));

/**
 * The state at the start of a phrase, longest match first ("not started" is never read as
 * "started", "i riskzonen" beats "risk"). `matched` is the words read, as written: a prefix of
 * the phrase without its leading whitespace, so what follows is `phrase.trimStart().slice(matched.length)`.
 */
export function matchState(phrase: string): { state: MilestoneState; matched: string } | null {
  const text = phrase.trimStart();
  // States and lead-ins are a few words: the start of a long line is enough to fold.
  const { folded, origin } = fold(text.slice(0, HEAD));
  let hit = stateAt(folded, 0);
  if (!hit) {
    for (const leadIn of phrasesAt(LEAD_IN_INDEX, folded, 0)) {
      if (folded[leadIn.end] !== ' ') continue;
      hit = stateAt(folded, leadIn.end + 1);
      if (hit) break;
    }
  }
  if (!hit) return null;
  const end = hit.end < folded.length ? origin[hit.end] : Math.min(text.length, HEAD);
  return { state: hit.state, matched: text.slice(0, end) };
}

/**
 * The words that make what follows a state word a plan or a condition ("till sommaren", "if the
 * budget holds", Finnish "kesään mennessä"), as written, or null when the words after the state
 * are a comment on it ("pga. corona", "rapporten ligger på hemsidan").
 */
export function planOrCondition(state: MilestoneState, tail: string): string | null {
  const text = tail.trimStart();
  const { folded, origin } = fold(text.slice(0, HEAD));
  const written = (end: number) => text.slice(0, end < folded.length ? origin[end] : Math.min(text.length, HEAD));
  if (state !== 'at_risk') {
    for (const hit of phrasesAt(CONDITION_INDEX, folded, 0)) return written(hit.end);
  }
  if (state === 'completed' || state === 'cancelled') {
    for (const hit of phrasesAt(TIME_INDEX, folded, 0)) return written(hit.end);
    // Finnish says "by the summer" with a postposition and a case: "kesään mennessä", "toukokuussa".
    const first = /^[\p{L}\p{N}]+(?:\s+mennessa)?/u.exec(folded)?.[0] ?? '';
    if (/mennessa$|kuussa$|kuun$/.test(first)) return written(first.length);
  }
  return null;
}

/** Whether a state word starts any word of the text (lead-ins aside). */
export function containsStateWord(text: string): boolean {
  const { folded } = fold(text);
  for (let at = 0; at < folded.length; at++) {
    const startsWord = WORD_CHAR.test(folded.charAt(at)) && (at === 0 || !WORD_CHAR.test(folded.charAt(at - 1)));
    if (startsWord && stateAt(folded, at)) return true;
  }
  return false;
}

function stateAt(folded: string, at: number): { state: MilestoneState; end: number } | null {
  for (const hit of phrasesAt(STATES, folded, at)) return { state: hit.entry.state!, end: hit.end };
  return null;
}

function* phrasesAt(index: Map<string, Entry[]>, folded: string, at: number): Generator<{ entry: Entry; end: number }> {
  for (const entry of index.get(wordAt(folded, at)) ?? []) {
    const end = at + entry.phrase.length;
    if (folded.startsWith(entry.phrase, at) && !WORD_CHAR.test(folded[end] ?? '')) yield { entry, end };
  }
}

function wordAt(text: string, at: number): string {
  WORD.lastIndex = at;
  return WORD.exec(text)?.[0] ?? '';
}

/**
 * Lower case without accents, runs of whitespace as one space. `origin[i]` is the index in the
 * input of the character that gave `folded[i]`, so a match can be cut from the words as written.
 */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  for (let at = 0; at < text.length;) {
    const code = text.codePointAt(at)!;
    const char = String.fromCodePoint(code);
    const out = /\s/u.test(char) ? (folded.endsWith(' ') ? '' : ' ') : foldChar(char);
    for (let k = 0; k < out.length; k++) origin.push(at);
    folded += out;
    at += char.length;
  }
  return { folded, origin };
}

function foldChar(char: string): string {
  if (char.charCodeAt(0) < 128) return char.toLowerCase();
  const lower = char.toLowerCase();
  if (lower === 'ø') return 'o';
  if (lower === 'æ') return 'ae';
  if (lower === 'ß') return 'ss';
  return lower.normalize('NFD').replace(/\p{M}/gu, '');
}
