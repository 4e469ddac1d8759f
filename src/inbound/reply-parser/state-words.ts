/**
 * The words a committee may use for a milestone's state when it answers a digest in its own
 * words, in the plan's five languages. Matching folds case and accents (å, ä → a; ö, ø → o;
 * æ → ae) because replies are often typed on keyboards without them, and it pools the languages:
 * a Finnish committee may well write "klar", and no word means one state in one language and
 * another state in the next (building the index fails if one ever does).
 */
export type MilestoneState = 'not_started' | 'in_progress' | 'at_risk' | 'delayed' | 'completed' | 'cancelled';
export type ReplyLanguage = 'da' | 'sv' | 'nb' | 'fi' | 'en';

export const MILESTONE_STATES: readonly MilestoneState[] = ['not_started', 'in_progress', 'at_risk', 'delayed', 'completed', 'cancelled'];

type StateWordList = Readonly<Record<MilestoneState, readonly string[]>>;

/** Per language and state; the first word of each list is the one a template should show. */
export const STATE_WORDS: Readonly<Record<ReplyLanguage, StateWordList>> = {
  en: {
    not_started: ['not started', 'not yet started', 'not started yet', 'not begun', 'not yet begun'],
    in_progress: ['in progress', 'on track', 'ongoing', 'on-going', 'started', 'underway', 'under way', 'on schedule'],
    at_risk: ['at risk', 'at-risk', 'in danger', 'risk of delay'],
    delayed: ['delayed', 'late', 'postponed', 'behind schedule', 'overdue', 'on hold', 'deferred'],
    completed: ['completed', 'complete', 'done', 'finished', 'delivered', 'achieved'],
    cancelled: ['cancelled', 'canceled', 'dropped', 'abandoned', 'withdrawn'],
  },
  sv: {
    not_started: [
      'ej påbörjad',
      'ej påbörjat',
      'inte påbörjad',
      'inte påbörjat',
      'inte påbörjats',
      'inte startad',
      'inte startat',
      'ej startad',
      'ej startat',
      'inte börjat',
      'inte igång',
      'inte i gång',
      'ej igång',
      'ej i gång',
    ],
    in_progress: [
      'pågår',
      'pågående',
      'påbörjad',
      'påbörjat',
      'påbörjade',
      'enligt plan',
      'enligt tidplan',
      'i gång',
      'igång',
      'på gång',
      'startad',
      'startat',
      'under arbete',
    ],
    at_risk: ['i riskzonen', 'riskzonen', 'risk', 'risk för försening', 'i fara', 'hotad', 'hotat'],
    delayed: [
      'försenad',
      'försenat',
      'försenade',
      'försenas',
      'uppskjuten',
      'uppskjutet',
      'uppskjutna',
      'senarelagd',
      'senarelagt',
      'framflyttad',
      'framflyttat',
    ],
    completed: [
      'klar',
      'klart',
      'klara',
      'slutförd',
      'slutfört',
      'slutförda',
      'genomförd',
      'genomfört',
      'genomförda',
      'avslutad',
      'avslutat',
      'avslutade',
      'färdig',
      'färdigt',
      'färdiga',
      'utförd',
      'utfört',
      'levererad',
      'levererat',
      'uppnådd',
      'uppnått',
    ],
    cancelled: [
      'inställd',
      'inställt',
      'inställda',
      'avbruten',
      'avbrutet',
      'avbrutna',
      'struken',
      'struket',
      'strukna',
      'slopad',
      'slopat',
      'utgår',
    ],
  },
  da: {
    not_started: ['ikke startet', 'ikke påbegyndt', 'ikke begyndt', 'ikke i gang', 'ikke igangsat'],
    in_progress: [
      'i gang',
      'igang',
      'igangværende',
      'i proces',
      'på sporet',
      'efter planen',
      'påbegyndt',
      'startet',
      'begyndt',
      'igangsat',
      'under arbejde',
    ],
    at_risk: ['i risiko', 'risiko', 'risiko for forsinkelse', 'i fare', 'truet'],
    delayed: ['forsinket', 'forsinkede', 'udskudt', 'udsat', 'bagud'],
    completed: [
      'færdig',
      'færdigt',
      'færdige',
      'afsluttet',
      'afsluttede',
      'gennemført',
      'gennemførte',
      'udført',
      'udførte',
      'fuldført',
      'leveret',
      'klar',
    ],
    cancelled: ['aflyst', 'annulleret', 'droppet', 'opgivet', 'udgået', 'udgår'],
  },
  nb: {
    not_started: ['ikke startet', 'ikke påbegynt', 'ikke begynt', 'ikke i gang', 'ikke igangsatt'],
    in_progress: [
      'pågår',
      'i gang',
      'igang',
      'underveis',
      'i rute',
      'etter planen',
      'påbegynt',
      'startet',
      'begynt',
      'igangsatt',
      'i prosess',
      'under arbeid',
    ],
    at_risk: ['i risiko', 'risiko', 'risiko for forsinkelse', 'i fare', 'truet'],
    delayed: ['forsinket', 'forsinkede', 'utsatt', 'på etterskudd'],
    completed: ['ferdig', 'fullført', 'gjennomført', 'avsluttet', 'ferdigstilt', 'utført', 'levert', 'klar'],
    cancelled: ['avlyst', 'kansellert', 'avbrutt', 'droppet', 'strøket', 'utgår'],
  },
  fi: {
    not_started: ['ei aloitettu', 'aloittamatta', 'ei vielä aloitettu', 'ei alkanut', 'ei käynnistetty'],
    in_progress: ['käynnissä', 'kesken', 'aloitettu', 'aikataulussa', 'työn alla', 'meneillään', 'käynnistetty', 'alkanut', 'etenee'],
    at_risk: ['riskissä', 'vaarassa', 'uhattuna'],
    delayed: ['viivästynyt', 'viivästyy', 'viivästyneet', 'myöhässä', 'lykätty', 'lykkääntynyt'],
    completed: ['valmis', 'valmiina', 'valmistunut', 'toteutettu', 'toteutunut', 'päättynyt', 'suoritettu', 'tehty', 'saatu valmiiksi'],
    cancelled: ['peruttu', 'peruutettu', 'keskeytetty', 'lopetettu'],
  },
};

/**
 * Words people put between the milestone and its state ("3: is done", "3: är klar", "3: on
 * valmis"). They are skipped only when a state follows, so "on track" still reads as on track.
 */
const LEAD_INS = [
  'is',
  'is now',
  'was',
  'has',
  'has been',
  'have',
  'have been',
  'are',
  'är',
  'är nu',
  'blev',
  'har',
  'har blivit',
  'har nu',
  'er',
  'er nu',
  'er nå',
  'er blevet',
  'ble',
  'har blitt',
  'on',
  'on nyt',
  'oli',
];

interface Entry {
  phrase: string;
  state: MilestoneState | null;
}

const WORD = /[\p{L}\p{N}]+/uy;
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
const LEAD_IN_INDEX = buildIndex(LEAD_INS.map((word) => ({ phrase: fold(word).folded, state: null })));

/**
 * The state at the start of a phrase, longest match first ("not started" is never read as
 * "started", "i riskzonen" beats "risk"). `matched` is the words read, as written: a prefix of
 * the phrase without its leading whitespace, so what follows is `phrase.trimStart().slice(matched.length)`.
 */
export function matchState(phrase: string): { state: MilestoneState; matched: string } | null {
  const text = phrase.trimStart();
  const { folded, origin } = fold(text);
  let hit = stateAt(folded, 0);
  if (!hit) {
    for (const leadIn of phrasesAt(LEAD_IN_INDEX, folded, 0)) {
      if (folded[leadIn.end] !== ' ') continue;
      hit = stateAt(folded, leadIn.end + 1);
      if (hit) break;
    }
  }
  if (!hit) return null;
  const end = hit.end < folded.length ? origin[hit.end] : text.length;
  return { state: hit.state, matched: text.slice(0, end) };
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
