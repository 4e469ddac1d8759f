import { Test } from '@nestjs/testing';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MILESTONE_STATES } from '../../common/milestone-states.js';
import {
  MAIL_LANGUAGES,
  MAIL_TEMPLATE_NAMES,
  type ConfirmationData,
  type DigestData,
  type DigestMilestone,
  type Language,
  type MailData,
  type RefusedFileData,
  type ReportReadyData,
  type SecretariatSummaryData,
} from './mail-data.js';
import { DEFAULT_I18N_DIR, I18n, messagesOf, placeholdersOf, resolveTimeZone, type Message } from '../../i18n/i18n.js';
import { DEFAULT_TEMPLATES_DIR, MailRenderer } from './mail-renderer.js';
import { oneLine } from './subjects.js';

// Midday UTC, so the day is the same in any zone the tests run in; the zone itself is tested on I18n.
const round = { year: 2026, deadline: new Date('2026-12-01T12:00:00Z'), graceUntil: new Date('2026-12-15T12:00:00Z') };
const plan = { title: 'Nordisk handlingsplan 2021-24' };

function milestone(overrides: Partial<DigestMilestone> = {}): DigestMilestone {
  return {
    number: 1,
    label: 'M2021',
    text: 'Kortlægning af grænsehindringer',
    dueFrom: 2021,
    dueTo: 2021,
    state: 'in_progress',
    goalNumber: 1,
    interventionCode: 'G.1.a',
    lastComment: null,
    ...overrides,
  };
}

const milestones: DigestMilestone[] = [
  milestone({ number: 1, state: 'completed' }),
  milestone({
    number: 2,
    label: 'M23/24',
    text: 'Fælles arbejdsmarkedsportal',
    dueFrom: 2023,
    dueTo: 2024,
    lastComment: 'Første del er klar.\nAnden del følger.',
  }),
  milestone({
    number: 3,
    label: null,
    text: 'Løbende dialog',
    dueFrom: null,
    dueTo: null,
    state: 'not_started',
    goalNumber: 3,
    interventionCode: null,
  }),
];

function digest(overrides: Partial<DigestData> = {}): DigestData {
  return {
    organisation: { name: 'Kvarkenrådet' },
    plan,
    round,
    milestones,
    answerUrl: 'https://plan.example.org/r/tok3n?utm=mail&x=1',
    replyAddress: 'reports+kvarken@reports.example.org',
    ...overrides,
  };
}

const summary = (overrides: Partial<SecretariatSummaryData> = {}): SecretariatSummaryData => ({
  plan,
  round,
  totals: { expected: 12, answered: 9, missing: 3, outstandingMilestones: 1234 },
  pending: [
    { name: 'Greater Copenhagen', outstanding: 4, status: 'partial', lastMessageAt: new Date('2026-11-20T12:00:00Z') },
    { name: 'Tornedalsrådet', outstanding: 6, status: 'bounced', lastMessageAt: null },
  ],
  dashboardUrl: 'https://plan.example.org/dashboard/rounds/2026',
  ...overrides,
});

const confirmation = (overrides: Partial<ConfirmationData> = {}): ConfirmationData => ({
  organisation: { name: 'Kvarkenrådet' },
  plan,
  round,
  recorded: [
    {
      number: 1,
      label: 'M2021',
      text: 'Kortlægning af grænsehindringer',
      state: 'completed',
      progress: 100,
      comment: 'Rapporten udkom i maj',
    },
    { number: 3, label: null, text: 'Løbende dialog', state: 'delayed', progress: 0, comment: null },
  ],
  notUnderstood: ['7: måske'],
  late: false,
  answerUrl: 'https://plan.example.org/r/tok3n',
  revertUrl: 'https://plan.example.org/not-me/r3v3rt',
  ...overrides,
});

const reportReady = (overrides: Partial<ReportReadyData> = {}): ReportReadyData => ({
  plan,
  year: 2026,
  preliminary: false,
  links: [
    { format: 'html', url: 'https://plan.example.org/reports/2026.html' },
    { format: 'pdf', url: 'https://plan.example.org/reports/2026.pdf' },
  ],
  ...overrides,
});

const samples: { [N in keyof MailData]: MailData[N] } = {
  'status-request': digest(),
  reminder: digest({ reminder: { step: 'before', daysLeft: 7 } }),
  escalation: summary(),
  'pending-summary': summary(),
  'answer-confirmation': confirmation(),
  'report-ready': reportReady(),
  'reply-reverted': {
    organisation: { name: 'Kvarkenrådet' },
    plan,
    round: { year: 2026 },
    from: 'kansli@kvarken.org',
    subject: 'SV: Statusrapport 2026',
    receivedAt: '2026-11-20T12:00:00Z',
    reverted: [{ number: 1, label: 'M2021', text: 'Kortlægning af grænsehindringer' }],
    kept: [{ number: 3, label: null, text: 'Løbende dialog' }],
    reviewUrl: 'https://plan.example.org/review',
  },
  'milestone-question': {
    organisation: { name: 'Tornedalsrådet' },
    plan,
    milestone: { number: 3, label: 'MP2023', text: 'Seminarium om gränshinder' },
    question: 'Är seminariet flyttat till våren?\nSkicka gärna programmet.',
    answer: { state: 'delayed', progress: 40, comment: 'Försenat' },
    round: { year: 2026, deadline: new Date('2026-12-01T00:00:00Z'), graceUntil: new Date('2026-12-15T00:00:00Z') },
    answerUrl: 'https://plan.example.org/r/abc',
    replyAddress: 'reports+key@reports.example.org',
  },
  'question-reply-confirmation': {
    organisation: { name: 'Tornedalsrådet' },
    plan,
    milestone: { label: 'MP2023', text: 'Seminarium om gränshinder' },
    question: 'Är seminariet flyttat till våren?\nSkicka gärna programmet.',
  },
  'question-reply-notice': {
    organisation: { name: 'Tornedalsrådet' },
    plan,
    milestone: { label: null, text: 'Seminarium om gränshinder' },
    question: 'Är seminariet flyttat till våren?',
    from: 'anna@tornedalen.org',
    receivedAt: '2026-11-20T12:00:00Z',
    reply: 'Ja, till mars.\nProgrammet kommer i januari.',
    cut: false,
    files: 2,
    milestoneUrl: 'https://plan.example.org/milestones/3#questions',
  },
  'follow-digest': {
    plan,
    user: { name: 'Sara' },
    count: 2,
    groups: [
      {
        goal: { number: 1, title: 'Grænsehindringer' },
        organisation: null,
        url: 'https://plan.example.org/goals/1',
        changes: [
          {
            milestone: { label: 'MP2023', text: 'Seminarium om gränshinder', url: 'https://plan.example.org/milestones/3' },
            organisation: 'Tornedalsrådet',
            goalNumber: 1,
            from: 'in_progress',
            to: 'delayed',
            comment: 'Flyttat till våren',
            at: '2026-11-30T10:00:00.000Z',
          },
        ],
      },
      {
        goal: null,
        organisation: { name: 'Kvarkenrådet' },
        url: 'https://plan.example.org/organisations/2',
        changes: [
          {
            milestone: { label: null, text: 'Kartläggning', url: 'https://plan.example.org/milestones/4' },
            organisation: 'Kvarkenrådet',
            goalNumber: 2,
            from: null,
            to: 'completed',
            comment: null,
            at: '2026-11-30T11:00:00.000Z',
          },
        ],
      },
    ],
    followsUrl: 'https://plan.example.org/follows',
  },
};

const i18nDir = DEFAULT_I18N_DIR;
// The mail texts of a language, plural forms ("key_one", "key_other") grouped under their key.
const stringsOf = (language: Language): Record<string, Message> =>
  messagesOf(JSON.parse(readFileSync(join(i18nDir, language, 'mail.json'), 'utf8')) as Record<string, string>);
const LOCALES: Record<Language, string> = { da: 'da', sv: 'sv', nb: 'nb', fi: 'fi', en: 'en' };

describe('MailRenderer', () => {
  let renderer: MailRenderer;
  beforeAll(() => {
    renderer = new MailRenderer();
  });

  describe.each(MAIL_LANGUAGES)('in %s', (language) => {
    it.each(MAIL_TEMPLATE_NAMES)('renders %s', (name) => {
      const mail = renderer.render(name, language, samples[name]);
      expect(mail.subject.length).toBeGreaterThan(10);
      expect(mail.html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(mail.html).toContain(`<html lang="${language}">`);
      expect(mail.html).toContain(`<title>${mail.subject}</title>`);
      for (const output of [mail.subject, mail.html, mail.text]) {
        expect(output).not.toMatch(/undefined|\[object Object\]|NaN/);
      }
      // The footer in the mail's own language shows the texts came from the right file.
      const footer = renderer.translate(language, 'layout.footer', { plan: plan.title });
      expect(mail.text).toContain(footer);
      expect(mail.text.endsWith(`${footer}\n`)).toBe(true);
      expect(mail.text).not.toMatch(/\n{3,}/);
    });
  });

  it.each(MAIL_TEMPLATE_NAMES)('renders %s the same from data that went through JSON (the outbox), dates as strings', (name) => {
    const stored = JSON.parse(JSON.stringify(samples[name])) as MailData[typeof name];
    expect(renderer.render(name, 'da', stored)).toEqual(renderer.render(name, 'da', samples[name]));
  });

  it.each(MAIL_LANGUAGES)('names each refused attachment of a reply with why and the limit, in %s', (language) => {
    const refusedFiles: RefusedFileData[] = [
      { name: 'Fotos.pdf', code: 'too_large', params: { max: 10 } },
      { name: 'bilag.docx', code: 'not_allowed', params: { kinds: 'PDF, DOCX' } },
      { name: 'foto.pdf', code: 'mismatch', params: { extension: 'PDF', kind: 'PNG' } },
    ];
    const { html, text } = renderer.render('answer-confirmation', language, confirmation({ refusedFiles }));
    for (const file of refusedFiles) {
      const said = renderer.translate(language, `refused_file.${file.code}`, { name: file.name, ...file.params });
      expect(said).toContain(file.name);
      expect(text).toContain(`  - ${said}`);
      expect(html).toContain(said.replace(/"/g, '&quot;'));
    }
    expect(text).toContain('10 M');
    expect(text).toContain(renderer.translate(language, 'confirmation.files_refused'));
  });

  it('falls back to English for an unknown language', () => {
    expect(renderer.render('status-request', 'de' as Language, digest())).toEqual(renderer.render('status-request', 'en', digest()));
  });

  describe('status request', () => {
    it('greets, names plan, year and deadline, and lists every milestone', () => {
      const { subject, html, text } = renderer.render('status-request', 'da', digest());
      expect(subject).toBe('Statusrapportering 2026 for Kvarkenrådet – Nordisk handlingsplan 2021-24');
      for (const output of [html, text]) {
        expect(output).toContain('Kære Kvarkenrådet');
        expect(output).toContain('Sekretariatet indsamler status for milepælene i Nordisk handlingsplan 2021-24 for 2026.');
        expect(output).toContain('Vi beder jer svare senest 1. december 2026.');
        expect(output).toContain('Kortlægning af grænsehindringer');
        expect(output).toContain('Fælles arbejdsmarkedsportal');
        expect(output).toContain('Indsats G.1.a');
      }
      expect(text).toContain('1. M2021 Kortlægning af grænsehindringer\n   Frist: 2021 | Nuværende status: Gennemført');
      expect(text).toContain('3. Løbende dialog\n   Frist: Intet årstal | Nuværende status: Ikke påbegyndt\n   Mål 3\n');
      expect(text).toContain('   Seneste kommentar: Første del er klar.\n   Anden del følger.');
      expect(html).toContain('<em>Seneste kommentar:</em> Første del er klar.<br>Anden del følger.');
    });

    it('explains answering by reply with the language’s state words and the plan’s labels', () => {
      const { html, text } = renderer.render('status-request', 'da', digest());
      expect(text).toContain('    1: gennemført - rapporten udkom i maj\n    M23/24: forsinket - ny tidsplan til efteråret');
      expect(text).toContain('ikke påbegyndt, i gang, risiko, forsinket, gennemført, annulleret.');
      expect(text).toContain('Engelske ord som completed og delayed forstås også.');
      expect(text).toContain('reports+kvarken@reports.example.org');
      expect(html).toContain('<strong>gennemført</strong>, <strong>annulleret</strong>.');
      expect(html).toContain('1: gennemført - rapporten udkom i maj<br>');

      const english = renderer.render('status-request', 'en', digest());
      expect(english.text).toContain('not started, in progress, at risk, delayed, completed, cancelled.');
      expect(english.text).not.toContain('English words such as');
    });

    it('uses a second number in the example when no milestone has a usable label', () => {
      const plain = milestones.map((m) => ({ ...m, label: null }));
      const { text } = renderer.render('status-request', 'en', digest({ milestones: plain }));
      expect(text).toContain('    1: completed - report published in May\n    3: delayed - new timetable in the autumn');
      const single = renderer.render('status-request', 'en', digest({ milestones: [milestones[0]!] }));
      expect(single.text).toContain('    1: completed - report published in May\n');
      expect(single.text).not.toContain(': delayed - new timetable');
    });

    it('shows the personal link in both parts', () => {
      const { html, text } = renderer.render('status-request', 'sv', digest());
      // Handlebars also escapes "=": &#x3D; is the same character to every HTML parser.
      expect(html).toContain('href="https://plan.example.org/r/tok3n?utm&#x3D;mail&amp;x&#x3D;1"');
      expect(text).toContain('\n    https://plan.example.org/r/tok3n?utm=mail&x=1\n');
    });
  });

  describe('escaping', () => {
    const evil = '<script>alert(1)</script> "quotes"';

    it('escapes names, texts and comments in HTML and keeps them verbatim in text', () => {
      const mails = [
        renderer.render(
          'status-request',
          'sv',
          digest({
            organisation: { name: `Kvarkenrådet ${evil}` },
            milestones: [milestone({ text: `Text ${evil}`, label: `MP2022 ${evil}`, lastComment: `Comment ${evil}` })],
          }),
        ),
        renderer.render(
          'answer-confirmation',
          'fi',
          confirmation({
            organisation: { name: `Kvarkenrådet ${evil}` },
            recorded: [{ number: 1, label: null, text: `Text ${evil}`, state: 'completed', progress: null, comment: `Comment ${evil}` }],
            notUnderstood: [`Line ${evil}`],
          }),
        ),
        renderer.render(
          'escalation',
          'nb',
          summary({ pending: [{ name: `Org ${evil}`, outstanding: 1, status: 'missing', lastMessageAt: null }] }),
        ),
      ];
      for (const { html, text } of mails) {
        expect(html).not.toContain('<script>');
        expect(html).not.toContain('"quotes"');
        expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot;');
        expect(text).toContain(evil);
      }
      expect(mails[0]!.text).toContain(`Kvarkenrådet ${evil}`);
      expect(mails[0]!.text).toContain(`Comment ${evil}`);
      expect(mails[1]!.text).toContain(`Line ${evil}`);
      expect(mails[2]!.text).toContain(`Org ${evil}`);
    });

    it('keeps the subject on one line whatever the organisation is called', () => {
      const { subject } = renderer.render(
        'status-request',
        'en',
        digest({ organisation: { name: 'Kvarkenrådet\r\nBcc: evil@example.com' } }),
      );
      expect(subject).toBe('Status report 2026 for Kvarkenrådet Bcc: evil@example.com – Nordisk handlingsplan 2021-24');
      expect(subject).not.toMatch(/[\r\n]/);
    });

    it('turns every control character into one space and caps the length at 200', () => {
      expect(oneLine('  a\u0000b\tc\u001b[31m d\u2028e\r\n\r\nf  ')).toBe('a b c [31m d e f');
      const long = renderer.render('report-ready', 'en', reportReady({ plan: { title: 'Å'.repeat(300) } })).subject;
      expect(Array.from(long)).toHaveLength(200);
      expect(long.endsWith('…')).toBe(true);
      expect(oneLine(`${'x'.repeat(199)}😀😀`)).toBe(`${'x'.repeat(199)}…`);
    });
  });

  describe('dates, numbers and plurals', () => {
    it('writes dates as long dates in the language', () => {
      expect(renderer.render('status-request', 'da', digest()).text).toContain('1. december 2026');
      expect(renderer.render('status-request', 'sv', digest()).text).toContain('1 december 2026');
      expect(renderer.render('status-request', 'nb', digest()).text).toContain('1. desember 2026');
      expect(renderer.render('status-request', 'fi', digest()).text).toContain('1. joulukuuta 2026');
      expect(renderer.render('status-request', 'en', digest()).text).toContain('1 December 2026');
    });

    it('shows deadlines in the configured zone, Copenhagen by default', () => {
      const translations = I18n.load({ dir: i18nDir, timeZone: 'Europe/Copenhagen' });
      // 23:30 UTC on 30 November is already 1 December in Copenhagen.
      expect(translations.date('da', new Date('2026-11-30T23:30:00Z'))).toBe('1. december 2026');
      expect(translations.date('da', '2026-11-30T23:30:00Z')).toBe('1. december 2026');
      expect(I18n.load({ dir: i18nDir, timeZone: 'UTC' }).date('da', new Date('2026-11-30T23:30:00Z'))).toBe('30. november 2026');
      expect(() => translations.date('da', 'not a date')).toThrow('Not a date');
      expect(resolveTimeZone(undefined)).toBe('Europe/Copenhagen');
      expect(resolveTimeZone('')).toBe('Europe/Copenhagen');
      expect(resolveTimeZone('Not/A_Zone')).toBe('Europe/Copenhagen');
      expect(resolveTimeZone(':Europe/Helsinki')).toBe('Europe/Helsinki');
    });

    it('formats figures in the language but leaves years alone', () => {
      const { text } = renderer.render('pending-summary', 'da', summary());
      expect(text).toContain('Udestående milepæle: 1.234');
      expect(text).toContain('Her er status for statusrapporteringen 2026 for');
      expect(renderer.render('pending-summary', 'en', summary()).text).toContain('Milestones outstanding: 1,234');
    });

    it.each([
      ['sv', 'Vi ber om status för 1 milstolpe.', 'Vi ber om status för 2 milstolpar.'],
      ['fi', 'Kyselyssä on 1 välitavoite.', 'Kyselyssä on 2 välitavoitetta.'],
      ['da', 'Vi beder om status for 1 milepæl.', 'Vi beder om status for 2 milepæle.'],
    ] as const)('picks the plural form for 1 and 2 milestones in %s', (language, one, two) => {
      expect(renderer.render('status-request', language, digest({ milestones: milestones.slice(0, 1) })).text).toContain(one);
      expect(renderer.render('status-request', language, digest({ milestones: milestones.slice(0, 2) })).text).toContain(two);
    });

    it('picks plural forms in reminders too', () => {
      const one = renderer.render(
        'reminder',
        'fi',
        digest({ milestones: milestones.slice(0, 1), reminder: { step: 'before', daysLeft: 1 } }),
      ).text;
      expect(one).toContain('vastausaikaa on jäljellä 1 päivä,');
      expect(one).toContain('Vastaus puuttuu vielä tästä välitavoitteesta:');
      const two = renderer.render(
        'reminder',
        'fi',
        digest({ milestones: milestones.slice(0, 2), reminder: { step: 'before', daysLeft: 2 } }),
      ).text;
      expect(two).toContain('vastausaikaa on jäljellä 2 päivää,');
      expect(two).toContain('Vastaus puuttuu vielä näistä 2 välitavoitteesta:');
      expect(renderer.render('reminder', 'sv', digest({ reminder: { step: 'before', daysLeft: 1 } })).text).toContain('det är 1 dag kvar');
    });
  });

  describe('due', () => {
    it.each([
      ['en', 2021, 2021, '2021'],
      ['en', 2021, null, '2021'],
      ['en', 2023, 2024, '2023–2024'],
      ['en', null, null, 'No year set'],
      ['sv', null, null, 'Inget år angivet'],
    ] as const)('in %s, %s to %s is "%s"', (language, dueFrom, dueTo, expected) => {
      const { text } = renderer.render('status-request', language, digest({ milestones: [milestone({ dueFrom, dueTo })] }));
      const label = renderer.translate(language, 'milestone.due');
      expect(text).toContain(`   ${label}: ${expected} | `);
    });
  });

  describe('reminders', () => {
    it('counts the days before the deadline', () => {
      const { subject, text } = renderer.render('reminder', 'en', digest({ reminder: { step: 'before', daysLeft: 7 } }));
      expect(subject).toBe('Reminder: status report 2026 for Kvarkenrådet – Nordisk handlingsplan 2021-24');
      expect(text).toContain('there are 7 days left before the deadline on 1 December 2026.');
      expect(text).not.toContain('15 December 2026');
    });

    it('says politely when the deadline has passed and until when answers are accepted', () => {
      const { subject, text, html } = renderer.render('reminder', 'en', digest({ reminder: { step: 'overdue', daysLeft: -3 } }));
      expect(subject).toBe('We are still waiting for your status report 2026 – Kvarkenrådet');
      for (const output of [text, html]) {
        expect(output).toContain('The deadline for the status report for Nordisk handlingsplan 2021-24 was 1 December 2026');
        expect(output).toContain('Answers are still welcome until 15 December 2026.');
        expect(output).not.toContain('days left');
      }
      const danish = renderer.render('reminder', 'da', digest({ reminder: { step: 'overdue', daysLeft: 0 } })).text;
      expect(danish).toContain('Vi tager stadig gerne imod svar frem til 15. december 2026.');
    });

    it('refuses a reminder without its step', () => {
      expect(() => renderer.render('reminder', 'en', digest())).toThrow('data.reminder');
    });
  });

  describe('secretariat mails', () => {
    it('lists who has not answered, with outstanding milestones and the dashboard link', () => {
      const { subject, html, text } = renderer.render('escalation', 'sv', summary());
      expect(subject).toBe('Uppföljning: 2 organisationer har inte svarat – statusrapportering 2026, Nordisk handlingsplan 2021-24');
      expect(text).toContain('- Greater Copenhagen\n  Status: Delvis besvarad | Obesvarade milstolpar: 4 | Senaste mejl: 20 november 2026');
      expect(text).toContain('- Tornedalsrådet\n  Status: Mejlet studsade | Obesvarade milstolpar: 6 | Senaste mejl: Inget');
      expect(text).toContain('https://plan.example.org/dashboard/rounds/2026');
      expect(html).toContain('href="https://plan.example.org/dashboard/rounds/2026"');
      expect(html).toContain('Tornedalsrådet');
    });

    it('says so when everyone has answered', () => {
      const { subject, text } = renderer.render(
        'pending-summary',
        'en',
        summary({ pending: [], totals: { expected: 1, answered: 1, missing: 0, outstandingMilestones: 0 } }),
      );
      expect(subject).toBe('Status report 2026: 1 of 1 organisation has answered – Nordisk handlingsplan 2021-24');
      expect(text).toContain('All organisations have answered.');
    });
  });

  describe('answer confirmation', () => {
    it('shows what was recorded, progress 0 included, and the lines it could not read', () => {
      const { text, html } = renderer.render('answer-confirmation', 'en', confirmation({ late: true }));
      expect(text).toContain('1. M2021 Kortlægning af grænsehindringer\n   Completed (100% complete)\n   Comment: Rapporten udkom i maj');
      expect(text).toContain('3. Løbende dialog\n   Delayed (0% complete)');
      expect(text).toContain('We could not read these lines of your reply:\n\n    7: måske');
      expect(text).toContain('Your answer arrived after the deadline (1 December 2026), but it has been recorded.');
      expect(html).toContain('href="https://plan.example.org/r/tok3n"');
      expect(text).toContain('https://plan.example.org/r/tok3n');
    });

    it('says when nothing could be read', () => {
      const { text } = renderer.render('answer-confirmation', 'nb', confirmation({ recorded: [] }));
      expect(text).toContain('Vi har mottatt e-posten deres, men kunne ikke lese ut status for noen milepæl.');
      expect(text).not.toContain('kom etter fristen');
    });
  });

  describe('replies to a question', () => {
    it('confirms a reply to the contact in the committee’s language, naming the milestone and the question', () => {
      const expected: Record<Language, string> = {
        da: 'Tak for jeres svar om MP2023 – Tornedalsrådet',
        sv: 'Tack för ert svar om MP2023 – Tornedalsrådet',
        nb: 'Takk for svaret om MP2023 – Tornedalsrådet',
        fi: 'Kiitos vastauksestanne välitavoitteesta MP2023 – Tornedalsrådet',
        en: 'Thank you for your reply about MP2023 – Tornedalsrådet',
      };
      for (const language of MAIL_LANGUAGES) {
        const { subject, text } = renderer.render('question-reply-confirmation', language, samples['question-reply-confirmation']);
        expect(subject).toBe(expected[language]);
        expect(text).toContain(renderer.translate(language, 'question_reply.intro', { plan: plan.title }));
        expect(text).toContain('MP2023 Seminarium om gränshinder');
        expect(text).toContain('   Är seminariet flyttat till våren?\n   Skicka gärna programmet.');
        expect(text).toContain(renderer.translate(language, 'question_reply.told'));
      }
    });

    it('tells the secretariat who replied, what, with how many files, and links the thread', () => {
      const { subject, html, text } = renderer.render('question-reply-notice', 'sv', samples['question-reply-notice']);
      expect(subject).toBe('Tornedalsrådet har svarat på er fråga om Seminarium om gränshinder');
      expect(text).toContain('Tornedalsrådet har svarat per e-post från anna@tornedalen.org (mottaget 20 november 2026)');
      expect(text).toContain('Svaret:\n\n   Ja, till mars.\n   Programmet kommer i januari.');
      expect(text).toContain('2 bifogade filer är sparade vid milstolpen.');
      expect(text).toContain('https://plan.example.org/milestones/3#questions');
      expect(text).not.toContain('Svaret är längre');
      expect(html).toContain('href="https://plan.example.org/milestones/3#questions"');
      const cut = renderer.render('question-reply-notice', 'en', { ...samples['question-reply-notice'], cut: true, files: 0 });
      expect(cut.text).toContain("The reply is longer; read all of it on the milestone's page.");
      expect(cut.text).not.toContain('attached file');
    });
  });

  describe('report ready', () => {
    it('links every format in both parts and says when the report is preliminary', () => {
      const final = renderer.render('report-ready', 'da', reportReady());
      expect(final.subject).toBe('Årsrapporten 2026 er klar – Nordisk handlingsplan 2021-24');
      for (const url of ['https://plan.example.org/reports/2026.html', 'https://plan.example.org/reports/2026.pdf']) {
        expect(final.html).toContain(`href="${url}"`);
        expect(final.text).toContain(url);
      }
      expect(final.text).toContain('- Webside (HTML):\n  https://plan.example.org/reports/2026.html');
      const preliminary = renderer.render('report-ready', 'da', reportReady({ preliminary: true }));
      expect(preliminary.subject).toBe('Foreløbig årsrapport 2026 er klar – Nordisk handlingsplan 2021-24');
      expect(preliminary.text).toContain('kan stadig blive ændret');
    });
  });

  describe('language files', () => {
    const english = stringsOf('en');

    it.each(MAIL_LANGUAGES)('%s has exactly the English keys, with the same placeholders and all plural forms', (language) => {
      const strings = stringsOf(language);
      expect(Object.keys(strings).sort()).toEqual(Object.keys(english).sort());
      const categories = new Intl.PluralRules(LOCALES[language]).resolvedOptions().pluralCategories;
      for (const [key, value] of Object.entries(english)) {
        const own = strings[key]!;
        expect([key, typeof own]).toEqual([key, typeof value]);
        expect([key, [...placeholdersOf(own)].sort()]).toEqual([key, [...placeholdersOf(value)].sort()]);
        if (typeof own !== 'string') {
          for (const category of categories) expect([key, category, typeof own[category]]).toEqual([key, category, 'string']);
        }
      }
    });

    it.each(MAIL_LANGUAGES)('%s names every state, has distinct reply words, and uses them in its examples', (language) => {
      const strings = stringsOf(language);
      const words = MILESTONE_STATES.map((state) => strings[`reply_word.${state}`]);
      for (const state of MILESTONE_STATES) expect(typeof strings[`state.${state}`]).toBe('string');
      expect(new Set(words).size).toBe(MILESTONE_STATES.length);
      const completed = strings['reply_word.completed'];
      const delayed = strings['reply_word.delayed'];
      if (typeof completed !== 'string' || typeof delayed !== 'string') throw new Error(`${language} lacks a reply word`);
      expect(strings['answer.example_completed']).toMatch(new RegExp(`^\\{ref\\}: ${completed} - `));
      expect(strings['answer.example_delayed']).toMatch(new RegExp(`^\\{ref\\}: ${delayed} - `));
    });

    describe('with a changed copy of the templates', () => {
      let dir: string;
      let texts: string;
      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'mail-templates-'));
        cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
        texts = mkdtempSync(join(tmpdir(), 'mail-texts-'));
        cpSync(DEFAULT_I18N_DIR, texts, { recursive: true });
      });
      afterEach(() => {
        rmSync(dir, { recursive: true, force: true });
        rmSync(texts, { recursive: true, force: true });
      });

      it('falls back to English for a key a language lacks', () => {
        const file = join(texts, 'sv', 'mail.json');
        const { signoff: _, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        writeFileSync(file, JSON.stringify(rest));
        const { text } = new MailRenderer(dir, texts).render('status-request', 'sv', digest());
        expect(text).toContain('Kind regards,\nSekretariatet');
      });

      it('throws for a key English lacks', () => {
        writeFileSync(join(dir, 'report-ready.text.hbs'), '{{t "no.such.key"}}');
        const broken = new MailRenderer(dir);
        expect(() => broken.render('report-ready', 'da', reportReady())).toThrow('No mail text "no.such.key"');
      });

      it('stops at construction on a template with a syntax error, naming the file', () => {
        writeFileSync(join(dir, 'partials', 'signature.html.hbs'), '{{#if x}}unclosed');
        expect(() => new MailRenderer(dir)).toThrow(/signature\.html\.hbs/);
      });
    });
  });

  it('can be provided by Nest without configuration', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [MailRenderer] }).compile();
    expect(moduleRef.get(MailRenderer).render('report-ready', 'fi', reportReady()).subject).toBe(
      'Vuosiraportti 2026 on valmis – Nordisk handlingsplan 2021-24',
    );
  });
});
