import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled, until } from '../support/settled.js';
import { sql } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/** The secretariat's foreword: written per year, printed first in the report, frozen with the year's approval. */
describe('the foreword to a year’s report', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const TEXT = 'Året 2023 var præget af nye samarbejder over grænserne.\n\nSekretariatet takker udvalgene for deres svar.';

  async function report(year: number) {
    const created = (await t.api.post('/api/annual-reports').send({ year }).expect(202)).body;
    let record: { status: string; content: string | null; files: Record<string, string> } = { status: 'queued', content: null, files: {} };
    await until(
      async () => {
        record = (await t.api.get(`/api/annual-reports/${created.id}`).expect(200)).body;
        return record.status === 'ready' || record.status === 'failed';
      },
      { ms: 100_000, describe: () => `report ${record.status}` },
    );
    expect(record.status).toBe('ready');
    return record;
  }

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url }, now: '2023-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2023, deadline: '2023-12-01' }).expect(201);
    await settled(t, { smtp });
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('is written on the reports page or by the API, and printed first in the report with who wrote it', async () => {
    await t.api.get('/api/forewords/2023').expect(404);
    // The dashboard's form, as the secretariat sends it (the test token acts as the secretariat).
    await t.api.post('/reports/foreword').type('form').send({ year: '2023', text: 'Udkast.' }).expect(303);
    expect((await t.api.get('/api/forewords/2023').expect(200)).body).toMatchObject({ year: 2023, text: 'Udkast.' });
    const saved = (
      await t.api
        .put('/api/forewords/2023')
        .send({ text: `  ${TEXT}  ` })
        .expect(200)
    ).body;
    expect(saved).toMatchObject({ year: 2023, text: TEXT });
    expect((await t.api.get('/reports?foreword=2023').expect(200)).text).toContain('Sekretariatet takker udvalgene for deres svar.');

    const made = await report(2023);
    const content = (await t.api.get(made.content!).expect(200)).body;
    expect(content.foreword).toMatchObject({ text: TEXT, by: saved.by });
    const html = (await t.api.get(made.files.html!).expect(200)).text;
    expect(html).toMatch(
      /<section id="foreword">\s*<h2>Forord<\/h2>\s*<p class="wrap">Året 2023 var præget af nye samarbejder over grænserne\.<\/p>/,
    );
    // Before the summary, and in the contents.
    expect(html.indexOf('id="foreword"')).toBeLessThan(html.indexOf('id="summary"'));
    expect(html).toContain('<a href="#foreword">Forord</a>');
  });

  it('refuses a text too long, and any change once the year is approved, naming why; nothing is written', async () => {
    const before = await sql(t.db.url, `SELECT text FROM "ReportForeword"`);
    const long = await t.api
      .put('/api/forewords/2023')
      .send({ text: 'x'.repeat(10_001) })
      .expect(400);
    expect(JSON.stringify(long.body)).toContain('at most 10,000 characters');
    await t.api.post('/api/records/2023/approve').send({}).expect(201);
    const refused = await t.api.put('/api/forewords/2023').send({ text: 'Ændret efter godkendelsen.' }).expect(409);
    expect(refused.body.message).toContain('The figures of 2023 were approved');
    const page = await t.api.post('/reports/foreword').type('form').send({ year: '2023', text: 'Ændret efter godkendelsen.' }).expect(409);
    expect(page.text).toContain('The figures of 2023 were approved');
    expect(await sql(t.db.url, `SELECT text FROM "ReportForeword"`)).toEqual(before);
  });
});
