/** The states a reply can give, and the languages whose words it reads (state-words.ts re-exports them). */
export type MilestoneState = 'not_started' | 'in_progress' | 'at_risk' | 'delayed' | 'completed' | 'cancelled';
export type ReplyLanguage = 'da' | 'sv' | 'nb' | 'fi' | 'en';

/**
 * The state words of each language, generated from its grammar rather than listed by example:
 * a verb is given once with its conjugation class and yields the forms that can name a state
 * (participles in every gender and number, past, perfect, passive; for cancelling also the
 * present and the imperative, "stryk"/"stryger", which tell the secretariat to drop it), nouns
 * yield their prepositional phrases ("i risk", "med risiko for forsinkelse"), and every word also
 * comes spelled the way a keyboard without å, ä, ö, æ, ø writes it ("paabegyndt", "foersenad").
 *
 * Which forms belong to which state is a matter of meaning, not of form: the present of
 * "genomföra" ("genomför", we are carrying it out) is work in progress, not completed, so
 * completion takes only the perfective forms.
 */

type Forms = readonly string[];

/** The forms of a verb, by grammatical function. */
interface Verb {
  /** Participles (all genders and numbers), past tense, perfect/supine: it has happened. */
  perfective: Forms;
  /** Present passive ("försenas", "forsinkes"): it is happening to it. */
  passive: Forms;
  /** Present active and imperative ("stryker", "stryk"): do it / we do it. */
  present: Forms;
}

const verb = (perfective: Forms, passive: Forms = [], present: Forms = []): Verb => ({ perfective, passive, present });

// ── Swedish ──────────────────────────────────────────────────────────────────────────────
/** An adjective or participle in -d/-t: "försenad, försenat, försenade". */
const svAdjD = (stem: string): Forms => [`${stem}d`, `${stem}t`, `${stem}de`];
/** 1st conjugation, "avsluta": avslutad/-at/-ade, avslutade(s), avslutat(s); avslutas; avslutar, avsluta. */
const sv1 = (infinitive: string): Verb => {
  const stem = infinitive; // ends in -a
  return verb([...svAdjD(`${stem}`), `${stem}des`, `${stem}ts`], [`${stem}s`], [`${stem}r`, stem]);
};
/** 2nd conjugation, "genomföra": genomförd/-fört/-förda, genomförde(s), genomfört(s); genomförs; genomför. */
const sv2 = (infinitive: string): Verb => {
  const stem = infinitive.slice(0, -1);
  return verb([`${stem}d`, `${stem}t`, `${stem}da`, `${stem}de`, `${stem}des`, `${stem}ts`], [`${stem}s`], [stem]);
};
/** An adjective: "klar, klart, klara". */
const svAdj = (word: string): Forms => [word, `${word}t`, `${word}a`];

const SV_NEGATIONS = ['inte', 'ej', 'inte ännu', 'ännu inte', 'ej ännu', 'ännu ej', 'har inte', 'har ej', 'har ännu inte'];

// ── Danish and Norwegian ─────────────────────────────────────────────────────────────────
/** Danish 1st class, "afslutte": afsluttet, afsluttede; afsluttes; afslutter, afslut. */
const da1 = (infinitive: string, imperative = infinitive.slice(0, -1)): Verb => {
  const stem = infinitive.slice(0, -1);
  return verb([`${stem}et`, `${stem}ede`], [`${stem}es`], [`${stem}er`, imperative]);
};
/** Danish 2nd class, "gennemføre": gennemført, gennemførte; gennemføres; gennemfører, gennemfør. */
const da2 = (infinitive: string): Verb => {
  const stem = infinitive.slice(0, -1);
  return verb([`${stem}t`, `${stem}te`], [`${stem}es`], [`${stem}er`, stem]);
};
/** Norwegian a-verbs, "avslutte": avsluttet, avsluttede; avsluttes; avslutter. */
const nbA = (infinitive: string, imperative = infinitive.slice(0, -1)): Verb => {
  const stem = infinitive.slice(0, -1);
  return verb([`${stem}et`, `${stem}ede`, `${stem}a`], [`${stem}es`], [`${stem}er`, imperative]);
};
/** Norwegian e-verbs, "fullføre": fullført, fullførte; fullføres; fullfører, fullfør ("ferdigstill" → "ferdigstilt"). */
const nbE = (infinitive: string): Verb => {
  const stem = infinitive.slice(0, -1);
  const short = stem.replace(/(\p{L})\1$/u, '$1');
  return verb([`${short}t`, `${short}te`], [`${stem}es`], [`${stem}er`, stem]);
};

// ── Finnish ──────────────────────────────────────────────────────────────────────────────
/**
 * A Finnish verb from its passive past participle ("toteutettu") and, when it has one, its active
 * past participle ("toteutunut"): plurals ("toteutetut", "toteutuneet"), past passive
 * ("toteutettiin") and, for the intransitive, its past ("toteutui" given as `past`).
 */
const fi = (passiveParticiple: string | null, activeParticiple: string | null = null, extra: Forms = []): Verb => {
  const forms: string[] = [...extra];
  if (passiveParticiple) {
    const harmony = passiveParticiple.endsWith('ty') ? 'y' : 'u';
    const stem = passiveParticiple.slice(0, -2); // "toteutet|tu"
    forms.push(passiveParticiple, `${stem}${harmony === 'y' ? 'yt' : 'ut'}`, `${stem}tiin`);
  }
  if (activeParticiple) {
    const stem = activeParticiple.slice(0, -3); // "toteutu|nut"
    forms.push(activeParticiple, `${stem}neet`);
  }
  return verb(forms);
};
const FI_NEGATIONS = ['ei', 'ei vielä', 'ei ole', 'ei ole vielä', 'eivät ole', 'eivät ole vielä', 'ei ole vielä edes'];

// ── English ──────────────────────────────────────────────────────────────────────────────
/** "cancel": cancelled, canceled; is cancelled; cancel. Regular past in -ed, doubled when given. */
const en = (base: string, past: Forms = [`${base.replace(/e$/, '')}ed`]): Verb => verb(past, [], [base]);

const perfective = (...verbs: Verb[]): string[] => verbs.flatMap((v) => v.perfective);
const passive = (...verbs: Verb[]): string[] => verbs.flatMap((v) => v.passive);
const every = (...verbs: Verb[]): string[] => verbs.flatMap((v) => [...v.perfective, ...v.passive, ...v.present]);
/** Every preposition with every noun, and each with every complement: "i risk", "med risk för försening". */
const phrases = (prepositions: Forms, nouns: Forms, complements: Forms = []): string[] =>
  prepositions.flatMap((p) => nouns.flatMap((n) => [p ? `${p} ${n}` : n, ...complements.map((c) => `${p ? `${p} ` : ''}${n} ${c}`)]));
const negated = (negations: Forms, words: Forms): string[] => negations.flatMap((n) => words.map((w) => `${n} ${w}`));

type Grammar = Record<MilestoneState, string[]>;

const SWEDISH: Grammar = (() => {
  const start = [...perfective(sv1('påbörja'), sv1('starta')), 'inledd', 'inlett', 'inledda', 'inleddes', 'börjat', 'börjats'];
  return {
    not_started: [...negated(SV_NEGATIONS, [...start, 'igång', 'i gång', 'startats', 'påbörjats']), 'opåbörjad', 'opåbörjat'],
    in_progress: [
      'pågår',
      'pågående',
      'fortgår',
      'fortlöper',
      ...start,
      'enligt plan',
      'enligt planen',
      'enligt tidplan',
      'enligt tidplanen',
      'i gång',
      'igång',
      'på gång',
      'under arbete',
      'löper på',
    ],
    at_risk: [
      ...phrases(['', 'i', 'med'], ['risk', 'risken'], ['för försening', 'för förseningar', 'för att försenas']),
      'i riskzonen',
      'riskzonen',
      'i farozonen',
      'i fara',
      ...perfective(sv1('hota')),
      'riskerar försening',
      'riskerar att försenas',
    ],
    delayed: [
      ...perfective(sv1('försena')),
      ...passive(sv1('försena')),
      'uppskjuten',
      'uppskjutet',
      'uppskjutna',
      'skjuts upp',
      'sköts upp',
      'har skjutits upp',
      'skjutits upp',
      'senarelagd',
      'senarelagt',
      'senarelagda',
      'senareläggs',
      ...perfective(sv1('framflytta')),
      'flyttas fram',
      'flyttades fram',
      ...perfective(sv1('pausa')),
      'vilande',
      'efter tidplanen',
      'efter tidplan',
      'bakom tidplanen',
    ],
    completed: [
      ...svAdj('klar'),
      ...svAdj('färdig'),
      ...perfective(sv1('avsluta'), sv2('slutföra'), sv2('genomföra'), sv2('utföra'), sv1('leverera'), sv2('färdigställa')),
      'uppnådd',
      'uppnått',
      'uppnådda',
      'uppnåddes',
      'i mål',
      'i hamn',
    ],
    cancelled: [
      'inställd',
      'inställt',
      'inställda',
      'ställs in',
      'ställdes in',
      'har ställts in',
      // avbryta and stryka are strong verbs: their forms are given, every one of them.
      ...every(verb(['avbruten', 'avbrutet', 'avbrutna', 'avbröts', 'avbrutits'], ['avbryts'], ['avbryter', 'avbryt'])),
      ...every(verb(['struken', 'struket', 'strukna', 'ströks', 'strukits'], ['stryks'], ['stryker', 'stryk'])),
      ...every(sv1('slopa')),
      'utgår',
      'utgick',
      'nedlagd',
      'nedlagt',
      'nedlagda',
      'läggs ned',
      'lades ned',
      'lagts ned',
      'makulerad',
      'makulerat',
    ],
  };
})();

const DANISH: Grammar = (() => {
  const start = [...perfective(da1('starte', 'start')), 'påbegyndt', 'påbegyndte', 'begyndt', 'begyndte', 'igangsat'];
  return {
    not_started: [
      ...negated(['ikke', 'endnu ikke', 'ikke endnu', 'er ikke', 'er endnu ikke', 'har ikke'], [...start, 'i gang', 'igang']),
      'upåbegyndt',
    ],
    in_progress: [
      'i gang',
      'igang',
      'igangværende',
      'i proces',
      'på sporet',
      'efter planen',
      'som planlagt',
      'pågår',
      'under arbejde',
      'kører',
      ...start,
    ],
    at_risk: [
      ...phrases(['', 'i', 'med'], ['risiko', 'risikoen'], ['for forsinkelse', 'for forsinkelser', 'for at blive forsinket']),
      'i risikozonen',
      'i farezonen',
      'i fare',
      'truet',
      'truede',
      'risikerer forsinkelse',
    ],
    delayed: [
      ...perfective(da1('forsinke')),
      ...passive(da1('forsinke')),
      'udskudt',
      'udskudte',
      'udskydes',
      'udsat',
      'udsatte',
      'udsættes',
      'bagud',
      'bagud i forhold til planen',
      'sat på pause',
      'på pause',
      'i bero',
      'sat i bero',
    ],
    completed: [
      'færdig',
      'færdigt',
      'færdige',
      'klar',
      'klart',
      'klare',
      ...perfective(da1('afslutte'), da2('gennemføre'), da2('udføre'), da2('fuldføre'), da1('levere')),
      'færdiggjort',
      'færdiggjorde',
      'nået',
      'i mål',
    ],
    cancelled: [
      ...every(verb(['aflyst', 'aflyste'], ['aflyses'], ['aflyser', 'aflys'])),
      ...every(da1('annullere', 'annuller')),
      ...every(verb(['strøget', 'strøg'], ['stryges'], ['stryger', 'stryg'])),
      ...every(da1('droppe', 'drop')),
      ...every(verb(['opgivet', 'opgav'], ['opgives'], ['opgiver', 'opgiv'])),
      'udgået',
      'udgår',
      'udgik',
      'nedlagt',
      'skrinlagt',
    ],
  };
})();

const NORWEGIAN: Grammar = (() => {
  const start = [...perfective(nbA('starte', 'start')), 'påbegynt', 'påbegynte', 'begynt', 'begynte', 'igangsatt', 'igangsatte'];
  return {
    not_started: [
      ...negated(['ikke', 'ennå ikke', 'enda ikke', 'ikke ennå', 'er ikke', 'er ennå ikke', 'har ikke'], [...start, 'i gang', 'igang']),
      'upåbegynt',
    ],
    in_progress: [
      'pågår',
      'pågående',
      'i gang',
      'igang',
      'underveis',
      'i rute',
      'etter planen',
      'som planlagt',
      'i prosess',
      'under arbeid',
      ...start,
    ],
    at_risk: [
      ...phrases(['', 'i', 'med'], ['risiko', 'risikoen'], ['for forsinkelse', 'for forsinkelser', 'for å bli forsinket']),
      'i faresonen',
      'i risikosonen',
      'i fare',
      'står i fare',
      'truet',
      'truede',
    ],
    delayed: [
      ...perfective(nbA('forsinke')),
      ...passive(nbA('forsinke')),
      'utsatt',
      'utsatte',
      'utsettes',
      'på etterskudd',
      'forskjøvet',
      'på vent',
      'satt på vent',
      'satt på pause',
    ],
    completed: [
      'ferdig',
      'ferdige',
      ...perfective(nbE('fullføre'), nbE('gjennomføre'), nbE('utføre'), nbA('avslutte'), nbE('levere'), nbE('ferdigstille')),
      'nådd',
      'i mål',
    ],
    cancelled: [
      ...every(verb(['avlyst', 'avlyste'], ['avlyses'], ['avlyser', 'avlys'])),
      ...every(nbE('kansellere')),
      ...every(verb(['avbrutt', 'avbrøt'], ['avbrytes'], ['avbryter', 'avbryt'])),
      ...every(verb(['strøket', 'strøk'], ['strykes'], ['stryker', 'stryk'])),
      ...every(nbA('droppe', 'dropp')),
      'utgår',
      'utgikk',
      'utgått',
      'nedlagt',
      'lagt ned',
      'skrinlagt',
    ],
  };
})();

const FINNISH: Grammar = (() => {
  const start = [...perfective(fi('aloitettu', 'alkanut', ['alkoi']), fi('käynnistetty', 'käynnistynyt', ['käynnistyi']))];
  return {
    not_started: [
      ...negated(FI_NEGATIONS, ['aloitettu', 'alkanut', 'käynnistetty', 'käynnistynyt', 'alkaneet']),
      'aloittamatta',
      'alkamatta',
      'käynnistämättä',
    ],
    in_progress: [
      'käynnissä',
      'kesken',
      'aikataulussa',
      'työn alla',
      'meneillään',
      'tekeillä',
      'etenee',
      'etenemässä',
      'suunnitellusti',
      'työstetään',
      ...start,
    ],
    at_risk: [
      'riskissä',
      'riski',
      'vaarassa',
      'uhattuna',
      'viivästymisvaarassa',
      'viivästymisriski',
      'vaarana viivästyä',
      'riskinä viivästyminen',
    ],
    delayed: [
      ...perfective(fi(null, 'viivästynyt', ['viivästyi', 'viivästyy']), fi('lykätty', 'lykkääntynyt', ['lykkääntyi', 'lykkääntyy'])),
      'myöhässä',
      ...perfective(fi('siirretty', null)),
      'jäljessä aikataulusta',
      'aikataulusta jäljessä',
      'tauolla',
    ],
    completed: [
      'valmis',
      'valmiina',
      'valmiit',
      ...perfective(
        fi(null, 'valmistunut', ['valmistui']),
        fi('toteutettu', 'toteutunut', ['toteutui']),
        fi(null, 'päättynyt', ['päättyi']),
      ),
      ...perfective(fi('suoritettu'), fi('saatettu'), verb(['tehty', 'tehdyt', 'tehtiin'])),
      'saatu valmiiksi',
      'saatu päätökseen',
      'maalissa',
    ],
    cancelled: [
      ...perfective(fi('peruttu', 'peruuntunut', ['peruuntui', 'perutaan', 'peru'])),
      ...perfective(fi('peruutettu'), fi('keskeytetty'), fi('lopetettu'), fi('poistettu')),
      'jätetty pois',
      'ei toteuteta',
    ],
  };
})();

const ENGLISH: Grammar = (() => {
  const start = ['started', 'begun', 'commenced', 'initiated'];
  return {
    not_started: [
      ...negated(['not', 'not yet', 'has not', 'have not', 'has not yet', 'have not yet', "hasn't", "haven't", 'not been'], start),
      'not started yet',
      'yet to start',
      'yet to begin',
    ],
    in_progress: [
      'in progress',
      'on track',
      'ongoing',
      'on-going',
      'underway',
      'under way',
      'on schedule',
      'progressing',
      'proceeding',
      'in hand',
      ...start,
    ],
    at_risk: [
      ...phrases(['', 'at', 'in'], ['risk'], ['of delay', 'of delays', 'of being delayed']),
      'at-risk',
      'in danger',
      'in jeopardy',
      'endangered',
      'threatened',
    ],
    delayed: [
      ...perfective(en('delay'), en('postpone'), verb(['deferred']), verb(['paused']), verb(['slipped'])),
      'late',
      'behind schedule',
      'overdue',
      'on hold',
      'slipping',
    ],
    completed: [
      'complete',
      'done',
      'accomplished',
      ...perfective(en('complete'), en('finish'), en('deliver'), en('achieve'), en('fulfil', ['fulfilled'])),
    ],
    cancelled: [
      ...every(en('cancel', ['cancelled', 'canceled'])),
      ...every(en('drop', ['dropped'])),
      ...every(en('scrap', ['scrapped'])),
      ...perfective(en('abandon'), en('discontinue'), verb(['withdrawn'])),
    ],
  };
})();

/**
 * The other ways a word is spelt without the letters a keyboard may lack: å as aa, ä and æ as
 * ae, ö and ø as oe ("paabegyndt", "foersenad", "faerdig"). Plain a, o (the letter without its
 * accent) need no variant: matching folds them anyway.
 */
export function spellings(word: string): string[] {
  const variants = new Set([word]);
  const swaps: [RegExp, string][] = [
    [/å/g, 'aa'],
    [/[äæ]/g, 'ae'],
    [/[öø]/g, 'oe'],
  ];
  for (const [pattern, replacement] of swaps) {
    for (const known of [...variants]) variants.add(known.replace(pattern, replacement));
  }
  return [...variants];
}

const unique = (words: string[]): string[] => [...new Set(words.flatMap(spellings))];
const finish = (grammar: Grammar): Record<MilestoneState, readonly string[]> => ({
  not_started: unique(grammar.not_started),
  in_progress: unique(grammar.in_progress),
  at_risk: unique(grammar.at_risk),
  delayed: unique(grammar.delayed),
  completed: unique(grammar.completed),
  cancelled: unique(grammar.cancelled),
});

export const GRAMMARS: Readonly<Record<ReplyLanguage, Record<MilestoneState, readonly string[]>>> = {
  en: finish(ENGLISH),
  sv: finish(SWEDISH),
  da: finish(DANISH),
  nb: finish(NORWEGIAN),
  fi: finish(FINNISH),
};
