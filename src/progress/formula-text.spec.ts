import { I18n } from '../i18n/i18n.js';
import { budgetWeighted, emptyTally, figures, type Tally } from './attainment.formulas.js';
import { formulaText } from './formula-text.js';

const i18n = I18n.load({ timeZone: 'Europe/Copenhagen' });
const reference = { asOf: '2023-12-31', year: 2023 };
const tally = (counts: Partial<Tally>): Tally => {
  const t = { ...emptyTally(), ...counts };
  t.total = t.not_started + t.in_progress + t.at_risk + t.delayed + t.completed + t.cancelled;
  return t;
};
/** Intl writes a no-break space in "33,3 %" and "2 000": compare with plain spaces. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('formulaText', () => {
  const f = figures(tally({ not_started: 2, in_progress: 3, at_risk: 1, delayed: 2, completed: 4, cancelled: 3 }), reference);

  it('writes completion in Swedish with a decimal comma, and in English as the API does in words', () => {
    expect(plain(formulaText(i18n, 'sv', 'completion', f))).toBe('genomförande = genomförda / (alla − avbrutna) = 4 / (15 − 3) = 33,3 %');
    expect(formulaText(i18n, 'en', 'completion', f)).toBe('completion = completed / (all − cancelled) = 4 / (15 − 3) = 33.3%');
  });

  it('names the states in the language and tells overdue from delayed', () => {
    expect(formulaText(i18n, 'da', 'atRisk', f)).toBe(
      'i risiko = milepæle med status “Risiko for forsinkelse” + med status “Forsinket” = 1 + 2 = 3',
    );
    expect(formulaText(i18n, 'sv', 'overdue', f)).toMatch(
      /^förfallna = milstolpar med tidpunkt senast 2022 \(före 2023, året för 31 december 2023\)/,
    );
    expect(formulaText(i18n, 'fi', 'counts', f)).toMatch(/^kaikki = ei aloitettu 2 \+ käynnissä 3/);
  });

  it('groups thousands as the language does and says "no figure" in it', () => {
    const big = figures({ ...tally({ completed: 20_000 }), progressSum: 2_000_000 }, reference);
    expect(plain(formulaText(i18n, 'nb', 'averageProgress', big))).toBe(
      'gjennomsnittlig framdrift = summen av framdrift / milepæler som ikke er kansellert = 2 000 000 / 20 000 = 100,0 %',
    );
    const none = figures(tally({ cancelled: 2 }), reference);
    expect(formulaText(i18n, 'sv', 'completion', none)).toMatch(/= ingen siffra \(ingen milstolpe återstår att genomföra\)$/);
  });

  it('writes the budget-weighted formula with the goals and what was left out in the language', () => {
    const weighted = budgetWeighted(
      [
        { label: 'goal 1', completion: 0.5, budget: 3_000_000n, currency: 'EUR' },
        { label: 'goal 6', completion: null, budget: 1_000n, currency: 'EUR' },
        { label: 'goal 7', completion: 0.2, budget: 5n, currency: 'DKK' },
        { label: 'goal 9', completion: 0.1, budget: null, currency: null },
      ],
      'EUR',
      'goal budget totals',
    );
    const text = plain(formulaText(i18n, 'sv', 'budgetWeighted', { ...f, budgetWeighted: weighted }));
    expect(text).toBe(
      'budgetviktat genomförande = Σ(målets genomförande × målets totala budget) / Σ budget = (50,0 % × 3 000 000 (mål 1)) / 3 000 000 EUR = 50,0 %' +
        '; utelämnade: mål 9 (ingen budget), mål 6 (ingen genomförandesiffra), mål 7 (budget i DKK, inte EUR)',
    );
  });

  it('keeps the English formula of a snapshot made before the parts were kept', () => {
    const { asOf: _, ...overdue } = f.overdue;
    expect(formulaText(i18n, 'sv', 'overdue', { ...f, overdue })).toBe(f.overdue.formula);
  });
});
