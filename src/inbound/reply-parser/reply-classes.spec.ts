import { digestReferences } from '../../common/digest-references.js';
import { LANGUAGES } from '../../i18n/i18n.js';
import type { DigestData, DigestMilestone as MailMilestone } from '../../mail/templates/mail-data.js';
import { MailRenderer } from '../../mail/templates/mail-renderer.js';
import { isAutoReplySubject } from './auto-reply.js';
import { parseReply, type DigestMilestone, type ParsedReply } from './parse-reply.js';

/**
 * The classes of replies that were misread (issue 17, 1-5, and issue 16's quoted digest), each
 * written the way the mail clients and people of each language write them.
 */
const lines = (...text: string[]) => text.join('\n');
const updates = (reply: ParsedReply) => reply.updates.map(({ number, state, progress, comment }) => [number, state, progress, comment]);

// Tornedalsrådet's digest: MP2023, MP2024 and D2024 twice each.
const tornedalen: (DigestMilestone & { text: string })[] = [
  { number: 1, label: 'MP2023', text: 'Rapport om gränshinder i Tornedalen' },
  { number: 2, label: 'M22', text: 'Seminarium om arbetspendling över gränsen' },
  { number: 3, label: 'MP2024', text: 'Gemensam turismstrategi för Tornedalen' },
  { number: 4, label: 'D2024', text: 'Konferens om gränsregionalt samarbete' },
  { number: 5, label: 'MP2023', text: 'Kartläggning av kollektivtrafiken' },
  { number: 6, label: 'MP2024', text: 'Utbildningsinsats för kommunerna' },
  { number: 7, label: 'D2024', text: 'Slutrapport till ministerrådet' },
  { number: 8, label: null, text: 'Löpande dialog med näringslivet' },
];

describe('1. vocabulary: the forms a grammar gives, per language', () => {
  it.each([
    [
      'sv',
      ['1: i risk - budgeten är osäker', '2: stryk', '3: stryks', '4: försenas', '5: slutfördes', '6: med risk för försening'],
      ['at_risk', 'cancelled', 'cancelled', 'delayed', 'completed', 'at_risk'],
    ],
    [
      'da',
      ['1: i risiko for forsinkelse', '2: stryg', '3: stryger vi', '4: udsættes', '5: gennemførte', '6: paabegyndt'],
      ['at_risk', 'cancelled', 'cancelled', 'delayed', 'completed', 'in_progress'],
    ],
    [
      'nb',
      ['1: i faresonen', '2: strykes', '3: stryk', '4: forsinka', '5: ferdigstilt', '6: ennå ikke startet'],
      ['at_risk', 'cancelled', 'cancelled', 'delayed', 'completed', 'not_started'],
    ],
    [
      'fi',
      ['1: viivästymisvaarassa', '2: perutaan', '3: peruttiin', '4: lykättiin', '5: valmistui', '6: ei ole vielä aloitettu'],
      ['at_risk', 'cancelled', 'cancelled', 'delayed', 'completed', 'not_started'],
    ],
    [
      'en',
      ['1: at risk of delay', '2: drop', '3: scrapped', '4: postponed', '5: delivered', '6: has not yet started'],
      ['at_risk', 'cancelled', 'cancelled', 'delayed', 'completed', 'not_started'],
    ],
  ])('%s', (_, reply, states) => {
    const read = parseReply(lines(...reply), tornedalen);
    expect(read.updates.map((u) => u.state)).toEqual(states);
    expect(read.notUnderstood).toEqual([]);
  });
});

describe('2. a clear state followed by free words', () => {
  it.each([
    ['da', 'M22 er forsinket pga. corona.', 'delayed', 'pga. corona.'],
    ['sv', 'M22: klar rapporten finns på webben', 'completed', 'rapporten finns på webben'],
    ['nb', 'M22 utsatt på grunn av sykdom', 'delayed', 'på grunn av sykdom'],
    ['fi', 'M22 viivästynyt rahoituksen takia', 'delayed', 'rahoituksen takia'],
    ['en', 'M22 delayed because of the pandemic', 'delayed', 'because of the pandemic'],
  ])('%s: %s', (_, line, state, comment) => {
    expect(updates(parseReply(line, tornedalen))).toEqual([[2, state, null, comment]]);
  });

  it.each([
    ['sv', 'M22: klar till sommaren', 'klar till'],
    ['da', 'M22: færdig inden jul', 'færdig inden'],
    ['nb', 'M22: ferdig innen sommeren', 'ferdig innen'],
    ['fi', 'M22: valmis kesään mennessä', 'valmis kesään mennessä'],
    ['en', 'M22: ready by the summer', null],
    ['en', 'M22: done by the summer', 'done by'],
    ['en', 'M22: cancelled if the budget is cut', 'cancelled if'],
  ])('%s: "%s" is a plan, not the state today', (_, line, words) => {
    const read = parseReply(line, tornedalen);
    expect(read.updates).toEqual([]);
    if (words !== null) expect(read.notUnderstoodReasons).toMatchObject([{ code: 'plan_or_condition', params: { name: 'M22', words } }]);
  });
});

describe('3. answers written between the quoted lines', () => {
  const quoted = (attribution: string, ...answers: [string, string][]) =>
    lines(
      attribution,
      '',
      ...answers.flatMap(([quote, answer]) => [`> ${quote}`, answer, '>']),
      '> Med vänlig hälsning',
      '> Sekretariatet',
    );

  it.each([
    [
      'sv (Gmail)',
      'Den tis 5 mars 2024 kl 09:12 skrev Handlingsplan <handlingsplan@example.org>:',
      ['2: klar - genomfört i maj', '8 pågår'],
    ],
    [
      'da (Gmail)',
      'Den tirs. 5. mar. 2024 kl. 09.12 skrev Handlingsplan <handlingsplan@example.org>:',
      ['2: færdig', '8: forsinket pga. corona'],
    ],
    ['nb (Apple Mail)', '5. mar. 2024 kl. 09:12 skrev Handlingsplan <handlingsplan@example.org>:', ['M22: ferdig', '8 - i rute']],
    ['fi (Gmail)', 'ti 5.3.2024 klo 9.12 Handlingsplan (<handlingsplan@example.org>) kirjoitti:', ['2: valmis', '8: käynnissä']],
    ['en (Apple Mail)', 'On 5 Mar 2024, at 09:12, Handlingsplan <handlingsplan@example.org> wrote:', ['M22: done', '8: ongoing']],
  ])('records answers that name their milestone: %s', (_, attribution, [first, second]) => {
    const body = quoted(
      attribution,
      ['2. M22 Seminarium om arbetspendling över gränsen', first!],
      ['8. Löpande dialog med näringslivet', second!],
    );
    const read = parseReply(body, tornedalen);
    expect(read.updates.map((u) => u.number)).toEqual([2, 8]);
    expect(read.inline).toBe(true);
    expect(read.unnamedInline).toEqual([]);
  });

  it.each([
    ['sv', 'Den tis 5 mars 2024 kl 09:12 skrev Handlingsplan <handlingsplan@example.org>:', 'klar', 'försenad - väntar på beslut'],
    ['da', 'Den 5. mar. 2024 kl. 09.12 skrev Handlingsplan <handlingsplan@example.org> følgende:', 'færdig', 'forsinket'],
    ['nb', 'tir. 5. mar. 2024 kl. 09:12 skrev Handlingsplan <handlingsplan@example.org>:', 'ferdig', 'utsatt'],
    ['fi', 'ti 5.3.2024 klo 9.12 Handlingsplan (<handlingsplan@example.org>) kirjoitti:', 'valmis', 'myöhässä'],
    ['en', 'On Tue, 5 Mar 2024 at 09:12, Handlingsplan <handlingsplan@example.org> wrote:', 'done', 'delayed'],
  ])('sends answers that do not name their milestone to review: %s', (_, attribution, first, second) => {
    const body = quoted(
      attribution,
      ['2. M22 Seminarium om arbetspendling över gränsen', first],
      ['8. Löpande dialog med näringslivet', second],
    );
    const read = parseReply(body, tornedalen);
    expect(read.updates).toEqual([]);
    expect(read.inline).toBe(true);
    expect(read.unnamedInline).toEqual([first, second]);
  });

  it('does not take a bottom signature or an Outlook quote without marks for answers', () => {
    const body = lines(
      '2: klar',
      '',
      'Från: Handlingsplan <handlingsplan@example.org>',
      'Skickat: den 5 mars 2024 09:12',
      'Ämne: Status',
      '',
      'klar',
    );
    expect(parseReply(body, tornedalen)).toMatchObject({ inline: false, unnamedInline: [] });
    const signed = lines('On 5 Mar 2024, X <x@example.org> wrote:', '> 2. M22 Seminarium', '2: done', '-- ', 'done deal, Anna');
    expect(parseReply(signed, tornedalen)).toMatchObject({ inline: true, unnamedInline: [] });
  });
});

describe('5. references unique within the digest', () => {
  it('letters the labels a digest shares, and keeps the others', () => {
    const references = digestReferences(tornedalen);
    expect(tornedalen.map((m) => references.get(m.number))).toEqual([
      'MP2023-a',
      'M22',
      'MP2024-a',
      'D2024-a',
      'MP2023-b',
      'MP2024-b',
      'D2024-b',
      '8',
    ]);
    expect(new Set(references.values()).size).toBe(tornedalen.length);
    // A letter that would repeat a label of the plan is skipped.
    const lettered = digestReferences([
      { number: 1, label: 'X' },
      { number: 2, label: 'X' },
      { number: 3, label: 'X-a' },
    ]);
    expect([1, 2, 3].map((n) => lettered.get(n))).toEqual(['X-b', 'X-c', 'X-a']);
  });

  it('reads a reference and an unambiguous plain label; a shared plain label names the references', () => {
    const read = parseReply(lines('MP2023-a: klar', 'mp2023-b - pågår', 'D2024-B: inställd', 'M22: klar', 'MP2024: klar'), tornedalen);
    expect(updates(read)).toEqual([
      [1, 'completed', null, null],
      [5, 'in_progress', null, null],
      [7, 'cancelled', null, null],
      [2, 'completed', null, null],
    ]);
    expect(read.ambiguous).toMatchObject([
      { line: 'MP2024: klar', code: 'shared_label', params: { references: 'MP2024-a (3), MP2024-b (6)' } },
    ]);
  });
});

/** The digest as the service renders it, in every language: quoted back, none of it is an answer. */
describe('16.2: the service never takes its own words for an answer', () => {
  const renderer = new MailRenderer();
  const references = digestReferences(tornedalen);
  const data: DigestData = {
    organisation: { name: 'Tornedalsrådet' },
    plan: { title: 'Nordisk handlingsplan 2021-24' },
    round: { year: 2024, deadline: new Date('2024-12-01T12:00:00Z'), graceUntil: new Date('2024-12-15T12:00:00Z') },
    milestones: tornedalen.map((m): MailMilestone => ({
      ...m,
      reference: m.label === null ? null : references.get(m.number)!,
      dueFrom: 2024,
      dueTo: null,
      state: 'in_progress',
      goalNumber: 1,
      interventionCode: '1.2',
      lastComment: 'Arbetet fortsätter enligt plan',
    })),
    answerUrl: 'https://plan.example.org/r/token',
    replyAddress: 'reports+abc@reports.example.org',
  };

  it.each(LANGUAGES)('%s digest, pasted back without any quote header or marks', (language) => {
    const { text } = renderer.render('status-request', language, data);
    expect(text).toContain('MP2023-a');
    const read = parseReply(lines('2: försenad - väntar på finansiering', '', text), tornedalen);
    expect(updates(read)).toEqual([[2, 'delayed', null, 'väntar på finansiering']]);
    expect(read.notUnderstood).toEqual([]);
    expect(read.ambiguous).toEqual([]);
  });

  it.each([
    [
      'German Outlook',
      ['Von: Handlingsplan <handlingsplan@example.org>', 'Gesendet: Dienstag, 5. März 2024 09:12', 'An: Tornedalsrådet', 'Betreff: Status'],
    ],
    ['German rule', ['-----Ursprüngliche Nachricht-----']],
    [
      'Danish Outlook',
      ['Fra: Handlingsplan <handlingsplan@example.org>', 'Sendt: 5. marts 2024 09:12', 'Til: Tornedalsrådet', 'Emne: Status'],
    ],
    [
      'French Outlook',
      ['De : Handlingsplan <handlingsplan@example.org>', 'Envoyé : mardi 5 mars 2024 09:12', 'À : Tornedalsrådet', 'Objet : Status'],
    ],
    [
      'Dutch Outlook',
      [
        'Van: Handlingsplan <handlingsplan@example.org>',
        'Verzonden: dinsdag 5 maart 2024 09:12',
        'Aan: Tornedalsrådet',
        'Onderwerp: Status',
      ],
    ],
    [
      'Spanish Outlook',
      [
        'De: Handlingsplan <handlingsplan@example.org>',
        'Enviado el: martes, 5 de marzo de 2024 9:12',
        'Para: Tornedalsrådet',
        'Asunto: Status',
      ],
    ],
    ['German Apple Mail', ['Am 05.03.2024 um 09:12 schrieb Handlingsplan <handlingsplan@example.org>:']],
    ['French Gmail', ['Le mar. 5 mars 2024 à 09:12, Handlingsplan <handlingsplan@example.org> a écrit :']],
    ['Dutch Apple Mail', ['Op 5 mrt. 2024 om 09:12 heeft Handlingsplan <handlingsplan@example.org> het volgende geschreven:']],
    ['Spanish Gmail', ['El mar, 5 mar 2024 a las 9:12, Handlingsplan (<handlingsplan@example.org>) escribió:']],
  ])('one real answer above a %s header and the unmarked digest', (_, header) => {
    for (const language of ['sv', 'da', 'en'] as const) {
      const { text } = renderer.render('status-request', language, data);
      const read = parseReply(lines('1: försenad - ny tidplan', '', ...header, '', text), tornedalen);
      expect({ language, updates: updates(read), unread: read.notUnderstood }).toEqual({
        language,
        updates: [[1, 'delayed', null, 'ny tidplan']],
        unread: [],
      });
    }
  });

  it('still reads a committee line that happens to be the example, when the digest is not quoted around it', () => {
    const read = parseReply('MP2023-b: genomförd - rapporten publicerades i maj', tornedalen);
    expect(updates(read)).toEqual([[5, 'completed', null, 'rapporten publicerades i maj']]);
  });
});

describe('16.7: out-of-office subjects without auto headers', () => {
  it.each([
    'Automatisk svar: Statusrapportering 2024',
    'Automatiskt svar: Statusrapportering 2024',
    'Fraværsmeddelelse: Statusrapportering 2024',
    'Fraværsmelding: Statusrapportering 2024',
    'Frånvaromeddelande: Statusrapportering 2024',
    'RE: SV: Out of office',
    'AW: Abwesenheitsnotiz: Status',
    'Abwesenheitsnotiz',
    'Poissaoloilmoitus: Tilannekatsaus 2024',
    'Automaattinen vastaus: Tilannekatsaus',
    'Out of Office: Status 2024',
    'Autosvar: Status',
    'VS: Lomalla: Status',
  ])('%s', (subject) => {
    expect(isAutoReplySubject(subject)).toBe(true);
  });

  it.each(['SV: Statusrapportering 2024 för Tornedalsrådet', 'RE: Status 2024', 'Vs: Tilannekatsaus 2024', 'Re: Fråga om milstolpe 3'])(
    'not %s',
    (subject) => {
      expect(isAutoReplySubject(subject)).toBe(false);
    },
  );
});
