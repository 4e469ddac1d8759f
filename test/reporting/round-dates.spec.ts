import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

describe('the dates of a round', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
  });
  afterAll(() => t.close());

  it('refuses a day that is not on the calendar instead of moving it to the next month', async () => {
    // Date.parse reads 2024-11-31 as 1 December: the request passes the schema, the service says no.
    const response = await t.api.post('/api/rounds').send({ year: 2024, opensAt: '2024-11-15', deadline: '2024-11-31' }).expect(400);
    expect(JSON.stringify(response.body.message)).toContain('deadline: 2024-11-31 is not a valid date');
    expect(await sql(t.db.url, `SELECT count(*)::int AS n FROM "ReportingRound"`)).toEqual([{ n: 0 }]);
  });

  it('reads a deadline as the end of its day in Copenhagen, and refuses to extend it to 29 February of a common year', async () => {
    const created = await t.api.post('/api/rounds').send({ year: 2024, opensAt: '2024-11-15', deadline: '2024-12-01' }).expect(201);
    expect(created.body).toMatchObject({ state: 'scheduled', opensAt: '2024-11-14T23:00:00.000Z', deadline: '2024-12-01T22:59:59.999Z' });
    const response = await t.api.post(`/api/rounds/${created.body.id}/extend`).send({ deadline: '2025-02-29' }).expect(400);
    expect(JSON.stringify(response.body.message)).toContain('deadline: 2025-02-29 is not a valid date');
    await t.api.post(`/api/rounds/${created.body.id}/extend`).send({ deadline: '2025-03-30' }).expect(200);
    const [round] = await sql<{ deadline: Date }>(t.db.url, `SELECT deadline FROM "ReportingRound" WHERE id = ${Number(created.body.id)}`);
    // 30 March 2025 is the day summer time begins: its end is 21:59:59.999 UTC.
    expect(new Date(round!.deadline).toISOString()).toBe('2025-03-30T21:59:59.999Z');
  });
});
