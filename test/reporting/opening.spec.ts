import { generatePlan, roundShape } from '../../bench/lib/generate.js';
import { RoundScheduler } from '../../src/scheduler/round-scheduler.js';
import { RoundsRepository } from '../../src/reporting/rounds.repository.js';
import { RoundsService } from '../../src/reporting/rounds.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { outboxSettled } from '../support/outbox.js';
import { settled } from '../support/settled.js';
import { sql, sqlOne } from '../support/sql.js';
import { TestSmtpServer } from '../support/smtp.js';

const count = async (url: string, query: string, values: unknown[] = []) => (await sql<{ n: number }>(url, query, values))[0]!.n;

/** What an opening must have written: one request per organisation with something due, each complete. */
async function expectCompleteOpening(url: string, roundId: number, organisations: number, perOrganisation: number) {
  expect(await count(url, `SELECT count(*)::int AS n FROM "ReportRequest" WHERE "roundId" = $1`, [roundId])).toBe(organisations);
  expect(await count(url, `SELECT count(DISTINCT "organisationId")::int AS n FROM "ReportRequest" WHERE "roundId" = $1`, [roundId])).toBe(
    organisations,
  );
  // Every request has all of its milestones, numbered 1..n, and a sent request has exactly one digest.
  const incomplete = await sql(
    url,
    `SELECT r.id, r.status, count(rm."milestoneId")::int AS milestones, max(rm.number) AS top,
            (SELECT count(*)::int FROM "OutboxMessage" om WHERE om."requestId" = r.id AND om.template = 'status-request') AS digests
     FROM "ReportRequest" r LEFT JOIN "RequestMilestone" rm ON rm."requestId" = r.id
     WHERE r."roundId" = $1 GROUP BY r.id
     HAVING count(rm."milestoneId") <> $2 OR max(rm.number) <> $2
         OR (SELECT count(*) FROM "OutboxMessage" om WHERE om."requestId" = r.id AND om.template = 'status-request') <> CASE WHEN r.status = 'sent' THEN 1 ELSE 0 END`,
    [roundId, perOrganisation],
  );
  expect(incomplete).toEqual([]);
}

describe('opening a round in chunks', () => {
  describe('a round with more milestones in scope than one SQL statement takes parameters', () => {
    let db: TestDatabase;
    let t: TestApp;

    beforeAll(async () => {
      db = await createTestDatabase();
      // 8,300 organisations × (3 due + 1 optional) = 33,200 milestones in scope (Prisma's limit: 32,766 bind parameters).
      await generatePlan(db.url, roundShape(8_300, 2024, 3, 1));
      // No worker: this is about deciding and writing, not delivering.
      t = await startTestApp({ db, env: { PROCESS_ROLE: 'api' }, now: '2024-11-01T08:00:00Z' });
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await db?.drop();
    });

    it('opens, with every request, request milestone and digest, and reminds', async () => {
      const response = await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
      expect(response.body).toMatchObject({ state: 'open', totals: { expected: 8_300, answered: 0, missing: 8_300, noContact: 0 } });
      // The answer carries the totals, not 8,300 requests: GET /api/rounds/:id lists them.
      expect(response.body.requests).toBeUndefined();
      const roundId: number = response.body.id;
      await expectCompleteOpening(db.url, roundId, 8_300, 4);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "RequestMilestone"`)).toBe(33_200);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "RoundStep" WHERE "roundId" = $1`, [roundId])).toBe(1); // 'open'; the opening marker is gone

      // The digests quote the last comment on a milestone, and list the due milestones only.
      const [sample] = await sql<{ data: { milestones: { number: number; lastComment: string | null }[] } }>(
        db.url,
        `SELECT om.data FROM "OutboxMessage" om JOIN "RequestMilestone" rm ON rm."requestId" = om."requestId"
         JOIN "MilestoneUpdate" mu ON mu."milestoneId" = rm."milestoneId" WHERE om."roundId" = $1 LIMIT 1`,
        [roundId],
      );
      expect(sample!.data.milestones.map((m) => m.number)).toEqual([1, 2, 3]);
      expect(sample!.data.milestones.some((m) => m.lastComment?.startsWith('Started in the spring'))).toBe(true);

      // A reminder lists only what is still owed: one request has its milestone 2 (one without a comment) answered first.
      const { requestId } = await sqlOne<{ requestId: number }>(
        db.url,
        `SELECT min(rm."requestId")::int AS "requestId" FROM "RequestMilestone" rm
         WHERE rm.number = 2 AND NOT EXISTS (SELECT 1 FROM "MilestoneUpdate" mu WHERE mu."milestoneId" = rm."milestoneId")`,
      );
      await sql(db.url, `UPDATE "RequestMilestone" SET "answeredAt" = now() WHERE "requestId" = $1 AND number = 2`, [requestId]);

      // Reminders select the same comments for the whole round.
      expect((await t.api.post(`/api/rounds/${roundId}/remind`).send({}).expect(200)).body).toEqual({ reminded: 8_300, skipped: [] });
      type Digest = {
        organisation: unknown;
        answerNonce: string;
        milestones: { number: number }[];
        reminder?: unknown;
      };
      const mails = await sql<{ template: string; recipients: string[]; language: string; data: Digest }>(
        db.url,
        `SELECT template, recipients, language::text AS language, data FROM "OutboxMessage" WHERE "requestId" = $1 ORDER BY id`,
        [requestId],
      );
      const [digest, reminder] = mails;
      expect(mails.map((mail) => mail.template)).toEqual(['status-request', 'reminder']);
      expect(reminder).toMatchObject({ recipients: digest!.recipients, language: digest!.language });
      expect(reminder!.data).toMatchObject({
        organisation: digest!.data.organisation,
        answerNonce: digest!.data.answerNonce,
      });
      // The reply address is derived from the nonce when the mail is composed; the outbox never holds it.
      expect(digest!.data).not.toHaveProperty('replyAddress');
      expect(reminder!.data.milestones).toEqual(digest!.data.milestones.filter((milestone) => milestone.number !== 2));
      expect(reminder!.data.reminder).toEqual({ step: 'before', daysLeft: 31 }); // the deadline is the end of 1 December in Copenhagen
      const commented = await count(
        db.url,
        `SELECT count(*)::int AS n FROM "OutboxMessage" WHERE template = 'reminder' AND data::text LIKE '%Started in the spring%'`,
      );
      expect(commented).toBe(await count(db.url, `SELECT count(*)::int AS n FROM "MilestoneUpdate"`));
    }, 180_000);
  });

  describe('complete and exactly once, across failures and instances', () => {
    let smtp: TestSmtpServer;
    let db: TestDatabase;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      smtp = await new TestSmtpServer().start();
      db = await createTestDatabase();
      // 23 organisations × (2 due + 1 optional); three of them without a contact.
      await generatePlan(db.url, roundShape(23, 2024, 2, 1));
      await sql(db.url, `DELETE FROM "Contact" WHERE "organisationId" IN (SELECT id FROM "Organisation" ORDER BY id DESC LIMIT 3)`);
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await smtp.stop();
      await db.drop();
    });

    const start = async () => {
      const app = await startTestApp({
        db,
        env: { SMTP_URL: smtp.url, SECRETARIAT_EMAIL: 'sek@norden.test', SMTP_TIMEOUT_MS: '5000' },
        now: '2024-11-01T08:00:00Z',
      });
      app.app.get(RoundsService).openingChunkSize = 5;
      apps.push(app);
      return app;
    };
    /** `n` instances on the shared database: started once and kept for the next test (starting one costs more than a test). */
    const instances = async (n: number) => {
      while (apps.length < n) await start();
      return apps.slice(0, n);
    };

    // Each test starts with no round and no mail, whichever ran before it.
    beforeEach(async () => {
      if (apps[0]) await settled(apps[0], { smtp, ms: 30_000 });
      await sql(db.url, `DELETE FROM "ReportingRound"`);
      await sql(db.url, `DELETE FROM "OutboxMessage"`);
      smtp.clear();
      for (const app of apps) app.clock.set('2024-11-01T08:00:00Z');
    });

    it('an opening that fails in its third chunk leaves two whole chunks, and the tick finishes it once', async () => {
      const [first, ...others] = (await instances(3)) as [TestApp, TestApp, TestApp];
      // The third chunk dies after writing its requests: its transaction must take them back.
      const repository = first.app.get(RoundsRepository);
      const write = repository.createRequestMilestones.bind(repository);
      let chunks = 0;
      repository.createRequestMilestones = async (...args) => {
        if (++chunks === 3) throw new Error('the process died here');
        return write(...args);
      };
      try {
        await first.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(500);
      } finally {
        repository.createRequestMilestones = write; // the instance is shared with the next test
      }

      const { id: roundId, state } = await sqlOne<{ id: number; state: string }>(db.url, `SELECT id, state::text FROM "ReportingRound"`);
      expect(state).toBe('open');
      await expectCompleteOpening(db.url, roundId, 10, 3); // two chunks of five, each organisation whole
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "RoundStep" WHERE step = 'opening'`)).toBe(1);

      // Three instances tick at once (the one that failed among them): the opening is finished once.
      const steps = (await Promise.all([first, ...others].map((app) => app.app.get(RoundScheduler).tick()))).flatMap((r) => r.steps);
      expect(steps).toEqual([]); // finishing an opening is not a new step; 'open' happened once
      await expectCompleteOpening(db.url, roundId, 23, 3);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "RoundStep" WHERE step = 'opening'`)).toBe(0);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "ReportRequest" WHERE status = 'no_contact'`)).toBe(3);

      // Every digest once, and the secretariat's no-contact notice once. (Distinct Message-IDs: a
      // send whose acceptance is lost to a time-out may arrive twice, which is delivery, not opening.)
      await outboxSettled(db.url, 30_000);
      await smtp.waitFor(21);
      const distinct = () => new Set(smtp.received.map((m) => m.messageId)).size;
      expect(distinct()).toBe(21);
      expect(new Set(smtp.received.filter((m) => m.envelopeTo.includes('sek@norden.test')).map((m) => m.messageId)).size).toBe(1);
      expect(new Set(smtp.received.flatMap((m) => m.envelopeTo)).size).toBe(21);

      // Nothing more on later ticks or a second POST …/open.
      await first.api.post(`/api/rounds/${roundId}/open`).expect(200);
      await first.app.get(RoundScheduler).tick();
      await settled(first, { smtp, ms: 30_000 });
      expect(distinct()).toBe(21);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "OutboxMessage"`)).toBe(21);
    }, 120_000);

    it('a round opened by four instances at once in chunks writes every request once', async () => {
      const four = await instances(4);
      const round = (await four[0]!.api.post('/api/rounds').send({ year: 2025, opensAt: '2024-11-02', deadline: '2025-12-01' }).expect(201))
        .body;
      expect(round.state).toBe('scheduled');
      for (const app of four) app.clock.set('2024-11-02T08:00:00Z');
      // Due in 2025 or before: all three milestones of each organisation are asked about.
      const steps = (await Promise.all(four.map((app) => app.app.get(RoundScheduler).tick()))).flatMap((r) => r.steps);
      expect(steps).toEqual([{ round: round.id, step: 'open', messages: expect.any(Number) }]);
      await expectCompleteOpening(db.url, round.id, 23, 3);
      await outboxSettled(db.url, 30_000);
      await smtp.waitFor(21);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(21);
      expect(await count(db.url, `SELECT count(*)::int AS n FROM "OutboxMessage"`)).toBe(21);
    }, 120_000);
  });
});
