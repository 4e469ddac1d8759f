import { stripQuotedText } from './strip-quoted.js';

const lines = (...text: string[]) => text.join('\n');

describe('stripQuotedText', () => {
  it('keeps a reply without history as it is, without blank lines at the ends', () => {
    expect(stripQuotedText('\n\n1: klar\n\n2: pågår\n\n\n')).toBe('1: klar\n\n2: pågår');
  });

  it('normalises CRLF and lone CR to LF', () => {
    expect(stripQuotedText('1: klar\r\n2: pågår\r3: försenad\r\n')).toBe('1: klar\n2: pågår\n3: försenad');
  });

  it('cuts at the first ">" line', () => {
    expect(stripQuotedText(lines('1: done', '', '> 1. MP2022 Report', '> 2. M23/24 Seminar', 'after'))).toBe('1: done');
    expect(stripQuotedText(lines('1: done', '  >indented quote'))).toBe('1: done');
  });

  it.each([
    ['English (Gmail)', 'On Tue, 5 Mar 2024 at 09:12, Secretariat <noreply@example.org> wrote:'],
    ['English (Thunderbird)', 'On 05/03/2024 09:12, Secretariat wrote:'],
    ['Swedish (Gmail)', 'Den tis 5 mars 2024 kl 09:12 skrev Sekretariatet <noreply@example.org>:'],
    ['Swedish (Apple Mail)', '5 mars 2024 kl. 09:12 skrev Sekretariatet <noreply@example.org>:'],
    ['Danish (Gmail)', 'Den tirs. 5. mar. 2024 kl. 09.12 skrev Sekretariatet <noreply@example.org>:'],
    ['Danish (Apple Mail)', 'Den 5. mar. 2024 kl. 09.12 skrev Sekretariatet <noreply@example.org> følgende:'],
    ['Norwegian (Gmail)', 'tir. 5. mar. 2024 kl. 09:12 skrev Sekretariatet <noreply@example.org>:'],
    ['Norwegian (Thunderbird)', 'Den 05.03.2024 09:12, skrev Sekretariatet:'],
    ['Finnish (Gmail)', 'ti 5.3.2024 klo 9.12 Sihteeristö (<noreply@example.org>) kirjoitti:'],
  ])('cuts at an attribution line: %s', (_, attribution) => {
    expect(stripQuotedText(lines('1: klar', '', attribution, '', '> 1. MP2022'))).toBe('1: klar');
    // Also when the quote below has no ">" at all.
    expect(stripQuotedText(lines('1: klar', attribution, '1. MP2022 Rapport'))).toBe('1: klar');
  });

  it('cuts at an attribution that Gmail wrapped over two lines', () => {
    const body = lines(
      '2: done',
      '',
      'On Tue, 5 Mar 2024 at 09:12, Secretariat of the action plan <',
      'noreply@example.org> wrote:',
      '',
      '> hello',
    );
    expect(stripQuotedText(body)).toBe('2: done');
    const swedish = lines(
      '2: klar',
      'Den tis 5 mars 2024 kl 09:12 skrev Sekretariatet för handlingsplanen',
      '<noreply@example.org>:',
      '> hej',
    );
    expect(stripQuotedText(swedish)).toBe('2: klar');
  });

  it('keeps a line that only ends like an attribution', () => {
    expect(stripQuotedText(lines('1: klar - som Anna skrev:', 'rapporten är ute'))).toBe('1: klar - som Anna skrev:\nrapporten är ute');
    expect(stripQuotedText('Our chair wrote:\n1: done')).toBe('Our chair wrote:\n1: done');
  });

  it.each([
    '-----Original Message-----',
    '-----Ursprungligt meddelande-----',
    '-----Oprindelig meddelelse-----',
    '-----Opprinnelig melding-----',
    '-----Alkuperäinen viesti-----',
    '---------- Forwarded message ---------',
    '---------- Vidarebefordrat meddelande ---------',
    'Begin forwarded message:',
  ])('cuts at the rule %s', (rule) => {
    expect(stripQuotedText(lines('3: färdig', rule, 'From: Secretariat', 'Sent: Tuesday', '1. MP2022'))).toBe('3: färdig');
  });

  it.each([
    ['English', ['From: Secretariat <noreply@example.org>', 'Sent: Tuesday, March 5, 2024 9:12 AM', 'To: Kvarkenrådet', 'Subject: Status']],
    ['Swedish', ['Från: Sekretariatet <noreply@example.org>', 'Skickat: den 5 mars 2024 09:12', 'Till: Kvarkenrådet', 'Ämne: Status']],
    ['Danish', ['Fra: Sekretariatet <noreply@example.org>', 'Sendt: 5. marts 2024 09:12', 'Til: Greater Copenhagen', 'Emne: Status']],
    ['Norwegian', ['Fra: Sekretariatet <noreply@example.org>', 'Sendt: tirsdag 5. mars 2024 09:12', 'Til: Grensekomiteen', 'Emne: Status']],
    [
      'Finnish',
      [
        'Lähettäjä: Sihteeristö <noreply@example.org>',
        'Lähetetty: tiistai 5. maaliskuuta 2024 9.12',
        'Vastaanottaja: Kvarkenin neuvosto',
        'Aihe: Tilanne',
      ],
    ],
    [
      'Gmail plain text of an Outlook mail',
      ['*From:* Secretariat <noreply@example.org>', '*Sent:* Tuesday, March 5, 2024 9:12 AM', '*To:* Kvarkenrådet'],
    ],
  ])('cuts at an Outlook header block: %s', (_, header) => {
    expect(stripQuotedText(lines('1: klar', '', ...header, '', '1. MP2022 Rapport'))).toBe('1: klar');
  });

  it('cuts at the underscore rule Outlook puts above its headers', () => {
    const body = lines('1: klar', '', '________________________________', 'Från: Sekretariatet', 'Skickat: den 5 mars 2024', '1. MP2022');
    expect(stripQuotedText(body)).toBe('1: klar');
  });

  it('keeps a "Fra:" or "From:" line that is not followed by headers', () => {
    expect(stripQuotedText(lines('Fra: Grænsekomitéen', '1: færdig'))).toBe('Fra: Grænsekomitéen\n1: færdig');
    expect(stripQuotedText(lines('1: klar', '_________', 'mer text'))).toBe('1: klar\n_________\nmer text');
  });

  it('drops a signature after "-- " and after "--"', () => {
    expect(stripQuotedText(lines('1: done', '-- ', 'Anna Andersson', '+46 70 123 45 67'))).toBe('1: done');
    expect(stripQuotedText(lines('1: done', '--', 'Anna'))).toBe('1: done');
    expect(stripQuotedText(lines('1: done', '-- not a delimiter'))).toBe('1: done\n-- not a delimiter');
  });

  it.each([
    'Sent from my iPhone',
    'Sent from Outlook for Android',
    'Get Outlook for iOS',
    'Skickat från min iPhone',
    'Sendt fra min iPhone',
    'Sendt fra min iPad',
    'Lähetetty iPhonesta',
    'Lähetetty iPadistä',
  ])('drops a mobile signature: %s', (signature) => {
    expect(stripQuotedText(lines('1: klar', '', signature, '', 'Den 5 mars 2024 skrev X <x@example.org>:'))).toBe('1: klar');
  });

  it('never drops lines above the first marker', () => {
    const body = lines('Hej,', '', '1: klar', 'Med vänlig hälsning', 'Anna', '', '> quoted', 'own text after the quote');
    expect(stripQuotedText(body)).toBe('Hej,\n\n1: klar\nMed vänlig hälsning\nAnna');
  });

  it('returns an empty string for a body that is only quote', () => {
    expect(stripQuotedText('> 1. MP2022\n> 2. M2021')).toBe('');
    expect(stripQuotedText('')).toBe('');
  });

  it('handles a long body in one pass', () => {
    const own = Array.from({ length: 5_000 }, (_, i) => `line ${i}`);
    const quoted = Array.from({ length: 5_000 }, (_, i) => `> quoted ${i}`);
    const stripped = stripQuotedText([...own, 'On 5 Mar 2024, X <x@example.org> wrote:', ...quoted].join('\r\n'));
    expect(stripped.split('\n')).toHaveLength(5_000);
    expect(stripped.endsWith('line 4999')).toBe(true);
  });
});
