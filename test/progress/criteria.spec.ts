import ExcelJS from 'exceljs';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsersService } from '../../src/auth/users.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { bearer, startTestApp, type TestApp } from '../support/app.js';
import { until } from '../support/settled.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** The small plan, with goal 1's first criterion split into three assessable items. */
function splitPlan(): string {
  const text = readFileSync(SMALL, 'utf8');
  const line = '        attainmentCriteria: ["Benchmark gennemført", "Kommunikeret internationalt"]\n';
  if (!text.includes(line)) throw new Error('the small plan changed: update this test');
  const file = join(tmpdir(), `criteria-plan-${process.pid}.yaml`);
  writeFileSync(
    file,
    text.replace(
      line,
      line +
        [
          '        criteria:',
          '          - { key: "1a", source: 1, text: "Benchmark analyse gennemført" }',
          '          - { key: "1b", source: 1, text: "Forslag udviklet" }',
          '          - { key: "1c", source: 1, text: "Katalog udarbejdet" }',
          '          - { key: "2", source: 2, text: "Kommunikeret internationalt" }',
          '',
        ].join('\n'),
    ),
  );
  return file;
}

type Criterion = { id: number; key: string; verdict: string; justification: string | null };

/** Issue 15, section 4: goal attainment by the goal's own criteria, assessed per year. */
describe("a goal's attainment criteria, assessed per year", () => {
  let t: TestApp;
  let file: string;
  let goal1: Criterion[];
  let goal6: Criterion[];
  const assessments = () => sql<{ n: number }>(t.db.url, `SELECT count(*)::int AS n FROM "CriterionAssessment"`).then((r) => r[0]!.n);

  beforeAll(async () => {
    t = await startTestApp({ now: '2024-01-10T09:00:00Z' });
    file = splitPlan();
    await t.app.get(PlanImportService).importFile(file);
    goal1 = (await t.api.get('/api/goals/1/criteria?year=2023').expect(200)).body.criteria;
    goal6 = (await t.api.get('/api/goals/6/criteria?year=2023').expect(200)).body.criteria;
  });
  afterAll(() => t.close());

  it('imports the split items, and one item per criterion where the file gives none', async () => {
    expect(goal1.map((c) => [c.key, c.verdict])).toEqual([
      ['1a', 'not_assessed'],
      ['1b', 'not_assessed'],
      ['1c', 'not_assessed'],
      ['2', 'not_assessed'],
    ]);
    expect(goal6).toEqual([]);
    // The plan's own wording stays as it was.
    expect((await t.api.get('/api/goals/1').expect(200)).body.attainmentCriteria).toEqual([
      'Benchmark gennemført',
      'Kommunikeret internationalt',
    ]);
  });

  it('records an assessment and counts it: "3 of 4 criteria met, 1 partly"', async () => {
    const [a, b, c, d] = goal1;
    const body = (
      await t.api
        .post('/api/goals/1/criteria/assessments')
        .send({
          year: 2023,
          assessments: [
            {
              criterionId: a!.id,
              verdict: 'met',
              justification: 'Benchmarken blev offentliggjort i maj.',
              evidenceUrl: 'https://example.org/benchmark',
            },
            { criterionId: b!.id, verdict: 'met', justification: 'Forslagene blev vedtaget i juni.' },
            { criterionId: c!.id, verdict: 'partly_met', justification: 'Kataloget er i udkast.' },
            { criterionId: d!.id, verdict: 'met', justification: 'Præsenteret på ESPON-konferencen.' },
          ],
        })
        .expect(201)
    ).body;
    expect(body.summary).toMatchObject({ total: 4, met: 3, partlyMet: 1, text: '3 of 4 criteria met, 1 partly' });
    expect(body.criteria[0]).toMatchObject({ verdict: 'met', evidenceUrl: 'https://example.org/benchmark', assessedBy: 'tests' });
    // Another year is assessed on its own.
    expect((await t.api.get('/api/goals/1/criteria?year=2022').expect(200)).body.summary.text).toBe('0 of 4 criteria met, 4 not assessed');
  });

  it('refuses a criterion of another goal, an empty justification or a bad link, naming it, and writes nothing', async () => {
    const before = await assessments();
    const own = (
      await sql<{ id: number }>(
        t.db.url,
        `SELECT gc.id FROM "GoalCriterion" gc JOIN "Goal" g ON g.id = gc."goalId" WHERE g.number = 1 LIMIT 1`,
      )
    )[0]!;
    // Goal 6 has no criteria in the small plan: give it one, to have a criterion of another goal.
    const [foreign] = await sql<{ id: number }>(
      t.db.url,
      `INSERT INTO "GoalCriterion" ("goalId", position, key, text, source)
       SELECT id, 0, 'x', 'Et kriterium for mål 6', 1 FROM "Goal" WHERE number = 6 RETURNING id`,
    );
    const refused = await t.api
      .post('/api/goals/1/criteria/assessments')
      .send({
        year: 2023,
        assessments: [
          { criterionId: own.id, verdict: 'not_met', justification: 'Ikke nået.' },
          { criterionId: foreign!.id, verdict: 'met', justification: 'Nået.' },
        ],
      })
      .expect(400);
    expect(refused.body.message).toContain(`criterion ${foreign!.id} is not a criterion of goal 1`);

    const empty = await t.api
      .post('/api/goals/1/criteria/assessments')
      .send({ year: 2023, assessments: [{ criterionId: own.id, verdict: 'partly_met', justification: '   ' }] })
      .expect(400);
    expect(JSON.stringify(empty.body.message)).toContain('assessments.0.justification');

    const link = await t.api
      .post('/api/goals/1/criteria/assessments')
      .send({
        year: 2023,
        assessments: [{ criterionId: own.id, verdict: 'met', justification: 'Ja.', evidenceUrl: 'javascript:alert(1)' }],
      })
      .expect(400);
    expect(JSON.stringify(link.body.message)).toContain('assessments.0.evidenceUrl');

    expect(await assessments()).toBe(before);
    expect((await t.api.get('/api/goals/1/criteria?year=2023').expect(200)).body.summary.text).toBe('3 of 4 criteria met, 1 partly');
    await sql(t.db.url, `DELETE FROM "GoalCriterion" WHERE id = $1`, [foreign!.id]);
  });

  it('lets a viewer read the assessment but not make one', async () => {
    const viewer = bearer(t.app, await t.app.get(UsersService).createApiToken('reader', 'viewer'));
    await viewer.get('/api/goals/1/criteria?year=2023').expect(200);
    await viewer
      .post('/api/goals/1/criteria/assessments')
      .send({ year: 2023, assessments: [{ criterionId: goal1[0]!.id, verdict: 'not_met', justification: 'Nej.' }] })
      .expect(403);
  });

  it('shows milestone completion and the criteria together: the attainment API and the goal page', async () => {
    const attainment = (await t.api.get('/api/goals/1/attainment?asOf=2023-12-31').expect(200)).body;
    expect(attainment.figures.completion).toBeDefined();
    expect(attainment.criteria).toMatchObject({ year: 2023, summary: { text: '3 of 4 criteria met, 1 partly' } });

    const page = (await t.api.get('/goals/1?year=2023').expect(200)).text;
    expect(page).toContain('3 of 4 criteria met, 1 partly');
    expect(page).toContain('Kataloget er i udkast.');
  });

  it('assesses the plan’s last year once the plan has ended, and refuses a year outside it on the page', async () => {
    t.clock.set('2026-03-01T09:00:00Z');
    try {
      expect((await t.api.get('/api/goals/1/criteria').expect(200)).body.year).toBe(2024);
      const page = (await t.api.get('/goals/1').expect(200)).text;
      expect(page).toContain('<option selected>2024</option>');
      expect(page).not.toContain('<option>2026</option>');
      expect((await t.api.get('/goals/1?year=2030').expect(400)).text).toContain('2030');
    } finally {
      t.clock.set('2024-01-10T09:00:00Z');
    }
  });

  it('assesses from the goal page: only what changed is recorded, and an empty justification is asked for', async () => {
    const before = await assessments();
    const id = goal1[2]!.id;
    const refused = await t.api
      .post('/goals/1/criteria')
      .type('form')
      .send({ year: '2023', [`verdict_${id}`]: 'met', [`justification_${id}`]: '' })
      .expect(400);
    expect(refused.text).toContain('Give a justification for this assessment.');
    expect(await assessments()).toBe(before);

    await t.api
      .post('/goals/1/criteria')
      .type('form')
      .send({ year: '2023', [`verdict_${id}`]: 'met', [`justification_${id}`]: 'Kataloget er udgivet.' })
      .expect(303);
    expect(await assessments()).toBe(before + 1);
    expect((await t.api.get('/api/goals/1/criteria?year=2023').expect(200)).body.summary.text).toBe('4 of 4 criteria met');
    // The earlier verdict is kept as history.
    expect(
      await sql(t.db.url, `SELECT verdict::text FROM "CriterionAssessment" WHERE "criterionId" = $1 AND year = 2023 ORDER BY id`, [id]),
    ).toEqual([{ verdict: 'partly_met' }, { verdict: 'met' }]);
  });

  it('puts the assessment, with its justifications, in the annual report', async () => {
    const created = (await t.api.post('/api/annual-reports').send({ year: 2023 }).expect(202)).body;
    let report: { status: string; content: string | null } = { status: 'queued', content: null };
    await until(
      async () => {
        report = (await t.api.get(`/api/annual-reports/${created.id}`).expect(200)).body;
        return report.status === 'ready' || report.status === 'failed';
      },
      { ms: 100_000, describe: () => `report ${report.status}` },
    );
    expect(report.status).toBe('ready');
    const content = (await t.api.get(report.content!).expect(200)).body;
    const goal = content.priorities[0].goals[0];
    expect(goal.criteria.summary).toMatchObject({ total: 4, met: 4 });
    expect(goal.criteria.items[0]).toMatchObject({ key: '1a', verdict: 'met', justification: 'Benchmarken blev offentliggjort i maj.' });
    const html = (await t.api.get(`/api/annual-reports/${created.id}/html`).expect(200)).text;
    expect(html).toContain('4 af 4 kriterier opfyldt');
    expect(html).toContain('Benchmarken blev offentliggjort i maj.');
    expect(html).toContain('https://example.org/benchmark');
    // The XLSX annex has a sheet of the criteria with the year's verdicts.
    const xlsx = await t.api
      .get(`/api/annual-reports/${created.id}/xlsx`)
      .buffer(true)
      .parse((res, callback) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.body as ArrayBuffer);
    const sheet = workbook.getWorksheet('Kriterier 2023')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      'Mål',
      'Mærke',
      'Kriterium',
      'Vurdering',
      'Begrundelse',
      'Dokumentation',
    ]);
    expect((sheet.getRow(2).values as unknown[]).slice(1, 6)).toEqual([
      1,
      '1a',
      'Benchmark analyse gennemført',
      'Opfyldt',
      'Benchmarken blev offentliggjort i maj.',
    ]);
  }, 120_000);

  it('carries the items through export and re-import, and keeps their assessments', async () => {
    const exported = (await t.api.get('/api/plans/1/export').expect(200)).body;
    expect(exported.priorities[0].goals[0].criteria).toEqual([
      { key: '1a', text: 'Benchmark analyse gennemført', source: 1 },
      { key: '1b', text: 'Forslag udviklet', source: 1 },
      { key: '1c', text: 'Katalog udarbejdet', source: 1 },
      { key: '2', text: 'Kommunikeret internationalt', source: 2 },
    ]);
    await t.app.get(PlanImportService).importFile(file);
    expect((await t.api.get('/api/goals/1/criteria?year=2023').expect(200)).body.summary.text).toBe('4 of 4 criteria met');
  });
});
