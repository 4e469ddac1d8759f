import { I18n } from '../../i18n/i18n.js';
import type { AnnualReportContent } from '../annual-report.content.js';
import { highlights } from './highlights.js';
import { ReportLabels } from './report-labels.js';

const labels = new ReportLabels(I18n.load({ timeZone: 'Europe/Copenhagen' }));

/** Only what the sentences read; the rest of a snapshot does not matter to them. */
function content(part: {
  states: Record<string, number>;
  overdue?: string[];
  comments?: { key: string; state: string; comment: string; owner: string }[];
  reporting?: { expected: number; onTime: number; late: number } | null;
  criteria?: { total: number; met: number; partlyMet: number; notMet: number; notAssessed: number }[];
}): AnnualReportContent {
  const total = Object.values(part.states).reduce((a, b) => a + b, 0);
  return {
    year: 2023,
    asOf: '2023-12-31',
    summary: {
      figures: { counts: { total } },
      states: Object.entries(part.states).map(([state, count]) => ({ state, count })),
      reporting: part.reporting
        ? { expected: part.reporting.expected, answeredOnTime: part.reporting.onTime, answeredLate: part.reporting.late, missing: 0 }
        : null,
    },
    overdue: (part.overdue ?? []).map((owner) => ({ owner })),
    comments: (part.comments ?? []).map((c) => ({ milestoneKey: c.key, state: c.state, comment: c.comment, owner: c.owner })),
    priorities: [{ goals: (part.criteria ?? []).map((summary) => ({ criteria: { summary, items: [] } })) }],
  } as unknown as AnnualReportContent;
}

describe('the report’s opening sentences', () => {
  it('says what was achieved, what is late and with whom, why, who answered and how the criteria stand, in Danish', () => {
    const sentences = highlights(
      content({
        states: { not_started: 40, in_progress: 30, at_risk: 1, delayed: 2, completed: 27, cancelled: 0 },
        overdue: ['NORA', 'Greater Copenhagen', 'NORA', 'Kvarkenrådet', 'NORA', 'Greater Copenhagen', 'Nordregio'],
        comments: [
          { key: 'a', state: 'in_progress', comment: 'Godt i gang.', owner: 'NORA' },
          { key: 'b', state: 'delayed', comment: 'Forsinket pga. corona.', owner: 'Kvarkenrådet' },
          { key: 'b', state: 'delayed', comment: 'Ny tidsplan:\nforår 2024.', owner: 'Kvarkenrådet' },
          { key: 'c', state: 'at_risk', comment: 'x'.repeat(300), owner: 'NORA' },
        ],
        reporting: { expected: 8, onTime: 5, late: 2 },
        criteria: [
          { total: 4, met: 3, partlyMet: 1, notMet: 0, notAssessed: 0 },
          { total: 2, met: 0, partlyMet: 0, notMet: 1, notAssessed: 1 },
        ],
      }),
      labels,
      'da',
    );
    expect(sentences[0]).toBe(
      'Pr. 31. december 2023 var 27 af 100 milepæle gennemført (27,0\u00a0%); 30 er i gang, og 40 er ikke påbegyndt.',
    );
    expect(sentences[1]).toBe('7 milepæle har overskredet fristen, de fleste hos NORA (3), Greater Copenhagen (2) og Kvarkenrådet (1).');
    // The latest reason per milestone, newest first, in the committee's words, a long one cut.
    expect(sentences[2]).toMatch(
      /^3 milepæle blev meldt forsinket eller i risiko; begrundelserne omfatter »x{109}…« \(NORA\) og »Ny tidsplan: forår 2024\.« \(Kvarkenrådet\)\.$/,
    );
    expect(sentences[3]).toBe('7 af 8 organisationer svarede i runden for 2023, heraf 5 rettidigt.');
    expect(sentences[4]).toBe(
      'Af målenes 6 kriterier for målopnåelse blev 3 vurderet som opfyldt, 1 som delvist opfyldt og 1 som ikke opfyldt; 1 blev ikke vurderet.',
    );
  });

  it('says nothing is overdue, a delay without a reason, and leaves out what the year lacks, in English', () => {
    const sentences = highlights(
      content({
        states: { delayed: 1, completed: 1 },
        reporting: null,
        criteria: [{ total: 3, met: 0, partlyMet: 0, notMet: 0, notAssessed: 3 }],
      }),
      labels,
      'en',
    );
    expect(sentences).toEqual([
      'By 31 December 2023, 1 of 2 milestones were completed (50.0%); 0 are in progress and 0 not started.',
      'No milestone is overdue.',
      '1 milestone was reported delayed or at risk, without a reason given.',
      "None of the goals' 3 attainment criteria has been assessed for 2023 yet.",
    ]);
  });
});
