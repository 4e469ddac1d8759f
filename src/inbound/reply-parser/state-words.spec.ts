import {
  containsStateWord,
  matchState,
  planOrCondition,
  MILESTONE_STATES,
  STATE_WORDS,
  type MilestoneState,
  type ReplyLanguage,
} from './state-words.js';

describe('matchState', () => {
  it.each<[string, MilestoneState, string]>([
    // en
    ['completed', 'completed', 'completed'],
    ['Done', 'completed', 'Done'],
    ['finished - report out', 'completed', 'finished'],
    ['complete', 'completed', 'complete'],
    ['in progress, 50 %', 'in_progress', 'in progress'],
    ['On track', 'in_progress', 'On track'],
    ['ongoing', 'in_progress', 'ongoing'],
    ['started', 'in_progress', 'started'],
    ['at risk', 'at_risk', 'at risk'],
    ['delayed until May', 'delayed', 'delayed'],
    ['late', 'delayed', 'late'],
    ['postponed', 'delayed', 'postponed'],
    ['cancelled', 'cancelled', 'cancelled'],
    ['canceled', 'cancelled', 'canceled'],
    ['dropped', 'cancelled', 'dropped'],
    ['not started', 'not_started', 'not started'],
    ['NOT   STARTED yet', 'not_started', 'NOT   STARTED yet'],
    // sv
    ['klar', 'completed', 'klar'],
    ['Klart', 'completed', 'Klart'],
    ['slutförd', 'completed', 'slutförd'],
    ['genomförd', 'completed', 'genomförd'],
    ['avslutad', 'completed', 'avslutad'],
    ['pågår', 'in_progress', 'pågår'],
    ['pågående arbete', 'in_progress', 'pågående'],
    ['påbörjad', 'in_progress', 'påbörjad'],
    ['enligt plan', 'in_progress', 'enligt plan'],
    ['i riskzonen', 'at_risk', 'i riskzonen'],
    ['risk', 'at_risk', 'risk'],
    ['risk för försening', 'at_risk', 'risk för försening'],
    ['försenad', 'delayed', 'försenad'],
    ['försenat', 'delayed', 'försenat'],
    ['försenade', 'delayed', 'försenade'],
    ['inställd', 'cancelled', 'inställd'],
    ['avbruten', 'cancelled', 'avbruten'],
    ['struken', 'cancelled', 'struken'],
    ['ej påbörjad', 'not_started', 'ej påbörjad'],
    ['inte påbörjad', 'not_started', 'inte påbörjad'],
    ['inte startad', 'not_started', 'inte startad'],
    // da
    ['færdig', 'completed', 'færdig'],
    ['afsluttet', 'completed', 'afsluttet'],
    ['gennemført', 'completed', 'gennemført'],
    ['udført', 'completed', 'udført'],
    ['i gang', 'in_progress', 'i gang'],
    ['igangværende', 'in_progress', 'igangværende'],
    ['i proces', 'in_progress', 'i proces'],
    ['på sporet', 'in_progress', 'på sporet'],
    ['efter planen', 'in_progress', 'efter planen'],
    ['i risiko', 'at_risk', 'i risiko'],
    ['risiko', 'at_risk', 'risiko'],
    ['forsinket', 'delayed', 'forsinket'],
    ['udskudt', 'delayed', 'udskudt'],
    ['aflyst', 'cancelled', 'aflyst'],
    ['annulleret', 'cancelled', 'annulleret'],
    ['droppet', 'cancelled', 'droppet'],
    ['ikke startet', 'not_started', 'ikke startet'],
    ['ikke påbegyndt', 'not_started', 'ikke påbegyndt'],
    // nb
    ['ferdig', 'completed', 'ferdig'],
    ['fullført', 'completed', 'fullført'],
    ['gjennomført', 'completed', 'gjennomført'],
    ['avsluttet', 'completed', 'avsluttet'],
    ['underveis', 'in_progress', 'underveis'],
    ['i rute', 'in_progress', 'i rute'],
    ['utsatt', 'delayed', 'utsatt'],
    ['avlyst', 'cancelled', 'avlyst'],
    ['kansellert', 'cancelled', 'kansellert'],
    ['avbrutt', 'cancelled', 'avbrutt'],
    ['ikke påbegynt', 'not_started', 'ikke påbegynt'],
    // fi
    ['valmis', 'completed', 'valmis'],
    ['toteutettu', 'completed', 'toteutettu'],
    ['päättynyt', 'completed', 'päättynyt'],
    ['suoritettu', 'completed', 'suoritettu'],
    ['käynnissä', 'in_progress', 'käynnissä'],
    ['kesken', 'in_progress', 'kesken'],
    ['aloitettu', 'in_progress', 'aloitettu'],
    ['aikataulussa', 'in_progress', 'aikataulussa'],
    ['riskissä', 'at_risk', 'riskissä'],
    ['vaarassa', 'at_risk', 'vaarassa'],
    ['viivästynyt', 'delayed', 'viivästynyt'],
    ['myöhässä', 'delayed', 'myöhässä'],
    ['lykätty', 'delayed', 'lykätty'],
    ['peruttu', 'cancelled', 'peruttu'],
    ['peruutettu', 'cancelled', 'peruutettu'],
    ['keskeytetty', 'cancelled', 'keskeytetty'],
    ['ei aloitettu', 'not_started', 'ei aloitettu'],
    ['aloittamatta', 'not_started', 'aloittamatta'],
  ])('%s → %s', (phrase, state, matched) => {
    expect(matchState(phrase)).toEqual({ state, matched });
  });

  it('prefers the longest phrase, so a negation is never read as its positive', () => {
    expect(matchState('not started')?.state).toBe('not_started');
    expect(matchState('started')?.state).toBe('in_progress');
    expect(matchState('ikke startet')?.state).toBe('not_started');
    expect(matchState('startet')?.state).toBe('in_progress');
    expect(matchState('ei aloitettu')?.state).toBe('not_started');
    expect(matchState('i riskzonen')).toEqual({ state: 'at_risk', matched: 'i riskzonen' });
  });

  it('does not read a negated state it has no words for', () => {
    expect(matchState('not completed')).toBeNull();
    expect(matchState('inte klar')).toBeNull();
    expect(matchState('ikke færdig')).toBeNull();
    expect(matchState('ei valmis')).toBeNull();
  });

  it('matches whole words only', () => {
    expect(matchState('later this year')).toBeNull();
    expect(matchState('klarhet saknas')).toBeNull();
    expect(matchState('risky')).toBeNull();
    expect(matchState('donee')).toBeNull();
  });

  it('tolerates missing accents and keeps the words as written', () => {
    expect(matchState('forsenad')).toEqual({ state: 'delayed', matched: 'forsenad' });
    expect(matchState('pagar')).toEqual({ state: 'in_progress', matched: 'pagar' });
    expect(matchState('kaynnissa')).toEqual({ state: 'in_progress', matched: 'kaynnissa' });
    expect(matchState('faerdig')).toEqual({ state: 'completed', matched: 'faerdig' });
    expect(matchState('FÖRSENAD')).toEqual({ state: 'delayed', matched: 'FÖRSENAD' });
    expect(matchState('Færdig, 100 %')).toEqual({ state: 'completed', matched: 'Færdig' });
    // Decomposed å (a + ring) as some mail clients send it.
    expect(matchState('pa\u030agår - ok')).toEqual({ state: 'in_progress', matched: 'pa\u030agår' });
  });

  it('skips a verb before the state only when a state follows', () => {
    expect(matchState('is done')).toEqual({ state: 'completed', matched: 'is done' });
    expect(matchState('är klar - rapporten publicerad')).toEqual({ state: 'completed', matched: 'är klar' });
    expect(matchState('er forsinket')).toEqual({ state: 'delayed', matched: 'er forsinket' });
    expect(matchState('on valmis')).toEqual({ state: 'completed', matched: 'on valmis' });
    expect(matchState('has not started')).toEqual({ state: 'not_started', matched: 'has not started' });
    expect(matchState('on track')).toEqual({ state: 'in_progress', matched: 'on track' });
    expect(matchState('är inte klar')).toBeNull();
    expect(matchState('is')).toBeNull();
  });

  it('reads only the start of the phrase, after leading whitespace', () => {
    expect(matchState('   klar')).toEqual({ state: 'completed', matched: 'klar' });
    expect(matchState('rapporten är klar')).toBeNull();
    expect(matchState('')).toBeNull();
  });
});

/**
 * Forms a grammar gives that no list of examples had: per language, the present, past,
 * participle (every gender and number), passive and imperative where they name a state, the
 * prepositional phrases, and the spellings of a keyboard without å, ä, ö, æ, ø.
 */
describe('the vocabulary of each language', () => {
  const plain = (word: string) => word.normalize('NFD').replace(/\p{M}/gu, '');
  const cases: Record<ReplyLanguage, [string, MilestoneState][]> = {
    sv: [
      ['stryk', 'cancelled'],
      ['stryker', 'cancelled'],
      ['stryks', 'cancelled'],
      ['ströks', 'cancelled'],
      ['strukna', 'cancelled'],
      ['avbryt', 'cancelled'],
      ['avbröts', 'cancelled'],
      ['slopas', 'cancelled'],
      ['ställs in', 'cancelled'],
      ['i risk', 'at_risk'],
      ['med risk för förseningar', 'at_risk'],
      ['i farozonen', 'at_risk'],
      ['försenas', 'delayed'],
      ['skjuts upp', 'delayed'],
      ['senarelagda', 'delayed'],
      ['slutförde', 'completed'],
      ['slutförts', 'completed'],
      ['genomfördes', 'completed'],
      ['avslutades', 'completed'],
      ['färdigställd', 'completed'],
      ['levererades', 'completed'],
      ['påbörjades', 'in_progress'],
      ['inleddes', 'in_progress'],
      ['inte påbörjats', 'not_started'],
      ['ännu inte startad', 'not_started'],
      ['foersenad', 'delayed'],
      ['paagaar', 'in_progress'],
      ['faerdigt', 'completed'],
    ],
    da: [
      ['stryg', 'cancelled'],
      ['stryger', 'cancelled'],
      ['strøget', 'cancelled'],
      ['stroeget', 'cancelled'],
      ['aflyses', 'cancelled'],
      ['aflys', 'cancelled'],
      ['annulleres', 'cancelled'],
      ['opgives', 'cancelled'],
      ['i risiko for forsinkelse', 'at_risk'],
      ['med risiko for forsinkelser', 'at_risk'],
      ['i farezonen', 'at_risk'],
      ['forsinkes', 'delayed'],
      ['udsættes', 'delayed'],
      ['udskydes', 'delayed'],
      ['sat i bero', 'delayed'],
      ['gennemførte', 'completed'],
      ['afsluttede', 'completed'],
      ['leverede', 'completed'],
      ['fuldført', 'completed'],
      ['faerdiggjort', 'completed'],
      ['paabegyndt', 'in_progress'],
      ['startede', 'in_progress'],
      ['endnu ikke påbegyndt', 'not_started'],
      ['ikke igangsat', 'not_started'],
    ],
    nb: [
      ['stryk', 'cancelled'],
      ['strykes', 'cancelled'],
      ['strøk', 'cancelled'],
      ['avlyses', 'cancelled'],
      ['kanselleres', 'cancelled'],
      ['avbrytes', 'cancelled'],
      ['droppes', 'cancelled'],
      ['i risiko for forsinkelse', 'at_risk'],
      ['i faresonen', 'at_risk'],
      ['står i fare', 'at_risk'],
      ['forsinkes', 'delayed'],
      ['forsinka', 'delayed'],
      ['utsettes', 'delayed'],
      ['satt på vent', 'delayed'],
      ['fullførte', 'completed'],
      ['ferdigstilt', 'completed'],
      ['avslutta', 'completed'],
      ['leverte', 'completed'],
      ['paabegynt', 'in_progress'],
      ['igangsatte', 'in_progress'],
      ['ennå ikke startet', 'not_started'],
      ['ikke igangsatt', 'not_started'],
    ],
    fi: [
      ['perutaan', 'cancelled'],
      ['peruttiin', 'cancelled'],
      ['peruuntui', 'cancelled'],
      ['keskeytettiin', 'cancelled'],
      ['lopetetut', 'cancelled'],
      ['viivästymisvaarassa', 'at_risk'],
      ['viivästyi', 'delayed'],
      ['viivästyneet', 'delayed'],
      ['lykättiin', 'delayed'],
      ['lykkääntyy', 'delayed'],
      ['siirretty', 'delayed'],
      ['valmistui', 'completed'],
      ['valmistuneet', 'completed'],
      ['toteutettiin', 'completed'],
      ['toteutui', 'completed'],
      ['tehtiin', 'completed'],
      ['tehdyt', 'completed'],
      ['aloitettiin', 'in_progress'],
      ['käynnistyi', 'in_progress'],
      ['alkoi', 'in_progress'],
      ['ei vielä alkanut', 'not_started'],
      ['ei ole aloitettu', 'not_started'],
      ['käynnistämättä', 'not_started'],
      ['ei viela aloitettu', 'not_started'],
    ],
    en: [
      ['cancel', 'cancelled'],
      ['drop', 'cancelled'],
      ['scrapped', 'cancelled'],
      ['discontinued', 'cancelled'],
      ['at risk of delay', 'at_risk'],
      ['in jeopardy', 'at_risk'],
      ['risk of delays', 'at_risk'],
      ['postponed', 'delayed'],
      ['paused', 'delayed'],
      ['slipped', 'delayed'],
      ['finished', 'completed'],
      ['delivered', 'completed'],
      ['fulfilled', 'completed'],
      ['commenced', 'in_progress'],
      ['has not yet started', 'not_started'],
      ["haven't begun", 'not_started'],
      ['yet to start', 'not_started'],
    ],
  };

  it.each(Object.entries(cases) as [ReplyLanguage, [string, MilestoneState][]][])('%s', (language, forms) => {
    for (const [form, state] of forms) {
      expect({ form, read: matchState(`${form} - kommentar`) }).toEqual({ form, read: { state, matched: form } });
      // Listed under its language, as written or without its accents.
      expect(STATE_WORDS[language][state].map(plain)).toContain(plain(form));
    }
  });

  it('does not take the present of a verb of completion for completed', () => {
    // "genomför", "gennemfører", "fullfører": we are carrying it out.
    for (const word of ['genomför', 'slutför', 'gennemfører', 'afslutter', 'fullfører', 'avslutter']) {
      expect({ word, read: matchState(word) }).toEqual({ word, read: null });
    }
  });
});

describe('planOrCondition', () => {
  it.each<[MilestoneState, string, string | null]>([
    ['completed', ' till sommaren', 'till'],
    ['completed', ' by the summer', 'by'],
    ['completed', ' inden jul', 'inden'],
    ['completed', ' ultimo 2024', 'ultimo'],
    ['completed', ' innen sommeren', 'innen'],
    ['completed', ' syksyllä', 'syksyllä'],
    ['completed', ' kesään mennessä', 'kesään mennessä'],
    ['completed', ' toukokuussa', 'toukokuussa'],
    ['cancelled', ' next year', 'next'],
    ['delayed', ' if the budget is cut', 'if'],
    ['completed', ' att det blir sent', 'att'],
    ['delayed', ' hvis midlerne udebliver', 'hvis'],
    ['cancelled', ' jos rahoitus loppuu', 'jos'],
    // A comment on the state, not a plan.
    ['delayed', ' pga. corona.', null],
    ['delayed', ' til 2025', null],
    ['completed', ' rapporten ligger på hemsidan', null],
    ['in_progress', ' in the spring', null],
    ['at_risk', ' if the budget is cut', null],
  ])('%s%s → %p', (state, tail, words) => {
    expect(planOrCondition(state, tail)).toBe(words);
  });
});

describe('containsStateWord', () => {
  it('finds a state word at the start of any word', () => {
    expect(containsStateWord('3 av 4 punkter är klara')).toBe(true);
    expect(containsStateWord('we are not started yet')).toBe(true);
    expect(containsStateWord('Tel. +46 70 123 45 67')).toBe(false);
    // "oklart" (unclear) holds "klart" but does not start with it.
    expect(containsStateWord('det är oklart')).toBe(false);
  });
});

describe('STATE_WORDS', () => {
  const languages: ReplyLanguage[] = ['da', 'sv', 'nb', 'fi', 'en'];

  it('gives every language words for every state', () => {
    for (const language of languages) {
      for (const state of MILESTONE_STATES) expect(STATE_WORDS[language][state].length).toBeGreaterThan(0);
    }
  });

  it('reads every word it lists as its own state', () => {
    for (const language of languages) {
      for (const state of MILESTONE_STATES) {
        for (const word of STATE_WORDS[language][state]) {
          expect({ word, read: matchState(word) }).toEqual({ word, read: { state, matched: word } });
        }
      }
    }
  });
});
