import request from 'supertest';
import { PgCounter } from '../../bench/lib/pg-counter.js';
import { SignedLinks } from '../../src/common/signed-links.js';
import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * What an answer costs in SQL statements, counted on the wire (bench/lib/pg-counter.ts sits
 * between the service and PostgreSQL). An answer through a link is the hot path of a round: a
 * statement per answered milestone, or per relation level of the link's lookup, is what made it
 * slow. The API runs alone (PROCESS_ROLE=api), so no worker's statements are counted.
 */
describe('the SQL an answer costs', () => {
  let db: TestDatabase;
  let counter: PgCounter;
  let t: TestApp;
  let kvarken: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    counter = await PgCounter.start(new URL(db.url));
    t = await startTestApp({ db, env: { DATABASE_URL: counter.url(db.url), PROCESS_ROLE: 'api' }, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const [request] = await sql<{ tokenNonce: string }>(
      db.url,
      `SELECT r."tokenNonce" FROM "ReportRequest" r JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet'`,
    );
    kvarken = t.app.get(SignedLinks).token(request!.tokenNonce);
  });
  afterAll(async () => {
    await t.close();
    await counter.stop();
    await db.drop();
  });

  /** As the people answering call it: no API token (whose lookup would be counted too). */
  const anonymous = () => request(t.app.getHttpServer());

  const statements = async (run: () => Promise<unknown>) => {
    const before = counter.snapshot();
    await run();
    return counter.since(before).statements;
  };

  it('looks a link up in one statement', async () => {
    // A connection that last ran other work (here the round's opening) first switches to the
    // generic plans of the hot statements: one SET, once (src/database/database.ts).
    const first = await statements(() => anonymous().get(`/api/answers/${kvarken}`).expect(200));
    expect(first).toBeLessThanOrEqual(2);
    expect(await statements(() => anonymous().get(`/api/answers/${kvarken}`).expect(200))).toBe(1);
  });

  it('records one answer or three in one statement after the lookup, with their history', async () => {
    const one = await statements(() =>
      anonymous()
        .post(`/api/answers/${kvarken}`)
        .send({ answers: [{ number: 1, state: 'in_progress', comment: 'Started' }] })
        .expect(200),
    );
    const three = await statements(() =>
      anonymous()
        .post(`/api/answers/${kvarken}`)
        .send({
          answers: [
            { number: 1, state: 'completed' },
            { number: 2, state: 'delayed', comment: 'Later' },
            { number: 3, state: 'at_risk', progress: 30 },
          ],
        })
        .expect(200),
    );
    // The lookup, then one statement: the milestones with their history, the request's scope and state, the confirmation.
    expect(one).toBe(2);
    expect(three).toBe(one);
    // History from state to state, at the service's clock (2024-11-01 08:00 UTC), as Prisma wrote it.
    const at = `to_char(%s, 'YYYY-MM-DD"T"HH24:MI:SS')`;
    expect(
      await sql(
        db.url,
        `SELECT u."fromState"::text AS "from", u."toState"::text AS "to", ${at.replace('%s', 'u."createdAt"')} AS "createdAt",
                ${at.replace('%s', 'm."stateChangedAt"')} AS "stateChangedAt", ${at.replace('%s', 'rm."answeredAt"')} AS "answeredAt"
         FROM "MilestoneUpdate" u JOIN "Milestone" m ON m.id = u."milestoneId" JOIN "RequestMilestone" rm ON rm."milestoneId" = m.id
         WHERE u.channel = 'api' ORDER BY u.id`,
      ),
    ).toEqual([
      {
        from: 'not_started',
        to: 'in_progress',
        createdAt: '2024-11-01T08:00:00',
        stateChangedAt: '2024-11-01T08:00:00',
        answeredAt: '2024-11-01T08:00:00',
      },
      {
        from: 'in_progress',
        to: 'completed',
        createdAt: '2024-11-01T08:00:00',
        stateChangedAt: '2024-11-01T08:00:00',
        answeredAt: '2024-11-01T08:00:00',
      },
      {
        from: expect.any(String),
        to: 'delayed',
        createdAt: '2024-11-01T08:00:00',
        stateChangedAt: '2024-11-01T08:00:00',
        answeredAt: '2024-11-01T08:00:00',
      },
      {
        from: expect.any(String),
        to: 'at_risk',
        createdAt: '2024-11-01T08:00:00',
        stateChangedAt: '2024-11-01T08:00:00',
        answeredAt: '2024-11-01T08:00:00',
      },
    ]);
  });

  it('moves stateChangedAt only for a milestone whose state changed', async () => {
    t.clock.set('2024-11-02T09:30:00Z');
    await anonymous()
      .post(`/api/answers/${kvarken}`)
      .send({
        answers: [
          { number: 1, state: 'completed', progress: 100 },
          { number: 3, state: 'delayed' },
        ],
      })
      .expect(200);
    const rows = await sql(
      db.url,
      `SELECT rm.number, m.state::text AS state, to_char(m."stateChangedAt", 'YYYY-MM-DD"T"HH24:MI') AS "stateChangedAt"
       FROM "Milestone" m JOIN "RequestMilestone" rm ON rm."milestoneId" = m.id JOIN "ReportRequest" r ON r.id = rm."requestId"
       JOIN "Organisation" o ON o.id = r."organisationId"
       WHERE o.name = 'Kvarkenrådet' AND rm.number IN (1, 3) ORDER BY rm.number`,
    );
    expect(rows).toEqual([
      { number: 1, state: 'completed', stateChangedAt: '2024-11-01T08:00' },
      { number: 3, state: 'delayed', stateChangedAt: '2024-11-02T09:30' },
    ]);
  });

  it('saves drafts of several milestones in the same statements as one', async () => {
    const form = await anonymous().get(`/r/${kvarken}`).expect(200);
    const cookie = (form.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hp_answer_csrf='))!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const draft = (fields: Record<string, string>) => () =>
      anonymous()
        .post(`/r/${kvarken}`)
        .set('Cookie', cookie)
        .type('form')
        .send({ csrf, action: 'draft', ...fields })
        .expect(303);
    const one = await statements(draft({ state_4: 'delayed' }));
    const two = await statements(draft({ state_4: 'delayed', comment_4: 'Utkast', state_5: 'in_progress' }));
    expect(two).toBe(one);
    expect(
      await sql(
        db.url,
        `SELECT "draftState"::text AS state, "draftComment" AS comment FROM "RequestMilestone" WHERE "draftSavedAt" IS NOT NULL ORDER BY number`,
      ),
    ).toEqual([
      { state: 'delayed', comment: 'Utkast' },
      { state: 'in_progress', comment: null },
    ]);
  });

  it('writes nothing when any part of the statement fails', async () => {
    const kvarkenRows = `FROM "RequestMilestone" rm JOIN "Milestone" m ON m.id = rm."milestoneId" JOIN "ReportRequest" r ON r.id = rm."requestId"
       JOIN "Organisation" o ON o.id = r."organisationId" WHERE o.name = 'Kvarkenrådet'`;
    const state = () =>
      sql(
        db.url,
        `SELECT rm.number, m.state::text AS state, m.progress, rm."answeredAt" IS NOT NULL AS answered, rm."draftState"::text AS draft, r.status::text AS status,
                (SELECT count(*)::int FROM "MilestoneUpdate" u WHERE u."milestoneId" = m.id) AS history,
                (SELECT count(*)::int FROM "OutboxMessage" x WHERE x."requestId" = r.id) AS mails
         ${kvarkenRows} ORDER BY rm.number`,
      );
    const before = await state();
    // The confirmation is the statement's last part: refuse it, and the answers must go with it.
    await sql(db.url, `ALTER TABLE "OutboxMessage" ADD CONSTRAINT no_confirmations CHECK (template <> 'answer-confirmation') NOT VALID`);
    try {
      await anonymous()
        .post(`/api/answers/${kvarken}`)
        .send({
          answers: [
            { number: 4, state: 'completed', progress: 100 },
            { number: 5, state: 'in_progress' },
          ],
          final: true,
        })
        .expect(500);
      expect(await state()).toEqual(before);
    } finally {
      await sql(db.url, `ALTER TABLE "OutboxMessage" DROP CONSTRAINT no_confirmations`);
    }
    await anonymous()
      .post(`/api/answers/${kvarken}`)
      .send({
        answers: [
          { number: 4, state: 'completed', progress: 100 },
          { number: 5, state: 'in_progress' },
        ],
        final: true,
      })
      .expect(200);
    const after = await state();
    expect(after.filter((row) => row.number === 4 || row.number === 5)).toEqual([
      expect.objectContaining({ number: 4, state: 'completed', progress: 100, answered: true, draft: null }),
      expect.objectContaining({ number: 5, state: 'in_progress', answered: true, draft: null }),
    ]);
    expect(after[0]).toMatchObject({ status: 'answered', mails: (before[0]!.mails as number) + 1 });
  });
});
