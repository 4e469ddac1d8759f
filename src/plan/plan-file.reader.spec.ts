import { readFileSync } from 'node:fs';
import { PlanFileError, readPlanFile, slugify } from './plan-file.reader.js';

const small = readFileSync(new URL('../../test/fixtures/small-plan.yaml', import.meta.url), 'utf8');

function problemsOf(content: string): string[] {
  try {
    readPlanFile(content, 'plan.yaml');
  } catch (error) {
    if (error instanceof PlanFileError) return error.problems.map((p) => `${p.line ?? '-'} ${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('readPlanFile', () => {
  it('fills in keys, kinds and due years from labels', () => {
    const plan = readPlanFile(small, 'small.yaml');
    const kvarken = plan.priorities[0]!.goals[0]!.interventions[0]!.contributions[0]!;
    expect(kvarken.key).toBe('G.1.a/Kvarkenrådet');
    expect(kvarken.milestones.map((m) => [m.key, m.kind, m.dueFrom, m.dueTo])).toEqual([
      ['G.1.a/Kvarkenrådet/M2021', 'milestone', 2021, 2021],
      ['G.1.a/Kvarkenrådet/M2021#2', 'milestone', 2021, 2021],
      ['G.1.a/Kvarkenrådet/M23/24', 'milestone', 2023, 2024],
      ['G.1.a/Kvarkenrådet/M 5', 'milestone', null, null],
      ['G.1.a/Kvarkenrådet/unlabelled', 'milestone', null, null],
    ]);
    const opening = plan.priorities[0]!.goals[0]!.contributions[0]!;
    expect(opening.key).toBe('goal-1/Nordregio');
    expect(opening.milestones[0]).toMatchObject({ kind: 'deliverable', dueFrom: 2024, dueTo: 2024 });
    expect(plan.organisations[0]!.contacts).toEqual([{ email: 'kvarken@example.org', name: null, placeholder: true }]);
  });

  it('reports malformed YAML with its line', () => {
    expect(problemsOf('title: "unterminated\nperiod: [')).toEqual([expect.stringMatching(/^\d+ : not valid YAML or JSON/)]);
  });

  it('refuses a file whose aliases expand without end (a "billion laughs"), naming the file', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    ].join('\n');
    let thrown: unknown;
    try {
      readPlanFile(bomb, 'bomb.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PlanFileError);
    expect((thrown as PlanFileError).problems).toEqual([
      expect.objectContaining({ file: 'bomb.yaml', message: expect.stringContaining('aliases expand too far') }),
    ]);
  });

  it('reports every shape problem with its place', () => {
    const broken = small
      .replace('amount: 12800000', 'amount: -5')
      .replace('kind: institution', 'kind: university')
      .replace('code: K.6.a', 'code: "K6a"');
    expect(problemsOf(broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\d+ priorities\[0\]\.goals\[0\]\.budget\.lines\[0\]\.amount: must not be negative$/),
        expect.stringMatching(
          /^\d+ organisations\[2\]\.kind: expected one of "border_committee", "institution", "thematic_group", "secretariat"$/,
        ),
        expect.stringMatching(/^\d+ priorities\[1\]\.goals\[0\]\.interventions\[0\]\.code: must be a code such as G\.1\.a$/),
      ]),
    );
  });

  it('refuses unknown organisations, duplicate codes and due years outside the period, all at once', () => {
    const broken = small
      .replace(
        'organisation: Greater Copenhagen\n                summary: Grøn',
        'organisation: Greater Copenhagn\n                summary: Grøn',
      )
      .replace('code: K.6.a', 'code: G.1.a')
      .replace('{ label: M2021-2024, text: Løbende arbejde }', '{ label: M2026, text: Løbende arbejde }');
    const problems = problemsOf(broken);
    expect(problems).toEqual([
      expect.stringMatching(
        /^\d+ priorities\[0\]\.goals\[0\]\.interventions\[0\]\.contributions\[1\]\.organisation: unknown organisation "Greater Copenhagn"/,
      ),
      expect.stringMatching(
        /^\d+ priorities\[1\]\.goals\[0\]\.interventions\[0\]\.code: duplicate intervention code "G\.1\.a" \(first at priorities\[0\]\.goals\[0\]\.interventions\[0\]\.code\)$/,
      ),
      expect.stringMatching(
        /^\d+ priorities\[1\]\.goals\[0\]\.interventions\[0\]\.contributions\[0\]\.milestones\[0\]\.dueFrom: due year 2026 is outside the plan period 2021-2024$/,
      ),
      expect.stringMatching(/dueTo: due year 2026 is outside the plan period/),
    ]);
  });

  it('names the line of the problem', () => {
    const lines = small.split('\n');
    const line = lines.findIndex((l) => l.includes('amount: 12800000')) + 1;
    const [problem] = problemsOf(small.replace('amount: 12800000', 'amount: -1'));
    expect(problem).toMatch(new RegExp(`^${line} `));
  });

  it('refuses unknown fields, so a misspelt field is not silently dropped', () => {
    expect(problemsOf(small.replace('attainmentCriteria:', 'attainmentCritera:'))).toEqual([
      expect.stringMatching(/priorities\[0\]\.goals\[0\]: unknown field "attainmentCritera"/),
    ]);
  });

  it('slugifies Nordic titles', () => {
    expect(slugify('Handlingsplan 2021-24 – regionalsektorens indspil (Vores Vision 2030)')).toBe(
      'handlingsplan-2021-24-regionalsektorens-indspil-vores-vision',
    );
    expect(slugify('Grønt Norden: Åland')).toBe('gront-norden-aland');
  });
});
