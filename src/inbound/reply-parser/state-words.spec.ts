import { containsStateWord, matchState, MILESTONE_STATES, STATE_WORDS, type MilestoneState, type ReplyLanguage } from './state-words.js';

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
