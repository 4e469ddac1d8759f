import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { sql } from '../support/sql.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

/**
 * Timestamps are instants (timestamptz) taken from the service's clock, whatever time zone the
 * database's sessions default to (UTC+14 here): never a column default or the database's now().
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

  it('writes a round opening’s requests and digests at the clock’s instant', async () => {
    expect((await sql<{ tz: string }>(db.url, "SELECT current_setting('TimeZone') AS tz"))[0]!.tz).toBe('Pacific/Kiritimati');
    await t.api.post('/api/rounds').send({ year: 2024, deadline: '2024-12-01' }).expect(201);
    const clock = Date.parse('2024-11-01T08:00:00Z');
    // Read as seconds since the epoch, so no driver conversion hides an offset.
    const rows = await sql<{ kind: string; created: string; updated: string }>(
      db.url,
      `SELECT 'request' AS kind, extract(epoch FROM "createdAt")::text AS created, extract(epoch FROM "updatedAt")::text AS updated FROM "ReportRequest"
       UNION ALL SELECT 'message', extract(epoch FROM "createdAt")::text, extract(epoch FROM "updatedAt")::text FROM "OutboxMessage"
       UNION ALL SELECT 'round', extract(epoch FROM "createdAt")::text, extract(epoch FROM "updatedAt")::text FROM "ReportingRound"`,
    );
    expect(rows.map((row) => row.kind)).toEqual(expect.arrayContaining(['request', 'message', 'round']));
    for (const row of rows) {
      for (const value of [row.created, row.updated]) {
        const at = Number(value) * 1_000;
        expect({ kind: row.kind, value, atTheClock: at === clock }).toEqual({
          kind: row.kind,
          value,
          atTheClock: true,
        });
      }
    }
  });
});
