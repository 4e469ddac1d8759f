import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * Timestamps are stored as UTC (as Prisma writes them), whatever time zone the database's sessions
 * default to: statements written by hand must not leave a timestamp to a column default, which
 * would follow the session's zone. The database here defaults to UTC+14.
 */
describe('timestamps on a database whose sessions are not in UTC', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    await sql(db.url, `ALTER DATABASE "${db.name}" SET timezone TO 'Pacific/Kiritimati'`);
    t = await startTestApp({ db, now: '2024-11-01T08:00:00Z' });
    await t.app.get(PlanImportService).importFile(SMALL);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('writes a round opening’s requests and digests with UTC timestamps', async () => {
    expect((await sql<{ tz: string }>(db.url, "SELECT current_setting('TimeZone') AS tz"))[0]!.tz).toBe('Pacific/Kiritimati');
    const before = Date.now();
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const after = Date.now();
    // Read as text and taken as UTC, so no driver conversion hides an offset.
    const rows = await sql<{ kind: string; created: string; updated: string }>(
      db.url,
      `SELECT 'request' AS kind, "createdAt"::text AS created, "updatedAt"::text AS updated FROM "ReportRequest"
       UNION ALL SELECT 'message', "createdAt"::text, "updatedAt"::text FROM "OutboxMessage"
       UNION ALL SELECT 'round (through Prisma)', "createdAt"::text, "updatedAt"::text FROM "ReportingRound"`,
    );
    expect(rows.map((row) => row.kind)).toEqual(expect.arrayContaining(['request', 'message', 'round (through Prisma)']));
    for (const row of rows) {
      for (const value of [row.created, row.updated]) {
        const at = new Date(`${value.replace(' ', 'T')}Z`).getTime();
        expect({ kind: row.kind, value, withinTheRequest: at >= before - 1_000 && at <= after + 1_000 }).toEqual({
          kind: row.kind,
          value,
          withinTheRequest: true,
        });
      }
    }
  });
});
