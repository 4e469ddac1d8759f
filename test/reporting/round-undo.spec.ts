import { AnnualReportService } from '../../src/annual-report/annual-report.service.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { settled } from '../support/settled.js';
import { TestSmtpServer } from '../support/smtp.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * Undo instead of traps: a reminder is not repeated within the quiet period unless confirmed; a
 * round closed early is not taken for an ended one by the automatic report, and can be reopened
 * within its window, with the reason in its history.
 */
describe('undoing what the secretariat did to a round', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let organisations: Record<string, number>;

  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, ANNUAL_REPORT_AUTO: 'true' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const detail = (await t.api.get('/api/rounds/1').expect(200)).body;
    organisations = Object.fromEntries(
      detail.requests.map((r: { organisation: { id: number; name: string } }) => [r.organisation.name, r.organisation.id]),
    );
    await settled(t, { smtp });
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('does not remind an organisation twice within the quiet period unless confirmed', async () => {
    const remind = (body: object) => t.api.post('/api/rounds/1/remind').send(body).expect(200);
    const kvarken = organisations['Kvarkenrådet']!;
    expect((await remind({ organisation: kvarken })).body).toEqual({ reminded: 1, skipped: [] });

    // "Remind all" seconds later: Greater Copenhagen only; Kvarkenrådet is listed as left out.
    t.clock.set('2024-11-01T08:00:20Z');
    const all = (await remind({})).body;
    expect(all.reminded).toBe(1);
    expect(all.skipped).toEqual([{ organisation: { id: kvarken, name: 'Kvarkenrådet' }, lastRemindedAt: '2024-11-01T08:00:00.000Z' }]);
    t.clock.set('2024-11-01T08:01:00Z');
    expect((await remind({})).body.reminded).toBe(0);

    // Confirmed, it goes out; and after the quiet period, to all again.
    t.clock.set('2024-11-01T08:02:00Z');
    expect((await remind({ organisation: kvarken, confirm: true })).body).toEqual({ reminded: 1, skipped: [] });
    t.clock.set('2024-11-02T08:03:00Z');
    expect((await remind({})).body).toEqual({ reminded: 2, skipped: [] });

    await settled(t, { smtp });
    const reminders = smtp.received.filter((mail) => mail.envelopeTo.includes('kvarken@example.org'));
    expect(reminders).toHaveLength(3);
    smtp.clear();
  });

  it('closes early without the automatic report, and reopens within the window with the reason in the history', async () => {
    t.clock.set('2024-11-10T10:00:00Z');
    await t.api.post('/api/rounds/1/close').send({ reason: 'wrong year chosen' }).expect(200);
    // The tick's automatic reports: last year's (from January 5) but none for a round closed early.
    await t.app.get(AnnualReportService).ensureYearlyReport();
    expect(await sql(t.db.url, `SELECT year, trigger::text FROM "AnnualReport" ORDER BY id`)).toEqual([{ year: 2023, trigger: 'yearly' }]);

    // A reason is needed, and a deadline after the current one.
    const noReason = await t.api.post('/api/rounds/1/reopen').send({ deadline: '2024-12-15', reason: ' ' }).expect(400);
    expect(noReason.body.message).toEqual(['reason: say why']);
    const earlier = await t.api.post('/api/rounds/1/reopen').send({ deadline: '2024-11-20', reason: 'more time' }).expect(400);
    expect(earlier.body.message).toBe('deadline: the new deadline (2024-11-20) must be after the current one (2024-12-01).');

    t.clock.set('2024-11-11T10:00:00Z');
    const reopened = (await t.api.post('/api/rounds/1/reopen').send({ deadline: '2024-12-15', reason: 'closed by mistake' }).expect(200))
      .body;
    expect(reopened).toMatchObject({ state: 'open', closedAt: null, deadline: '2024-12-15T22:59:59.999Z' });
    const history = (await t.api.get('/api/rounds/1/history').expect(200)).body;
    expect(history.map((e: { kind: string; actor: string; reason: string }) => [e.kind, e.actor, e.reason])).toEqual([
      ['closed', 'tests', 'wrong year chosen'],
      ['reopened', 'tests', 'closed by mistake'],
    ]);
    // The answer links work again until the new grace window ends.
    const expires = await sql<{ expiresAt: Date }>(t.db.url, `SELECT DISTINCT "expiresAt" FROM "ReportRequest" WHERE "roundId" = 1`);
    expect(expires.map((row) => row.expiresAt.toISOString())).toEqual(['2024-12-29T22:59:59.999Z']);
    // And the schedule will close it again: its close step is no longer claimed.
    expect(await sql(t.db.url, `SELECT step FROM "RoundStep" WHERE "roundId" = 1 AND step = 'close'`)).toEqual([]);
  });

  it('refuses to reopen after the window, saying until when it could have been', async () => {
    t.clock.set('2024-11-12T10:00:00Z');
    await t.api.post('/api/rounds/1/close').send({}).expect(200);
    t.clock.set('2024-12-13T10:00:00Z');
    const late = await t.api.post('/api/rounds/1/reopen').send({ deadline: '2024-12-20', reason: 'forgot' }).expect(409);
    expect(late.body.message).toBe('Round 1 closed on 2024-11-12; it can be reopened only within 30 days of closing.');
    // Extending a closed round is reopening it: the same window holds.
    await t.api.post('/api/rounds/1/extend').send({ deadline: '2024-12-20', reason: 'forgot' }).expect(409);
    expect((await t.api.get('/api/rounds/1').expect(200)).body.state).toBe('closed');
  });
});
